//! Fault-injecting wrappers of the kiosk's ports: the tests run the
//! production runtime and executors over them, never a copy.
//!
//! - [`FaultyWriter`]: a key writer whose named method fails once (a token
//!   error mid-install);
//! - [`FaultyStore`]: a store that aborts the process right before the
//!   journal records an install step (a power cut after the step ran and
//!   before the kiosk knew), or refuses writes while a switch is on (a full
//!   or broken disk);
//! - [`FaultyCa`]: a CA that aborts the process once it has issued (the
//!   answer lost), or answers a renewal only after a delay (on the test's
//!   clock);
//! - [`FaultyPrinter`]: a printer that reports a fault instead of printing.

use kiosk::clock::Clock;
use kiosk_domain::account::AccountInfo;
use kiosk_domain::audit::AuditEntry;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::CaptureRef;
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::flow::staff_call::{CallOutcome, StaffCall};
use kiosk_domain::ids::{MobileNumber, Uscc};
use kiosk_domain::money::Fen;
use kiosk_domain::order::Order;
use kiosk_domain::order::application::{ApplicationDetails, Catalogue};
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::renewal::RenewalDetails;
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::account::{
    AccountError, AccountPort, AccountSession, CodePurpose, MobileReview, Registration, Secret,
};
use kiosk_domain::ports::ca::{
    CaError, CaPort, FaceVerdict, IssuedCertificate, OnFile, OnSiteIssued, OpenRenewal, OrderAtCa,
    PaymentInfo, PickupAtCa, RenewalRequest,
};
use kiosk_domain::ports::key_writer::{
    InsertedKey, KeyAlgorithm, KeyId, KeyPairStatus, KeyRef, KeyTag, KeyWriter, Pin, PublicKeyInfo,
    RetirePolicy, UnblockOutcome,
};
use kiosk_domain::ports::printer::{PrinterStatus, Receipt, ReceiptPrinter};
use kiosk_domain::ports::staff_call::StaffCallPort;
use kiosk_domain::ports::store::{FlowRecord, OrderStore, QueuedUpload};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use time::OffsetDateTime;

/// A device error, or one the wrapper injected.
#[derive(Debug, thiserror::Error)]
pub enum FaultError<E: std::error::Error> {
    #[error(transparent)]
    Device(E),
    #[error("injected fault in {0}")]
    Injected(&'static str),
    #[error("the key was pulled out")]
    Pulled,
}

impl<E: DeviceError> DeviceError for FaultError<E> {
    fn kind(&self) -> DeviceErrorKind {
        match self {
            Self::Device(e) => e.kind(),
            Self::Injected(_) => DeviceErrorKind::Other,
            Self::Pulled => DeviceErrorKind::TokenRemoved,
        }
    }
}

/// A key writer whose method `fail_once` fails the first time it is
/// called, and whose key can be pulled out and put back ([`Self::key`]).
#[derive(Debug)]
pub struct FaultyWriter<K> {
    inner: K,
    fail_once: Option<String>,
    pulled: Arc<AtomicBool>,
}

impl<K> FaultyWriter<K> {
    /// `fail_once`: a method name (`generate_key_pair`, `sign_digest`,
    /// `find_key_pair`, `write_certificate`, `retire_certificate`...).
    pub fn new(inner: K, fail_once: Option<String>) -> Self {
        Self {
            inner,
            fail_once,
            pulled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The switch that has the key out (on) or in (off).
    #[must_use]
    pub fn key(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.pulled)
    }

    fn check<E: std::error::Error>(&mut self, method: &'static str) -> Result<(), FaultError<E>> {
        if self.pulled.load(Ordering::SeqCst) {
            return Err(FaultError::Pulled);
        }
        if self.fail_once.as_deref() == Some(method) {
            self.fail_once = None;
            tracing::warn!(method, "injected token fault");
            return Err(FaultError::Injected(method));
        }
        Ok(())
    }
}

impl<K: KeyWriter> KeyWriter for FaultyWriter<K> {
    type Error = FaultError<K::Error>;

    fn keys(&mut self) -> Result<Vec<InsertedKey>, Self::Error> {
        if self.pulled.load(Ordering::SeqCst) {
            return Ok(Vec::new());
        }
        self.inner.keys().map_err(FaultError::Device)
    }

