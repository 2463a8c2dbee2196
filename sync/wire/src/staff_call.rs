//! 呼叫工作人员 at the CA: a kiosk makes a call for staff
//! (`PUT /v1/kiosks/{kiosk}/staff-calls/{call}`, idempotent by the call's
//! id), looks at it until a member of staff acknowledges it in the back
//! office (`GET`), and withdraws it when the customer leaves
//! (`POST …/withdraw`). The CA stamps the time it received the call: the
//! back office's "since when" is the CA's clock, not the kiosk's.

use crate::problem::{Problem, ProblemCode};
use kiosk_domain::flow::staff_call::{CallScreen, CallStatus};
use serde::{Deserialize, Serialize};

/// A call's states on the wire.
pub const STATE_OPEN: &str = "open";
pub const STATE_ACKNOWLEDGED: &str = "acknowledged";
pub const STATE_WITHDRAWN: &str = "withdrawn";

/// The body of the `PUT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffCallV1 {
    /// Where the customer is ([`CallScreen::as_str`]).
    pub screen: String,
}

impl StaffCallV1 {
    #[must_use]
    pub fn new(screen: CallScreen) -> Self {
        Self {
            screen: screen.as_str().to_owned(),
        }
    }

    /// The screen, one of [`CallScreen`]'s names.
    ///
    /// # Errors
    /// Any other text.
    pub fn validate(&self) -> Result<CallScreen, Box<Problem>> {
        CallScreen::parse(&self.screen).ok_or_else(|| {
            let mut p = Problem::new(ProblemCode::InvalidField)
                .with_detail("screen is not one of the kiosk's screens");
            p.field = Some("screen".to_owned());
            Box::new(p)
        })
    }
}

/// How the CA holds a call (the answer of every staff-call route).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCallStateV1 {
    pub kiosk: String,
    pub call: String,
    pub screen: String,
    /// `open`, `acknowledged` or `withdrawn`.
    pub state: String,
    /// RFC 3339, the CA's clock.
    pub received_at: String,
    /// RFC 3339, when a member of staff acknowledged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
}

impl StaffCallStateV1 {
    /// The state in the domain's words (`None`: not one of the three).
    #[must_use]
    pub fn status(&self) -> Option<CallStatus> {
        match self.state.as_str() {
            STATE_OPEN => Some(CallStatus::Open),
            STATE_ACKNOWLEDGED => Some(CallStatus::Acknowledged),
            STATE_WITHDRAWN => Some(CallStatus::Withdrawn),
            _ => None,
        }
    }
}

/// The wire name of a state.
#[must_use]
pub fn state_name(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Open => STATE_OPEN,
        CallStatus::Acknowledged => STATE_ACKNOWLEDGED,
        CallStatus::Withdrawn => STATE_WITHDRAWN,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn screens_and_states_round_trip() {
        for screen in CallScreen::ALL {
            assert_eq!(StaffCallV1::new(screen).validate().unwrap(), screen);
        }
        assert!(
            StaffCallV1 {
                screen: "Pin".into()
            }
            .validate()
            .is_err()
        );
        for status in [
            CallStatus::Open,
            CallStatus::Acknowledged,
            CallStatus::Withdrawn,
        ] {
            let v = StaffCallStateV1 {
                kiosk: "TYA".into(),
                call: "0000000000000001".into(),
                screen: "pin".into(),
                state: state_name(status).into(),
                received_at: "2026-12-05T10:00:00Z".into(),
                acknowledged_at: None,
            };
            assert_eq!(v.status(), Some(status));
        }
    }
}
