//! Purging personal data: once the CA has acknowledged an order, and at the
//! latest once it is older than the retention period (spec: "deleted once
//! the CA has acknowledged it, and after a configurable retention at the
//! latest").
//!
//! Purging an order deletes its wrapped data key first: from then on every
//! copy of its payload and attachments, including stale copies in free pages
//! or log frames, is ciphertext nobody can open (crypto-shredding). The blobs
//! and lookup tags are deleted too (`secure_delete` zeroes them in the
//! database file), and a final `wal_checkpoint(TRUNCATE)` empties the log.
//! The order row stays, with its clear columns, so the order's status can
//! still be shown ([`Store::order_summary`]).
//!
//! One exception to "once acknowledged": a renewal that is not finished
//! (paid, install pending) still needs its order on this kiosk to resume the
//! install when the key comes back, so an acknowledged renewal is purged
//! only once it is completed, invoiced or cancelled. The retention limit
//! applies to every order regardless.

use crate::codec::time_to_db;
use crate::open::checkpoint;
use crate::orders::parse_number;
use crate::{Result, Store};
use rusqlite::{TransactionBehavior, params};
use time::{Duration, OffsetDateTime};

/// What a purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeReport {
    /// Orders purged because the CA acknowledged them.
    pub acknowledged: u64,
    /// Orders purged because they outlived the retention period unacknowledged.
    pub expired: u64,
    /// Captures older than the retention period (abandoned sessions).
    pub captures: u64,
    /// Whether the final checkpoint emptied the log completely.
    pub log_truncated: bool,
}

impl Store {
    /// Purges the personal data of every acknowledged order and of every
    /// order created `retention` or longer before `now`, and captures as old.
    pub fn purge(&mut self, now: OffsetDateTime, retention: Duration) -> Result<PurgeReport> {
        let now_db = time_to_db(now)?;
        let cutoff = time_to_db(now - retention)?;
        let mut report = PurgeReport::default();

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let due: Vec<(String, bool)> = {
            let mut select = tx.prepare(
                "SELECT number, acked_at IS NOT NULL FROM orders
                 WHERE purged_at IS NULL
                   AND ((acked_at IS NOT NULL
                         AND (kind = 'application' OR status IN ('completed', 'invoiced', 'cancelled')))
                        OR created_at <= ?1)",
            )?;
            select
                .query_map([cutoff], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (number, acked) in &due {
            // The key first: once it is gone, nothing below can be read anyway.
            tx.execute("DELETE FROM order_keys WHERE number = ?1", [number])?;
            tx.execute("DELETE FROM attachments WHERE number = ?1", [number])?;
            tx.execute(
                "DELETE FROM issued_certificates WHERE number = ?1",
                [number],
            )?;
            tx.execute(
                "UPDATE orders SET payload = NULL, mobile_tag = NULL, renewal_of_tag = NULL, purged_at = ?2
                 WHERE number = ?1",
                params![number, now_db],
            )?;
            if *acked {
                report.acknowledged += 1;
            } else {
                report.expired += 1;
                // The order is only a number now; say which one never reached the CA.
                tracing::warn!(order = %parse_number(number)?, "order purged by retention before the CA acknowledged it");
            }
        }
        let captures = tx.execute("DELETE FROM captures WHERE created_at <= ?1", [cutoff])?;
        report.captures = u64::try_from(captures).unwrap_or(u64::MAX);
        tx.commit()?;

        report.log_truncated = checkpoint(&self.conn)?;
        tracing::info!(
            acknowledged = report.acknowledged,
            expired = report.expired,
            captures = report.captures,
            "purged personal data"
        );
        Ok(report)
    }
}
