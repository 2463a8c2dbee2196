//! The SMS gateway simulator's codes and messages in SQLite.

use super::{SqliteStorage, nanos, time_of};
use crate::storage::{
    NewSmsCode, SendOutcome, SmsStorage, StorageResult, StoredSms, VerifyOutcome,
};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

/// Migration 3. One row per code sent; the latest per (mobile, purpose) is
/// the one that counts. The message text is kept for the back office.
pub(super) const SCHEMA: &str = "
CREATE TABLE sms_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mobile TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries_left INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_by_mobile ON sms_codes (mobile, purpose, id);
";

/// Migration 13: a unit's codes (registering, resetting a password) carry
/// its USCC: counted per unit, and verified only for it. `capped` marks
/// those sent to a mobile other than the one on file.
pub(super) const UNIT_CODES: &str = "
ALTER TABLE sms_codes ADD COLUMN uscc TEXT;
ALTER TABLE sms_codes ADD COLUMN capped INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sms_codes_by_uscc ON sms_codes (uscc, sent_at);
";

/// The messages that tell a customer something (a review's outcome): no
/// code, no rate limit shared with the codes.
pub(super) const NOTICES: &str = "
CREATE TABLE sms_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mobile TEXT NOT NULL,
    purpose TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at INTEGER NOT NULL
);
";

impl SmsStorage for SqliteStorage {
    fn send_sms_notice(
        &self,
        mobile: &str,
        purpose: &str,
        text: &str,
        now: OffsetDateTime,
    ) -> StorageResult<()> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO sms_notices (mobile, purpose, text, sent_at) VALUES (?1, ?2, ?3, ?4)",
            params![mobile, purpose, text, nanos(now)?],
        )?;
        Ok(())
    }

    fn send_sms_code(&self, new: &NewSmsCode<'_>) -> StorageResult<SendOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<i64> = tx
            .query_row(
                "SELECT max(sent_at) FROM sms_codes WHERE mobile = ?1",
                [new.mobile],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        if let Some(last) = last {
            let next = time_of(last)? + new.min_interval;
            if next > new.now {
                let wait = (next - new.now).whole_seconds().max(1);
                return Ok(SendOutcome::TooSoon {
                    wait_secs: u32::try_from(wait).unwrap_or(u32::MAX),
                });
            }
        }
        let day_ago = new.now - time::Duration::DAY;
        let (today, oldest): (u32, Option<i64>) = tx.query_row(
            "SELECT count(*), min(sent_at) FROM sms_codes WHERE mobile = ?1 AND sent_at > ?2",
            params![new.mobile, nanos(day_ago)?],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        if today >= new.daily_cap {
            let free = oldest.map_or(Ok(new.now), time_of)? + time::Duration::DAY;
            let wait = (free - new.now).whole_seconds().max(1);
            return Ok(SendOutcome::DailyCapReached {
                wait_secs: u32::try_from(wait).unwrap_or(u32::MAX),
            });
        }
        if let (Some(uscc), Some(cap)) = (new.uscc, new.unit_cap) {
            let (sent, oldest): (u32, Option<i64>) = tx.query_row(
                "SELECT count(*), min(sent_at) FROM sms_codes
                 WHERE uscc = ?1 AND capped = 1 AND sent_at > ?2",
                params![uscc, nanos(new.now - cap.window)?],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if sent >= cap.max {
                let free = oldest.map_or(Ok(new.now), time_of)? + cap.window;
                let wait = (free - new.now).whole_seconds().max(1);
                return Ok(SendOutcome::UnitCapReached {
                    wait_secs: u32::try_from(wait).unwrap_or(u32::MAX),
                });
            }
        }
        tx.execute(
            "INSERT INTO sms_codes
                 (mobile, purpose, code, text, sent_at, expires_at, tries_left, uscc, capped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                new.mobile,
                new.purpose,
                new.code,
                new.text,
                nanos(new.now)?,
                nanos(new.expires_at)?,
                new.tries,
                new.uscc,
                new.unit_cap.is_some()
            ],
        )?;
        tx.commit()?;
        Ok(SendOutcome::Sent)
    }

    fn verify_sms_code(
        &self,
        mobile: &str,
        purpose: &str,
        uscc: Option<&str>,
        code: &str,
        now: OffsetDateTime,
    ) -> StorageResult<VerifyOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        type Latest = (i64, String, i64, u32, bool, Option<String>);
        let latest: Option<Latest> = tx
            .query_row(
                "SELECT id, code, expires_at, tries_left, used, uscc FROM sms_codes
                 WHERE mobile = ?1 AND purpose = ?2 ORDER BY id DESC LIMIT 1",
                params![mobile, purpose],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, expected, expires_at, tries_left, used, sent_for)) = latest else {
            return Ok(VerifyOutcome::NoValidCode);
        };
        // A unit's code proves nothing for another unit (and costs it no
        // try).
        if sent_for.as_deref() != uscc {
            return Ok(VerifyOutcome::NoValidCode);
        }
        if used || tries_left == 0 || time_of(expires_at)? <= now {
            return Ok(VerifyOutcome::NoValidCode);
        }
        let outcome = if expected == code {
            tx.execute("UPDATE sms_codes SET used = 1 WHERE id = ?1", [id])?;
            VerifyOutcome::Verified
        } else {
            let left = tries_left - 1;
            tx.execute(
                "UPDATE sms_codes SET tries_left = ?2 WHERE id = ?1",
                params![id, left],
            )?;
            VerifyOutcome::Wrong { tries_left: left }
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn sms_messages(&self, limit: u32) -> StorageResult<Vec<StoredSms>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(
            "SELECT mobile, purpose, text, sent_at FROM (
                 SELECT mobile, purpose, text, sent_at FROM sms_codes
                 UNION ALL SELECT mobile, purpose, text, sent_at FROM sms_notices
             ) ORDER BY sent_at DESC LIMIT ?1",
        )?;
        let rows = select.query_map([limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mobile, purpose, text, sent_at) = row?;
            out.push(StoredSms {
                mobile,
                purpose,
                text,
                sent_at: time_of(sent_at)?,
            });
        }
        Ok(out)
    }
}
