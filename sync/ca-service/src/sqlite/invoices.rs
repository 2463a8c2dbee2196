//! Invoices in SQLite.

use super::{SqliteStorage, nanos, time_of};
use crate::storage::{InvoiceOutcome, InvoiceStorage, StorageError, StorageResult, StoredInvoice};
use kiosk_sync_wire::order::{DetailsV1, OrderV1};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

/// Migration 4. One invoice per order.
pub(super) const SCHEMA: &str = "
CREATE TABLE invoices (
    number TEXT PRIMARY KEY,
    invoice_number TEXT NOT NULL UNIQUE,
    amount_fen INTEGER NOT NULL,
    title TEXT NOT NULL,
    taxpayer_id TEXT NOT NULL,
    issued_at INTEGER NOT NULL
);
";

fn invoice_of(conn: &Connection, number: &str) -> StorageResult<Option<StoredInvoice>> {
    let row: Option<(String, i64, String, String, i64)> = conn
        .query_row(
            "SELECT invoice_number, amount_fen, title, taxpayer_id, issued_at
             FROM invoices WHERE number = ?1",
            [number],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .optional()?;
    row.map(|(invoice_number, amount_fen, title, taxpayer_id, at)| {
        Ok(StoredInvoice {
            number: number.to_owned(),
            invoice_number,
            amount_fen,
            title,
            taxpayer_id,
            issued_at: time_of(at)?,
        })
    })
    .transpose()
}

impl InvoiceStorage for SqliteStorage {
    fn issue_invoice(
        &self,
        number: &str,
        invoice_number: &str,
        now: OffsetDateTime,
    ) -> StorageResult<InvoiceOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(existing) = invoice_of(&tx, number)? {
            return Ok(InvoiceOutcome::Existing(existing));
        }
        let document: Option<String> = tx
            .query_row(
                "SELECT document FROM orders WHERE number = ?1",
                [number],
                |row| row.get(0),
            )
            .optional()?;
        let Some(document) = document else {
            return Ok(InvoiceOutcome::UnknownOrder);
        };
        let paid: Option<i64> = tx
            .query_row(
                "SELECT amount_fen FROM payments WHERE number = ?1 AND paid_at IS NOT NULL
                 ORDER BY paid_at LIMIT 1",
                [number],
                |row| row.get(0),
            )
            .optional()?;
        let Some(amount_fen) = paid else {
            return Ok(InvoiceOutcome::NotPaid);
        };
        let order: OrderV1 = serde_json::from_str(&document)
            .map_err(|e| StorageError::Corrupt(format!("order document: {e}")))?;
        let invoice = match &order.details {
            DetailsV1::Renewal(r) => &r.invoice,
            DetailsV1::Application(a) => &a.invoice,
        };
        tx.execute(
            "INSERT INTO invoices (number, invoice_number, amount_fen, title, taxpayer_id, issued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                number,
                invoice_number,
                amount_fen,
                invoice.title,
                invoice.taxpayer_id,
                nanos(now)?
            ],
        )?;
        let issued = invoice_of(&tx, number)?
            .ok_or_else(|| StorageError::Corrupt("invoice not stored".to_owned()))?;
        tx.commit()?;
        Ok(InvoiceOutcome::Issued(issued))
    }

    fn invoice(&self, number: &str) -> StorageResult<Option<StoredInvoice>> {
        let conn = self.lock()?;
        invoice_of(&conn, number)
    }

    fn invoice_by_number(&self, invoice_number: &str) -> StorageResult<Option<StoredInvoice>> {
        let conn = self.lock()?;
        let order: Option<String> = conn
            .query_row(
                "SELECT number FROM invoices WHERE invoice_number = ?1",
                [invoice_number],
                |row| row.get(0),
            )
            .optional()?;
        match order {
            Some(number) => invoice_of(&conn, &number),
            None => Ok(None),
        }
    }
}
