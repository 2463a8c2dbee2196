//! 现场领取: where the pickup stands, in the screens' vocabulary.
#![forbid(unsafe_code)]

use crate::screens::install::view::{done, rows};
use crate::screens::pin::view::{PinView, pin_warning};
use crate::screens::recovery::view::reason;
use crate::screens::vocabulary::{receipt_state, status_of};
use crate::{
    BlankKeyProblem, InstallRow, InstallStage, PickupPhase, PickupWhy, PinReason, ReceiptState,
    RecoveryReason, StatusLabel,
};
use kiosk_domain::flow::pickup::{Job, KeyCheck, NotNow, PickupState};
use kiosk_domain::ports::ca::Pickup;

/// The pickup screen's values.
#[derive(Debug, Clone, PartialEq)]
pub struct PickupView {
    pub phase: PickupPhase,
    pub why: PickupWhy,
    pub status: StatusLabel,
    pub key_problem: BlankKeyProblem,
    pub order_number: String,
    pub unit_name: String,
    pub seals: i32,
    pub steps: Vec<InstallRow>,
    pub percent: i32,
    pub failure: RecoveryReason,
    /// On 完成: what became of the receipt.
    pub receipt: ReceiptState,
}

/// What a pickup state shows: its own screen, the PIN pad, or nothing
/// (home: the flow has no customer).
#[derive(Debug, Clone, PartialEq)]
pub enum PickupScreen {
    Home,
    Pickup(PickupView),
    Pin(PinView),
}

/// The write's four actions, in the order they run (nothing to retire on
/// a blank key).
const STAGES: [InstallStage; 4] = [
    InstallStage::GenerateKeyPair,
    InstallStage::RequestCertificate,
    InstallStage::VerifyCertificate,
    InstallStage::WriteCertificate,
];

fn blank(phase: PickupPhase, order_number: String) -> PickupView {
    PickupView {
        phase,
        why: PickupWhy::NotFound,
        status: StatusLabel::InProgress,
        key_problem: BlankKeyProblem::None,
        order_number,
        unit_name: String::new(),
        seals: 0,
        steps: Vec::new(),
        percent: 0,
        failure: RecoveryReason::Interrupted,
        receipt: ReceiptState::Printing,
    }
}

fn with_job(phase: PickupPhase, job: &Job) -> PickupView {
    // The same steps as a renewal's install, without the retirement.
    let (steps, percent) = rows(&STAGES, done(job.progress.step).min(STAGES.len()));
    PickupView {
        unit_name: job.order.unit_name.as_str().to_owned(),
        seals: i32::try_from(job.order.seals).unwrap_or(i32::MAX),
        steps,
        percent,
        ..blank(phase, job.order.number.to_string())
    }
}

