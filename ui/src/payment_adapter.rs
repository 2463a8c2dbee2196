//! 费用支付: order number, amount, QR code, time left, pay at the counter.
#![forbid(unsafe_code)]

use crate::app_adapter::{RenewalInput, Shared, UiEvent};
use crate::view_model::{CounterView, PaymentView};
use crate::{AppWindow, CounterAdapter, PaymentAdapter, ReceiptState};
use kiosk_domain::ports::printer::PrintOutcome;
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<PaymentAdapter>()
        .on_pay_at_counter(move || s.emit(UiEvent::Renewal(RenewalInput::PayAtCounter)));
    let s = Rc::clone(shared);
    window
        .global::<CounterAdapter>()
        .on_finish(move || s.emit(UiEvent::Renewal(RenewalInput::Finish)));
}

/// The receipt as the screens show it (`None`: still printing).
pub(crate) fn receipt_state(outcome: Option<PrintOutcome>) -> ReceiptState {
    match outcome {
        None => ReceiptState::Printing,
        Some(PrintOutcome::Printed) => ReceiptState::Printed,
        Some(PrintOutcome::NoPrinter) => ReceiptState::NoPrinter,
        Some(PrintOutcome::PaperOut) => ReceiptState::PaperOut,
        Some(PrintOutcome::CoverOpen | PrintOutcome::Failed) => ReceiptState::Failed,
    }
}

pub(crate) fn show_counter(window: &AppWindow, view: &CounterView) {
    let a = window.global::<CounterAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_amount(view.amount.as_str().into());
    a.set_receipt(receipt_state(view.receipt));
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

/// Forgets the order, its amount and its QR code (the session is over).
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<PaymentAdapter>();
    a.set_order_number("".into());
    a.set_amount("".into());
    a.set_remaining("".into());
    a.set_qr_ready(false);
    a.set_qr(slint::Image::default());
}
