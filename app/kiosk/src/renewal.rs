//! The renewal in the runtime: its executor (the one that runs the domain's
//! renewal effects on the store, the USB key, the CA and the printer, in the
//! kiosk and in every test) and its binding to the screens.
//!
//! Token work runs on the sync runtime's blocking pool behind the key
//! writer's lock, CA calls on the sync runtime; their answers come back to
//! the flow thread, which keeps what must be kept (the CA's certificate, in
//! the store) before the flow hears of it. Store writes run on the flow
//! thread: they are quick, and their order is the journal's.

use crate::clock::Clock;
use crate::devices::SharedWriter;
use crate::link::Link;
use crate::receipts::{self, ReceiptSettings};
use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::driver::{Executor, Journal, Ran, Saved, Ticket};
use kiosk_domain::flow::renewal::{
    Candidate, Environment, EnvironmentProblem, InstallAction, InstallFailure, Renewal,
    RenewalEffect, RenewalEvent, RenewalState,
};
use kiosk_domain::money::Fen;
use kiosk_domain::order::renewal::CertificateSummary;
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::DeviceError;
use kiosk_domain::ports::ca::{
    CaError, CaPort, OpenRenewal, PaymentAnswer, ProofAlgorithm, Refusal, Renewability,
    RenewalRequest, ResumeRefused,
};
use kiosk_domain::ports::key_writer::{
    CertificateReader, InsertedKey, KeyId, KeyRef, KeyTag, KeyWriter, Pin, RetirePolicy,
};
use kiosk_domain::ports::printer::ReceiptPrinter;
use kiosk_domain::ports::staff::{StaffCredentials, customer_key};
use kiosk_domain::ports::store::OrderStore;
use kiosk_token::renew::{self, OldCertificate, RenewError, Trust};
use kiosk_ui::{RenewalInput, UiEvent};
use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Settings the renewal's effects need, from the configuration.
#[derive(Debug, Clone)]
pub struct RenewalSettings {
    pub kiosk: KioskCode,
    /// Trust anchors for certificates the CA issues.
    pub certificate_roots: Vec<Vec<u8>>,
    pub retire: RetirePolicy,
    /// How long `RequestCertificate` waits for the outbox to deliver the
    /// order the CA must know before it issues.
    pub order_upload_wait: Duration,
    pub receipt: ReceiptSettings,
}

/// A fault of the kiosk itself (its store), not of the customer's key or
/// the CA (those become flow events): the effect runs again later.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("store: {0}")]
    Store(String),
    #[error("{0}")]
    Other(String),
}

fn store_error(e: impl std::fmt::Display) -> ExecError {
    ExecError::Store(e.to_string())
}

/// What comes back from work done off the flow thread.
#[derive(Debug)]
enum Answer {
    /// An event for the flow (or nothing to say).
    Event(Option<RenewalEvent>),
    /// The keys in the writer, for `CheckEnvironment` (completed with the
    /// store's open orders), and the open renewals the CA holds for their
    /// certificates (none when it was not asked or not reached).
    Keys {
        keys: Result<Vec<InsertedKey>, String>,
        at_ca: Vec<OpenRenewal>,
    },
    /// The CA's certificate for (order, attempt), to keep before the flow
    /// hears that the request is done.
    Issued {
        order: OrderNumber,
        attempt: u32,
        der: Vec<u8>,
    },
    /// The old certificate is retired: the kept certificate can go.
    Retired { order: OrderNumber },
}

/// The renewal's executor over the ports.
pub struct RenewalExecutor<K, C, S, P> {
    store: S,
    writer: SharedWriter<K>,
    reader: Arc<dyn CertificateReader + Send + Sync>,
    ca: Option<C>,
    link: Option<Link>,
    printer: Arc<Mutex<P>>,
    answers: Answers,
    clock: Arc<dyn Clock>,
    settings: RenewalSettings,
    /// Renewal requests go to the CA one at a time: a request whose answer
    /// no longer mattered (the key was pulled meanwhile) may still be on its
    /// way when the resumed install asks; waiting for it lets the second
    /// find the first one's certificate instead of sending a new request
    /// for the same attempt (which the CA refuses).
    requests: Arc<tokio::sync::Mutex<()>>,
    /// The PIN pad's PIN, handed over with `PinSubmitted` and consumed by
    /// the `VerifyPin` effect that follows (never stored, never cloned).
    pin: Option<Pin>,
    notices: Vec<Notice>,
    /// Where staff mode is on: its keys are never a customer's.
    staff: Option<Arc<dyn StaffCredentials + Send + Sync>>,
}

impl<K, C, S, P> std::fmt::Debug for RenewalExecutor<K, C, S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewalExecutor")
            .field("pin", &self.pin.as_ref().map(|_| "****"))
            .finish_non_exhaustive()
    }
}

/// The ports a renewal runs on.
#[derive(Debug)]
pub struct RenewalPorts<K, C, S, P> {
    pub store: S,
    pub writer: SharedWriter<K>,
    pub ca: Option<C>,
    pub printer: P,
}

