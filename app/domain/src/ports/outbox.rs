//! The upload outbox as the sync worker sees it: which orders are due, what
//! to send for each, and what became of each attempt.
//!
//! The store implements it (orders, attachments and the outbox entry live in
//! one database); the worker in `sync/client` drives it and never sees the
//! database. Every instant is an argument: the port reads no clock.
//!
//! An order moves through the port like this:
//!
//! ```text
//! due() ──► upload_body() ──► (sent) ──► acknowledged()        done, purged later
//!                               │
//!                               ├─────► retry_later(code)       transient: network, 409, 429, 5xx
//!                               └─────► set_aside(code)         the CA refused it for good
//! ```
//!
//! An order set aside stays in the store, unacknowledged, with its reason
//! for staff; it is no longer due, so the rest of the queue keeps draining.

use crate::order::Order;
use crate::order::attachment::{AttachmentKind, MediaType};
use crate::order_number::OrderNumber;
use time::OffsetDateTime;

/// One upload that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub number: OrderNumber,
    /// 128 random bits in lower-case hex, drawn when the order was queued;
    /// sent as the `Idempotency-Key` of every attempt.
    pub idempotency_key: String,
    pub created_at: OffsetDateTime,
    /// Failed attempts so far (drives the backoff).
    pub attempts: u32,
}

/// One attachment to upload, exactly as captured.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadAttachment {
    /// Its place among the order's attachments, from 0.
    pub position: u32,
    pub kind: AttachmentKind,
    pub media_type: MediaType,
    /// SHA-256 of `bytes`, lower-case hex (the store checked it on reading).
    pub sha256_hex: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for UploadAttachment {
    // The bytes are personal data (ID scans, faces): never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadAttachment")
            .field("position", &self.position)
            .field("kind", &self.kind)
            .field("media_type", &self.media_type)
            .field("size", &self.bytes.len())
            .field("sha256_hex", &self.sha256_hex)
            .finish()
    }
}

/// Everything sent for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadBody {
    pub order: Order,
    /// In position order.
    pub attachments: Vec<UploadAttachment>,
}

/// How far behind the uploads are. Orders set aside are counted apart: they
/// wait for staff, not for the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxStats {
    /// Uploads still to send (due now or waiting for a retry), not set aside.
    pub depth: u64,
    /// Of those, the ones due at `now`.
    pub due: u64,
    /// Orders the CA refused for good, kept for staff.
    pub set_aside: u64,
    /// When the oldest order still to send was created.
    pub oldest_pending_created_at: Option<OffsetDateTime>,
    /// The earliest time an upload still to send is due.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// A status the CA's feed reported for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub number: OrderNumber,
    pub status: crate::order::status::OrderStatus,
    /// The reviewer's reason, with 审核未通过.
    pub reason: Option<String>,
}

/// What applying a feed entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusApplied {
    /// The order's status changed.
    Changed,
    /// The order already had this status (feeds repeat).
    Unchanged,
    /// Not an order of this kiosk (or long purged): nothing to do.
    UnknownOrder,
    /// The status table does not lead there from the order's status: kept
    /// as it was, and logged for staff (never silently applied).
    Refused,
}

/// One entry of the kiosk's audit log, to be copied to the CA exactly as
/// kept, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditUpload {
    /// 1, 2, … in the order appended.
    pub seq: u64,
    /// The entry's JSON text as kept (`crate::audit::AuditEntry`).
    pub entry: String,
    /// The link of the entry before it (zeros for the first).
    pub prev: [u8; 32],
    /// This entry's link.
    pub link: [u8; 32],
}

/// What the audit log holds after a given entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTail {
    /// These entries, oldest first, each checked against the chain (its
    /// link recomputed with the kiosk's key, its `prev` the entry before).
    Entries(Vec<AuditUpload>),
    /// The chain does not hold at entry `seq` (changed, removed, put in
    /// between): nothing from there is copied, staff must look.
    Broken { seq: u64 },
    /// The log ends before the given entry: entries were cut off its end.
    EndsBefore { last: u64 },
}

/// The outbox, as the sync worker drives it.
pub trait Outbox {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Up to `limit` uploads due at `now`, oldest first; never one set aside.
    fn due(&mut self, now: OffsetDateTime, limit: usize) -> Result<Vec<Upload>, Self::Error>;

    /// The order and its attachments; `None` if the order can no longer be
    /// sent (purged by retention before it was acknowledged).
    fn upload_body(&mut self, number: &OrderNumber) -> Result<Option<UploadBody>, Self::Error>;

    /// A transient failure at `now`: try again at `next_attempt_at`. `code`
    /// is a short error code (`timeout`, `http_503`...), never personal data.
    fn retry_later(
        &mut self,
        number: &OrderNumber,
        now: OffsetDateTime,
        next_attempt_at: OffsetDateTime,
        code: &str,
    ) -> Result<(), Self::Error>;

    /// The CA refused the order for good (`code` is its problem code): keep
    /// it, unacknowledged, with the reason for staff, and stop sending it.
    fn set_aside(
        &mut self,
        number: &OrderNumber,
        now: OffsetDateTime,
        code: &str,
    ) -> Result<(), Self::Error>;

    /// The CA holds the whole order. Idempotent; returns whether this call
    /// recorded it.
    fn acknowledged(
        &mut self,
        number: &OrderNumber,
        now: OffsetDateTime,
    ) -> Result<bool, Self::Error>;

    /// The queue's size and age at `now`.
    fn stats(&mut self, now: OffsetDateTime) -> Result<OutboxStats, Self::Error>;

    /// Where the CA's status feed was last read up to.
    fn feed_cursor(&mut self) -> Result<u64, Self::Error>;

    /// The feed was read through at `now` (what the CA had, applied).
    fn feed_read(&mut self, now: OffsetDateTime) -> Result<(), Self::Error>;

    /// Up to `limit` audit entries after entry `seq` (0: from the first),
    /// oldest first, checked against the chain up to the last one
    /// returned.
    fn audit_after(&mut self, seq: u64, limit: usize) -> Result<AuditTail, Self::Error>;

    /// Applies one feed entry and moves the cursor to `cursor`, in one
    /// durable step: after a crash an entry is either applied with its
    /// cursor or read again.
    fn apply_status(
        &mut self,
        update: &StatusUpdate,
        cursor: u64,
        now: OffsetDateTime,
    ) -> Result<StatusApplied, Self::Error>;
}