    fn verify_pin(&mut self, key: &KeyRef, pin: Pin) -> Result<PinOutcome, Self::Error> {
        self.check("verify_pin")?;
        self.inner.verify_pin(key, pin).map_err(FaultError::Device)
    }

    fn unblock_pin(
        &mut self,
        key: &KeyRef,
        so_pin: Pin,
        new_pin: Pin,
    ) -> Result<UnblockOutcome, Self::Error> {
        self.check("unblock_pin")?;
        self.inner
            .unblock_pin(key, so_pin, new_pin)
            .map_err(FaultError::Device)
    }

    fn logout(&mut self, key: &KeyRef) -> Result<(), Self::Error> {
        self.check("logout")?;
        self.inner.logout(key).map_err(FaultError::Device)
    }

    fn generate_key_pair(
        &mut self,
        key: &KeyRef,
        tag: &KeyTag,
        algorithm: KeyAlgorithm,
    ) -> Result<PublicKeyInfo, Self::Error> {
        self.check("generate_key_pair")?;
        self.inner
            .generate_key_pair(key, tag, algorithm)
            .map_err(FaultError::Device)
    }

    fn find_key_pair(
        &mut self,
        key: &KeyRef,
        tag: &KeyTag,
    ) -> Result<Option<PublicKeyInfo>, Self::Error> {
        self.check("find_key_pair")?;
        self.inner
            .find_key_pair(key, tag)
            .map_err(FaultError::Device)
    }

    fn sign_digest(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        digest: &[u8; 32],
    ) -> Result<Vec<u8>, Self::Error> {
        self.check("sign_digest")?;
        self.inner
            .sign_digest(key, key_id, digest)
            .map_err(FaultError::Device)
    }

    fn write_certificate(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        der: &[u8],
        label: &str,
    ) -> Result<(), Self::Error> {
        self.check("write_certificate")?;
        self.inner
            .write_certificate(key, key_id, der, label)
            .map_err(FaultError::Device)
    }

    fn retire_certificate(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        policy: RetirePolicy,
    ) -> Result<(), Self::Error> {
        self.check("retire_certificate")?;
        self.inner
            .retire_certificate(key, key_id, policy)
            .map_err(FaultError::Device)
    }

    fn remove_abandoned(
        &mut self,
        key: &KeyRef,
        order: &OrderNumber,
        keep_attempt: u32,
    ) -> Result<u32, Self::Error> {
        self.check("remove_abandoned")?;
        self.inner
            .remove_abandoned(key, order, keep_attempt)
            .map_err(FaultError::Device)
    }

    fn write_data_object(
        &mut self,
        key: &KeyRef,
        label: &str,
        value: &[u8],
    ) -> Result<(), Self::Error> {
        self.check("write_data_object")?;
        self.inner
            .write_data_object(key, label, value)
            .map_err(FaultError::Device)
    }

    fn key_pair_status(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
    ) -> Result<KeyPairStatus, Self::Error> {
        self.check("key_pair_status")?;
        self.inner
            .key_pair_status(key, key_id)
            .map_err(FaultError::Device)
    }

    fn key_algorithms(&mut self, key: &KeyRef) -> Result<Vec<KeyAlgorithm>, Self::Error> {
        self.check("key_algorithms")?;
        self.inner.key_algorithms(key).map_err(FaultError::Device)
    }
}

/// A store that dies or fails where a test wants it to.
#[derive(Debug)]
pub struct FaultyStore<S> {
    inner: S,
    /// Abort the process right before the first journal record that holds
    /// this install step (`"KeyPairGenerated"`...): the step ran, the
    /// kiosk never recorded it. Once: the file marks that it happened.
    kill_before_recording: Option<(String, PathBuf)>,
    /// While on, every write fails (a full or broken disk).
    broken: Arc<AtomicBool>,
}

/// Why the faulty store refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreFault<E: std::error::Error> {
    #[error(transparent)]
    Store(E),
    #[error("injected: the disk refuses writes")]
    Broken,
    #[error("the journal record could not be read as JSON: {0}")]
    Json(String),
}

impl<S> FaultyStore<S> {
    /// `kill_before_recording`: the step, and the file that says the kill
    /// happened (a restarted process on the same files does not die again).
    pub fn new(inner: S, kill_before_recording: Option<(String, PathBuf)>) -> Self {
        Self {
            inner,
            kill_before_recording,
            broken: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The switch that breaks every write while it is on.
    #[must_use]
    pub fn breaker(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.broken)
    }

    fn writable<E: std::error::Error>(&self) -> Result<(), StoreFault<E>> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreFault::Broken);
        }
        Ok(())
    }
}