impl<K, C, S, P> RenewalExecutor<K, C, S, P>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
{
    #[must_use]
    pub fn new(
        ports: RenewalPorts<K, C, S, P>,
        reader: Arc<dyn CertificateReader + Send + Sync>,
        link: Option<Link>,
        answers: Answers,
        clock: Arc<dyn Clock>,
        settings: RenewalSettings,
    ) -> Self {
        Self {
            store: ports.store,
            writer: ports.writer,
            reader,
            ca: ports.ca,
            link,
            printer: Arc::new(Mutex::new(ports.printer)),
            answers,
            clock,
            settings,
            requests: Arc::new(tokio::sync::Mutex::new(())),
            pin: None,
            notices: Vec::new(),
            staff: None,
        }
    }

    /// Staff keys (their certificates from this staff CA) are left out of
    /// the keys a customer renews from: a member of staff's key in the
    /// writer beside the customer's is not offered as theirs.
    #[must_use]
    pub fn leaving_out_staff_keys(
        mut self,
        staff: Option<Arc<dyn StaffCredentials + Send + Sync>>,
    ) -> Self {
        self.staff = staff;
        self
    }

    /// The PIN typed on the pad, for the next `VerifyPin`.
    pub fn hand_over_pin(&mut self, pin: Pin) {
        self.pin = Some(pin);
    }

    /// The store (tests read it back).
    pub fn store(&self) -> &S {
        &self.store
    }

    fn later<W>(&self, ticket: Ticket, work: W) -> Ran<RenewalEvent>
    where
        W: FnOnce() -> Answer + Send + 'static,
    {
        self.answers.spawn_blocking(
            <Renewal as kiosk_domain::flow::driver::Flow>::NAME,
            ticket,
            work,
        );
        Ran::Started
    }

    fn later_async<W>(&self, ticket: Ticket, work: W) -> Ran<RenewalEvent>
    where
        W: std::future::Future<Output = Answer> + Send + 'static,
    {
        self.answers.spawn(
            <Renewal as kiosk_domain::flow::driver::Flow>::NAME,
            ticket,
            work,
        );
        Ran::Started
    }

