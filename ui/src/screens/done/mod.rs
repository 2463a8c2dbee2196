//! 完成更新.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, DoneAdapter};
use slint::ComponentHandle;
use std::rc::Rc;
use view::DoneView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<DoneAdapter>()
        .on_finish(move || s.emit(UiEvent::Renewal(RenewalInput::Finish)));
}

pub(crate) fn show(window: &AppWindow, view: &DoneView) {
    let a = window.global::<DoneAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_valid_until(view.valid_until.as_str().into());
    a.set_receipt(view.receipt);
    a.set_key_in(view.key_in);
}
