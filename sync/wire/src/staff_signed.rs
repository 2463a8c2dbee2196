//! What a member of staff declares at a kiosk and signs with their own
//! staff key, for the CA to act on: a payment they took
//! ([`crate::payment::CounterPaymentV1`]) or an order withdrawn
//! ([`OrderCancelV1`], `POST /v1/orders/{number}/cancellation`).
//!
//! Each body carries the same three fields of proof, spelt and checked
//! alike ([`StaffProof`]): when the key signed (`signed_at`), the member of
//! staff's certificate (`staff_certificate_der_hex`) and the signature
//! (`signature_hex`) over the domain's digest of the statement. Whether
//! the certificate and the signature are accepted is the CA's check, not
//! the wire's.

use crate::feed::StatusV1;
use crate::hex;
use crate::problem::Problem;
use kiosk_domain::lang::{Lang, Localized};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::counter::{OrderCancel, SignedOrderCancel};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The largest staff certificate a signed statement carries (DER): a
/// certificate of a few KiB, with room for long names and extensions.
pub const MAX_STAFF_CERTIFICATE_BYTES: usize = 16 * 1024;
/// The largest signature a signed statement carries: RSA-4096 is 512
/// bytes, P-256 `r || s` 64.
pub const MAX_STAFF_SIGNATURE_BYTES: usize = 1024;

/// The checked proof of a staff-signed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffProof {
    /// When the key signed it, in UTC, whole seconds.
    pub signed_at: OffsetDateTime,
    /// The member of staff's certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The staff key's signature over the statement's digest.
    pub signature: Vec<u8>,
}

/// The proof's three fields as the wire spells them.
pub(crate) struct ProofFields {
    pub signed_at: String,
    pub staff_certificate_der_hex: String,
    pub signature_hex: String,
}

/// The wire's spelling of a proof: `signed_at` RFC 3339 in UTC, whole
/// seconds; the certificate and the signature lower-case hex.
///
/// # Errors
/// `signed_at` cannot be written as RFC 3339 (a year outside 0..=9999).
pub(crate) fn proof_fields(
    signed_at: OffsetDateTime,
    certificate_der: &[u8],
    signature: &[u8],
) -> Result<ProofFields, time::error::Format> {
    Ok(ProofFields {
        signed_at: signed_at
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(signed_at)
            .format(&Rfc3339)?,
        staff_certificate_der_hex: hex::encode(certificate_der),
        signature_hex: hex::encode(signature),
    })
}

/// The proof's fields checked: the time RFC 3339 in whole seconds (one
/// spelling), the certificate and the signature hex of at most
/// [`MAX_STAFF_CERTIFICATE_BYTES`] and [`MAX_STAFF_SIGNATURE_BYTES`].
///
/// # Errors
/// `invalid_field`, naming the field.
pub(crate) fn check_proof(
    signed_at: &str,
    staff_certificate_der_hex: &str,
    signature_hex: &str,
) -> Result<StaffProof, Box<Problem>> {
    // The digest holds whole seconds: a fraction would be signed as
    // another time than the one sent. One spelling: upper-case `T` and
    // `Z`, no fraction (not even `.000`).
    let whole_seconds = signed_at
        .bytes()
        .all(|c| c.is_ascii_digit() || b"-:+TZ".contains(&c));
    let signed_at = OffsetDateTime::parse(signed_at, &Rfc3339)
        .ok()
        .filter(|_| whole_seconds)
        // In UTC, if that is a date `time` holds (not 9999-12-31T23:00:00-05:00).
        .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
        .ok_or_else(|| invalid("signed_at", ProofFieldError::Time))?;
    let bytes = |field: &str, text: &str, max: usize| {
        hex::decode(text)
            .filter(|b| !b.is_empty() && b.len() <= max)
            .ok_or_else(|| invalid(field, ProofFieldError::Hex))
    };
    Ok(StaffProof {
        signed_at,
        certificate_der: bytes(
            "staff_certificate_der_hex",
            staff_certificate_der_hex,
            MAX_STAFF_CERTIFICATE_BYTES,
        )?,
        signature: bytes("signature_hex", signature_hex, MAX_STAFF_SIGNATURE_BYTES)?,
    })
}

fn invalid(field: &str, error: ProofFieldError) -> Box<Problem> {
    Box::new(Problem::invalid_field(field, &error))
}

/// The proof's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProofFieldError {
    Time,
    Hex,
}

