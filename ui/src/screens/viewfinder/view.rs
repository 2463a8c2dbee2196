//! The camera's live view: whether it shows, for which capture, and what
//! the face check says of the latest frame.
#![forbid(unsafe_code)]

use crate::screens::capture::view::capture_view;
use crate::screens::vocabulary::int;
use crate::{DocumentKind, FaceHint, SealRoleKind};
use kiosk_domain::flow::account::{self, AccountState};
use kiosk_domain::flow::application::{ApplicationState, viewfinder};
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::FaceGuidance;

/// What the live view shows of the flow's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewfinderView {
    /// The capture aimed at (`None`: the live view is closed).
    pub kind: Option<AttachmentKind>,
    /// The face (else a document).
    pub face: bool,
    /// The document's row on 上传附件 (-1 for the face).
    pub row: i32,
    /// The document as its title names it.
    pub document: DocumentKind,
    pub holder: i32,
    pub role: SealRoleKind,
}

/// The live view of `state`: open only while the domain says the camera
/// should run ([`viewfinder`]).
#[must_use]
pub fn viewfinder_view(state: &ApplicationState) -> ViewfinderView {
    let closed = ViewfinderView {
        kind: None,
        face: false,
        row: -1,
        document: DocumentKind::HandlerId,
        holder: 0,
        role: SealRoleKind::Trader,
    };
    let (Some((_, kind)), ApplicationState::Filling { draft, .. }) = (viewfinder(state), state)
    else {
        return closed;
    };
    let documents = capture_view(draft);
    let position = documents
        .kinds
        .iter()
        .position(|k| *k == kind)
        .filter(|_| !kind.is_biometric());
    let named = position.and_then(|i| documents.documents.get(i));
    ViewfinderView {
        kind: Some(kind),
        face: kind.is_biometric(),
        row: position.map_or(-1, int),
        document: named.map_or(closed.document, |d| d.kind),
        holder: named.map_or(0, |d| d.holder),
        role: named.map_or(closed.role, |d| d.role),
    }
}

/// The live view of 变更手机号's document aimed at (the account's).
#[must_use]
pub fn account_viewfinder_view(state: &AccountState) -> ViewfinderView {
    let kind = account::viewfinder(state).map(|(_, kind)| kind);
    ViewfinderView {
        kind,
        face: false,
        row: -1,
        document: match kind {
            Some(AttachmentKind::BusinessLicence) => DocumentKind::BusinessLicence,
            _ => DocumentKind::HandlerId,
        },
        holder: 0,
        role: SealRoleKind::Trader,
    }
}

/// What the face check said of the latest frame, in the screens' words.
#[must_use]
pub fn face_hint(guidance: Option<FaceGuidance>) -> FaceHint {
    match guidance {
        None => FaceHint::None,
        Some(FaceGuidance::NoFace) => FaceHint::NoFace,
        Some(FaceGuidance::TooFar) => FaceHint::TooFar,
        Some(FaceGuidance::TooClose) => FaceHint::TooClose,
        Some(FaceGuidance::OffCentre { .. }) => FaceHint::OffCentre,
        Some(FaceGuidance::TooDark) => FaceHint::TooDark,
        Some(FaceGuidance::Blurred) => FaceHint::Blurred,
        Some(FaceGuidance::MoreThanOneFace) => FaceHint::MoreThanOne,
        Some(FaceGuidance::Good) => FaceHint::Good,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::flow::SessionId;
    use kiosk_domain::flow::application::{Draft, Page};

    fn filling(page: Page, draft: Draft) -> ApplicationState {
        ApplicationState::Filling {
            session: SessionId(7),
            page,
            draft: Box::new(draft),
        }
    }

    fn with_holders() -> Draft {
        let d = kiosk_domain::fixtures::application_details();
        Draft {
            seal_holders: d.seal_holders,
            ..Draft::default()
        }
    }

    #[test]
    fn a_document_aimed_at_names_its_row_and_nothing_else_opens_it() {
        let state = filling(Page::Attachments, with_holders());
        assert_eq!(viewfinder_view(&state).kind, None);
        let aimed = filling(
            Page::Attachments,
            Draft {
                aiming: Some(AttachmentKind::HandlerId),
                ..with_holders()
            },
        );
        let view = viewfinder_view(&aimed);
        assert_eq!(view.kind, Some(AttachmentKind::HandlerId));
        assert!(!view.face);
        assert_eq!(view.row, 2, "the form, the licence, then the handler's ID");
        // On another page, or at home, the camera does not run.
        let elsewhere = filling(
            Page::Review,
            Draft {
                aiming: Some(AttachmentKind::HandlerId),
                ..with_holders()
            },
        );
        assert_eq!(viewfinder_view(&elsewhere).kind, None);
        assert_eq!(viewfinder_view(&ApplicationState::Home).kind, None);
    }

    #[test]
    fn every_guidance_has_its_hint() {
        let all = [
            (FaceGuidance::NoFace, FaceHint::NoFace),
            (FaceGuidance::TooFar, FaceHint::TooFar),
            (FaceGuidance::TooClose, FaceHint::TooClose),
            (
                FaceGuidance::OffCentre { dx: 30, dy: 0 },
                FaceHint::OffCentre,
            ),
            (FaceGuidance::TooDark, FaceHint::TooDark),
            (FaceGuidance::Blurred, FaceHint::Blurred),
            (FaceGuidance::MoreThanOneFace, FaceHint::MoreThanOne),
            (FaceGuidance::Good, FaceHint::Good),
        ];
        for (guidance, hint) in all {
            assert_eq!(face_hint(Some(guidance)), hint);
        }
        assert_eq!(face_hint(None), FaceHint::None);
    }
}