    fn environment(
        &mut self,
        keys: Result<Vec<InsertedKey>, String>,
        at_ca: Vec<OpenRenewal>,
    ) -> Result<Environment, ExecError> {
        let keys = match keys {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, "key writer failed");
                return Ok(Environment::Problem(EnvironmentProblem::KeyReaderFault));
            }
        };
        let now = self.clock.wall();
        let customers = customer_key(&keys, self.staff.as_deref(), now).cloned();
        let Some(inserted) = customers else {
            return Ok(Environment::Problem(EnvironmentProblem::NoKey));
        };
        let mut candidates = Vec::new();
        for certificate in renew::renewable_certificates(inserted.certificates) {
            let mut open_order = self
                .store
                .open_renewal_for(&certificate.serial_hex)
                .map_err(store_error)?;
            if open_order.is_none() {
                open_order = self.resumed_from_ca(&certificate, &at_ca)?;
            }
            candidates.push(Candidate {
                certificate,
                open_order,
            });
        }
        Ok(Environment::Ready {
            candidates,
            ca_online: self.link.as_ref().is_some_and(Link::is_online),
        })
    }

    /// A renewal of `certificate` paid at another kiosk and not finished
    /// there, kept in this store (before the flow hears of it) to be
    /// continued here on the same paid order.
    fn resumed_from_ca(
        &mut self,
        certificate: &CertificateSummary,
        at_ca: &[OpenRenewal],
    ) -> Result<Option<Order>, ExecError> {
        let now = self.clock.wall();
        for open in at_ca {
            let number = open.number;
            match open.clone().resume(certificate.clone(), now) {
                Ok(order) => {
                    tracing::info!(order = %number, "a renewal paid at another kiosk is continued here");
                    if let Some(kept) = self.store.adopt_order(&order, now).map_err(store_error)? {
                        return Ok(Some(kept));
                    }
                }
                Err(ResumeRefused::OtherCertificate) => {}
                Err(e) => {
                    tracing::warn!(order = %number, error = %e, "an open renewal at the CA is not continued")
                }
            }
        }
        Ok(None)
    }

    fn install(
        &mut self,
        ticket: Ticket,
        order: OrderNumber,
        attempt: u32,
        action: InstallAction,
    ) -> Result<Ran<RenewalEvent>, ExecError> {
        let Some(record) = self.store.load_order(&order).map_err(store_error)? else {
            return Err(ExecError::Other(format!(
                "order {order} is not in the store"
            )));
        };
        let old_key_id = old_key_id(&record)?;
        let tag = KeyTag::new(order, attempt);
        let writer = self.writer.clone();
        let roots = self.settings.certificate_roots.clone();
        let now = self.clock.wall();
        let reader = Arc::clone(&self.reader);
        Ok(match action {
            InstallAction::GenerateKeyPair => self.later(ticket, move || {
                let mut w = writer.lock();
                Answer::Event(Some(token_step(
                    &mut *w,
                    &marks(&old_key_id, &tag),
                    |w, key| {
                        let old = old_certificate(w, key, &old_key_id)?;
                        renew::generate_like_old(w, key, &tag, &old).map(|_| ())
                    },
                    InstallAction::GenerateKeyPair,
                )))
            }),
            InstallAction::RequestCertificate => {
                if self
                    .store
                    .issued(&order, attempt)
                    .map_err(store_error)?
                    .is_some()
                {
                    return Ok(Ran::Answered(Some(RenewalEvent::InstallActionDone(
                        InstallAction::RequestCertificate,
                    ))));
                }
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(RenewalEvent::InstallFailed(
                        InstallFailure::Offline,
                    ))));
                };
                let wait = self.settings.order_upload_wait;
                let one_at_a_time = Arc::clone(&self.requests);
                self.later_async(ticket, async move {
                    let _turn = one_at_a_time.lock().await;
                    request_certificate(ca, writer, order, tag, old_key_id, wait).await
                })
            }
            InstallAction::VerifyCertificate | InstallAction::WriteCertificate => {
                let Some(der) = self.store.issued(&order, attempt).map_err(store_error)? else {
                    // The kept certificate is gone (a store restored from a
                    // backup): the request step asks the CA again.
                    return Ok(Ran::Answered(Some(RenewalEvent::InstallFailed(
                        InstallFailure::Offline,
                    ))));
                };
                self.later(ticket, move || {
                    let mut w = writer.lock();
                    let trust = Trust {
                        intermediates: &[],
                        roots: &roots,
                        now,
                    };
                    let Some(key) = key_holding(&mut *w, &marks(&old_key_id, &tag)) else {
                        return Answer::Event(Some(RenewalEvent::InstallFailed(
                            InstallFailure::KeyRemoved,
                        )));
                    };
                    // The new certificate must name the holder the old
                    // one names (on the key until it is retired, last).
                    let subject = old_certificate(&mut *w, &key, &old_key_id).and_then(|old| {
                        kiosk_x509::details(&old.der)
                            .map(|d| d.subject_der)
                            .map_err(|e| RenewError::OldCertificate(e.to_string()))
                    });
                    let done = subject.and_then(|subject| {
                        if action == InstallAction::VerifyCertificate {
                            renew::verify(&mut *w, &key, &tag, &der, &trust, Some(&subject))
                                .map(|_| ())
                        } else {
                            renew::verify_and_write(
                                &mut *w,
                                &key,
                                &tag,
                                &der,
                                &trust,
                                Some(&subject),
                                &format!("cert:{order}"),
                            )
                            .map(|_| ())
                        }
                    });
                    Answer::Event(Some(match done {
                        Err(e) => failed(action, &e),
                        Ok(()) if action == InstallAction::VerifyCertificate => {
                            match reader.summarize(&der, &tag.key_id()) {
                                Some(summary) => {
                                    RenewalEvent::CertificateVerified(Box::new(summary))
                                }
                                None => {
                                    RenewalEvent::InstallFailed(InstallFailure::CertificateRejected)
                                }
                            }
                        }
                        Ok(()) => RenewalEvent::InstallActionDone(action),
                    }))
                })
            }
            InstallAction::RetireOldCertificate => {
                let policy = self.settings.retire;
                self.later(ticket, move || {
                    let mut w = writer.lock();
                    let event = token_step(
                        &mut *w,
                        &marks(&old_key_id, &tag),
                        |w, key| renew::retire(w, key, &old_key_id, policy),
                        InstallAction::RetireOldCertificate,
                    );
                    match event {
                        RenewalEvent::InstallActionDone(_) => Answer::Retired { order },
                        other => Answer::Event(Some(other)),
                    }
                })
            }
        })
    }

    fn print_receipt(
        &mut self,
        ticket: Ticket,
        order: &OrderNumber,
    ) -> Result<Ran<RenewalEvent>, ExecError> {
        let Some(order) = self.store.load_order(order).map_err(store_error)? else {
            return Ok(Ran::Answered(None));
        };
        let receipt = self.settings.receipt.receipt(&order, self.clock.wall());
        let printer = Arc::clone(&self.printer);
        Ok(self.later(ticket, move || {
            let mut printer = printer.lock().unwrap_or_else(PoisonError::into_inner);
            let outcome = receipts::print(&mut *printer, &receipt);
            Answer::Event(Some(RenewalEvent::ReceiptPrinted(outcome)))
        }))
    }
}

/// The inserted key holding a certificate with one of `key_ids`.
fn key_holding<K: KeyWriter>(writer: &mut K, key_ids: &[KeyId]) -> Option<KeyRef> {
    let keys = writer.keys().ok()?;
    keys.iter()
        .find(|k| k.certificates.iter().any(|c| key_ids.contains(&c.key_id)))
        .map(|k| k.key.clone())
}

