//! Staff mode (spec §3.6): a member of staff signs in with their own staff
//! key ([`crate::ports::staff::sign_in`]), sees the kiosk's queue and link,
//! unblocks a customer's locked user PIN with the key's SO PIN where the
//! configuration allows it, records a payment taken at the counter for an
//! order waiting for it (柜台收款: method and reference, signed on the
//! staff key with its PIN typed again, sent to the CA, which keeps one
//! payment per reference), and signs out; a technician signed in the same
//! way with their technician key gets the technician screen instead
//! ([`technician`]: diagnostics, test page). Never mixed with a customer's
//! session: staff mode is a session of its own, and the kiosk's idle
//! timer does not run for it; it locks itself instead:
//!
//! - after `idle_lock` without a touch (default 2 minutes), measured on the
//!   wall clock the steps are given;
//! - when the staff key is pulled (looked for every [`KEY_CHECK`], and at
//!   once when any key is taken out);
//! - on 返回首页 or 退出登录, and after a restart.
//!
//! Every sign-in, sign-out, unblock, reprint, upload retry and counter
//! payment (signed and sent, then the CA's answer) is written to the audit
//! log, each
//! entry keyed by the session and its step so that a re-run after a power
//! cut does not write it twice. The PINs never enter the state: the pad
//! hands them to the executor, as in the renewal.

use super::driver::{Flow, Signal, Timer};
use super::renewal::PinOutcome;
use super::{SessionId, Step, StepContext};
use crate::audit::{Actor, AuditAction, AuditEntry};
use crate::money::Fen;
use crate::order::status::OrderStatus;
use crate::order::{Order, OrderDetails};
use crate::order_number::OrderNumber;
use crate::ports::counter::{
    CounterMethod, CounterPayment, OrderCancel, SignedCounterPayment, SignedOrderCancel,
};
use crate::ports::key_writer::{KeyRef, UnblockOutcome};
use crate::ports::printer::PrintOutcome;
use crate::ports::staff::{SignInRefusal, SignedIn, StaffMember, StaffRole};
use crate::ports::store::QueuedUpload;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

pub mod technician;
pub use technician::{TechEvent, TechTask};

/// How often the staff key is looked for while staff are signed in.
pub const KEY_CHECK: Duration = Duration::from_secs(2);
/// Staff mode locks after this long untouched, unless configured.
pub const DEFAULT_IDLE_LOCK: Duration = Duration::from_secs(120);

/// What the kiosk's configuration allows staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSettings {
    /// Untouched this long, staff mode locks.
    #[serde(with = "secs")]
    pub idle_lock: Duration,
    /// Whether staff may set a new user PIN with a key's SO PIN here.
    pub may_unblock: bool,
}

impl Default for StaffSettings {
    fn default() -> Self {
        Self {
            idle_lock: DEFAULT_IDLE_LOCK,
            may_unblock: false,
        }
    }
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// Why staff mode locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// 退出登录, or 返回首页.
    SignedOut,
    /// Untouched for the idle time.
    Idle,
    /// The staff key was taken out.
    KeyPulled,
    /// The kiosk started again.
    Restarted,
}

/// Where unblocking a customer's PIN stands. The PINs typed are the
/// executor's; the state knows only which one is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unblock {
    /// 请输入管理员PIN码 (SO PIN), with what the last try came to.
    SoPin { last: Option<UnblockProblem> },
    /// 请设置新的PIN码.
    NewPin,
    /// 请再次输入新的PIN码.
    Repeat,
    /// The key is working on it.
    Working,
    /// Done: the customer's key has a new user PIN.
    Unblocked,
}

/// Why an unblock did not take (the screen says what to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnblockProblem {
    /// No customer's key besides the staff key.
    NoCustomerKey,
    /// The two new PINs differ.
    PinsDiffer,
    /// The SO PIN is wrong.
    SoPinWrong,
    /// The SO PIN is locked: only the key's vendor can help.
    SoPinLocked,
    /// The key refused the new PIN (its length or characters).
    NewPinRefused,
    /// The key did not answer.
    KeyFailed,
}

/// One order of 补打凭条's list: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReprintRow {
    pub number: OrderNumber,
    /// A renewal (else an application).
    pub renewal: bool,
    pub status: OrderStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl ReprintRow {
    #[must_use]
    pub fn of(order: &Order) -> Self {
        Self {
            number: order.number,
            renewal: matches!(order.details, OrderDetails::Renewal(_)),
            status: order.status(),
            created_at: order.created_at,
        }
    }
}

/// 补打凭条: the orders this kiosk still holds, and the last reprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reprint {
    /// `None` while the store is asked.
    pub orders: Option<Vec<ReprintRow>>,
    /// The receipt being printed.
    pub printing: Option<OrderNumber>,
    /// What the printer said of the last one.
    pub last: Option<(OrderNumber, PrintOutcome)>,
}

/// How many recent orders 补打凭条 lists.
pub const REPRINT_LIST: usize = 20;

/// 上传队列: the uploads the CA has not acknowledged, and the last one
/// staff sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadQueue {
    /// `None` while the store is asked.
    pub uploads: Option<Vec<QueuedUpload>>,
    /// The upload being made due again.
    pub retrying: Option<OrderNumber>,
    /// The last one made due again, and whether it was still waiting
    /// (false: the CA had it already).
    pub last: Option<(OrderNumber, bool)>,
}

/// How many uploads 上传队列 lists.
pub const QUEUE_LIST: usize = 50;

