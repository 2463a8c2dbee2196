//! The CA as the flows need it, in the domain's words: the holder's details
//! on file, the payment of an order, and the certificate of a renewal. The
//! protocol (HTTP, JSON, problem codes, status strings) is `sync/`'s
//! business: `kiosk-sync-client` implements [`CaPort`], and nothing outside
//! `sync/` interprets the wire.
//!
//! Calls are `async`: the kiosk runs them on its sync runtime, and their
//! answers come back to the flow thread as events, so a slow CA never stops
//! the screen, the idle timer or the key watch.

use crate::ids::{MobileNumber, ResidentId};
use crate::money::Fen;
use crate::order::application::Catalogue;
use crate::order::payment::{Payment, PaymentMethod};
use crate::order::renewal::{Contact, InvoiceInfo};
use crate::order::status::{Lifecycle, OrderStatus};
use crate::order::text::{PersonName, Reference};
use crate::order_number::OrderNumber;
use std::future::Future;
use time::OffsetDateTime;

/// Why a call to the CA did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    /// No answer (network, TLS, timeout) or the CA said it cannot serve now:
    /// try again later.
    #[error("the CA cannot be reached: {0}")]
    Unreachable(String),
    /// The CA does not know the order yet: the outbox is still delivering it.
    #[error("the CA does not have the order yet")]
    OrderNotYetKnown,
    /// The CA has no payment for the order yet.
    #[error("the order is not paid at the CA")]
    NotPaid,
    /// The CA refused the request for good.
    #[error("the CA refused: {reason:?}")]
    Refused { reason: Refusal },
    /// The CA answered something the kiosk cannot use.
    #[error("the CA's answer is not usable: {0}")]
    Invalid(String),
}

impl CaError {
    /// Whether the CA answered at all (so the link is up).
    #[must_use]
    pub fn reached_ca(&self) -> bool {
        !matches!(self, Self::Unreachable(_))
    }
}

/// Why the CA refused for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The old key's proof of possession does not verify.
    ProofRejected,
    /// The old certificate is not one of this CA's (or not renewable).
    UnknownCertificate,
    /// The certificate request itself was refused.
    RequestRejected,
    /// A payment of another amount exists, or the order is paid otherwise.
    AmountMismatch,
    /// Anything else the CA will not do.
    Other,
}

/// How the CA says an order was paid (or is to be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    Qr,
    Counter,
    BankTransfer,
}

/// Where a payment stands at the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid,
    Expired,
}

/// A payment as the CA holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInfo {
    pub id: String,
    pub order: OrderNumber,
    pub amount: Fen,
    pub status: PaymentStatus,
    pub kind: PaymentKind,
    /// What the aggregated QR code encodes (the provider's page).
    pub qr_payload: String,
    pub expires_at: OffsetDateTime,
    /// The provider's, till's or bank's reference, once paid.
    pub reference: Option<String>,
    pub paid_at: Option<OffsetDateTime>,
}

/// The aggregated payment QR code and when the CA cancels the unpaid order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentQr {
    /// The CA's payment, polled until it is paid or expires.
    pub payment_id: String,
    pub payload: String,
    pub expires_at: OffsetDateTime,
}

/// What a payment the CA reports means for an order of an amount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PaymentAnswer {
    /// Open: the QR code to show until it is paid or expires.
    Waiting(PaymentQr),
    /// Paid, for this order and this very amount.
    Paid(Payment),
    /// The QR code expired unpaid.
    Expired,
    /// Paid, but not so the kiosk can record it (another order or amount,
    /// a bank transfer, no reference): never taken as paid.
    Unusable(PaymentMismatch),
}

/// Why a payment the CA reports cannot be recorded on the order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum PaymentMismatch {
    #[error("the payment is not paid")]
    NotPaid,
    #[error("the payment is for another order")]
    OtherOrder,
    #[error("the paid amount is not the order's")]
    Amount,
    #[error("a renewal is not paid by bank transfer")]
    BankTransfer,
    #[error("the payment reference is not usable")]
    Reference,
}

