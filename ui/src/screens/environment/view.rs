//! 环境检测未通过: what is wrong, and whether to offer 呼叫工作人员.
#![forbid(unsafe_code)]

use crate::BlockedReason;
use kiosk_domain::flow::renewal::EnvironmentProblem;

#[derive(Debug, Clone, PartialEq)]
pub struct BlockedView {
    /// What is wrong; the screen says it and what to do about it.
    pub reason: BlockedReason,
    /// Whether the customer cannot fix it alone.
    pub ask_staff: bool,
}

#[must_use]
pub fn blocked_view(problem: EnvironmentProblem) -> BlockedView {
    let (reason, ask_staff) = match problem {
        EnvironmentProblem::NoKey => (BlockedReason::NoKey, false),
        EnvironmentProblem::UnsupportedKey => (BlockedReason::UnsupportedKey, true),
        EnvironmentProblem::NoCertificate => (BlockedReason::NoCertificate, false),
        EnvironmentProblem::OldKeyMissing => (BlockedReason::OldKeyMissing, true),
        EnvironmentProblem::NewKeyUnavailable => (BlockedReason::NewKeyUnavailable, true),
        EnvironmentProblem::RenewedAlready => (BlockedReason::RenewedAlready, true),
        EnvironmentProblem::RefusedByCa => (BlockedReason::RefusedByCa, true),
        EnvironmentProblem::KeyReaderFault => (BlockedReason::KeyReaderFault, true),
    };
    BlockedView { reason, ask_staff }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_problems_say_what_to_do() {
        let v = blocked_view(EnvironmentProblem::NoKey);
        assert_eq!(v.reason, BlockedReason::NoKey);
        assert!(!v.ask_staff, "inserting the key is up to the customer");
        assert!(blocked_view(EnvironmentProblem::UnsupportedKey).ask_staff);
        assert!(blocked_view(EnvironmentProblem::KeyReaderFault).ask_staff);
        assert_eq!(
            blocked_view(EnvironmentProblem::NewKeyUnavailable),
            BlockedView {
                reason: BlockedReason::NewKeyUnavailable,
                ask_staff: true
            }
        );
    }
}
