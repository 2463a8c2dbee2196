//! The kiosks' audit logs in SQLite: one row per entry a kiosk sent, one
//! per place where it sent something else. Neither table is ever changed
//! nor cut by the service (triggers refuse it): the copy only grows.

use super::{SqliteStorage, nanos, time_of, to_i64, to_u64};
use crate::storage::{
    AuditHead, AuditKioskSummary, AuditStorage, NewAuditEntry, PutAuditOutcome, StorageError,
    StorageResult, StoredAuditConflict, StoredAuditEntry,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Migration 12. `prev` and `link` are the 32 bytes of the kiosk's links;
/// `entry` the text exactly as it was sent.
pub(super) const SCHEMA: &str = "
CREATE TABLE kiosk_audit (
    kiosk TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    entry TEXT NOT NULL,
    prev BLOB NOT NULL CHECK (length(prev) = 32),
    link BLOB NOT NULL CHECK (length(link) = 32),
    received_at INTEGER NOT NULL,
    PRIMARY KEY (kiosk, seq)
);
CREATE TABLE kiosk_audit_conflicts (
    kiosk TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (kiosk, seq)
);
CREATE TRIGGER kiosk_audit_kept BEFORE UPDATE ON kiosk_audit
BEGIN SELECT RAISE(ABORT, 'the audit copy is append-only'); END;
CREATE TRIGGER kiosk_audit_not_removed BEFORE DELETE ON kiosk_audit
BEGIN SELECT RAISE(ABORT, 'the audit copy is append-only'); END;
CREATE TRIGGER kiosk_audit_conflicts_kept BEFORE UPDATE ON kiosk_audit_conflicts
BEGIN SELECT RAISE(ABORT, 'audit conflicts are append-only'); END;
CREATE TRIGGER kiosk_audit_conflicts_not_removed BEFORE DELETE ON kiosk_audit_conflicts
BEGIN SELECT RAISE(ABORT, 'audit conflicts are append-only'); END;
";

const COLUMNS: &str = "seq, entry, prev, link, received_at";

type Row = (i64, String, Vec<u8>, Vec<u8>, i64);

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn link_of(bytes: Vec<u8>) -> StorageResult<[u8; 32]> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|b| StorageError::Corrupt(format!("an audit link of {} bytes", b.len())))
}

fn stored((seq, entry, prev, link, received_at): Row) -> StorageResult<StoredAuditEntry> {
    Ok(StoredAuditEntry {
        seq: to_u64(seq)?,
        entry,
        prev: link_of(prev)?,
        link: link_of(link)?,
        received_at: time_of(received_at)?,
    })
}

fn collect(
    rows: impl Iterator<Item = rusqlite::Result<Row>>,
) -> StorageResult<Vec<StoredAuditEntry>> {
    rows.map(|row| stored(row?)).collect()
}

fn head_of(conn: &Connection, kiosk: &str) -> StorageResult<AuditHead> {
    let last = conn
        .query_row(
            "SELECT seq, link FROM kiosk_audit WHERE kiosk = ?1 ORDER BY seq DESC LIMIT 1",
            params![kiosk],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    match last {
        None => Ok(AuditHead::EMPTY),
        Some((seq, link)) => Ok(AuditHead {
            head: to_u64(seq)?,
            link: Some(link_of(link)?),
        }),
    }
}

fn entry_at(conn: &Connection, kiosk: &str, seq: u64) -> StorageResult<Option<StoredAuditEntry>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM kiosk_audit WHERE kiosk = ?1 AND seq = ?2"),
        params![kiosk, to_i64(seq)?],
        read,
    )
    .optional()?
    .map(stored)
    .transpose()
}

/// Records a conflict at `seq` (once per place; a place beyond 2^63 − 1,
/// where no log reaches, at 2^63 − 1), unless the kiosk has `max` already.
fn record_conflict(conn: &Connection, new: &NewAuditEntry<'_>) -> StorageResult<()> {
    let recorded: u64 = conn.query_row(
        "SELECT count(*) FROM kiosk_audit_conflicts WHERE kiosk = ?1",
        params![new.kiosk],
        |row| row.get(0),
    )?;
    if recorded < new.max_conflicts {
        conn.execute(
            "INSERT OR IGNORE INTO kiosk_audit_conflicts (kiosk, seq, received_at)
             VALUES (?1, ?2, ?3)",
            params![
                new.kiosk,
                i64::try_from(new.seq).unwrap_or(i64::MAX),
                nanos(new.now)?
            ],
        )?;
    }
    Ok(())
}

