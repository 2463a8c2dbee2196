//! Runs the renewal flow's effects on the real parts: the store, the USB key
//! (PKCS#11), the CA and the receipt printer. One effect at a time, each
//! idempotent (keyed by session, order and attempt), so the driver may run
//! it again after a power cut.

use crate::ca_link::{CaLink, PaymentInfo, PaymentKind, PaymentStatus};
use crate::receipts::Receipts;
use crate::ui_port::{UiSender, UiUpdate};
use kiosk_domain::flow::driver::{Executor, Journal, Saved};
use kiosk_domain::flow::renewal::{
    Candidate, Environment, EnvironmentProblem, InstallAction, InstallFailure, PaymentQr,
    RenewalEffect, RenewalEvent, RenewalState,
};
use kiosk_domain::money::Fen;
use kiosk_domain::order::payment::{Payment, PaymentMethod};
use kiosk_domain::order::text::Reference;
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::key_writer::{
    KeyAlgorithm, KeyId, KeyRef, KeyTag, KeyWriter, Pin, RetirePolicy,
};
use kiosk_store::Store;
use kiosk_sync_client::CallError;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::renewal::{KeyAlgorithmV1, ProofV1, RenewalRequestV1};
use kiosk_token::Pkcs11KeyWriter;
use kiosk_token::renew::{self, OldCertificate, RenewError, Trust};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

/// The flow's name and snapshot format in the store's journal.
pub const FLOW: &str = "renewal";
pub const FORMAT: u32 = 1;

/// What the runtime must show or do after an effect (not flow events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// "请取走您的USB Key".
    TakeYourKey,
    /// The customer's session is over: forget what the screens hold.
    SessionWiped,
    /// The receipt could not be printed (the screen shows the order instead).
    PrinterFailed,
}

/// Settings the effects need, from the configuration.
#[derive(Debug, Clone)]
pub struct RenewalSettings {
    pub kiosk: KioskCode,
    /// Trust anchors for certificates the CA issues.
    pub certificate_roots: Vec<Vec<u8>>,
    pub retire: RetirePolicy,
    /// Where issued certificates wait between the CA's answer and the write
    /// (certificates are public; kept until the renewal is done).
    pub issued_dir: PathBuf,
    /// How long `RequestCertificate` waits for the outbox to deliver the
    /// order the CA must know before it issues.
    pub order_upload_wait: Duration,
}

/// The effects' world.
pub struct RenewalIo {
    pub store: Store,
    pub writer: Pkcs11KeyWriter,
    pub ca: Option<CaLink>,
    pub receipts: Receipts,
    pub settings: RenewalSettings,
    /// The PIN pad's PIN, handed over with `PinSubmitted` and consumed by
    /// the `VerifyPin` effect that follows (never stored, never cloned).
    pin: Option<Pin>,
    /// The CA's payment per order (found again by asking when unknown).
    payments: HashMap<OrderNumber, PaymentInfo>,
    notices: Vec<Notice>,
    /// Shown each journaled state, so that the install's progress appears
    /// step by step while the driver runs the effects one after another.
    progress: Option<UiSender>,
    now: fn() -> OffsetDateTime,
}

impl std::fmt::Debug for RenewalIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewalIo")
            .field("pin", &self.pin.as_ref().map(|_| "****"))
            .field("payments", &self.payments.len())
            .finish_non_exhaustive()
    }
}

/// A fault of the kiosk itself (store, configuration), not of the customer's
/// key or the CA: those become flow events.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("store: {0}")]
    Store(#[from] kiosk_store::StoreError),
    #[error("{0}")]
    Other(String),
}

impl RenewalIo {
    #[must_use]
    pub fn new(
        store: Store,
        writer: Pkcs11KeyWriter,
        ca: Option<CaLink>,
        receipts: Receipts,
        settings: RenewalSettings,
    ) -> Self {
        Self {
            store,
            writer,
            ca,
            receipts,
            settings,
            pin: None,
            payments: HashMap::new(),
            notices: Vec::new(),
            progress: None,
            now: OffsetDateTime::now_utc,
        }
    }

    /// Shows every journaled state on the screens as it is saved.
    #[must_use]
    pub fn with_progress(mut self, ui: UiSender) -> Self {
        self.progress = Some(ui);
        self
    }

