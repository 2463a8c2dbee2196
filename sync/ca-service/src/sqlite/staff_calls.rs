//! 呼叫工作人员's calls in SQLite.

use super::{SqliteStorage, nanos, time_of};
use crate::storage::{
    NewStaffCall, PutCallOutcome, StaffCallStorage, StorageError, StorageResult, StoredStaffCall,
};
use kiosk_domain::flow::staff_call::CallStatus;
use kiosk_sync_wire::staff_call::{STATE_ACKNOWLEDGED, STATE_OPEN, STATE_WITHDRAWN, state_name};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

/// Migration 11. One row per call, keyed by its kiosk and id; `state` is
/// the wire's name (`open`, `acknowledged`, `withdrawn`).
pub(super) const SCHEMA: &str = "
CREATE TABLE staff_calls (
    kiosk TEXT NOT NULL,
    call TEXT NOT NULL,
    screen TEXT NOT NULL,
    state TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    withdrawn_at INTEGER,
    PRIMARY KEY (kiosk, call)
);
CREATE INDEX staff_calls_by_state ON staff_calls (state, kiosk);
";

const COLUMNS: &str =
    "kiosk, call, screen, state, received_at, acknowledged_at, acknowledged_by, withdrawn_at";

type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn status_from_db(state: &str) -> StorageResult<CallStatus> {
    match state {
        STATE_OPEN => Ok(CallStatus::Open),
        STATE_ACKNOWLEDGED => Ok(CallStatus::Acknowledged),
        STATE_WITHDRAWN => Ok(CallStatus::Withdrawn),
        other => Err(StorageError::Corrupt(format!("staff call state {other:?}"))),
    }
}

fn stored(row: Row) -> StorageResult<StoredStaffCall> {
    let (kiosk, call, screen, state, received_at, acknowledged_at, acknowledged_by, withdrawn_at) =
        row;
    Ok(StoredStaffCall {
        kiosk,
        call,
        screen,
        status: status_from_db(&state)?,
        received_at: time_of(received_at)?,
        acknowledged_at: acknowledged_at.map(time_of).transpose()?,
        acknowledged_by,
        withdrawn_at: withdrawn_at.map(time_of).transpose()?,
    })
}

fn find(conn: &Connection, kiosk: &str, call: &str) -> StorageResult<Option<StoredStaffCall>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM staff_calls WHERE kiosk = ?1 AND call = ?2"),
        params![kiosk, call],
        read,
    )
    .optional()?
    .map(stored)
    .transpose()
}

/// How long a call that is over stays in the table.
const KEPT_AFTER_CLOSE: time::Duration = time::Duration::days(30);

