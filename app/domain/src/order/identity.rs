//! The handler's identity check (实人认证, spec §3.2 step 8).
//!
//! The face check is never the only way: staff may always confirm in person.
//! The customer consents on its own screen before a face image is taken, and
//! again before it leaves the kiosk; without the second consent the image
//! stays on the kiosk and is purged with the session.

use super::text::Reference;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How far the identity check has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityOutcome {
    /// Not checked yet.
    NotChecked,
    /// A face was captured and waits for the CA's identity service.
    FaceQueued,
    /// The CA's identity service matched the face to the ID number ("检验" passed).
    FaceVerified { at: OffsetDateTime },
    /// The CA's identity service did not match; staff can still check in person.
    FaceNotMatched { at: OffsetDateTime },
    /// Counter staff saw the handler and their ID card in person.
    ConfirmedInPerson {
        staff_id: Reference,
        at: OffsetDateTime,
    },
}

/// The identity-check record kept on an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCheck {
    /// When the customer agreed to a face image being taken.
    pub capture_consent: Option<OffsetDateTime>,
    /// When the customer agreed to the face image being sent to the CA.
    pub upload_consent: Option<OffsetDateTime>,
    pub outcome: IdentityOutcome,
}

impl Default for IdentityCheck {
    fn default() -> Self {
        Self {
            capture_consent: None,
            upload_consent: None,
            outcome: IdentityOutcome::NotChecked,
        }
    }
}

impl IdentityCheck {
    /// A face may be captured only after its own consent.
    #[must_use]
    pub fn may_capture_face(&self) -> bool {
        self.capture_consent.is_some()
    }

    /// A face image may leave the kiosk only after both consents.
    #[must_use]
    pub fn may_upload_face(&self) -> bool {
        self.capture_consent.is_some() && self.upload_consent.is_some()
    }

    /// Whether the application may be submitted: a check is done or queued.
    #[must_use]
    pub fn is_settled(&self) -> bool {
        !matches!(self.outcome, IdentityOutcome::NotChecked)
    }
}
