//! One store for every flow's executor on the flow thread: one SQLite
//! connection (one page cache) instead of one per flow.

use kiosk_domain::audit::AuditEntry;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::CaptureRef;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::money::Fen;
use kiosk_domain::order::Order;
use kiosk_domain::order::application::{ApplicationDetails, Catalogue};
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::renewal::RenewalDetails;
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::store::{FlowRecord, OrderStore, QueuedUpload};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use time::OffsetDateTime;

/// A store shared by the flows' executors; a new order wakes the outbox.
#[derive(Debug)]
pub struct SharedStore<S> {
    store: Arc<Mutex<S>>,
    /// The outbox worker, woken when an order is queued.
    outbox: Option<Arc<tokio::sync::Notify>>,
}

impl<S> Clone for SharedStore<S> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            outbox: self.outbox.clone(),
        }
    }
}

impl<S> SharedStore<S> {
    pub fn new(store: S) -> Self {
        Self {
            store: Arc::new(Mutex::new(store)),
            outbox: None,
        }
    }

    /// Wakes `outbox` whenever an order is queued.
    #[must_use]
    pub fn waking(mut self, outbox: Arc<tokio::sync::Notify>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// The store itself, for one call.
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn queued<T, E>(&self, created: Result<T, E>) -> Result<T, E> {
        if created.is_ok()
            && let Some(outbox) = &self.outbox
        {
            outbox.notify_one();
        }
        created
    }
}

impl<S: OrderStore> OrderStore for SharedStore<S> {
    type Error = S::Error;

    fn create_renewal_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &RenewalDetails,
    ) -> Result<Order, S::Error> {
        let created = self
            .lock()
            .create_renewal_order(session, kiosk, now, amount, details);
        self.queued(created)
    }

    fn create_application_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &ApplicationDetails,
        captures: &[CaptureRef],
    ) -> Result<Order, S::Error> {
        let created = self
            .lock()
            .create_application_order(session, kiosk, now, amount, details, captures);
        self.queued(created)
    }

    fn save_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<(), S::Error> {
        self.lock().save_order(order, now)
    }

    fn adopt_order(
        &mut self,
        order: &Order,
        now: OffsetDateTime,
    ) -> Result<Option<Order>, S::Error> {
        self.lock().adopt_order(order, now)
    }

    fn load_order(&self, number: &OrderNumber) -> Result<Option<Order>, S::Error> {
        self.lock().load_order(number)
    }

    fn find_order(
        &self,
        number: &OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<Order>, S::Error> {
        self.lock().find_order(number, mobile)
    }

    fn open_renewal_for(&self, serial_hex: &str) -> Result<Option<Order>, S::Error> {
        self.lock().open_renewal_for(serial_hex)
    }

    fn keep_issued(
        &mut self,
        order: &OrderNumber,
        attempt: u32,
        certificate_der: &[u8],
    ) -> Result<(), S::Error> {
        self.lock().keep_issued(order, attempt, certificate_der)
    }

    fn issued(&self, order: &OrderNumber, attempt: u32) -> Result<Option<Vec<u8>>, S::Error> {
        self.lock().issued(order, attempt)
    }

    fn forget_issued(&mut self, order: &OrderNumber) -> Result<(), S::Error> {
        self.lock().forget_issued(order)
    }

    fn put_capture(
        &mut self,
        session: SessionId,
        attachment: &Attachment,
        now: OffsetDateTime,
    ) -> Result<CaptureRef, S::Error> {
        self.lock().put_capture(session, attachment, now)
    }

    fn discard_capture(
        &mut self,
        session: SessionId,
        kind: AttachmentKind,
    ) -> Result<bool, S::Error> {
        self.lock().discard_capture(session, kind)
    }

    fn capture(
        &self,
        session: SessionId,
        kind: AttachmentKind,
    ) -> Result<Option<Attachment>, S::Error> {
        self.lock().capture(session, kind)
    }

    fn load_catalogue(&self) -> Result<Option<Catalogue>, S::Error> {
        self.lock().load_catalogue()
    }

    fn heard_from_ca(&self) -> Result<Option<time::OffsetDateTime>, S::Error> {
        self.lock().heard_from_ca()
    }

    fn wipe_session(&mut self, session: SessionId) -> Result<(), S::Error> {
        self.lock().wipe_session(session)
    }

    fn upload_queue(&self, limit: usize) -> Result<Vec<QueuedUpload>, S::Error> {
        self.lock().upload_queue(limit)
    }

    fn retry_upload(&mut self, order: &OrderNumber, now: OffsetDateTime) -> Result<bool, S::Error> {
        let retried = self.lock().retry_upload(order, now);
        // Due now: the outbox worker need not wait for its next look.
        self.queued(retried)
    }

    fn recent_orders(&self, limit: usize) -> Result<Vec<Order>, S::Error> {
        self.lock().recent_orders(limit)
    }

    fn append_audit(&mut self, key: &str, entry: &AuditEntry) -> Result<(), S::Error> {
        self.lock().append_audit(key, entry)
    }

    fn save_flow_state<T: Serialize>(
        &mut self,
        flow: &str,
        format: u32,
        session: Option<SessionId>,
        state: &T,
    ) -> Result<(), S::Error> {
        self.lock().save_flow_state(flow, format, session, state)
    }

    fn load_flow_state<T: DeserializeOwned>(
        &self,
        flow: &str,
        format: u32,
    ) -> Result<FlowRecord<T>, S::Error> {
        self.lock().load_flow_state(flow, format)
    }
}
