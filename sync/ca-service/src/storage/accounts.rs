//! What the service keeps about enterprise accounts: the account (the
//! password only as its Argon2id PHC string), failed sign-ins for the
//! lockout, sessions (only the SHA-256 of each token), and the requests for
//! a new mobile number that staff review.

use super::{CaptureKind, StorageResult};
use time::OffsetDateTime;

/// An account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAccount {
    pub uscc: String,
    pub unit_name: String,
    pub mobile: String,
    /// The PHC string (`$argon2id$v=19$m=...$salt$hash`).
    pub password_hash: String,
    pub registered_at: OffsetDateTime,
}

impl std::fmt::Debug for StoredAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAccount")
            .field("registered_at", &self.registered_at)
            .finish_non_exhaustive()
    }
}

/// What became of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    Created(StoredAccount),
    /// An account with this USCC exists.
    UsccTaken,
}

/// The lockout rule: at most `max_failures` failed sign-ins per USCC within
/// `window`.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    pub max_failures: u32,
    pub window: time::Duration,
}

/// Whether a sign-in may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// It may; the attempt is counted as failed until it is cleared
    /// ([`AccountStorage::clear_failures`]) by a right password, so that
    /// parallel guesses cannot overtake the count.
    Go,
    /// Locked until then.
    Locked { until: OffsetDateTime },
}

/// A session's timing rules.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// It ends after this long without a call.
    pub idle: time::Duration,
    /// And this long after sign in at the latest.
    pub lifetime: time::Duration,
}

/// A review request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMobileReview {
    pub id: String,
    pub uscc: String,
    pub new_mobile: String,
    /// `sha256:<hex>` of a capture `kiosk` uploaded (free text in requests
    /// made before captures were uploaded).
    pub licence_capture: String,
    /// `sha256:<hex>`, as `licence_capture`.
    pub id_capture: String,
    /// The kiosk that made the request and uploaded its captures (its
    /// code, or `local`); `None` for requests made before captures were
    /// uploaded.
    pub kiosk: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub requested_at: OffsetDateTime,
}

/// What became of a new review request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateReviewOutcome {
    Created,
    /// The request's kiosk holds no such capture (never uploaded by it, or
    /// removed unreferenced): nothing was kept.
    UnknownCapture(CaptureKind),
}

/// What became of a staff decision on a review request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideOutcome {
    /// Done; approving set the account's mobile in the same transaction.
    Decided(Box<StoredMobileReview>),
    /// Decided before.
    NotPending,
}

/// The accounts' storage.
pub trait AccountStorage {
    fn account(&self, uscc: &str) -> StorageResult<Option<StoredAccount>>;
    fn create_account(&self, account: &StoredAccount) -> StorageResult<RegisterOutcome>;
    /// Sets the password hash and ends every session of the account but
    /// `keep_session` (a token SHA-256); whether the account exists.
    fn set_password(
        &self,
        uscc: &str,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StorageResult<bool>;
    /// Sets the mobile on file; the account, `None` if there is none.
    fn set_mobile(&self, uscc: &str, mobile: &str) -> StorageResult<Option<StoredAccount>>;

    /// Counts a sign-in attempt for `uscc` (registered or not) unless it is
    /// locked out, in one transaction.
    fn begin_attempt(
        &self,
        uscc: &str,
        now: OffsetDateTime,
        rule: Lockout,
    ) -> StorageResult<AttemptOutcome>;
    /// Forgets the failed attempts of `uscc` (after a right password).
    fn clear_failures(&self, uscc: &str) -> StorageResult<()>;

    /// Keeps a new session under the SHA-256 of its token (and drops the
    /// sessions that have ended by `limits`).
    fn create_session(
        &self,
        token_sha256: &str,
        uscc: &str,
        now: OffsetDateTime,
        limits: SessionLimits,
    ) -> StorageResult<()>;
    /// The USCC of a live session, whose idle time starts again now; an
    /// ended session is deleted and gives `None`.
    fn touch_session(
        &self,
        token_sha256: &str,
        now: OffsetDateTime,
        limits: SessionLimits,
    ) -> StorageResult<Option<String>>;
    /// Ends a session; whether there was one.
    fn delete_session(&self, token_sha256: &str) -> StorageResult<bool>;

    /// Keeps the request if its kiosk holds both captures it names (those
    /// no request names yet only if uploaded after `captures_since`:
    /// older ones are removed first, in the same transaction).
    fn create_mobile_review(
        &self,
        review: &StoredMobileReview,
        captures_since: OffsetDateTime,
    ) -> StorageResult<CreateReviewOutcome>;
    /// The latest `limit` requests, newest first.
    fn mobile_reviews(&self, limit: u32) -> StorageResult<Vec<StoredMobileReview>>;
    /// Approves (setting the account's mobile) or rejects a pending request;
    /// `None` for an unknown id.
    fn decide_mobile_review(
        &self,
        id: &str,
        approve: bool,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StorageResult<Option<DecideOutcome>>;
}
