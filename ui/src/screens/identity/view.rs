//! 人脸识别授权 and 实人认证: where the identity check stands.
#![forbid(unsafe_code)]

use crate::screens::pin::view::{PinView, pin_warning};
use crate::screens::staff::view::sign_in_problem;
use crate::{IdentityStage, PinReason, StaffProblem};
use kiosk_domain::flow::application::{Draft, StaffCheck};
use kiosk_domain::flow::staff::pin_refused;
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::order::identity::IdentityOutcome;

/// Where the handler's identity check stands.
#[must_use]
pub fn identity_stage(draft: &Draft) -> IdentityStage {
    let identity = &draft.identity;
    match identity.outcome {
        IdentityOutcome::ConfirmedInPerson { .. } => return IdentityStage::ConfirmedInPerson,
        IdentityOutcome::FaceVerified { .. } => return IdentityStage::Verified,
        IdentityOutcome::FaceNotMatched { .. } => return IdentityStage::NotMatched,
        IdentityOutcome::FaceQueued => return IdentityStage::Queued,
        IdentityOutcome::NotChecked => {}
    }
    let face = draft.captures.iter().any(|c| c.kind.is_biometric());
    if !identity.may_capture_face() {
        IdentityStage::InPersonOnly
    } else if draft.capturing == Some(AttachmentKind::Face) {
        IdentityStage::Taking
    } else if face {
        IdentityStage::AskUpload
    } else if draft.capture_failed == Some(AttachmentKind::Face) {
        IdentityStage::NoFace
    } else {
        IdentityStage::TakePhoto
    }
}

/// The staff key's PIN pad while staff confirm the handler in person,
/// with what the last try came to.
#[must_use]
pub fn staff_pad(draft: &Draft) -> Option<PinView> {
    let (last, verifying) = match draft.staff_check.as_ref()? {
        StaffCheck::Asking { last } => (*last, false),
        StaffCheck::Checking => (None, true),
    };
    let (warning, tries_left) = pin_warning(pin_refused(last));
    Some(PinView {
        reason: PinReason::InPerson,
        subject: handler_name(draft),
        warning,
        tries_left,
        verifying,
        problem: last.map_or(StaffProblem::None, sign_in_problem),
    })
}

/// The handler's name as the consent names them (masked).
#[must_use]
pub fn handler_name(draft: &Draft) -> String {
    draft
        .handler
        .as_ref()
        .map(|h| h.name.masked())
        .unwrap_or_default()
}
