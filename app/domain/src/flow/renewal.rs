//! Renewal of a certificate on the customer's USB key (在线更新, spec §3.1).
//!
//! 环境检测 → 选择证书 → 校验PIN码 → 确认信息 → 费用支付 → 安装证书 → 完成更新,
//! with 异常恢复 when an install was interrupted.
//!
//! The PIN never appears here: the PIN pad hands it straight to the token
//! adapter (which zeroizes it after the call), and this flow only learns the
//! outcome ([`PinOutcome`]). So no state, event or effect can store or log it.
//!
//! Install safety: the new key pair is generated on the token, the CA's
//! certificate is verified against it before it is written, and the old
//! certificate is retired only after the new one is written and read back
//! ([`InstallAction::RetireOldCertificate`] is the last action of all).
//!
//! Everything that decides what happens next is here, under the property
//! tests: the details on file fetched for 确认信息, the key pulled out and put
//! back, the network coming and going, the payment polled on the flow's own
//! timer ([`Renewal`]'s `timer`), and what the receipt's printer said.

use super::driver::{Flow, Signal, Timer};
use super::{SessionId, Step, StepContext};
use crate::money::Fen;
use crate::order::payment::Payment;
use crate::order::renewal::{
    CertificateSummary, Contact, InstallProgress, InstallStep, InvoiceInfo, RenewalDetails,
};
use crate::order::status::OrderStatus;
use crate::order::{Order, OrderDetails};
use crate::order_number::OrderNumber;
use crate::ports::ca::OnFile;
use crate::ports::key_writer::KeyTag;
use crate::ports::printer::PrintOutcome;
use crate::renewal_window::RenewalVerdict;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What the environment check found missing (shown with what to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnvironmentProblem {
    /// 请插入USB Key.
    NoKey,
    /// A key is in, but no configured PKCS#11 module knows it: ask staff.
    UnsupportedKey,
    /// The key holds no certificate at all.
    NoCertificate,
    /// The key writer itself is not working.
    KeyReaderFault,
    /// With the PIN verified, the old certificate's private key is not on
    /// the key: no proof of possession can be made (staff help).
    OldKeyMissing,
    /// This key cannot make a new key pair like the old certificate's
    /// (algorithm or size): said before any payment (the counter helps).
    NewKeyUnavailable,
    /// The CA says the certificate was renewed already (by another order,
    /// or a later certificate replaced it): said before any payment.
    RenewedAlready,
    /// The CA does not renew the certificate (outside its renewal window,
    /// or not one of its certificates): said before any payment.
    RefusedByCa,
}

/// A certificate found on the key, with its renewal verdict and any earlier
/// order for it that this kiosk's store knows of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub certificate: CertificateSummary,
    /// An unfinished renewal order for this certificate: unpaid, or paid with
    /// the install not finished. Choosing the certificate continues it.
    pub open_order: Option<Order>,
}

/// What the token adapter reports after `CheckEnvironment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Environment {
    Ready {
        candidates: Vec<Candidate>,
        ca_online: bool,
    },
    Problem(EnvironmentProblem),
}

/// The outcome of a PIN check on the token (the PIN itself never comes back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PinOutcome {
    Verified,
    /// Wrong PIN; `tries_left` when the token tells it, `final_try` when the
    /// next wrong PIN locks the key.
    Wrong {
        tries_left: Option<u8>,
        final_try: bool,
    },
    /// The PIN is locked: only staff can unblock it (SO PIN).
    Locked,
}

/// The one thing the install adapter is asked to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstallAction {
    /// Generate the new key pair on the token, tagged with order and attempt.
    GenerateKeyPair,
    /// Build the PKCS#10 request on the token, add proof of possession by the
    /// old key, and send it to the CA.
    RequestCertificate,
    /// Fetch the issued certificate; check it matches the new public key and
    /// chains to the configured roots.
    VerifyCertificate,
    /// Write the verified certificate next to its key and read it back.
    WriteCertificate,
    /// Mark the old certificate superseded (keep or delete by CA policy).
    RetireOldCertificate,
}

impl InstallAction {
    /// The action that follows the recorded step, or `None` when done.
    #[must_use]
    pub fn after(step: InstallStep) -> Option<Self> {
        match step {
            InstallStep::NotStarted => Some(Self::GenerateKeyPair),
            InstallStep::KeyPairGenerated => Some(Self::RequestCertificate),
            InstallStep::RequestSent => Some(Self::VerifyCertificate),
            InstallStep::CertificateVerified => Some(Self::WriteCertificate),
            InstallStep::CertificateWritten => Some(Self::RetireOldCertificate),
            InstallStep::OldCertificateRetired => None,
        }
    }

