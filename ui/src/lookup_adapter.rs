//! 查询订单: order number + mobile, checked here; the result masked.
#![forbid(unsafe_code)]

use crate::app_adapter::{LookupInput, Shared, UiEvent};
use crate::view_model::{Notice, lookup_rows, notice_text, parse_lookup};
use crate::{AppWindow, FieldRow, LookupAdapter};
use kiosk_domain::flow::lookup::{Found, LookupState, Scan, ScanFailure};
use kiosk_domain::lang::Lang;
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window.global::<LookupAdapter>().on_scan(move || {
        if let Some(w) = weak.upgrade() {
            let a = w.global::<LookupAdapter>();
            a.set_error("".into());
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
            a.set_result(ModelRc::default());
            match parse_lookup(&number, &mobile, s.lang()) {
                Ok((number, mobile)) => {
                    a.set_error("".into());
                    a.set_searching(true);
                    s.emit(UiEvent::Lookup(LookupInput::Find { number, mobile }));
                }
                Err(message) => a.set_error(message.into()),
            }
        });
}

/// Shows 查询订单 as its flow stands: the camera's reading, the search.
pub(crate) fn show(
    window: &AppWindow,
    state: &LookupState,
    before: Option<&LookupState>,
    lang: Lang,
) {
    let LookupState::Open { scan, found, .. } = state else {
        clear(window);
        return;
    };
    let a = window.global::<LookupAdapter>();
    a.set_scanning(matches!(scan, Scan::Scanning));
    a.set_searching(matches!(found, Found::Searching));
    let mut error = String::new();
    match scan {
        Scan::Read(number) => {
            // Filled once per reading; the customer may still change it.
            let already = matches!(before, Some(LookupState::Open { scan: Scan::Read(n), .. }) if n == number);
            if !already {
                a.set_order_number(number.as_str().into());
            }
        }
        Scan::Failed(failure) => error = scan_message(*failure, lang),
        Scan::Idle | Scan::Scanning => {}
    }
    match found {
        Found::Order(order) => {
            let rows: Vec<FieldRow> = lookup_rows(order, lang)
                .into_iter()
                .map(|(label, value)| FieldRow {
                    label: label.into(),
                    value: value.into(),
                })
                .collect();
            a.set_result(ModelRc::new(VecModel::from(rows)));
        }
        Found::NoMatch => {
            a.set_result(ModelRc::default());
            error = no_match(lang);
        }
        Found::Fault => {
            a.set_result(ModelRc::default());
            error = notice_text(Notice::KioskFault, lang);
        }
        Found::Nothing | Found::Searching => a.set_result(ModelRc::default()),
    }
    a.set_error(error.as_str().into());
}

/// Why the camera read no order number, in the customer's words.
fn scan_message(failure: ScanFailure, lang: Lang) -> String {
    match (failure, lang) {
        (ScanFailure::NoCamera, Lang::ZhCn) => "摄像头暂不可用，请手动输入订单号码".to_owned(),
        (ScanFailure::NoCamera, Lang::En) => {
            "The camera is not available: please type the order number".to_owned()
        }
        (ScanFailure::NothingSeen, Lang::ZhCn) => {
            "未识别到凭条二维码：请将二维码对准摄像头后重试，或手动输入订单号码".to_owned()
        }
        (ScanFailure::NothingSeen, Lang::En) => {
            "No slip QR code seen: hold it up to the camera and try again, or type the order number"
                .to_owned()
        }
    }
}

/// The lookup found nothing: the same answer for an unknown number and a
/// wrong mobile, so that the form cannot be used to probe order numbers.
fn no_match(lang: Lang) -> String {
    match lang {
        Lang::ZhCn => "未找到订单：请核对订单号和手机号，或到柜台查询".to_owned(),
        Lang::En => {
            "No order found: check the order number and mobile, or ask at the counter".to_owned()
        }
    }
}

pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<LookupAdapter>();
    a.set_order_number("".into());
    a.set_mobile("".into());
    a.set_error("".into());
    a.set_searching(false);
    a.set_scanning(false);
    a.set_result(ModelRc::default());
}
