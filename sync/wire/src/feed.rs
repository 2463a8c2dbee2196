//! Status changes, in the order the CA made them, read with a cursor, and
//! the back office's review that makes some of them.

use kiosk_domain::order::status::OrderStatus;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An order's status on the wire (stable spellings, independent of the
/// domain's Rust names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusV1 {
    PendingReview,
    AwaitingPayment,
    Rejected,
    InProgress,
    CertificateMade,
    Mailed,
    Completed,
    Invoiced,
    Cancelled,
}

impl From<OrderStatus> for StatusV1 {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::PendingReview => Self::PendingReview,
            OrderStatus::AwaitingPayment => Self::AwaitingPayment,
            OrderStatus::Rejected => Self::Rejected,
            OrderStatus::InProgress => Self::InProgress,
            OrderStatus::CertificateMade => Self::CertificateMade,
            OrderStatus::Mailed => Self::Mailed,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Invoiced => Self::Invoiced,
            OrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<StatusV1> for OrderStatus {
    fn from(s: StatusV1) -> Self {
        match s {
            StatusV1::PendingReview => Self::PendingReview,
            StatusV1::AwaitingPayment => Self::AwaitingPayment,
            StatusV1::Rejected => Self::Rejected,
            StatusV1::InProgress => Self::InProgress,
            StatusV1::CertificateMade => Self::CertificateMade,
            StatusV1::Mailed => Self::Mailed,
            StatusV1::Completed => Self::Completed,
            StatusV1::Invoiced => Self::Invoiced,
            StatusV1::Cancelled => Self::Cancelled,
        }
    }
}

impl StatusV1 {
    /// The stable spelling, e.g. `pending_review`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingReview => "pending_review",
            Self::AwaitingPayment => "awaiting_payment",
            Self::Rejected => "rejected",
            Self::InProgress => "in_progress",
            Self::CertificateMade => "certificate_made",
            Self::Mailed => "mailed",
            Self::Completed => "completed",
            Self::Invoiced => "invoiced",
            Self::Cancelled => "cancelled",
        }
    }

    /// From the stable spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        OrderStatus::ALL
            .into_iter()
            .map(Self::from)
            .find(|s| s.as_str() == text)
    }
}

/// The query of `GET /v1/feed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedQuery {
    /// The last `seq` the kiosk has applied (0 at first).
    #[serde(default)]
    pub cursor: u64,
    /// At most this many entries, 1 to 500 (another value is refused).
    pub limit: Option<u32>,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntryV1 {
    /// Increasing; the cursor of the next page starts after it.
    pub seq: u64,
    pub number: String,
    pub status: StatusV1,
    /// The reviewer's reason, for `rejected`.
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A page of `GET /v1/feed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPageV1 {
    pub entries: Vec<FeedEntryV1>,
    /// Pass it as `cursor` next time (unchanged when nothing is new).
    pub next_cursor: u64,
}

/// The body of `POST /v1/admin/orders/{number}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectV1 {
    pub reason: String,
}
