//! Payments: the aggregated QR code (`POST /v1/payments`, polled with
//! `GET /v1/payments/{id}`), a payment recorded by staff at the counter or
//! for a bank transfer (`POST /v1/admin/orders/{number}/payments`), the
//! same recorded at a kiosk and signed with the member of staff's own key
//! (`POST /v1/orders/{number}/counter-payments`), and the customer's
//! remittance note the back office confirms
//! (`POST /v1/orders/{number}/remittance`).
//!
//! Amounts are integer fen. Status and method travel as stable strings (the
//! constants below), times as RFC 3339.

use crate::order::parse;
use crate::problem::Problem;
use crate::staff_signed::{StaffProof, check_proof, proof_fields};
use kiosk_domain::lang::{Lang, Localized};
use kiosk_domain::money::Fen;
use kiosk_domain::order::text::{PersonName, Reference};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::counter::{CounterMethod, CounterPayment, SignedCounterPayment};
use serde::{Deserialize, Serialize};

/// `PaymentV1::status`: waiting for the customer.
pub const STATUS_PENDING: &str = "pending";
/// `PaymentV1::status`: confirmed; the order may go on.
pub const STATUS_PAID: &str = "paid";
/// `PaymentV1::status`: not paid in time; asking again makes a new one.
pub const STATUS_EXPIRED: &str = "expired";

/// `PaymentV1::method`: the aggregated QR code (WeChat, Alipay, UnionPay).
pub const METHOD_QR: &str = "qr";
/// `PaymentV1::method`: paid at the CA's counter.
pub const METHOD_COUNTER: &str = "counter";
/// `PaymentV1::method`: a bank transfer confirmed by the CA's finance.
pub const METHOD_BANK_TRANSFER: &str = "bank_transfer";

/// The largest amount the protocol accepts: 1,000,000 yuan. Anything above
/// is a unit mix-up, not a price.
pub const MAX_AMOUNT_FEN: i64 = 100_000_000;

/// The body of `POST /v1/payments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequestV1 {
    pub order_number: String,
    pub amount_fen: i64,
}

impl PaymentRequestV1 {
    /// The order number and amount, checked with the domain's rules.
    pub fn validate(&self) -> Result<(OrderNumber, Fen), Box<Problem>> {
        Ok((
            parse("order_number", &self.order_number)?,
            check_amount("amount_fen", self.amount_fen)?,
        ))
    }
}

/// A payment as the CA holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentV1 {
    pub id: String,
    pub order_number: String,
    pub amount_fen: i64,
    /// [`STATUS_PENDING`], [`STATUS_PAID`] or [`STATUS_EXPIRED`].
    pub status: String,
    /// [`METHOD_QR`], [`METHOD_COUNTER`] or [`METHOD_BANK_TRANSFER`].
    pub method: String,
    /// What the QR code encodes: an absolute URL of the provider's page
    /// (the CA's simulator). Empty for counter and bank payments.
    pub qr_payload: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339, once paid.
    #[serde(default)]
    pub paid_at: Option<String>,
    /// The provider's, till's or bank's reference, once paid.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The body of `POST /v1/admin/orders/{number}/payments`: staff record a
/// payment taken at the counter or a bank transfer finance has seen.
/// Idempotent per reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPaymentV1 {
    /// [`METHOD_COUNTER`] or [`METHOD_BANK_TRANSFER`].
    pub method: String,
    pub amount_fen: i64,
    pub reference: String,
}

/// A checked [`RecordPaymentV1`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRecordedPayment {
    pub method: &'static str,
    pub amount: Fen,
    pub reference: Reference,
}

impl RecordPaymentV1 {
    pub fn validate(&self) -> Result<ValidRecordedPayment, Box<Problem>> {
        let method = match self.method.as_str() {
            METHOD_COUNTER => METHOD_COUNTER,
            METHOD_BANK_TRANSFER => METHOD_BANK_TRANSFER,
            _ => return Err(invalid("method", &FieldError::Method)),
        };
        Ok(ValidRecordedPayment {
            method,
            amount: check_amount("amount_fen", self.amount_fen)?,
            reference: parse("reference", &self.reference)?,
        })
    }
}

