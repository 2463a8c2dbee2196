//! 校验PIN码: the digits stay in Rust ([`entry`]); the screen gets their
//! count only, and OK hands the PIN out once and clears the pad.
#![forbid(unsafe_code)]

pub mod entry;
pub mod view;

use crate::events::UiEvent;
use crate::kiosk::Shared;
use crate::screens::vocabulary::int;
use crate::{AppWindow, PinAdapter};
use kiosk_domain::ports::key_writer::PIN_LEN;
use slint::ComponentHandle;
use std::rc::Rc;
use view::PinView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let pad = window.global::<PinAdapter>();
    pad.set_min_length(int(*PIN_LEN.start()));
    pad.set_max_length(int(*PIN_LEN.end()));
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    pad.on_key(move |d| {
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
            s.emit(UiEvent::Pin(pin));
        }
    });
}

fn show_entered(window: &AppWindow, n: usize) {
    window.global::<PinAdapter>().set_entered(int(n));
}

/// Forgets the digits typed (zeroed) and empties the dots.
pub(crate) fn clear(window: &AppWindow, shared: &Shared) {
    shared.pin.borrow_mut().clear();
    show_entered(window, 0);
}

pub(crate) fn show(window: &AppWindow, view: &PinView, entered: usize) {
    let pad = window.global::<PinAdapter>();
    pad.set_reason(view.reason);
    pad.set_subject(view.subject.as_str().into());
    pad.set_warning(view.warning);
    pad.set_tries_left(view.tries_left);
    pad.set_verifying(view.verifying);
    pad.set_problem(view.problem);
    pad.set_entered(int(entered));
}
