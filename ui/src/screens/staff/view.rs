//! 工作人员: what staff mode's state looks like on the screens: the PIN pad
//! (sign-in, and the three PINs of an unblock) or the staff menu.
#![forbid(unsafe_code)]

use crate::screens::pin::view::{PinView, pin_warning};
use crate::screens::vocabulary::{date_time, lifecycle_status, receipt_state, status_of};
use crate::{
    CounterSaid, PayableRow, PinReason, QueueRow, ReceiptState, ReprintRow, StaffPage, StaffProblem,
};
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::flow::staff::{
    CounterFormProblem, CounterOutcome, CounterStage, CounterTask, Reprint, StaffState, StaffTask,
    Unblock, UnblockProblem, UploadQueue, pin_refused,
};
use kiosk_domain::order::status::Lifecycle;
use kiosk_domain::ports::staff::{CredentialRefusal, SignInRefusal};

/// Which screen staff mode shows.
#[derive(Debug, Clone, PartialEq)]
pub enum StaffScreen {
    /// Locked: the other flows say what to show.
    Home,
    Pin(PinView),
    Menu(Box<StaffMenuView>),
    /// A technician signed in: the technician screen.
    Technician(Box<crate::screens::technician::view::TechnicianView>),
}

/// The staff menu.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffMenuView {
    pub member: String,
    pub may_unblock: bool,
    pub page: StaffPage,
    pub lock_minutes: i32,
    /// 补打凭条 (the page [`StaffPage::Reprint`]).
    pub reprint: ReprintView,
    /// 上传队列 (the page [`StaffPage::Queue`]).
    pub queue: QueueView,
    /// 柜台收款 (the pages [`StaffPage::Counter`] and
    /// [`StaffPage::CounterForm`]).
    pub counter: CounterView,
}

/// 柜台收款 as the screen shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CounterView {
    pub orders: Vec<PayableRow>,
    pub listing: bool,
    /// The order on the form ("" when none) and what it is due.
    pub order: String,
    pub amount: String,
    pub reference_missing: bool,
    /// The order of the payment sent last ("" when none), and how it went.
    pub last_order: String,
    pub said: CounterSaid,
}

fn counter_view(c: &CounterTask) -> CounterView {
    let due = |order| {
        c.orders
            .iter()
            .flatten()
            .find(|row| row.number == order)
            .map(|row| row.amount.to_string())
            .unwrap_or_default()
    };
    let (order, amount, reference_missing) = match &c.stage {
        CounterStage::Form {
            order,
            amount,
            problem,
        } => (
            order.to_string(),
            amount.to_string(),
            *problem == Some(CounterFormProblem::Reference),
        ),
        CounterStage::ConfirmCancel { order } => (order.to_string(), due(*order), false),
        _ => (String::new(), String::new(), false),
    };
    let (last_order, said) = match (&c.stage, &c.last) {
        (CounterStage::Sending(signed), _) => {
            (signed.payment.order.to_string(), CounterSaid::Sending)
        }
        (CounterStage::CancelSending(signed), _) => {
            (signed.cancel.order.to_string(), CounterSaid::CancelSending)
        }
        (_, Some((order, outcome))) => (order.to_string(), counter_said(*outcome)),
        (_, None) => (String::new(), CounterSaid::None),
    };
    CounterView {
        orders: c
            .orders
            .iter()
            .flatten()
            .map(|row| PayableRow {
                number: row.number.to_string().into(),
                renewal: row.renewal,
                amount: row.amount.to_string().into(),
                created: date_time(row.created_at).into(),
            })
            .collect(),
        listing: c.orders.is_none(),
        order,
        amount,
        reference_missing,
        last_order,
        said,
    }
}

