//! 查询订单: order number + mobile, checked here; the result masked.
#![forbid(unsafe_code)]

use crate::app_adapter::{Shared, UiEvent};
use crate::view_model::{lookup_rows, parse_lookup};
use crate::{AppWindow, FieldRow, LookupAdapter};
use kiosk_domain::lang::Lang;
use kiosk_domain::order::Order;
use kiosk_domain::order_number::OrderNumber;
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
        s.emit(UiEvent::ScanReceipt);
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
                    s.emit(UiEvent::LookupOrder { number, mobile });
                }
                Err(message) => a.set_error(message.into()),
            }
        });
}

pub(crate) fn show_scan(window: &AppWindow, result: Result<&OrderNumber, String>) {
    let a = window.global::<LookupAdapter>();
    a.set_scanning(false);
    match result {
        Ok(number) => {
            a.set_error("".into());
            a.set_order_number(number.as_str().into());
        }
        Err(message) => a.set_error(message.into()),
    }
}

pub(crate) fn show_result(window: &AppWindow, result: Result<&Order, String>, lang: Lang) {
    let a = window.global::<LookupAdapter>();
    a.set_searching(false);
    match result {
        Ok(order) => {
            let rows: Vec<FieldRow> = lookup_rows(order, lang)
                .into_iter()
                .map(|(label, value)| FieldRow {
                    label: label.into(),
                    value: value.into(),
                })
                .collect();
            a.set_error("".into());
            a.set_result(ModelRc::new(VecModel::from(rows)));
        }
        Err(message) => {
            a.set_result(ModelRc::default());
            a.set_error(message.into());
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