    /// The step recorded once this action succeeded.
    #[must_use]
    pub fn completes(self) -> InstallStep {
        match self {
            Self::GenerateKeyPair => InstallStep::KeyPairGenerated,
            Self::RequestCertificate => InstallStep::RequestSent,
            Self::VerifyCertificate => InstallStep::CertificateVerified,
            Self::WriteCertificate => InstallStep::CertificateWritten,
            Self::RetireOldCertificate => InstallStep::OldCertificateRetired,
        }
    }
}

/// Why an install stopped (shown as "install pending" with what to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstallFailure {
    /// The key was pulled out.
    KeyRemoved,
    /// The CA cannot be reached; the install finishes when it can.
    Offline,
    /// The token refused an operation.
    TokenError,
    /// The CA's certificate did not match the new key or the roots: never written.
    CertificateRejected,
    /// The key pair of this attempt is gone from the token: start a new attempt.
    KeyPairMissing,
    /// The token is no longer logged in (power cut, restart): the PIN is
    /// needed again before the install goes on.
    Interrupted,
}

/// Why the customer is waiting at the PIN pad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PinPurpose {
    /// Before a new renewal of this certificate.
    Renew(CertificateSummary),
    /// Before continuing the install of a paid order (异常恢复).
    Resume(Box<Order>),
    /// Before paying an order that was created earlier and not paid.
    PayOpenOrder(Box<Order>),
}

/// What the CA has on file for the certificate's holder, for 确认信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HolderLookup {
    /// Not asked: the CA cannot be reached. The customer types the details.
    NotAsked,
    /// The CA is being asked.
    Asking,
    /// The CA's details, for the customer to confirm or correct.
    Found(Box<OnFile>),
    /// The CA has nothing on file: the customer types the details.
    NothingOnFile,
}

/// Where the renewal flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewalState {
    Home,
    /// 环境检测 in progress.
    CheckingEnvironment {
        session: SessionId,
    },
    /// Something is missing; the screen says what and offers to retry.
    Blocked {
        session: SessionId,
        problem: EnvironmentProblem,
    },
    /// 选择证书.
    ChoosingCertificate {
        session: SessionId,
        candidates: Vec<Candidate>,
        ca_online: bool,
    },
    /// 校验PIN码: the pad is shown; `last` is the previous wrong attempt.
    EnteringPin {
        session: SessionId,
        purpose: PinPurpose,
        ca_online: bool,
        last: Option<PinOutcome>,
    },
    /// The token is checking the PIN.
    VerifyingPin {
        session: SessionId,
        purpose: PinPurpose,
        ca_online: bool,
    },
    /// The PIN is locked: staff must unblock it.
    PinLocked {
        session: SessionId,
    },
    /// 确认信息: the details on file (when the CA has them) to confirm, or
    /// the form to fill in.
    ConfirmingInfo {
        session: SessionId,
        certificate: CertificateSummary,
        ca_online: bool,
        on_file: HolderLookup,
    },
    /// The order is being created durably.
    CreatingOrder {
        session: SessionId,
        certificate: CertificateSummary,
        contact: Contact,
        invoice: InvoiceInfo,
        ca_online: bool,
    },
    /// 费用支付: waiting for the QR (`qr` is `None` until the CA answers, or
    /// while offline), then for the payment.
    Paying {
        session: SessionId,
        order: Box<Order>,
        qr: Option<PaymentQr>,
        ca_online: bool,
    },
    /// 到柜台支付: the order waits for staff to take the money; its receipt
    /// says where to go.
    PayingAtCounter {
        session: SessionId,
        order: OrderNumber,
        amount: Fen,
        /// What the printer said (`None` while it prints).
        receipt: Option<PrintOutcome>,
    },
    /// 安装证书: the next install action is running.
    Installing {
        session: SessionId,
        order: Box<Order>,
    },
    /// 异常恢复: the install stopped; resuming continues from the recorded step.
    InstallPending {
        session: SessionId,
        order: Box<Order>,
        failure: InstallFailure,
    },
    /// 完成更新.
    Done {
        session: SessionId,
        order: OrderNumber,
        /// The new certificate's expiry.
        valid_until: Option<OffsetDateTime>,
        /// What the printer said (`None` while it prints).
        receipt: Option<PrintOutcome>,
    },
}

pub use crate::ports::ca::PaymentQr;

