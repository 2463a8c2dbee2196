//! 异常恢复: why the install stopped, 重新安装, 呼叫工作人员.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, RecoveryAdapter};
use slint::ComponentHandle;
use std::rc::Rc;
use view::RecoveryView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<RecoveryAdapter>()
        .on_reinstall(move || s.emit(UiEvent::Renewal(RenewalInput::Reinstall)));
}

pub(crate) fn show(window: &AppWindow, view: &RecoveryView) {
    let a = window.global::<RecoveryAdapter>();
    a.set_order_number(view.order_number.as_str().into());
    a.set_reason(view.reason);
    a.set_can_reinstall(view.can_reinstall);
}
