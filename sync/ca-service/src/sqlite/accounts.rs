//! Enterprise accounts in SQLite: accounts, failed sign-ins, sessions and
//! the mobile review requests.

use super::review_captures;
use super::{SqliteStorage, nanos, time_of};
use crate::storage::{
    AccountStorage, AttemptOutcome, CaptureKind, CreateReviewOutcome, DecideOutcome, Lockout,
    RegisterOutcome, SessionLimits, StorageResult, StoredAccount, StoredMobileReview,
};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use time::OffsetDateTime;

/// Migration 6. `sign_in_attempts` holds one row per attempt not yet
/// cleared by a right password (keyed by the USCC typed, registered or
/// not, so unknown USCCs are locked out alike). Sessions are keyed by the
/// SHA-256 of the token: the database never holds a usable token.
pub(super) const SCHEMA: &str = "
CREATE TABLE accounts (
    uscc TEXT PRIMARY KEY,
    unit_name TEXT NOT NULL,
    mobile TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    registered_at INTEGER NOT NULL
);
CREATE TABLE sign_in_attempts (
    uscc TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_by_uscc ON sign_in_attempts (uscc, at);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    uscc TEXT NOT NULL REFERENCES accounts(uscc),
    created_at INTEGER NOT NULL,
    last_used INTEGER NOT NULL
);
CREATE INDEX sessions_by_uscc ON sessions (uscc);
CREATE TABLE mobile_reviews (
    id TEXT PRIMARY KEY,
    uscc TEXT NOT NULL REFERENCES accounts(uscc),
    new_mobile TEXT NOT NULL,
    licence_capture TEXT NOT NULL,
    id_capture TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    requested_at INTEGER NOT NULL,
    decided_at INTEGER
);
";

const ACCOUNT_COLUMNS: &str = "uscc, unit_name, mobile, password_hash, registered_at";
const REVIEW_COLUMNS: &str =
    "id, uscc, new_mobile, licence_capture, id_capture, status, reason, requested_at, kiosk";

fn account_row(row: &Row<'_>) -> rusqlite::Result<(String, String, String, String, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn account_of(
    (uscc, unit_name, mobile, password_hash, at): (String, String, String, String, i64),
) -> StorageResult<StoredAccount> {
    Ok(StoredAccount {
        uscc,
        unit_name,
        mobile,
        password_hash,
        registered_at: time_of(at)?,
    })
}

fn load_account(conn: &Connection, uscc: &str) -> StorageResult<Option<StoredAccount>> {
    conn.query_row(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE uscc = ?1"),
        [uscc],
        account_row,
    )
    .optional()?
    .map(account_of)
    .transpose()
}

type ReviewRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
);

fn review_row(row: &Row<'_>) -> rusqlite::Result<ReviewRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn review_of(r: ReviewRow) -> StorageResult<StoredMobileReview> {
    let (id, uscc, new_mobile, licence_capture, id_capture, status, reason, at, kiosk) = r;
    Ok(StoredMobileReview {
        id,
        uscc,
        new_mobile,
        licence_capture,
        id_capture,
        kiosk,
        status,
        reason,
        requested_at: time_of(at)?,
    })
}

impl AccountStorage for SqliteStorage {
    fn account(&self, uscc: &str) -> StorageResult<Option<StoredAccount>> {
        let conn = self.lock()?;
        load_account(&conn, uscc)
    }