pub use crate::staff_signed::{MAX_STAFF_CERTIFICATE_BYTES, MAX_STAFF_SIGNATURE_BYTES};

/// The body of `POST /v1/orders/{number}/counter-payments`: a payment a
/// member of staff took for one of the kiosk's orders (at the counter, or a
/// bank transfer finance has seen), signed at the kiosk with their own
/// staff key. The signature is over
/// [`CounterPayment::digest`](kiosk_domain::ports::counter::CounterPayment::digest)
/// of the path's order number and these fields, so the CA rebuilds the
/// statement from them and checks it with the certificate. Idempotent per
/// reference, as [`RecordPaymentV1`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterPaymentV1 {
    /// [`METHOD_COUNTER`] or [`METHOD_BANK_TRANSFER`].
    pub method: String,
    pub amount_fen: i64,
    /// The till's or bank's reference.
    pub reference: String,
    /// When the staff key signed it: RFC 3339, whole seconds.
    pub signed_at: String,
    /// The member of staff's certificate, DER, hex.
    pub staff_certificate_der_hex: String,
    /// The staff key's signature over the digest, hex, as the token
    /// returned it (P-256: raw `r || s`; RSA: PKCS #1 v1.5).
    pub signature_hex: String,
}

/// A checked [`CounterPaymentV1`]: the statement without its order number
/// (the path's) and its time, and the proof (with the time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCounterPayment {
    pub method: CounterMethod,
    pub amount: Fen,
    pub reference: Reference,
    pub proof: StaffProof,
}

impl ValidCounterPayment {
    /// The wire's word for the method ([`METHOD_COUNTER`] or
    /// [`METHOD_BANK_TRANSFER`]).
    #[must_use]
    pub fn method_str(&self) -> &'static str {
        method_word(self.method)
    }

    /// The signed statement about `order` (the path's number), as the
    /// kiosk built it: its signature must verify over its digest.
    #[must_use]
    pub fn into_domain(self, order: OrderNumber) -> SignedCounterPayment {
        SignedCounterPayment {
            payment: CounterPayment {
                order,
                method: self.method,
                amount: self.amount,
                reference: self.reference,
                signed_at: self.proof.signed_at,
            },
            certificate_der: self.proof.certificate_der,
            signature: self.proof.signature,
        }
    }
}

fn method_word(method: CounterMethod) -> &'static str {
    match method {
        CounterMethod::Counter => METHOD_COUNTER,
        CounterMethod::BankTransfer => METHOD_BANK_TRANSFER,
    }
}

impl CounterPaymentV1 {
    /// The body the kiosk sends for `signed` (its order number goes in the
    /// path: [`crate::paths::counter_payments`]).
    ///
    /// # Errors
    /// `signed_at` cannot be written as RFC 3339 (a year outside 0..=9999).
    pub fn from_domain(signed: &SignedCounterPayment) -> Result<Self, time::error::Format> {
        let payment = &signed.payment;
        let proof = proof_fields(
            payment.signed_at,
            &signed.certificate_der,
            &signed.signature,
        )?;
        Ok(Self {
            method: method_word(payment.method).to_owned(),
            amount_fen: payment.amount.0,
            reference: payment.reference.as_str().to_owned(),
            signed_at: proof.signed_at,
            staff_certificate_der_hex: proof.staff_certificate_der_hex,
            signature_hex: proof.signature_hex,
        })
    }