/// The certificates that mark a renewal's key: the old one, or once it is
/// written (and the old one perhaps retired), the new one.
fn marks(old_key_id: &KeyId, tag: &KeyTag) -> [KeyId; 2] {
    [old_key_id.clone(), tag.key_id()]
}

/// The old certificate (DER) on `key`.
fn old_certificate<K: KeyWriter>(
    writer: &mut K,
    key: &KeyRef,
    key_id: &KeyId,
) -> Result<OldCertificate, RenewError<K::Error>> {
    let keys = writer.keys().map_err(RenewError::Token)?;
    keys.iter()
        .filter(|k| &k.key == key)
        .flat_map(|k| &k.certificates)
        .find(|c| &c.key_id == key_id)
        .map(|c| OldCertificate {
            key_id: key_id.clone(),
            der: c.der.clone(),
        })
        .ok_or_else(|| RenewError::OldCertificate("not on the key".to_owned()))
}

fn failed<E: DeviceError + 'static>(action: InstallAction, e: &RenewError<E>) -> RenewalEvent {
    tracing::warn!(?action, error = %e, "install action failed");
    RenewalEvent::InstallFailed(e.failure())
}

/// One token-only install step on the key holding the renewal's marks.
fn token_step<K: KeyWriter>(
    writer: &mut K,
    marks: &[KeyId],
    step: impl FnOnce(&mut K, &KeyRef) -> Result<(), RenewError<K::Error>>,
    action: InstallAction,
) -> RenewalEvent
where
    K::Error: 'static,
{
    let Some(key) = key_holding(writer, marks) else {
        return RenewalEvent::InstallFailed(InstallFailure::KeyRemoved);
    };
    match step(writer, &key) {
        Ok(()) => RenewalEvent::InstallActionDone(action),
        Err(e) => failed(action, &e),
    }
}

/// What a refused or failed call for an install (a renewal's, a pickup's)
/// means for the customer.
pub(crate) fn ca_failure(e: &CaError) -> InstallFailure {
    match e {
        CaError::Refused {
            reason: Refusal::ProofRejected | Refusal::UnknownCertificate | Refusal::RequestRejected,
        } => InstallFailure::CertificateRejected,
        // Unreachable, busy, not yet delivered or not yet paid at the CA:
        // the install finishes when it can.
        _ => InstallFailure::Offline,
    }
}

/// `RequestCertificate`: the CA's earlier answer for this attempt if it
/// gave one (a new request would be a new CSR, refused for the same
/// attempt); else the request signed on the key with the old key's proof,
/// sent while the outbox delivers the order.
async fn request_certificate<K, C>(
    ca: C,
    writer: SharedWriter<K>,
    order: OrderNumber,
    tag: KeyTag,
    old_key_id: KeyId,
    wait: Duration,
) -> Answer
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
{
    let fail = |f| Answer::Event(Some(RenewalEvent::InstallFailed(f)));
    match ca.issued(order, tag.attempt).await {
        Ok(Some(issued)) => {
            return Answer::Issued {
                order,
                attempt: tag.attempt,
                der: issued.certificate_der,
            };
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(order = %order, error = %e, "CA not asked for an earlier answer");
            return fail(ca_failure(&e));
        }
    }
    let signed = tokio::task::spawn_blocking(move || {
        let mut w = writer.lock();
        let Some(key) = key_holding(&mut *w, std::slice::from_ref(&old_key_id)) else {
            return Err(InstallFailure::KeyRemoved);
        };
        let old = old_certificate(&mut *w, &key, &old_key_id).map_err(|e| e.failure())?;
        renew::request(&mut *w, &key, &tag, &old).map_err(|e| {
            tracing::warn!(error = %e, "renewal request not made");
            e.failure()
        })
    })
    .await;
    let request = match signed {
        Ok(Ok(request)) => request,
        Ok(Err(failure)) => return fail(failure),
        Err(e) => {
            tracing::error!(error = %e, "the token task failed");
            return fail(InstallFailure::TokenError);
        }
    };
    let algorithm = match request.proof.algorithm {
        kiosk_x509::KeyAlgorithm::EcP256 => ProofAlgorithm::EcP256,
        kiosk_x509::KeyAlgorithm::Rsa { bits } => ProofAlgorithm::Rsa { bits },
        // The protocol carries RSA and P-256 proofs only (SM2 waits for
        // the vendor's mechanism): the old key cannot prove itself here.
        _ => return fail(InstallFailure::TokenError),
    };
    let request = RenewalRequest {
        attempt: tag.attempt,
        csr_der: request.csr_der,
        old_certificate_der: request.proof.old_certificate_der,
        signature: request.proof.signature,
        algorithm,
    };
    // The CA issues only for an order it has: the outbox may still be
    // delivering it, so "not yet known" is waited out for a while.
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match ca.renew(order, &request).await {
            Ok(issued) => {
                return Answer::Issued {
                    order,
                    attempt: tag.attempt,
                    der: issued.certificate_der,
                };
            }
            Err(CaError::OrderNotYetKnown | CaError::NotPaid)
                if tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                tracing::warn!(order = %order, error = %e, "renewal not issued");
                return fail(ca_failure(&e));
            }
        }
    }
}