impl StaffCallStorage for SqliteStorage {
    fn put_staff_call(&self, new: &NewStaffCall<'_>) -> StorageResult<PutCallOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = find(&tx, new.kiosk, new.call)? {
            return Ok(if existing.screen == new.screen {
                PutCallOutcome::Existing(existing)
            } else {
                PutCallOutcome::ScreenConflict
            });
        }
        let open: u32 = tx.query_row(
            "SELECT count(*) FROM staff_calls
             WHERE kiosk = ?1 AND state = ?2 AND received_at >= ?3",
            params![new.kiosk, STATE_OPEN, nanos(new.counted_since)?],
            |row| row.get(0),
        )?;
        if open >= new.max_open {
            return Ok(PutCallOutcome::TooManyOpen);
        }
        // Calls that are over (acknowledged or withdrawn) are kept a
        // while for the back office, then go: the table does not grow
        // with every call a kiosk ever made.
        tx.execute(
            "DELETE FROM staff_calls WHERE kiosk = ?1 AND state != ?2 AND received_at < ?3",
            params![new.kiosk, STATE_OPEN, nanos(new.now - KEPT_AFTER_CLOSE)?],
        )?;
        tx.execute(
            "INSERT INTO staff_calls (kiosk, call, screen, state, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![new.kiosk, new.call, new.screen, STATE_OPEN, nanos(new.now)?],
        )?;
        let created = find(&tx, new.kiosk, new.call)?
            .ok_or_else(|| StorageError::Corrupt("a staff call just made".to_owned()))?;
        tx.commit()?;
        Ok(PutCallOutcome::Created(created))
    }

    fn staff_call(&self, kiosk: &str, call: &str) -> StorageResult<Option<StoredStaffCall>> {
        let conn = self.lock()?;
        find(&conn, kiosk, call)
    }

    fn withdraw_staff_call(
        &self,
        kiosk: &str,
        call: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<StoredStaffCall>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE staff_calls SET state = ?3, withdrawn_at = ?4
             WHERE kiosk = ?1 AND call = ?2 AND state != ?3",
            params![kiosk, call, state_name(CallStatus::Withdrawn), nanos(now)?],
        )?;
        let call = find(&tx, kiosk, call)?;
        tx.commit()?;
        Ok(call)
    }

    fn acknowledge_staff_call(
        &self,
        kiosk: &str,
        call: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<StoredStaffCall>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE staff_calls SET state = ?3, acknowledged_at = ?4, acknowledged_by = ?5
             WHERE kiosk = ?1 AND call = ?2 AND state = ?6",
            params![
                kiosk,
                call,
                state_name(CallStatus::Acknowledged),
                nanos(now)?,
                by,
                STATE_OPEN
            ],
        )?;
        let call = find(&tx, kiosk, call)?;
        tx.commit()?;
        Ok(call)
    }

    fn staff_calls(
        &self,
        acknowledged_since: OffsetDateTime,
        limit: u32,
    ) -> StorageResult<Vec<StoredStaffCall>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM staff_calls
             WHERE state = ?1 OR (state = ?2 AND acknowledged_at >= ?3)
             ORDER BY state = ?1 DESC, received_at, kiosk, call
             LIMIT ?4"
        ))?;
        let rows = select.query_map(
            params![
                STATE_OPEN,
                STATE_ACKNOWLEDGED,
                nanos(acknowledged_since)?,
                limit
            ],
            read,
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push(stored(row?)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    fn storage() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("ca.sqlite")).unwrap();
        (dir, storage)
    }

    fn new<'a>(call: &'a str, screen: &'a str, now: OffsetDateTime) -> NewStaffCall<'a> {
        NewStaffCall {
            kiosk: "TYA",
            call,
            screen,
            now,
            max_open: 2,
            counted_since: now - Duration::minutes(30),
        }
    }

    #[test]
    fn a_call_is_made_once_acknowledged_and_withdrawn() {
        let (_dir, s) = storage();
        let t0 = datetime!(2026-12-05 10:00 UTC);
        let PutCallOutcome::Created(made) = s.put_staff_call(&new("a1", "pin", t0)).unwrap() else {
            panic!("not created");
        };
        assert_eq!(made.status, CallStatus::Open);
        assert_eq!(made.received_at, t0);
        // Again, later: the call as it was received.
        let again = s
            .put_staff_call(&new("a1", "pin", t0 + Duration::minutes(1)))
            .unwrap();
        assert_eq!(again, PutCallOutcome::Existing(made.clone()));
        assert_eq!(
            s.put_staff_call(&new("a1", "home", t0)).unwrap(),
            PutCallOutcome::ScreenConflict
        );
        // The limit counts open calls only, per kiosk.
        assert!(matches!(
            s.put_staff_call(&new("a2", "home", t0)).unwrap(),
            PutCallOutcome::Created(_)
        ));
        assert_eq!(
            s.put_staff_call(&new("a3", "home", t0)).unwrap(),
            PutCallOutcome::TooManyOpen
        );
        assert!(s.staff_call("TYA", "a3").unwrap().is_none());
        let other_kiosk = NewStaffCall {
            kiosk: "KAB",
            ..new("a3", "home", t0)
        };
        assert!(matches!(
            s.put_staff_call(&other_kiosk).unwrap(),
            PutCallOutcome::Created(_)
        ));

        let t1 = t0 + Duration::minutes(2);
        let acked = s
            .acknowledge_staff_call("TYA", "a1", "王芳", t1)
            .unwrap()
            .unwrap();
        assert_eq!(acked.status, CallStatus::Acknowledged);
        assert_eq!(acked.acknowledged_by.as_deref(), Some("王芳"));
        assert_eq!(acked.acknowledged_at, Some(t1));
        // A second member of staff changes nothing.
        let twice = s
            .acknowledge_staff_call("TYA", "a1", "李四", t1 + Duration::minutes(1))
            .unwrap()
            .unwrap();
        assert_eq!(twice, acked);
        // One open again: room for one more.
        assert!(matches!(
            s.put_staff_call(&new("a3", "home", t1)).unwrap(),
            PutCallOutcome::Created(_)
        ));
        assert_eq!(
            s.put_staff_call(&new("a4", "home", t1)).unwrap(),
            PutCallOutcome::TooManyOpen
        );
        // Open calls nobody withdrew (a power cut) stop counting after a
        // while: they never block the next customer.
        assert!(matches!(
            s.put_staff_call(&new("a4", "home", t1 + Duration::minutes(31)))
                .unwrap(),
            PutCallOutcome::Created(_)
        ));
        s.withdraw_staff_call("TYA", "a4", t1 + Duration::minutes(31))
            .unwrap();

        let t2 = t1 + Duration::minutes(3);
        let gone = s.withdraw_staff_call("TYA", "a1", t2).unwrap().unwrap();
        assert_eq!(gone.status, CallStatus::Withdrawn);
        assert_eq!(
            gone.acknowledged_at,
            Some(t1),
            "the acknowledgement is kept"
        );
        assert_eq!(gone.withdrawn_at, Some(t2));
        let again = s
            .withdraw_staff_call("TYA", "a1", t2 + Duration::minutes(1))
            .unwrap()
            .unwrap();
        assert_eq!(again, gone, "withdrawn once");
        let late = s
            .acknowledge_staff_call("TYA", "a1", "李四", t2 + Duration::minutes(1))
            .unwrap()
            .unwrap();
        assert_eq!(late, gone, "a withdrawn call stays withdrawn");
        assert!(s.withdraw_staff_call("TYA", "zz", t2).unwrap().is_none());
        assert!(
            s.acknowledge_staff_call("TYA", "zz", "x", t2)
                .unwrap()
                .is_none()
        );
        // A month on, the next call takes the closed ones away (open ones
        // stay for staff).
        assert!(matches!(
            s.put_staff_call(&new("b1", "home", t1 + Duration::days(31)))
                .unwrap(),
            PutCallOutcome::Created(_)
        ));
        assert!(
            s.staff_call("TYA", "a4").unwrap().is_none(),
            "withdrawn, gone"
        );
        assert!(s.staff_call("TYA", "a2").unwrap().is_some(), "open, kept");
        s.withdraw_staff_call("TYA", "b1", t1 + Duration::days(31))
            .unwrap();
    }

    #[test]
    fn the_list_has_open_calls_first_then_recent_acknowledged_ones() {
        let (_dir, s) = storage();
        let t0 = datetime!(2026-12-05 10:00 UTC);
        let at = |m: i64| t0 + Duration::minutes(m);
        for (kiosk, call, m) in [
            ("TYA", "c1", 0),
            ("KAB", "c2", 1),
            ("TYA", "c3", 2),
            ("KAB", "c4", 3),
        ] {
            let call = NewStaffCall {
                kiosk,
                call,
                screen: "home",
                now: at(m),
                max_open: 5,
                counted_since: at(m) - Duration::minutes(30),
            };
            assert!(matches!(
                s.put_staff_call(&call).unwrap(),
                PutCallOutcome::Created(_)
            ));
        }
        s.acknowledge_staff_call("TYA", "c1", "a", at(5)).unwrap();
        s.acknowledge_staff_call("KAB", "c2", "b", at(70)).unwrap();
        s.withdraw_staff_call("KAB", "c4", at(71)).unwrap();
        let listed = |since| {
            s.staff_calls(since, 200)
                .unwrap()
                .into_iter()
                .map(|c| c.call)
                .collect::<Vec<_>>()
        };
        assert_eq!(listed(at(0)), ["c3", "c1", "c2"]);
        // An hour later: c1's acknowledgement is old news.
        assert_eq!(listed(at(65)), ["c3", "c2"]);
        assert_eq!(s.staff_calls(at(0), 1).unwrap().len(), 1);
    }
}
