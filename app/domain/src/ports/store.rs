//! The kiosk's own durable store, as the flows' executors need it: orders
//! created once per session, saved as they change, found again; captures
//! taken before an application exists; the certificate a CA issued, kept
//! until it is on the key; and each flow's journal.
//!
//! `kiosk-store` implements it on SQLite (encrypted, `synchronous=FULL`);
//! tests wrap it to inject faults. Every call is durable when it returns
//! `Ok`, and every creating call is idempotent (keyed by the session), so an
//! effect run again after a crash creates nothing twice.

use crate::audit::AuditEntry;
use crate::flow::SessionId;
use crate::flow::application::CaptureRef;
use crate::ids::MobileNumber;
use crate::money::Fen;
use crate::order::Order;
use crate::order::application::{ApplicationDetails, Catalogue};
use crate::order::attachment::{Attachment, AttachmentKind};
use crate::order::renewal::RenewalDetails;
use crate::order_number::{KioskCode, OrderNumber};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// A flow's journal record as found in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowRecord<T> {
    /// Nothing saved: the flow starts at home.
    None,
    Saved(T),
    /// Saved by a version of the software that wrote another format: it is
    /// not read (the orders it refers to are in the store all the same).
    OtherFormat(u32),
}

/// An upload waiting for the CA, as staff see it (nothing personal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct QueuedUpload {
    pub order: OrderNumber,
    /// Failed attempts so far.
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// Refused by the CA for good: sent again only when staff say so.
    pub set_aside: bool,
    /// The last failure's short code (`timeout`, `http_503`…).
    pub last_error: Option<String>,
}

/// The store.
pub trait OrderStore {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The order of a renewal session, created with its number and outbox
    /// entry in one transaction; the same order when it exists already.
    ///
    /// # Errors
    /// Not saved.
    fn create_renewal_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &RenewalDetails,
    ) -> Result<Order, Self::Error>;

    /// The order of an application session with the session's captures as
    /// its attachments (each checked against its reference), in one
    /// transaction; the same order when it exists already.
    ///
    /// # Errors
    /// Not saved, or a capture is missing or not the one referred to.
    fn create_application_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &ApplicationDetails,
        captures: &[CaptureRef],
    ) -> Result<Order, Self::Error>;

    /// Stores a changed order (it must exist and hold its personal data).
    ///
    /// # Errors
    /// Not saved.
    fn save_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<(), Self::Error>;

    /// Keeps an order taken at another kiosk, as the CA holds it, to be
    /// continued here: acknowledged already (the CA has it), never queued
    /// for upload. The stored order when it is here already; `None` when it
    /// was here and is purged (finished with).
    ///
    /// # Errors
    /// Not saved.
    fn adopt_order(
        &mut self,
        order: &Order,
        now: OffsetDateTime,
    ) -> Result<Option<Order>, Self::Error>;

    /// The order, unless unknown or purged.
    ///
    /// # Errors
    /// Not readable.
    fn load_order(&self, number: &OrderNumber) -> Result<Option<Order>, Self::Error>;

    /// The order with this number whose contact mobile is `mobile`.
    ///
    /// # Errors
    /// Not readable.
    fn find_order(
        &self,
        number: &OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<Order>, Self::Error>;

    /// The unfinished renewal order of the certificate with this serial.
    ///
    /// # Errors
    /// Not readable.
    fn open_renewal_for(&self, serial_hex: &str) -> Result<Option<Order>, Self::Error>;

    /// Keeps the certificate the CA issued for (order, attempt) until it is
    /// on the key (a second request for the same attempt would be a new
    /// request, which the CA refuses).
    ///
    /// # Errors
    /// Not saved.
    fn keep_issued(
        &mut self,
        order: &OrderNumber,
        attempt: u32,
        certificate_der: &[u8],
    ) -> Result<(), Self::Error>;

    /// The certificate kept for (order, attempt).
    ///
    /// # Errors
    /// Not readable.
    fn issued(&self, order: &OrderNumber, attempt: u32) -> Result<Option<Vec<u8>>, Self::Error>;

    /// Forgets the certificates kept for `order` (it is on the key).
    ///
    /// # Errors
    /// Not saved.
    fn forget_issued(&mut self, order: &OrderNumber) -> Result<(), Self::Error>;

    /// Stores a capture of `session`, replacing one of the same kind.
    ///
    /// # Errors
    /// Not saved.
    fn put_capture(
        &mut self,
        session: SessionId,
        attachment: &Attachment,
        now: OffsetDateTime,
    ) -> Result<CaptureRef, Self::Error>;

    /// Deletes one capture; whether there was one.
    ///
    /// # Errors
    /// Not saved.
    fn discard_capture(
        &mut self,
        session: SessionId,
        kind: AttachmentKind,
    ) -> Result<bool, Self::Error>;

    /// The capture of `kind` kept for `session` (`None`: none).
    ///
    /// # Errors
    /// Not readable, or not what was kept.
    fn capture(
        &self,
        session: SessionId,
        kind: AttachmentKind,
    ) -> Result<Option<Attachment>, Self::Error>;

    /// The CA's catalogue as last fetched (`None`: never fetched yet).
    ///
    /// # Errors
    /// Not readable.
    fn load_catalogue(&self) -> Result<Option<Catalogue>, Self::Error>;

    /// When the kiosk last read the CA's status feed through (`None`:
    /// never): how current the statuses it holds are.
    ///
    /// # Errors
    /// Not readable.
    fn heard_from_ca(&self) -> Result<Option<OffsetDateTime>, Self::Error>;

    /// Forgets a session: its captures and any flow state saved for it.
    ///
    /// # Errors
    /// Not saved.
    fn wipe_session(&mut self, session: SessionId) -> Result<(), Self::Error>;

    /// Up to `limit` uploads the CA has not acknowledged (due, waiting for
    /// a retry, or set aside after a refusal), oldest first.
    ///
    /// # Errors
    /// Not readable.
    fn upload_queue(&self, limit: usize) -> Result<Vec<QueuedUpload>, Self::Error>;

    /// Makes `order`'s upload due at `now` again, forgetting its last
    /// error (a refusal that set it aside included): staff's 重新上传.
    /// Whether it was still waiting (false: the CA has it already).
    ///
    /// # Errors
    /// Not saved, or no such upload.
    fn retry_upload(
        &mut self,
        order: &OrderNumber,
        now: OffsetDateTime,
    ) -> Result<bool, Self::Error>;

    /// Up to `limit` orders whose personal data is still held, latest
    /// first.
    ///
    /// # Errors
    /// Not readable.
    fn recent_orders(&self, limit: usize) -> Result<Vec<Order>, Self::Error>;

    /// Appends `entry` to the audit log once for `key` (an effect keyed by
    /// session and step: run again after a power cut, it finds its entry
    /// there and writes nothing).
    ///
    /// # Errors
    /// Not saved.
    fn append_audit(&mut self, key: &str, entry: &AuditEntry) -> Result<(), Self::Error>;

    /// Replaces the journal record of `flow`.
    ///
    /// # Errors
    /// Not saved.
    fn save_flow_state<T: Serialize>(
        &mut self,
        flow: &str,
        format: u32,
        session: Option<SessionId>,
        state: &T,
    ) -> Result<(), Self::Error>;

    /// The journal record of `flow`, read as `format`.
    ///
    /// # Errors
    /// Not readable.
    fn load_flow_state<T: DeserializeOwned>(
        &self,
        flow: &str,
        format: u32,
    ) -> Result<FlowRecord<T>, Self::Error>;
}
