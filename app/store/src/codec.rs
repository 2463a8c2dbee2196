//! How domain values are written into clear columns, and read back.
//!
//! The spellings here are part of the on-disk format: they are spelled out
//! by hand (not taken from `Debug` or serde) so renaming a Rust variant can
//! never silently change what is stored.

use crate::error::StoreError;
use kiosk_domain::flow::SessionId;
use kiosk_domain::order::attachment::{AttachmentKind, MediaType};
use kiosk_domain::order::status::OrderStatus;
use time::OffsetDateTime;

/// An instant as Unix nanoseconds (UTC): exact, and ordered in SQL.
pub(crate) fn time_to_db(t: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(t.unix_timestamp_nanos()).map_err(|_| StoreError::TimeOutOfRange(t))
}

pub(crate) fn time_from_db(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|_| StoreError::corrupt(format!("timestamp {nanos}")))
}

pub(crate) fn opt_time_from_db(nanos: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    nanos.map(time_from_db).transpose()
}

const STATUSES: [(OrderStatus, &str); 9] = [
    (OrderStatus::PendingReview, "pending_review"),
    (OrderStatus::AwaitingPayment, "awaiting_payment"),
    (OrderStatus::Rejected, "rejected"),
    (OrderStatus::InProgress, "in_progress"),
    (OrderStatus::CertificateMade, "certificate_made"),
    (OrderStatus::Mailed, "mailed"),
    (OrderStatus::Completed, "completed"),
    (OrderStatus::Invoiced, "invoiced"),
    (OrderStatus::Cancelled, "cancelled"),
];

pub(crate) fn status_to_db(status: OrderStatus) -> &'static str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("unknown", |(_, name)| name)
}

pub(crate) fn status_from_db(name: &str) -> Result<OrderStatus, StoreError> {
    STATUSES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(s, _)| *s)
        .ok_or_else(|| StoreError::corrupt(format!("order status {name:?}")))
}

const SEAL_HOLDER_PREFIX: &str = "seal_holder_id/";

pub(crate) fn attachment_kind_to_db(kind: AttachmentKind) -> String {
    match kind {
        AttachmentKind::ApplicationForm => "application_form".to_owned(),
        AttachmentKind::BusinessLicence => "business_licence".to_owned(),
        AttachmentKind::HandlerId => "handler_id".to_owned(),
        AttachmentKind::SealHolderId { holder } => format!("{SEAL_HOLDER_PREFIX}{holder}"),
        AttachmentKind::Face => "face".to_owned(),
    }
}

pub(crate) fn attachment_kind_from_db(name: &str) -> Result<AttachmentKind, StoreError> {
    Ok(match name {
        "application_form" => AttachmentKind::ApplicationForm,
        "business_licence" => AttachmentKind::BusinessLicence,
        "handler_id" => AttachmentKind::HandlerId,
        "face" => AttachmentKind::Face,
        other => {
            let holder = other
                .strip_prefix(SEAL_HOLDER_PREFIX)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| StoreError::corrupt(format!("attachment kind {other:?}")))?;
            AttachmentKind::SealHolderId { holder }
        }
    })
}

const MEDIA_TYPES: [MediaType; 3] = [MediaType::Jpeg, MediaType::Png, MediaType::Pdf];

pub(crate) fn media_type_to_db(media_type: MediaType) -> &'static str {
    media_type.mime()
}

pub(crate) fn media_type_from_db(mime: &str) -> Result<MediaType, StoreError> {
    MEDIA_TYPES
        .into_iter()
        .find(|m| m.mime() == mime)
        .ok_or_else(|| StoreError::corrupt(format!("media type {mime:?}")))
}

/// Session ids are `u64`; SQLite integers are `i64`, so they are stored as text.
pub(crate) fn session_to_db(session: SessionId) -> String {
    session.0.to_string()
}

/// A length or count as an SQLite integer.
pub(crate) fn count_to_db(n: usize) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::corrupt(format!("count {n} too large")))
}

/// An SQLite integer that must be a non-negative count.
pub(crate) fn count_from_db<T: TryFrom<i64>>(n: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(n).map_err(|_| StoreError::corrupt(format!("{what} {n}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_spelling_and_reads_back() {
        for status in OrderStatus::ALL {
            let name = status_to_db(status);
            assert_ne!(name, "unknown");
            assert_eq!(status_from_db(name).unwrap(), status);
        }
        assert!(status_from_db("PendingReview").is_err());
    }

    #[test]
    fn attachment_kinds_and_media_types_read_back() {
        for kind in [
            AttachmentKind::ApplicationForm,
            AttachmentKind::BusinessLicence,
            AttachmentKind::HandlerId,
            AttachmentKind::SealHolderId { holder: 7 },
            AttachmentKind::Face,
        ] {
            assert_eq!(
                attachment_kind_from_db(&attachment_kind_to_db(kind)).unwrap(),
                kind
            );
        }
        assert!(attachment_kind_from_db("seal_holder_id/x").is_err());
        for m in MEDIA_TYPES {
            assert_eq!(media_type_from_db(media_type_to_db(m)).unwrap(), m);
        }
    }

    #[test]
    fn times_round_trip_exactly() {
        let t = time::macros::datetime!(2026-11-23 10:00:00.123456789 +08:00);
        assert_eq!(time_from_db(time_to_db(t).unwrap()).unwrap(), t);
    }
}
