//! 确认信息: the form (prefilled with the CA's details on file when it has
//! them, typed when it has not or cannot be asked), checked field by field
//! with the domain's parsers; once submitted, the details shown masked.
#![forbid(unsafe_code)]

use crate::screens::fields;
use crate::{CheckedAs, ConfirmField, FieldCheck, OnFileState};
use kiosk_domain::flow::renewal::HolderLookup;
use kiosk_domain::money::Fen;
use kiosk_domain::order::renewal::{CertificateSummary, Contact, InvoiceInfo};

/// What 确认信息 shows of its flow's state.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmView {
    /// Whether the CA's details are in, being asked for, or why there are none.
    pub on_file: OnFileState,
    /// The order is being made with the details: shown masked, read-only.
    pub submitted: bool,
    pub holder: String,
    pub amount: String,
    /// What the fields should hold: the CA's details on file (filled into
    /// the fields the customer has not typed in), or the submitted details
    /// masked. `None`: leave the fields as they are.
    pub fill: Option<FormTexts>,
}

/// The form's five fields as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormTexts {
    pub contact: String,
    pub mobile: String,
    pub invoice_title: String,
    pub taxpayer_id: String,
    pub email: String,
}

impl FormTexts {
    fn of(contact: &Contact, invoice: &InvoiceInfo) -> Self {
        Self {
            contact: contact.name.as_str().to_owned(),
            mobile: contact.mobile.as_str().to_owned(),
            invoice_title: invoice.title.as_str().to_owned(),
            taxpayer_id: invoice.taxpayer_id.as_str().to_owned(),
            email: invoice.email.as_str().to_owned(),
        }
    }

    fn masked(contact: &Contact, invoice: &InvoiceInfo) -> Self {
        Self {
            contact: contact.name.masked(),
            mobile: contact.mobile.masked(),
            // A unit's name is public (it is on the certificate).
            invoice_title: invoice.title.as_str().to_owned(),
            taxpayer_id: invoice.taxpayer_id.masked(),
            email: invoice.email.masked(),
        }
    }

    /// The text of one field.
    #[must_use]
    pub fn get(&self, field: ConfirmField) -> &str {
        match field {
            ConfirmField::Contact => &self.contact,
            ConfirmField::Mobile => &self.mobile,
            ConfirmField::InvoiceTitle => &self.invoice_title,
            ConfirmField::TaxpayerId => &self.taxpayer_id,
            ConfirmField::Email => &self.email,
            ConfirmField::None => "",
        }
    }
}

/// The fields in the order they are on the screen.
pub const FIELDS: [ConfirmField; 5] = [
    ConfirmField::Contact,
    ConfirmField::Mobile,
    ConfirmField::InvoiceTitle,
    ConfirmField::TaxpayerId,
    ConfirmField::Email,
];

/// What the form's checks say: each field's check (`fine` where nothing is
/// to be shown), the first field that still needs attention, and the
/// details once every field parses.
#[derive(Debug, Clone, PartialEq)]
pub struct FormChecks {
    pub checks: [FieldCheck; 5],
    pub attention: ConfirmField,
    /// Whether that field is still empty (to be filled in, not corrected).
    pub attention_empty: bool,
    pub details: Option<(Contact, InvoiceInfo)>,
}

fn checked_as(field: ConfirmField) -> CheckedAs {
    match field {
        ConfirmField::Contact | ConfirmField::None => CheckedAs::PersonName,
        ConfirmField::Mobile => CheckedAs::Mobile,
        ConfirmField::InvoiceTitle => CheckedAs::UnitName,
        ConfirmField::TaxpayerId => CheckedAs::TaxpayerId,
        ConfirmField::Email => CheckedAs::Email,
    }
}

/// Checks the form with the domain's parsers. A value that is merely not
/// finished (nothing yet, too few digits) is only shown as a problem when
/// `reveal` is set (the customer asked to go on); a wrong one always is.
#[must_use]
pub fn check_form(texts: &FormTexts, reveal: bool) -> FormChecks {
    let contact = fields::person_name(&texts.contact);
    let mobile = fields::mobile(&texts.mobile);
    let title = fields::unit_name(&texts.invoice_title);
    let taxpayer_id = fields::taxpayer_id(&texts.taxpayer_id);
    let email = fields::email(&texts.email);
    let results = [
        contact.as_ref().err(),
        mobile.as_ref().err(),
        title.as_ref().err(),
        taxpayer_id.as_ref().err(),
        email.as_ref().err(),
    ];
    let attention = FIELDS
        .iter()
        .zip(&results)
        .find(|(_, r)| r.is_some())
        .map_or(ConfirmField::None, |(f, _)| *f);
    let checks = std::array::from_fn(|i| {
        let field = FIELDS[i];
        match results[i] {
            Some(check) if reveal || !fields::unfinished(check, texts.get(field)) => check.clone(),
            _ => fields::fine(checked_as(field)),
        }
    });
    let details = match (contact, mobile, title, taxpayer_id, email) {
        (Ok(name), Ok(mobile), Ok(title), Ok(taxpayer_id), Ok(email)) => Some((
            Contact { name, mobile },
            InvoiceInfo {
                title,
                taxpayer_id,
                email,
            },
        )),
        _ => None,
    };
    FormChecks {
        checks,
        attention,
        attention_empty: attention != ConfirmField::None && texts.get(attention).trim().is_empty(),
        details,
    }
}

