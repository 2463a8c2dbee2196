//! 确认提交: everything the application holds, personal data masked, and
//! the page each part is corrected on.
#![forbid(unsafe_code)]

use crate::screens::identity::view::identity_stage;
use crate::{IdentityStage, ReviewItem, ReviewRow, ReviewSection};
use kiosk_domain::flow::application::{Draft, Page};
use kiosk_domain::order::application::{Pickup, SealRole};

fn row(item: ReviewItem, value: impl Into<String>) -> ReviewRow {
    ReviewRow {
        item,
        value: value.into().into(),
        identity: IdentityStage::Queued,
    }
}

/// The lines of 确认提交.
#[must_use]
pub fn review_rows(draft: &Draft) -> Vec<ReviewRow> {
    use ReviewItem as I;
    let mut rows = Vec::new();
    if let Some(project) = &draft.project {
        rows.push(row(I::Project, project.name.as_str()));
    }
    if let Some(amount) = draft.details().and_then(|d| d.amount_due()) {
        rows.push(row(I::Amount, amount.to_string()));
    }
    if let Some(unit) = &draft.unit {
        // A unit's name, code and address are public (its licence).
        rows.push(row(I::UnitName, unit.name.as_str()));
        rows.push(row(I::Uscc, unit.uscc.as_str()));
        rows.push(row(I::UnitAddress, unit.address.as_str()));
    }
    if let Some(handler) = &draft.handler {
        rows.push(row(I::HandlerName, handler.name.masked()));
        rows.push(row(I::HandlerId, handler.resident_id.masked()));
        rows.push(row(I::HandlerMobile, handler.mobile.masked()));
    }
    for holder in &draft.seal_holders {
        let item = match holder.role {
            SealRole::Trader => I::Trader,
            SealRole::Settler => I::Settler,
        };
        rows.push(row(item, holder.name.masked()));
    }
    if let Some(invoice) = &draft.invoice {
        rows.push(row(I::InvoiceTitle, invoice.title.as_str()));
        rows.push(row(I::TaxpayerId, invoice.taxpayer_id.masked()));
        rows.push(row(I::Email, invoice.email.masked()));
    }
    match &draft.pickup {
        Some(Pickup::Mail {
            recipient,
            phone,
            address,
            ..
        }) => {
            rows.push(row(I::PickupMail, ""));
            rows.push(row(I::Recipient, recipient.masked()));
            rows.push(row(I::RecipientPhone, phone.masked()));
            rows.push(row(I::Address, address.as_str()));
        }
        Some(Pickup::OnSite) => rows.push(row(I::PickupOnSite, "")),
        None => {}
    }
    let documents = draft
        .captures
        .iter()
        .filter(|c| !c.kind.is_biometric())
        .count();
    rows.push(row(I::Documents, documents.to_string()));
    rows.push(ReviewRow {
        identity: identity_stage(draft),
        ..row(I::Identity, "")
    });
    rows
}

/// The page a part of the application is corrected on.
#[must_use]
pub fn section_page(section: ReviewSection) -> Page {
    match section {
        ReviewSection::Project => Page::Project,
        ReviewSection::Unit => Page::Unit,
        ReviewSection::Handler => Page::Handler,
        ReviewSection::Holders => Page::SealHolders,
        ReviewSection::Invoice => Page::Invoice,
        ReviewSection::Pickup => Page::Pickup,
        ReviewSection::Documents => Page::Attachments,
        // The identity check is redone from its consent.
        ReviewSection::Identity => Page::FaceConsent,
    }
}
