//! 上传附件: the documents the application needs, each taken or not, being
//! taken, or failed.
#![forbid(unsafe_code)]

use crate::screens::vocabulary::int;
use crate::{DocumentKind, DocumentRow, SealRoleKind};
use kiosk_domain::flow::application::Draft;
use kiosk_domain::order::application::SealRole;
use kiosk_domain::order::attachment::AttachmentKind;

/// What 上传附件 shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureView {
    pub documents: Vec<DocumentRow>,
    /// What each row's 拍摄 asks for.
    pub kinds: Vec<AttachmentKind>,
    pub busy: bool,
    pub all_done: bool,
}

/// The documents of `draft`, in the order the CA asks for them.
#[must_use]
pub fn capture_view(draft: &Draft) -> CaptureView {
    let kinds = draft.required_attachments();
    let documents = kinds
        .iter()
        .map(|kind| {
            let (document, holder) = match kind {
                AttachmentKind::ApplicationForm => (DocumentKind::ApplicationForm, None),
                AttachmentKind::BusinessLicence => (DocumentKind::BusinessLicence, None),
                AttachmentKind::HandlerId | AttachmentKind::Face => (DocumentKind::HandlerId, None),
                AttachmentKind::SealHolderId { holder } => {
                    (DocumentKind::HolderId, Some(usize::from(*holder)))
                }
            };
            let role =
                holder
                    .and_then(|h| draft.seal_holders.get(h))
                    .map_or(SealRoleKind::Trader, |h| match h.role {
                        SealRole::Trader => SealRoleKind::Trader,
                        SealRole::Settler => SealRoleKind::Settler,
                    });
            let taken = draft.captures.iter().find(|c| c.kind == *kind);
            DocumentRow {
                kind: document,
                // Counted from 1 among the holders of the same role.
                holder: holder.map_or(0, |h| {
                    let same = draft
                        .seal_holders
                        .iter()
                        .take(h + 1)
                        .filter(|o| Some(o.role) == draft.seal_holders.get(h).map(|x| x.role))
                        .count();
                    int(same)
                }),
                role,
                done: taken.is_some(),
                size_kb: taken.map_or(0, |c| int(c.size.div_ceil(1024) as usize)),
                capturing: draft.capturing == Some(*kind),
                failed: draft.capture_failed == Some(*kind),
            }
        })
        .collect();
    CaptureView {
        documents,
        busy: draft.capturing.is_some(),
        all_done: draft.missing_attachments().is_empty(),
        kinds,
    }
}
