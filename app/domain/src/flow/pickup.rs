//! 现场领取 (spec §3.2 step 6): an application picked up at the hall is
//! written onto a blank key that staff hand over, once the CA has made it
//! ready (已制证).
//!
//! The customer finds the order by its number and mobile (from 查询订单);
//! the CA says whether it can be written now. With the blank key in and its
//! PIN verified, the install runs like a renewal's, each step recorded
//! before the next (the journal is this flow's state): the key pair made on
//! the key, tagged with order and attempt; the unit's request sent (the
//! CA's earlier answer for the attempt asked first); the certificate
//! checked against that key pair and the roots; then written with the
//! e-seals; the CA told (已完成). A cut install (key pulled, power, CA down)
//! stops at 异常恢复 and continues from its step, here or, from the CA's
//! last issued attempt, at any kiosk.

use super::driver::{Flow, Signal, Timer};
use super::renewal::{InstallAction, InstallFailure, PinOutcome};
use super::{SessionId, Step, StepContext};
use crate::ids::MobileNumber;
use crate::order::renewal::{InstallProgress, InstallStep};
use crate::order::text::UnitName;
use crate::order_number::OrderNumber;
use crate::ports::ca::{OnSiteIssued, Pickup, PickupAtCa};
use crate::ports::printer::PrintOutcome;
use serde::{Deserialize, Serialize};

/// Why the order cannot be written now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotNow {
    /// The CA has no application with this number and mobile.
    NotFound,
    /// The CA cannot be asked now.
    Offline,
    /// Mailed, not written at the hall; or not ready; or written already.
    Pickup(Pickup),
}

/// What the key check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyCheck {
    /// A blank key (or one holding only this order's key pair and
    /// certificate: an install to continue).
    Usable,
    NoKey,
    /// The key holds other certificates: it is not the blank key staff
    /// hand over (a customer's own key must not be written over).
    NotBlank,
    /// No configured module knows the key, or it can make no key pair the
    /// kiosk can use.
    Unsupported,
}

/// One pickup in progress: the order as the CA has it, the mobile the
/// customer gave (the CA asks for it again with the request), where the
/// install stands, and what the CA issued for the current attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub order: PickupAtCa,
    pub mobile: MobileNumber,
    pub progress: InstallProgress,
    pub issued: Option<OnSiteIssued>,
}

/// What the receipt of a pickup is made from: public data only (the unit,
/// the certificate written), nothing of the handler's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupPrint {
    pub number: OrderNumber,
    pub unit_name: UnitName,
    /// The e-seals written with the certificate.
    pub seals: u32,
    /// The certificate written (DER): the receipt reads its serial and
    /// expiry from it.
    pub certificate_der: Vec<u8>,
}

/// Where the pickup flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickupState {
    Home,
    /// The CA is asked about the order.
    Asking {
        session: SessionId,
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// It cannot be written now; the screen says why.
    NotNow {
        session: SessionId,
        number: OrderNumber,
        why: NotNow,
    },
    /// 请向工作人员领取空白USB Key并插入 (or the key is being checked).
    WaitingForKey {
        session: SessionId,
        job: Box<Job>,
        checking: bool,
        /// What the last check found (`None`: nothing checked yet).
        last: Option<KeyCheck>,
    },
    /// The key's PIN (set by staff); `last` is the previous wrong attempt.
    EnteringPin {
        session: SessionId,
        job: Box<Job>,
        last: Option<PinOutcome>,
    },
    VerifyingPin {
        session: SessionId,
        job: Box<Job>,
    },
    /// The key's PIN is locked: staff must unblock it.
    PinLocked {
        session: SessionId,
    },
    /// The next install action is running.
    Writing {
        session: SessionId,
        job: Box<Job>,
    },
    /// 异常恢复: stopped; 重新写入 continues from the recorded step.
    Pending {
        session: SessionId,
        job: Box<Job>,
        failure: InstallFailure,
    },
    /// The certificate and e-seals are on the key.
    Done {
        session: SessionId,
        number: OrderNumber,
        /// What became of the receipt (`None`: printing).
        #[serde(default)]
        receipt: Option<PrintOutcome>,
    },
}