/// 确认信息 while the flow asks the CA what it has on file, and after.
#[must_use]
pub fn confirm_view(
    certificate: &CertificateSummary,
    on_file: &HolderLookup,
    amount: Fen,
) -> ConfirmView {
    let (state, fill) = match on_file {
        HolderLookup::Found(details) => (
            OnFileState::Found,
            Some(FormTexts::of(&details.0, &details.1)),
        ),
        HolderLookup::Asking => (OnFileState::Asking, None),
        HolderLookup::NotAsked => (OnFileState::NotAsked, None),
        HolderLookup::NothingOnFile => (OnFileState::NothingOnFile, None),
    };
    ConfirmView {
        on_file: state,
        submitted: false,
        holder: certificate.holder.clone(),
        amount: amount.to_string(),
        fill,
    }
}

/// 确认信息 once confirmed, while the order is created: masked.
#[must_use]
pub fn submitted_view(
    certificate: &CertificateSummary,
    contact: &Contact,
    invoice: &InvoiceInfo,
    amount: Fen,
) -> ConfirmView {
    ConfirmView {
        on_file: OnFileState::Found,
        submitted: true,
        holder: certificate.holder.clone(),
        amount: amount.to_string(),
        fill: Some(FormTexts::masked(contact, invoice)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldProblem;
    use kiosk_domain::fixtures;
    use kiosk_domain::order::OrderDetails;

    fn on_file() -> (Contact, InvoiceInfo) {
        match fixtures::renewal_order(1).details {
            OrderDetails::Renewal(d) => (d.contact, d.invoice),
            OrderDetails::Application(_) => unreachable!(),
        }
    }

    #[test]
    fn the_details_on_file_fill_the_form_and_are_masked_once_submitted() {
        let v = confirm_view(
            &fixtures::certificate(),
            &HolderLookup::Found(Box::new(on_file())),
            Fen(30_000),
        );
        assert_eq!((v.on_file, v.submitted), (OnFileState::Found, false));
        let fill = v.fill.expect("the details on file");
        assert_eq!(
            (
                fill.contact.as_str(),
                fill.mobile.as_str(),
                v.amount.as_str()
            ),
            ("张三", fixtures::MOBILE, "¥300.00")
        );
        assert_eq!(fill.email, "finance@example.com");
        let checked = check_form(&fill, true);
        assert_eq!(checked.attention, ConfirmField::None);
        assert_eq!(checked.details, Some(on_file()));

        let (contact, invoice) = on_file();
        let v = submitted_view(&fixtures::certificate(), &contact, &invoice, Fen(30_000));
        assert!(v.submitted);
        let shown = v.fill.expect("masked");
        assert_eq!(shown.contact, "张*");
        assert!(!shown.mobile.contains(&fixtures::MOBILE[3..7]), "{shown:?}");
        assert_ne!(shown.email, "finance@example.com");
    }

    #[test]
    fn without_details_on_file_the_screen_says_why_and_the_form_is_empty() {
        for (lookup, state) in [
            (HolderLookup::NotAsked, OnFileState::NotAsked),
            (HolderLookup::Asking, OnFileState::Asking),
            (HolderLookup::NothingOnFile, OnFileState::NothingOnFile),
        ] {
            let v = confirm_view(&fixtures::certificate(), &lookup, Fen(30_000));
            assert_eq!((v.on_file, v.fill), (state, None));
            assert_eq!(v.holder, "山西示例煤业有限公司");
        }
    }

    #[test]
    fn the_form_names_the_first_field_needing_attention_and_shows_wrong_values_at_once() {
        let mut texts = FormTexts {
            contact: "李四".into(),
            mobile: "139".into(),
            ..FormTexts::default()
        };
        let checked = check_form(&texts, false);
        assert_eq!(checked.attention, ConfirmField::Mobile);
        assert!(!checked.attention_empty, "typed in part: to be corrected");
        // Unfinished: nothing said yet.
        assert!(
            checked
                .checks
                .iter()
                .all(|c| c.problem == FieldProblem::None)
        );
        // Asked to go on: every unfinished field says so.
        let checked = check_form(&texts, true);
        assert_eq!(checked.checks[1].problem, FieldProblem::Length);
        assert_eq!(checked.checks[2].problem, FieldProblem::Empty);
        // A 12-digit mobile is wrong, not unfinished.
        texts.mobile = "139123456789".into();
        assert_eq!(
            check_form(&texts, false).checks[1].problem,
            FieldProblem::Length
        );
        assert_eq!(check_form(&texts, false).details, None);
    }
}