/// Everything that can happen to the renewal flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewalEvent {
    /// The customer pressed 更新证书; the adapter made a fresh session id.
    Start(SessionId),
    EnvironmentChecked(Environment),
    /// 重新检测 after fixing what was missing, or 重新安装.
    Retry,
    CertificateChosen(usize),
    /// The customer pressed OK on the PIN pad (the PIN went to the token).
    PinSubmitted,
    PinChecked(PinOutcome),
    /// The PIN was right, but this key cannot renew this certificate.
    KeyUnsuitable(EnvironmentProblem),
    /// The CA's details on file for the holder (`None`: it has none).
    HolderLookedUp(Option<Box<OnFile>>),
    /// The CA could not be asked about the holder.
    HolderUnknown,
    /// Asked before any payment (at 确认信息, and again as a payment is
    /// opened), the CA said it will not renew the certificate;
    /// `renewed_already` when another order renewed it.
    RefusedByCa {
        renewed_already: bool,
    },
    /// 确认并提交 with the details shown (as confirmed or typed).
    InfoConfirmed {
        contact: Contact,
        invoice: InvoiceInfo,
    },
    /// The store created the order (with its number) for this session.
    OrderCreated(Box<Order>),
    PaymentOffered(PaymentQr),
    /// The CA could not give a QR code now (unreachable, refused).
    PaymentNotOffered,
    /// The flow's timer: time to ask the CA about the payment again.
    PollPayment,
    /// The CA says the payment still waits (or could not be asked).
    PaymentPending,
    /// The CA confirmed a payment (QR) or staff recorded one at the counter.
    PaymentConfirmed(Payment),
    /// The CA cancelled the unpaid order.
    PaymentExpired,
    /// The customer prefers to pay at the counter: the order stays unpaid and
    /// a receipt tells them where to go.
    PayAtCounter,
    NetworkChanged {
        online: bool,
    },
    /// A key was put into the key writer.
    KeyInserted,
    /// The key was pulled out.
    KeyRemoved,
    /// The adapter completed this install action (stale ones are ignored).
    InstallActionDone(InstallAction),
    /// `VerifyCertificate` done: the CA's certificate matches the new key
    /// and chains to the roots; this is what it says.
    CertificateVerified(Box<CertificateSummary>),
    InstallFailed(InstallFailure),
    /// What the printer said about the receipt.
    ReceiptPrinted(PrintOutcome),
    Back,
    GoHome,
    IdleTimeout,
}

/// The work the renewal flow asks the adapters to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewalEffect {
    /// Detect the key, its module and certificates; ask the store for open
    /// orders of those certificates; check the CA's reachability.
    CheckEnvironment {
        session: SessionId,
    },
    /// Pass what the pad took to the token for this key; with
    /// `check_key`, then check that the old key is there and that a new key
    /// pair like it can be made, before anything is paid.
    VerifyPin {
        session: SessionId,
        /// The certificates (`CKA_ID`, hex) that mark the customer's key:
        /// the old certificate's, and for a resumed install the new one's
        /// (the old one may be retired already).
        key_ids_hex: Vec<String>,
        check_key: bool,
    },
    /// Ask the CA whether it renews the certificate (read from the key by
    /// `key_id_hex`), so that no one pays for a refusal, then for the
    /// holder's details on file.
    LookUpHolder {
        session: SessionId,
        serial_hex: String,
        /// Empty in a journal written before the CA was asked first.
        #[serde(default)]
        key_id_hex: String,
    },
    /// Allocate an order number and store the order with its outbox entry
    /// (idempotent per session: a repeat returns the same order).
    CreateOrder {
        session: SessionId,
        details: Box<RenewalDetails>,
        amount: Fen,
    },
    /// Store this version of the order (idempotent: the order replaces itself).
    SaveOrder(Box<Order>),
    /// Ask the CA for a payment QR (idempotent per order at the CA), once it
    /// said again that it renews the order's certificate.
    CreatePayment {
        order: OrderNumber,
        amount: Fen,
    },
    /// Ask the CA whether the payment went through.
    CheckPayment {
        order: OrderNumber,
        amount: Fen,
        payment_id: String,
    },
    /// Run one install action for this order and attempt.
    Install {
        order: OrderNumber,
        attempt: u32,
        action: InstallAction,
    },
    /// Remove key pairs left on the token by earlier attempts of this order.
    RemoveAbandonedKeys {
        order: OrderNumber,
        keep_attempt: u32,
    },
    PrintReceipt {
        order: OrderNumber,
    },
    /// Tell the CA the certificate of this attempt is on the key (已完成), so
    /// that no kiosk offers the order's install again (idempotent at the CA;
    /// a report lost offline costs nothing: the old certificate is retired,
    /// so no kiosk finds the order by it).
    ReportInstalled {
        order: OrderNumber,
        attempt: u32,
    },
    /// "请取走您的USB Key" (when it is still in).
    RemindToTakeKey,
    /// Forget everything the customer entered in this session.
    WipeSession,
}

type RenewalStep = Step<RenewalState, RenewalEffect>;