/// Everything that can happen to the pickup flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickupEvent {
    /// 现场领取 on an order 查询订单 found; the adapter made the session id.
    Start {
        session: SessionId,
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// The CA's answer (`None`: no such application).
    Found(Option<Box<PickupAtCa>>),
    /// The CA could not be asked.
    NotAsked,
    KeyInserted,
    KeyRemoved,
    KeyChecked(KeyCheck),
    /// OK on the PIN pad (the PIN went to the key's adapter).
    PinSubmitted,
    PinChecked(PinOutcome),
    /// `RequestCertificate` done: what the CA issued for the attempt.
    Issued(Box<OnSiteIssued>),
    /// The adapter completed this action (stale ones are ignored).
    ActionDone(InstallAction),
    /// What became of the receipt.
    ReceiptPrinted(PrintOutcome),
    Failed(InstallFailure),
    /// 重新写入 on 异常恢复.
    Retry,
    /// The kiosk started again with this state: the key's login is gone.
    Restarted,
    GoHome,
    IdleTimeout,
}

/// The work the pickup flow asks the adapters to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickupEffect {
    /// Ask the CA about the application.
    FindPickup {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// Is the inserted key blank (or holding only this order's tag)?
    CheckKey { order: OrderNumber },
    /// Pass what the pad took to the key.
    VerifyPin,
    /// Run one install action for this order and attempt (`RequestCertificate`
    /// carries what the request needs; the checks and the write carry what
    /// the CA issued).
    Install {
        job: Box<Job>,
        action: InstallAction,
    },
    /// Remove key pairs left on the key by earlier attempts of this order.
    RemoveAbandonedKeys {
        order: OrderNumber,
        keep_attempt: u32,
    },
    /// Tell the CA the certificate and e-seals are on the key (已完成).
    ReportWritten { order: OrderNumber, attempt: u32 },
    /// Print the receipt of the write: the certificate now on the key and
    /// its e-seals.
    PrintReceipt(PickupPrint),
    /// "请取走您的USB Key".
    RemindToTakeKey,
    /// Forget everything of this session.
    WipeSession,
}

type PickupStep = Step<PickupState, PickupEffect>;

/// The action after `step` on site (no old certificate to retire).
#[must_use]
pub fn next_action(step: InstallStep) -> Option<InstallAction> {
    match InstallAction::after(step) {
        Some(InstallAction::RetireOldCertificate) | None => None,
        other => other,
    }
}

impl PickupState {
    #[must_use]
    pub fn session(&self) -> Option<SessionId> {
        match self {
            Self::Home => None,
            Self::Asking { session, .. }
            | Self::NotNow { session, .. }
            | Self::WaitingForKey { session, .. }
            | Self::EnteringPin { session, .. }
            | Self::VerifyingPin { session, .. }
            | Self::PinLocked { session }
            | Self::Writing { session, .. }
            | Self::Pending { session, .. }
            | Self::Done { session, .. } => Some(*session),
        }
    }

    /// Whether it holds what the customer typed or the CA sent about them
    /// (the mobile, the unit, the e-seals' holders).
    #[must_use]
    pub fn holds_personal_data(&self) -> bool {
        !matches!(
            self,
            Self::Home | Self::NotNow { .. } | Self::PinLocked { .. } | Self::Done { .. }
        )
    }

    /// Whether the key may still be in the writer (the one written, or one
    /// put in to be checked): leaving then reminds the customer to take it.
    fn key_may_be_in(&self) -> bool {
        matches!(
            self,
            Self::EnteringPin { .. }
                | Self::VerifyingPin { .. }
                | Self::PinLocked { .. }
                | Self::Writing { .. }
                | Self::Pending { .. }
                | Self::WaitingForKey { .. }
                | Self::Done { .. }
        )
    }
}

/// The pickup flow, for the driver.
#[derive(Debug)]
pub struct PickupFlow;

impl Flow for PickupFlow {
    type State = PickupState;
    type Event = PickupEvent;
    type Effect = PickupEffect;
    const NAME: &'static str = "pickup";
    const FORMAT: u32 = 1;

    fn home() -> PickupState {
        PickupState::Home
    }

    fn step(state: PickupState, event: PickupEvent, ctx: &StepContext) -> PickupStep {
        step(state, event, ctx)
    }

    fn session(state: &PickupState) -> Option<SessionId> {
        state.session()
    }

    fn signal(signal: Signal) -> Option<PickupEvent> {
        Some(match signal {
            Signal::GoHome => PickupEvent::GoHome,
            Signal::IdleTimeout => PickupEvent::IdleTimeout,
            Signal::KeyInserted => PickupEvent::KeyInserted,
            Signal::KeyRemoved => PickupEvent::KeyRemoved,
            Signal::Restarted => PickupEvent::Restarted,
            Signal::Network { .. } => return None,
        })
    }

