//! `POST /v1/renewals/{number}`: the new key's PKCS #10 request and the old
//! key's proof of possession in, the certificate out. Idempotent per
//! (order, attempt): the same attempt gets the same certificate back; a
//! different request for an attempt already issued is `renewal_conflict`.

use crate::order::RenewalV1;
use crate::payment::PaymentV1;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The key algorithms of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum KeyAlgorithmV1 {
    EcP256,
    Rsa { bits: u32 },
}

/// The old key's signature over SHA-256 of the request's DER.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofV1 {
    pub old_certificate_der_hex: String,
    pub signature_hex: String,
    pub algorithm: KeyAlgorithmV1,
}

/// The body of `POST /v1/renewals/{number}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalRequestV1 {
    /// The install attempt (`InstallProgress::attempt`), from 1.
    pub attempt: u32,
    /// PKCS #10, DER, hex.
    pub request_der_hex: String,
    pub proof: ProofV1,
}

/// The answer: the certificate and the chain up to (not including) the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalIssuedV1 {
    pub number: String,
    pub attempt: u32,
    pub certificate_der_hex: String,
    pub intermediates_der_hex: Vec<String>,
}

/// The body of `POST /v1/renewals/open`: which certificate (the serial is
/// kept out of URLs and so out of access logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRenewalsV1 {
    /// Upper-case hex, as in the order document.
    pub certificate_serial_hex: String,
}

/// One renewal paid at the CA whose install it has not heard finished: what
/// another kiosk needs to finish it on the same paid order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRenewalV1 {
    pub number: String,
    /// When the kiosk that took it created it (from its order document).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub amount_fen: i64,
    /// The order document's details, as the kiosk sent them.
    pub details: RenewalV1,
    /// The paid payment.
    pub payment: PaymentV1,
    /// The latest attempt the CA issued a certificate for.
    pub issued_attempt: Option<u32>,
}

/// The answer to `POST /v1/renewals/open` (normally none or one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRenewalsAnswerV1 {
    pub renewals: Vec<OpenRenewalV1>,
}

/// The body of `POST /v1/renewals/check`: may this certificate (DER, hex,
/// as read from the customer's key) be renewed now? The kiosk asks after the
/// PIN and before it opens any payment, so no one pays for a refusal; the
/// CA makes the same checks again when it issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewabilityQueryV1 {
    pub certificate_der_hex: String,
}

/// What the CA says about renewing a certificate now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewabilityVerdictV1 {
    /// A paid renewal of it would be issued.
    Renewable,
    /// Outside the CA's renewal window (too early, or expired too long).
    OutsideWindow,
    /// A later certificate superseded it (it is on the CA's revocation list).
    Superseded,
    /// Another order renewed it already: its holder renews the new one.
    RenewedAlready,
    /// Neither the CA nor (with `--demo`) its demonstration CA issued it.
    UnknownCertificate,
}

/// The answer to `POST /v1/renewals/check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewabilityV1 {
    pub verdict: RenewabilityVerdictV1,
    /// Why, for logs and staff (never personal data).
    pub detail: String,
}

/// The body of `POST /v1/renewals/{number}/installed`: the certificate of
/// this attempt is on the key and the old one retired. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledV1 {
    pub attempt: u32,
}