/// One order of 柜台收款's list: what is due, nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayableRow {
    pub number: OrderNumber,
    /// A renewal (else an application).
    pub renewal: bool,
    pub amount: Fen,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl PayableRow {
    /// The orders of `held` (latest first) that wait for their payment:
    /// 审核通过/待支付 with something due.
    #[must_use]
    pub fn payable(held: &[Order]) -> Vec<Self> {
        held.iter()
            .filter(|o| o.status() == OrderStatus::AwaitingPayment && o.amount > Fen::ZERO)
            .map(|o| Self {
                number: o.number,
                renewal: matches!(o.details, OrderDetails::Renewal(_)),
                amount: o.amount,
                created_at: o.created_at,
            })
            .collect()
    }
}

/// How many recent orders 柜台收款 looks through.
pub const PAYABLE_LIST: usize = 50;

/// What the form of 柜台收款 lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterFormProblem {
    /// No reference (the till's slip or the bank's), or one too long.
    Reference,
}

/// Where recording one payment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterStage {
    /// The list: staff choose the order.
    List,
    /// The form for `order`: the method and the reference are typed on
    /// the screen; the amount is the order's.
    Form {
        order: OrderNumber,
        amount: Fen,
        problem: Option<CounterFormProblem>,
    },
    /// 请输入工作人员USB Key PIN码: the staff key signs the payment.
    Pin {
        order: OrderNumber,
        amount: Fen,
        method: CounterMethod,
        reference: crate::order::text::Reference,
        /// What the last try on the key came to.
        last: Option<SignInRefusal>,
    },
    /// The key is signing `order`'s payment.
    Signing {
        order: OrderNumber,
        amount: Fen,
        method: CounterMethod,
        reference: crate::order::text::Reference,
    },
    /// The signed payment is on its way to the CA.
    Sending(Box<SignedCounterPayment>),
    /// 取消订单: staff confirm that `order` is withdrawn.
    ConfirmCancel { order: OrderNumber },
    /// The staff key's PIN, to sign the cancel.
    CancelPin {
        order: OrderNumber,
        last: Option<SignInRefusal>,
    },
    /// The key is signing the cancel of `order`.
    CancelSigning { order: OrderNumber },
    /// The signed cancel is on its way to the CA.
    CancelSending(Box<SignedOrderCancel>),
}

/// What the CA made of a payment staff recorded, or of an order they
/// cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterOutcome {
    /// The CA holds the order as paid by it (also when it had it already).
    Recorded,
    /// The CA holds the order as 已取消 (also when it did already).
    Cancelled,
    /// Not cancelled: the order is paid.
    PaidAlready,
    /// Not cancelled: the CA does not have the order yet (the upload queue
    /// still holds it).
    NotYetAtCa,
    /// The CA did not accept the member of staff's certificate or signature.
    StaffNotAccepted,
    /// The order is due another amount, or is paid already otherwise.
    AmountMismatch,
    /// The CA refused it for another reason.
    Refused,
    /// The CA could not be reached: nothing is known to be recorded; the
    /// same reference again is safe (the CA keeps one per reference).
    Unreachable,
}

impl CounterOutcome {
    /// What the CA's answer to `payment` means: recorded only when the CA
    /// holds this very order as paid with this amount.
    #[must_use]
    pub fn of(
        answer: &Result<crate::ports::ca::PaymentInfo, crate::ports::ca::CaError>,
        payment: &CounterPayment,
    ) -> Self {
        use crate::ports::ca::{CaError, PaymentStatus, Refusal};
        match answer {
            Ok(info)
                if info.order == payment.order
                    && info.amount == payment.amount
                    && info.status == PaymentStatus::Paid =>
            {
                Self::Recorded
            }
            Ok(_) => Self::Refused,
            Err(CaError::Unreachable(_)) => Self::Unreachable,
            Err(CaError::Refused {
                reason: Refusal::StaffNotAccepted,
            }) => Self::StaffNotAccepted,
            Err(CaError::Refused {
                reason: Refusal::AmountMismatch,
            }) => Self::AmountMismatch,
            Err(_) => Self::Refused,
        }
    }

    /// What the CA's answer to a cancel means.
    #[must_use]
    pub fn of_cancel(answer: &Result<(), crate::ports::ca::CaError>) -> Self {
        use crate::ports::ca::{CaError, Refusal};
        match answer {
            Ok(()) => Self::Cancelled,
            Err(CaError::Unreachable(_)) => Self::Unreachable,
            Err(CaError::OrderNotYetKnown) => Self::NotYetAtCa,
            Err(CaError::Refused {
                reason: Refusal::StaffNotAccepted,
            }) => Self::StaffNotAccepted,
            Err(CaError::Refused {
                reason: Refusal::PaidAlready,
            }) => Self::PaidAlready,
            Err(_) => Self::Refused,
        }
    }
}

/// 柜台收款.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterTask {
    /// `None` while the store is asked.
    pub orders: Option<Vec<PayableRow>>,
    pub stage: CounterStage,
    /// The last payment sent, and what the CA made of it.
    pub last: Option<(OrderNumber, CounterOutcome)>,
    /// The orders the CA recorded as paid, or cancelled, in this session:
    /// no longer listed, although the store holds them as waiting until the
    /// CA's feed says otherwise.
    #[serde(default)]
    pub recorded: Vec<OrderNumber>,
}

