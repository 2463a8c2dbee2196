//! 环境检测: checking, or what is missing and what to do.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, EnvironmentAdapter};
use slint::ComponentHandle;
use std::rc::Rc;
use view::BlockedView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<EnvironmentAdapter>()
        .on_retry(move || s.emit(UiEvent::Renewal(RenewalInput::Retry)));
}

pub(crate) fn show(window: &AppWindow, view: &BlockedView) {
    let env = window.global::<EnvironmentAdapter>();
    env.set_reason(view.reason);
    env.set_ask_staff(view.ask_staff);
}
