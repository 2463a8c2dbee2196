//! 到柜台支付: the order number and amount for the counter, and the slip.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, CounterAdapter};
use slint::ComponentHandle;
use std::rc::Rc;
use view::CounterView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<CounterAdapter>()
        .on_finish(move || s.emit(UiEvent::Renewal(RenewalInput::Finish)));
}

pub(crate) fn show(window: &AppWindow, view: &CounterView) {
    let a = window.global::<CounterAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_amount(view.amount.as_str().into());
    a.set_receipt(view.receipt);
}