/// The open renewals the CA holds for the renewable certificates of the
/// customer's key (none when it cannot be asked: the customer's own
/// kiosk's store still knows its orders).
async fn open_at_ca<C: CaPort>(ca: &C, inserted: &InsertedKey) -> Vec<OpenRenewal> {
    let mut open = Vec::new();
    for certificate in renew::renewable_certificates(inserted.certificates.clone()) {
        match ca.open_renewals(&certificate.serial_hex).await {
            Ok(found) => open.extend(found),
            Err(e) => {
                tracing::warn!(error = %e, "the CA was not asked for open renewals");
                break;
            }
        }
    }
    open
}

/// What became of asking the CA about renewing the certificate on the key.
enum CaVerdict {
    Renewable,
    /// The event that says why not.
    Refused(RenewalEvent),
    /// The certificate could not be read again, or the CA not asked.
    Unknown,
}

/// The certificate on the key that the customer chose: its `CKA_ID`
/// (which another inserted key may use too) and its serial (upper-case
/// hex).
struct Chosen {
    key_id: Option<KeyId>,
    serial_hex: String,
}

/// Reads the chosen certificate again from the key and asks the CA
/// whether it renews it.
async fn ask_renewability<C, K>(
    ca: &C,
    writer: SharedWriter<K>,
    reader: Arc<dyn CertificateReader + Send + Sync>,
    chosen: Chosen,
) -> CaVerdict
where
    C: CaPort,
    K: KeyWriter + Send + 'static,
{
    let der = tokio::task::spawn_blocking(move || {
        certificate_der(&mut *writer.lock(), reader.as_ref(), &chosen)
    })
    .await
    .unwrap_or_default();
    let Some(der) = der else {
        tracing::warn!("the certificate was not read again: the CA was not asked");
        return CaVerdict::Unknown;
    };
    match ca.renewability(der).await {
        Ok(Renewability::Renewable) => CaVerdict::Renewable,
        Ok(refused) => {
            tracing::info!(verdict = ?refused, "the CA will not renew the certificate");
            CaVerdict::Refused(RenewalEvent::RefusedByCa {
                renewed_already: refused == Renewability::RenewedAlready,
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "the CA was not asked whether it renews");
            CaVerdict::Unknown
        }
    }
}

/// The chosen certificate on the inserted keys, by its `CKA_ID` and its
/// serial (a staff key may hold a certificate under the same `CKA_ID`);
/// `None`: the key is gone or the writer failed.
fn certificate_der<K: KeyWriter>(
    writer: &mut K,
    reader: &dyn CertificateReader,
    chosen: &Chosen,
) -> Option<Vec<u8>> {
    let key_id = chosen.key_id.as_ref()?;
    match writer.keys() {
        Ok(keys) => keys
            .into_iter()
            .flat_map(|key| key.certificates)
            .find(|c| {
                c.key_id == *key_id
                    && reader
                        .summarize(&c.der, &c.key_id)
                        .is_some_and(|s| s.serial_hex == chosen.serial_hex)
            })
            .map(|c| c.der),
        Err(e) => {
            tracing::warn!(error = %e, "key writer failed");
            None
        }
    }
}

/// The `CKA_ID` of the certificate a renewal order renews.
fn old_key_id(order: &Order) -> Result<KeyId, ExecError> {
    let OrderDetails::Renewal(details) = &order.details else {
        return Err(ExecError::Other(format!(
            "order {} is not a renewal",
            order.number
        )));
    };
    KeyId::from_hex(&details.old_certificate.key_id_hex)
        .ok_or_else(|| ExecError::Other(format!("order {} has a bad key id", order.number)))
}

/// `CreatePayment`'s answer: the QR, or paid already (never a QR for money
/// that was taken), or none now.
fn offered(
    found: Result<kiosk_domain::ports::ca::PaymentInfo, CaError>,
    order: OrderNumber,
    amount: Fen,
    now: time::OffsetDateTime,
) -> RenewalEvent {
    match found.map(|info| info.answer(order, amount, now)) {
        Ok(PaymentAnswer::Waiting(qr)) => RenewalEvent::PaymentOffered(qr),
        Ok(PaymentAnswer::Paid(payment)) => RenewalEvent::PaymentConfirmed(payment),
        Ok(PaymentAnswer::Expired) => RenewalEvent::PaymentNotOffered,
        Ok(PaymentAnswer::Unusable(e)) => {
            tracing::warn!(order = %order, error = %e, "a payment the kiosk cannot record");
            RenewalEvent::PaymentNotOffered
        }
        Err(e) => {
            tracing::warn!(order = %order, error = %e, "payment not created");
            RenewalEvent::PaymentNotOffered
        }
    }
}

/// `CheckPayment`'s answer.
fn checked(
    found: Result<kiosk_domain::ports::ca::PaymentInfo, CaError>,
    order: OrderNumber,
    amount: Fen,
    now: time::OffsetDateTime,
) -> RenewalEvent {
    match found.map(|info| info.answer(order, amount, now)) {
        Ok(PaymentAnswer::Waiting(_)) => RenewalEvent::PaymentPending,
        Ok(PaymentAnswer::Paid(payment)) => RenewalEvent::PaymentConfirmed(payment),
        Ok(PaymentAnswer::Expired) => RenewalEvent::PaymentExpired,
        Ok(PaymentAnswer::Unusable(e)) => {
            tracing::warn!(order = %order, error = %e, "a payment the kiosk cannot record");
            RenewalEvent::PaymentPending
        }
        Err(e) => {
            tracing::debug!(order = %order, error = %e, "payment poll failed");
            RenewalEvent::PaymentPending
        }
    }
}

impl<K, C, S, P> Journal<RenewalState, RenewalEffect> for RenewalExecutor<K, C, S, P>
where
    S: OrderStore,
{
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<RenewalState, RenewalEffect>) -> Result<(), S::Error> {
        save_journal::<Renewal, S>(&mut self.store, saved)
    }
}

