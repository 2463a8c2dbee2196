//! Payments and remittance notes in SQLite.

use super::{SqliteStorage, accept_if_paid, is_cancelled, nanos, time_of};
use crate::storage::{
    NewPayment, OpenOutcome, PayOutcome, PaymentStorage, RecordOutcome, RecordedPayment,
    RemittanceOutcome, StorageError, StorageResult, StoredPayment, StoredRemittance,
};
use kiosk_sync_wire::payment::METHOD_BANK_TRANSFER;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use time::OffsetDateTime;

/// Migration 2. A payment is pending until `paid_at` is set; "expired" is
/// computed from `expires_at`. A reference is unique per method: recording
/// it twice finds the first payment.
pub(super) const SCHEMA: &str = "
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    method TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    paid_at INTEGER,
    reference TEXT
);
CREATE INDEX payments_by_number ON payments (number, created_at);
CREATE UNIQUE INDEX payments_by_reference ON payments (method, reference)
    WHERE reference IS NOT NULL;
CREATE TABLE remittances (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    bank_reference TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payment_id TEXT,
    UNIQUE (number, bank_reference)
);
";

const PAYMENT_COLUMNS: &str =
    "id, number, amount_fen, method, created_at, expires_at, paid_at, reference";

fn payment_row(row: &Row<'_>) -> rusqlite::Result<RawPayment> {
    Ok(RawPayment {
        id: row.get(0)?,
        number: row.get(1)?,
        amount_fen: row.get(2)?,
        method: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        paid_at: row.get(6)?,
        reference: row.get(7)?,
    })
}

/// A row before its times are checked.
struct RawPayment {
    id: String,
    number: String,
    amount_fen: i64,
    method: String,
    created_at: i64,
    expires_at: i64,
    paid_at: Option<i64>,
    reference: Option<String>,
}

impl RawPayment {
    fn checked(self) -> StorageResult<StoredPayment> {
        Ok(StoredPayment {
            id: self.id,
            number: self.number,
            amount_fen: self.amount_fen,
            method: self.method,
            created_at: time_of(self.created_at)?,
            expires_at: time_of(self.expires_at)?,
            paid_at: self.paid_at.map(time_of).transpose()?,
            reference: self.reference,
        })
    }
}

