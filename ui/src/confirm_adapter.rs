//! 确认信息 (display of the view model; the input form comes with the
//! on-screen keyboard in part 2).
#![forbid(unsafe_code)]

use crate::app_adapter::{Shared, UiEvent};
use crate::view_model::ConfirmView;
use crate::{AppWindow, ConfirmAdapter};
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<ConfirmAdapter>();
    let s = Rc::clone(shared);
    adapter.on_confirm(move || s.emit(UiEvent::ConfirmInfo));
    let s = Rc::clone(shared);
    adapter.on_back(move || s.emit(UiEvent::Back));
}

pub(crate) fn show(window: &AppWindow, view: &ConfirmView) {
    let a = window.global::<ConfirmAdapter>();
    a.set_holder(view.holder.as_str().into());
    a.set_contact(view.contact.as_str().into());
    a.set_mobile(view.mobile.as_str().into());
    a.set_invoice_title(view.invoice_title.as_str().into());
    a.set_taxpayer_id(view.taxpayer_id.as_str().into());
    a.set_email(view.email.as_str().into());
    a.set_amount(view.amount.as_str().into());
}