impl PaymentInfo {
    /// What this payment means for `order` of `amount` (`now` dates a
    /// payment the CA gave no time for).
    #[must_use]
    pub fn answer(self, order: OrderNumber, amount: Fen, now: OffsetDateTime) -> PaymentAnswer {
        match self.status {
            PaymentStatus::Pending => PaymentAnswer::Waiting(PaymentQr {
                payment_id: self.id,
                payload: self.qr_payload,
                expires_at: self.expires_at,
            }),
            PaymentStatus::Expired => PaymentAnswer::Expired,
            PaymentStatus::Paid => match self.confirmed_payment(order, amount, now) {
                Ok(payment) => PaymentAnswer::Paid(payment),
                Err(e) => PaymentAnswer::Unusable(e),
            },
        }
    }

    /// The payment to record on `order` of `amount`, when the CA says it is
    /// paid: for this order, this very amount, and by a way a renewal is
    /// paid (QR or counter). `now` dates it when the CA gave no time.
    ///
    /// # Errors
    /// Not paid, another order or amount, a bank transfer, or no usable
    /// reference: the order stays unpaid.
    pub fn confirmed_payment(
        &self,
        order: OrderNumber,
        amount: Fen,
        now: OffsetDateTime,
    ) -> Result<Payment, PaymentMismatch> {
        if self.status != PaymentStatus::Paid {
            return Err(PaymentMismatch::NotPaid);
        }
        if self.order != order {
            return Err(PaymentMismatch::OtherOrder);
        }
        if self.amount != amount {
            return Err(PaymentMismatch::Amount);
        }
        let reference: Reference = self
            .reference
            .as_deref()
            .unwrap_or(self.id.as_str())
            .parse()
            .map_err(|_| PaymentMismatch::Reference)?;
        let method = match self.kind {
            PaymentKind::Qr => PaymentMethod::AggregatedQr,
            // The CA's record carries the till's reference; who took the
            // money is in the CA's own audit.
            PaymentKind::Counter => PaymentMethod::Counter {
                staff_id: reference.clone(),
            },
            PaymentKind::BankTransfer => return Err(PaymentMismatch::BankTransfer),
        };
        Ok(Payment {
            method,
            amount: self.amount,
            reference,
            confirmed_at: self.paid_at.unwrap_or(now),
        })
    }
}

/// The key algorithm of the old key's proof of possession.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofAlgorithm {
    EcP256,
    Rsa { bits: u32 },
}

/// What a renewal sends: the new key's PKCS#10 request and the old key's
/// proof of possession over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalRequest {
    /// The install attempt, from 1.
    pub attempt: u32,
    /// PKCS#10, DER, signed by the new key.
    pub csr_der: Vec<u8>,
    /// The old certificate, DER.
    pub old_certificate_der: Vec<u8>,
    /// The old key's signature over SHA-256 of `csr_der`.
    pub signature: Vec<u8>,
    pub algorithm: ProofAlgorithm,
}

/// The certificate the CA issued for a renewal attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    pub order: OrderNumber,
    pub attempt: u32,
    /// DER.
    pub certificate_der: Vec<u8>,
    /// The chain up to (not including) the root, DER each.
    pub intermediates_der: Vec<Vec<u8>>,
}

/// An order as the CA has it now, for 查询订单: its status and amount,
/// nothing personal (the CA's answer to a number and its mobile).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderAtCa {
    pub number: OrderNumber,
    pub lifecycle: Lifecycle,
    pub status: OrderStatus,
    /// The reviewer's reason, when 审核未通过.
    pub reason: Option<String>,
    pub amount: Fen,
    /// When the kiosk that took it created it.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The invoice's page, once issued (已开票).
    pub invoice_url: Option<String>,
}

impl OrderAtCa {
    /// Whether it can be paid from 查询订单: a reviewed application waiting
    /// for its payment (a renewal is paid with its key, in its own flow).
    #[must_use]
    pub fn payable(&self) -> bool {
        self.status == OrderStatus::AwaitingPayment && self.lifecycle != Lifecycle::Renewal
    }
}

/// The identity service's answer (实人认证, 检验).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FaceVerdict {
    /// 一致: the face is the person with this name and ID number.
    Match,
    /// 不一致.
    NoMatch,
    /// The service holds nothing to compare with: the CA's review decides.
    NoReference,
}

/// The contact and invoice details the CA has on file for a certificate.
pub type OnFile = (Contact, InvoiceInfo);

