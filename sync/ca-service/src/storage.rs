//! What the service keeps, behind a trait: SQLite now ([`crate::sqlite`]),
//! PostgreSQL for a multi-instance deployment later. Every method is one
//! atomic step; the rules that need the whole picture (idempotency, offsets,
//! the status table) run inside it, so a second backend must keep them in
//! one transaction too.

mod accounts;
mod audit;
mod holders;
mod identity;
mod invoices;
mod payments;
mod review_captures;
mod sms;
mod staff_calls;

pub use accounts::{
    AccountStorage, AttemptOutcome, CreateReviewOutcome, DecideOutcome, Lockout, RegisterOutcome,
    SessionLimits, StoredAccount, StoredMobileReview,
};
pub use audit::{
    AuditHead, AuditKioskSummary, AuditStorage, NewAuditEntry, PutAuditOutcome,
    StoredAuditConflict, StoredAuditEntry,
};
pub use holders::HolderStorage;
pub use identity::IdentityStorage;
pub use invoices::{InvoiceOutcome, InvoiceStorage, StoredInvoice};

pub use payments::{
    NewPayment, OpenOutcome, PayOutcome, PaymentStorage, RecordOutcome, RecordedPayment,
    RemittanceOutcome, StoredPayment, StoredRemittance,
};
pub use review_captures::{CaptureKind, NewReviewCapture, PutCaptureOutcome, ReviewCaptureStorage};
pub use sms::{NewSmsCode, SendOutcome, SmsStorage, StoredSms, UnitCap, VerifyOutcome};
pub use staff_calls::{NewStaffCall, PutCallOutcome, StaffCallStorage, StoredStaffCall};

use kiosk_domain::order::status::Lifecycle;
use kiosk_sync_wire::attachment::{AttachmentMetaV1, AttachmentStatusV1};
use kiosk_sync_wire::feed::{FeedEntryV1, StatusV1};
use kiosk_sync_wire::order::OrderRecordV1;
use time::OffsetDateTime;

/// A storage failure: the service answers `unavailable` and logs it.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("the storage lock is poisoned")]
    Poisoned,
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A validated order to create.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub idempotency_key: &'a str,
    pub number: &'a str,
    /// SHA-256 of the canonical document: what "the same body" means.
    pub body_sha256: String,
    pub document_json: String,
    pub lifecycle: Lifecycle,
    pub attachments: &'a [AttachmentMetaV1],
    pub now: OffsetDateTime,
}

/// What became of a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(OrderRecordV1),
    /// Same key, same body: the stored record.
    Existing(OrderRecordV1),
    /// Same key, another body.
    KeyReused,
    /// The number exists under another key.
    NumberTaken,
}

/// What became of a part of an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    Appended(AttachmentStatusV1),
    /// The part does not start at the offset held (given).
    OffsetMismatch(u64),
    TooLarge,
    /// The part declares another SHA-256 than the order document announced.
    DigestConflict,
    /// The whole did not hash to the announced digest; the bytes were dropped.
    DigestMismatch,
}

/// What became of a submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Submitted(OrderRecordV1),
    Incomplete,
}

/// What became of a review decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionOutcome {
    Done(OrderRecordV1),
    /// Not submitted yet, or not allowed by the status table.
    Illegal,
}

/// What became of a staff cancel of an order ([`Storage::cancel_order`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// No such order (the kiosk's outbox has not delivered it yet).
    Unknown,
    /// The order is paid (by this payment): nothing changed.
    Paid(StoredPayment),
    /// The status table leads nowhere to 已取消 from here (given): nothing
    /// changed.
    Illegal(StatusV1),
    /// The order is 已取消; `again`: it was before, nothing changed.
    Cancelled { order: OrderRecordV1, again: bool },
}

/// A certificate issued for (order, attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRenewal {
    pub request_sha256: String,
    pub certificate_der: Vec<u8>,
}

/// What became of an install report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    /// No such order, or not one written onto a key.
    Unknown,
    /// Nothing was issued for that attempt: nothing can be on the key.
    NotIssued,
    /// Recorded (or recorded before): the order as it is now.
    Recorded(OrderRecordV1),
}

/// An order as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    pub number: String,
    pub lifecycle: Lifecycle,
    pub status: StatusV1,
    pub submitted: bool,
    pub received_at: OffsetDateTime,
    pub reason: Option<String>,
}

