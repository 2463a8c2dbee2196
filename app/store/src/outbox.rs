//! The outbox: each order's upload to the CA, written in the same
//! transaction as the order, so no committed order can miss its upload.
//!
//! The idempotency key is 128 random bits drawn when the order is queued: an
//! upload repeated after a crash (sent, but the acknowledgement not recorded)
//! carries the same key and is recognised by the CA. It depends neither on
//! the kiosk's clock nor on anything another kiosk could also draw. An
//! order purged by retention before it was ever acknowledged can no longer
//! be sent and leaves the queue (the purge reports and logs it).

use crate::codec::{count_from_db, opt_time_from_db, time_from_db, time_to_db};
use crate::error::StoreError;
use crate::orders::parse_number;
use crate::{Result, Store};
use kiosk_domain::order_number::OrderNumber;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

/// The longest error code kept; codes are short identifiers, and a bound
/// keeps a misbehaving caller from storing a whole response body.
const MAX_ERROR_CODE: usize = 64;

/// One upload waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub number: OrderNumber,
    /// Sent with the upload so the CA can recognise a repeat.
    pub idempotency_key: String,
    pub created_at: OffsetDateTime,
    /// Failed attempts so far.
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    /// The error code of the last failed attempt.
    pub last_error: Option<String>,
}

/// How far behind the uploads are. The same figures as the [`Outbox`] port's
/// (`kiosk_domain::ports::outbox::OutboxStats`), so `kioskctl doctor` and
/// the kiosk's sync state never disagree: an order the CA refused for good
/// waits for staff, not for the network, and is counted apart.
///
/// [`Outbox`]: kiosk_domain::ports::outbox::Outbox
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    /// Uploads still to send (due now or waiting for a retry), not counting
    /// those set aside.
    pub depth: u64,
    /// Of those, the ones due at `now`.
    pub due: u64,
    /// Uploads the CA refused for good, set aside for staff.
    pub set_aside: u64,
    /// When the oldest upload still to send was created.
    pub oldest_pending_created_at: Option<OffsetDateTime>,
    /// When the next upload still to send is due.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// Queues the upload of a new order (inside its transaction), due at once.
pub(crate) fn enqueue(
    conn: &Connection,
    number: &OrderNumber,
    created_at: OffsetDateTime,
) -> Result<()> {
    let at = time_to_db(created_at)?;
    conn.execute(
        "INSERT INTO outbox (number, idempotency_key, created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?3)",
        params![number.as_str(), new_idempotency_key()?, at],
    )?;
    Ok(())
}

/// 128 random bits in lower-case hex.
fn new_idempotency_key() -> Result<String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Entries that can still be sent: not acknowledged, order not purged.
const SENDABLE: &str = "FROM outbox b JOIN orders o USING (number)
                        WHERE b.acked_at IS NULL AND o.purged_at IS NULL";

/// Of those, the ones set aside after a refusal (see `outbox_port`).
const SET_ASIDE: &str = "coalesce(b.last_error, '') LIKE 'set_aside:%'";

impl Store {
    /// Up to `limit` uploads due at `now`, oldest order first.
    pub fn pending_uploads(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.entries(Some(now), limit)
    }

    /// Up to `limit` uploads not yet acknowledged, due or not (waiting for a
    /// retry, or set aside after a refusal), oldest order first: the queue as
    /// a technician or clerk sees it.
    pub fn queue(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.entries(None, limit)
    }

    fn entries(&self, due_at: Option<OffsetDateTime>, limit: usize) -> Result<Vec<OutboxEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Without a due time, every entry is "due" at the end of time.
        let due = match due_at {
            Some(now) => time_to_db(now)?,
            None => i64::MAX,
        };
        let mut select = self.conn.prepare(&format!(
            "SELECT b.number, b.idempotency_key, b.created_at, b.attempts, b.next_attempt_at, b.last_error
             {SENDABLE} AND b.next_attempt_at <= ?1
             ORDER BY b.created_at, b.number LIMIT ?2"
        ))?;
        let rows = select.query_map(params![due, limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (number, idempotency_key, created_at, attempts, next_attempt_at, last_error) = row?;
            out.push(OutboxEntry {
                number: parse_number(&number)?,
                idempotency_key,
                created_at: time_from_db(created_at)?,
                attempts: count_from_db(attempts, "attempt count")?,
                next_attempt_at: time_from_db(next_attempt_at)?,
                last_error,
            });
        }
        Ok(out)
    }

