//! The order document (`PUT /v1/orders/{number}`) and the record the CA keeps.
//!
//! The document carries what the customer entered and what the attachments
//! will be; it does not carry the status, the payment or install progress,
//! which change on the kiosk after the order was queued. So the same order
//! always makes the same document, and a repeated upload (same
//! `Idempotency-Key`, same document) is recognised.

use crate::attachment::{AttachmentMetaV1, AttachmentStatusV1};
use crate::feed::StatusV1;
use crate::problem::Problem;
use kiosk_domain::ids::{Email, MobileNumber, ResidentId, TaxpayerId, Uscc};
use kiosk_domain::lang::Localized;
use kiosk_domain::order::application::{
    ApplicationDetails, MAX_ATTACHMENTS, MAX_SEAL_HOLDERS, Pickup, SealRole,
};
use kiosk_domain::order::attachment::MAX_ATTACHMENT_BYTES;
use kiosk_domain::order::renewal::{Contact, InvoiceInfo, RenewalDetails};
use kiosk_domain::order::status::Lifecycle;
use kiosk_domain::order::text::{Address, PersonName, Reference, UnitName};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::outbox::UploadAttachment;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::OffsetDateTime;

/// The body of `PUT /v1/orders/{number}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderV1 {
    pub number: String,
    /// When the kiosk created it (the kiosk's clock: informative only).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub amount_fen: i64,
    pub details: DetailsV1,
    /// The attachments that will follow, by position.
    pub attachments: Vec<AttachmentMetaV1>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "one document per order in flight; boxing would only add noise"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DetailsV1 {
    Renewal(RenewalV1),
    Application(ApplicationV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalV1 {
    /// The certificate being renewed: its serial in upper-case hex.
    pub certificate_serial_hex: String,
    pub contact_name: String,
    pub contact_mobile: String,
    pub invoice: InvoiceV1,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceV1 {
    pub title: String,
    pub taxpayer_id: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationV1 {
    pub agreement_version: String,
    pub project_code: String,
    pub unit_name: String,
    pub unit_uscc: String,
    pub unit_address: String,
    pub handler_name: String,
    pub handler_resident_id: String,
    pub handler_mobile: String,
    pub seal_holders: Vec<SealHolderV1>,
    pub invoice: InvoiceV1,
    pub pickup: PickupV1,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealHolderV1 {
    /// `trader` or `settler`.
    pub role: String,
    pub name: String,
    pub enterprise_number: Option<String>,
    pub user_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum PickupV1 {
    Mail {
        courier: Option<String>,
        recipient: String,
        phone: String,
        address: String,
    },
    OnSite,
}

/// What the CA keeps of an order: the answer to a create and to a submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecordV1 {
    pub number: String,
    pub status: StatusV1,
    /// Whether `POST .../submit` was accepted.
    pub submitted: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub attachments: Vec<AttachmentStatusV1>,
}

impl OrderV1 {
    /// The document for a queued order. Only attachments the customer agreed
    /// to send are listed (a face image needs both consents; without them it
    /// never leaves the kiosk); `attachments` is what the store returned.
    #[must_use]
    pub fn from_domain(order: &Order, attachments: &[UploadAttachment]) -> Self {
        let details = match &order.details {
            OrderDetails::Renewal(r) => DetailsV1::Renewal(renewal(r)),
            OrderDetails::Application(a) => DetailsV1::Application(application(a)),
        };
        Self {
            number: order.number.as_str().to_owned(),
            created_at: order.created_at,
            amount_fen: order.amount.0,
            details,
            attachments: sendable(order, attachments)
                .map(AttachmentMetaV1::of)
                .collect(),
        }
    }

    /// Checks every field with the domain's rules, as the CA does: the
    /// first broken rule is returned as an `invalid_field` problem.
    pub fn validate(&self) -> Result<ValidOrder, Box<Problem>> {
        let number: OrderNumber = parse("number", &self.number)?;
        if self.amount_fen < 0 {
            return Err(Box::new(
                Problem::new(crate::problem::ProblemCode::InvalidField)
                    .with_detail("amount_fen is negative"),
            ));
        }
        let (lifecycle, project_code) = match &self.details {
            DetailsV1::Renewal(r) => {
                check_serial(&r.certificate_serial_hex)?;
                parse::<PersonName>("details.contact_name", &r.contact_name)?;
                parse::<MobileNumber>("details.contact_mobile", &r.contact_mobile)?;
                check_invoice(&r.invoice)?;
                (Lifecycle::Renewal, None)
            }
            DetailsV1::Application(a) => {
                parse::<UnitName>("details.unit_name", &a.unit_name)?;
                parse::<Uscc>("details.unit_uscc", &a.unit_uscc)?;
                parse::<Address>("details.unit_address", &a.unit_address)?;
                parse::<PersonName>("details.handler_name", &a.handler_name)?;
                parse::<ResidentId>("details.handler_resident_id", &a.handler_resident_id)?;
                parse::<MobileNumber>("details.handler_mobile", &a.handler_mobile)?;
                parse::<Reference>("details.project_code", &a.project_code)?;
                parse::<Reference>("details.agreement_version", &a.agreement_version)?;
                // At least one e-seal (the kiosk's flow asks for one).
                if a.seal_holders.is_empty() || a.seal_holders.len() > MAX_SEAL_HOLDERS {
                    return Err(plain_invalid("details.seal_holders"));
                }
                for holder in &a.seal_holders {
                    if holder.role != "trader" && holder.role != "settler" {
                        return Err(plain_invalid("details.seal_holders.role"));
                    }
                    parse::<PersonName>("details.seal_holders.name", &holder.name)?;
                    for n in [&holder.enterprise_number, &holder.user_number]
                        .into_iter()
                        .flatten()
                    {
                        parse::<Reference>("details.seal_holders.number", n)?;
                    }
                }
                check_invoice(&a.invoice)?;
                let lifecycle = match &a.pickup {
                    PickupV1::Mail {
                        courier,
                        recipient,
                        phone,
                        address,
                    } => {
                        if let Some(c) = courier {
                            parse::<Reference>("details.pickup.courier", c)?;
                        }
                        parse::<PersonName>("details.pickup.recipient", recipient)?;
                        parse::<MobileNumber>("details.pickup.phone", phone)?;
                        parse::<Address>("details.pickup.address", address)?;
                        Lifecycle::ApplicationByMail
                    }
                    PickupV1::OnSite => Lifecycle::ApplicationOnSite,
                };
                (lifecycle, Some(a.project_code.clone()))
            }
        };
        // Bounded: what the CA keeps for one order cannot grow at will.
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(plain_invalid("attachments"));
        }
        let mut positions = Vec::new();
        for meta in &self.attachments {
            meta.validate()?;
            if positions.contains(&meta.position) {
                return Err(plain_invalid("attachments.position"));
            }
            positions.push(meta.position);
        }
        Ok(ValidOrder {
            number,
            lifecycle,
            project_code,
        })
    }
}

/// What the CA learns from a valid document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrder {
    pub number: OrderNumber,
    pub lifecycle: Lifecycle,
    /// The application's project (renewals have none).
    pub project_code: Option<String>,
}

/// The attachments that may leave the kiosk.
pub fn sendable<'a>(
    order: &'a Order,
    attachments: &'a [UploadAttachment],
) -> impl Iterator<Item = &'a UploadAttachment> + 'a {
    let face_allowed = match &order.details {
        OrderDetails::Application(a) => a.identity.may_upload_face(),
        OrderDetails::Renewal(_) => false,
    };
    attachments
        .iter()
        .filter(move |a| face_allowed || !a.kind.is_biometric())
}

fn renewal(r: &RenewalDetails) -> RenewalV1 {
    RenewalV1 {
        certificate_serial_hex: r.old_certificate.serial_hex.clone(),
        contact_name: r.contact.name.as_str().to_owned(),
        contact_mobile: r.contact.mobile.as_str().to_owned(),
        invoice: invoice(&r.invoice),
    }
}

fn invoice(i: &InvoiceInfo) -> InvoiceV1 {
    InvoiceV1 {
        title: i.title.as_str().to_owned(),
        taxpayer_id: i.taxpayer_id.as_str().to_owned(),
        email: i.email.as_str().to_owned(),
    }
}

fn application(a: &ApplicationDetails) -> ApplicationV1 {
    ApplicationV1 {
        agreement_version: a.agreement_version.clone(),
        project_code: a.project.code.as_str().to_owned(),
        unit_name: a.unit.name.as_str().to_owned(),
        unit_uscc: a.unit.uscc.as_str().to_owned(),
        unit_address: a.unit.address.as_str().to_owned(),
        handler_name: a.handler.name.as_str().to_owned(),
        handler_resident_id: a.handler.resident_id.as_str().to_owned(),
        handler_mobile: a.handler.mobile.as_str().to_owned(),
        seal_holders: a
            .seal_holders
            .iter()
            .map(|h| SealHolderV1 {
                role: match h.role {
                    SealRole::Trader => "trader",
                    SealRole::Settler => "settler",
                }
                .to_owned(),
                name: h.name.as_str().to_owned(),
                enterprise_number: h.enterprise_number.as_ref().map(|r| r.as_str().to_owned()),
                user_number: h.user_number.as_ref().map(|r| r.as_str().to_owned()),
            })
            .collect(),
        invoice: invoice(&a.invoice),
        pickup: match &a.pickup {
            Pickup::Mail {
                courier,
                recipient,
                phone,
                address,
            } => PickupV1::Mail {
                courier: courier.as_ref().map(|c| c.as_str().to_owned()),
                recipient: recipient.as_str().to_owned(),
                phone: phone.as_str().to_owned(),
                address: address.as_str().to_owned(),
            },
            Pickup::OnSite => PickupV1::OnSite,
        },
    }
}

/// A value as the protocol carries it: exactly the form the domain keeps
/// (no spaces around, no separators, no full-width or lower-case variants
/// of a code). People's ways of typing are undone on the kiosk, where they
/// type; between kiosk and CA one spelling, which the OpenAPI document can
/// state as a pattern.
pub(crate) trait Canonical {
    fn canonical(&self) -> &str;
}

macro_rules! canonical {
    ($($t:ty),*) => {$(
        impl Canonical for $t {
            fn canonical(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}

canonical!(
    Address,
    Email,
    MobileNumber,
    OrderNumber,
    PersonName,
    Reference,
    ResidentId,
    TaxpayerId,
    UnitName,
    Uscc
);

/// `value` read with the domain's rules as a person types it (spaces
/// around, separators, full-width and lower-case variants undone): for
/// what the kiosk reads from the CA, which may have kept it so.
pub(crate) fn parse_as_typed<T>(field: &str, value: &str) -> Result<T, Box<Problem>>
where
    T: FromStr,
    T::Err: Localized,
{
    value
        .parse()
        .map_err(|e: T::Err| Box::new(Problem::invalid_field(field, &e)))
}

/// [`parse`] when `strict`, else [`parse_as_typed`].
pub(crate) fn parse_with<T>(strict: bool, field: &str, value: &str) -> Result<T, Box<Problem>>
where
    T: FromStr + Canonical,
    T::Err: Localized,
{
    if strict {
        parse(field, value)
    } else {
        parse_as_typed(field, value)
    }
}

/// `value` read with the domain's rules, and only in its canonical form
/// ([`Canonical`]).
pub(crate) fn parse<T>(field: &str, value: &str) -> Result<T, Box<Problem>>
where
    T: FromStr + Canonical,
    T::Err: Localized,
{
    let parsed: T = parse_as_typed(field, value)?;
    if parsed.canonical() == value {
        Ok(parsed)
    } else {
        let mut p = plain_invalid(field);
        p.detail = Some(format!(
            "{field} is not in its canonical form (no spaces around it, no separators, upper case)"
        ));
        Err(p)
    }
}

fn plain_invalid(field: &str) -> Box<Problem> {
    let mut p = Problem::new(crate::problem::ProblemCode::InvalidField)
        .with_detail(format!("{field} is not valid"));
    p.field = Some(field.to_owned());
    Box::new(p)
}

impl RenewalV1 {
    /// The contact and invoice details, checked with the domain's rules.
    ///
    /// # Errors
    /// The first field that breaks a rule, as an `invalid_field` problem.
    pub fn on_file(&self) -> Result<(Contact, InvoiceInfo), Box<Problem>> {
        Ok((
            Contact {
                name: parse("details.contact_name", &self.contact_name)?,
                mobile: parse("details.contact_mobile", &self.contact_mobile)?,
            },
            InvoiceInfo {
                title: parse("details.invoice.title", &self.invoice.title)?,
                taxpayer_id: parse("details.invoice.taxpayer_id", &self.invoice.taxpayer_id)?,
                email: parse("details.invoice.email", &self.invoice.email)?,
            },
        ))
    }
}

fn check_invoice(i: &InvoiceV1) -> Result<(), Box<Problem>> {
    parse::<UnitName>("details.invoice.title", &i.title)?;
    parse::<TaxpayerId>("details.invoice.taxpayer_id", &i.taxpayer_id)?;
    parse::<Email>("details.invoice.email", &i.email)?;
    Ok(())
}

fn check_serial(serial: &str) -> Result<(), Box<Problem>> {
    let ok = !serial.is_empty()
        && serial.len() <= 64
        && serial.bytes().all(|c| c.is_ascii_hexdigit() || c == b':');
    if ok {
        Ok(())
    } else {
        Err(plain_invalid("details.certificate_serial_hex"))
    }
}

/// The largest attachment the protocol accepts, in bytes.
pub const MAX_ATTACHMENT_SIZE: u64 = MAX_ATTACHMENT_BYTES as u64;

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn only_the_canonical_spelling_travels() {
        assert!(parse::<MobileNumber>("mobile", fixtures::MOBILE).is_ok());
        assert!(parse::<Uscc>("uscc", fixtures::USCC).is_ok());
        assert!(parse::<PersonName>("name", "张三").is_ok());
        // What a person may type at the kiosk, and the kiosk undoes.
        for (field, refused) in [
            ("mobile", "+86 138-0013-8000"),
            ("mobile", " 13800138000"),
            ("uscc", "91110108551385082q"),
            ("name", " 张三 "),
        ] {
            let problem = match field {
                "mobile" => parse::<MobileNumber>(field, refused).err(),
                "uscc" => parse::<Uscc>(field, refused).err(),
                _ => parse::<PersonName>(field, refused).err(),
            }
            .unwrap_or_else(|| panic!("{refused:?} accepted"));
            assert_eq!(problem.field.as_deref(), Some(field));
        }
    }

    #[test]
    fn fixture_orders_make_valid_documents() {
        for order in [fixtures::renewal_order(1), fixtures::application_order(2)] {
            let doc = OrderV1::from_domain(&order, &[]);
            let valid = doc
                .validate()
                .map_err(|p| p.detail)
                .unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(valid.number, order.number);
            let json = serde_json::to_string(&doc).unwrap_or_default();
            let back: OrderV1 = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, doc);
        }
    }

    #[test]
    fn a_bad_resident_id_is_an_invalid_field_with_the_domain_messages() {
        let mut doc = OrderV1::from_domain(&fixtures::application_order(1), &[]);
        if let DetailsV1::Application(a) = &mut doc.details {
            a.handler_resident_id = "110105194912310021".to_owned();
        }
        let problem = doc.validate().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(problem.code, crate::problem::ProblemCode::InvalidField);
        assert_eq!(
            problem.field.as_deref(),
            Some("details.handler_resident_id")
        );
        assert!(!problem.message_zh_cn.is_empty());
    }

    /// What the CA keeps for one order is bounded: so many seal holders,
    /// so many attachments.
    #[test]
    fn holders_and_attachments_are_bounded() {
        let mut doc = OrderV1::from_domain(&fixtures::application_order(1), &[]);
        let meta = |position: u32| crate::attachment::AttachmentMetaV1 {
            position,
            kind: "business_licence".to_owned(),
            media_type: "image/jpeg".to_owned(),
            size: 1000,
            sha256: "ab".repeat(32),
        };
        doc.attachments = (0..u32::try_from(MAX_ATTACHMENTS).unwrap_or(0))
            .map(meta)
            .collect();
        let field = |doc: &OrderV1| doc.validate().err().and_then(|p| p.field);
        assert_eq!(field(&doc), None, "at the bound: accepted");
        doc.attachments.push(meta(99));
        assert_eq!(field(&doc).as_deref(), Some("attachments"));
        doc.attachments.clear();
        if let DetailsV1::Application(a) = &mut doc.details {
            let holder = a.seal_holders[0].clone();
            a.seal_holders = vec![holder; MAX_SEAL_HOLDERS + 1];
        }
        assert_eq!(field(&doc).as_deref(), Some("details.seal_holders"));
        if let DetailsV1::Application(a) = &mut doc.details {
            a.seal_holders.clear();
        }
        assert_eq!(field(&doc).as_deref(), Some("details.seal_holders"));
    }
}
