//! 费用支付: order number, amount, QR code, time left, pay at the counter.
#![forbid(unsafe_code)]

use crate::app_adapter::{Shared, UiEvent};
use crate::view_model::PaymentView;
use crate::{AppWindow, PaymentAdapter};
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<PaymentAdapter>()
        .on_pay_at_counter(move || s.emit(UiEvent::PayAtCounter));
}

pub(crate) fn show(window: &AppWindow, view: &PaymentView) {
    let a = window.global::<PaymentAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_amount(view.amount.as_str().into());
    a.set_remaining(view.remaining.as_str().into());
    a.set_offline(view.offline);
    match view.qr_payload.as_deref().and_then(crate::qr::qr_image) {
        Some(image) => {
            a.set_qr(image);
            a.set_qr_ready(true);
        }
        None => a.set_qr_ready(false),
    }
}
