//! 确认提交 and 申请已提交: 修改 goes back to a page, 提交申请 submits,
//! 完成 ends the session.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::UiEvent;
use crate::kiosk::Shared;
use crate::screens::apply::step;
use crate::{AppWindow, ReviewAdapter};
use kiosk_domain::flow::application::{ApplicationEvent, Draft};
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;
use view::{review_rows, section_page};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<ReviewAdapter>();
    let s = Rc::clone(shared);
    a.on_edit(move |section| step(&s, ApplicationEvent::Edit(section_page(section))));
    let s = Rc::clone(shared);
    a.on_submit(move || step(&s, ApplicationEvent::Submit));
    let s = Rc::clone(shared);
    a.on_finish(move || s.emit(UiEvent::GoHome));
}

pub(crate) fn show(window: &AppWindow, draft: &Draft, submitting: bool) {
    let a = window.global::<ReviewAdapter>();
    a.set_rows(ModelRc::new(VecModel::from(review_rows(draft))));
    a.set_submitting(submitting);
}

pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<ReviewAdapter>();
    a.set_rows(ModelRc::default());
    a.set_order_number(slint::SharedString::new());
}
