//! 校验PIN码: why the PIN is asked for, and the warning after a wrong try.
//! (The digits are not here: see [`super::entry`].)
#![forbid(unsafe_code)]

use crate::{PinReason, PinWarning, StaffProblem};
use kiosk_domain::flow::renewal::{PinOutcome, PinPurpose};

#[derive(Debug, Clone, PartialEq)]
pub struct PinView {
    pub reason: PinReason,
    /// The holder's name (renew) or the order number (resume, pay).
    pub subject: String,
    pub warning: PinWarning,
    /// With [`PinWarning::TriesLeft`].
    pub tries_left: i32,
    /// The token is checking the PIN: the pad is locked.
    pub verifying: bool,
    /// Staff mode: why its last sign-in or unblock did not take.
    pub problem: StaffProblem,
}

#[must_use]
pub fn pin_view(purpose: &PinPurpose, last: Option<PinOutcome>, verifying: bool) -> PinView {
    let (reason, subject) = match purpose {
        PinPurpose::Renew(cert) => (PinReason::Renew, cert.holder.clone()),
        PinPurpose::Resume(order) => (PinReason::Resume, order.number.to_string()),
        PinPurpose::PayOpenOrder(order) => (PinReason::PayOpenOrder, order.number.to_string()),
    };
    let (warning, tries_left) = pin_warning(last);
    PinView {
        reason,
        subject,
        warning,
        tries_left,
        verifying,
        problem: StaffProblem::None,
    }
}

/// The warning after `last`, with the tries left when the token tells them.
#[must_use]
pub fn pin_warning(last: Option<PinOutcome>) -> (PinWarning, i32) {
    match last {
        Some(PinOutcome::Wrong {
            final_try: true, ..
        }) => (PinWarning::FinalTry, 1),
        Some(PinOutcome::Wrong {
            tries_left: Some(n),
            ..
        }) => (PinWarning::TriesLeft, i32::from(n)),
        Some(PinOutcome::Wrong {
            tries_left: None, ..
        }) => (PinWarning::Wrong, 0),
        Some(PinOutcome::Verified | PinOutcome::Locked) | None => (PinWarning::None, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn pin_warnings_follow_the_outcome() {
        assert_eq!(
            pin_warning(Some(PinOutcome::Wrong {
                tries_left: Some(3),
                final_try: false,
            })),
            (PinWarning::TriesLeft, 3)
        );
        let (w, _) = pin_warning(Some(PinOutcome::Wrong {
            tries_left: Some(1),
            final_try: true,
        }));
        assert_eq!(w, PinWarning::FinalTry);
        let (w, _) = pin_warning(Some(PinOutcome::Wrong {
            tries_left: None,
            final_try: false,
        }));
        assert_eq!(w, PinWarning::Wrong);
        assert_eq!(pin_warning(None), (PinWarning::None, 0));
    }

    #[test]
    fn the_purpose_names_the_holder_or_the_order() {
        let v = pin_view(&PinPurpose::Renew(fixtures::certificate()), None, false);
        assert_eq!(
            (v.reason, v.subject.as_str()),
            (PinReason::Renew, "山西示例煤业有限公司")
        );
        let order = fixtures::renewal_order(2);
        let v = pin_view(&PinPurpose::Resume(Box::new(order.clone())), None, true);
        assert_eq!(
            (v.reason, v.subject.as_str(), v.verifying),
            (PinReason::Resume, order.number.as_str(), true)
        );
    }
}