impl<K, C, S, P> Executor<RenewalEffect, RenewalEvent> for RenewalExecutor<K, C, S, P>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
{
    type Error = ExecError;

    fn run(
        &mut self,
        effect: &RenewalEffect,
        ticket: Ticket,
    ) -> Result<Ran<RenewalEvent>, ExecError> {
        let now = self.clock.wall();
        Ok(match effect {
            RenewalEffect::CheckEnvironment { .. } => {
                let writer = self.writer.clone();
                // Asked only while the link is up: offline, the check does
                // not wait for a CA that cannot answer.
                let ca = self
                    .ca
                    .clone()
                    .filter(|_| self.link.as_ref().is_some_and(Link::is_online));
                let (staff, now) = (self.staff.clone(), self.clock.wall());
                self.later_async(ticket, async move {
                    let keys = tokio::task::spawn_blocking(move || {
                        writer.lock().keys().map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("the key task failed: {e}")));
                    // The customer's key, as the environment picks it: a
                    // staff key inserted first is not asked about.
                    let customer = keys
                        .as_ref()
                        .ok()
                        .and_then(|keys| customer_key(keys, staff.as_deref(), now));
                    let at_ca = match (customer, ca) {
                        (Some(inserted), Some(ca)) => open_at_ca(&ca, inserted).await,
                        _ => Vec::new(),
                    };
                    Answer::Keys { keys, at_ca }
                })
            }
            RenewalEffect::VerifyPin {
                key_ids_hex,
                check_key,
                ..
            } => {
                let Some(pin) = self.pin.take() else {
                    // Resumed after a restart: the PIN died with the process
                    // (as it must). The customer starts again from home;
                    // their order, if any, is in the store and is continued.
                    return Ok(Ran::Answered(Some(RenewalEvent::GoHome)));
                };
                let Some(key_ids) = key_ids_hex
                    .iter()
                    .map(|hex| KeyId::from_hex(hex))
                    .collect::<Option<Vec<_>>>()
                else {
                    return Ok(Ran::Answered(Some(RenewalEvent::GoHome)));
                };
                let writer = self.writer.clone();
                let check_key = *check_key;
                self.later(ticket, move || {
                    Answer::Event(Some(verify_pin(
                        &mut *writer.lock(),
                        &key_ids,
                        pin,
                        check_key,
                    )))
                })
            }
            RenewalEffect::LookUpHolder {
                serial_hex,
                key_id_hex,
                ..
            } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(RenewalEvent::HolderUnknown)));
                };
                let serial = serial_hex.clone();
                let chosen = Chosen {
                    key_id: KeyId::from_hex(key_id_hex),
                    serial_hex: serial.clone(),
                };
                let (writer, reader) = (self.writer.clone(), Arc::clone(&self.reader));
                self.later_async(ticket, async move {
                    // First whether the CA renews the certificate at all, so
                    // that no one pays for a refusal.
                    match ask_renewability(&ca, writer, reader, chosen).await {
                        CaVerdict::Renewable => {}
                        CaVerdict::Refused(refused) => return Answer::Event(Some(refused)),
                        CaVerdict::Unknown => {
                            return Answer::Event(Some(RenewalEvent::HolderUnknown));
                        }
                    }
                    Answer::Event(Some(match ca.holder(&serial).await {
                        Ok(found) => {
                            // Whether, never what: no personal data in logs.
                            tracing::info!(on_file = found.is_some(), "holder details looked up");
                            RenewalEvent::HolderLookedUp(found.map(Box::new))
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "holder details not fetched");
                            RenewalEvent::HolderUnknown
                        }
                    }))
                })
            }
            RenewalEffect::CreateOrder {
                session,
                details,
                amount,
            } => {
                // Keyed by the session: after a crash the same order comes back.
                let order = self
                    .store
                    .create_renewal_order(*session, &self.settings.kiosk, now, *amount, details)
                    .map_err(store_error)?;
                Ran::Answered(Some(RenewalEvent::OrderCreated(Box::new(order))))
            }
            RenewalEffect::SaveOrder(order) => {
                self.store.save_order(order, now).map_err(store_error)?;
                Ran::Answered(None)
            }
            RenewalEffect::CreatePayment { order, amount } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(RenewalEvent::PaymentNotOffered)));
                };
                let (order, amount) = (*order, *amount);
                let chosen = match self.store.load_order(&order).map_err(store_error)? {
                    Some(Order {
                        details: OrderDetails::Renewal(details),
                        ..
                    }) => Some(Chosen {
                        key_id: KeyId::from_hex(&details.old_certificate.key_id_hex),
                        serial_hex: details.old_certificate.serial_hex,
                    }),
                    _ => None,
                };
                let (writer, reader) = (self.writer.clone(), Arc::clone(&self.reader));
                self.later_async(ticket, async move {
                    // The CA is asked again whether it renews the
                    // certificate: the order may have been prepared
                    // offline, or left unpaid, before something changed.
                    // Where the key cannot be read or the CA asked, the
                    // payment goes on (the CA's checks at issuance stand).
                    if let Some(chosen) = chosen
                        && let CaVerdict::Refused(refused) =
                            ask_renewability(&ca, writer, reader, chosen).await
                    {
                        return Answer::Event(Some(refused));
                    }
                    Answer::Event(Some(offered(
                        ca.create_payment(order, amount).await,
                        order,
                        amount,
                        now,
                    )))
                })
            }
            RenewalEffect::CheckPayment {
                order,
                amount,
                payment_id,
            } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(RenewalEvent::PaymentPending)));
                };
                let (order, amount, id) = (*order, *amount, payment_id.clone());
                self.later_async(ticket, async move {
                    Answer::Event(Some(checked(ca.payment(&id).await, order, amount, now)))
                })
            }
            RenewalEffect::Install {
                order,
                attempt,
                action,
            } => self.install(ticket, *order, *attempt, *action)?,
            RenewalEffect::RemoveAbandonedKeys {
                order,
                keep_attempt,
            } => {
                let Some(record) = self.store.load_order(order).map_err(store_error)? else {
                    return Ok(Ran::Answered(None));
                };
                let old_key_id = old_key_id(&record)?;
                let writer = self.writer.clone();
                let (order, keep) = (*order, *keep_attempt);
                self.later(ticket, move || {
                    let mut w = writer.lock();
                    let tag = KeyTag::new(order, keep);
                    let Some(key) = key_holding(&mut *w, &marks(&old_key_id, &tag)) else {
                        return Answer::Event(Some(RenewalEvent::InstallFailed(
                            InstallFailure::KeyRemoved,
                        )));
                    };
                    match renew::remove_abandoned(&mut *w, &key, &order, keep) {
                        Ok(_removed) => Answer::Event(None),
                        Err(e) => Answer::Event(Some(RenewalEvent::InstallFailed(e.failure()))),
                    }
                })
            }
            RenewalEffect::PrintReceipt { order } => self.print_receipt(ticket, order)?,
            RenewalEffect::ReportInstalled { order, attempt } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(None));
                };
                let (order, attempt) = (*order, *attempt);
                self.later_async(ticket, async move {
                    match ca.renewal_installed(order, attempt).await {
                        Ok(()) => tracing::info!(order = %order, "the CA heard the renewal is installed"),
                        // The old certificate is retired: no kiosk finds the
                        // order by it, so a lost report costs nothing.
                        Err(e) => tracing::warn!(order = %order, error = %e, "the CA did not hear the renewal is installed"),
                    }
                    Answer::Event(None)
                })
            }
            RenewalEffect::RemindToTakeKey => {
                self.notices.push(Notice::TakeYourKey);
                Ran::Answered(None)
            }
            RenewalEffect::WipeSession => {
                self.pin = None;
                self.notices.push(Notice::SessionWiped);
                // The session's login ends with it.
                let writer = self.writer.clone();
                self.later(ticket, move || {
                    logout_all(&mut *writer.lock());
                    Answer::Event(None)
                })
            }
        })
    }
}

