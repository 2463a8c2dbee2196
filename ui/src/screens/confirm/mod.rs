//! 确认信息: the form, prefilled from the CA's details on file or typed on
//! the on-screen keyboard, checked as typed with the domain's parsers; what
//! is confirmed is what the fields hold.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, ConfirmAdapter, ConfirmField};
use slint::ComponentHandle;
use std::rc::Rc;
use view::{ConfirmView, FormTexts, check_form};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<ConfirmAdapter>();
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    adapter.on_edited(move |_field| {
        if let Some(w) = weak.upgrade() {
            recheck(&w, &s);
        }
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    adapter.on_confirm(move || {
        let Some(w) = weak.upgrade() else { return };
        let a = w.global::<ConfirmAdapter>();
        if a.get_submitted() {
            return;
        }
        // Asked to go on: every field that is not right says why.
        s.confirm_reveal.set(true);
        if let Some(details) = recheck(&w, &s) {
            s.emit(UiEvent::Renewal(RenewalInput::ConfirmInfo(Box::new(
                details,
            ))));
        }
    });
    let s = Rc::clone(shared);
    adapter.on_back(move || s.emit(UiEvent::Renewal(RenewalInput::Back)));
}

fn texts(a: &ConfirmAdapter<'_>) -> FormTexts {
    FormTexts {
        contact: a.get_contact().into(),
        mobile: a.get_mobile().into(),
        invoice_title: a.get_invoice_title().into(),
        taxpayer_id: a.get_taxpayer_id().into(),
        email: a.get_email().into(),
    }
}

/// Checks the fields as they are and shows what the checks say.
fn recheck(
    w: &AppWindow,
    s: &Shared,
) -> Option<(
    kiosk_domain::order::renewal::Contact,
    kiosk_domain::order::renewal::InvoiceInfo,
)> {
    let a = w.global::<ConfirmAdapter>();
    if a.get_submitted() {
        return None;
    }
    let checked = check_form(&texts(&a), s.confirm_reveal.get());
    let [contact, mobile, title, taxpayer_id, email] = checked.checks;
    a.set_contact_check(contact);
    a.set_mobile_check(mobile);
    a.set_invoice_title_check(title);
    a.set_taxpayer_id_check(taxpayer_id);
    a.set_email_check(email);
    a.set_attention(checked.attention);
    a.set_attention_empty(checked.attention_empty);
    checked.details
}

pub(crate) fn show(window: &AppWindow, shared: &Shared, view: &ConfirmView) {
    let a = window.global::<ConfirmAdapter>();
    a.set_on_file(view.on_file);
    a.set_holder(view.holder.as_str().into());
    a.set_amount(view.amount.as_str().into());
    if a.get_submitted() && !view.submitted {
        // The masked details of an earlier order are no one's to confirm.
        clear(window, shared);
    }
    a.set_submitted(view.submitted);
    if let Some(fill) = &view.fill {
        let all = view.submitted;
        let put = |get: &dyn Fn() -> slint::SharedString,
                   set: &dyn Fn(slint::SharedString),
                   value: &str| {
            // The CA's details go only where the customer has typed nothing.
            if all || get().trim().is_empty() {
                set(value.into());
            }
        };
        put(&|| a.get_contact(), &|v| a.set_contact(v), &fill.contact);
        put(&|| a.get_mobile(), &|v| a.set_mobile(v), &fill.mobile);
        put(
            &|| a.get_invoice_title(),
            &|v| a.set_invoice_title(v),
            &fill.invoice_title,
        );
        put(
            &|| a.get_taxpayer_id(),
            &|v| a.set_taxpayer_id(v),
            &fill.taxpayer_id,
        );
        put(&|| a.get_email(), &|v| a.set_email(v), &fill.email);
    }
    if !view.submitted {
        recheck(window, shared);
    }
}

/// Empties the form (a new session, or the customer went home).
pub(crate) fn clear(window: &AppWindow, shared: &Shared) {
    let a = window.global::<ConfirmAdapter>();
    a.set_submitted(false);
    for set in [
        ConfirmAdapter::set_contact,
        ConfirmAdapter::set_mobile,
        ConfirmAdapter::set_invoice_title,
        ConfirmAdapter::set_taxpayer_id,
        ConfirmAdapter::set_email,
    ] {
        set(&a, "".into());
    }
    shared.confirm_reveal.set(false);
    recheck(window, shared);
    a.set_attention(ConfirmField::None);
}