/// What staff are doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffTask {
    /// The staff menu: the queue, the link, the actions.
    Menu,
    /// 解锁USB Key PIN码.
    Unblock(Unblock),
    /// 补打凭条.
    Reprint(Reprint),
    /// 上传队列.
    Queue(UploadQueue),
    /// 柜台收款.
    Counter(CounterTask),
    /// The technician screen (a technician's key: never staff mode's
    /// tasks).
    Technician(TechTask),
}

/// Staff mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value, moved once per step; boxing it would only add indirection"
)]
pub enum StaffState {
    /// Nobody from staff is signed in.
    Locked,
    /// 工作人员登录: the staff key and its PIN are asked for.
    SigningIn {
        session: SessionId,
        settings: StaffSettings,
        /// What the last try came to.
        last: Option<SignInRefusal>,
        /// The key is checking the PIN and signing.
        checking: bool,
        #[serde(with = "time::serde::rfc3339")]
        touched_at: OffsetDateTime,
    },
    /// Signed in.
    SignedIn {
        session: SessionId,
        settings: StaffSettings,
        member: StaffMember,
        /// The staff key (pulled: staff mode locks).
        key: KeyRef,
        task: StaffTask,
        #[serde(with = "time::serde::rfc3339")]
        touched_at: OffsetDateTime,
        /// Audit entries written in this session (their keys' step).
        audits: u32,
    },
}

/// What happens to staff mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffEvent {
    /// 工作人员登录 pressed.
    Open {
        session: SessionId,
        settings: StaffSettings,
    },
    /// The PIN was typed on the pad (and handed to the executor).
    PinTyped,
    /// What the sign-in came to.
    SignInAnswered(Result<SignedIn, SignInRefusal>),
    /// 解锁USB Key PIN码 pressed.
    StartUnblock,
    /// 上传队列 pressed.
    StartQueue,
    /// The uploads the store holds.
    QueueListed(Vec<QueuedUpload>),
    /// 重新上传 on this order.
    RetryUpload(OrderNumber),
    /// Made due again (true), or the CA had it already (false).
    UploadRetried(OrderNumber, bool),
    /// 补打凭条 pressed.
    StartReprint,
    /// The orders the store holds, latest first.
    OrdersListed(Vec<ReprintRow>),
    /// 补打 on this order.
    Reprint(OrderNumber),
    /// What the printer said (`None`: the order is no longer held).
    Reprinted(OrderNumber, Option<PrintOutcome>),
    /// What the key did with the PINs.
    UnblockAnswered(Result<UnblockOutcome, UnblockProblem>),
    /// 待付款订单 pressed.
    StartCounter,
    /// The orders waiting for their payment, latest first.
    PayableListed(Vec<PayableRow>),
    /// 收款 on this order.
    ChooseCounter(OrderNumber),
    /// 确认收款 on the form, with what was typed.
    CounterConfirmed {
        method: CounterMethod,
        reference: String,
    },
    /// What the staff key did with the payment.
    CounterSigned(Result<Box<SignedCounterPayment>, SignInRefusal>),
    /// What the CA made of it.
    CounterAnswered(CounterOutcome),
    /// 取消 on the form or the pad: back to the list.
    CounterCancelled,
    /// 取消订单 on this order.
    CancelChosen(OrderNumber),
    /// 确认取消 on the confirmation.
    CancelConfirmed,
    /// What the staff key did with the cancel.
    CancelSigned(Result<Box<SignedOrderCancel>, SignInRefusal>),
    /// What the CA made of it.
    CancelAnswered(CounterOutcome),
    /// The technician screen.
    Tech(TechEvent),
    /// Back to the staff menu (a technician's: the technician screen).
    Menu,
    /// 退出登录.
    SignOut,
    /// 返回首页.
    GoHome,
    /// Time for a look at the idle time and the staff key.
    Tick,
    /// A key was taken out: is the staff key still in?
    KeyTaken,
    /// The staff key is not in the writer any more.
    StaffKeyGone,
    Restarted,
}

/// What the executor does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffEffect {
    /// Sign in with the key inserted and the PIN handed over, over a fresh
    /// challenge; answers [`StaffEvent::SignInAnswered`].
    SignIn { session: SessionId },
    /// Set the new PIN handed over (typed twice) on the customer's key (the
    /// inserted key that is not `staff_key`) with the SO PIN handed over;
    /// answers [`StaffEvent::UnblockAnswered`].
    Unblock {
        session: SessionId,
        staff_key: KeyRef,
    },
    /// The first [`QUEUE_LIST`] unacknowledged uploads; answers
    /// [`StaffEvent::QueueListed`].
    ListQueue,
    /// Make `order`'s upload due again; answers
    /// [`StaffEvent::UploadRetried`].
    RetryUpload {
        session: SessionId,
        order: OrderNumber,
    },
    /// The latest [`REPRINT_LIST`] orders the store holds; answers
    /// [`StaffEvent::OrdersListed`].
    ListOrders,
    /// Print `order`'s receipt again; answers [`StaffEvent::Reprinted`].
    PrintReceipt {
        session: SessionId,
        order: OrderNumber,
    },
    /// The orders waiting for their payment ([`PayableRow::payable`] of
    /// the latest [`PAYABLE_LIST`]); answers [`StaffEvent::PayableListed`].
    ListPayable,
    /// Sign `payment` with `staff_key` and the PIN handed over; answers
    /// [`StaffEvent::CounterSigned`].
    SignPayment {
        session: SessionId,
        staff_key: KeyRef,
        payment: CounterPayment,
    },
    /// Send the signed payment to the CA (idempotent there per reference);
    /// answers [`StaffEvent::CounterAnswered`].
    SendPayment {
        session: SessionId,
        signed: Box<SignedCounterPayment>,
    },
    /// Sign `cancel` with `staff_key` and the PIN handed over; answers
    /// [`StaffEvent::CancelSigned`].
    SignCancel {
        session: SessionId,
        staff_key: KeyRef,
        cancel: OrderCancel,
    },
    /// Send the signed cancel to the CA (idempotent there); answers
    /// [`StaffEvent::CancelAnswered`].
    SendCancel {
        session: SessionId,
        signed: Box<SignedOrderCancel>,
    },
    /// Whether `staff_key` is still inserted; answers
    /// [`StaffEvent::StaffKeyGone`] when it is not.
    CheckKey { staff_key: KeyRef },
    /// Run the diagnostics (those of `kioskctl doctor`); answers
    /// [`TechEvent::Diagnosed`].
    Diagnose { session: SessionId },
    /// Print the printer's test page; answers
    /// [`TechEvent::TestPagePrinted`] with what the printer said.
    PrintTestPage { session: SessionId },
    /// Append to the audit log, once for `key`.
    Audit { key: String, entry: AuditEntry },
    /// The screens and the executor forget the session (PINs handed over).
    Wipe,
}