    fn timer(_state: &PickupState, _ctx: &StepContext) -> Option<Timer<PickupEvent>> {
        None
    }

    fn keeps_running(effect: &PickupEffect, state: &PickupState) -> bool {
        use PickupEffect as F;
        use PickupState as S;
        match effect {
            F::FindPickup { .. } => matches!(state, S::Asking { .. }),
            F::CheckKey { .. } => matches!(state, S::WaitingForKey { checking: true, .. }),
            F::VerifyPin => matches!(state, S::VerifyingPin { .. }),
            F::Install { job, .. } => {
                matches!(state, S::Writing { job: j, .. } if j.order.number == job.order.number)
            }
            F::RemoveAbandonedKeys { order, .. } => {
                matches!(state, S::Writing { job: j, .. } if j.order.number == *order)
            }
            // Its outcome is shown on 完成.
            F::PrintReceipt(print) => {
                matches!(state, S::Done { number, .. } if *number == print.number)
            }
            F::ReportWritten { .. } | F::RemindToTakeKey | F::WipeSession => true,
        }
    }
}

fn home(from: &PickupState) -> PickupStep {
    let mut effects = vec![PickupEffect::WipeSession];
    if from.key_may_be_in() {
        effects.push(PickupEffect::RemindToTakeKey);
    }
    Step::with(PickupState::Home, effects)
}

fn waiting(session: SessionId, job: Box<Job>, last: Option<KeyCheck>) -> PickupStep {
    Step::to(PickupState::WaitingForKey {
        session,
        job,
        checking: false,
        last,
    })
}

fn check_key(session: SessionId, job: Box<Job>) -> PickupStep {
    let order = job.order.number;
    Step::with(
        PickupState::WaitingForKey {
            session,
            job,
            checking: true,
            last: None,
        },
        vec![PickupEffect::CheckKey { order }],
    )
}

/// Asks for the next install action (or finishes).
fn install(session: SessionId, job: Box<Job>) -> PickupStep {
    let mut effects = Vec::new();
    let progress = job.progress;
    if progress.attempt > 1 || progress.step != InstallStep::NotStarted {
        effects.push(PickupEffect::RemoveAbandonedKeys {
            order: job.order.number,
            keep_attempt: progress.attempt,
        });
    }
    match next_action(progress.step) {
        Some(action) => {
            effects.push(PickupEffect::Install {
                job: job.clone(),
                action,
            });
            Step::with(PickupState::Writing { session, job }, effects)
        }
        None => {
            let number = job.order.number;
            // The receipt first: the customer waits for it, not for the
            // CA's acknowledgement (which may take a timeout offline).
            let mut effects = Vec::new();
            if let Some(issued) = &job.issued {
                effects.push(PickupEffect::PrintReceipt(PickupPrint {
                    number,
                    unit_name: job.order.unit_name.clone(),
                    seals: job.order.seals,
                    certificate_der: issued.certificate_der.clone(),
                }));
            }
            effects.push(PickupEffect::ReportWritten {
                order: number,
                attempt: progress.attempt,
            });
            Step::with(
                PickupState::Done {
                    session,
                    number,
                    receipt: None,
                },
                effects,
            )
        }
    }
}

fn action_done(session: SessionId, mut job: Box<Job>, action: InstallAction) -> PickupStep {
    if next_action(job.progress.step) != Some(action) {
        // Stale or repeated: the recorded step moved on already.
        return Step::to(PickupState::Writing { session, job });
    }
    job.progress.step = action.completes();
    install(session, job)
}