    fn create_account(&self, account: &StoredAccount) -> StorageResult<RegisterOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if load_account(&tx, &account.uscc)?.is_some() {
            return Ok(RegisterOutcome::UsccTaken);
        }
        tx.execute(
            &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
            params![
                account.uscc,
                account.unit_name,
                account.mobile,
                account.password_hash,
                nanos(account.registered_at)?
            ],
        )?;
        tx.commit()?;
        Ok(RegisterOutcome::Created(account.clone()))
    }

    fn set_password(
        &self,
        uscc: &str,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StorageResult<bool> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE accounts SET password_hash = ?2 WHERE uscc = ?1",
            params![uscc, password_hash],
        )?;
        // A new password ends every other session: whoever knew the old one
        // is signed out.
        tx.execute(
            "DELETE FROM sessions WHERE uscc = ?1 AND token_sha256 IS NOT ?2",
            params![uscc, keep_session],
        )?;
        tx.execute("DELETE FROM sign_in_attempts WHERE uscc = ?1", [uscc])?;
        tx.commit()?;
        Ok(changed > 0)
    }

    fn set_mobile(&self, uscc: &str, mobile: &str) -> StorageResult<Option<StoredAccount>> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE accounts SET mobile = ?2 WHERE uscc = ?1",
            params![uscc, mobile],
        )?;
        load_account(&conn, uscc)
    }

    fn begin_attempt(
        &self,
        uscc: &str,
        now: OffsetDateTime,
        rule: Lockout,
    ) -> StorageResult<AttemptOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let since = nanos(now - rule.window)?;
        // Attempts out of the window no longer count, for any USCC: the
        // table stays small however many USCCs are tried.
        tx.execute("DELETE FROM sign_in_attempts WHERE at <= ?1", [since])?;
        // The lock lifts when the oldest attempt that still counts leaves
        // the window: the `max_failures`-th most recent.
        let nth: Option<i64> = tx
            .query_row(
                "SELECT at FROM sign_in_attempts WHERE uscc = ?1
                 ORDER BY at DESC LIMIT 1 OFFSET ?2",
                params![uscc, rule.max_failures.saturating_sub(1)],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(at) = nth {
            return Ok(AttemptOutcome::Locked {
                until: time_of(at)? + rule.window,
            });
        }
        tx.execute(
            "INSERT INTO sign_in_attempts (uscc, at) VALUES (?1, ?2)",
            params![uscc, nanos(now)?],
        )?;
        tx.commit()?;
        Ok(AttemptOutcome::Go)
    }

    fn clear_failures(&self, uscc: &str) -> StorageResult<()> {
        self.lock()?
            .execute("DELETE FROM sign_in_attempts WHERE uscc = ?1", [uscc])?;
        Ok(())
    }

    fn create_session(
        &self,
        token_sha256: &str,
        uscc: &str,
        now: OffsetDateTime,
        limits: SessionLimits,
    ) -> StorageResult<()> {
        let at = nanos(now)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Sessions nobody signed out of are dropped once they have ended.
        tx.execute(
            "DELETE FROM sessions WHERE last_used <= ?1 OR created_at <= ?2",
            params![nanos(now - limits.idle)?, nanos(now - limits.lifetime)?],
        )?;
        tx.execute(
            "INSERT INTO sessions (token_sha256, uscc, created_at, last_used) VALUES (?1, ?2, ?3, ?3)",
            params![token_sha256, uscc, at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn touch_session(
        &self,
        token_sha256: &str,
        now: OffsetDateTime,
        limits: SessionLimits,
    ) -> StorageResult<Option<String>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, i64, i64)> = tx
            .query_row(
                "SELECT uscc, created_at, last_used FROM sessions WHERE token_sha256 = ?1",
                [token_sha256],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((uscc, created_at, last_used)) = row else {
            return Ok(None);
        };
        let live =
            time_of(last_used)? + limits.idle > now && time_of(created_at)? + limits.lifetime > now;
        if live {
            tx.execute(
                "UPDATE sessions SET last_used = ?2 WHERE token_sha256 = ?1",
                params![token_sha256, nanos(now)?],
            )?;
        } else {
            tx.execute(
                "DELETE FROM sessions WHERE token_sha256 = ?1",
                [token_sha256],
            )?;
        }
        tx.commit()?;
        Ok(live.then_some(uscc))
    }

    fn delete_session(&self, token_sha256: &str) -> StorageResult<bool> {
        let deleted = self.lock()?.execute(
            "DELETE FROM sessions WHERE token_sha256 = ?1",
            [token_sha256],
        )?;
        Ok(deleted > 0)
    }

    fn create_mobile_review(
        &self,
        r: &StoredMobileReview,
        captures_since: OffsetDateTime,
    ) -> StorageResult<CreateReviewOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        review_captures::prune(&tx, captures_since)?;
        let kiosk = r.kiosk.as_deref().unwrap_or_default();
        for (kind, reference) in [
            (CaptureKind::Licence, &r.licence_capture),
            (CaptureKind::Id, &r.id_capture),
        ] {
            let digest = reference.strip_prefix("sha256:").unwrap_or_default();
            if !review_captures::holds(&tx, kiosk, digest)? {
                return Ok(CreateReviewOutcome::UnknownCapture(kind));
            }
        }
        tx.execute(
            &format!(
                "INSERT INTO mobile_reviews ({REVIEW_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                r.id,
                r.uscc,
                r.new_mobile,
                r.licence_capture,
                r.id_capture,
                r.status,
                r.reason,
                nanos(r.requested_at)?,
                r.kiosk,
            ],
        )?;
        tx.commit()?;
        Ok(CreateReviewOutcome::Created)
    }

    fn mobile_reviews(&self, limit: u32) -> StorageResult<Vec<StoredMobileReview>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(&format!(
            "SELECT {REVIEW_COLUMNS} FROM mobile_reviews ORDER BY requested_at DESC, id LIMIT ?1"
        ))?;
        let rows = select.query_map([limit], review_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(review_of(row?)?);
        }
        Ok(out)
    }

    fn decide_mobile_review(
        &self,
        id: &str,
        approve: bool,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StorageResult<Option<DecideOutcome>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let select = format!("SELECT {REVIEW_COLUMNS} FROM mobile_reviews WHERE id = ?1");
        let Some(review) = tx.query_row(&select, [id], review_row).optional()? else {
            return Ok(None);
        };
        let review = review_of(review)?;
        if review.status != "pending" {
            return Ok(Some(DecideOutcome::NotPending));
        }
        let status = if approve { "approved" } else { "rejected" };
        tx.execute(
            "UPDATE mobile_reviews SET status = ?2, reason = ?3, decided_at = ?4 WHERE id = ?1",
            params![id, status, reason, nanos(now)?],
        )?;
        if approve {
            tx.execute(
                "UPDATE accounts SET mobile = ?2 WHERE uscc = ?1",
                params![review.uscc, review.new_mobile],
            )?;
        }
        let decided = review_of(tx.query_row(&select, [id], review_row)?)?;
        tx.commit()?;
        Ok(Some(DecideOutcome::Decided(Box::new(decided))))
    }
}
