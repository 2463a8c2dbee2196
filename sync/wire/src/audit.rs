//! The kiosk's audit log at the CA: every entry the kiosk appended (what
//! staff and technicians did on it) is sent once, in order, with its place
//! in the kiosk's keyed hash chain, so that the CA holds a copy the kiosk
//! cannot take back. `GET /v1/kiosks/{kiosk}/audit` says how far the CA's
//! copy goes ([`AuditHeadV1`]); `PUT /v1/kiosks/{kiosk}/audit/{seq}` sends
//! entry `seq` ([`AuditEntryV1`]): the same entry again is answered as
//! before, anything else at a place the CA holds, a `prev` that is not the
//! link the CA holds before it, or a gap is 409 `audit_conflict` (the CA
//! records it for staff: the kiosk's log was changed or cut off). Staff
//! read a kiosk's copy with `GET /v1/admin/kiosks/{kiosk}/audit`
//! ([`AuditPageV1`]).
//!
//! The CA cannot recompute the links (their key never leaves the kiosk);
//! it checks that they follow one another and that the copy only grows.

use crate::hex;
use crate::problem::{Problem, ProblemCode};
use kiosk_domain::audit::AuditEntry;
use serde::{Deserialize, Serialize};

/// The longest entry text the CA takes (an entry is a few hundred bytes).
pub const MAX_ENTRY_BYTES: usize = 4096;

/// The body of `PUT /v1/kiosks/{kiosk}/audit/{seq}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntryV1 {
    /// The entry's JSON text exactly as the kiosk keeps it (an
    /// `AuditEntry`: when, who, what, which order).
    pub entry: String,
    /// The link of the entry before it (64 zeros for the first), hex.
    pub prev_hex: String,
    /// This entry's link, hex.
    pub link_hex: String,
}

/// An entry as the CA reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAuditEntry {
    pub entry: AuditEntry,
    pub prev: [u8; 32],
    pub link: [u8; 32],
}

fn invalid(field: &str, detail: &str) -> Box<Problem> {
    let mut p = Problem::new(ProblemCode::InvalidField).with_detail(detail);
    p.field = Some(field.to_owned());
    Box::new(p)
}

fn link(field: &str, text: &str) -> Result<[u8; 32], Box<Problem>> {
    hex::decode(text)
        .filter(|_| text.bytes().all(|b| !b.is_ascii_uppercase()))
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| invalid(field, "64 lower-case hex digits"))
}

impl AuditEntryV1 {
    /// Sends `entry` (its text as kept) with its links.
    #[must_use]
    pub fn new(entry: &str, prev: &[u8; 32], link: &[u8; 32]) -> Self {
        Self {
            entry: entry.to_owned(),
            prev_hex: hex::encode(prev),
            link_hex: hex::encode(link),
        }
    }

    /// The entry read as the domain's `AuditEntry`, the links decoded.
    ///
    /// # Errors
    /// An entry that is too long or not an audit entry, or a link that is
    /// not 32 bytes in lower-case hex.
    pub fn validate(&self) -> Result<ValidAuditEntry, Box<Problem>> {
        if self.entry.len() > MAX_ENTRY_BYTES {
            return Err(invalid("entry", "longer than 4096 bytes"));
        }
        let entry = serde_json::from_str::<AuditEntry>(&self.entry)
            .map_err(|_| invalid("entry", "not an audit entry"))?;
        Ok(ValidAuditEntry {
            entry,
            prev: link("prev_hex", &self.prev_hex)?,
            link: link("link_hex", &self.link_hex)?,
        })
    }
}

/// How far the CA's copy of a kiosk's log goes (the answer of the `GET`
/// and of every `PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHeadV1 {
    /// The last entry the CA holds (0: none).
    pub head: u64,
    /// Its link, hex (none without entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_hex: Option<String>,
}

/// One entry of a kiosk's log as the CA holds it (staff's view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecordV1 {
    pub seq: u64,
    /// The entry's JSON text as the kiosk sent it.
    pub entry: String,
    /// RFC 3339, the CA's clock.
    pub received_at: String,
}

/// A conflict the CA recorded: at `seq` the kiosk sent something that does
/// not continue the copy the CA holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditConflictV1 {
    pub seq: u64,
    /// RFC 3339, the CA's clock.
    pub received_at: String,
}

/// `GET /v1/admin/kiosks/{kiosk}/audit?after=N&limit=M` (staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageV1 {
    pub kiosk: String,
    pub head: u64,
    /// Entries after `after`, oldest first, at most `limit`.
    pub entries: Vec<AuditRecordV1>,
    /// Every conflict recorded for the kiosk, oldest first.
    pub conflicts: Vec<AuditConflictV1>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::audit::{Actor, AuditAction};

    fn entry() -> String {
        serde_json::to_string(&AuditEntry {
            at: time::macros::datetime!(2026-12-05 16:30 UTC),
            actor: Actor::Technician {
                account: "tech".to_owned(),
            },
            action: AuditAction::QueueRetry,
            order: None,
        })
        .unwrap()
    }

    #[test]
    fn an_entry_is_read_with_its_links() {
        let sent = AuditEntryV1::new(&entry(), &[0; 32], &[0xab; 32]);
        let read = sent.validate().unwrap();
        assert_eq!(read.prev, [0; 32]);
        assert_eq!(read.link, [0xab; 32]);
        assert_eq!(read.entry.action, AuditAction::QueueRetry);
    }

    #[test]
    fn anything_else_is_refused_by_field() {
        let good = AuditEntryV1::new(&entry(), &[0; 32], &[1; 32]);
        let field = |v: AuditEntryV1| v.validate().unwrap_err().field.unwrap();
        assert_eq!(
            field(AuditEntryV1 {
                entry: "{}".into(),
                ..good.clone()
            }),
            "entry"
        );
        assert_eq!(
            field(AuditEntryV1 {
                entry: " ".repeat(MAX_ENTRY_BYTES + 1),
                ..good.clone()
            }),
            "entry"
        );
        assert_eq!(
            field(AuditEntryV1 {
                prev_hex: "AB".repeat(32),
                ..good.clone()
            }),
            "prev_hex"
        );
        assert_eq!(
            field(AuditEntryV1 {
                link_hex: "ab".repeat(31),
                ..good
            }),
            "link_hex"
        );
    }
}
