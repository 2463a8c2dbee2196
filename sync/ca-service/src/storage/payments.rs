//! What the service keeps about payments and remittance notes. The rules
//! that make payments safe to repeat (one open QR payment per order, at most
//! one paid payment per order, one payment per reference) run inside each
//! call, in one transaction.

use super::StorageResult;
use time::OffsetDateTime;

/// A payment as stored. `expired` is not stored: a pending payment is
/// expired once `expires_at` has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPayment {
    pub id: String,
    pub number: String,
    pub amount_fen: i64,
    /// `kiosk_sync_wire::payment::METHOD_*`.
    pub method: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub reference: Option<String>,
}

impl StoredPayment {
    #[must_use]
    pub fn is_paid(&self) -> bool {
        self.paid_at.is_some()
    }

    /// Pending and past its expiry at `now`.
    #[must_use]
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        !self.is_paid() && now >= self.expires_at
    }
}

/// A QR payment to open for an order, unless one is open or paid already.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    /// The id the payment gets if it is created.
    pub id: &'a str,
    pub number: &'a str,
    pub amount_fen: i64,
    pub now: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// What became of opening a QR payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    Created(StoredPayment),
    /// The order's paid payment, or its pending one that has not expired.
    Existing(StoredPayment),
    /// That payment has another amount.
    AmountMismatch(StoredPayment),
    /// The order is 已取消: no payment is opened for it.
    OrderCancelled,
}

/// What became of paying a QR payment (the simulator's button).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    /// Paid now, or before (the reference is the first one).
    Paid(StoredPayment),
    /// Too late (past its expiry, or its order was cancelled, which
    /// expired it): nothing changed.
    Expired(StoredPayment),
    /// The order was paid by another payment meanwhile: nothing changed.
    OrderPaidElsewhere(StoredPayment),
}

/// A payment staff record (counter, bank transfer).
#[derive(Debug, Clone)]
pub struct RecordedPayment<'a> {
    /// The id the payment gets if it is created.
    pub id: &'a str,
    pub number: &'a str,
    pub method: &'a str,
    pub amount_fen: i64,
    pub reference: &'a str,
    pub now: OffsetDateTime,
}

/// What became of recording a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    Recorded(StoredPayment),
    /// The same reference for the same order, method and amount: that one.
    Existing(StoredPayment),
    /// The reference was recorded for another order, method or amount.
    ReferenceConflict,
    /// The order is paid already, by another payment (given).
    AlreadyPaid(StoredPayment),
    /// The order is 已取消: nothing is recorded for it.
    OrderCancelled,
}

/// A customer's bank-transfer remittance note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRemittance {
    pub id: String,
    pub number: String,
    pub payer_name: String,
    pub bank_reference: String,
    pub amount_fen: i64,
    pub received_at: OffsetDateTime,
    /// Set when finance confirmed it.
    pub payment_id: Option<String>,
}

/// What became of a remittance note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemittanceOutcome {
    Created(StoredRemittance),
    /// The same note (order, bank reference, payer, amount) again.
    Existing(StoredRemittance),
    /// The bank reference was noted for this order with other details.
    Conflict,
}

/// Payments and remittance notes. An order 已取消 is paid by no means:
/// opening, paying, recording and confirming refuse it in their own
/// transaction.
pub trait PaymentStorage {
    fn open_payment(&self, new: &NewPayment<'_>) -> StorageResult<OpenOutcome>;
    fn payment(&self, id: &str) -> StorageResult<Option<StoredPayment>>;
    /// Completes a QR payment with the provider's `reference`. `None` for
    /// an unknown payment.
    fn pay(
        &self,
        id: &str,
        reference: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<PayOutcome>>;
    fn record_payment(&self, payment: &RecordedPayment<'_>) -> StorageResult<RecordOutcome>;
    /// The order's paid payment, if any.
    fn paid_payment(&self, number: &str) -> StorageResult<Option<StoredPayment>>;
    /// The order's latest payment, paid or not.
    fn latest_payment(&self, number: &str) -> StorageResult<Option<StoredPayment>>;

    fn add_remittance(&self, remittance: &StoredRemittance) -> StorageResult<RemittanceOutcome>;
    fn remittance(&self, id: &str) -> StorageResult<Option<StoredRemittance>>;
    /// The latest `limit` notes, newest first.
    fn remittances(&self, limit: u32) -> StorageResult<Vec<StoredRemittance>>;
    /// Finance confirms a note: records a bank-transfer payment with the
    /// note's bank reference and amount, and links it. `None` for an
    /// unknown note. Repeating it answers `Existing`.
    fn confirm_remittance(
        &self,
        id: &str,
        payment_id: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<RecordOutcome>>;
}