#[must_use]
pub fn pickup_view(state: &PickupState) -> PickupScreen {
    PickupScreen::Pickup(match state {
        PickupState::Home => return PickupScreen::Home,
        PickupState::Asking { number, .. } => blank(PickupPhase::Asking, number.to_string()),
        PickupState::NotNow { number, why, .. } => {
            let mut v = blank(PickupPhase::NotNow, number.to_string());
            (v.why, v.status) = match why {
                NotNow::NotFound => (PickupWhy::NotFound, v.status),
                NotNow::Offline => (PickupWhy::Offline, v.status),
                NotNow::Pickup(Pickup::Mailed) => (PickupWhy::Mailed, v.status),
                NotNow::Pickup(Pickup::NotYet(status)) => (PickupWhy::NotYet, status_of(*status)),
                NotNow::Pickup(Pickup::Written | Pickup::Ready) => (PickupWhy::Written, v.status),
            };
            v
        }
        PickupState::WaitingForKey {
            job,
            checking,
            last,
            ..
        } => {
            if *checking {
                with_job(PickupPhase::Checking, job)
            } else {
                let mut v = with_job(PickupPhase::InsertKey, job);
                v.key_problem = match last {
                    None | Some(KeyCheck::Usable) => BlankKeyProblem::None,
                    Some(KeyCheck::NoKey) => BlankKeyProblem::NoKey,
                    Some(KeyCheck::NotBlank) => BlankKeyProblem::NotBlank,
                    Some(KeyCheck::Unsupported) => BlankKeyProblem::Unsupported,
                };
                v
            }
        }
        PickupState::EnteringPin { job, last, .. } => {
            let (warning, tries_left) = pin_warning(*last);
            return PickupScreen::Pin(PinView {
                reason: PinReason::Pickup,
                subject: job.order.number.to_string(),
                warning,
                tries_left,
                verifying: false,
                problem: crate::StaffProblem::None,
            });
        }
        PickupState::VerifyingPin { job, .. } => {
            return PickupScreen::Pin(PinView {
                reason: PinReason::Pickup,
                subject: job.order.number.to_string(),
                warning: crate::PinWarning::None,
                tries_left: 0,
                verifying: true,
                problem: crate::StaffProblem::None,
            });
        }
        PickupState::PinLocked { .. } => blank(PickupPhase::PinLocked, String::new()),
        PickupState::Writing { job, .. } => with_job(PickupPhase::Writing, job),
        PickupState::Pending { job, failure, .. } => {
            let mut v = with_job(PickupPhase::Pending, job);
            v.failure = reason(*failure);
            v
        }
        PickupState::Done {
            number, receipt, ..
        } => {
            let mut v = blank(PickupPhase::Done, number.to_string());
            v.percent = 100;
            v.receipt = receipt_state(*receipt);
            v
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StageState;
    use kiosk_domain::fixtures;
    use kiosk_domain::flow::SessionId;
    use kiosk_domain::flow::renewal::InstallFailure;
    use kiosk_domain::order::renewal::{InstallProgress, InstallStep};
    use kiosk_domain::order::status::OrderStatus;
    use kiosk_domain::ports::ca::PickupAtCa;

    fn job(step: InstallStep) -> Box<Job> {
        Box::new(Job {
            order: PickupAtCa {
                number: fixtures::order_number(3),
                status: OrderStatus::CertificateMade,
                on_site: true,
                unit_name: "山西示例煤业有限公司".parse().unwrap(),
                uscc: fixtures::USCC.parse().unwrap(),
                seals: 2,
                issued_attempt: None,
            },
            mobile: fixtures::MOBILE.parse().unwrap(),
            progress: InstallProgress { attempt: 1, step },
            issued: None,
        })
    }

    fn view(state: &PickupState) -> PickupView {
        match pickup_view(state) {
            PickupScreen::Pickup(v) => v,
            other => panic!("not the pickup screen: {other:?}"),
        }
    }

    #[test]
    fn the_write_shows_its_four_steps_and_a_stop_says_why() {
        let s = SessionId(1);
        let writing = view(&PickupState::Writing {
            session: s,
            job: job(InstallStep::RequestSent),
        });
        assert_eq!(writing.phase, PickupPhase::Writing);
        let states: Vec<StageState> = writing.steps.iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            [
                StageState::Done,
                StageState::Done,
                StageState::Running,
                StageState::Pending
            ]
        );
        assert_eq!(writing.percent, 50);
        assert_eq!(
            (writing.unit_name.as_str(), writing.seals),
            ("山西示例煤业有限公司", 2)
        );
        let pending = view(&PickupState::Pending {
            session: s,
            job: job(InstallStep::KeyPairGenerated),
            failure: InstallFailure::KeyRemoved,
        });
        assert_eq!(pending.failure, RecoveryReason::KeyRemoved);
    }

    #[test]
    fn a_key_that_is_not_blank_and_an_order_not_ready_say_so() {
        let s = SessionId(1);
        let waiting = view(&PickupState::WaitingForKey {
            session: s,
            job: job(InstallStep::NotStarted),
            checking: false,
            last: Some(KeyCheck::NotBlank),
        });
        assert_eq!(
            (waiting.phase, waiting.key_problem),
            (PickupPhase::InsertKey, BlankKeyProblem::NotBlank)
        );
        let not_yet = view(&PickupState::NotNow {
            session: s,
            number: fixtures::order_number(3),
            why: NotNow::Pickup(Pickup::NotYet(OrderStatus::InProgress)),
        });
        assert_eq!(
            (not_yet.why, not_yet.status),
            (PickupWhy::NotYet, StatusLabel::InProgress)
        );
        let pin = pickup_view(&PickupState::EnteringPin {
            session: s,
            job: job(InstallStep::NotStarted),
            last: None,
        });
        assert!(matches!(pin, PickupScreen::Pin(p) if p.reason == PinReason::Pickup));
    }
}