    /// Makes an unacknowledged upload due at `now` again and forgets its last
    /// error, including a refusal that had set it aside: staff's "retry" after
    /// fixing the cause. Returns whether it was still waiting (false once the
    /// CA acknowledged it).
    pub fn retry_now(&mut self, number: &OrderNumber, now: OffsetDateTime) -> Result<bool> {
        let updated = self.conn.execute(
            "UPDATE outbox SET next_attempt_at = ?2, last_error = NULL
             WHERE number = ?1 AND acked_at IS NULL",
            params![number.as_str(), time_to_db(now)?],
        )?;
        if updated == 0 && !self.in_outbox(number)? {
            return Err(StoreError::UnknownOrder(*number));
        }
        tracing::info!(order = %number, "upload made due again by hand");
        Ok(updated > 0)
    }

    /// Records a failed upload attempt at `now` and when to try again.
    /// `error_code` is a short code (e.g. `timeout`, `http_503`), never
    /// personal data. A failure reported after the acknowledgement changes
    /// nothing.
    pub fn record_upload_failure(
        &mut self,
        number: &OrderNumber,
        now: OffsetDateTime,
        next_attempt_at: OffsetDateTime,
        error_code: &str,
    ) -> Result<()> {
        let code: String = error_code.chars().take(MAX_ERROR_CODE).collect();
        let updated = self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2,
                               next_attempt_at = ?3, last_error = ?4
             WHERE number = ?1 AND acked_at IS NULL",
            params![
                number.as_str(),
                time_to_db(now)?,
                time_to_db(next_attempt_at)?,
                code
            ],
        )?;
        if updated == 0 && !self.in_outbox(number)? {
            return Err(StoreError::UnknownOrder(*number));
        }
        tracing::info!(order = %number, error_code = %code, "upload failed; will retry");
        Ok(())
    }

    /// Records the CA's acknowledgement of the upload. Idempotent: the first
    /// acknowledgement's time is kept. Returns whether this call recorded it.
    pub fn mark_acknowledged(&mut self, number: &OrderNumber, now: OffsetDateTime) -> Result<bool> {
        let at = time_to_db(now)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let updated = tx.execute(
            "UPDATE outbox SET acked_at = ?2 WHERE number = ?1 AND acked_at IS NULL",
            params![number.as_str(), at],
        )?;
        if updated == 0 {
            let known: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM outbox WHERE number = ?1",
                    [number.as_str()],
                    |row| row.get(0),
                )
                .optional()?;
            return match known {
                Some(_) => Ok(false),
                None => Err(StoreError::UnknownOrder(*number)),
            };
        }
        tx.execute(
            "UPDATE orders SET acked_at = ?2 WHERE number = ?1 AND acked_at IS NULL",
            params![number.as_str(), at],
        )?;
        tx.commit()?;
        tracing::info!(order = %number, "upload acknowledged by the CA");
        Ok(true)
    }

    /// The size and age of the upload queue at `now`; orders set aside are
    /// counted apart, not in `depth`.
    pub fn queue_stats(&self, now: OffsetDateTime) -> Result<QueueStats> {
        let (depth, due, set_aside, oldest, next): (i64, i64, i64, Option<i64>, Option<i64>) =
            self.conn.query_row(
                &format!(
                    "SELECT coalesce(sum(NOT {SET_ASIDE}), 0),
                            coalesce(sum(NOT {SET_ASIDE} AND b.next_attempt_at <= ?1), 0),
                            coalesce(sum({SET_ASIDE}), 0),
                            min(CASE WHEN NOT {SET_ASIDE} THEN b.created_at END),
                            min(CASE WHEN NOT {SET_ASIDE} THEN b.next_attempt_at END)
                     {SENDABLE}"
                ),
                [time_to_db(now)?],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )?;
        Ok(QueueStats {
            depth: count_from_db(depth, "queue depth")?,
            due: count_from_db(due, "due uploads")?,
            set_aside: count_from_db(set_aside, "orders set aside")?,
            oldest_pending_created_at: opt_time_from_db(oldest)?,
            next_attempt_at: opt_time_from_db(next)?,
        })
    }

    fn in_outbox(&self, number: &OrderNumber) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM outbox WHERE number = ?1",
                [number.as_str()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
