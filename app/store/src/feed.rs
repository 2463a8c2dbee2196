//! The CA's status feed applied to the stored orders. The CA is the
//! authority on status; the kiosk applies what it reports along the domain's
//! status table, and records how far it has read in the same transaction, so
//! an entry is applied exactly once however often the feed is read again.

use crate::codec::{status_from_db, status_to_db, time_from_db, time_to_db};
use crate::orders::{read_order, write_order};
use crate::{Result, Store};
use kiosk_domain::order::status::{self, Lifecycle};
use kiosk_domain::ports::outbox::{StatusApplied, StatusUpdate};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

impl Store {
    /// Where the feed was last applied up to (0 at first).
    pub fn feed_cursor(&self) -> Result<u64> {
        let cursor: i64 =
            self.conn
                .query_row("SELECT cursor FROM feed_cursor WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        Ok(u64::try_from(cursor).unwrap_or(0))
    }

    /// The feed was read through at `now`: every status the CA had for
    /// this kiosk's orders then is applied.
    pub fn feed_read(&mut self, now: OffsetDateTime) -> Result<()> {
        self.conn.execute(
            "UPDATE feed_cursor SET heard_at = ?1 WHERE id = 1",
            [time_to_db(now)?],
        )?;
        Ok(())
    }

    /// When the feed was last read through (`None`: never).
    pub fn heard_from_ca(&self) -> Result<Option<OffsetDateTime>> {
        let at: Option<i64> =
            self.conn
                .query_row("SELECT heard_at FROM feed_cursor WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        at.map(time_from_db).transpose()
    }

    /// Applies one feed entry whose position is `cursor`, and moves the
    /// cursor there, in one transaction. An entry at or before the stored
    /// cursor was applied already and changes nothing.
    pub fn apply_ca_status(
        &mut self,
        update: &StatusUpdate,
        cursor: u64,
        now: OffsetDateTime,
    ) -> Result<StatusApplied> {
        let Store { conn, keys, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: i64 = tx.query_row("SELECT cursor FROM feed_cursor WHERE id = 1", [], |r| {
            r.get(0)
        })?;
        let cursor_db = i64::try_from(cursor).unwrap_or(i64::MAX);
        if cursor_db <= stored {
            return Ok(StatusApplied::Unchanged);
        }
        let row: Option<(String, String, bool)> = tx
            .query_row(
                "SELECT kind, status, purged_at IS NOT NULL FROM orders WHERE number = ?1",
                [update.number.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let applied = match row {
            None => StatusApplied::UnknownOrder,
            Some((_, current, _)) if status_from_db(&current)? == update.status => {
                StatusApplied::Unchanged
            }
            Some((kind, current, true)) => {
                // Purged: only the clear status column is left. Its lifecycle
                // is known up to the pickup method, so any application path counts.
                let from = status_from_db(&current)?;
                let lifecycles: &[Lifecycle] = if kind == "renewal" {
                    &[Lifecycle::Renewal]
                } else {
                    &[Lifecycle::ApplicationByMail, Lifecycle::ApplicationOnSite]
                };
                let reports = lifecycles
                    .iter()
                    .map(|l| status::report(*l, from, update.status));
                let reports: Vec<_> = reports.collect();
                if reports.contains(&status::Report::Forward) {
                    tx.execute(
                        "UPDATE orders SET status = ?2, updated_at = ?3 WHERE number = ?1",
                        params![
                            update.number.as_str(),
                            status_to_db(update.status),
                            time_to_db(now)?
                        ],
                    )?;
                    StatusApplied::Changed
                } else if reports.contains(&status::Report::Behind) {
                    StatusApplied::Unchanged
                } else {
                    StatusApplied::Refused
                }
            }
            Some(_) => match read_order(&tx, keys, &update.number, None)? {
                None => StatusApplied::UnknownOrder,
                Some(mut order) => {
                    match order.apply_ca_status(update.status, update.reason.clone()) {
                        Ok(true) => {
                            write_order(&tx, keys, &order, now)?;
                            StatusApplied::Changed
                        }
                        Ok(false) => StatusApplied::Unchanged,
                        Err(_) => StatusApplied::Refused,
                    }
                }
            },
        };
        tx.execute(
            "UPDATE feed_cursor SET cursor = ?1 WHERE id = 1",
            [cursor_db],
        )?;
        tx.commit()?;
        match applied {
            StatusApplied::Refused => tracing::warn!(
                order = %update.number,
                to = status_to_db(update.status),
                "the CA reported a status the status table does not lead to; kept for staff"
            ),
            StatusApplied::Changed => tracing::info!(
                order = %update.number,
                to = status_to_db(update.status),
                "status from the CA applied"
            ),
            StatusApplied::Unchanged | StatusApplied::UnknownOrder => {}
        }
        Ok(applied)
    }
}