impl RenewalState {
    /// The session this state belongs to (`None` at home).
    #[must_use]
    pub fn session(&self) -> Option<SessionId> {
        match self {
            Self::Home => None,
            Self::CheckingEnvironment { session }
            | Self::Blocked { session, .. }
            | Self::ChoosingCertificate { session, .. }
            | Self::EnteringPin { session, .. }
            | Self::VerifyingPin { session, .. }
            | Self::PinLocked { session }
            | Self::ConfirmingInfo { session, .. }
            | Self::CreatingOrder { session, .. }
            | Self::Paying { session, .. }
            | Self::PayingAtCounter { session, .. }
            | Self::Installing { session, .. }
            | Self::InstallPending { session, .. }
            | Self::Done { session, .. } => Some(*session),
        }
    }

    /// Whether the state holds anything the customer entered or read from
    /// their key (names, phone, invoice data, certificate details).
    #[must_use]
    pub fn holds_personal_data(&self) -> bool {
        !matches!(
            self,
            Self::Home
                | Self::CheckingEnvironment { .. }
                | Self::Blocked { .. }
                | Self::PinLocked { .. }
                | Self::PayingAtCounter { .. }
                | Self::Done { .. }
        )
    }

    /// Whether the customer's key may still be in the writer.
    fn key_may_be_in(&self) -> bool {
        !matches!(self, Self::Home | Self::CheckingEnvironment { .. })
    }

    /// The same state with the CA's reachability as now known.
    fn with_online(self, online: bool) -> Self {
        match self {
            Self::ChoosingCertificate {
                session,
                candidates,
                ..
            } => Self::ChoosingCertificate {
                session,
                candidates,
                ca_online: online,
            },
            Self::EnteringPin {
                session,
                purpose,
                last,
                ..
            } => Self::EnteringPin {
                session,
                purpose,
                ca_online: online,
                last,
            },
            Self::VerifyingPin {
                session, purpose, ..
            } => Self::VerifyingPin {
                session,
                purpose,
                ca_online: online,
            },
            Self::CreatingOrder {
                session,
                certificate,
                contact,
                invoice,
                ..
            } => Self::CreatingOrder {
                session,
                certificate,
                contact,
                invoice,
                ca_online: online,
            },
            other => other,
        }
    }
}

/// The renewal flow, for the driver.
#[derive(Debug)]
pub struct Renewal;

impl Flow for Renewal {
    type State = RenewalState;
    type Event = RenewalEvent;
    type Effect = RenewalEffect;
    const NAME: &'static str = "renewal";
    /// 2: the holder lookup, the counter slip, the receipt's outcome.
    const FORMAT: u32 = 2;

    fn home() -> RenewalState {
        RenewalState::Home
    }

    fn step(state: RenewalState, event: RenewalEvent, ctx: &StepContext) -> RenewalStep {
        step(state, event, ctx)
    }

    fn session(state: &RenewalState) -> Option<SessionId> {
        state.session()
    }

    /// A restart needs nothing more: an install resumes from its journal,
    /// and the key put back in resumes its order.
    fn signal(signal: Signal) -> Option<RenewalEvent> {
        Some(match signal {
            Signal::GoHome => RenewalEvent::GoHome,
            Signal::IdleTimeout => RenewalEvent::IdleTimeout,
            Signal::KeyInserted => RenewalEvent::KeyInserted,
            Signal::KeyRemoved => RenewalEvent::KeyRemoved,
            Signal::Network { online } => RenewalEvent::NetworkChanged { online },
            Signal::Restarted => return None,
        })
    }

    /// A slow effect matters only while the flow waits for it: the install's
    /// actions while installing that order, the payment's calls while
    /// paying, the lookup, PIN check and key check on their screens, the
    /// receipt while its outcome is shown.
    fn keeps_running(effect: &RenewalEffect, state: &RenewalState) -> bool {
        use RenewalEffect as F;
        use RenewalState as S;
        match effect {
            F::Install { order, .. } | F::RemoveAbandonedKeys { order, .. } => {
                matches!(state, S::Installing { order: o, .. } if o.number == *order)
            }
            F::CreatePayment { .. } | F::CheckPayment { .. } => matches!(state, S::Paying { .. }),
            F::LookUpHolder { .. } => matches!(state, S::ConfirmingInfo { .. }),
            F::VerifyPin { .. } => matches!(state, S::VerifyingPin { .. }),
            F::CheckEnvironment { .. } => matches!(state, S::CheckingEnvironment { .. }),
            F::PrintReceipt { .. } => matches!(state, S::Done { .. } | S::PayingAtCounter { .. }),
            F::CreateOrder { .. }
            | F::SaveOrder(_)
            | F::ReportInstalled { .. }
            | F::RemindToTakeKey
            | F::WipeSession => true,
        }
    }

    /// While paying, the CA is asked every `payment_poll` whether the QR was
    /// paid (or, without a QR yet, for one).
    fn timer(state: &RenewalState, ctx: &StepContext) -> Option<Timer<RenewalEvent>> {
        match state {
            RenewalState::Paying { qr, ca_online, .. } if qr.is_some() || *ca_online => {
                Some(Timer {
                    after: ctx.payment_poll,
                    event: RenewalEvent::PollPayment,
                })
            }
            _ => None,
        }
    }
}

