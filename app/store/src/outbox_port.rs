//! The domain's [`Outbox`] port for the store: what the sync worker sees of
//! the outbox, without the database.
//!
//! An order the CA refused for good is *set aside*: its outbox entry stays
//! unacknowledged, records the CA's problem code as `set_aside:<code>`, and is
//! pushed to [`SET_ASIDE_UNTIL`], so it is never due again while staff look
//! at it (`kioskctl queue` will show and release it). The queue figures of the
//! port count set-aside orders apart.

use crate::error::StoreError;
use crate::{Result, Store};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::outbox::{
    AuditTail, Outbox, OutboxStats, StatusApplied, StatusUpdate, Upload, UploadAttachment,
    UploadBody,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// What an order set aside carries as its last error, before the CA's code.
pub(crate) const SET_ASIDE_PREFIX: &str = "set_aside:";

/// When an order set aside would be due again: not before staff act.
const SET_ASIDE_UNTIL: OffsetDateTime = datetime!(2200-01-01 00:00 UTC);

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
        // One query for both, so the port and `kioskctl doctor` agree.
        let stats = self.queue_stats(now)?;
        Ok(OutboxStats {
            depth: stats.depth,
            due: stats.due,
            set_aside: stats.set_aside,
            oldest_pending_created_at: stats.oldest_pending_created_at,
            next_attempt_at: stats.next_attempt_at,
        })
    }

    fn feed_cursor(&mut self) -> Result<u64> {
        Store::feed_cursor(self)
    }

    fn feed_read(&mut self, now: OffsetDateTime) -> Result<()> {
        Store::feed_read(self, now)
    }

    fn audit_after(&mut self, seq: u64, limit: usize) -> Result<AuditTail> {
        self.audit_tail(seq, limit)
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