impl<S: OrderStore> OrderStore for FaultyStore<S> {
    type Error = StoreFault<S::Error>;

    fn create_renewal_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &RenewalDetails,
    ) -> Result<Order, Self::Error> {
        self.writable()?;
        self.inner
            .create_renewal_order(session, kiosk, now, amount, details)
            .map_err(StoreFault::Store)
    }

    fn create_application_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &ApplicationDetails,
        captures: &[CaptureRef],
    ) -> Result<Order, Self::Error> {
        self.writable()?;
        self.inner
            .create_application_order(session, kiosk, now, amount, details, captures)
            .map_err(StoreFault::Store)
    }

    fn save_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<(), Self::Error> {
        self.writable()?;
        self.inner.save_order(order, now).map_err(StoreFault::Store)
    }

    fn adopt_order(
        &mut self,
        order: &Order,
        now: OffsetDateTime,
    ) -> Result<Option<Order>, Self::Error> {
        self.writable()?;
        self.inner
            .adopt_order(order, now)
            .map_err(StoreFault::Store)
    }

    fn load_order(&self, number: &OrderNumber) -> Result<Option<Order>, Self::Error> {
        self.inner.load_order(number).map_err(StoreFault::Store)
    }

    fn find_order(
        &self,
        number: &OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<Order>, Self::Error> {
        self.inner
            .find_order(number, mobile)
            .map_err(StoreFault::Store)
    }

    fn open_renewal_for(&self, serial_hex: &str) -> Result<Option<Order>, Self::Error> {
        self.inner
            .open_renewal_for(serial_hex)
            .map_err(StoreFault::Store)
    }

    fn keep_issued(
        &mut self,
        order: &OrderNumber,
        attempt: u32,
        certificate_der: &[u8],
    ) -> Result<(), Self::Error> {
        self.writable()?;
        self.inner
            .keep_issued(order, attempt, certificate_der)
            .map_err(StoreFault::Store)
    }

    fn issued(&self, order: &OrderNumber, attempt: u32) -> Result<Option<Vec<u8>>, Self::Error> {
        self.inner.issued(order, attempt).map_err(StoreFault::Store)
    }

    fn forget_issued(&mut self, order: &OrderNumber) -> Result<(), Self::Error> {
        self.writable()?;
        self.inner.forget_issued(order).map_err(StoreFault::Store)
    }

    fn put_capture(
        &mut self,
        session: SessionId,
        attachment: &Attachment,
        now: OffsetDateTime,
    ) -> Result<CaptureRef, Self::Error> {
        self.writable()?;
        self.inner
            .put_capture(session, attachment, now)
            .map_err(StoreFault::Store)
    }

    fn discard_capture(
        &mut self,
        session: SessionId,
        kind: AttachmentKind,
    ) -> Result<bool, Self::Error> {
        self.writable()?;
        self.inner
            .discard_capture(session, kind)
            .map_err(StoreFault::Store)
    }

    fn capture(
        &self,
        session: SessionId,
        kind: AttachmentKind,
    ) -> Result<Option<Attachment>, Self::Error> {
        self.inner.capture(session, kind).map_err(StoreFault::Store)
    }

    fn load_catalogue(&self) -> Result<Option<Catalogue>, Self::Error> {
        self.inner.load_catalogue().map_err(StoreFault::Store)
    }

    fn heard_from_ca(&self) -> Result<Option<OffsetDateTime>, Self::Error> {
        self.inner.heard_from_ca().map_err(StoreFault::Store)
    }

    fn wipe_session(&mut self, session: SessionId) -> Result<(), Self::Error> {
        self.writable()?;
        self.inner.wipe_session(session).map_err(StoreFault::Store)
    }

    fn upload_queue(&self, limit: usize) -> Result<Vec<QueuedUpload>, Self::Error> {
        self.inner.upload_queue(limit).map_err(StoreFault::Store)
    }

    fn retry_upload(
        &mut self,
        order: &OrderNumber,
        now: OffsetDateTime,
    ) -> Result<bool, Self::Error> {
        self.writable()?;
        self.inner
            .retry_upload(order, now)
            .map_err(StoreFault::Store)
    }

    fn recent_orders(&self, limit: usize) -> Result<Vec<Order>, Self::Error> {
        self.inner.recent_orders(limit).map_err(StoreFault::Store)
    }

    fn append_audit(&mut self, key: &str, entry: &AuditEntry) -> Result<(), Self::Error> {
        self.writable()?;
        self.inner
            .append_audit(key, entry)
            .map_err(StoreFault::Store)
    }

    fn save_flow_state<T: Serialize>(
        &mut self,
        flow: &str,
        format: u32,
        session: Option<SessionId>,
        state: &T,
    ) -> Result<(), Self::Error> {
        self.writable()?;
        if let Some((step, marker)) = &self.kill_before_recording
            && !marker.exists()
        {
            let json = serde_json::to_string(state).map_err(|e| StoreFault::Json(e.to_string()))?;
            if json.contains(&format!("\"step\":\"{step}\"")) {
                eprintln!("killed before recording {step}");
                once(marker);
                std::process::abort();
            }
        }
        self.inner
            .save_flow_state(flow, format, session, state)
            .map_err(StoreFault::Store)
    }

    fn load_flow_state<T: DeserializeOwned>(
        &self,
        flow: &str,
        format: u32,
    ) -> Result<FlowRecord<T>, Self::Error> {
        self.inner
            .load_flow_state(flow, format)
            .map_err(StoreFault::Store)
    }
}

