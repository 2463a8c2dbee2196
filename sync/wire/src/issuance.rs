//! The CA's trust anchors (`GET /v1/ca/roots`), so that a demonstration
//! kiosk can be configured from the service it talks to, and demonstration
//! issuance (`POST /v1/admin/demo/issue`, only when the service runs with
//! `--demo`): a customer certificate for a PKCS #10 request, so that a fresh
//! test token can hold a certificate inside its renewal window.

use serde::{Deserialize, Serialize};

/// The answer of `GET /v1/ca/roots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaRootsV1 {
    /// The root certificate(s) that issue customer certificates, DER, hex.
    pub roots_der_hex: Vec<String>,
}

/// The longest validity demonstration issuance grants, in days.
pub const MAX_DEMO_VALIDITY_DAYS: u32 = 3650;

/// The body of `POST /v1/admin/demo/issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoIssueV1 {
    /// PKCS #10, DER, hex; its signature is checked.
    pub request_der_hex: String,
    /// From 1 to [`MAX_DEMO_VALIDITY_DAYS`]; e.g. 20 puts the certificate
    /// inside a 30-day renewal window.
    pub validity_days: u32,
}

/// The answer of `POST /v1/admin/demo/issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoIssuedV1 {
    pub certificate_der_hex: String,
}