fn one_payment(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> StorageResult<Option<StoredPayment>> {
    conn.query_row(
        &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE {filter}"),
        args,
        payment_row,
    )
    .optional()?
    .map(RawPayment::checked)
    .transpose()
}

pub(super) fn paid_of(conn: &Connection, number: &str) -> StorageResult<Option<StoredPayment>> {
    one_payment(
        conn,
        "number = ?1 AND paid_at IS NOT NULL ORDER BY paid_at LIMIT 1",
        [number],
    )
}

/// The order's open QR payments expire at `now` (its cancel): none of
/// them can be paid any more.
pub(super) fn expire_open(
    conn: &Connection,
    number: &str,
    now: OffsetDateTime,
) -> StorageResult<()> {
    conn.execute(
        "UPDATE payments SET expires_at = ?2
         WHERE number = ?1 AND paid_at IS NULL AND expires_at > ?2",
        params![number, nanos(now)?],
    )?;
    Ok(())
}

fn latest_of(conn: &Connection, number: &str) -> StorageResult<Option<StoredPayment>> {
    one_payment(
        conn,
        "number = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1",
        [number],
    )
}

fn by_id(conn: &Connection, id: &str) -> StorageResult<Option<StoredPayment>> {
    one_payment(conn, "id = ?1", [id])
}

/// Records a confirmed payment inside the caller's transaction.
fn record_in(conn: &Connection, p: &RecordedPayment<'_>) -> StorageResult<RecordOutcome> {
    if let Some(same) = one_payment(
        conn,
        "method = ?1 AND reference = ?2",
        params![p.method, p.reference],
    )? {
        return Ok(
            if same.number == p.number && same.amount_fen == p.amount_fen {
                RecordOutcome::Existing(same)
            } else {
                RecordOutcome::ReferenceConflict
            },
        );
    }
    if is_cancelled(conn, p.number)? {
        return Ok(RecordOutcome::OrderCancelled);
    }
    if let Some(paid) = paid_of(conn, p.number)? {
        return Ok(RecordOutcome::AlreadyPaid(paid));
    }
    let at = nanos(p.now)?;
    conn.execute(
        "INSERT INTO payments (id, number, amount_fen, method, created_at, expires_at, paid_at, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6)",
        params![p.id, p.number, p.amount_fen, p.method, at, p.reference],
    )?;
    let stored =
        by_id(conn, p.id)?.ok_or_else(|| StorageError::Corrupt("payment not stored".to_owned()))?;
    Ok(RecordOutcome::Recorded(stored))
}

const REMITTANCE_COLUMNS: &str =
    "id, number, payer_name, bank_reference, amount_fen, received_at, payment_id";

fn remittance_row(row: &Row<'_>) -> rusqlite::Result<(StoredRemittance, i64)> {
    Ok((
        StoredRemittance {
            id: row.get(0)?,
            number: row.get(1)?,
            payer_name: row.get(2)?,
            bank_reference: row.get(3)?,
            amount_fen: row.get(4)?,
            received_at: OffsetDateTime::UNIX_EPOCH,
            payment_id: row.get(6)?,
        },
        row.get(5)?,
    ))
}

fn with_time((mut r, at): (StoredRemittance, i64)) -> StorageResult<StoredRemittance> {
    r.received_at = time_of(at)?;
    Ok(r)
}

fn one_remittance(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> StorageResult<Option<StoredRemittance>> {
    conn.query_row(
        &format!("SELECT {REMITTANCE_COLUMNS} FROM remittances WHERE {filter}"),
        args,
        remittance_row,
    )
    .optional()?
    .map(with_time)
    .transpose()
}

impl PaymentStorage for SqliteStorage {
    fn open_payment(&self, new: &NewPayment<'_>) -> StorageResult<OpenOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if is_cancelled(&tx, new.number)? {
            return Ok(OpenOutcome::OrderCancelled);
        }
        let current = match paid_of(&tx, new.number)? {
            Some(paid) => Some(paid),
            None => latest_of(&tx, new.number)?.filter(|p| !p.is_expired(new.now)),
        };
        if let Some(current) = current {
            return Ok(if current.amount_fen == new.amount_fen {
                OpenOutcome::Existing(current)
            } else {
                OpenOutcome::AmountMismatch(current)
            });
        }
        tx.execute(
            "INSERT INTO payments (id, number, amount_fen, method, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                new.id,
                new.number,
                new.amount_fen,
                kiosk_sync_wire::payment::METHOD_QR,
                nanos(new.now)?,
                nanos(new.expires_at)?
            ],
        )?;
        let created = by_id(&tx, new.id)?
            .ok_or_else(|| StorageError::Corrupt("payment not stored".to_owned()))?;
        tx.commit()?;
        Ok(OpenOutcome::Created(created))
    }

    fn payment(&self, id: &str) -> StorageResult<Option<StoredPayment>> {
        let conn = self.lock()?;
        by_id(&conn, id)
    }

    fn pay(
        &self,
        id: &str,
        reference: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<PayOutcome>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(payment) = by_id(&tx, id)? else {
            return Ok(None);
        };
        if payment.is_paid() {
            return Ok(Some(PayOutcome::Paid(payment)));
        }
        // Its order's cancel expired it (whatever the clock says now).
        if payment.is_expired(now) || is_cancelled(&tx, &payment.number)? {
            return Ok(Some(PayOutcome::Expired(payment)));
        }
        if let Some(other) = paid_of(&tx, &payment.number)? {
            return Ok(Some(PayOutcome::OrderPaidElsewhere(other)));
        }
        tx.execute(
            "UPDATE payments SET paid_at = ?2, reference = ?3 WHERE id = ?1",
            params![id, nanos(now)?, reference],
        )?;
        let paid =
            by_id(&tx, id)?.ok_or_else(|| StorageError::Corrupt("payment vanished".to_owned()))?;
        accept_if_paid(&tx, &paid.number, now)?;
        tx.commit()?;
        Ok(Some(PayOutcome::Paid(paid)))
    }

    fn record_payment(&self, payment: &RecordedPayment<'_>) -> StorageResult<RecordOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = record_in(&tx, payment)?;
        if matches!(outcome, RecordOutcome::Recorded(_)) {
            accept_if_paid(&tx, payment.number, payment.now)?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn paid_payment(&self, number: &str) -> StorageResult<Option<StoredPayment>> {
        let conn = self.lock()?;
        paid_of(&conn, number)
    }

    fn latest_payment(&self, number: &str) -> StorageResult<Option<StoredPayment>> {
        let conn = self.lock()?;
        latest_of(&conn, number)
    }

    fn add_remittance(&self, r: &StoredRemittance) -> StorageResult<RemittanceOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(same) = one_remittance(
            &tx,
            "number = ?1 AND bank_reference = ?2",
            params![r.number, r.bank_reference],
        )? {
            return Ok(
                if same.payer_name == r.payer_name && same.amount_fen == r.amount_fen {
                    RemittanceOutcome::Existing(same)
                } else {
                    RemittanceOutcome::Conflict
                },
            );
        }
        tx.execute(
            "INSERT INTO remittances (id, number, payer_name, bank_reference, amount_fen, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                r.id,
                r.number,
                r.payer_name,
                r.bank_reference,
                r.amount_fen,
                nanos(r.received_at)?
            ],
        )?;
        let created = one_remittance(&tx, "id = ?1", [&r.id])?
            .ok_or_else(|| StorageError::Corrupt("remittance not stored".to_owned()))?;
        tx.commit()?;
        Ok(RemittanceOutcome::Created(created))
    }

    fn remittance(&self, id: &str) -> StorageResult<Option<StoredRemittance>> {
        let conn = self.lock()?;
        one_remittance(&conn, "id = ?1", [id])
    }

    fn remittances(&self, limit: u32) -> StorageResult<Vec<StoredRemittance>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(&format!(
            "SELECT {REMITTANCE_COLUMNS} FROM remittances ORDER BY received_at DESC LIMIT ?1"
        ))?;
        let rows = select.query_map([limit], remittance_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(with_time(row?)?);
        }
        Ok(out)
    }

    fn confirm_remittance(
        &self,
        id: &str,
        payment_id: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<RecordOutcome>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(note) = one_remittance(&tx, "id = ?1", [id])? else {
            return Ok(None);
        };
        let outcome = record_in(
            &tx,
            &RecordedPayment {
                id: payment_id,
                number: &note.number,
                method: METHOD_BANK_TRANSFER,
                amount_fen: note.amount_fen,
                reference: &note.bank_reference,
                now,
            },
        )?;
        if let RecordOutcome::Recorded(p) | RecordOutcome::Existing(p) = &outcome {
            tx.execute(
                "UPDATE remittances SET payment_id = ?2 WHERE id = ?1",
                params![id, p.id],
            )?;
            accept_if_paid(&tx, &note.number, now)?;
        }
        tx.commit()?;
        Ok(Some(outcome))
    }
}