impl Localized for ProofFieldError {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Time => (
                "签名时间格式不正确",
                "The signing time must be an RFC 3339 time in whole seconds.",
            ),
            Self::Hex => (
                "工作人员证书或签名的数据格式不正确",
                "The staff certificate or signature is not hex of an acceptable length.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The body of `POST /v1/orders/{number}/cancellation`: a member of staff
/// withdraws one of the kiosk's orders that waits for its payment, signed
/// at the kiosk with their own staff key. The signature is over
/// [`OrderCancel::digest`] of the path's order number and `signed_at`.
/// Repeating it is harmless: an order cancelled already answers the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCancelV1 {
    /// When the staff key signed it: RFC 3339, whole seconds.
    pub signed_at: String,
    /// The member of staff's certificate, DER, hex.
    pub staff_certificate_der_hex: String,
    /// The staff key's signature over the digest, hex, as the token
    /// returned it (P-256: raw `r || s`; RSA: PKCS #1 v1.5).
    pub signature_hex: String,
}

impl OrderCancelV1 {
    /// The body the kiosk sends for `signed` (its order number goes in the
    /// path: [`crate::paths::order_cancellation`]).
    ///
    /// # Errors
    /// `signed_at` cannot be written as RFC 3339 (a year outside 0..=9999).
    pub fn from_domain(signed: &SignedOrderCancel) -> Result<Self, time::error::Format> {
        let fields = proof_fields(
            signed.cancel.signed_at,
            &signed.certificate_der,
            &signed.signature,
        )?;
        Ok(Self {
            signed_at: fields.signed_at,
            staff_certificate_der_hex: fields.staff_certificate_der_hex,
            signature_hex: fields.signature_hex,
        })
    }

    /// Every field checked, as a counter payment's proof.
    ///
    /// # Errors
    /// `invalid_field`, naming the field.
    pub fn validate(&self) -> Result<StaffProof, Box<Problem>> {
        check_proof(
            &self.signed_at,
            &self.staff_certificate_der_hex,
            &self.signature_hex,
        )
    }
}

impl StaffProof {
    /// The signed cancel of `order` (the path's number), as the kiosk
    /// built it: its signature must verify over its digest.
    #[must_use]
    pub fn into_order_cancel(self, order: OrderNumber) -> SignedOrderCancel {
        SignedOrderCancel {
            cancel: OrderCancel {
                order,
                signed_at: self.signed_at,
            },
            certificate_der: self.certificate_der,
            signature: self.signature,
        }
    }
}

/// The answer to `POST /v1/orders/{number}/cancellation`: the order and
/// the status the CA holds, [`StatusV1::Cancelled`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelledV1 {
    pub number: String,
    pub status: StatusV1,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> SignedOrderCancel {
        SignedOrderCancel {
            cancel: OrderCancel {
                order: kiosk_domain::fixtures::order_number(1),
                signed_at: time::macros::datetime!(2026-12-06 10:00:05 +8),
            },
            certificate_der: vec![0x30, 0x82, 0x01],
            signature: vec![7; 64],
        }
    }

    #[test]
    fn a_cancel_travels_whole_and_signs_the_same_digest() {
        let signed = signed();
        let body = OrderCancelV1::from_domain(&signed).ok();
        let body = body.as_ref();
        assert_eq!(
            body.map(|b| b.signed_at.as_str()),
            Some("2026-12-06T02:00:05Z")
        );
        let back = body
            .and_then(|b| b.validate().ok())
            .map(|v| v.into_order_cancel(signed.cancel.order));
        assert_eq!(
            back.as_ref().map(|b| b.cancel.digest()),
            Some(signed.cancel.digest())
        );
        assert_eq!(back, Some(signed));
    }

    #[test]
    fn a_cancel_is_checked_field_by_field_as_a_counter_payment() {
        let good = OrderCancelV1::from_domain(&signed()).ok();
        let Some(good) = good else {
            unreachable!("the fixture is writable")
        };
        let field = |body: OrderCancelV1| body.validate().err().and_then(|p| p.field);
        let cases = [
            (
                "signed_at",
                OrderCancelV1 {
                    signed_at: "2026-12-06T02:00:05.000Z".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "signed_at",
                OrderCancelV1 {
                    signed_at: "9999-12-31T23:59:59-23:59".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "staff_certificate_der_hex",
                OrderCancelV1 {
                    staff_certificate_der_hex: String::new(),
                    ..good.clone()
                },
            ),
            (
                "signature_hex",
                OrderCancelV1 {
                    signature_hex: "ab".repeat(MAX_STAFF_SIGNATURE_BYTES + 1),
                    ..good.clone()
                },
            ),
        ];
        for (name, body) in cases {
            assert_eq!(field(body).as_deref(), Some(name));
        }
        assert!(good.validate().is_ok());
        // Unknown fields are refused.
        let json = r#"{"signed_at":"2026-12-06T02:00:05Z","staff_certificate_der_hex":"30","signature_hex":"00","staff_name":"x"}"#;
        assert!(serde_json::from_str::<OrderCancelV1>(json).is_err());
    }

    #[test]
    fn the_answer_names_the_order_and_its_status() {
        let answer = OrderCancelledV1 {
            number: "TYA00000001".to_owned(),
            status: StatusV1::Cancelled,
        };
        assert_eq!(
            serde_json::to_value(&answer).ok(),
            Some(serde_json::json!({"number": "TYA00000001", "status": "cancelled"}))
        );
    }
}