fn counter_said(outcome: CounterOutcome) -> CounterSaid {
    match outcome {
        CounterOutcome::Recorded => CounterSaid::Recorded,
        CounterOutcome::StaffNotAccepted => CounterSaid::StaffNotAccepted,
        CounterOutcome::AmountMismatch => CounterSaid::AmountMismatch,
        CounterOutcome::Refused => CounterSaid::Refused,
        CounterOutcome::Unreachable => CounterSaid::Unreachable,
        CounterOutcome::Cancelled => CounterSaid::Cancelled,
        CounterOutcome::PaidAlready => CounterSaid::PaidAlready,
        CounterOutcome::NotYetAtCa => CounterSaid::NotYetAtCa,
    }
}

/// 上传队列 as the screen shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueView {
    pub uploads: Vec<QueueRow>,
    pub listing: bool,
    /// The order being made due again ("" when none).
    pub retrying: String,
    /// The last one ("" when none), and whether it was still waiting.
    pub last_retried: String,
    pub last_waiting: bool,
}

fn queue_view(q: &UploadQueue) -> QueueView {
    QueueView {
        uploads: q
            .uploads
            .iter()
            .flatten()
            .map(|u| QueueRow {
                number: u.order.to_string().into(),
                attempts: i32::try_from(u.attempts).unwrap_or(i32::MAX),
                next: date_time(u.next_attempt_at).into(),
                set_aside: u.set_aside,
                // The CA's short code, without the store's own prefix.
                error: u
                    .last_error
                    .as_deref()
                    .map(|e| e.trim_start_matches("set_aside:"))
                    .unwrap_or_default()
                    .into(),
            })
            .collect(),
        listing: q.uploads.is_none(),
        retrying: q.retrying.map(|n| n.to_string()).unwrap_or_default(),
        last_retried: q.last.map(|(n, _)| n.to_string()).unwrap_or_default(),
        last_waiting: q.last.is_some_and(|(_, waiting)| waiting),
    }
}

/// 补打凭条 as the screen shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReprintView {
    pub orders: Vec<ReprintRow>,
    pub listing: bool,
    /// The order whose receipt is printing ("" when none).
    pub printing: String,
    /// The last order reprinted ("" when none) and what became of it.
    pub last_order: String,
    pub last_receipt: ReceiptState,
}

fn reprint_view(r: &Reprint) -> ReprintView {
    let (last_order, last_receipt) = match (&r.printing, &r.last) {
        (Some(order), _) => (order.to_string(), receipt_state(None)),
        (None, Some((order, outcome))) => (order.to_string(), receipt_state(Some(*outcome))),
        (None, None) => (String::new(), ReceiptState::Printing),
    };
    ReprintView {
        orders: r
            .orders
            .iter()
            .flatten()
            .map(|row| ReprintRow {
                number: row.number.to_string().into(),
                renewal: row.renewal,
                status: if row.renewal {
                    lifecycle_status(Lifecycle::Renewal, row.status)
                } else {
                    status_of(row.status)
                },
                created: date_time(row.created_at).into(),
            })
            .collect(),
        listing: r.orders.is_none(),
        printing: r.printing.map(|n| n.to_string()).unwrap_or_default(),
        last_order,
        last_receipt,
    }
}

