//! `POST /v1/renewals/{number}`: the new key's PKCS #10 request and the old
//! key's proof of possession in, the certificate out. Idempotent per
//! (order, attempt): the same attempt gets the same certificate back; a
//! different request for an attempt already issued is `renewal_conflict`.

use serde::{Deserialize, Serialize};

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