/// Leaves for home after `first` (e.g. saving the order): wipes the session
/// and reminds the customer to take their key if it may still be in.
fn home(from: &RenewalState, first: Vec<RenewalEffect>) -> RenewalStep {
    let mut effects = first;
    effects.push(RenewalEffect::WipeSession);
    if from.key_may_be_in() {
        effects.push(RenewalEffect::RemindToTakeKey);
    }
    Step::with(RenewalState::Home, effects)
}

/// One step of the renewal flow.
#[must_use]
pub fn step(state: RenewalState, event: RenewalEvent, ctx: &StepContext) -> RenewalStep {
    use RenewalEvent as E;
    use RenewalState as S;

    match (state, event) {
        (state, E::GoHome | E::IdleTimeout) => home(&state, Vec::new()),

        (S::Home | S::Done { .. }, E::Start(session)) => check_environment(session),
        (S::Blocked { session, .. }, E::Retry | E::KeyInserted) => check_environment(session),

        (S::CheckingEnvironment { session }, E::EnvironmentChecked(env)) => match env {
            Environment::Problem(problem) => Step::to(S::Blocked { session, problem }),
            Environment::Ready { candidates, .. } if candidates.is_empty() => {
                Step::to(S::Blocked {
                    session,
                    problem: EnvironmentProblem::NoCertificate,
                })
            }
            Environment::Ready {
                candidates,
                ca_online,
            } => Step::to(S::ChoosingCertificate {
                session,
                candidates,
                ca_online,
            }),
        },

        (
            S::ChoosingCertificate {
                session,
                candidates,
                ca_online,
            },
            E::CertificateChosen(index),
        ) => choose(session, candidates, index, ca_online, ctx),

        // The key the customer chose from is gone: nothing more can be done
        // with it until it is back.
        (
            S::ChoosingCertificate { session, .. }
            | S::EnteringPin { session, .. }
            | S::VerifyingPin { session, .. },
            E::KeyRemoved,
        ) => Step::to(S::Blocked {
            session,
            problem: EnvironmentProblem::NoKey,
        }),

        (
            S::EnteringPin {
                session,
                purpose,
                ca_online,
                ..
            },
            E::PinSubmitted,
        ) => {
            let key_ids_hex = match &purpose {
                PinPurpose::Renew(cert) => vec![cert.key_id_hex.clone()],
                PinPurpose::PayOpenOrder(order) => renewal_details(order)
                    .map(|d| vec![d.old_certificate.key_id_hex.clone()])
                    .unwrap_or_default(),
                PinPurpose::Resume(order) => renewal_details(order)
                    .map(|d| {
                        let tag = KeyTag::new(order.number, d.install.attempt);
                        vec![d.old_certificate.key_id_hex.clone(), tag.key_id().to_hex()]
                    })
                    .unwrap_or_default(),
            };
            // Nothing is paid before the key is known to be able to renew;
            // a paid order goes on to its install (which says what fails).
            let check_key = !matches!(purpose, PinPurpose::Resume(_));
            Step::with(
                S::VerifyingPin {
                    session,
                    purpose,
                    ca_online,
                },
                vec![RenewalEffect::VerifyPin {
                    session,
                    key_ids_hex,
                    check_key,
                }],
            )
        }

        (
            S::VerifyingPin {
                session,
                purpose,
                ca_online,
            },
            E::PinChecked(outcome),
        ) => match outcome {
            PinOutcome::Verified => after_pin(session, purpose, ca_online),
            PinOutcome::Locked => Step::to(S::PinLocked { session }),
            wrong @ PinOutcome::Wrong { .. } => Step::to(S::EnteringPin {
                session,
                purpose,
                ca_online,
                last: Some(wrong),
            }),
        },

        (S::VerifyingPin { session, .. }, E::KeyUnsuitable(problem)) => {
            Step::to(S::Blocked { session, problem })
        }

        // Asked at 确认信息, or again before a payment is opened (an order
        // prepared offline, an unpaid order paid later): nothing is paid
        // for a renewal the CA refuses.
        (
            S::ConfirmingInfo {
                session,
                on_file: HolderLookup::Asking,
                ..
            },
            E::RefusedByCa { renewed_already },
        ) => refused_by_ca(session, renewed_already),
        (S::Paying { session, order, .. }, E::RefusedByCa { renewed_already })
            if order.payment().is_none() =>
        {
            refused_by_ca(session, renewed_already)
        }

        (
            S::ConfirmingInfo {
                session,
                certificate,
                ca_online,
                on_file: HolderLookup::Asking,
            },
            answer @ (E::HolderLookedUp(_) | E::HolderUnknown),
        ) => {
            let on_file = match answer {
                E::HolderLookedUp(Some(found)) => HolderLookup::Found(found),
                E::HolderLookedUp(None) => HolderLookup::NothingOnFile,
                _ => HolderLookup::NotAsked,
            };
            Step::to(S::ConfirmingInfo {
                session,
                certificate,
                ca_online,
                on_file,
            })
        }

        (
            S::ConfirmingInfo {
                session,
                certificate,
                on_file,
                ..
            },
            E::NetworkChanged { online },
        ) => {
            if online && on_file == HolderLookup::NotAsked {
                confirming(session, certificate, true)
            } else {
                Step::to(S::ConfirmingInfo {
                    session,
                    certificate,
                    ca_online: online,
                    on_file,
                })
            }
        }

        // Nothing is ordered (so nothing paid) before the CA has said
        // whether it renews the certificate.
        (
            state @ S::ConfirmingInfo {
                on_file: HolderLookup::Asking,
                ..
            },
            E::InfoConfirmed { .. },
        ) => Step::to(state),

        (
            S::ConfirmingInfo {
                session,
                certificate,
                ca_online,
                ..
            },
            E::InfoConfirmed { contact, invoice },
        ) => {
            let details = RenewalDetails {
                old_certificate: certificate.clone(),
                contact: contact.clone(),
                invoice: invoice.clone(),
                install: InstallProgress::default(),
                new_certificate: None,
            };
            Step::with(
                S::CreatingOrder {
                    session,
                    certificate,
                    contact,
                    invoice,
                    ca_online,
                },
                vec![RenewalEffect::CreateOrder {
                    session,
                    details: Box::new(details),
                    amount: ctx.renewal_price,
                }],
            )
        }

        (
            S::CreatingOrder {
                session, ca_online, ..
            },
            E::OrderCreated(order),
        ) => pay(session, order, ca_online),

        (
            S::Paying {
                session,
                order,
                ca_online,
                ..
            },
            E::PaymentOffered(qr),
        ) => Step::to(S::Paying {
            session,
            order,
            qr: Some(qr),
            ca_online,
        }),

        (
            S::Paying {
                session,
                order,
                qr: None,
                ..
            },
            E::PaymentNotOffered,
        ) => Step::to(S::Paying {
            session,
            order,
            qr: None,
            ca_online: false,
        }),

        (
            S::Paying {
                session,
                order,
                qr,
                ca_online,
            },
            E::PollPayment,
        ) => {
            let effect = match &qr {
                Some(qr) => RenewalEffect::CheckPayment {
                    order: order.number,
                    amount: order.amount,
                    payment_id: qr.payment_id.clone(),
                },
                None => create_payment(&order),
            };
            Step::with(
                S::Paying {
                    session,
                    order,
                    qr,
                    ca_online,
                },
                vec![effect],
            )
        }

        (
            S::Paying {
                session,
                mut order,
                qr,
                ca_online,
            },
            E::PaymentConfirmed(payment),
        ) => match order.record_payment(payment) {
            Ok(_) => install(session, order, Vec::new()),
            // A confirmation that does not fit (wrong amount): keep waiting;
            // the order and its status are unchanged.
            Err(_) => Step::to(S::Paying {
                session,
                order,
                qr,
                ca_online,
            }),
        },

        (state @ S::Paying { .. }, E::PaymentExpired) => {
            // The CA cancelled the unpaid order; the customer starts over.
            let mut first = Vec::new();
            if let S::Paying { order, .. } = &state {
                let mut order = order.clone();
                if order.apply_ca_status(OrderStatus::Cancelled, None).is_ok() {
                    first.push(RenewalEffect::SaveOrder(order));
                }
            }
            home(&state, first)
        }

        (S::Paying { session, order, .. }, E::PayAtCounter) => Step::with(
            S::PayingAtCounter {
                session,
                order: order.number,
                amount: order.amount,
                receipt: None,
            },
            vec![RenewalEffect::PrintReceipt {
                order: order.number,
            }],
        ),

        (
            S::Paying {
                session, order, qr, ..
            },
            E::NetworkChanged { online },
        ) => {
            let effects = if online && qr.is_none() {
                vec![create_payment(&order)]
            } else {
                Vec::new()
            };
            Step::with(
                S::Paying {
                    session,
                    order,
                    qr,
                    ca_online: online,
                },
                effects,
            )
        }

        (
            S::PayingAtCounter {
                session,
                order,
                amount,
                ..
            },
            E::ReceiptPrinted(outcome),
        ) => Step::to(S::PayingAtCounter {
            session,
            order,
            amount,
            receipt: Some(outcome),
        }),

        (S::Installing { session, order }, E::InstallActionDone(action)) => {
            install_action_done(session, order, action, None)
        }

        (S::Installing { session, order }, E::CertificateVerified(certificate)) => {
            install_action_done(
                session,
                order,
                InstallAction::VerifyCertificate,
                Some(*certificate),
            )
        }

        (S::Installing { session, order }, E::InstallFailed(failure)) => {
            Step::to(S::InstallPending {
                session,
                order,
                failure,
            })
        }

        // Pulled out mid-install: said at once, resumed when it is back.
        (S::Installing { session, order }, E::KeyRemoved) => Step::to(S::InstallPending {
            session,
            order,
            failure: InstallFailure::KeyRemoved,
        }),

        // 异常恢复: the customer pressed 重新安装, or put the pulled key back.
        // As in the CA's own recovery, the PIN is asked again: the token
        // session that the interrupted install used may be gone.
        (
            S::InstallPending {
                session,
                order,
                failure,
            },
            E::Retry,
        ) => resume_install(session, order, failure),
        (
            S::InstallPending {
                session,
                order,
                failure: failure @ InstallFailure::KeyRemoved,
            },
            E::KeyInserted,
        ) => resume_install(session, order, failure),

        (
            S::Done {
                session,
                order,
                valid_until,
                ..
            },
            E::ReceiptPrinted(outcome),
        ) => Step::to(S::Done {
            session,
            order,
            valid_until,
            receipt: Some(outcome),
        }),

        (S::EnteringPin { session, .. } | S::ConfirmingInfo { session, .. }, E::Back) => {
            check_environment(session)
        }

        (state, E::NetworkChanged { online }) => Step::to(state.with_online(online)),

        // Anything else does not apply to this state (a late device event, a
        // double tap): the state stays as it is and nothing runs.
        (state, _) => Step::to(state),
    }
}

