//! 环境检测: checking, or what is missing and what to do.
#![forbid(unsafe_code)]

use crate::app_adapter::{RenewalInput, Shared, UiEvent};
use crate::view_model::BlockedView;
use crate::{AppWindow, EnvironmentAdapter};
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<EnvironmentAdapter>()
        .on_retry(move || s.emit(UiEvent::Renewal(RenewalInput::Retry)));
}

pub(crate) fn show(window: &AppWindow, view: &BlockedView) {
    let env = window.global::<EnvironmentAdapter>();
    env.set_problem(view.problem.as_str().into());
    env.set_what_to_do(view.what_to_do.as_str().into());
    env.set_ask_staff(view.ask_staff);
}
