//! 现场领取 (spec §3.2 step 6): an application picked up at the hall. Once the
//! CA has made it ready (已制证), the customer finds it at a kiosk by its
//! number and mobile (`POST /v1/orders/pickup`), staff hand over a blank
//! key, the kiosk makes the key pair on it and sends the unit's request
//! (`POST /v1/orders/{number}/issuance`, per attempt like a renewal: the
//! same attempt and request get the same certificate, `GET` hands it back),
//! writes the certificate and the e-seals, and says so
//! (`POST /v1/orders/{number}/written`: 已完成).

use crate::feed::StatusV1;
use serde::{Deserialize, Serialize};

/// The answer to `POST /v1/orders/pickup` (the body is a
/// [`LookupV1`](crate::lookup::LookupV1): number and mobile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupV1 {
    pub number: String,
    pub status: StatusV1,
    /// Whether it is picked up at the hall (else it is mailed).
    pub on_site: bool,
    /// The unit the certificate is for: the request's subject.
    pub unit_name: String,
    pub uscc: String,
    /// How many e-seals come with the certificate.
    pub seals: u32,
    /// The latest attempt a certificate was issued for.
    pub issued_attempt: Option<u32>,
}

/// The body of `POST /v1/orders/{number}/issuance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnSiteRequestV1 {
    /// The mobile the order is followed with (the customer at the kiosk
    /// gave it).
    pub mobile: String,
    /// From 1; a new attempt for a key pair that was lost.
    pub attempt: u32,
    /// PKCS #10, DER, hex: signed on the blank key, subject the unit's.
    pub request_der_hex: String,
}

/// An e-seal as the CA delivers it: stored on the key as a data object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealObjectV1 {
    pub label: String,
    pub value_hex: String,
}

/// The certificate issued for (order, attempt) and the e-seals to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnSiteIssuedV1 {
    pub number: String,
    pub attempt: u32,
    pub certificate_der_hex: String,
    pub seals: Vec<SealObjectV1>,
}