/// Checks the PIN on the key holding one of `key_ids`; with `check_key`,
/// then that this key can renew the first of them (old key there, a new
/// key pair like it possible).
fn verify_pin<K: KeyWriter>(
    writer: &mut K,
    key_ids: &[KeyId],
    pin: Pin,
    check_key: bool,
) -> RenewalEvent
where
    K::Error: 'static,
{
    use kiosk_domain::flow::renewal::PinOutcome;
    let Some(key) = key_holding(writer, key_ids) else {
        return RenewalEvent::KeyRemoved;
    };
    let Some(key_id) = key_ids.first() else {
        return RenewalEvent::KeyRemoved;
    };
    let outcome = match writer.verify_pin(&key, pin) {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::warn!(error = %e, "PIN check failed on the key");
            return RenewalEvent::GoHome;
        }
    };
    if outcome != PinOutcome::Verified || !check_key {
        return RenewalEvent::PinChecked(outcome);
    }
    let checked = old_certificate(writer, &key, key_id)
        .and_then(|old| renew::check_before_payment(writer, &key, &old));
    match checked {
        Ok(algorithm) => {
            tracing::info!(?algorithm, "the key can renew");
            RenewalEvent::PinChecked(PinOutcome::Verified)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the key cannot renew this certificate");
            RenewalEvent::KeyUnsuitable(match e {
                RenewError::OldKeyMissing(_) | RenewError::OldKeyUnconfirmed => {
                    EnvironmentProblem::OldKeyMissing
                }
                RenewError::Token(e)
                    if e.kind() == kiosk_domain::ports::DeviceErrorKind::TokenRemoved =>
                {
                    EnvironmentProblem::NoKey
                }
                _ => EnvironmentProblem::NewKeyUnavailable,
            })
        }
    }
}