/// A delay measured on a clock.
type Delay = (Arc<dyn Clock>, Duration);

/// A CA with faults: the process dies as soon as the CA issued (its answer
/// lost with the kiosk), or a renewal is answered only after a delay
/// measured on the runtime's clock.
#[derive(Clone)]
pub struct FaultyCa<C> {
    inner: C,
    /// Once: the file marks that it happened.
    kill_after_issuing: Option<PathBuf>,
    /// The first renewal's delay (later ones are answered at once).
    renew_delay: Arc<std::sync::Mutex<Option<Delay>>>,
}

impl<C> std::fmt::Debug for FaultyCa<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyCa")
            .field("kill_after_issuing", &self.kill_after_issuing)
            .finish_non_exhaustive()
    }
}

impl<C> FaultyCa<C> {
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            kill_after_issuing: None,
            renew_delay: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Aborts the process right after the CA answered a renewal, unless
    /// `marker` says it happened already.
    #[must_use]
    pub fn killing_after_issuing(mut self, marker: PathBuf) -> Self {
        self.kill_after_issuing = Some(marker);
        self
    }

    /// Answers the first renewal request only once `delay` has passed on
    /// `clock`.
    #[must_use]
    pub fn answering_renewals_after(self, clock: Arc<dyn Clock>, delay: Duration) -> Self {
        if let Ok(mut d) = self.renew_delay.lock() {
            *d = Some((clock, delay));
        }
        self
    }
}

impl<C: CaPort> CaPort for FaultyCa<C> {
    async fn probe(&self) -> Result<(), CaError> {
        self.inner.probe().await
    }

    async fn catalogue(&self, fetched: OffsetDateTime) -> Result<Catalogue, CaError> {
        self.inner.catalogue(fetched).await
    }

    async fn lookup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<OrderAtCa>, CaError> {
        self.inner.lookup(number, mobile).await
    }

    async fn verify_face(
        &self,
        name: &kiosk_domain::order::text::PersonName,
        resident_id: &kiosk_domain::ids::ResidentId,
        photo_jpeg: Vec<u8>,
    ) -> Result<FaceVerdict, CaError> {
        self.inner.verify_face(name, resident_id, photo_jpeg).await
    }

