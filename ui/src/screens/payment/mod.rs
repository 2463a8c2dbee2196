//! 费用支付: order number, amount, QR code, time left, pay at the counter.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, PaymentAdapter};
use slint::ComponentHandle;
use std::rc::Rc;
use view::PaymentView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<PaymentAdapter>()
        .on_pay_at_counter(move || s.emit(UiEvent::Renewal(RenewalInput::PayAtCounter)));
}

pub(crate) fn show(window: &AppWindow, view: &PaymentView) {
    let a = window.global::<PaymentAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_amount(view.amount.as_str().into());
    a.set_remaining_seconds(
        view.remaining
            .map_or(-1, |s| i32::try_from(s).unwrap_or(i32::MAX)),
    );
    a.set_offline(view.offline);
    match view.qr_payload.as_deref().and_then(crate::qr::qr_image) {
        Some(image) => {
            a.set_qr(image);
            a.set_qr_ready(true);
        }
        None => a.set_qr_ready(false),
    }
}

/// Forgets the order, its amount and its QR code (the session is over).
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<PaymentAdapter>();
    a.set_order_number("".into());
    a.set_amount("".into());
    a.set_remaining_seconds(-1);
    a.set_qr_ready(false);
    a.set_qr(slint::Image::default());
}
