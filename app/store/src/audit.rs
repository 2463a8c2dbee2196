//! The audit log: what staff and technicians did on the kiosk, as a keyed
//! hash chain in `audit_log`. Entry `n` is kept as its JSON text with
//!
//! ```text
//! link(n) = HMAC-SHA-256(audit key, "audit" | prev | n as 8 bytes big-endian | entry)
//! prev    = link(n - 1), or 32 zero bytes for the first entry
//! ```
//!
//! (each part length-prefixed, `crypto::audit_link`; the audit key is
//! derived from the store's master key, which is not in the database). So
//! changing an entry's text, removing an entry, or putting one in between
//! breaks the chain at that entry, and [`Store::verify_audit`] names the
//! first one that does not hold; recomputing the links after a change
//! needs the master key. The software only appends (the table's triggers
//! refuse updates and deletes). Not detected here: the last entries cut
//! off the end, or a rewrite by someone holding the master key too; the
//! sync worker copies the log to the CA ([`Store::audit_tail`]), and the
//! CA's copy shows both (`kiosk_sync_client::audit_parts`). No personal
//! data: an order number at most.

use crate::error::StoreError;
use crate::{Result, Store};
use kiosk_domain::audit::AuditEntry;
use kiosk_domain::ports::outbox::{AuditTail, AuditUpload};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// The first entry's `prev`.
const GENESIS: [u8; 32] = [0; 32];

/// One entry as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// 1, 2, … in the order appended.
    pub seq: u64,
    pub entry: AuditEntry,
    /// This entry's link in the chain.
    pub hash: [u8; 32],
}

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every link holds.
    Intact { entries: u64 },
    /// The first entry where the chain breaks, and how.
    Broken { seq: u64, why: BrokenLink },
}

/// How a link is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenLink {
    /// Its text (or its hash) was changed.
    Changed,
    /// It does not follow the entry before it: one was removed or put in
    /// between (or its `prev` was changed).
    OutOfChain,
    /// Its text is not an audit entry any more.
    Unreadable,
}

fn hash_of(bytes: Vec<u8>) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| StoreError::corrupt("an audit hash is not 32 bytes"))
}

fn seq_of(seq: i64) -> Result<u64> {
    u64::try_from(seq).map_err(|_| StoreError::corrupt(format!("audit seq {seq}")))
}

impl Store {
    fn link(&self, prev: &[u8; 32], seq: u64, entry: &str) -> [u8; 32] {
        crate::crypto::audit_link(&self.keys.audit, prev, seq, entry)
    }

    /// Appends `entry` to the audit log, linked to the last entry.
    ///
    /// # Errors
    /// It could not be written (nothing is then appended).
    pub fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord> {
        self.append(None, entry)
    }

    /// Appends `entry` once for `key` (a flow effect's session and step):
    /// when an entry with this key is there, that one is returned and
    /// nothing is written.
    ///
    /// # Errors
    /// It could not be written or read.
    pub fn append_audit_once(&mut self, key: &str, entry: &AuditEntry) -> Result<AuditRecord> {
        self.append(Some(key), entry)
    }

