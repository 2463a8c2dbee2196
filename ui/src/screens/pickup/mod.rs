//! 现场领取: the order, the blank key asked for, the write's steps, or the
//! PIN pad (the renewal's, with the pickup's reason).
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{PickupInput, UiEvent};
use crate::kiosk::Shared;
use crate::screens::pin;
use crate::{AppAdapter, AppWindow, PickupAdapter, Screen};
use kiosk_domain::flow::pickup::PickupState;
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;
use view::{PickupScreen, pickup_view};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<PickupAdapter>();
    let s = Rc::clone(shared);
    a.on_retry(move || s.emit(UiEvent::Pickup(PickupInput::Retry)));
    let s = Rc::clone(shared);
    a.on_finish(move || s.emit(UiEvent::GoHome));
}

pub(crate) fn show(window: &AppWindow, shared: &Shared, state: &PickupState) {
    let screen = match pickup_view(state) {
        // Home: the other flows say what to show.
        PickupScreen::Home => return,
        PickupScreen::Pin(v) => {
            pin::show(window, &v, shared.pin.borrow().len());
            Screen::Pin
        }
        PickupScreen::Pickup(v) => {
            pin::clear(window, shared);
            let a = window.global::<PickupAdapter>();
            a.set_phase(v.phase);
            a.set_why(v.why);
            a.set_status(v.status);
            a.set_key_problem(v.key_problem);
            a.set_order_number(v.order_number.as_str().into());
            a.set_unit_name(v.unit_name.as_str().into());
            a.set_seals(v.seals);
            a.set_steps(ModelRc::new(VecModel::from(v.steps)));
            a.set_percent(v.percent);
            a.set_failure(v.failure);
            a.set_receipt(v.receipt);
            Screen::Pickup
        }
    };
    window.global::<AppAdapter>().set_screen(screen);
}
