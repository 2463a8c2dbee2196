//! The CA as the flows need it, in the domain's words: the holder's details
//! on file, the payment of an order, and the certificate of a renewal. The
//! protocol (HTTP, JSON, problem codes, status strings) is `sync/`'s
//! business: `kiosk-sync-client` implements [`CaPort`], and nothing outside
//! `sync/` interprets the wire.
//!
//! Calls are `async`: the kiosk runs them on its sync runtime, and their
//! answers come back to the flow thread as events, so a slow CA never stops
//! the screen, the idle timer or the key watch.

use crate::ids::{MobileNumber, ResidentId, Uscc};
use crate::money::Fen;
use crate::order::application::Catalogue;
use crate::order::payment::{Payment, PaymentMethod};
use crate::order::renewal::{
    CertificateSummary, Contact, InstallProgress, InvoiceInfo, RenewalDetails,
};
use crate::order::status::{Lifecycle, OrderStatus};
use crate::order::text::{PersonName, Reference, UnitName};
use crate::order::{Order, OrderDetails, OrderError};
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

/// What the CA says about renewing a certificate now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Renewability {
    /// A paid renewal of it would be issued.
    Renewable,
    /// Another order renewed it already, or a later certificate replaced
    /// it: its holder renews the new one.
    RenewedAlready,
    /// The CA does not renew it: outside its renewal window, or not one of
    /// its certificates.
    Refused,
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
    /// The order is paid: it is not cancelled at a kiosk.
    PaidAlready,
    /// The member of staff's certificate or signature is not accepted by
    /// the CA (not its staff CA's, revoked, no staff role, a signature
    /// that does not verify).
    StaffNotAccepted,
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

    /// Whether 现场领取 can write it now: picked up at the hall and made
    /// ready by the CA (已制证).
    #[must_use]
    pub fn ready_for_pickup(&self) -> bool {
        self.lifecycle == Lifecycle::ApplicationOnSite
            && self.status == OrderStatus::CertificateMade
    }
}

/// A renewal paid at the CA whose install the CA has not heard finished,
/// as any kiosk of the CA finds it by the certificate's serial (异常恢复 at
/// another kiosk: the customer paid at one, the install was cut, and they
/// come back to this one with their key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRenewal {
    pub number: OrderNumber,
    /// When the kiosk that took it created it.
    pub created_at: OffsetDateTime,
    pub amount: Fen,
    /// The renewed certificate's serial, upper-case hex.
    pub serial_hex: String,
    pub contact: Contact,
    pub invoice: InvoiceInfo,
    /// The payment the CA holds for it.
    pub payment: PaymentInfo,
    /// The latest install attempt the CA issued a certificate for.
    pub issued_attempt: Option<u32>,
}

/// Why an open renewal at the CA is not continued here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeRefused {
    #[error("the order renews another certificate")]
    OtherCertificate,
    #[error("the order is not paid so it can be recorded: {0}")]
    Payment(#[from] PaymentMismatch),
    #[error("the order cannot take its payment: {0}")]
    Order(#[from] OrderError),
}

impl OpenRenewal {
    /// The same paid order, to finish installing on the key that holds
    /// `certificate` (never a second order, never a second payment).
    ///
    /// Where the install goes on: [`InstallProgress::resumed`].
    ///
    /// # Errors
    /// The order renews another certificate, or its payment is not one a
    /// renewal records (another order or amount, not paid, a bank transfer).
    pub fn resume(
        self,
        certificate: CertificateSummary,
        now: OffsetDateTime,
    ) -> Result<Order, ResumeRefused> {
        if !self
            .serial_hex
            .eq_ignore_ascii_case(&certificate.serial_hex)
        {
            return Err(ResumeRefused::OtherCertificate);
        }
        let payment = self
            .payment
            .confirmed_payment(self.number, self.amount, now)?;
        let install = InstallProgress::resumed(self.issued_attempt);
        let mut order = Order::new(
            self.number,
            self.created_at,
            self.amount,
            OrderDetails::Renewal(RenewalDetails {
                old_certificate: certificate,
                contact: self.contact,
                invoice: self.invoice,
                install,
                new_certificate: None,
            }),
        );
        order.record_payment(payment)?;
        Ok(order)
    }
}

/// An application as the CA has it for 现场领取 (found by its number and
/// mobile): what the kiosk writes onto the blank key is for this unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PickupAtCa {
    pub number: OrderNumber,
    pub status: OrderStatus,
    /// Picked up at the hall (else it is mailed).
    pub on_site: bool,
    pub unit_name: UnitName,
    pub uscc: Uscc,
    /// How many e-seals come with the certificate.
    pub seals: u32,
    /// The latest attempt the CA issued a certificate for.
    pub issued_attempt: Option<u32>,
}

/// Whether an application can be written onto a blank key now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Pickup {
    /// Picked up here, made ready by the CA (已制证).
    Ready,
    /// Mailed, not picked up at the hall.
    Mailed,
    /// Not ready yet (or cancelled): its status says why.
    NotYet(OrderStatus),
    /// Written already (已完成, 已开票).
    Written,
}

impl PickupAtCa {
    /// Whether it can be written now, and if not why.
    #[must_use]
    pub fn pickup(&self) -> Pickup {
        if !self.on_site {
            return Pickup::Mailed;
        }
        match self.status {
            OrderStatus::CertificateMade => Pickup::Ready,
            OrderStatus::Completed | OrderStatus::Invoiced => Pickup::Written,
            other => Pickup::NotYet(other),
        }
    }
}

/// An e-seal as the CA delivers it, written onto the key as a data object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealObject {
    pub label: String,
    pub value: Vec<u8>,
}

