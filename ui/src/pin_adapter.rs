//! 校验PIN码: the digits stay in Rust ([`crate::pin_entry`]); the screen gets
//! their count only, and OK hands the PIN out once and clears the pad.
#![forbid(unsafe_code)]

use crate::app_adapter::{RenewalInput, Shared, UiEvent};
use crate::view_model::PinView;
use crate::{AppWindow, PinAdapter};
use kiosk_domain::ports::key_writer::PIN_LEN;
use slint::ComponentHandle;
use std::rc::Rc;

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let pad = window.global::<PinAdapter>();
    pad.set_min_length(count(*PIN_LEN.start()));
    pad.set_max_length(count(*PIN_LEN.end()));
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    pad.on_digit(move |d| {
        let mut pin = s.pin.borrow_mut();
        pin.push(d.as_str());
        if let Some(w) = weak.upgrade() {
            show_entered(&w, pin.len());
        }
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    pad.on_erase(move || {
        let mut pin = s.pin.borrow_mut();
        pin.erase();
        if let Some(w) = weak.upgrade() {
            show_entered(&w, pin.len());
        }
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    pad.on_submit(move || {
        let taken = s.pin.borrow_mut().take();
        if let Some(pin) = taken {
            if let Some(w) = weak.upgrade() {
                show_entered(&w, 0);
            }
            s.emit(UiEvent::Renewal(RenewalInput::Pin(pin)));
        }
    });
}

pub(crate) fn show_entered(window: &AppWindow, n: usize) {
    window.global::<PinAdapter>().set_entered(count(n));
}

pub(crate) fn show(window: &AppWindow, view: &PinView, entered: usize) {
    let pad = window.global::<PinAdapter>();
    pad.set_purpose(view.purpose.as_str().into());
    pad.set_warning(view.warning.as_str().into());
    pad.set_final_try(view.final_try);
    pad.set_verifying(view.verifying);
    pad.set_entered(count(entered));
}
