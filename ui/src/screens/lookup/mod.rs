//! 查询订单: order number + mobile, checked here; the result masked.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{LookupInput, PickupInput, UiEvent};
use crate::kiosk::Shared;
use crate::{
    AppAdapter, AppWindow, LookupAdapter, LookupPayAdapter, LookupPayNote, LookupProblem,
    LookupRemitAdapter, OrderSummary, RemitProblem, Screen,
};
use kiosk_domain::flow::lookup::{Found, LookupState};
use slint::ComponentHandle;
use std::rc::Rc;
use view::{FormProblem, PayingView, TransferView, lookup_view, parse_lookup, parse_transfer};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    // 现场领取: the order the CA answered with, and the mobile it was
    // asked with, go to the pickup flow.
    let s = Rc::clone(shared);
    window.global::<LookupAdapter>().on_pick_up(move || {
        let asked = match &s.shown.borrow().lookup {
            Some(LookupState::Open {
                found: Found::AtCa { order, mobile },
                ..
            }) if order.ready_for_pickup() => Some((order.number, mobile.clone())),
            _ => None,
        };
        if let Some((number, mobile)) = asked {
            s.emit(UiEvent::Pickup(PickupInput::Start { number, mobile }));
        }
    });
    let s = Rc::clone(shared);
    window
        .global::<LookupAdapter>()
        .on_pay(move || s.emit(UiEvent::Lookup(LookupInput::Pay)));
    let s = Rc::clone(shared);
    window
        .global::<LookupPayAdapter>()
        .on_back(move || s.emit(UiEvent::Lookup(LookupInput::StopPaying)));
    let s = Rc::clone(shared);
    window
        .global::<LookupAdapter>()
        .on_transfer(move || s.emit(UiEvent::Lookup(LookupInput::ChooseTransfer)));
    let s = Rc::clone(shared);
    window
        .global::<LookupRemitAdapter>()
        .on_back(move || s.emit(UiEvent::Lookup(LookupInput::StopPaying)));
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window
        .global::<LookupRemitAdapter>()
        .on_submit(move |payer, reference| {
            let Some(w) = weak.upgrade() else { return };
            let a = w.global::<LookupRemitAdapter>();
            match parse_transfer(&payer, &reference) {
                Ok((payer, reference)) => {
                    a.set_problem(RemitProblem::None);
                    a.set_sending(true);
                    s.emit(UiEvent::Lookup(LookupInput::Remit { payer, reference }));
                }
                Err(problem) => a.set_problem(problem),
            }
        });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window.global::<LookupAdapter>().on_scan(move || {
        if let Some(w) = weak.upgrade() {
            let a = w.global::<LookupAdapter>();
            show_problem(&a, &FormProblem::default());
            a.set_scanning(true);
        }
        s.emit(UiEvent::Lookup(LookupInput::Scan));
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window
        .global::<LookupAdapter>()
        .on_search(move |number, mobile| {
            let Some(w) = weak.upgrade() else { return };
            let a = w.global::<LookupAdapter>();
            show_result(&a, None);
            match parse_lookup(&number, &mobile) {
                Ok((number, mobile)) => {
                    show_problem(&a, &FormProblem::default());
                    a.set_searching(true);
                    s.emit(UiEvent::Lookup(LookupInput::Find { number, mobile }));
                }
                Err(problem) => show_problem(&a, &problem),
            }
        });
}

fn show_problem(a: &LookupAdapter<'_>, problem: &FormProblem) {
    a.set_problem(problem.problem);
    a.set_detail(problem.detail.clone());
}

fn show_result(a: &LookupAdapter<'_>, result: Option<OrderSummary>) {
    a.set_found(result.is_some());
    a.set_result(result.unwrap_or_default());
}

/// Shows 查询订单 as its flow stands: the camera's reading, the search.
pub(crate) fn show(window: &AppWindow, state: &LookupState, before: Option<&LookupState>) {
    let Some(view) = lookup_view(state, before) else {
        clear(window);
        return;
    };
    // The flow's word puts 查询订单 (or its payment) on screen: when just
    // opened, also when an update of the flow the customer left (sent before
    // the tap) is applied after the tile had switched screens.
    let screen = if view.paying.is_some() {
        Screen::LookupPay
    } else if view.transfer.is_some() {
        Screen::LookupRemit
    } else {
        Screen::Lookup
    };
    let app = window.global::<AppAdapter>();
    let here = matches!(
        app.get_screen(),
        Screen::Lookup | Screen::LookupPay | Screen::LookupRemit
    );
    if !matches!(before, Some(LookupState::Open { .. })) || here {
        app.set_screen(screen);
    }
    show_paying(window, view.paying.as_ref());
    show_transfer(window, view.transfer.as_ref());
    let a = window.global::<LookupAdapter>();
    show_invoice(&a, view.invoice_url.as_deref());
    a.set_payable(view.payable);
    a.set_pickup_ready(view.pickup_ready);
    a.set_pay_note(view.pay_note);
    a.set_scanning(view.scanning);
    a.set_searching(view.searching);
    if let Some(number) = &view.fill_number {
        a.set_order_number(number.as_str().into());
    }
    show_problem(&a, &view.problem);
    show_result(&a, view.result);
}

/// The invoice's QR code, drawn when it is new (a new search clears it
/// while the CA is asked).
fn show_invoice(a: &LookupAdapter<'_>, url: Option<&str>) {
    match url {
        Some(_) if a.get_has_invoice() => {}
        Some(url) => match crate::qr::qr_image(url) {
            Some(qr) => {
                a.set_invoice_qr(qr);
                a.set_has_invoice(true);
            }
            None => a.set_has_invoice(false),
        },
        None => a.set_has_invoice(false),
    }
}

/// The bank-transfer form: what is typed stays until the flow leaves it.
fn show_transfer(window: &AppWindow, transfer: Option<&TransferView>) {
    let r = window.global::<LookupRemitAdapter>();
    let Some(transfer) = transfer else {
        r.set_payer("".into());
        r.set_reference("".into());
        r.set_problem(RemitProblem::None);
        r.set_sending(false);
        return;
    };
    r.set_order_number(transfer.number.as_str().into());
    r.set_amount(transfer.amount.as_str().into());
    r.set_sending(transfer.sending);
}

/// The payment screen: the QR code made once per payload.
fn show_paying(window: &AppWindow, paying: Option<&PayingView>) {
    let p = window.global::<LookupPayAdapter>();
    let Some(paying) = paying else {
        p.set_qr_ready(false);
        p.set_order_number("".into());
        return;
    };
    p.set_order_number(paying.number.as_str().into());
    p.set_amount(paying.amount.as_str().into());
    p.set_expires(paying.expires.as_str().into());
    match paying.qr_payload.as_deref() {
        // Each poll shows the same code: drawn once.
        Some(_) if p.get_qr_ready() => {}
        Some(payload) => match crate::qr::qr_image(payload) {
            Some(image) => {
                p.set_qr(image);
                p.set_qr_ready(true);
            }
            None => p.set_qr_ready(false),
        },
        None => p.set_qr_ready(false),
    }
}

pub(crate) fn clear(window: &AppWindow) {
    show_paying(window, None);
    show_transfer(window, None);
    let a = window.global::<LookupAdapter>();
    a.set_payable(false);
    a.set_pickup_ready(false);
    a.set_pay_note(LookupPayNote::None);
    a.set_has_invoice(false);
    a.set_order_number("".into());
    a.set_mobile("".into());
    show_problem(&a, &LookupProblem::None.into());
    a.set_searching(false);
    a.set_scanning(false);
    show_result(&a, None);
}