    async fn renewability(
        &self,
        der: Vec<u8>,
    ) -> Result<kiosk_domain::ports::ca::Renewability, CaError> {
        self.inner.renewability(der).await
    }

    async fn holder(&self, serial_hex: &str) -> Result<Option<OnFile>, CaError> {
        self.inner.holder(serial_hex).await
    }

    async fn create_payment(
        &self,
        order: OrderNumber,
        amount: Fen,
    ) -> Result<PaymentInfo, CaError> {
        self.inner.create_payment(order, amount).await
    }

    async fn payment(&self, id: &str) -> Result<PaymentInfo, CaError> {
        self.inner.payment(id).await
    }

    async fn record_counter_payment(
        &self,
        signed: kiosk_domain::ports::counter::SignedCounterPayment,
    ) -> Result<PaymentInfo, CaError> {
        self.inner.record_counter_payment(signed).await
    }

    async fn cancel_order(
        &self,
        signed: kiosk_domain::ports::counter::SignedOrderCancel,
    ) -> Result<(), CaError> {
        self.inner.cancel_order(signed).await
    }

    async fn note_remittance(
        &self,
        order: OrderNumber,
        amount: Fen,
        payer: &kiosk_domain::order::text::PersonName,
        reference: &kiosk_domain::order::text::Reference,
    ) -> Result<(), CaError> {
        self.inner
            .note_remittance(order, amount, payer, reference)
            .await
    }