/// The service's storage: orders here; payments ([`PaymentStorage`]),
/// the SMS simulator ([`SmsStorage`]), invoices ([`InvoiceStorage`]),
/// accounts ([`AccountStorage`]) with the photographs of their mobile
/// reviews ([`ReviewCaptureStorage`]), staff calls ([`StaffCallStorage`]) and
/// the kiosks' audit logs ([`AuditStorage`]) in their own traits.
pub trait Storage:
    PaymentStorage
    + SmsStorage
    + InvoiceStorage
    + HolderStorage
    + IdentityStorage
    + AccountStorage
    + ReviewCaptureStorage
    + StaffCallStorage
    + AuditStorage
    + Send
    + Sync
    + 'static
{
    fn create_order(&self, order: &NewOrder<'_>) -> StorageResult<CreateOutcome>;
    fn order(&self, number: &str) -> StorageResult<Option<OrderRecordV1>>;
    /// The order's document as the kiosk sent it (JSON `OrderV1`).
    fn order_document(&self, number: &str) -> StorageResult<Option<String>>;
    fn lifecycle(&self, number: &str) -> StorageResult<Option<Lifecycle>>;
    /// The reviewer's reason kept on the order (`None`: none, or no order).
    fn order_reason(&self, number: &str) -> StorageResult<Option<String>>;
    /// The amount the order's document asks for; `None` for an unknown order.
    fn order_amount_fen(&self, number: &str) -> StorageResult<Option<i64>>;
    /// `None` if there is no such attachment.
    fn attachment(&self, number: &str, position: u32) -> StorageResult<Option<AttachmentStatusV1>>;
    /// Appends `bytes` at `offset` for an attachment whose whole SHA-256 the
    /// sender declares as `declared_sha256`; `None` if there is no such attachment.
    fn append(
        &self,
        number: &str,
        position: u32,
        offset: u64,
        declared_sha256: &str,
        bytes: &[u8],
    ) -> StorageResult<Option<AppendOutcome>>;
    /// `None` for an unknown order.
    fn submit(&self, number: &str, now: OffsetDateTime) -> StorageResult<Option<SubmitOutcome>>;
    /// A status change by the CA (review...), written to the feed. `None`
    /// for an unknown order.
    fn transition(
        &self,
        number: &str,
        to: StatusV1,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StorageResult<Option<TransitionOutcome>>;
    /// A member of staff withdraws an order that is not paid, in one
    /// transaction: unknown, paid (any paid payment) or already 已取消 is
    /// answered as it is; otherwise, where the status table allows it, the
    /// order becomes 已取消 as every status change does (its feed entry for
    /// the owning kiosk, the back office's list), and its open QR payments
    /// expire now. From then on no payment of the order is opened,
    /// recorded or paid ([`PaymentStorage`]'s `OrderCancelled` outcomes).
    fn cancel_order(&self, number: &str, now: OffsetDateTime) -> StorageResult<CancelOutcome>;
    /// Feed entries after `cursor`, oldest first; with `kiosk`, only those
    /// of orders whose number starts with that kiosk code.
    fn feed(&self, cursor: u64, limit: u32, kiosk: Option<&str>)
    -> StorageResult<Vec<FeedEntryV1>>;
    /// The certificate issued for (order, attempt): a renewal's, or an
    /// application's written on site.
    fn renewal(&self, number: &str, attempt: u32) -> StorageResult<Option<StoredRenewal>>;
    /// Keeps the first certificate for (order, attempt) and returns it (a
    /// renewal's, or an application's written on site); a new one
    /// supersedes the order's other attempts' certificates, in the same
    /// transaction.
    fn insert_renewal(
        &self,
        number: &str,
        attempt: u32,
        renewal: &StoredRenewal,
        now: OffsetDateTime,
    ) -> StorageResult<StoredRenewal>;
    /// The latest attempt a certificate was issued for.
    fn issued_attempt(&self, number: &str) -> StorageResult<Option<u32>>;
    /// The certificates a later attempt of their order superseded (DER),
    /// with when: when an attempt is issued, every other attempt of its
    /// order is superseded, for good. One paid order keeps one valid
    /// certificate.
    fn superseded_certificates(&self) -> StorageResult<Vec<(Vec<u8>, OffsetDateTime)>>;
    /// The numbers of the renewals of the certificate with this serial
    /// (upper-case hex without leading zeros, as `normalise_serial` gives
    /// it) that are paid and not reported installed (正在受理 or 已制证),
    /// newest first.
    fn open_renewals(&self, serial_hex: &str) -> StorageResult<Vec<String>>;
    /// Whether a renewal order other than `number` renewing the certificate
    /// with this serial (normalised as for [`Self::open_renewals`]) had a
    /// certificate issued: the old one is superseded then.
    fn renewed_by_another(&self, serial_hex: &str, number: &str) -> StorageResult<bool>;
    /// The kiosk's report that the certificate of `attempt` is on the key
    /// (a renewal's, or an application's written on site): kept once, and
    /// the order moves to 已完成.
    fn installed_on_key(
        &self,
        number: &str,
        attempt: u32,
        now: OffsetDateTime,
    ) -> StorageResult<InstallOutcome>;

    // For tests and the back office.
    /// The latest `limit` orders, newest first.
    fn orders(&self, limit: u32) -> StorageResult<Vec<OrderSummary>>;
    /// How many orders were created with this key (the exactly-once oracle).
    fn creations(&self, idempotency_key: &str) -> StorageResult<u64>;
    /// How many orders exist.
    fn order_count(&self) -> StorageResult<u64>;
    /// The bytes held for an attachment.
    fn attachment_bytes(&self, number: &str, position: u32) -> StorageResult<Option<Vec<u8>>>;
}