/// One step of the pickup flow.
#[must_use]
pub fn step(state: PickupState, event: PickupEvent, _ctx: &StepContext) -> PickupStep {
    use PickupEvent as E;
    use PickupState as S;

    match (state, event) {
        (state, E::GoHome | E::IdleTimeout) => home(&state),

        (
            S::Home | S::NotNow { .. } | S::Done { .. },
            E::Start {
                session,
                number,
                mobile,
            },
        ) => Step::with(
            S::Asking {
                session,
                number,
                mobile: mobile.clone(),
            },
            vec![PickupEffect::FindPickup { number, mobile }],
        ),

        (
            S::Asking {
                session,
                number,
                mobile,
            },
            E::Found(found),
        ) => match found {
            None => Step::to(S::NotNow {
                session,
                number,
                why: NotNow::NotFound,
            }),
            Some(order) if order.number != number => Step::to(S::NotNow {
                session,
                number,
                why: NotNow::NotFound,
            }),
            Some(order) => match order.pickup() {
                Pickup::Ready => {
                    let progress = InstallProgress::resumed(order.issued_attempt);
                    let job = Box::new(Job {
                        order: *order,
                        mobile,
                        progress,
                        issued: None,
                    });
                    check_key(session, job)
                }
                other => Step::to(S::NotNow {
                    session,
                    number,
                    why: NotNow::Pickup(other),
                }),
            },
        },
        (
            S::Asking {
                session, number, ..
            },
            E::NotAsked,
        ) => Step::to(S::NotNow {
            session,
            number,
            why: NotNow::Offline,
        }),

        (
            S::WaitingForKey {
                session,
                job,
                checking: false,
                ..
            },
            E::KeyInserted | E::Retry,
        ) => check_key(session, job),
        (
            S::WaitingForKey {
                session,
                job,
                checking: true,
                ..
            },
            E::KeyChecked(check),
        ) => match check {
            KeyCheck::Usable => Step::to(S::EnteringPin {
                session,
                job,
                last: None,
            }),
            other => waiting(session, job, Some(other)),
        },

        (S::EnteringPin { session, job, .. } | S::VerifyingPin { session, job }, E::KeyRemoved) => {
            waiting(session, job, Some(KeyCheck::NoKey))
        }

        (S::EnteringPin { session, job, .. }, E::PinSubmitted) => Step::with(
            S::VerifyingPin { session, job },
            vec![PickupEffect::VerifyPin],
        ),
        (S::VerifyingPin { session, job }, E::PinChecked(outcome)) => match outcome {
            PinOutcome::Verified => install(session, job),
            PinOutcome::Locked => Step::to(S::PinLocked { session }),
            wrong @ PinOutcome::Wrong { .. } => Step::to(S::EnteringPin {
                session,
                job,
                last: Some(wrong),
            }),
        },

        (S::Writing { session, mut job }, E::Issued(issued)) => {
            if issued.order != job.order.number || issued.attempt != job.progress.attempt {
                return Step::to(S::Writing { session, job });
            }
            job.issued = Some(*issued);
            action_done(session, job, InstallAction::RequestCertificate)
        }
        (S::Writing { session, job }, E::ActionDone(action)) => {
            if action == InstallAction::RequestCertificate {
                // Only with what the CA issued (`Issued`).
                return Step::to(S::Writing { session, job });
            }
            action_done(session, job, action)
        }
        (
            S::Done {
                session,
                number,
                receipt: None,
            },
            E::ReceiptPrinted(outcome),
        ) => Step::to(S::Done {
            session,
            number,
            receipt: Some(outcome),
        }),
        (S::Writing { session, job }, E::Failed(failure)) => Step::to(S::Pending {
            session,
            job,
            failure,
        }),
        (S::Writing { session, job }, E::KeyRemoved) => Step::to(S::Pending {
            session,
            job,
            failure: InstallFailure::KeyRemoved,
        }),
        // A restart: the key's login died with the process.
        (S::Writing { session, job } | S::VerifyingPin { session, job }, E::Restarted) => {
            Step::to(S::Pending {
                session,
                job,
                failure: InstallFailure::Interrupted,
            })
        }

        (
            S::Pending {
                session,
                mut job,
                failure,
            },
            E::Retry,
        )
        | (
            S::Pending {
                session,
                mut job,
                failure: failure @ InstallFailure::KeyRemoved,
            },
            E::KeyInserted,
        ) => {
            if failure == InstallFailure::KeyPairMissing {
                // That attempt's key pair is gone: a new one, and a new
                // request (the CA would refuse another for the same attempt).
                job.progress.attempt += 1;
                job.progress.step = InstallStep::NotStarted;
                job.issued = None;
            } else if job.issued.is_none()
                && matches!(
                    job.progress.step,
                    InstallStep::RequestSent | InstallStep::CertificateVerified
                )
            {
                // What the CA issued is asked for again.
                job.progress.step = InstallStep::KeyPairGenerated;
            }
            // The key is checked and its PIN asked again.
            check_key(session, job)
        }

        (state, _) => Step::to(state),
    }
}

#[cfg(test)]
mod tests;
