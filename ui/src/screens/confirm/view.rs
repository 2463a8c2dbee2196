//! 确认信息, shown in full: the customer checks what is on file.
#![forbid(unsafe_code)]

use crate::OnFileState;
use kiosk_domain::flow::renewal::HolderLookup;
use kiosk_domain::money::Fen;
use kiosk_domain::order::renewal::{CertificateSummary, Contact, InvoiceInfo};

#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmView {
    /// Whether the details are the CA's (or the ones being submitted), or
    /// why there are none.
    pub on_file: OnFileState,
    pub holder: String,
    pub contact: String,
    pub mobile: String,
    pub invoice_title: String,
    pub taxpayer_id: String,
    pub email: String,
    pub amount: String,
}

/// 确认信息 while the flow asks the CA what it has on file.
#[must_use]
pub fn confirm_view(
    certificate: &CertificateSummary,
    on_file: &HolderLookup,
    amount: Fen,
) -> ConfirmView {
    let (state, details) = match on_file {
        HolderLookup::Found(details) => (OnFileState::Found, Some(&**details)),
        HolderLookup::Asking => (OnFileState::Asking, None),
        HolderLookup::NotAsked => (OnFileState::NotAsked, None),
        HolderLookup::NothingOnFile => (OnFileState::NothingOnFile, None),
    };
    view(
        state,
        certificate,
        details.map(|(c, _)| c),
        details.map(|(_, i)| i),
        amount,
    )
}

/// 确认信息 once confirmed, while the order is created.
#[must_use]
pub fn submitted_view(
    certificate: &CertificateSummary,
    contact: &Contact,
    invoice: &InvoiceInfo,
    amount: Fen,
) -> ConfirmView {
    view(
        OnFileState::Found,
        certificate,
        Some(contact),
        Some(invoice),
        amount,
    )
}

fn view(
    on_file: OnFileState,
    certificate: &CertificateSummary,
    contact: Option<&Contact>,
    invoice: Option<&InvoiceInfo>,
    amount: Fen,
) -> ConfirmView {
    let dash = || "—".to_owned();
    ConfirmView {
        on_file,
        holder: certificate.holder.clone(),
        contact: contact.map_or_else(dash, |c| c.name.as_str().to_owned()),
        mobile: contact.map_or_else(dash, |c| c.mobile.as_str().to_owned()),
        invoice_title: invoice.map_or_else(dash, |i| i.title.as_str().to_owned()),
        taxpayer_id: invoice.map_or_else(dash, |i| i.taxpayer_id.as_str().to_owned()),
        email: invoice.map_or_else(dash, |i| i.email.as_str().to_owned()),
        amount: amount.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;
    use kiosk_domain::order::OrderDetails;

    fn on_file() -> (Contact, InvoiceInfo) {
        match fixtures::renewal_order(1).details {
            OrderDetails::Renewal(d) => (d.contact, d.invoice),
            OrderDetails::Application(_) => unreachable!(),
        }
    }

    #[test]
    fn the_details_on_file_are_shown_in_full_to_be_checked() {
        let v = confirm_view(
            &fixtures::certificate(),
            &HolderLookup::Found(Box::new(on_file())),
            Fen(30_000),
        );
        assert_eq!(v.on_file, OnFileState::Found);
        assert_eq!(
            (v.contact.as_str(), v.mobile.as_str(), v.amount.as_str()),
            ("张三", fixtures::MOBILE, "¥300.00")
        );
        assert_eq!(v.email, "finance@example.com");
        let (contact, invoice) = on_file();
        assert_eq!(
            submitted_view(&fixtures::certificate(), &contact, &invoice, Fen(30_000)),
            v
        );
    }

    #[test]
    fn without_details_on_file_the_screen_says_why() {
        for (lookup, state) in [
            (HolderLookup::NotAsked, OnFileState::NotAsked),
            (HolderLookup::Asking, OnFileState::Asking),
            (HolderLookup::NothingOnFile, OnFileState::NothingOnFile),
        ] {
            let v = confirm_view(&fixtures::certificate(), &lookup, Fen(30_000));
            assert_eq!(v.on_file, state);
            assert_eq!((v.contact.as_str(), v.email.as_str()), ("—", "—"));
            assert_eq!(v.holder, "山西示例煤业有限公司");
        }
    }
}