fn check_environment(session: SessionId) -> RenewalStep {
    Step::with(
        RenewalState::CheckingEnvironment { session },
        vec![RenewalEffect::CheckEnvironment { session }],
    )
}

fn resume_install(
    session: SessionId,
    mut order: Box<Order>,
    failure: InstallFailure,
) -> RenewalStep {
    let mut effects = Vec::new();
    if failure == InstallFailure::KeyPairMissing {
        if let OrderDetails::Renewal(details) = &mut order.details {
            details.install.attempt += 1;
            details.install.step = InstallStep::NotStarted;
        }
        effects.push(RenewalEffect::SaveOrder(order.clone()));
    }
    Step::with(
        RenewalState::EnteringPin {
            session,
            purpose: PinPurpose::Resume(order),
            ca_online: true,
            last: None,
        },
        effects,
    )
}

fn choose(
    session: SessionId,
    candidates: Vec<Candidate>,
    index: usize,
    ca_online: bool,
    ctx: &StepContext,
) -> RenewalStep {
    let Some(candidate) = candidates.get(index).cloned() else {
        return Step::to(RenewalState::ChoosingCertificate {
            session,
            candidates,
            ca_online,
        });
    };
    // An open order for this certificate is continued, never duplicated:
    // a second order could be paid a second time.
    let purpose = match candidate.open_order {
        Some(order) if order.payment().is_some() => PinPurpose::Resume(Box::new(order)),
        // Unpaid here, or paid where this kiosk did not see it (at the
        // counter: the CA's feed says 正在受理): the CA is asked for the
        // order's payment, which it gives back paid; never a new order.
        Some(order)
            if matches!(
                order.status(),
                OrderStatus::AwaitingPayment | OrderStatus::InProgress
            ) =>
        {
            PinPurpose::PayOpenOrder(Box::new(order))
        }
        _ => {
            let verdict = ctx
                .window
                .verdict(candidate.certificate.not_after, ctx.now, ctx.floor);
            if !matches!(verdict, RenewalVerdict::Renewable { .. }) {
                // The screen shows the verdict on the candidate; choosing it does nothing.
                return Step::to(RenewalState::ChoosingCertificate {
                    session,
                    candidates,
                    ca_online,
                });
            }
            PinPurpose::Renew(candidate.certificate)
        }
    };
    Step::to(RenewalState::EnteringPin {
        session,
        purpose,
        ca_online,
        last: None,
    })
}