    /// Every field checked: the method one of the two, the amount as
    /// [`check_amount`], the reference with the domain's rules, the proof
    /// (time, certificate, signature) as every staff-signed statement's
    /// ([`crate::staff_signed`]). Whether the certificate and the
    /// signature are accepted is the CA's check, not the wire's.
    ///
    /// # Errors
    /// `invalid_field`, naming the field.
    pub fn validate(&self) -> Result<ValidCounterPayment, Box<Problem>> {
        let method = match self.method.as_str() {
            METHOD_COUNTER => CounterMethod::Counter,
            METHOD_BANK_TRANSFER => CounterMethod::BankTransfer,
            _ => return Err(invalid("method", &FieldError::Method)),
        };
        let amount = check_amount("amount_fen", self.amount_fen)?;
        let reference = parse("reference", &self.reference)?;
        Ok(ValidCounterPayment {
            method,
            amount,
            reference,
            proof: check_proof(
                &self.signed_at,
                &self.staff_certificate_der_hex,
                &self.signature_hex,
            )?,
        })
    }
}

/// The body of `POST /v1/orders/{number}/remittance`: the customer says they
/// paid by bank transfer; finance confirms it in the back office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemittanceV1 {
    pub payer_name: String,
    pub bank_reference: String,
    pub amount_fen: i64,
}

/// A checked [`RemittanceV1`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRemittance {
    pub payer_name: PersonName,
    pub bank_reference: Reference,
    pub amount: Fen,
}

impl RemittanceV1 {
    pub fn validate(&self) -> Result<ValidRemittance, Box<Problem>> {
        Ok(ValidRemittance {
            payer_name: parse("payer_name", &self.payer_name)?,
            bank_reference: parse("bank_reference", &self.bank_reference)?,
            amount: check_amount("amount_fen", self.amount_fen)?,
        })
    }
}

/// `RemittanceRecordV1::status`: waiting for finance.
pub const REMITTANCE_PENDING: &str = "pending";
/// `RemittanceRecordV1::status`: finance saw the money; a payment exists.
pub const REMITTANCE_CONFIRMED: &str = "confirmed";

/// A remittance note as the CA holds it. The payer's name is personal data:
/// it is shown to the back office, never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemittanceRecordV1 {
    pub id: String,
    pub order_number: String,
    pub payer_name: String,
    pub bank_reference: String,
    pub amount_fen: i64,
    /// [`REMITTANCE_PENDING`] or [`REMITTANCE_CONFIRMED`].
    pub status: String,
    /// RFC 3339.
    pub received_at: String,
    /// The payment made when finance confirmed it.
    #[serde(default)]
    pub payment_id: Option<String>,
}

/// A positive amount of at most [`MAX_AMOUNT_FEN`].
pub fn check_amount(field: &str, amount_fen: i64) -> Result<Fen, Box<Problem>> {
    if amount_fen <= 0 {
        return Err(invalid(field, &FieldError::AmountNotPositive));
    }
    if amount_fen > MAX_AMOUNT_FEN {
        return Err(invalid(field, &FieldError::AmountTooLarge));
    }
    Ok(Fen(amount_fen))
}

fn invalid(field: &str, error: &FieldError) -> Box<Problem> {
    Box::new(Problem::invalid_field(field, error))
}

/// Rules of this module that the domain's types do not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldError {
    AmountNotPositive,
    AmountTooLarge,
    Method,
}

