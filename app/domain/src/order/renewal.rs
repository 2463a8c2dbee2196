//! What a renewal order holds (spec §3.1, seed 001).

use super::text::{PersonName, UnitName};
use crate::ids::{Email, MobileNumber, TaxpayerId, Uscc};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A certificate as read from the customer's key: what the customer is shown
/// and what identifies it on the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSummary {
    /// 持有者: the unit's name from the subject.
    pub holder: String,
    /// The unit's USCC, when the subject carries one.
    pub uscc: Option<Uscc>,
    pub issuer: String,
    /// Serial number in upper-case hex.
    pub serial_hex: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// CKA_ID of the certificate and its private key on the token, in hex.
    pub key_id_hex: String,
}

/// 联系人 and 联系电话 (needed later to look the invoice up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: PersonName,
    pub mobile: MobileNumber,
}

/// 开票信息. The kiosk issues electronic invoices only (电子发票).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceInfo {
    /// 发票抬头: the unit's name.
    pub title: UnitName,
    /// 纳税人识别号: usually the USCC.
    pub taxpayer_id: TaxpayerId,
    /// Where the electronic invoice is sent.
    pub email: Email,
}

/// How far the install onto the token has come. Each step is recorded before
/// the next starts, so an interrupted install resumes where it stopped.
///
/// Every key pair generated for an order is tagged with the order number and
/// the attempt; keys of an abandoned attempt are found by that tag and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstallStep {
    /// Paid; nothing on the token yet.
    NotStarted,
    /// The new key pair exists on the token (private key never leaves it).
    KeyPairGenerated,
    /// The request, signed by the new key with proof of possession by the old
    /// key, was sent to the CA.
    RequestSent,
    /// The CA returned a certificate that matches the new public key and
    /// chains to the configured roots.
    CertificateVerified,
    /// The new certificate is on the token next to its key and reads back.
    CertificateWritten,
    /// The old certificate is marked superseded (kept or removed by policy).
    OldCertificateRetired,
}

/// The install record of a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallProgress {
    /// Starts at 1; raised when a recovery must throw away a half-made key.
    pub attempt: u32,
    pub step: InstallStep,
}

impl InstallProgress {
    /// Where an install continues on a kiosk that did not start it, from
    /// the latest attempt the CA issued for (`None`: none). If the CA
    /// issued, that attempt's key pair was made on the key: its certificate
    /// is asked for again and checked against it (if the key pair is gone,
    /// 异常恢复 starts a new attempt). Otherwise it starts at the key pair,
    /// taken as it is if the first kiosk made it.
    #[must_use]
    pub fn resumed(issued_attempt: Option<u32>) -> Self {
        match issued_attempt {
            Some(attempt) if attempt > 0 => Self {
                attempt,
                step: InstallStep::KeyPairGenerated,
            },
            _ => Self::default(),
        }
    }
}

impl Default for InstallProgress {
    fn default() -> Self {
        Self {
            attempt: 1,
            step: InstallStep::NotStarted,
        }
    }
}

/// The renewal-specific part of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalDetails {
    pub old_certificate: CertificateSummary,
    pub contact: Contact,
    pub invoice: InvoiceInfo,
    pub install: InstallProgress,
    /// The certificate the CA issued, once it was checked against the new
    /// key (what the receipt of a finished renewal shows).
    #[serde(default)]
    pub new_certificate: Option<CertificateSummary>,
}
