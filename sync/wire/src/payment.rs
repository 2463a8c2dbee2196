//! Payments: the aggregated QR code (`POST /v1/payments`, polled with
//! `GET /v1/payments/{id}`), a payment recorded by staff at the counter or
//! for a bank transfer (`POST /v1/admin/orders/{number}/payments`), and the
//! customer's remittance note the back office confirms
//! (`POST /v1/orders/{number}/remittance`).
//!
//! Amounts are integer fen. Status and method travel as stable strings (the
//! constants below), times as RFC 3339.

use crate::order::parse;
use crate::problem::Problem;
use kiosk_domain::lang::{Lang, Localized};
use kiosk_domain::money::Fen;
use kiosk_domain::order::text::{PersonName, Reference};
use kiosk_domain::order_number::OrderNumber;
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
}