/// The flow.
#[derive(Debug)]
pub struct Staff;

type StaffStep = Step<StaffState, StaffEffect>;

impl Flow for Staff {
    type State = StaffState;
    type Event = StaffEvent;
    type Effect = StaffEffect;
    const NAME: &'static str = "staff";
    const FORMAT: u32 = 1;
    const OWN_IDLE_LOCK: bool = true;

    fn home() -> StaffState {
        StaffState::Locked
    }

    fn step(state: StaffState, event: StaffEvent, ctx: &StepContext) -> StaffStep {
        step(state, event, ctx.now)
    }

    fn session(state: &StaffState) -> Option<SessionId> {
        match state {
            StaffState::Locked => None,
            StaffState::SigningIn { session, .. } | StaffState::SignedIn { session, .. } => {
                Some(*session)
            }
        }
    }

    fn signal(signal: Signal) -> Option<StaffEvent> {
        match signal {
            Signal::GoHome | Signal::IdleTimeout => Some(StaffEvent::GoHome),
            Signal::KeyRemoved => Some(StaffEvent::KeyTaken),
            Signal::Restarted => Some(StaffEvent::Restarted),
            Signal::KeyInserted | Signal::Network { .. } => None,
        }
    }

    /// While staff mode is open: a look at the idle time and the key.
    fn timer(state: &StaffState, _: &StepContext) -> Option<Timer<StaffEvent>> {
        match state {
            StaffState::Locked => None,
            StaffState::SigningIn { .. } | StaffState::SignedIn { .. } => Some(Timer {
                after: KEY_CHECK,
                event: StaffEvent::Tick,
            }),
        }
    }
}

/// One step of staff mode at wall time `now`.
#[must_use]
pub fn step(state: StaffState, event: StaffEvent, now: OffsetDateTime) -> StaffStep {
    match state {
        StaffState::Locked => match event {
            StaffEvent::Open { session, settings } => Step::to(StaffState::SigningIn {
                session,
                settings,
                last: None,
                checking: false,
                touched_at: now,
            }),
            _ => Step::to(StaffState::Locked),
        },
        StaffState::SigningIn {
            session,
            settings,
            last,
            checking,
            touched_at,
        } => signing_in(session, settings, last, checking, touched_at, event, now),
        StaffState::SignedIn { .. } => signed_in(state, event, now),
    }
}

fn signing_in(
    session: SessionId,
    settings: StaffSettings,
    last: Option<SignInRefusal>,
    checking: bool,
    touched_at: OffsetDateTime,
    event: StaffEvent,
    now: OffsetDateTime,
) -> StaffStep {
    let stay = |last, checking, touched_at| StaffState::SigningIn {
        session,
        settings,
        last,
        checking,
        touched_at,
    };
    match event {
        StaffEvent::PinTyped if !checking => {
            Step::with(stay(last, true, now), vec![StaffEffect::SignIn { session }])
        }
        StaffEvent::SignInAnswered(Ok(signed)) if checking => {
            // Counter staff get staff mode; a technician's key (and only
            // it) the technician screen.
            let Some(task) = home_task(&signed.member) else {
                return Step::to(stay(
                    Some(SignInRefusal::Credential(
                        crate::ports::staff::CredentialRefusal::NoStaffRole,
                    )),
                    false,
                    now,
                ));
            };
            let action = if matches!(task, StaffTask::Technician(_)) {
                AuditAction::TechnicianSignedIn
            } else {
                AuditAction::StaffSignedIn
            };
            let entry = audit(&signed.member, action, now);
            audited(
                StaffState::SignedIn {
                    session,
                    settings,
                    member: signed.member,
                    key: signed.key,
                    task,
                    touched_at: now,
                    audits: 0,
                },
                entry,
            )
        }
        StaffEvent::SignInAnswered(Err(refusal)) if checking => {
            Step::to(stay(Some(refusal), false, now))
        }
        StaffEvent::Tick if idle(touched_at, settings, now) && !checking => {
            Step::with(StaffState::Locked, vec![StaffEffect::Wipe])
        }
        StaffEvent::GoHome | StaffEvent::SignOut | StaffEvent::Restarted => {
            Step::with(StaffState::Locked, vec![StaffEffect::Wipe])
        }
        _ => Step::to(stay(last, checking, touched_at)),
    }
}