/// What the CA issued for an application picked up at the hall, for one
/// attempt: the unit's certificate and its e-seals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OnSiteIssued {
    pub order: OrderNumber,
    pub attempt: u32,
    /// DER.
    pub certificate_der: Vec<u8>,
    pub seals: Vec<SealObject>,
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

    /// Whether the CA would renew the certificate `der` (as read from the
    /// customer's key) now: asked before any payment is opened.
    fn renewability(
        &self,
        der: Vec<u8>,
    ) -> impl Future<Output = Result<Renewability, CaError>> + Send;

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

    /// Records a payment a member of staff took for one of this kiosk's
    /// orders, signed with their staff key: the payment as the CA holds it
    /// (the same reference again finds the first). Refused:
    /// [`Refusal::StaffNotAccepted`] when the CA does not accept the staff
    /// certificate or signature, [`Refusal::AmountMismatch`] when the
    /// order is due another amount or is paid already by another payment.
    fn record_counter_payment(
        &self,
        signed: crate::ports::counter::SignedCounterPayment,
    ) -> impl Future<Output = Result<PaymentInfo, CaError>> + Send;

    /// Cancels one of this kiosk's orders that is waiting for its payment,
    /// as a member of staff signed it: `Ok` once the CA holds it 已取消
    /// (also when it did already). Refused: [`Refusal::StaffNotAccepted`]
    /// as for a counter payment, [`Refusal::PaidAlready`] when the order
    /// is paid (no cancel here then); [`CaError::OrderNotYetKnown`] while
    /// the outbox has not delivered it.
    fn cancel_order(
        &self,
        signed: crate::ports::counter::SignedOrderCancel,
    ) -> impl Future<Output = Result<(), CaError>> + Send;

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

    /// The renewals of the certificate with this serial (upper-case hex)
    /// that were paid at the CA and whose install it has not heard
    /// finished: none, or the one to continue.
    fn open_renewals(
        &self,
        serial_hex: &str,
    ) -> impl Future<Output = Result<Vec<OpenRenewal>, CaError>> + Send;

    /// The application with this number followed with this mobile, for
    /// 现场领取; `None` when the CA has no such application.
    fn pickup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> impl Future<Output = Result<Option<PickupAtCa>, CaError>> + Send;

    /// Sends the unit's request made on the blank key (`attempt` from 1);
    /// the same attempt and request get the same answer.
    fn issue_on_site(
        &self,
        order: OrderNumber,
        mobile: &MobileNumber,
        attempt: u32,
        csr_der: Vec<u8>,
    ) -> impl Future<Output = Result<OnSiteIssued, CaError>> + Send;

    /// What the CA issued on site for this attempt already, if anything.
    fn issued_on_site(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> impl Future<Output = Result<Option<OnSiteIssued>, CaError>> + Send;

    /// Tells the CA the certificate and e-seals of this attempt are on the
    /// key (已完成).
    fn written_on_site(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> impl Future<Output = Result<(), CaError>> + Send;

    /// Tells the CA that the certificate of this attempt is on the key and
    /// the old one retired (已完成): no kiosk offers the order again.
    fn renewal_installed(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> impl Future<Output = Result<(), CaError>> + Send;
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

    fn open(issued_attempt: Option<u32>) -> OpenRenewal {
        let order = fixtures::renewal_order(1);
        let OrderDetails::Renewal(details) = order.details else {
            unreachable!("a renewal fixture")
        };
        OpenRenewal {
            number: order.number,
            created_at: order.created_at,
            amount: order.amount,
            serial_hex: "1a2b3c4d".to_owned(),
            contact: details.contact,
            invoice: details.invoice,
            payment: paid(PaymentKind::Qr),
            issued_attempt,
        }
    }

    use crate::order::renewal::InstallStep;

    fn progress(order: &Order) -> InstallProgress {
        match &order.details {
            OrderDetails::Renewal(d) => d.install,
            OrderDetails::Application(_) => unreachable!("a renewal"),
        }
    }

    #[test]
    fn an_open_renewal_resumes_as_the_same_paid_order() {
        let now = fixtures::step_context().now;
        let order = open(None).resume(fixtures::certificate(), now).unwrap();
        assert_eq!(order.number, fixtures::order_number(1));
        assert_eq!(order.status(), OrderStatus::InProgress);
        assert_eq!(order.payment().unwrap().amount, Fen(30_000));
        assert_eq!(progress(&order), InstallProgress::default());

        // The CA issued for attempt 2: that key pair is on the key; its
        // certificate is fetched again and checked against it.
        let order = open(Some(2)).resume(fixtures::certificate(), now).unwrap();
        assert_eq!(
            progress(&order),
            InstallProgress {
                attempt: 2,
                step: InstallStep::KeyPairGenerated
            }
        );
    }

    #[test]
    fn an_open_renewal_of_another_certificate_or_not_paid_is_not_resumed() {
        let now = fixtures::step_context().now;
        let mut other = fixtures::certificate();
        other.serial_hex = "FFFF".to_owned();
        assert_eq!(
            open(None).resume(other, now),
            Err(ResumeRefused::OtherCertificate)
        );
        let mut unpaid = open(None);
        unpaid.payment.status = PaymentStatus::Pending;
        assert_eq!(
            unpaid.resume(fixtures::certificate(), now),
            Err(ResumeRefused::Payment(PaymentMismatch::NotPaid))
        );
        let mut cheaper = open(None);
        cheaper.payment.amount = Fen(1);
        assert_eq!(
            cheaper.resume(fixtures::certificate(), now),
            Err(ResumeRefused::Payment(PaymentMismatch::Amount))
        );
    }
}