/// 确认信息, asking the CA (when it can be reached) whether it renews the
/// certificate and for the details on file.
fn confirming(session: SessionId, certificate: CertificateSummary, ca_online: bool) -> RenewalStep {
    if !ca_online {
        return Step::to(RenewalState::ConfirmingInfo {
            session,
            certificate,
            ca_online,
            on_file: HolderLookup::NotAsked,
        });
    }
    let serial_hex = certificate.serial_hex.clone();
    let key_id_hex = certificate.key_id_hex.clone();
    Step::with(
        RenewalState::ConfirmingInfo {
            session,
            certificate,
            ca_online,
            on_file: HolderLookup::Asking,
        },
        vec![RenewalEffect::LookUpHolder {
            session,
            serial_hex,
            key_id_hex,
        }],
    )
}

fn refused_by_ca(session: SessionId, renewed_already: bool) -> RenewalStep {
    Step::to(RenewalState::Blocked {
        session,
        problem: if renewed_already {
            EnvironmentProblem::RenewedAlready
        } else {
            EnvironmentProblem::RefusedByCa
        },
    })
}

fn after_pin(session: SessionId, purpose: PinPurpose, ca_online: bool) -> RenewalStep {
    match purpose {
        PinPurpose::Renew(certificate) => confirming(session, certificate, ca_online),
        PinPurpose::Resume(order) => install(session, order, Vec::new()),
        PinPurpose::PayOpenOrder(order) => pay(session, order, ca_online),
    }
}