    /// The PIN typed on the pad, for the next `VerifyPin`.
    pub fn hand_over_pin(&mut self, pin: Pin) {
        self.pin = Some(pin);
    }

    /// What the screens must learn since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Whether any key is in the writer (for reminders and recovery).
    pub fn key_present(&mut self) -> bool {
        self.writer.keys().is_ok_and(|keys| !keys.is_empty())
    }

    /// The inserted key holding the certificate with `key_id`, else the first.
    fn key_for(&mut self, key_id: Option<&KeyId>) -> Option<KeyRef> {
        let keys = self.writer.keys().ok()?;
        let holding = key_id.and_then(|id| {
            keys.iter()
                .find(|k| k.certificates.iter().any(|c| &c.key_id == id))
                .map(|k| k.key.clone())
        });
        holding.or_else(|| keys.first().map(|k| k.key.clone()))
    }

    fn check_environment(&mut self) -> Result<Environment, IoError> {
        let keys = match self.writer.keys() {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, "key writer failed");
                return Ok(Environment::Problem(EnvironmentProblem::KeyReaderFault));
            }
        };
        let Some(inserted) = keys.into_iter().next() else {
            return Ok(Environment::Problem(EnvironmentProblem::NoKey));
        };
        let mut candidates = Vec::new();
        for certificate in renew::renewable_certificates(inserted.certificates) {
            let open_order = self.store.open_renewal_for(&certificate.serial_hex)?;
            candidates.push(Candidate {
                certificate,
                open_order,
            });
        }
        let ca_online = self.ca.as_ref().is_some_and(CaLink::online);
        Ok(Environment::Ready {
            candidates,
            ca_online,
        })
    }

    fn create_order(
        &mut self,
        effect: &RenewalEffect,
        now: OffsetDateTime,
    ) -> Result<Option<RenewalEvent>, IoError> {
        let RenewalEffect::CreateOrder {
            session,
            details,
            amount,
        } = effect
        else {
            return Ok(None);
        };
        // Keyed by the session: after a crash the same order comes back.
        let order = self.store.create_renewal_order(
            *session,
            &self.settings.kiosk,
            now,
            *amount,
            details,
        )?;
        Ok(Some(RenewalEvent::OrderCreated(Box::new(order))))
    }

    /// `CreatePayment`: the QR from the CA, or "offline" (the flow waits
    /// for the network and asks again).
    fn create_payment(&mut self, order: OrderNumber, amount: i64) -> RenewalEvent {
        let Some(ca) = &self.ca else {
            return RenewalEvent::NetworkChanged { online: false };
        };
        match ca.create_payment(order.as_str(), amount) {
            Ok(payment) if payment.status == PaymentStatus::Paid => {
                // Paid already (at the counter, or before a restart): never
                // show a QR code for money that was taken.
                let event = self.paid(order, Fen(amount), &payment);
                self.payments.insert(order, payment);
                event.unwrap_or(RenewalEvent::NetworkChanged { online: true })
            }
            Ok(payment) => {
                let qr = PaymentQr {
                    payload: payment.qr_payload.clone(),
                    expires_at: payment.expires_at,
                };
                self.payments.insert(order, payment);
                RenewalEvent::PaymentOffered(qr)
            }
            Err(e) => {
                tracing::warn!(order = %order, error = %e, "payment not created");
                RenewalEvent::NetworkChanged { online: false }
            }
        }
    }

    /// Asks the CA whether the order's QR payment went through: the event
    /// for the flow when it did or expired, `None` while it is pending (or
    /// the CA is unreachable: the next poll asks again).
    pub fn poll_payment(&mut self, order: &Order) -> Option<RenewalEvent> {
        let ca = self.ca.as_ref()?;
        let known = self.payments.get(&order.number).map(|p| p.id.clone());
        let info = match known {
            Some(id) => ca.payment(&id),
            // After a restart: the CA finds the order's payment again.
            None => ca.create_payment(order.number.as_str(), order.amount.0),
        };
        let info = match info {
            Ok(info) => info,
            Err(e) => {
                tracing::debug!(order = %order.number, error = %e, "payment poll failed");
                return None;
            }
        };
        self.payments.insert(order.number, info.clone());
        match info.status {
            PaymentStatus::Pending => None,
            PaymentStatus::Expired => Some(RenewalEvent::PaymentExpired),
            PaymentStatus::Paid => self.paid(order.number, order.amount, &info),
        }
    }

    /// The flow's `PaymentConfirmed` for a payment the CA says is paid (by
    /// QR, or at the counter while the customer was away).
    fn paid(&self, order: OrderNumber, amount: Fen, info: &PaymentInfo) -> Option<RenewalEvent> {
        let reference = info.reference.as_deref().unwrap_or(info.id.as_str());
        let Ok(reference) = reference.parse::<Reference>() else {
            tracing::warn!(order = %order, "payment reference not usable");
            return None;
        };
        let method = match info.method {
            PaymentKind::Qr => PaymentMethod::AggregatedQr,
            // The CA's record carries the till's reference; who took the
            // money is in the CA's own audit.
            PaymentKind::Counter => PaymentMethod::Counter {
                staff_id: reference.clone(),
            },
            PaymentKind::BankTransfer => {
                tracing::warn!(order = %order, "a renewal paid by bank transfer: not for the kiosk");
                return None;
            }
        };
        Some(RenewalEvent::PaymentConfirmed(Payment {
            method,
            amount,
            reference,
            confirmed_at: info.paid_at.unwrap_or_else(self.now),
        }))
    }

    fn issued_path(&self, tag: &KeyTag) -> PathBuf {
        self.settings
            .issued_dir
            .join(format!("{}-{}.der", tag.order, tag.attempt))
    }

    /// One install action. `Err` only for the kiosk's own faults; the key's
    /// and the CA's become `InstallFailed`.
    fn install(
        &mut self,
        order: OrderNumber,
        attempt: u32,
        action: InstallAction,
    ) -> Result<RenewalEvent, IoError> {
        let Some(record) = self.store.load_order(&order)? else {
            return Err(IoError::Other(format!("order {order} is not in the store")));
        };
        let old_key_id = old_key_id(&record)?;
        let Some(key) = self.key_for(Some(&old_key_id)) else {
            return Ok(RenewalEvent::InstallFailed(InstallFailure::KeyRemoved));
        };
        let tag = KeyTag::new(order, attempt);
        let trust = Trust {
            intermediates: &[],
            roots: &self.settings.certificate_roots,
            now: (self.now)(),
        };
        let done: Result<(), RenewError<kiosk_token::TokenError>> = match action {
            InstallAction::GenerateKeyPair => {
                renew::generate(&mut self.writer, &key, &tag, KeyAlgorithm::EcP256).map(|_| ())
            }
            InstallAction::RequestCertificate => {
                return self.request_certificate(&record, &key, &tag, old_key_id);
            }
            InstallAction::VerifyCertificate => match std::fs::read(self.issued_path(&tag)) {
                Ok(der) => renew::verify(&mut self.writer, &key, &tag, &der, &trust).map(|_| ()),
                // The issued certificate is gone (disk replaced): ask again.
                Err(_) => return Ok(RenewalEvent::InstallFailed(InstallFailure::Offline)),
            },
            InstallAction::WriteCertificate => match std::fs::read(self.issued_path(&tag)) {
                Ok(der) => renew::verify_and_write(
                    &mut self.writer,
                    &key,
                    &tag,
                    &der,
                    &trust,
                    &format!("cert:{order}"),
                )
                .map(|_| ()),
                Err(_) => return Ok(RenewalEvent::InstallFailed(InstallFailure::Offline)),
            },
            InstallAction::RetireOldCertificate => {
                let done = renew::retire(&mut self.writer, &key, &old_key_id, self.settings.retire);
                if done.is_ok() {
                    // The new certificate is on the key: the copy is not needed.
                    let _ = std::fs::remove_file(self.issued_path(&tag));
                }
                done
            }
        };
        Ok(match done {
            Ok(()) => RenewalEvent::InstallActionDone(action),
            Err(e) => {
                tracing::warn!(order = %order, attempt, ?action, error = %e, "install action failed");
                RenewalEvent::InstallFailed(e.failure())
            }
        })
    }

    /// `RequestCertificate`: the request signed on the key, with proof of
    /// possession by the old key, sent to the CA; its certificate kept in
    /// `issued_dir` before the step counts as done.
    fn request_certificate(
        &mut self,
        record: &Order,
        key: &KeyRef,
        tag: &KeyTag,
        old_key_id: KeyId,
    ) -> Result<RenewalEvent, IoError> {
        let path = self.issued_path(tag);
        if path.exists() {
            return Ok(RenewalEvent::InstallActionDone(
                InstallAction::RequestCertificate,
            ));
        }
        let Some(ca) = self.ca.clone() else {
            return Ok(RenewalEvent::InstallFailed(InstallFailure::Offline));
        };
        // The CA may have answered before (the answer was lost to a power
        // cut or a failed write): a new request would be a new CSR, which it
        // refuses for the same attempt, so ask for that answer first.
        match ca.issued(record.number.as_str(), tag.attempt) {
            Ok(Some(issued)) => return self.keep_issued(&path, &issued),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(order = %record.number, error = %e, "CA not asked for an earlier answer");
                return Ok(RenewalEvent::InstallFailed(renewal_failure(&e)));
            }
        }
        let der = record_old_der(&mut self.writer, key, &old_key_id)?;
        let old = OldCertificate {
            key_id: old_key_id,
            der,
        };
        let request = match renew::request(&mut self.writer, key, tag, &old) {
            Ok(r) => r,
            Err(e) => return Ok(RenewalEvent::InstallFailed(e.failure())),
        };
        let algorithm = match request.proof.algorithm {
            kiosk_x509::KeyAlgorithm::EcP256 => KeyAlgorithmV1::EcP256,
            kiosk_x509::KeyAlgorithm::Rsa { bits } => KeyAlgorithmV1::Rsa { bits },
            // The protocol carries RSA and P-256 proofs only (SM2 waits for
            // the vendor's mechanism): the old key cannot prove itself here.
            _ => return Ok(RenewalEvent::InstallFailed(InstallFailure::TokenError)),
        };
        let wire = RenewalRequestV1 {
            attempt: tag.attempt,
            request_der_hex: hex::encode(&request.csr_der),
            proof: ProofV1 {
                old_certificate_der_hex: hex::encode(&request.proof.old_certificate_der),
                signature_hex: hex::encode(&request.proof.signature),
                algorithm,
            },
        };
        // The CA issues only for an order it has: the outbox may still be
        // delivering it, so a "not found" is waited out for a while.
        let deadline = std::time::Instant::now() + self.settings.order_upload_wait;
        let issued = loop {
            match ca.renew(record.number.as_str(), &wire) {
                Ok(issued) => break issued,
                Err(e) if waits_for_upload(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => {
                    tracing::warn!(order = %record.number, error = %e, "renewal not issued");
                    return Ok(RenewalEvent::InstallFailed(renewal_failure(&e)));
                }
            }
        };
        self.keep_issued(&path, &issued)
    }

    /// Keeps the CA's certificate on disk (checked against the key in the
    /// next step); the request step is done once it is there.
    fn keep_issued(
        &self,
        path: &std::path::Path,
        issued: &kiosk_sync_wire::renewal::RenewalIssuedV1,
    ) -> Result<RenewalEvent, IoError> {
        let Ok(der) = hex::decode(&issued.certificate_der_hex) else {
            return Ok(RenewalEvent::InstallFailed(
                InstallFailure::CertificateRejected,
            ));
        };
        write_atomically(path, &der)
            .map_err(|e| IoError::Other(format!("keep the issued certificate: {e}")))?;
        Ok(RenewalEvent::InstallActionDone(
            InstallAction::RequestCertificate,
        ))
    }
}

