//! Attachments travel as raw bytes (`application/octet-stream`), never as
//! base64 in JSON, and resume where they stopped:
//!
//! 1. the order document lists each attachment's size and SHA-256;
//! 2. `GET`/`HEAD /v1/orders/{number}/attachments/{position}` answers how
//!    many bytes the CA holds (`Upload-Offset` header and
//!    [`AttachmentStatusV1`]);
//! 3. `PUT ...?offset=N` sends the bytes from `N` on, with the whole
//!    attachment's SHA-256 in the `SHA-256` header. The CA keeps every byte
//!    that arrived, even when the connection breaks mid-body; a part that
//!    does not start at the CA's offset is refused with `offset_mismatch`;
//! 4. once complete, the CA checks the SHA-256 of the whole: on a mismatch it
//!    drops what it had (`digest_mismatch`, send again from 0).

use crate::problem::Problem;
use kiosk_domain::order::application::MAX_SEAL_HOLDERS;
use kiosk_domain::ports::outbox::UploadAttachment;
use serde::{Deserialize, Serialize};

/// An attachment as the order document announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentMetaV1 {
    pub position: u32,
    /// `application_form`, `business_licence`, `handler_id`,
    /// `seal_holder_id:<n>` or `face`.
    pub kind: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// How far an attachment has come on the CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentStatusV1 {
    pub position: u32,
    pub size: u64,
    /// Bytes the CA holds: the offset to resume from.
    pub received: u64,
    pub complete: bool,
    /// The SHA-256 the CA computed over what it holds, once complete.
    pub sha256: Option<String>,
}

/// The query of `PUT .../attachments/{position}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetQuery {
    pub offset: u64,
}

impl AttachmentMetaV1 {
    /// The announcement of an attachment from the outbox.
    #[must_use]
    pub fn of(a: &UploadAttachment) -> Self {
        use kiosk_domain::order::attachment::AttachmentKind as K;
        let kind = match a.kind {
            K::ApplicationForm => "application_form".to_owned(),
            K::BusinessLicence => "business_licence".to_owned(),
            K::HandlerId => "handler_id".to_owned(),
            K::SealHolderId { holder } => format!("seal_holder_id:{holder}"),
            K::Face => "face".to_owned(),
        };
        Self {
            position: a.position,
            kind,
            media_type: a.media_type.mime().to_owned(),
            size: u64::try_from(a.bytes.len()).unwrap_or(u64::MAX),
            sha256: a.sha256_hex.clone(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Box<Problem>> {
        let kind_ok = matches!(
            self.kind.as_str(),
            "application_form" | "business_licence" | "handler_id" | "face"
        ) || self.kind.strip_prefix("seal_holder_id:").is_some_and(|n| {
            // One of the application's holders, written as the kiosk
            // writes it: digits only, no sign or leading zero.
            n.bytes().all(|b| b.is_ascii_digit())
                && !(n.len() > 1 && n.starts_with('0'))
                && n.parse::<usize>().is_ok_and(|i| i < MAX_SEAL_HOLDERS)
        });
        let checks = [
            ("attachments.kind", kind_ok),
            (
                "attachments.media_type",
                matches!(
                    self.media_type.as_str(),
                    "image/jpeg" | "image/png" | "application/pdf"
                ),
            ),
            (
                "attachments.size",
                (1..=crate::order::MAX_ATTACHMENT_SIZE).contains(&self.size),
            ),
            ("attachments.sha256", crate::hex::is_sha256(&self.sha256)),
        ];
        for (field, ok) in checks {
            if !ok {
                let mut p = Problem::new(crate::problem::ProblemCode::InvalidField)
                    .with_detail(format!("{field} is not valid"));
                p.field = Some(field.to_owned());
                return Err(Box::new(p));
            }
        }
        Ok(())
    }
}
