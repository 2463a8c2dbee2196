//! The photographs a kiosk uploads for a mobile review request (the
//! business licence, the handler's ID document): content-addressed by
//! their SHA-256, held per uploading kiosk, and removed when no review
//! request names them a while after their upload.

use super::StorageResult;
use time::OffsetDateTime;

/// Which of a review request's two photographs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureKind {
    /// The business licence (with the unit's seal): `licence_capture`.
    Licence,
    /// The handler's ID document: `id_capture`.
    Id,
}

impl CaptureKind {
    /// The request's field that names it.
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::Licence => "licence_capture",
            Self::Id => "id_capture",
        }
    }
}

/// A capture to keep, unless its kiosk holds too many unreferenced ones.
#[derive(Debug, Clone)]
pub struct NewReviewCapture<'a> {
    /// Who uploaded it: the kiosk code, or `local` (loopback development).
    pub kiosk: &'a str,
    /// SHA-256 of `bytes`, lower-case hex (checked by the caller).
    pub sha256: &'a str,
    pub bytes: &'a [u8],
    /// The CA's clock: when it was uploaded.
    pub now: OffsetDateTime,
    /// At most this many captures per kiosk that no review request names
    /// (counted with this one).
    pub max_unreferenced: u32,
    /// Captures no review request names are removed once uploaded before
    /// this time (in the same transaction).
    pub unreferenced_since: OffsetDateTime,
}

/// What became of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutCaptureOutcome {
    /// Kept now.
    Stored,
    /// This kiosk had uploaded the same bytes before (kept as then).
    Existing,
    /// The kiosk holds `max_unreferenced` captures no request names yet;
    /// nothing was kept. The oldest of them was uploaded then (it goes
    /// once no request names it a while after).
    TooMany { oldest: OffsetDateTime },
}

/// The captures' storage. Each method is one atomic step.
pub trait ReviewCaptureStorage {
    /// Keeps the capture for its kiosk: first removes every capture no
    /// review request names that was uploaded before `unreferenced_since`,
    /// then counts the kiosk's unreferenced ones, in one transaction.
    fn put_review_capture(
        &self,
        capture: &NewReviewCapture<'_>,
    ) -> StorageResult<PutCaptureOutcome>;
    /// The bytes of the `kind` photograph of review request `id`; `None`
    /// for an unknown request or one made before captures were uploaded.
    fn mobile_review_capture(&self, id: &str, kind: CaptureKind) -> StorageResult<Option<Vec<u8>>>;
    /// The bytes `kiosk` uploaded with this SHA-256 (removed or not yet).
    fn review_capture(&self, kiosk: &str, sha256: &str) -> StorageResult<Option<Vec<u8>>>;
    /// How many captures are held (tests).
    fn review_capture_count(&self) -> StorageResult<u64>;
}
