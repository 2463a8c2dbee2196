//! 异常恢复: why the install stopped (the screen says what to do).
#![forbid(unsafe_code)]

use crate::RecoveryReason;
use kiosk_domain::flow::renewal::InstallFailure;
use kiosk_domain::order::Order;

#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryView {
    pub order_number: String,
    pub reason: RecoveryReason,
    pub can_reinstall: bool,
}

/// Why an install (a renewal's, or a pickup's) stopped, in the screens' words.
#[must_use]
pub fn reason(failure: InstallFailure) -> RecoveryReason {
    match failure {
        InstallFailure::KeyRemoved => RecoveryReason::KeyRemoved,
        InstallFailure::Offline => RecoveryReason::Offline,
        InstallFailure::TokenError => RecoveryReason::TokenError,
        InstallFailure::CertificateRejected => RecoveryReason::CertificateRejected,
        InstallFailure::KeyPairMissing => RecoveryReason::KeyPairMissing,
        InstallFailure::Interrupted => RecoveryReason::Interrupted,
    }
}

#[must_use]
pub fn recovery_view(order: &Order, failure: InstallFailure) -> RecoveryView {
    RecoveryView {
        order_number: order.number.to_string(),
        reason: reason(failure),
        // Every failure resumes from the recorded step.
        can_reinstall: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn the_failure_is_the_reason_and_reinstalling_is_offered() {
        let order = fixtures::renewal_order(1);
        let v = recovery_view(&order, InstallFailure::Offline);
        assert_eq!(
            v,
            RecoveryView {
                order_number: order.number.to_string(),
                reason: RecoveryReason::Offline,
                can_reinstall: true,
            }
        );
    }
}
