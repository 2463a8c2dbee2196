//! The domain's [`OrderStore`] port for the store: what the flows'
//! executors need, on the same database as the outbox.

use crate::codec::attachment_kind_to_db;
use crate::error::StoreError;
use crate::{Result, Store};
use kiosk_domain::audit::AuditEntry;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::CaptureRef;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::money::Fen;
use kiosk_domain::order::application::{ApplicationDetails, Catalogue};
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::renewal::RenewalDetails;
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::store::{FlowRecord, OrderStore, QueuedUpload};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

impl Store {
    /// Creates the order of an application session with its captures as
    /// attachments (see [`OrderStore::create_application_order`]).
    ///
    /// # Errors
    /// Not saved, or a capture is missing or changed.
    pub fn create_application_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &ApplicationDetails,
        captures: &[CaptureRef],
    ) -> Result<Order> {
        let mut attachments = Vec::with_capacity(captures.len());
        for capture in captures {
            let found = self
                .capture(session, capture.kind)?
                .filter(|a| crate::crypto::sha256_hex(a.bytes()) == capture.sha256_hex);
            match found {
                Some(attachment) => attachments.push(attachment),
                // Already submitted (a re-run after a crash): the order holds
                // them; create_order returns it without looking at these.
                None if self.has_order_for(&application_key(session))? => {}
                None => {
                    return Err(StoreError::CaptureMissing {
                        kind: attachment_kind_to_db(capture.kind),
                    });
                }
            }
        }
        self.create_order(
            &application_key(session),
            kiosk,
            now.date(),
            |number| {
                Order::new(
                    number,
                    now,
                    amount,
                    OrderDetails::Application(details.clone()),
                )
            },
            &attachments,
        )
    }

    fn has_order_for(&self, client_key: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM orders WHERE client_key = ?1",
                [client_key],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Keeps the certificate issued for (order, attempt); the same one again
    /// is not an error.
    ///
    /// # Errors
    /// Not saved (or the order is unknown).
    pub fn keep_issued(&mut self, order: &OrderNumber, attempt: u32, der: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO issued_certificates (number, attempt, der) VALUES (?1, ?2, ?3)
             ON CONFLICT (number, attempt) DO UPDATE SET der = excluded.der",
            params![order.as_str(), attempt, der],
        )?;
        Ok(())
    }

    /// The certificate kept for (order, attempt).
    ///
    /// # Errors
    /// Not readable.
    pub fn issued(&self, order: &OrderNumber, attempt: u32) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT der FROM issued_certificates WHERE number = ?1 AND attempt = ?2",
                params![order.as_str(), attempt],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Forgets the certificates kept for `order`.
    ///
    /// # Errors
    /// Not saved.
    pub fn forget_issued(&mut self, order: &OrderNumber) -> Result<()> {
        self.conn.execute(
            "DELETE FROM issued_certificates WHERE number = ?1",
            [order.as_str()],
        )?;
        Ok(())
    }
}

/// The idempotency key of an application session's order.
fn application_key(session: SessionId) -> String {
    format!("application-{}", session.0)
}

impl OrderStore for Store {
    type Error = StoreError;

    fn create_renewal_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &RenewalDetails,
    ) -> Result<Order> {
        Store::create_renewal_order(self, session, kiosk, now, amount, details)
    }

    fn create_application_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &ApplicationDetails,
        captures: &[CaptureRef],
    ) -> Result<Order> {
        Store::create_application_order(self, session, kiosk, now, amount, details, captures)
    }

    fn save_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<()> {
        Store::save_order(self, order, now)
    }

    fn adopt_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<Option<Order>> {
        Store::adopt_order(self, order, now)
    }

    fn load_order(&self, number: &OrderNumber) -> Result<Option<Order>> {
        Store::load_order(self, number)
    }

    fn find_order(&self, number: &OrderNumber, mobile: &MobileNumber) -> Result<Option<Order>> {
        Store::find_order(self, number, mobile)
    }

    fn open_renewal_for(&self, serial_hex: &str) -> Result<Option<Order>> {
        Store::open_renewal_for(self, serial_hex)
    }

    fn keep_issued(&mut self, order: &OrderNumber, attempt: u32, der: &[u8]) -> Result<()> {
        Store::keep_issued(self, order, attempt, der)
    }

    fn issued(&self, order: &OrderNumber, attempt: u32) -> Result<Option<Vec<u8>>> {
        Store::issued(self, order, attempt)
    }

    fn forget_issued(&mut self, order: &OrderNumber) -> Result<()> {
        Store::forget_issued(self, order)
    }

    fn put_capture(
        &mut self,
        session: SessionId,
        attachment: &Attachment,
        now: OffsetDateTime,
    ) -> Result<CaptureRef> {
        Store::put_capture(self, session, attachment, now)
    }

    fn discard_capture(&mut self, session: SessionId, kind: AttachmentKind) -> Result<bool> {
        Store::discard_capture(self, session, kind)
    }

    fn capture(&self, session: SessionId, kind: AttachmentKind) -> Result<Option<Attachment>> {
        Store::capture(self, session, kind)
    }

    fn load_catalogue(&self) -> Result<Option<Catalogue>> {
        Store::load_catalogue(self)
    }

    fn heard_from_ca(&self) -> Result<Option<OffsetDateTime>> {
        Store::heard_from_ca(self)
    }

    fn wipe_session(&mut self, session: SessionId) -> Result<()> {
        Store::wipe_session(self, session)
    }

    fn upload_queue(&self, limit: usize) -> Result<Vec<QueuedUpload>> {
        Ok(Store::queue(self, limit)?
            .into_iter()
            .map(|entry| {
                let set_aside = entry
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.starts_with(crate::outbox_port::SET_ASIDE_PREFIX));
                QueuedUpload {
                    order: entry.number,
                    attempts: entry.attempts,
                    next_attempt_at: entry.next_attempt_at,
                    set_aside,
                    last_error: entry.last_error,
                }
            })
            .collect())
    }

    fn retry_upload(&mut self, order: &OrderNumber, now: OffsetDateTime) -> Result<bool> {
        Store::retry_now(self, order, now)
    }

    fn recent_orders(&self, limit: usize) -> Result<Vec<Order>> {
        Store::recent_orders(self, limit)
    }

    fn append_audit(&mut self, key: &str, entry: &AuditEntry) -> Result<()> {
        self.append_audit_once(key, entry).map(|_| ())
    }

    fn save_flow_state<T: Serialize>(
        &mut self,
        flow: &str,
        format: u32,
        session: Option<SessionId>,
        state: &T,
    ) -> Result<()> {
        Store::save_flow_state(self, flow, format, session, state)
    }

    fn load_flow_state<T: DeserializeOwned>(
        &self,
        flow: &str,
        format: u32,
    ) -> Result<FlowRecord<T>> {
        match Store::load_flow_state(self, flow, format) {
            Ok(Some(state)) => Ok(FlowRecord::Saved(state)),
            Ok(None) => Ok(FlowRecord::None),
            Err(StoreError::FlowStateFormat { stored, .. }) => Ok(FlowRecord::OtherFormat(stored)),
            Err(e) => Err(e),
        }
    }
}