#[must_use]
pub fn staff_view(state: &StaffState) -> StaffScreen {
    match state {
        StaffState::Locked => StaffScreen::Home,
        StaffState::SigningIn { last, checking, .. } => {
            let (warning, tries_left) = pin_warning(pin_refused(*last));
            StaffScreen::Pin(PinView {
                reason: PinReason::StaffSignIn,
                subject: String::new(),
                warning,
                tries_left,
                verifying: *checking,
                problem: last.map_or(StaffProblem::None, sign_in_problem),
            })
        }
        StaffState::SignedIn {
            task,
            member,
            settings,
            ..
        } => {
            let pad = |reason, problem, verifying| {
                StaffScreen::Pin(PinView {
                    reason,
                    subject: String::new(),
                    warning: crate::PinWarning::None,
                    tries_left: 0,
                    verifying,
                    problem,
                })
            };
            let menu = |page, reprint, queue, counter| {
                StaffScreen::Menu(Box::new(StaffMenuView {
                    member: member.name.clone(),
                    may_unblock: settings.may_unblock,
                    page,
                    lock_minutes: i32::try_from(settings.idle_lock.as_secs().div_ceil(60))
                        .unwrap_or(i32::MAX),
                    reprint,
                    queue,
                    counter,
                }))
            };
            match task {
                StaffTask::Technician(t) => StaffScreen::Technician(Box::new(
                    crate::screens::technician::view::technician_view(member, settings, t),
                )),
                StaffTask::Menu => menu(
                    StaffPage::Menu,
                    ReprintView::default(),
                    QueueView::default(),
                    CounterView::default(),
                ),
                StaffTask::Unblock(Unblock::Unblocked) => menu(
                    StaffPage::Unblocked,
                    ReprintView::default(),
                    QueueView::default(),
                    CounterView::default(),
                ),
                StaffTask::Reprint(r) => menu(
                    StaffPage::Reprint,
                    reprint_view(r),
                    QueueView::default(),
                    CounterView::default(),
                ),
                StaffTask::Queue(q) => menu(
                    StaffPage::Queue,
                    ReprintView::default(),
                    queue_view(q),
                    CounterView::default(),
                ),
                StaffTask::Counter(c) => match &c.stage {
                    CounterStage::Pin {
                        order,
                        amount,
                        last,
                        ..
                    } => {
                        let (warning, tries_left) = pin_warning(pin_refused(*last));
                        StaffScreen::Pin(PinView {
                            reason: PinReason::CounterSign,
                            subject: format!("{order} · {amount}"),
                            warning,
                            tries_left,
                            verifying: false,
                            problem: last.map_or(StaffProblem::None, sign_in_problem),
                        })
                    }
                    CounterStage::Signing { order, amount, .. } => StaffScreen::Pin(PinView {
                        reason: PinReason::CounterSign,
                        subject: format!("{order} · {amount}"),
                        warning: crate::PinWarning::None,
                        tries_left: 0,
                        verifying: true,
                        problem: StaffProblem::None,
                    }),
                    CounterStage::Form { .. } => menu(
                        StaffPage::CounterForm,
                        ReprintView::default(),
                        QueueView::default(),
                        counter_view(c),
                    ),
                    CounterStage::CancelPin { order, last } => {
                        let (warning, tries_left) = pin_warning(pin_refused(*last));
                        StaffScreen::Pin(PinView {
                            reason: PinReason::CancelSign,
                            subject: order.to_string(),
                            warning,
                            tries_left,
                            verifying: false,
                            problem: last.map_or(StaffProblem::None, sign_in_problem),
                        })
                    }
                    CounterStage::CancelSigning { order } => StaffScreen::Pin(PinView {
                        reason: PinReason::CancelSign,
                        subject: order.to_string(),
                        warning: crate::PinWarning::None,
                        tries_left: 0,
                        verifying: true,
                        problem: StaffProblem::None,
                    }),
                    CounterStage::ConfirmCancel { .. } => menu(
                        StaffPage::CounterCancel,
                        ReprintView::default(),
                        QueueView::default(),
                        counter_view(c),
                    ),
                    CounterStage::List
                    | CounterStage::Sending(_)
                    | CounterStage::CancelSending(_) => menu(
                        StaffPage::Counter,
                        ReprintView::default(),
                        QueueView::default(),
                        counter_view(c),
                    ),
                },
                StaffTask::Unblock(Unblock::SoPin { last }) => pad(
                    PinReason::SoPin,
                    last.map_or(StaffProblem::None, unblock_problem),
                    false,
                ),
                StaffTask::Unblock(Unblock::NewPin) => {
                    pad(PinReason::NewPin, StaffProblem::None, false)
                }
                StaffTask::Unblock(Unblock::Repeat) => {
                    pad(PinReason::RepeatPin, StaffProblem::None, false)
                }
                StaffTask::Unblock(Unblock::Working) => {
                    pad(PinReason::RepeatPin, StaffProblem::None, true)
                }
            }
        }
    }
}