/// The old certificate's DER from the key (the proof of possession signs
/// with its key and carries it).
fn record_old_der(
    writer: &mut Pkcs11KeyWriter,
    key: &KeyRef,
    key_id: &KeyId,
) -> Result<Vec<u8>, IoError> {
    let keys = writer
        .keys()
        .map_err(|e| IoError::Other(format!("key writer: {e}")))?;
    keys.iter()
        .filter(|k| &k.key == key)
        .flat_map(|k| &k.certificates)
        .find(|c| &c.key_id == key_id)
        .map(|c| c.der.clone())
        .ok_or_else(|| IoError::Other("the old certificate is not on the key".to_owned()))
}

fn waits_for_upload(e: &CallError) -> bool {
    matches!(e, CallError::Status { status: 404, .. })
}

/// What a refused renewal means for the customer.
fn renewal_failure(e: &CallError) -> InstallFailure {
    match e {
        CallError::Status {
            problem: Some(p), ..
        } if matches!(
            p.code,
            ProblemCode::ProofRejected | ProblemCode::UnknownCertificate
        ) =>
        {
            InstallFailure::CertificateRejected
        }
        // Unreachable, busy, not yet delivered or not yet paid at the CA:
        // the install finishes when it can.
        _ => InstallFailure::Offline,
    }
}

