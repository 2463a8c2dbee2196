//! 安装证书: the steps as they run.
#![forbid(unsafe_code)]

pub mod view;

use crate::{AppWindow, InstallAdapter};
use slint::{ComponentHandle, ModelRc, VecModel};
use view::InstallView;

pub(crate) fn show(window: &AppWindow, view: &InstallView) {
    let a = window.global::<InstallAdapter>();
    a.set_steps(ModelRc::new(VecModel::from(view.steps.clone())));
    a.set_percent(view.percent);
    a.set_order_number(view.order_number.as_str().into());
}
