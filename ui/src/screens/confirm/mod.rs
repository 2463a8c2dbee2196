//! 确认信息: the details on file, shown in full for the customer to check
//! (the form to type or change them comes with the on-screen keyboard).
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::screens::app::view::Notice;
use crate::{AppWindow, ConfirmAdapter};
use kiosk_domain::flow::renewal::{HolderLookup, RenewalState};
use slint::ComponentHandle;
use std::rc::Rc;
use view::ConfirmView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<ConfirmAdapter>();
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    adapter.on_confirm(move || {
        // What is confirmed is what the screen shows: the details on file.
        let shown = s
            .shown
            .borrow()
            .renewal
            .as_ref()
            .and_then(|state| match state {
                RenewalState::ConfirmingInfo {
                    on_file: HolderLookup::Found(details),
                    ..
                } => Some(details.as_ref().clone()),
                _ => None,
            });
        match shown {
            Some(details) => {
                s.emit(UiEvent::Renewal(RenewalInput::ConfirmInfo(Box::new(
                    details,
                ))));
            }
            None => {
                if let Some(w) = weak.upgrade() {
                    crate::screens::app::show_notice(&w, Some(Notice::ContactsMissing));
                }
            }
        }
    });
    let s = Rc::clone(shared);
    adapter.on_back(move || s.emit(UiEvent::Renewal(RenewalInput::Back)));
}

pub(crate) fn show(window: &AppWindow, view: &ConfirmView) {
    let a = window.global::<ConfirmAdapter>();
    a.set_on_file(view.on_file);
    a.set_holder(view.holder.as_str().into());
    a.set_contact(view.contact.as_str().into());
    a.set_mobile(view.mobile.as_str().into());
    a.set_invoice_title(view.invoice_title.as_str().into());
    a.set_taxpayer_id(view.taxpayer_id.as_str().into());
    a.set_email(view.email.as_str().into());
    a.set_amount(view.amount.as_str().into());
}