fn signed_in(state: StaffState, event: StaffEvent, now: OffsetDateTime) -> StaffStep {
    let StaffState::SignedIn {
        session,
        settings,
        member,
        key,
        task,
        touched_at,
        audits,
    } = state
    else {
        return Step::to(state);
    };
    let lock = |why: LockReason| {
        let entry = audit(&member, AuditAction::StaffSignedOut { why }, now);
        Step::with(
            StaffState::Locked,
            vec![
                StaffEffect::Audit {
                    key: audit_key(session, audits),
                    entry,
                },
                StaffEffect::Wipe,
            ],
        )
    };
    let to = |task: StaffTask, touched_at: OffsetDateTime| StaffState::SignedIn {
        session,
        settings,
        member: member.clone(),
        key: key.clone(),
        task,
        touched_at,
        audits,
    };
    match event {
        StaffEvent::SignOut | StaffEvent::GoHome => lock(LockReason::SignedOut),
        StaffEvent::Restarted => lock(LockReason::Restarted),
        StaffEvent::StaffKeyGone => lock(LockReason::KeyPulled),
        StaffEvent::Tick if idle(touched_at, settings, now) && !working(&task) => {
            lock(LockReason::Idle)
        }
        StaffEvent::Tick | StaffEvent::KeyTaken => Step::with(
            to(task, touched_at),
            vec![StaffEffect::CheckKey {
                staff_key: key.clone(),
            }],
        ),
        StaffEvent::Menu if !working(&task) => match home_task(&member) {
            Some(home) => Step::to(to(home, now)),
            None => lock(LockReason::SignedOut),
        },
        StaffEvent::Tech(event) => match task {
            StaffTask::Technician(t) => {
                technician::step(t, event, session, to, &member, now, touched_at)
            }
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::StartUnblock if settings.may_unblock && task == StaffTask::Menu => {
            Step::to(to(StaffTask::Unblock(Unblock::SoPin { last: None }), now))
        }
        StaffEvent::StartQueue if task == StaffTask::Menu => Step::with(
            to(
                StaffTask::Queue(UploadQueue {
                    uploads: None,
                    retrying: None,
                    last: None,
                }),
                now,
            ),
            vec![StaffEffect::ListQueue],
        ),
        StaffEvent::QueueListed(uploads) => match task {
            StaffTask::Queue(q) => Step::to(to(
                StaffTask::Queue(UploadQueue {
                    uploads: Some(uploads),
                    ..q
                }),
                touched_at,
            )),
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::RetryUpload(order) => match task {
            StaffTask::Queue(q)
                if q.retrying.is_none()
                    && q.uploads
                        .as_ref()
                        .is_some_and(|ups| ups.iter().any(|u| u.order == order)) =>
            {
                // Recorded first: nothing is done that the log misses.
                let mut entry = audit(&member, AuditAction::QueueRetry, now);
                entry.order = Some(order);
                let mut step = audited(
                    to(
                        StaffTask::Queue(UploadQueue {
                            retrying: Some(order),
                            ..q
                        }),
                        now,
                    ),
                    entry,
                );
                step.effects
                    .push(StaffEffect::RetryUpload { session, order });
                step
            }
            other => Step::to(to(other, now)),
        },
        StaffEvent::UploadRetried(order, waiting) => match task {
            StaffTask::Queue(q) if q.retrying == Some(order) => Step::with(
                to(
                    StaffTask::Queue(UploadQueue {
                        uploads: None,
                        retrying: None,
                        last: Some((order, waiting)),
                    }),
                    now,
                ),
                vec![StaffEffect::ListQueue],
            ),
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::StartReprint if task == StaffTask::Menu => Step::with(
            to(
                StaffTask::Reprint(Reprint {
                    orders: None,
                    printing: None,
                    last: None,
                }),
                now,
            ),
            vec![StaffEffect::ListOrders],
        ),
        StaffEvent::OrdersListed(orders) => match task {
            StaffTask::Reprint(r) if r.orders.is_none() => Step::to(to(
                StaffTask::Reprint(Reprint {
                    orders: Some(orders),
                    ..r
                }),
                touched_at,
            )),
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::Reprint(order) => match task {
            StaffTask::Reprint(r)
                if r.printing.is_none()
                    && r.orders
                        .as_ref()
                        .is_some_and(|rows| rows.iter().any(|row| row.number == order)) =>
            {
                Step::with(
                    to(
                        StaffTask::Reprint(Reprint {
                            printing: Some(order),
                            ..r
                        }),
                        now,
                    ),
                    vec![StaffEffect::PrintReceipt { session, order }],
                )
            }
            other => Step::to(to(other, now)),
        },
        StaffEvent::Reprinted(order, outcome) => match task {
            StaffTask::Reprint(r) if r.printing == Some(order) => {
                reprinted(r, order, outcome, to, &member, now)
            }
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::StartCounter if task == StaffTask::Menu => Step::with(
            to(
                StaffTask::Counter(CounterTask {
                    orders: None,
                    stage: CounterStage::List,
                    last: None,
                    recorded: Vec::new(),
                }),
                now,
            ),
            vec![StaffEffect::ListPayable],
        ),
        StaffEvent::PayableListed(mut rows) => match task {
            StaffTask::Counter(c) => Step::to(to(
                StaffTask::Counter(CounterTask {
                    orders: Some({
                        rows.retain(|row| !c.recorded.contains(&row.number));
                        rows
                    }),
                    ..c
                }),
                touched_at,
            )),
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::PinTyped if matches!(&task, StaffTask::Counter(c) if matches!(c.stage, CounterStage::Pin { .. })) =>
        {
            let StaffTask::Counter(c) = task else {
                return Step::to(to(task, touched_at));
            };
            let CounterStage::Pin {
                order,
                amount,
                method,
                reference,
                ..
            } = c.stage
            else {
                return Step::to(to(StaffTask::Counter(c), touched_at));
            };
            let payment = CounterPayment {
                order,
                method,
                amount,
                reference: reference.clone(),
                // Whole seconds: what the CA reads back.
                signed_at: OffsetDateTime::from_unix_timestamp(now.unix_timestamp()).unwrap_or(now),
            };
            Step::with(
                to(
                    StaffTask::Counter(CounterTask {
                        stage: CounterStage::Signing {
                            order,
                            amount,
                            method,
                            reference,
                        },
                        ..c
                    }),
                    now,
                ),
                vec![StaffEffect::SignPayment {
                    session,
                    staff_key: key.clone(),
                    payment,
                }],
            )
        }
        StaffEvent::PinTyped if matches!(&task, StaffTask::Counter(c) if matches!(c.stage, CounterStage::CancelPin { .. })) =>
        {
            let StaffTask::Counter(c) = task else {
                return Step::to(to(task, touched_at));
            };
            let CounterStage::CancelPin { order, .. } = c.stage else {
                return Step::to(to(StaffTask::Counter(c), touched_at));
            };
            let cancel = OrderCancel {
                order,
                // Whole seconds: what the CA reads back.
                signed_at: OffsetDateTime::from_unix_timestamp(now.unix_timestamp()).unwrap_or(now),
            };
            Step::with(
                to(
                    StaffTask::Counter(CounterTask {
                        stage: CounterStage::CancelSigning { order },
                        ..c
                    }),
                    now,
                ),
                vec![StaffEffect::SignCancel {
                    session,
                    staff_key: key.clone(),
                    cancel,
                }],
            )
        }
        StaffEvent::ChooseCounter(_)
        | StaffEvent::CounterConfirmed { .. }
        | StaffEvent::CounterCancelled
        | StaffEvent::CounterSigned(_)
        | StaffEvent::CounterAnswered(_)
        | StaffEvent::CancelChosen(_)
        | StaffEvent::CancelConfirmed
        | StaffEvent::CancelSigned(_)
        | StaffEvent::CancelAnswered(_) => match task {
            StaffTask::Counter(c) => counter(c, event, session, to, &member, now, touched_at),
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::PinTyped => match task {
            StaffTask::Unblock(Unblock::SoPin { .. }) => {
                Step::to(to(StaffTask::Unblock(Unblock::NewPin), now))
            }
            StaffTask::Unblock(Unblock::NewPin) => {
                Step::to(to(StaffTask::Unblock(Unblock::Repeat), now))
            }
            StaffTask::Unblock(Unblock::Repeat) => Step::with(
                to(StaffTask::Unblock(Unblock::Working), now),
                vec![StaffEffect::Unblock {
                    session,
                    staff_key: key.clone(),
                }],
            ),
            other => Step::to(to(other, touched_at)),
        },
        StaffEvent::UnblockAnswered(answer) if task == StaffTask::Unblock(Unblock::Working) => {
            unblocked(answer, to, &member, now)
        }
        _ => Step::to(to(task, touched_at)),
    }
}

/// A step of 柜台收款 after its list: the form, the PIN, the key's
/// signature, the CA's answer (each in the audit log: signed and sent,
/// then what the CA made of it).
fn counter(
    c: CounterTask,
    event: StaffEvent,
    session: SessionId,
    to: impl Fn(StaffTask, OffsetDateTime) -> StaffState,
    member: &StaffMember,
    now: OffsetDateTime,
    touched_at: OffsetDateTime,
) -> StaffStep {
    let stage = |stage: CounterStage, c: &CounterTask| {
        StaffTask::Counter(CounterTask { stage, ..c.clone() })
    };
    match (&c.stage, event) {
        (CounterStage::List, StaffEvent::ChooseCounter(order)) => {
            let due = c
                .orders
                .iter()
                .flatten()
                .find(|row| row.number == order)
                .map(|row| row.amount);
            match due {
                Some(amount) => Step::to(to(
                    stage(
                        CounterStage::Form {
                            order,
                            amount,
                            problem: None,
                        },
                        &c,
                    ),
                    now,
                )),
                None => Step::to(to(StaffTask::Counter(c), now)),
            }
        }
        (
            &CounterStage::Form { order, amount, .. },
            StaffEvent::CounterConfirmed { method, reference },
        ) => {
            let next = match reference.parse::<crate::order::text::Reference>() {
                Ok(reference) => CounterStage::Pin {
                    order,
                    amount,
                    method,
                    reference,
                    last: None,
                },
                Err(_) => CounterStage::Form {
                    order,
                    amount,
                    problem: Some(CounterFormProblem::Reference),
                },
            };
            Step::to(to(stage(next, &c), now))
        }
        (
            CounterStage::Form { .. }
            | CounterStage::Pin { .. }
            | CounterStage::ConfirmCancel { .. }
            | CounterStage::CancelPin { .. },
            StaffEvent::CounterCancelled,
        ) => Step::to(to(stage(CounterStage::List, &c), now)),
        (CounterStage::List, StaffEvent::CancelChosen(order))
            if c.orders.iter().flatten().any(|row| row.number == order) =>
        {
            Step::to(to(stage(CounterStage::ConfirmCancel { order }, &c), now))
        }
        (&CounterStage::ConfirmCancel { order }, StaffEvent::CancelConfirmed) => Step::to(to(
            stage(CounterStage::CancelPin { order, last: None }, &c),
            now,
        )),
        (&CounterStage::CancelSigning { order }, StaffEvent::CancelSigned(Err(refusal))) => {
            Step::to(to(
                stage(
                    CounterStage::CancelPin {
                        order,
                        last: Some(refusal),
                    },
                    &c,
                ),
                now,
            ))
        }
        (&CounterStage::CancelSigning { order }, StaffEvent::CancelSigned(Ok(signed)))
            if signed.cancel.order == order =>
        {
            let mut entry = audit(member, AuditAction::OrderCancelSigned, now);
            entry.order = Some(order);
            let mut step = audited(
                to(stage(CounterStage::CancelSending(signed.clone()), &c), now),
                entry,
            );
            step.effects
                .push(StaffEffect::SendCancel { session, signed });
            step
        }
        (CounterStage::CancelSending(signed), StaffEvent::CancelAnswered(outcome)) => {
            let order = signed.cancel.order;
            let entry = audit(member, AuditAction::OrderCancelAnswered { outcome }, now);
            answered(
                &c,
                order,
                outcome,
                CounterOutcome::Cancelled,
                entry,
                to,
                now,
            )
        }
        (
            CounterStage::Signing {
                order,
                amount,
                method,
                reference,
            },
            StaffEvent::CounterSigned(Err(refusal)),
        ) => Step::to(to(
            stage(
                CounterStage::Pin {
                    order: *order,
                    amount: *amount,
                    method: *method,
                    reference: reference.clone(),
                    last: Some(refusal),
                },
                &c,
            ),
            now,
        )),
        (
            CounterStage::Signing {
                order,
                amount,
                method,
                reference,
            },
            StaffEvent::CounterSigned(Ok(signed)),
        ) if signed.payment.order == *order
            && signed.payment.amount == *amount
            && signed.payment.method == *method
            && signed.payment.reference == *reference =>
        {
            let mut entry = audit(
                member,
                AuditAction::CounterPaymentSigned {
                    method: *method,
                    amount_fen: amount.0,
                    reference: reference.to_string(),
                },
                now,
            );
            entry.order = Some(*order);
            let mut step = audited(
                to(stage(CounterStage::Sending(signed.clone()), &c), now),
                entry,
            );
            step.effects
                .push(StaffEffect::SendPayment { session, signed });
            step
        }
        (CounterStage::Sending(signed), StaffEvent::CounterAnswered(outcome)) => {
            let order = signed.payment.order;
            let entry = audit(member, AuditAction::CounterPaymentAnswered { outcome }, now);
            answered(&c, order, outcome, CounterOutcome::Recorded, entry, to, now)
        }
        _ => Step::to(to(StaffTask::Counter(c), touched_at)),
    }
}

/// The CA's answer to a statement about `order`: the list again, with
/// the answer shown and `entry` (which names the order) in the audit log;
/// the order is not listed again when the answer is `done`.
fn answered(
    c: &CounterTask,
    order: OrderNumber,
    outcome: CounterOutcome,
    done: CounterOutcome,
    mut entry: AuditEntry,
    to: impl Fn(StaffTask, OffsetDateTime) -> StaffState,
    now: OffsetDateTime,
) -> StaffStep {
    entry.order = Some(order);
    let mut recorded = c.recorded.clone();
    if outcome == done {
        recorded.push(order);
    }
    let mut step = audited(
        to(
            StaffTask::Counter(CounterTask {
                orders: None,
                stage: CounterStage::List,
                last: Some((order, outcome)),
                recorded,
            }),
            now,
        ),
        entry,
    );
    step.effects.push(StaffEffect::ListPayable);
    step
}

/// The key's answer to an unblock: done, or the SO PIN asked for again
/// with why (every try that reached the key is in the audit log).
fn unblocked(
    answer: Result<UnblockOutcome, UnblockProblem>,
    to: impl Fn(StaffTask, OffsetDateTime) -> StaffState,
    member: &StaffMember,
    now: OffsetDateTime,
) -> StaffStep {
    let outcome = match answer {
        Ok(outcome) => outcome,
        Err(problem) => {
            return Step::to(to(
                StaffTask::Unblock(Unblock::SoPin {
                    last: Some(problem),
                }),
                now,
            ));
        }
    };
    let problem = |p| Unblock::SoPin { last: Some(p) };
    let next = match outcome {
        UnblockOutcome::Unblocked => Unblock::Unblocked,
        UnblockOutcome::SoPinWrong => problem(UnblockProblem::SoPinWrong),
        UnblockOutcome::SoPinLocked => problem(UnblockProblem::SoPinLocked),
        UnblockOutcome::NewPinRefused => problem(UnblockProblem::NewPinRefused),
    };
    audited(
        to(StaffTask::Unblock(next), now),
        audit(member, AuditAction::PinUnblock { outcome }, now),
    )
}

/// `state` (signed in), with `entry` written to the audit log as its
/// session's next entry.
fn audited(mut state: StaffState, entry: AuditEntry) -> StaffStep {
    let StaffState::SignedIn {
        session, audits, ..
    } = &mut state
    else {
        return Step::to(state);
    };
    let key = audit_key(*session, *audits);
    *audits += 1;
    Step::with(state, vec![StaffEffect::Audit { key, entry }])
}

/// The printer's answer to a reprint: shown, and in the audit log with
/// the order (a receipt that no longer has an order to print is neither).
fn reprinted(
    r: Reprint,
    order: OrderNumber,
    outcome: Option<PrintOutcome>,
    to: impl Fn(StaffTask, OffsetDateTime) -> StaffState,
    member: &StaffMember,
    now: OffsetDateTime,
) -> StaffStep {
    let Some(outcome) = outcome else {
        // Purged meanwhile: it leaves the list.
        let orders = r
            .orders
            .map(|rows| rows.into_iter().filter(|row| row.number != order).collect());
        return Step::to(to(
            StaffTask::Reprint(Reprint {
                orders,
                printing: None,
                last: None,
            }),
            now,
        ));
    };
    let mut entry = audit(member, AuditAction::ReceiptReprinted { outcome }, now);
    entry.order = Some(order);
    audited(
        to(
            StaffTask::Reprint(Reprint {
                printing: None,
                last: Some((order, outcome)),
                ..r
            }),
            now,
        ),
        entry,
    )
}

fn working(task: &StaffTask) -> bool {
    match task {
        StaffTask::Unblock(u) => *u == Unblock::Working,
        StaffTask::Reprint(r) => r.printing.is_some(),
        StaffTask::Queue(q) => q.retrying.is_some(),
        StaffTask::Counter(c) => matches!(
            c.stage,
            CounterStage::Signing { .. }
                | CounterStage::Sending(_)
                | CounterStage::CancelSigning { .. }
                | CounterStage::CancelSending(_)
        ),
        StaffTask::Technician(t) => t.working(),
        StaffTask::Menu => false,
    }
}

/// Where a member signed in starts: staff mode's menu for counter staff
/// (whatever else their certificate allows), the technician screen for a
/// technician; `None` for neither.
fn home_task(member: &StaffMember) -> Option<StaffTask> {
    if member.roles.contains(&StaffRole::Staff) {
        Some(StaffTask::Menu)
    } else if member.roles.contains(&StaffRole::Technician) {
        Some(StaffTask::Technician(TechTask::Menu))
    } else {
        None
    }
}

fn idle(touched_at: OffsetDateTime, settings: StaffSettings, now: OffsetDateTime) -> bool {
    now - touched_at >= settings.idle_lock
}

fn audit(member: &StaffMember, action: AuditAction, now: OffsetDateTime) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: Actor::Staff {
            certificate_serial: member.certificate_serial.clone(),
            name: member.name.clone(),
        },
        action,
        order: None,
    }
}

/// An audit entry's key: the session and the entry's number in it.
fn audit_key(session: SessionId, n: u32) -> String {
    format!("staff-{:016x}-{n}", session.0)
}

/// What the staff screens may say of `state` (nothing before sign-in but
/// what the last try came to).
#[must_use]
pub fn signed_in_member(state: &StaffState) -> Option<&StaffMember> {
    match state {
        StaffState::SignedIn { member, .. } => Some(member),
        StaffState::Locked | StaffState::SigningIn { .. } => None,
    }
}

/// Whether a PIN typed now goes to staff mode (sign-in or unblock).
#[must_use]
pub fn wants_pin(state: &StaffState) -> bool {
    match state {
        StaffState::Locked => false,
        StaffState::SigningIn { checking, .. } => !checking,
        StaffState::SignedIn { task, .. } => match task {
            StaffTask::Unblock(u) => {
                matches!(u, Unblock::SoPin { .. } | Unblock::NewPin | Unblock::Repeat)
            }
            StaffTask::Counter(c) => matches!(
                c.stage,
                CounterStage::Pin { .. } | CounterStage::CancelPin { .. }
            ),
            StaffTask::Menu
            | StaffTask::Reprint(_)
            | StaffTask::Queue(_)
            | StaffTask::Technician(_) => false,
        },
    }
}

/// The PIN the pad asks for in `state`, for the executor to keep it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinSlot {
    StaffKey,
    SoPin,
    NewPin,
    Repeat,
}

/// Which PIN a PIN typed now is.
#[must_use]
pub fn pin_slot(state: &StaffState) -> Option<PinSlot> {
    if !wants_pin(state) {
        return None;
    }
    match state {
        StaffState::SigningIn { .. } => Some(PinSlot::StaffKey),
        StaffState::SignedIn {
            task: StaffTask::Unblock(u),
            ..
        } => match u {
            Unblock::SoPin { .. } => Some(PinSlot::SoPin),
            Unblock::NewPin => Some(PinSlot::NewPin),
            Unblock::Repeat => Some(PinSlot::Repeat),
            Unblock::Working | Unblock::Unblocked => None,
        },
        // The member's own key signs the payment.
        StaffState::SignedIn {
            task: StaffTask::Counter(_),
            ..
        } => Some(PinSlot::StaffKey),
        _ => None,
    }
}

/// Whether a PIN outcome is worth a warning on the sign-in pad.
#[must_use]
pub fn pin_refused(last: Option<SignInRefusal>) -> Option<PinOutcome> {
    match last {
        Some(SignInRefusal::Pin(outcome)) => Some(outcome),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests;
