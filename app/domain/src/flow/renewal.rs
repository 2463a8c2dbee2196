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

use super::{SessionId, Step, StepContext};
use crate::money::Fen;
use crate::order::payment::Payment;
use crate::order::renewal::{
    CertificateSummary, Contact, InstallProgress, InstallStep, InvoiceInfo, RenewalDetails,
};
use crate::order::status::OrderStatus;
use crate::order::{Order, OrderDetails};
use crate::order_number::OrderNumber;
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
    /// 确认信息.
    ConfirmingInfo {
        session: SessionId,
        certificate: CertificateSummary,
        ca_online: bool,
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
    },
}

/// The aggregated payment QR code and when the CA cancels the unpaid order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentQr {
    pub payload: String,
    pub expires_at: OffsetDateTime,
}

/// Everything that can happen to the renewal flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewalEvent {
    /// The customer pressed 更新证书; the adapter made a fresh session id.
    Start(SessionId),
    EnvironmentChecked(Environment),
    /// 重新检测 after fixing what was missing.
    Retry,
    CertificateChosen(usize),
    /// The customer pressed OK on the PIN pad (the PIN went to the token).
    PinSubmitted,
    PinChecked(PinOutcome),
    InfoConfirmed {
        contact: Contact,
        invoice: InvoiceInfo,
    },
    /// The store created the order (with its number) for this session.
    OrderCreated(Box<Order>),
    PaymentOffered(PaymentQr),
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
    /// The adapter completed this install action (stale ones are ignored).
    InstallActionDone(InstallAction),
    InstallFailed(InstallFailure),
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
    /// Show the PIN pad and pass what is typed to the token for this key.
    VerifyPin {
        session: SessionId,
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
    /// Ask the CA for a payment QR (idempotent per order at the CA).
    CreatePayment {
        order: OrderNumber,
        amount: Fen,
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
    /// "请取走您的USB Key".
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
                | Self::Done { .. }
        )
    }

    /// Whether the customer's key may still be in the writer.
    fn key_may_be_in(&self) -> bool {
        !matches!(self, Self::Home | Self::CheckingEnvironment { .. })
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
        (S::Blocked { session, .. }, E::Retry) => check_environment(session),

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

        (
            S::EnteringPin {
                session,
                purpose,
                ca_online,
                ..
            },
            E::PinSubmitted,
        ) => {
            let key_id_hex = match &purpose {
                PinPurpose::Renew(cert) => cert.key_id_hex.clone(),
                PinPurpose::Resume(order) | PinPurpose::PayOpenOrder(order) => {
                    renewal_details(order)
                        .map_or_else(String::new, |d| d.old_certificate.key_id_hex.clone())
                }
            };
            Step::with(
                S::VerifyingPin {
                    session,
                    purpose,
                    ca_online,
                },
                vec![RenewalEffect::VerifyPin {
                    session,
                    key_id_hex,
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

        (
            S::ConfirmingInfo {
                session,
                certificate,
                ca_online,
            },
            E::InfoConfirmed { contact, invoice },
        ) => {
            let details = RenewalDetails {
                old_certificate: certificate.clone(),
                contact: contact.clone(),
                invoice: invoice.clone(),
                install: InstallProgress::default(),
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

        (state @ S::Paying { .. }, E::PayAtCounter) => {
            let mut first = Vec::new();
            if let S::Paying { order, .. } = &state {
                first.push(RenewalEffect::PrintReceipt {
                    order: order.number,
                });
            }
            home(&state, first)
        }

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

        (S::Installing { session, order }, E::InstallActionDone(action)) => {
            install_action_done(session, order, action)
        }

        (S::Installing { session, order }, E::InstallFailed(failure)) => {
            Step::to(S::InstallPending {
                session,
                order,
                failure,
            })
        }

        // 异常恢复: the customer reinserted the key or pressed 安装证书. As in
        // the CA's own recovery, the PIN is asked again: the token session
        // that the interrupted install used may be gone.
        (
            S::InstallPending {
                session,
                mut order,
                failure,
            },
            E::Retry,
        ) => {
            let mut effects = Vec::new();
            if failure == InstallFailure::KeyPairMissing {
                if let OrderDetails::Renewal(details) = &mut order.details {
                    details.install.attempt += 1;
                    details.install.step = InstallStep::NotStarted;
                }
                effects.push(RenewalEffect::SaveOrder(order.clone()));
            }
            Step::with(
                S::EnteringPin {
                    session,
                    purpose: PinPurpose::Resume(order),
                    ca_online: true,
                    last: None,
                },
                effects,
            )
        }

        (S::EnteringPin { session, .. } | S::ConfirmingInfo { session, .. }, E::Back) => {
            check_environment(session)
        }

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
        Some(order) if order.status() == OrderStatus::AwaitingPayment => {
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

fn after_pin(session: SessionId, purpose: PinPurpose, ca_online: bool) -> RenewalStep {
    match purpose {
        PinPurpose::Renew(certificate) => Step::to(RenewalState::ConfirmingInfo {
            session,
            certificate,
            ca_online,
        }),
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
    effects.insert(0, RenewalEffect::SaveOrder(order));
    effects.push(RenewalEffect::PrintReceipt { order: number });
    effects.push(RenewalEffect::RemindToTakeKey);
    Step::with(
        RenewalState::Done {
            session,
            order: number,
        },
        effects,
    )
}

#[cfg(test)]
mod tests;
