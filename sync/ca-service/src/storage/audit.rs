//! The kiosks' audit logs as the CA holds them (`kiosk_sync_wire::audit`):
//! each kiosk's entries in order, each with the links the kiosk's keyed
//! chain gave it, kept once and never changed, and the conflicts: the
//! places where a kiosk sent something that does not continue the copy
//! (its log was changed or cut off).

use super::StorageResult;
use time::OffsetDateTime;

/// An entry a kiosk sends, checked against its copy in one transaction.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    /// The kiosk code (one spelling, upper case).
    pub kiosk: &'a str,
    /// Its place in the kiosk's log (1 for the first).
    pub seq: u64,
    /// The entry's JSON text exactly as the kiosk sent it.
    pub entry: &'a str,
    /// The link of the entry before it (zeros for the first).
    pub prev: &'a [u8; 32],
    /// This entry's link.
    pub link: &'a [u8; 32],
    /// The CA's clock: when it received the entry.
    pub now: OffsetDateTime,
    /// At most this many entries are kept per kiosk (a bound, not pruning).
    pub max_entries: u64,
    /// At most this many conflicts are recorded per kiosk; later ones are
    /// answered the same but not recorded.
    pub max_conflicts: u64,
}

/// How far a kiosk's copy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    /// The last entry held (0: none).
    pub head: u64,
    /// Its link (`None` without entries).
    pub link: Option<[u8; 32]>,
}

impl AuditHead {
    /// A kiosk that has sent nothing.
    pub const EMPTY: Self = Self {
        head: 0,
        link: None,
    };
}

/// What became of an entry sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutAuditOutcome {
    /// It continued the copy: kept (the new head).
    Appended(AuditHead),
    /// The CA holds this very entry at this place (text and links
    /// byte-identical): nothing changed.
    Same(AuditHead),
    /// Another entry at a place the CA holds, a `prev` that is not the
    /// link the CA holds before it, or a gap: nothing kept, the conflict
    /// recorded (once per place).
    Conflict(AuditHead),
    /// It would continue the copy, but the kiosk has `max_entries` already.
    Full(AuditHead),
}

/// An entry as the CA holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEntry {
    pub seq: u64,
    pub entry: String,
    pub prev: [u8; 32],
    pub link: [u8; 32],
    /// The CA's clock.
    pub received_at: OffsetDateTime,
}

/// A conflict recorded: at `seq` the kiosk sent something that does not
/// continue the copy (the first time it did, by the CA's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredAuditConflict {
    pub seq: u64,
    pub received_at: OffsetDateTime,
}

/// A kiosk's copy in brief, for the back office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditKioskSummary {
    pub kiosk: String,
    pub head: u64,
    /// The last entry's text (`None` without entries).
    pub last_entry: Option<String>,
    /// The lowest place with a conflict (`None`: the copy is consistent).
    pub first_conflict: Option<u64>,
    /// How many conflicts are recorded.
    pub conflicts: u64,
}

/// The audit logs' storage. Each method is one atomic step.
pub trait AuditStorage {
    /// Checks entry `seq` against the kiosk's copy and keeps it, all in one
    /// transaction: at a place held, the same entry is [`PutAuditOutcome::Same`]
    /// and anything else a conflict; at the next place, one whose `prev` is
    /// the link held before it (zeros for the first) is kept, unless the
    /// kiosk is full; anything else (a wrong `prev`, a gap) a conflict.
    fn put_audit_entry(&self, new: &NewAuditEntry<'_>) -> StorageResult<PutAuditOutcome>;
    /// How far the kiosk's copy goes.
    fn audit_head(&self, kiosk: &str) -> StorageResult<AuditHead>;
    /// The kiosk's entries after `after`, oldest first, at most `limit`.
    fn audit_entries(
        &self,
        kiosk: &str,
        after: u64,
        limit: u32,
    ) -> StorageResult<Vec<StoredAuditEntry>>;
    /// The kiosk's latest `limit` entries, newest first.
    fn latest_audit_entries(&self, kiosk: &str, limit: u32)
    -> StorageResult<Vec<StoredAuditEntry>>;
    /// Every conflict recorded for the kiosk, oldest first.
    fn audit_conflicts(&self, kiosk: &str) -> StorageResult<Vec<StoredAuditConflict>>;
    /// The kiosks that sent entries or have conflicts, by code, at most
    /// `limit`.
    fn audit_kiosks(&self, limit: u32) -> StorageResult<Vec<AuditKioskSummary>>;
}