    fn append(&mut self, key: Option<&str>, entry: &AuditEntry) -> Result<AuditRecord> {
        let text = serde_json::to_string(entry).map_err(|source| StoreError::Json {
            what: "an audit entry",
            source,
        })?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(key) = key {
            let kept: Option<(i64, String, Vec<u8>)> = tx
                .query_row(
                    "SELECT seq, entry, hash FROM audit_log WHERE effect_key = ?1",
                    [key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            if let Some((seq, text, hash)) = kept {
                let entry = serde_json::from_str(&text).map_err(|source| StoreError::Json {
                    what: "an audit entry",
                    source,
                })?;
                return Ok(AuditRecord {
                    seq: seq_of(seq)?,
                    entry,
                    hash: hash_of(hash)?,
                });
            }
        }
        let last: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (seq, prev) = match last {
            Some((seq, hash)) => (seq_of(seq)? + 1, hash_of(hash)?),
            None => (1, GENESIS),
        };
        let hash = crate::crypto::audit_link(&self.keys.audit, &prev, seq, &text);
        let seq_sql =
            i64::try_from(seq).map_err(|_| StoreError::corrupt("the audit log is full"))?;
        tx.execute(
            "INSERT INTO audit_log (seq, entry, prev, hash, effect_key) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![seq_sql, text, prev.as_slice(), hash.as_slice(), key],
        )?;
        tx.commit()?;
        Ok(AuditRecord {
            seq,
            entry: entry.clone(),
            hash,
        })
    }

    /// Every entry, oldest first (entries whose text no longer reads are
    /// left out: [`Store::verify_audit`] names them).
    ///
    /// # Errors
    /// The log could not be read.
    pub fn audit_log(&self) -> Result<Vec<AuditRecord>> {
        let mut select = self
            .conn
            .prepare("SELECT seq, entry, hash FROM audit_log ORDER BY seq")?;
        let rows = select.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, text, hash) = row?;
            if let Ok(entry) = serde_json::from_str::<AuditEntry>(&text) {
                out.push(AuditRecord {
                    seq: seq_of(seq)?,
                    entry,
                    hash: hash_of(hash)?,
                });
            }
        }
        Ok(out)
    }