/// The `CKA_ID` of the certificate a renewal order renews.
fn old_key_id(order: &Order) -> Result<KeyId, IoError> {
    let OrderDetails::Renewal(details) = &order.details else {
        return Err(IoError::Other(format!(
            "order {} is not a renewal",
            order.number
        )));
    };
    KeyId::from_hex(&details.old_certificate.key_id_hex)
        .ok_or_else(|| IoError::Other(format!("order {} has a bad key id", order.number)))
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

impl Journal<RenewalState, RenewalEffect> for RenewalIo {
    type Error = kiosk_store::StoreError;
    fn save(&mut self, saved: &Saved<RenewalState, RenewalEffect>) -> Result<(), Self::Error> {
        self.store
            .save_flow_state(FLOW, FORMAT, saved.state.session(), saved)?;
        if let Some(ui) = &self.progress {
            ui.send(UiUpdate::Progress(Box::new(saved.state.clone())));
        }
        Ok(())
    }
}

impl Executor<RenewalEffect, RenewalEvent> for RenewalIo {
    type Error = IoError;

    fn run(&mut self, effect: &RenewalEffect) -> Result<Option<RenewalEvent>, IoError> {
        let now = (self.now)();
        Ok(match effect {
            RenewalEffect::CheckEnvironment { .. } => {
                Some(RenewalEvent::EnvironmentChecked(self.check_environment()?))
            }
            RenewalEffect::VerifyPin { key_id_hex, .. } => {
                let Some(pin) = self.pin.take() else {
                    // Resumed after a restart: the PIN died with the process
                    // (as it must). The customer starts again from home;
                    // their order, if any, is in the store and is continued.
                    return Ok(Some(RenewalEvent::GoHome));
                };
                let key_id = KeyId::from_hex(key_id_hex);
                let Some(key) = self.key_for(key_id.as_ref()) else {
                    return Ok(Some(RenewalEvent::GoHome));
                };
                match self.writer.verify_pin(&key, pin) {
                    Ok(outcome) => Some(RenewalEvent::PinChecked(outcome)),
                    Err(e) => {
                        tracing::warn!(error = %e, "PIN check failed on the key");
                        Some(RenewalEvent::GoHome)
                    }
                }
            }
            RenewalEffect::CreateOrder { .. } => self.create_order(effect, now)?,
            RenewalEffect::SaveOrder(order) => {
                self.store.save_order(order, now)?;
                None
            }
            RenewalEffect::CreatePayment { order, amount } => {
                Some(self.create_payment(*order, amount.0))
            }
            RenewalEffect::Install {
                order,
                attempt,
                action,
            } => Some(self.install(*order, *attempt, *action)?),
            RenewalEffect::RemoveAbandonedKeys {
                order,
                keep_attempt,
            } => {
                let Some(key) = self.key_for(None) else {
                    return Ok(Some(RenewalEvent::InstallFailed(
                        InstallFailure::KeyRemoved,
                    )));
                };
                match renew::remove_abandoned(&mut self.writer, &key, order, *keep_attempt) {
                    Ok(_removed) => None,
                    Err(e) => Some(RenewalEvent::InstallFailed(e.failure())),
                }
            }
            RenewalEffect::PrintReceipt { order } => {
                if let Some(order) = self.store.load_order(order)?
                    && !self.receipts.print(&order, now)
                {
                    self.notices.push(Notice::PrinterFailed);
                }
                None
            }
            RenewalEffect::RemindToTakeKey => {
                self.notices.push(Notice::TakeYourKey);
                None
            }
            RenewalEffect::WipeSession => {
                self.pin = None;
                self.payments.clear();
                self.notices.push(Notice::SessionWiped);
                None
            }
        })
    }
}