impl AuditStorage for SqliteStorage {
    fn put_audit_entry(&self, new: &NewAuditEntry<'_>) -> StorageResult<PutAuditOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = head_of(&tx, new.kiosk)?;
        let outcome = if new.seq <= head.head {
            let held = entry_at(&tx, new.kiosk, new.seq)?.ok_or_else(|| {
                StorageError::Corrupt(format!("audit entry {} of {} missing", new.seq, new.kiosk))
            })?;
            if held.entry == new.entry && held.prev == *new.prev && held.link == *new.link {
                PutAuditOutcome::Same(head)
            } else {
                PutAuditOutcome::Conflict(head)
            }
        } else if new.seq == head.head + 1 && *new.prev == head.link.unwrap_or([0; 32]) {
            if head.head >= new.max_entries {
                PutAuditOutcome::Full(head)
            } else {
                tx.execute(
                    "INSERT INTO kiosk_audit (kiosk, seq, entry, prev, link, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        new.kiosk,
                        to_i64(new.seq)?,
                        new.entry,
                        &new.prev[..],
                        &new.link[..],
                        nanos(new.now)?
                    ],
                )?;
                PutAuditOutcome::Appended(AuditHead {
                    head: new.seq,
                    link: Some(*new.link),
                })
            }
        } else {
            PutAuditOutcome::Conflict(head)
        };
        if matches!(outcome, PutAuditOutcome::Conflict(_)) {
            record_conflict(&tx, new)?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn audit_head(&self, kiosk: &str) -> StorageResult<AuditHead> {
        let conn = self.lock()?;
        head_of(&conn, kiosk)
    }

    fn audit_entries(
        &self,
        kiosk: &str,
        after: u64,
        limit: u32,
    ) -> StorageResult<Vec<StoredAuditEntry>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM kiosk_audit WHERE kiosk = ?1 AND seq > ?2
             ORDER BY seq LIMIT ?3"
        ))?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        collect(select.query_map(params![kiosk, after, limit], read)?)
    }

    fn latest_audit_entries(
        &self,
        kiosk: &str,
        limit: u32,
    ) -> StorageResult<Vec<StoredAuditEntry>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM kiosk_audit WHERE kiosk = ?1 ORDER BY seq DESC LIMIT ?2"
        ))?;
        collect(select.query_map(params![kiosk, limit], read)?)
    }

    fn audit_conflicts(&self, kiosk: &str) -> StorageResult<Vec<StoredAuditConflict>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(
            "SELECT seq, received_at FROM kiosk_audit_conflicts WHERE kiosk = ?1
             ORDER BY received_at, seq",
        )?;
        let rows = select.query_map(params![kiosk], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })?;
        rows.map(|row| {
            let (seq, at) = row?;
            Ok(StoredAuditConflict {
                seq: to_u64(seq)?,
                received_at: time_of(at)?,
            })
        })
        .collect()
    }

    fn audit_kiosks(&self, limit: u32) -> StorageResult<Vec<AuditKioskSummary>> {
        let conn = self.lock()?;
        // Each table's kiosks by skipping through its primary key (one
        // look-up per kiosk, however many entries each has).
        let mut select = conn.prepare_cached(
            "WITH RECURSIVE
               a(kiosk) AS (
                 SELECT min(kiosk) FROM kiosk_audit
                 UNION ALL
                 SELECT (SELECT min(kiosk) FROM kiosk_audit WHERE kiosk > a.kiosk)
                 FROM a WHERE a.kiosk IS NOT NULL),
               c(kiosk) AS (
                 SELECT min(kiosk) FROM kiosk_audit_conflicts
                 UNION ALL
                 SELECT (SELECT min(kiosk) FROM kiosk_audit_conflicts WHERE kiosk > c.kiosk)
                 FROM c WHERE c.kiosk IS NOT NULL),
               k(kiosk) AS (
                 SELECT kiosk FROM a WHERE kiosk IS NOT NULL
                 UNION
                 SELECT kiosk FROM c WHERE kiosk IS NOT NULL)
             SELECT k.kiosk,
               (SELECT seq FROM kiosk_audit WHERE kiosk = k.kiosk ORDER BY seq DESC LIMIT 1),
               (SELECT entry FROM kiosk_audit WHERE kiosk = k.kiosk ORDER BY seq DESC LIMIT 1),
               (SELECT min(seq) FROM kiosk_audit_conflicts WHERE kiosk = k.kiosk),
               (SELECT count(*) FROM kiosk_audit_conflicts WHERE kiosk = k.kiosk)
             FROM k ORDER BY k.kiosk LIMIT ?1",
        )?;
        let rows = select.query_map(params![limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (kiosk, head, last_entry, first_conflict, conflicts) = row?;
            Ok(AuditKioskSummary {
                kiosk,
                head: head.map_or(Ok(0), to_u64)?,
                last_entry,
                first_conflict: first_conflict.map(to_u64).transpose()?,
                conflicts: to_u64(conflicts)?,
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use time::OffsetDateTime;
    use time::macros::datetime;

    fn storage() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("ca.sqlite")).unwrap();
        (dir, storage)
    }

    const T0: OffsetDateTime = datetime!(2026-12-05 10:00 UTC);

    /// The link of entry `seq` in the test's chain (any 32 bytes will do:
    /// the CA only checks that they follow one another).
    fn link(seq: u64) -> [u8; 32] {
        if seq == 0 {
            [0; 32]
        } else {
            [u8::try_from(seq % 250).unwrap() + 1; 32]
        }
    }

    fn text(seq: u64) -> String {
        format!("{{\"entry\":{seq}}}")
    }

    struct Sent {
        kiosk: &'static str,
        seq: u64,
        entry: String,
        prev: [u8; 32],
        link: [u8; 32],
    }

    /// Entry `seq` of kiosk TYA's chain, as the kiosk sends it.
    fn sent(seq: u64) -> Sent {
        Sent {
            kiosk: "TYA",
            seq,
            entry: text(seq),
            prev: link(seq - 1),
            link: link(seq),
        }
    }

    fn put(s: &SqliteStorage, e: &Sent) -> PutAuditOutcome {
        put_at(s, e, T0, 100)
    }

    fn put_at(s: &SqliteStorage, e: &Sent, now: OffsetDateTime, max: u64) -> PutAuditOutcome {
        s.put_audit_entry(&NewAuditEntry {
            kiosk: e.kiosk,
            seq: e.seq,
            entry: &e.entry,
            prev: &e.prev,
            link: &e.link,
            now,
            max_entries: max,
            max_conflicts: 3,
        })
        .unwrap()
    }

    fn head(seq: u64) -> AuditHead {
        AuditHead {
            head: seq,
            link: Some(link(seq)),
        }
    }

    fn conflicts(s: &SqliteStorage, kiosk: &str) -> Vec<u64> {
        s.audit_conflicts(kiosk)
            .unwrap()
            .into_iter()
            .map(|c| c.seq)
            .collect()
    }

    /// The entries held, as (seq, text).
    fn held(s: &SqliteStorage, kiosk: &str) -> Vec<(u64, String)> {
        s.audit_entries(kiosk, 0, 500)
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.entry))
            .collect()
    }

    fn three(s: &SqliteStorage) {
        for seq in 1..=3 {
            assert_eq!(put(s, &sent(seq)), PutAuditOutcome::Appended(head(seq)));
        }
    }

    #[test]
    fn entries_that_follow_one_another_are_kept_in_order() {
        let (_dir, s) = storage();
        assert_eq!(s.audit_head("TYA").unwrap(), AuditHead::EMPTY);
        three(&s);
        assert_eq!(s.audit_head("TYA").unwrap(), head(3));
        let entries = s.audit_entries("TYA", 0, 10).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].seq, 2);
        assert_eq!(entries[1].entry, text(2));
        assert_eq!(entries[1].prev, link(1));
        assert_eq!(entries[1].link, link(2));
        assert_eq!(entries[1].received_at, T0);
        // After, limit, newest first.
        let after: Vec<u64> = s
            .audit_entries("TYA", 1, 1)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(after, [2]);
        assert!(s.audit_entries("TYA", u64::MAX, 10).unwrap().is_empty());
        let latest: Vec<u64> = s
            .latest_audit_entries("TYA", 2)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(latest, [3, 2]);
        assert!(conflicts(&s, "TYA").is_empty());
    }

    #[test]
    fn the_same_entry_again_changes_nothing() {
        let (_dir, s) = storage();
        three(&s);
        let later = T0 + time::Duration::hours(1);
        assert_eq!(
            put_at(&s, &sent(2), later, 100),
            PutAuditOutcome::Same(head(3))
        );
        assert_eq!(put(&s, &sent(1)), PutAuditOutcome::Same(head(3)));
        assert_eq!(
            s.audit_entries("TYA", 1, 1).unwrap()[0].received_at,
            T0,
            "received when first sent"
        );
        assert!(conflicts(&s, "TYA").is_empty());
    }

    #[test]
    fn another_text_or_link_at_a_place_held_is_a_conflict_recorded_once() {
        let (_dir, s) = storage();
        three(&s);
        let before = held(&s, "TYA");
        let changed_text = Sent {
            entry: "{\"entry\":\"changed\"}".to_owned(),
            ..sent(2)
        };
        assert_eq!(put(&s, &changed_text), PutAuditOutcome::Conflict(head(3)));
        let changed_link = Sent {
            link: [0xee; 32],
            ..sent(2)
        };
        let later = T0 + time::Duration::minutes(5);
        assert_eq!(
            put_at(&s, &changed_link, later, 100),
            PutAuditOutcome::Conflict(head(3))
        );
        let changed_prev = Sent {
            prev: [0xee; 32],
            ..sent(3)
        };
        assert_eq!(put(&s, &changed_prev), PutAuditOutcome::Conflict(head(3)));
        // Even one byte of the text (a space) is another entry.
        let spaced = Sent {
            entry: format!("{} ", text(1)),
            ..sent(1)
        };
        assert_eq!(put(&s, &spaced), PutAuditOutcome::Conflict(head(3)));
        // Nothing changed; one conflict per place, at its first time.
        assert_eq!(held(&s, "TYA"), before);
        assert_eq!(s.audit_head("TYA").unwrap(), head(3));
        let recorded = s.audit_conflicts("TYA").unwrap();
        assert_eq!(
            recorded,
            [
                StoredAuditConflict {
                    seq: 1,
                    received_at: T0
                },
                StoredAuditConflict {
                    seq: 2,
                    received_at: T0
                },
                StoredAuditConflict {
                    seq: 3,
                    received_at: T0
                },
            ]
        );
        // The right entry is still answered as before.
        assert_eq!(put(&s, &sent(2)), PutAuditOutcome::Same(head(3)));
    }

    #[test]
    fn a_prev_that_is_not_the_last_link_or_a_gap_is_a_conflict() {
        let (_dir, s) = storage();
        // The first entry must follow zeros.
        let first = Sent {
            prev: [1; 32],
            ..sent(1)
        };
        assert_eq!(put(&s, &first), PutAuditOutcome::Conflict(AuditHead::EMPTY));
        assert_eq!(s.audit_head("TYA").unwrap(), AuditHead::EMPTY);
        assert_eq!(conflicts(&s, "TYA"), [1]);
        // A gap before anything.
        assert_eq!(
            put(&s, &sent(2)),
            PutAuditOutcome::Conflict(AuditHead::EMPTY)
        );
        three(&s);
        // The next entry with a `prev` that is not link 3.
        let wrong = Sent {
            prev: link(2),
            ..sent(4)
        };
        assert_eq!(put(&s, &wrong), PutAuditOutcome::Conflict(head(3)));
        // A gap: entry 4 skipped.
        assert_eq!(put(&s, &sent(5)), PutAuditOutcome::Conflict(head(3)));
        assert_eq!(held(&s, "TYA").len(), 3);
        // At most 3 conflicts recorded (the test's bound); more are still
        // refused, and a place recorded before stays as it was.
        assert_eq!(conflicts(&s, "TYA"), [1, 2, 4]);
        let far = Sent {
            seq: u64::MAX,
            ..sent(5)
        };
        assert_eq!(put(&s, &far), PutAuditOutcome::Conflict(head(3)));
        assert_eq!(conflicts(&s, "TYA"), [1, 2, 4]);
        // Entry 4 as it should be is kept.
        assert_eq!(put(&s, &sent(4)), PutAuditOutcome::Appended(head(4)));
    }

    #[test]
    fn a_place_beyond_any_log_is_recorded_at_the_largest() {
        let (_dir, s) = storage();
        let far = Sent {
            seq: u64::MAX,
            ..sent(1)
        };
        assert_eq!(put(&s, &far), PutAuditOutcome::Conflict(AuditHead::EMPTY));
        assert_eq!(conflicts(&s, "TYA"), [u64::try_from(i64::MAX).unwrap()]);
    }

    #[test]
    fn each_kiosk_has_its_own_copy() {
        let (_dir, s) = storage();
        three(&s);
        // Kiosk KAB's chain starts afresh: its entry 1 follows zeros, and
        // TYA's entries are none of its business.
        let kab = |seq| Sent {
            kiosk: "KAB",
            ..sent(seq)
        };
        assert_eq!(
            put(&s, &kab(2)),
            PutAuditOutcome::Conflict(AuditHead::EMPTY)
        );
        assert_eq!(put(&s, &kab(1)), PutAuditOutcome::Appended(head(1)));
        let other_text = Sent {
            entry: "{\"kab\":1}".to_owned(),
            ..kab(1)
        };
        assert_eq!(put(&s, &other_text), PutAuditOutcome::Conflict(head(1)));
        assert_eq!(s.audit_head("TYA").unwrap(), head(3));
        assert_eq!(s.audit_head("KAB").unwrap(), head(1));
        assert!(conflicts(&s, "TYA").is_empty());
        assert_eq!(conflicts(&s, "KAB"), [1, 2]);
        assert_eq!(held(&s, "KAB"), [(1, text(1))]);
        // The back office's list: every kiosk with entries or conflicts.
        let only_conflicts = Sent {
            kiosk: "ABC",
            ..sent(7)
        };
        put(&s, &only_conflicts);
        let kiosks = s.audit_kiosks(10).unwrap();
        assert_eq!(
            kiosks,
            [
                AuditKioskSummary {
                    kiosk: "ABC".to_owned(),
                    head: 0,
                    last_entry: None,
                    first_conflict: Some(7),
                    conflicts: 1,
                },
                AuditKioskSummary {
                    kiosk: "KAB".to_owned(),
                    head: 1,
                    last_entry: Some(text(1)),
                    first_conflict: Some(1),
                    conflicts: 2,
                },
                AuditKioskSummary {
                    kiosk: "TYA".to_owned(),
                    head: 3,
                    last_entry: Some(text(3)),
                    first_conflict: None,
                    conflicts: 0,
                },
            ]
        );
        assert_eq!(s.audit_kiosks(1).unwrap().len(), 1);
    }

    #[test]
    fn a_full_copy_takes_no_more_and_is_never_cut() {
        let (_dir, s) = storage();
        for seq in 1..=2 {
            assert_eq!(
                put_at(&s, &sent(seq), T0, 2),
                PutAuditOutcome::Appended(head(seq))
            );
        }
        assert_eq!(put_at(&s, &sent(3), T0, 2), PutAuditOutcome::Full(head(2)));
        assert_eq!(s.audit_head("TYA").unwrap(), head(2));
        // What it holds is still answered; a conflict is still one.
        assert_eq!(put_at(&s, &sent(2), T0, 2), PutAuditOutcome::Same(head(2)));
        assert_eq!(
            put_at(&s, &sent(4), T0, 2),
            PutAuditOutcome::Conflict(head(2))
        );
        // The tables refuse a change or a removal, whoever asks.
        let conn = s.lock().unwrap();
        for sql in [
            "UPDATE kiosk_audit SET entry = 'x'",
            "DELETE FROM kiosk_audit",
            "UPDATE kiosk_audit_conflicts SET seq = 1",
            "DELETE FROM kiosk_audit_conflicts",
        ] {
            assert!(conn.execute(sql, []).is_err(), "{sql}");
        }
    }
}