    /// Up to `limit` entries after entry `after`, as kept, each checked:
    /// its `prev` is the link of the entry before it and its link
    /// recomputes (what the sync worker copies to the CA). The entries
    /// before a break come first; `Broken` once the break is next.
    ///
    /// # Errors
    /// The log could not be read.
    pub fn audit_tail(&self, after: u64, limit: usize) -> Result<AuditTail> {
        let after_sql =
            i64::try_from(after).map_err(|_| StoreError::corrupt("an audit seq beyond i64"))?;
        let last: Option<i64> =
            self.conn
                .query_row("SELECT max(seq) FROM audit_log", [], |row| row.get(0))?;
        let last = last.map(seq_of).transpose()?.unwrap_or(0);
        if after > last {
            return Ok(AuditTail::EndsBefore { last });
        }
        let mut prev = if after == 0 {
            GENESIS
        } else {
            let hash: Option<Vec<u8>> = self
                .conn
                .query_row(
                    "SELECT hash FROM audit_log WHERE seq = ?1",
                    [after_sql],
                    |row| row.get(0),
                )
                .optional()?;
            match hash {
                Some(hash) => hash_of(hash)?,
                // Entry `after` itself is gone: the chain breaks there.
                None => return Ok(AuditTail::Broken { seq: after }),
            }
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut select = self.conn.prepare(
            "SELECT seq, entry, prev, hash FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = select.query_map(params![after_sql, limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        let mut expected = after + 1;
        for row in rows {
            let (seq, text, stored_prev, stored_hash) = row?;
            let seq = seq_of(seq)?;
            if seq != expected
                || stored_prev != prev
                || stored_hash != self.link(&prev, seq, &text)
                || serde_json::from_str::<AuditEntry>(&text).is_err()
            {
                // What held before the break is still the chain's: copied
                // first; the next call reports the break.
                if out.is_empty() {
                    return Ok(AuditTail::Broken {
                        seq: expected.min(seq),
                    });
                }
                break;
            }
            let link = hash_of(stored_hash)?;
            out.push(AuditUpload {
                seq,
                entry: text,
                prev,
                link,
            });
            prev = link;
            expected = seq + 1;
        }
        Ok(AuditTail::Entries(out))
    }

    /// Walks the chain from the first entry: intact, or the first entry
    /// where it breaks.
    ///
    /// # Errors
    /// The log could not be read.
    pub fn verify_audit(&self) -> Result<AuditCheck> {
        let mut select = self
            .conn
            .prepare("SELECT seq, entry, prev, hash FROM audit_log ORDER BY seq")?;
        let rows = select.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let (mut expected_seq, mut prev) = (1_u64, GENESIS);
        for row in rows {
            let (seq, text, stored_prev, stored_hash) = row?;
            let seq = seq_of(seq)?;
            let broken = |why| Ok(AuditCheck::Broken { seq, why });
            if seq != expected_seq || stored_prev != prev {
                return broken(BrokenLink::OutOfChain);
            }
            if stored_hash != self.link(&prev, seq, &text) {
                return broken(BrokenLink::Changed);
            }
            if serde_json::from_str::<AuditEntry>(&text).is_err() {
                return broken(BrokenLink::Unreadable);
            }
            prev = hash_of(stored_hash)?;
            expected_seq = seq + 1;
        }
        Ok(AuditCheck::Intact {
            entries: expected_seq - 1,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::audit::{Actor, AuditAction};
    use kiosk_domain::fixtures;

    fn entry(n: u32) -> AuditEntry {
        AuditEntry {
            at: time::macros::datetime!(2026-12-05 16:30 UTC),
            actor: Actor::Technician {
                account: "tech".to_owned(),
            },
            action: AuditAction::QueueRetry,
            order: Some(fixtures::order_number(n)),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&dir.path().join("kiosk.db"), &dir.path().join("store.key")).unwrap();
        (dir, store)
    }

    /// The way around the triggers someone with the file would take.
    fn tamper(store: &Store, sql: &str) {
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"
            ))
            .unwrap();
    }

    #[test]
    fn entries_chain_and_read_back() {
        let (_dir, mut store) = store();
        assert_eq!(
            store.verify_audit().unwrap(),
            AuditCheck::Intact { entries: 0 }
        );
        let first = store.append_audit(&entry(1)).unwrap();
        let second = store.append_audit(&entry(2)).unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        assert_eq!(
            second.hash,
            store.link(&first.hash, 2, &serde_json::to_string(&entry(2)).unwrap())
        );
        assert_eq!(store.audit_log().unwrap(), vec![first, second]);
        assert_eq!(
            store.verify_audit().unwrap(),
            AuditCheck::Intact { entries: 2 }
        );
    }

    #[test]
    fn an_effect_run_again_finds_its_entry_and_writes_none() {
        let (_dir, mut store) = store();
        let first = store.append_audit_once("staff-1-0", &entry(1)).unwrap();
        store.append_audit(&entry(2)).unwrap();
        // The same effect after a power cut (its entry may differ in time).
        let again = store.append_audit_once("staff-1-0", &entry(3)).unwrap();
        assert_eq!(again, first);
        let other = store.append_audit_once("staff-1-1", &entry(3)).unwrap();
        assert_eq!(other.seq, 3);
        assert_eq!(store.audit_log().unwrap().len(), 3);
        assert_eq!(
            store.verify_audit().unwrap(),
            AuditCheck::Intact { entries: 3 }
        );
    }

    #[test]
    fn the_software_cannot_change_or_remove_an_entry() {
        let (_dir, mut store) = store();
        store.append_audit(&entry(1)).unwrap();
        assert!(
            store
                .conn
                .execute("UPDATE audit_log SET entry = 'x'", [])
                .is_err()
        );
        assert!(store.conn.execute("DELETE FROM audit_log", []).is_err());
    }

    #[test]
    fn a_change_a_removal_or_an_insertion_is_named_where_it_is() {
        for (sql, seq, why) in [
            // One byte of the second entry's text.
            (
                "UPDATE audit_log SET entry = replace(entry, 'queue_retry', 'queue_retrx') WHERE seq = 2",
                2,
                BrokenLink::Changed,
            ),
            // The second entry removed: the third no longer follows.
            (
                "DELETE FROM audit_log WHERE seq = 2",
                3,
                BrokenLink::OutOfChain,
            ),
            // Its text and its hash rewritten together: the next link breaks.
            (
                "UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 2",
                2,
                BrokenLink::Changed,
            ),
        ] {
            let (_dir, mut store) = store();
            for n in 1..=4 {
                store.append_audit(&entry(n)).unwrap();
            }
            tamper(&store, sql);
            assert_eq!(
                store.verify_audit().unwrap(),
                AuditCheck::Broken { seq, why },
                "{sql}"
            );
        }
    }

    fn seqs(tail: AuditTail) -> Vec<u64> {
        match tail {
            AuditTail::Entries(entries) => entries.iter().map(|e| e.seq).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_tail_to_copy_is_the_chain_as_kept_and_stops_where_it_breaks() {
        let (_dir, mut store) = store();
        for n in 1..=4 {
            store.append_audit(&entry(n)).unwrap();
        }
        let kept = store.audit_log().unwrap();
        let AuditTail::Entries(first) = store.audit_tail(0, 2).unwrap() else {
            panic!("not entries")
        };
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].prev, GENESIS);
        assert_eq!(first[0].link, kept[0].hash);
        assert_eq!(first[1].prev, kept[0].hash, "each follows the one before");
        assert_eq!(
            serde_json::from_str::<AuditEntry>(&first[1].entry).unwrap(),
            kept[1].entry,
            "the text as kept"
        );
        assert_eq!(seqs(store.audit_tail(2, 10).unwrap()), [3, 4]);
        assert_eq!(seqs(store.audit_tail(4, 10).unwrap()), Vec::<u64>::new());
        assert_eq!(
            store.audit_tail(6, 10).unwrap(),
            AuditTail::EndsBefore { last: 4 },
            "the CA holds more than the kiosk: cut off"
        );
        // A changed entry is not copied, nor anything after it; what came
        // before still is.
        tamper(
            &store,
            "UPDATE audit_log SET entry = replace(entry, 'queue_retry', 'queue_retrx') WHERE seq = 3",
        );
        assert_eq!(seqs(store.audit_tail(0, 2).unwrap()), [1, 2]);
        assert_eq!(
            seqs(store.audit_tail(0, 10).unwrap()),
            [1, 2],
            "what holds before the break is still copied"
        );
        assert_eq!(
            store.audit_tail(2, 10).unwrap(),
            AuditTail::Broken { seq: 3 }
        );
        // A removed one: the next is not where it should be.
        store
            .conn
            .execute_batch("DELETE FROM audit_log WHERE seq = 2")
            .unwrap();
        assert_eq!(
            store.audit_tail(1, 10).unwrap(),
            AuditTail::Broken { seq: 2 }
        );
        assert_eq!(
            store.audit_tail(2, 10).unwrap(),
            AuditTail::Broken { seq: 2 },
            "the entry the CA holds last is gone"
        );
        // The last ones cut off.
        let (_dir, mut store) = self::store();
        for n in 1..=3 {
            store.append_audit(&entry(n)).unwrap();
        }
        tamper(&store, "DELETE FROM audit_log WHERE seq = 3");
        assert_eq!(
            store.audit_tail(3, 10).unwrap(),
            AuditTail::EndsBefore { last: 2 }
        );
    }

    #[test]
    fn a_forged_entry_is_found_without_the_key_and_breaks_the_next_link_with_it() {
        let (_dir, mut store) = store();
        for n in 1..=3 {
            store.append_audit(&entry(n)).unwrap();
        }
        let forged = serde_json::to_string(&entry(9)).unwrap();
        let first = store.audit_log().unwrap()[0].hash;
        // Without the master key: a plain SHA-256 link is not the chain's.
        let unkeyed: [u8; 32] = {
            use sha2::{Digest, Sha256};
            Sha256::digest([first.as_slice(), forged.as_bytes()].concat()).into()
        };
        tamper(&store, "");
        let rewrite = |hash: &[u8; 32]| {
            store
                .conn
                .execute(
                    "UPDATE audit_log SET entry = ?1, hash = ?2 WHERE seq = 2",
                    params![forged, hash.as_slice()],
                )
                .unwrap();
        };
        rewrite(&unkeyed);
        assert_eq!(
            store.verify_audit().unwrap(),
            AuditCheck::Broken {
                seq: 2,
                why: BrokenLink::Changed
            }
        );
        // With it (an insider) and only this link recomputed: the next one
        // no longer follows.
        rewrite(&store.link(&first, 2, &forged));
        assert_eq!(
            store.verify_audit().unwrap(),
            AuditCheck::Broken {
                seq: 3,
                why: BrokenLink::OutOfChain
            }
        );
    }
}