impl Localized for FieldError {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::AmountNotPositive => ("金额必须大于零", "The amount must be more than zero."),
            Self::AmountTooLarge => (
                "金额超出上限，请核对",
                "The amount is too large. Please check it.",
            ),
            Self::Method => (
                "付款方式应为柜台付款或银行汇款",
                "The payment method must be counter or bank transfer.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    #[test]
    fn amounts_must_be_positive_and_bounded() {
        assert_eq!(check_amount("a", 1).ok(), Some(Fen(1)));
        for bad in [0, -1, MAX_AMOUNT_FEN + 1] {
            let p = check_amount("a", bad).err().map(|p| (p.code, p.field));
            assert_eq!(p, Some((ProblemCode::InvalidField, Some("a".to_owned()))));
        }
    }

    #[test]
    fn a_recorded_payment_needs_a_known_method() {
        let body = RecordPaymentV1 {
            method: "cash".to_owned(),
            amount_fen: 100,
            reference: "T1".to_owned(),
        };
        assert!(body.validate().is_err());
        let ok = RecordPaymentV1 {
            method: METHOD_COUNTER.to_owned(),
            ..body
        };
        assert_eq!(ok.validate().map(|v| v.method).ok(), Some(METHOD_COUNTER));
    }

    fn signed() -> SignedCounterPayment {
        SignedCounterPayment {
            payment: CounterPayment {
                order: kiosk_domain::fixtures::order_number(1),
                method: CounterMethod::BankTransfer,
                amount: Fen(30_000),
                reference: "BANK-0001".parse().unwrap_or_else(|_| unreachable!()),
                signed_at: time::macros::datetime!(2026-12-06 10:00:05 +8),
            },
            certificate_der: vec![0x30, 0x82, 0x01],
            signature: vec![7; 64],
        }
    }

    #[test]
    fn a_counter_payment_travels_whole_and_signs_the_same_digest() {
        let signed = signed();
        let body = CounterPaymentV1::from_domain(&signed).ok();
        let body = body.as_ref();
        assert_eq!(
            body.map(|b| (b.method.as_str(), b.signed_at.as_str())),
            Some((METHOD_BANK_TRANSFER, "2026-12-06T02:00:05Z"))
        );
        let back = body
            .and_then(|b| b.validate().ok())
            .map(|v| v.into_domain(signed.payment.order));
        assert_eq!(
            back.as_ref().map(|b| b.payment.digest()),
            Some(signed.payment.digest())
        );
        assert_eq!(back, Some(signed));
    }

    #[test]
    fn a_counter_payment_is_checked_field_by_field() {
        let good = CounterPaymentV1::from_domain(&signed()).ok();
        let Some(good) = good else {
            unreachable!("the fixture is writable")
        };
        let field = |body: CounterPaymentV1| body.validate().err().and_then(|p| p.field);
        let cases = [
            (
                "method",
                CounterPaymentV1 {
                    method: "qr".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "amount_fen",
                CounterPaymentV1 {
                    amount_fen: 0,
                    ..good.clone()
                },
            ),
            (
                "reference",
                CounterPaymentV1 {
                    reference: " T1".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "signed_at",
                CounterPaymentV1 {
                    signed_at: "2026-12-06T02:00:05.5Z".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "signed_at",
                CounterPaymentV1 {
                    signed_at: "yesterday".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "staff_certificate_der_hex",
                CounterPaymentV1 {
                    staff_certificate_der_hex: String::new(),
                    ..good.clone()
                },
            ),
            (
                "staff_certificate_der_hex",
                CounterPaymentV1 {
                    staff_certificate_der_hex: "ab".repeat(MAX_STAFF_CERTIFICATE_BYTES + 1),
                    ..good.clone()
                },
            ),
            (
                "signature_hex",
                CounterPaymentV1 {
                    signature_hex: "0g".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "signature_hex",
                CounterPaymentV1 {
                    signature_hex: "ab".repeat(MAX_STAFF_SIGNATURE_BYTES + 1),
                    ..good.clone()
                },
            ),
        ];
        for (name, body) in cases {
            assert_eq!(field(body).as_deref(), Some(name));
        }
        let at_limits = CounterPaymentV1 {
            staff_certificate_der_hex: "AB".repeat(MAX_STAFF_CERTIFICATE_BYTES),
            signature_hex: "ab".repeat(MAX_STAFF_SIGNATURE_BYTES),
            signed_at: "2026-12-06T10:00:05+08:00".to_owned(),
            ..good
        };
        assert!(at_limits.validate().is_ok());
        // Unknown fields are refused.
        let json = r#"{"method":"counter","amount_fen":1,"reference":"T","signed_at":"2026-12-06T02:00:05Z","staff_certificate_der_hex":"30","signature_hex":"00","staff_name":"x"}"#;
        assert!(serde_json::from_str::<CounterPaymentV1>(json).is_err());
    }
}