/// What the sign-in pad says of a refusal (a wrong PIN is the pad's
/// warning instead).
#[must_use]
pub fn sign_in_problem(refusal: SignInRefusal) -> StaffProblem {
    match refusal {
        SignInRefusal::NoKey => StaffProblem::NoKey,
        SignInRefusal::NotAStaffKey => StaffProblem::NotAStaffKey,
        SignInRefusal::Credential(CredentialRefusal::NotTrusted) => StaffProblem::NotTrusted,
        SignInRefusal::Credential(CredentialRefusal::NoStaffRole) => StaffProblem::NoRole,
        SignInRefusal::Credential(CredentialRefusal::OutOfDate) => StaffProblem::OutOfDate,
        SignInRefusal::Credential(CredentialRefusal::Revoked) => StaffProblem::Revoked,
        SignInRefusal::Pin(PinOutcome::Locked) => StaffProblem::PinLocked,
        SignInRefusal::Pin(PinOutcome::Verified | PinOutcome::Wrong { .. }) => StaffProblem::None,
        SignInRefusal::BadSignature => StaffProblem::BadSignature,
        SignInRefusal::KeyFailed => StaffProblem::KeyFailed,
    }
}

#[must_use]
pub fn unblock_problem(problem: UnblockProblem) -> StaffProblem {
    match problem {
        UnblockProblem::NoCustomerKey => StaffProblem::NoCustomerKey,
        UnblockProblem::PinsDiffer => StaffProblem::PinsDiffer,
        UnblockProblem::SoPinWrong => StaffProblem::SoPinWrong,
        UnblockProblem::SoPinLocked => StaffProblem::SoPinLocked,
        UnblockProblem::NewPinRefused => StaffProblem::NewPinRefused,
        UnblockProblem::KeyFailed => StaffProblem::KeyFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::flow::SessionId;
    use kiosk_domain::flow::staff::StaffSettings;
    use kiosk_domain::ports::key_writer::KeyRef;
    use kiosk_domain::ports::staff::{StaffMember, StaffRole};
    use std::time::Duration;

    fn signed_in(task: StaffTask) -> StaffState {
        StaffState::SignedIn {
            session: SessionId(1),
            settings: StaffSettings {
                idle_lock: Duration::from_secs(90),
                may_unblock: true,
            },
            member: StaffMember {
                certificate_serial: "01".to_owned(),
                name: "clerk-01".to_owned(),
                roles: vec![StaffRole::Staff],
            },
            key: KeyRef {
                label: "staff".to_owned(),
                serial: "S".to_owned(),
                model: "m".to_owned(),
                manufacturer: "v".to_owned(),
            },
            task,
            touched_at: time::OffsetDateTime::UNIX_EPOCH,
            audits: 1,
        }
    }

    #[test]
    fn the_sign_in_pad_says_why_the_last_try_failed() {
        let state = |last| StaffState::SigningIn {
            session: SessionId(1),
            settings: StaffSettings::default(),
            last,
            checking: false,
            touched_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let StaffScreen::Pin(v) = staff_view(&state(Some(SignInRefusal::Credential(
            CredentialRefusal::Revoked,
        )))) else {
            panic!("the pad");
        };
        assert_eq!(
            (v.reason, v.problem),
            (PinReason::StaffSignIn, StaffProblem::Revoked)
        );
        let StaffScreen::Pin(v) = staff_view(&state(Some(SignInRefusal::Pin(PinOutcome::Wrong {
            tries_left: Some(2),
            final_try: false,
        })))) else {
            panic!("the pad");
        };
        assert_eq!(
            (v.warning, v.tries_left, v.problem),
            (crate::PinWarning::TriesLeft, 2, StaffProblem::None)
        );
    }

    #[test]
    fn the_menu_names_the_member_and_rounds_the_lock_up_to_minutes() {
        assert_eq!(
            staff_view(&signed_in(StaffTask::Menu)),
            StaffScreen::Menu(Box::new(StaffMenuView {
                member: "clerk-01".to_owned(),
                may_unblock: true,
                page: StaffPage::Menu,
                lock_minutes: 2,
                reprint: ReprintView::default(),
                queue: QueueView::default(),
                counter: CounterView::default(),
            }))
        );
        let StaffScreen::Pin(v) = staff_view(&signed_in(StaffTask::Unblock(Unblock::SoPin {
            last: Some(UnblockProblem::PinsDiffer),
        }))) else {
            panic!("the pad");
        };
        assert_eq!(
            (v.reason, v.problem),
            (PinReason::SoPin, StaffProblem::PinsDiffer)
        );
        let StaffScreen::Pin(v) = staff_view(&signed_in(StaffTask::Unblock(Unblock::Working)))
        else {
            panic!("the pad");
        };
        assert!(v.verifying, "the pad is locked while the key works");
    }

    #[test]
    fn counter_payment_says_what_is_due_what_is_missing_and_what_the_ca_answered() {
        use kiosk_domain::fixtures;
        use kiosk_domain::flow::staff::PayableRow;
        use kiosk_domain::money::Fen;
        use kiosk_domain::ports::counter::{CounterMethod, CounterPayment, SignedCounterPayment};
        let order = fixtures::order_number(4);
        let task = |stage, last| {
            StaffTask::Counter(CounterTask {
                orders: Some(vec![PayableRow {
                    number: order,
                    renewal: true,
                    amount: Fen(30_000),
                    created_at: time::macros::datetime!(2026-12-06 10:00 UTC),
                }]),
                stage,
                last,
                recorded: Vec::new(),
            })
        };
        let StaffScreen::Menu(v) = staff_view(&signed_in(task(
            CounterStage::Form {
                order,
                amount: Fen(30_000),
                problem: Some(CounterFormProblem::Reference),
            },
            None,
        ))) else {
            panic!("the form");
        };
        assert_eq!(v.page, StaffPage::CounterForm);
        assert_eq!(
            (v.counter.order.as_str(), v.counter.amount.as_str()),
            (order.as_str(), Fen(30_000).to_string().as_str())
        );
        assert!(v.counter.reference_missing);
        let reference: kiosk_domain::order::text::Reference = "POS-1".parse().unwrap();
        let StaffScreen::Pin(v) = staff_view(&signed_in(task(
            CounterStage::Pin {
                order,
                amount: Fen(30_000),
                method: CounterMethod::Counter,
                reference: reference.clone(),
                last: Some(SignInRefusal::Pin(PinOutcome::Wrong {
                    tries_left: Some(3),
                    final_try: false,
                })),
            },
            None,
        ))) else {
            panic!("the pad");
        };
        assert_eq!(v.reason, PinReason::CounterSign);
        assert!(v.subject.contains(order.as_str()), "{}", v.subject);
        assert_eq!((v.warning, v.tries_left), (crate::PinWarning::TriesLeft, 3));
        let signed = SignedCounterPayment {
            payment: CounterPayment {
                order,
                method: CounterMethod::Counter,
                amount: Fen(30_000),
                reference,
                signed_at: time::macros::datetime!(2026-12-06 10:00 UTC),
            },
            certificate_der: Vec::new(),
            signature: Vec::new(),
        };
        let StaffScreen::Menu(v) = staff_view(&signed_in(task(
            CounterStage::Sending(Box::new(signed)),
            Some((fixtures::order_number(1), CounterOutcome::Unreachable)),
        ))) else {
            panic!("the list");
        };
        assert_eq!(
            (v.page, v.counter.said, v.counter.last_order.as_str()),
            (StaffPage::Counter, CounterSaid::Sending, order.as_str()),
            "what is on its way, not the last answer"
        );
        let StaffScreen::Menu(v) = staff_view(&signed_in(task(
            CounterStage::List,
            Some((order, CounterOutcome::StaffNotAccepted)),
        ))) else {
            panic!("the list");
        };
        assert_eq!(v.counter.said, CounterSaid::StaffNotAccepted);
        assert_eq!(v.counter.orders.len(), 1);
    }
}
