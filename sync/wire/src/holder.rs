//! The contact and invoice details the CA keeps for a certificate's holder
//! (`GET /v1/certificates/{serial}/holder`), so that 确认信息 on a renewal
//! shows what is on file and the customer confirms it. Staff (or the demo)
//! set them with `PUT /v1/admin/certificates/{serial}/holder`; a renewal
//! carries them over to the new certificate.
//!
//! `serial` is the certificate's serial number in upper-case hex without
//! leading zeros, as `kiosk-x509` summarises it.

use crate::order::parse_with;
use crate::problem::Problem;
use kiosk_domain::ids::{Email, MobileNumber, TaxpayerId};
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_domain::order::text::{PersonName, UnitName};
use serde::{Deserialize, Serialize};

/// The body of the `PUT` and the answer of the `GET`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderV1 {
    /// 联系人.
    pub contact_name: String,
    /// 联系电话 (a mainland mobile number).
    pub mobile: String,
    /// Where the electronic invoice is sent.
    pub email: String,
    /// 发票抬头: the unit's name.
    pub invoice_title: String,
    /// 纳税人识别号.
    pub taxpayer_id: String,
}

impl HolderV1 {
    /// The details as the domain holds them, each checked with its rules
    /// and in its one spelling (what the CA takes from staff).
    pub fn validate(&self) -> Result<(Contact, InvoiceInfo), Box<Problem>> {
        self.details(true)
    }

    /// The same as the kiosk reads the CA's answer: each value read as a
    /// person would type it, so details the CA kept before it required one
    /// spelling still fill 确认信息.
    pub fn read(&self) -> Result<(Contact, InvoiceInfo), Box<Problem>> {
        self.details(false)
    }

    fn details(&self, strict: bool) -> Result<(Contact, InvoiceInfo), Box<Problem>> {
        Ok((
            Contact {
                name: parse_with::<PersonName>(strict, "contact_name", &self.contact_name)?,
                mobile: parse_with::<MobileNumber>(strict, "mobile", &self.mobile)?,
            },
            InvoiceInfo {
                title: parse_with::<UnitName>(strict, "invoice_title", &self.invoice_title)?,
                taxpayer_id: parse_with::<TaxpayerId>(strict, "taxpayer_id", &self.taxpayer_id)?,
                email: parse_with::<Email>(strict, "email", &self.email)?,
            },
        ))
    }
}

/// A serial number as the path carries it: hex digits only, at most 40
/// (RFC 5280 allows 20 octets), upper case.
#[must_use]
pub fn normalise_serial(serial: &str) -> Option<String> {
    let s = serial.trim_start_matches('0');
    let ok = !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_hexdigit());
    ok.then(|| s.to_ascii_uppercase())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn holder() -> HolderV1 {
        HolderV1 {
            contact_name: "李明".to_owned(),
            mobile: "13800138000".to_owned(),
            email: "invoice@example.cn".to_owned(),
            invoice_title: "演示科技有限公司".to_owned(),
            taxpayer_id: "91110108551385082Q".to_owned(),
        }
    }

    #[test]
    fn valid_details_pass_and_each_bad_field_is_named() {
        let (contact, invoice) = holder().validate().unwrap();
        assert_eq!(contact.mobile.as_str(), "13800138000");
        assert_eq!(invoice.taxpayer_id.as_str(), "91110108551385082Q");
        let mut bad = holder();
        bad.mobile = "12345".to_owned();
        assert_eq!(bad.validate().unwrap_err().field.as_deref(), Some("mobile"));
        let mut bad = holder();
        bad.email = "no-at-sign".to_owned();
        assert_eq!(bad.validate().unwrap_err().field.as_deref(), Some("email"));
    }

    #[test]
    fn the_ca_takes_one_spelling_and_the_kiosk_reads_as_typed() {
        let typed = HolderV1 {
            contact_name: " 李明 ".to_owned(),
            mobile: "+86 138-0013-8000".to_owned(),
            ..holder()
        };
        let problem = typed.validate().unwrap_err();
        assert_eq!(problem.field.as_deref(), Some("contact_name"));
        let (contact, _) = typed.read().unwrap();
        assert_eq!(contact.name.as_str(), "李明");
        assert_eq!(contact.mobile.as_str(), "13800138000");
    }

    #[test]
    fn serials_are_normalised_and_garbage_refused() {
        assert_eq!(normalise_serial("00ab12").as_deref(), Some("AB12"));
        assert_eq!(normalise_serial("AB12").as_deref(), Some("AB12"));
        assert_eq!(normalise_serial("zz"), None);
        assert_eq!(normalise_serial("000"), None);
        assert_eq!(normalise_serial(&"F".repeat(41)), None);
    }
}
