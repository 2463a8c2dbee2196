//! Attachments: what a capture is, its type judged by content (never by file
//! name), and the CA's size limit.

use crate::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// The CA's limit on one attachment after compression (seed 000: "1M").
pub const MAX_ATTACHMENT_BYTES: usize = 1024 * 1024;

/// The content types the CA accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    Jpeg,
    Png,
    Pdf,
}

impl MediaType {
    /// The type the bytes really are, from their leading signature.
    #[must_use]
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    /// The MIME type sent to the CA.
    #[must_use]
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }
}

/// What a captured document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttachmentKind {
    /// 申请表: the pre-filled form, printed, stamped with the company seal, captured.
    ApplicationForm,
    /// 营业执照: the business licence.
    BusinessLicence,
    /// 经办人身份证: the handler's ID card.
    HandlerId,
    /// A seal holder's ID document; the index is the holder's position on the order.
    SealHolderId { holder: u8 },
    /// 实人认证: the handler's face capture (only with consent, spec §3.2 step 8).
    Face,
}

impl AttachmentKind {
    /// Face images and ID documents are personal data of the most sensitive kind.
    #[must_use]
    pub fn is_biometric(self) -> bool {
        matches!(self, Self::Face)
    }
}

/// A checked attachment: its bytes are a JPEG, PNG or PDF of at most 1 MB.
/// The bytes themselves travel beside the order (the store encrypts them).
/// Its `Debug` shows kind, type and size, never the bytes (a face, an ID card).
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    kind: AttachmentKind,
    media_type: MediaType,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("kind", &self.kind)
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Attachment {
    /// Checks the content's type and size.
    pub fn new(kind: AttachmentKind, bytes: Vec<u8>) -> Result<Self, AttachmentError> {
        if bytes.is_empty() {
            return Err(AttachmentError::Empty);
        }
        let media_type = MediaType::sniff(&bytes).ok_or(AttachmentError::UnknownType)?;
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentError::TooLarge { bytes: bytes.len() });
        }
        Ok(Self {
            kind,
            media_type,
            bytes,
        })
    }

    #[must_use]
    pub fn kind(&self) -> AttachmentKind {
        self.kind
    }

    #[must_use]
    pub fn media_type(&self) -> MediaType {
        self.media_type
    }

    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Why a file or capture was refused as an attachment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a JPEG, PNG or PDF")]
    UnknownType,
    #[error("the file is {bytes} bytes; the limit is 1 MB")]
    TooLarge { bytes: usize },
}

impl Localized for AttachmentError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Empty, Lang::ZhCn) => "文件是空的，请重新拍摄或选择".to_owned(),
            (Self::UnknownType, Lang::ZhCn) => {
                "只能上传JPG、PNG图片或PDF文件，请重新拍摄".to_owned()
            }
            (Self::TooLarge { .. }, Lang::ZhCn) => {
                "文件超过1MB，请重新拍摄（系统会自动压缩）".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_is_judged_by_content_not_name() {
        assert_eq!(
            MediaType::sniff(b"\xFF\xD8\xFF\xE0rest"),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(MediaType::Png)
        );
        assert_eq!(MediaType::sniff(b"%PDF-1.7"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"GIF89a"), None);
        assert_eq!(MediaType::sniff(b"MZ\x90\x00"), None);
    }

    #[test]
    fn limit_is_inclusive_at_one_mebibyte() {
        let mut at_limit = b"%PDF-".to_vec();
        at_limit.resize(MAX_ATTACHMENT_BYTES, b' ');
        assert!(Attachment::new(AttachmentKind::BusinessLicence, at_limit.clone()).is_ok());
        at_limit.push(b' ');
        assert_eq!(
            Attachment::new(AttachmentKind::BusinessLicence, at_limit),
            Err(AttachmentError::TooLarge {
                bytes: MAX_ATTACHMENT_BYTES + 1
            })
        );
        assert_eq!(
            Attachment::new(AttachmentKind::Face, Vec::new()),
            Err(AttachmentError::Empty)
        );
        assert_eq!(
            Attachment::new(AttachmentKind::Face, b"<html>".to_vec()),
            Err(AttachmentError::UnknownType)
        );
    }
}
