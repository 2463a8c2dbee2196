//! The domain's [`Outbox`] port for the store: what the sync worker sees of
//! the outbox, without the database.
//!
//! An order the CA refused for good is *set aside*: its outbox entry stays
//! unacknowledged, records the CA's problem code as `set_aside:<code>`, and is
//! pushed to [`SET_ASIDE_UNTIL`], so it is never due again while staff look
//! at it (`kioskctl queue` will show and release it). The queue figures of the
//! port count set-aside orders apart.

use crate::codec::{count_from_db, opt_time_from_db, time_to_db};
use crate::error::StoreError;
use crate::{Result, Store};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::outbox::{
    Outbox, OutboxStats, StatusApplied, StatusUpdate, Upload, UploadAttachment, UploadBody,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// What an order set aside carries as its last error, before the CA's code.
pub(crate) const SET_ASIDE_PREFIX: &str = "set_aside:";

/// When an order set aside would be due again: not before staff act.
const SET_ASIDE_UNTIL: OffsetDateTime = datetime!(2200-01-01 00:00 UTC);

/// Entries still to send: not acknowledged, not purged, not set aside.
const TO_SEND: &str = "FROM outbox b JOIN orders o USING (number)
                       WHERE b.acked_at IS NULL AND o.purged_at IS NULL
                         AND coalesce(b.last_error, '') NOT LIKE 'set_aside:%'";

impl Outbox for Store {
    type Error = StoreError;

    fn due(&mut self, now: OffsetDateTime, limit: usize) -> Result<Vec<Upload>> {
        Ok(self
            .pending_uploads(now, limit)?
            .into_iter()
            .filter(|e| {
                !e.last_error
                    .as_deref()
                    .is_some_and(|c| c.starts_with(SET_ASIDE_PREFIX))
            })
            .map(|e| Upload {
                number: e.number,
                idempotency_key: e.idempotency_key,
                created_at: e.created_at,
                attempts: e.attempts,
            })
            .collect())
    }

    fn upload_body(&mut self, number: &OrderNumber) -> Result<Option<UploadBody>> {
        let Some(order) = self.load_order(number)? else {
            return Ok(None);
        };
        let attachments = self
            .attachments(number)?
            .into_iter()
            .map(|stored| UploadAttachment {
                position: stored.position,
                kind: stored.attachment.kind(),
                media_type: stored.attachment.media_type(),
                sha256_hex: stored.sha256_hex,
                bytes: stored.attachment.bytes().to_vec(),
            })
            .collect();
        Ok(Some(UploadBody { order, attachments }))
    }

    fn retry_later(
        &mut self,
        number: &OrderNumber,
        now: OffsetDateTime,
        next_attempt_at: OffsetDateTime,
        code: &str,
    ) -> Result<()> {
        self.record_upload_failure(number, now, next_attempt_at, code)
    }

    fn set_aside(&mut self, number: &OrderNumber, now: OffsetDateTime, code: &str) -> Result<()> {
        let code = format!("{SET_ASIDE_PREFIX}{code}");
        self.record_upload_failure(number, now, SET_ASIDE_UNTIL, &code)?;
        tracing::warn!(order = %number, error_code = %code, "upload refused by the CA; set aside for staff");
        Ok(())
    }

    fn acknowledged(&mut self, number: &OrderNumber, now: OffsetDateTime) -> Result<bool> {
        self.mark_acknowledged(number, now)
    }

    fn stats(&mut self, now: OffsetDateTime) -> Result<OutboxStats> {
        let (depth, due, oldest, next): (i64, i64, Option<i64>, Option<i64>) =
            self.conn.query_row(
                &format!(
                    "SELECT count(*), coalesce(sum(b.next_attempt_at <= ?1), 0),
                            min(b.created_at), min(b.next_attempt_at) {TO_SEND}"
                ),
                [time_to_db(now)?],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )?;
        let set_aside: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox b JOIN orders o USING (number)
             WHERE b.acked_at IS NULL AND o.purged_at IS NULL
               AND b.last_error LIKE 'set_aside:%'",
            [],
            |row| row.get(0),
        )?;
        Ok(OutboxStats {
            depth: count_from_db(depth, "queue depth")?,
            due: count_from_db(due, "due uploads")?,
            set_aside: count_from_db(set_aside, "orders set aside")?,
            oldest_pending_created_at: opt_time_from_db(oldest)?,
            next_attempt_at: opt_time_from_db(next)?,
        })
    }

    fn feed_cursor(&mut self) -> Result<u64> {
        Store::feed_cursor(self)
    }

    fn apply_status(
        &mut self,
        update: &StatusUpdate,
        cursor: u64,
        now: OffsetDateTime,
    ) -> Result<StatusApplied> {
        self.apply_ca_status(update, cursor, now)
    }
}
