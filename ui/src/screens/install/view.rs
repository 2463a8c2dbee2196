//! 安装证书: the five recorded steps and how far the install is.
#![forbid(unsafe_code)]

use crate::{InstallRow, InstallStage, StageState};
use kiosk_domain::order::renewal::InstallStep;
use kiosk_domain::order::{Order, OrderDetails};

#[derive(Debug, Clone, PartialEq)]
pub struct InstallView {
    pub order_number: String,
    pub steps: Vec<InstallRow>,
    pub percent: i32,
}

/// The install actions in the order they run.
const STAGES: [InstallStage; 5] = [
    InstallStage::GenerateKeyPair,
    InstallStage::RequestCertificate,
    InstallStage::VerifyCertificate,
    InstallStage::WriteCertificate,
    InstallStage::RetireOldCertificate,
];

/// How many actions the recorded step says are done.
pub(crate) fn done(step: InstallStep) -> usize {
    match step {
        InstallStep::NotStarted => 0,
        InstallStep::KeyPairGenerated => 1,
        InstallStep::RequestSent => 2,
        InstallStep::CertificateVerified => 3,
        InstallStep::CertificateWritten => 4,
        InstallStep::OldCertificateRetired => 5,
    }
}

#[must_use]
pub fn install_view(order: &Order) -> InstallView {
    let done = match &order.details {
        OrderDetails::Renewal(d) => done(d.install.step),
        OrderDetails::Application(_) => 0,
    };
    let (steps, percent) = rows(&STAGES, done);
    InstallView {
        order_number: order.number.to_string(),
        steps,
        percent,
    }
}

/// `stages` with the first `done` of them done and the next running, and
/// how far along that is in percent.
pub(crate) fn rows(stages: &[InstallStage], done: usize) -> (Vec<InstallRow>, i32) {
    let steps = stages
        .iter()
        .enumerate()
        .map(|(i, stage)| InstallRow {
            stage: *stage,
            state: match i.cmp(&done) {
                std::cmp::Ordering::Less => StageState::Done,
                std::cmp::Ordering::Equal => StageState::Running,
                std::cmp::Ordering::Greater => StageState::Pending,
            },
        })
        .collect();
    let percent = i32::try_from(done.min(stages.len()) * 100 / stages.len().max(1)).unwrap_or(100);
    (steps, percent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn install_progress_follows_the_recorded_step() {
        let mut order = fixtures::renewal_order(1);
        if let OrderDetails::Renewal(d) = &mut order.details {
            d.install.step = InstallStep::RequestSent;
        }
        let v = install_view(&order);
        let states: Vec<StageState> = v.steps.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                StageState::Done,
                StageState::Done,
                StageState::Running,
                StageState::Pending,
                StageState::Pending
            ]
        );
        assert_eq!(v.steps[2].stage, InstallStage::VerifyCertificate);
        assert_eq!(v.percent, 40);
    }
}