/// Ends every login the kiosk holds on inserted keys.
pub(crate) fn logout_all<K: KeyWriter>(writer: &mut K) {
    if let Ok(keys) = writer.keys() {
        for key in keys {
            if let Err(e) = writer.logout(&key.key) {
                tracing::debug!(error = %e, "logout");
            }
        }
    }
}

impl<K, C, S, P> FlowExecutor<Renewal> for RenewalExecutor<K, C, S, P>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
{
    fn finish(&mut self, answer: Box<dyn Any + Send>) -> Result<Option<RenewalEvent>, ExecError> {
        let answer = answer
            .downcast::<Answer>()
            .map_err(|_| ExecError::Other("an answer of another kind".to_owned()))?;
        Ok(match *answer {
            Answer::Event(event) => event,
            Answer::Keys { keys, at_ca } => Some(RenewalEvent::EnvironmentChecked(
                self.environment(keys, at_ca)?,
            )),
            Answer::Issued {
                order,
                attempt,
                der,
            } => {
                // Kept before the step counts as done: the CA will not issue
                // this attempt again for another request.
                self.store
                    .keep_issued(&order, attempt, &der)
                    .map_err(store_error)?;
                Some(RenewalEvent::InstallActionDone(
                    InstallAction::RequestCertificate,
                ))
            }
            Answer::Retired { order } => {
                // The new certificate is on the key: the copy is not needed.
                self.store.forget_issued(&order).map_err(store_error)?;
                Some(RenewalEvent::InstallActionDone(
                    InstallAction::RetireOldCertificate,
                ))
            }
        })
    }

    fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }
}

/// The renewal's screens.
#[derive(Debug, Default)]
pub struct RenewalBinding;

impl<K, C, S, P> Binding<Renewal, RenewalExecutor<K, C, S, P>> for RenewalBinding
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
{
    fn event(
        &mut self,
        ui: UiEvent,
        state: &RenewalState,
        exec: &mut RenewalExecutor<K, C, S, P>,
    ) -> Result<RenewalEvent, UiEvent> {
        let input = match ui {
            UiEvent::Pin(pin) if matches!(state, RenewalState::EnteringPin { .. }) => {
                exec.hand_over_pin(pin);
                return Ok(RenewalEvent::PinSubmitted);
            }
            UiEvent::Renewal(input) => input,
            other => return Err(other),
        };
        Ok(match input {
            RenewalInput::Start => RenewalEvent::Start(SessionId(random_u64())),
            RenewalInput::Retry | RenewalInput::Reinstall => RenewalEvent::Retry,
            RenewalInput::ChooseCertificate(i) => RenewalEvent::CertificateChosen(i),
            RenewalInput::ConfirmInfo(details) => {
                let (contact, invoice) = *details;
                RenewalEvent::InfoConfirmed { contact, invoice }
            }
            RenewalInput::Back => RenewalEvent::Back,
            RenewalInput::PayAtCounter => RenewalEvent::PayAtCounter,
            RenewalInput::Finish => RenewalEvent::GoHome,
        })
    }

    fn view(&self, state: &RenewalState, _exec: &RenewalExecutor<K, C, S, P>, cx: &Cx) -> UiUpdate {
        UiUpdate::Renewal {
            state: Box::new(state.clone()),
            ctx: cx.step,
            key_in: cx.key_in,
        }
    }

    fn redraw_every(&self, state: &RenewalState) -> Option<Duration> {
        // The payment's countdown.
        matches!(state, RenewalState::Paying { qr: Some(_), .. }).then_some(Duration::from_secs(1))
    }
}

/// A fresh random session id: it keys the order's creation.
#[must_use]
pub fn random_u64() -> u64 {
    let mut bytes = [0_u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy (never seen on Linux): the clock still differs per session.
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        return u64::try_from(nanos.rem_euclid(i128::from(u64::MAX))).unwrap_or(1);
    }
    u64::from_le_bytes(bytes)
}