    async fn renew(
        &self,
        order: OrderNumber,
        request: &RenewalRequest,
    ) -> Result<IssuedCertificate, CaError> {
        let delay = self.renew_delay.lock().ok().and_then(|mut d| d.take());
        if let Some((clock, delay)) = delay {
            let until = clock.now() + delay;
            tracing::info!(?delay, "the CA takes its time with this renewal");
            while clock.now() < until {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        let issued = self.inner.renew(order, request).await;
        tracing::info!(answer = ?issued.as_ref().map(|_| ()), "the CA answered a renewal");
        if let Some(marker) = &self.kill_after_issuing
            && issued.is_ok()
            && !marker.exists()
        {
            eprintln!("killed after the CA issued");
            once(marker);
            std::process::abort();
        }
        issued
    }

    async fn issued(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> Result<Option<IssuedCertificate>, CaError> {
        self.inner.issued(order, attempt).await
    }

    async fn open_renewals(&self, serial_hex: &str) -> Result<Vec<OpenRenewal>, CaError> {
        self.inner.open_renewals(serial_hex).await
    }

    async fn renewal_installed(&self, order: OrderNumber, attempt: u32) -> Result<(), CaError> {
        self.inner.renewal_installed(order, attempt).await
    }
    async fn pickup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<PickupAtCa>, CaError> {
        self.inner.pickup(number, mobile).await
    }

    async fn issue_on_site(
        &self,
        order: OrderNumber,
        mobile: &MobileNumber,
        attempt: u32,
        csr_der: Vec<u8>,
    ) -> Result<OnSiteIssued, CaError> {
        self.inner
            .issue_on_site(order, mobile, attempt, csr_der)
            .await
    }

    async fn issued_on_site(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> Result<Option<OnSiteIssued>, CaError> {
        self.inner.issued_on_site(order, attempt).await
    }

    async fn written_on_site(&self, order: OrderNumber, attempt: u32) -> Result<(), CaError> {
        self.inner.written_on_site(order, attempt).await
    }
}

/// Marks that a one-time fault happened (durably, before the process dies).
fn once(marker: &Path) {
    if let Ok(file) = std::fs::File::create(marker) {
        let _ = file.sync_all();
    }
}

/// A printer that reports `kind` instead of printing (paper out, cover open).
#[derive(Debug, Clone)]
pub struct FaultyPrinter<P> {
    inner: P,
    fail_with: Option<DeviceErrorKind>,
}

impl<P> FaultyPrinter<P> {
    pub fn new(inner: P, fail_with: Option<DeviceErrorKind>) -> Self {
        Self { inner, fail_with }
    }
}

/// The fault a [`FaultyPrinter`] reports.
#[derive(Debug, thiserror::Error)]
#[error("injected printer fault: {0:?}")]
pub struct PrinterFault(DeviceErrorKind);

impl DeviceError for PrinterFault {
    fn kind(&self) -> DeviceErrorKind {
        self.0
    }
}

/// A printer's error, or the injected one.
#[derive(Debug, thiserror::Error)]
pub enum PrintFault<E: std::error::Error> {
    #[error(transparent)]
    Printer(E),
    #[error(transparent)]
    Injected(PrinterFault),
}

impl<E: DeviceError> DeviceError for PrintFault<E> {
    fn kind(&self) -> DeviceErrorKind {
        match self {
            Self::Printer(e) => e.kind(),
            Self::Injected(f) => f.kind(),
        }
    }
}

impl<P: ReceiptPrinter> ReceiptPrinter for FaultyPrinter<P> {
    type Error = PrintFault<P::Error>;

    fn status(&mut self) -> Result<PrinterStatus, Self::Error> {
        self.inner.status().map_err(PrintFault::Printer)
    }

    fn print(&mut self, receipt: &Receipt) -> Result<(), Self::Error> {
        if let Some(kind) = self.fail_with {
            return Err(PrintFault::Injected(PrinterFault(kind)));
        }
        self.inner.print(receipt).map_err(PrintFault::Printer)
    }

    fn installed(&self) -> bool {
        self.inner.installed()
    }
}

/// Calls for staff as the CA answers them: no faults of their own (the
/// tests stop the CA service to take it away).
impl<C: kiosk_domain::ports::staff::StaffRevocationSource>
    kiosk_domain::ports::staff::StaffRevocationSource for FaultyCa<C>
{
    async fn staff_revocation_lists(&self) -> Result<Vec<Vec<u8>>, CaError> {
        self.inner.staff_revocation_lists().await
    }
}

impl<C: StaffCallPort> StaffCallPort for FaultyCa<C> {
    async fn call_staff(&self, call: &StaffCall) -> CallOutcome {
        self.inner.call_staff(call).await
    }

    async fn staff_call(&self, call: &StaffCall) -> CallOutcome {
        self.inner.staff_call(call).await
    }

    async fn withdraw_staff_call(&self, call: &StaffCall) -> CallOutcome {
        self.inner.withdraw_staff_call(call).await
    }
}

/// The account service as it is: no faults of its own.
impl<C: AccountPort> AccountPort for FaultyCa<C> {
    async fn send_code(
        &self,
        mobile: &MobileNumber,
        purpose: CodePurpose,
        uscc: Option<&kiosk_domain::ids::Uscc>,
    ) -> Result<u32, AccountError> {
        self.inner.send_code(mobile, purpose, uscc).await
    }

    async fn register(&self, registration: Registration<'_>) -> Result<AccountInfo, AccountError> {
        self.inner.register(registration).await
    }

    async fn request_mobile_review(&self, review: MobileReview<'_>) -> Result<(), AccountError> {
        self.inner.request_mobile_review(review).await
    }

    async fn sign_in(
        &self,
        uscc: &Uscc,
        password: &Secret,
    ) -> Result<AccountSession, AccountError> {
        self.inner.sign_in(uscc, password).await
    }

    async fn sign_out(&self, session: &AccountSession) -> Result<(), AccountError> {
        self.inner.sign_out(session).await
    }

    async fn reset_password(
        &self,
        uscc: &Uscc,
        mobile: &MobileNumber,
        code: &Secret,
        new_password: &Secret,
    ) -> Result<(), AccountError> {
        self.inner
            .reset_password(uscc, mobile, code, new_password)
            .await
    }

    async fn change_password(
        &self,
        session: &AccountSession,
        uscc: &Uscc,
        old_password: &Secret,
        new_password: &Secret,
    ) -> Result<(), AccountError> {
        self.inner
            .change_password(session, uscc, old_password, new_password)
            .await
    }

    async fn change_mobile(
        &self,
        session: &AccountSession,
        new_mobile: &MobileNumber,
        code: &Secret,
    ) -> Result<AccountInfo, AccountError> {
        self.inner.change_mobile(session, new_mobile, code).await
    }

    async fn unit_info(&self, session: &AccountSession) -> Result<AccountInfo, AccountError> {
        self.inner.unit_info(session).await
    }
}