/// The CA. Every call is idempotent at the CA, so a call repeated after a
/// lost answer or a crash does nothing twice.
pub trait CaPort: Clone + Send + Sync + 'static {
    /// A light request that only shows whether the CA answers.
    fn probe(&self) -> impl Future<Output = Result<(), CaError>> + Send;

    /// What the CA offers to apply for now (projects, prices, agreement),
    /// stamped `fetched` (when the kiosk asked).
    fn catalogue(
        &self,
        fetched: OffsetDateTime,
    ) -> impl Future<Output = Result<Catalogue, CaError>> + Send;

    /// The order with this number followed with this mobile, as the CA has
    /// it now; `None` when the CA has no such order or the mobile is not its
    /// own (one answer for both).
    fn lookup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> impl Future<Output = Result<Option<OrderAtCa>, CaError>> + Send;

    /// Whether the face in `photo_jpeg` is the person with this name and ID
    /// number, as the CA's identity service judges it.
    fn verify_face(
        &self,
        name: &PersonName,
        resident_id: &ResidentId,
        photo_jpeg: Vec<u8>,
    ) -> impl Future<Output = Result<FaceVerdict, CaError>> + Send;

    /// The details on file for the holder of the certificate with this
    /// serial (upper-case hex); `None` when the CA has none.
    fn holder(
        &self,
        serial_hex: &str,
    ) -> impl Future<Output = Result<Option<OnFile>, CaError>> + Send;

    /// The aggregated QR payment of `order` for `amount`: created, or the
    /// one that exists (also when it is paid already).
    fn create_payment(
        &self,
        order: OrderNumber,
        amount: Fen,
    ) -> impl Future<Output = Result<PaymentInfo, CaError>> + Send;

    /// A payment as it stands now.
    fn payment(&self, id: &str) -> impl Future<Output = Result<PaymentInfo, CaError>> + Send;

    /// Notes a bank transfer of `amount` for `order`, made by `payer` under
    /// the bank's `reference`, for the CA's finance staff to match with the
    /// money (the same reference again is the same note).
    fn note_remittance(
        &self,
        order: OrderNumber,
        amount: Fen,
        payer: &PersonName,
        reference: &Reference,
    ) -> impl Future<Output = Result<(), CaError>> + Send;

    /// Sends a renewal request; the same (order, attempt) gets the same
    /// certificate back.
    fn renew(
        &self,
        order: OrderNumber,
        request: &RenewalRequest,
    ) -> impl Future<Output = Result<IssuedCertificate, CaError>> + Send;

    /// What the CA issued for this attempt already, if anything.
    fn issued(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> impl Future<Output = Result<Option<IssuedCertificate>, CaError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::fixtures;

    fn paid(kind: PaymentKind) -> PaymentInfo {
        PaymentInfo {
            id: "p-1".to_owned(),
            order: fixtures::order_number(1),
            amount: Fen(30_000),
            status: PaymentStatus::Paid,
            kind,
            qr_payload: String::new(),
            expires_at: fixtures::step_context().now,
            reference: Some("TILL-0042".to_owned()),
            paid_at: None,
        }
    }

    #[test]
    fn only_a_paid_payment_of_this_order_and_amount_is_recorded() {
        let now = fixtures::step_context().now;
        let order = fixtures::order_number(1);
        let p = paid(PaymentKind::Counter)
            .confirmed_payment(order, Fen(30_000), now)
            .unwrap();
        assert_eq!(p.amount, Fen(30_000));
        assert_eq!(p.confirmed_at, now);
        assert!(matches!(p.method, PaymentMethod::Counter { .. }));
        assert_eq!(
            paid(PaymentKind::Qr).confirmed_payment(order, Fen(1), now),
            Err(PaymentMismatch::Amount)
        );
        assert_eq!(
            paid(PaymentKind::Qr).confirmed_payment(fixtures::order_number(2), Fen(30_000), now),
            Err(PaymentMismatch::OtherOrder)
        );
        assert_eq!(
            paid(PaymentKind::BankTransfer).confirmed_payment(order, Fen(30_000), now),
            Err(PaymentMismatch::BankTransfer)
        );
        let mut pending = paid(PaymentKind::Qr);
        pending.status = PaymentStatus::Pending;
        assert_eq!(
            pending.confirmed_payment(order, Fen(30_000), now),
            Err(PaymentMismatch::NotPaid)
        );
    }
}
