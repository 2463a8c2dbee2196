//! 人脸识别授权 and 实人认证: where the identity check stands.
#![forbid(unsafe_code)]

use crate::IdentityStage;
use kiosk_domain::flow::application::Draft;
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

/// The handler's name as the consent names them (masked).
#[must_use]
pub fn handler_name(draft: &Draft) -> String {
    draft
        .handler
        .as_ref()
        .map(|h| h.name.masked())
        .unwrap_or_default()
}
