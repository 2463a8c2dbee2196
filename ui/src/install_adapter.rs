//! 安装证书, 完成更新 and 异常恢复.
#![forbid(unsafe_code)]

use crate::app_adapter::{RenewalInput, Shared, UiEvent};
use crate::view_model::{DoneView, InstallView, RecoveryView};
use crate::{AppWindow, DoneAdapter, InstallAdapter, InstallRow, RecoveryAdapter};
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<RecoveryAdapter>()
        .on_reinstall(move || s.emit(UiEvent::Renewal(RenewalInput::Reinstall)));
    let s = Rc::clone(shared);
    window
        .global::<DoneAdapter>()
        .on_finish(move || s.emit(UiEvent::Renewal(RenewalInput::Finish)));
}

pub(crate) fn show_installing(window: &AppWindow, view: &InstallView) {
    let a = window.global::<InstallAdapter>();
    let rows: Vec<InstallRow> = view
        .steps
        .iter()
        .map(|(label, state)| InstallRow {
            label: label.as_str().into(),
            state: *state,
        })
        .collect();
    a.set_steps(ModelRc::new(VecModel::from(rows)));
    a.set_percent(view.percent);
    a.set_order_number(view.order_number.as_str().into());
}

pub(crate) fn show_recovery(window: &AppWindow, view: &RecoveryView) {
    let a = window.global::<RecoveryAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_reason(view.reason.as_str().into());
    a.set_what_to_do(view.what_to_do.as_str().into());
    a.set_can_reinstall(view.can_reinstall);
}

pub(crate) fn show_done(window: &AppWindow, view: &DoneView) {
    let a = window.global::<DoneAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_valid_until(view.valid_until.as_str().into());
    a.set_receipt(crate::payment_adapter::receipt_state(view.receipt));
    a.set_key_in(view.key_in);
}