fn create_payment(order: &Order) -> RenewalEffect {
    RenewalEffect::CreatePayment {
        order: order.number,
        amount: order.amount,
    }
}

fn pay(session: SessionId, order: Box<Order>, ca_online: bool) -> RenewalStep {
    if order.payment().is_some() {
        // Paid already (e.g. at the counter while the customer waited): never
        // ask for money again.
        return install(session, order, Vec::new());
    }
    let effects = if ca_online {
        vec![create_payment(&order)]
    } else {
        Vec::new()
    };
    Step::with(
        RenewalState::Paying {
            session,
            order,
            qr: None,
            ca_online,
        },
        effects,
    )
}

fn renewal_details(order: &Order) -> Option<&RenewalDetails> {
    match &order.details {
        OrderDetails::Renewal(details) => Some(details),
        OrderDetails::Application(_) => None,
    }
}

/// Saves the order and asks for the next install action.
fn install(session: SessionId, order: Box<Order>, mut effects: Vec<RenewalEffect>) -> RenewalStep {
    let Some(progress) = renewal_details(&order).map(|d| d.install) else {
        return Step::to(RenewalState::Home);
    };
    if progress.attempt > 1 || progress.step != InstallStep::NotStarted {
        effects.push(RenewalEffect::RemoveAbandonedKeys {
            order: order.number,
            keep_attempt: progress.attempt,
        });
    }
    if !effects
        .iter()
        .any(|e| matches!(e, RenewalEffect::SaveOrder(_)))
    {
        effects.insert(0, RenewalEffect::SaveOrder(order.clone()));
    }
    match InstallAction::after(progress.step) {
        Some(action) => {
            effects.push(RenewalEffect::Install {
                order: order.number,
                attempt: progress.attempt,
                action,
            });
            Step::with(RenewalState::Installing { session, order }, effects)
        }
        None => finish(session, order, effects),
    }
}

fn install_action_done(
    session: SessionId,
    mut order: Box<Order>,
    action: InstallAction,
    new_certificate: Option<CertificateSummary>,
) -> RenewalStep {
    let Some(progress) = renewal_details(&order).map(|d| d.install) else {
        return Step::to(RenewalState::Home);
    };
    if InstallAction::after(progress.step) != Some(action) {
        // A stale or repeated report: the recorded step already moved on.
        return Step::to(RenewalState::Installing { session, order });
    }
    if let OrderDetails::Renewal(details) = &mut order.details {
        details.install.step = action.completes();
        if new_certificate.is_some() {
            details.new_certificate = new_certificate;
        }
    }
    if action == InstallAction::VerifyCertificate {
        // The CA has issued (已制证); the status follows.
        let _ = order.apply_ca_status(OrderStatus::CertificateMade, None);
    }
    install(session, order, Vec::new())
}

fn finish(
    session: SessionId,
    mut order: Box<Order>,
    mut effects: Vec<RenewalEffect>,
) -> RenewalStep {
    // The new certificate works on the token: 已完成.
    let _ = order.apply_ca_status(OrderStatus::Completed, None);
    effects.retain(|e| !matches!(e, RenewalEffect::SaveOrder(_)));
    let number = order.number;
    let valid_until = renewal_details(&order)
        .and_then(|d| d.new_certificate.as_ref())
        .map(|c| c.not_after);
    let attempt = renewal_details(&order).map(|d| d.install.attempt);
    effects.insert(0, RenewalEffect::SaveOrder(order));
    if let Some(attempt) = attempt {
        effects.push(RenewalEffect::ReportInstalled {
            order: number,
            attempt,
        });
    }
    // 完成更新 itself tells the customer to take their key.
    effects.push(RenewalEffect::PrintReceipt { order: number });
    Step::with(
        RenewalState::Done {
            session,
            order: number,
            valid_until,
            receipt: None,
        },
        effects,
    )
}

#[cfg(test)]
mod tests;
