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
use view::{ConfirmView, FIELDS, FormTexts, check_form};

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

/// What the field holds.
fn text(a: &ConfirmAdapter<'_>, field: ConfirmField) -> slint::SharedString {
    match field {
        ConfirmField::Contact => a.get_contact(),
        ConfirmField::Mobile => a.get_mobile(),
        ConfirmField::InvoiceTitle => a.get_invoice_title(),
        ConfirmField::TaxpayerId => a.get_taxpayer_id(),
        ConfirmField::Email => a.get_email(),
        ConfirmField::None => slint::SharedString::new(),
    }
}

/// Puts `value` in the field.
fn set_text(a: &ConfirmAdapter<'_>, field: ConfirmField, value: &str) {
    let value = value.into();
    match field {
        ConfirmField::Contact => a.set_contact(value),
        ConfirmField::Mobile => a.set_mobile(value),
        ConfirmField::InvoiceTitle => a.set_invoice_title(value),
        ConfirmField::TaxpayerId => a.set_taxpayer_id(value),
        ConfirmField::Email => a.set_email(value),
        ConfirmField::None => {}
    }
}

fn texts(a: &ConfirmAdapter<'_>) -> FormTexts {
    FormTexts {
        contact: text(a, ConfirmField::Contact).into(),
        mobile: text(a, ConfirmField::Mobile).into(),
        invoice_title: text(a, ConfirmField::InvoiceTitle).into(),
        taxpayer_id: text(a, ConfirmField::TaxpayerId).into(),
        email: text(a, ConfirmField::Email).into(),
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
        for field in FIELDS {
            // The CA's details go only where the customer has typed nothing.
            if view.submitted || text(&a, field).trim().is_empty() {
                set_text(&a, field, fill.get(field));
            }
        }
    }
    if !view.submitted {
        recheck(window, shared);
    }
}

/// Empties the form (a new session, or the customer went home).
pub(crate) fn clear(window: &AppWindow, shared: &Shared) {
    let a = window.global::<ConfirmAdapter>();
    a.set_submitted(false);
    for field in FIELDS {
        set_text(&a, field, "");
    }
    shared.confirm_reveal.set(false);
    recheck(window, shared);
}
