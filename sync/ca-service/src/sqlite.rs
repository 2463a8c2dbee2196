//! The embedded default storage: one SQLite file (WAL, `synchronous=FULL`).
//! One connection behind a mutex: every call is one short transaction.

mod accounts;
mod audit;
mod holders;
mod identity;
mod invoices;
mod payments;
mod review_captures;
mod sms;
mod staff_calls;

use crate::storage::{
    AppendOutcome, CancelOutcome, CreateOutcome, InstallOutcome, NewOrder, OrderSummary, Storage,
    StorageError, StorageResult, StoredRenewal, SubmitOutcome, TransitionOutcome,
};
use kiosk_domain::order::status::{Lifecycle, OrderStatus, initial_status, is_allowed};
use kiosk_sync_wire::attachment::AttachmentStatusV1;
use kiosk_sync_wire::feed::{FeedEntryV1, StatusV1};
use kiosk_sync_wire::order::OrderRecordV1;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use time::OffsetDateTime;

/// Schema migrations, in order: database version `n` has run the first `n`
/// (`PRAGMA user_version`). Only ever append. The first one is written with
/// `IF NOT EXISTS` because databases made before versioning have version 0.
const MIGRATIONS: &[&str] = &[
    SCHEMA,
    payments::SCHEMA,
    sms::SCHEMA,
    invoices::SCHEMA,
    holders::SCHEMA,
    accounts::SCHEMA,
    sms::NOTICES,
    identity::SCHEMA,
    INSTALLS,
    REVOCATIONS,
    staff_calls::SCHEMA,
    audit::SCHEMA,
    sms::UNIT_CODES,
    review_captures::SCHEMA,
];

/// Migration 10: the certificates a later attempt of their order
/// superseded, for good (the CA's revocation list).
const REVOCATIONS: &str = "
CREATE TABLE revocations (
    number TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL,
    PRIMARY KEY (number, attempt)
);
";

/// Migration 9: the orders whose kiosk said the certificate is on the key
/// (a renewal's, or an application's written on site).
const INSTALLS: &str = "
CREATE TABLE renewal_installs (
    number TEXT PRIMARY KEY REFERENCES orders(number),
    attempt INTEGER NOT NULL,
    installed_at INTEGER NOT NULL
);
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orders (
    number TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    body_sha256 TEXT NOT NULL,
    document TEXT NOT NULL,
    lifecycle TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    submitted INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL
);
-- One row per creation, without a unique constraint: the exactly-once oracle.
CREATE TABLE IF NOT EXISTS creations (
    idempotency_key TEXT NOT NULL,
    number TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    number TEXT NOT NULL REFERENCES orders(number),
    position INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (number, position)
);
CREATE TABLE IF NOT EXISTS chunks (
    number TEXT NOT NULL,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (number, position, start)
);
CREATE TABLE IF NOT EXISTS feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL
);
-- Each kiosk reads the entries of its own orders (the number's first three
-- symbols are its kiosk code).
CREATE INDEX IF NOT EXISTS feed_by_kiosk ON feed (substr(number, 1, 3), seq);
CREATE TABLE IF NOT EXISTS renewals (
    number TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    request_sha256 TEXT NOT NULL,
    certificate BLOB NOT NULL,
    issued_at INTEGER NOT NULL,
    PRIMARY KEY (number, attempt)
);
";

/// The SQLite storage.
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> StorageResult<Self> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> StorageResult<MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| StorageError::Poisoned)
    }
}

/// Runs the migrations the database has not run yet, each in its own
/// transaction with the version bump, so a crash leaves a consistent version.
fn migrate(conn: &mut Connection) -> StorageResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let done = usize::try_from(version)
        .map_err(|_| StorageError::Corrupt(format!("schema version {version}")))?;
    if done > MIGRATIONS.len() {
        return Err(StorageError::Corrupt(format!(
            "schema version {version} is newer than this service"
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn nanos(t: OffsetDateTime) -> StorageResult<i64> {
    i64::try_from(t.unix_timestamp_nanos()).map_err(|_| StorageError::Corrupt("time".to_owned()))
}

fn time_of(n: i64) -> StorageResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n))
        .map_err(|_| StorageError::Corrupt(format!("time {n}")))
}

fn to_i64(n: u64) -> StorageResult<i64> {
    i64::try_from(n).map_err(|_| StorageError::Corrupt(format!("count {n}")))
}

fn to_u64(n: i64) -> StorageResult<u64> {
    u64::try_from(n).map_err(|_| StorageError::Corrupt(format!("count {n}")))
}

fn lifecycle_to_db(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Renewal => "renewal",
        Lifecycle::ApplicationByMail => "application_by_mail",
        Lifecycle::ApplicationOnSite => "application_on_site",
    }
}

fn lifecycle_from_db(s: &str) -> StorageResult<Lifecycle> {
    match s {
        "renewal" => Ok(Lifecycle::Renewal),
        "application_by_mail" => Ok(Lifecycle::ApplicationByMail),
        "application_on_site" => Ok(Lifecycle::ApplicationOnSite),
        other => Err(StorageError::Corrupt(format!("lifecycle {other:?}"))),
    }
}

fn status_from_db(s: &str) -> StorageResult<StatusV1> {
    StatusV1::parse(s).ok_or_else(|| StorageError::Corrupt(format!("status {s:?}")))
}

fn attachment_rows(conn: &Connection, number: &str) -> StorageResult<Vec<AttachmentStatusV1>> {
    let mut select = conn.prepare_cached(
        "SELECT position, size, sha256, received, complete FROM attachments
         WHERE number = ?1 ORDER BY position",
    )?;
    let rows = select.query_map([number], |row| {
        Ok((
            row.get::<_, u32>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, bool>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (position, size, sha256, received, complete) = row?;
        out.push(AttachmentStatusV1 {
            position,
            size: to_u64(size)?,
            received: to_u64(received)?,
            complete,
            sha256: complete.then_some(sha256),
        });
    }
    Ok(out)
}

fn record(conn: &Connection, number: &str) -> StorageResult<Option<OrderRecordV1>> {
    let row: Option<(String, bool, i64)> = conn
        .query_row(
            "SELECT status, submitted, received_at FROM orders WHERE number = ?1",
            [number],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((status, submitted, received_at)) = row else {
        return Ok(None);
    };
    Ok(Some(OrderRecordV1 {
        number: number.to_owned(),
        status: status_from_db(&status)?,
        submitted,
        received_at: time_of(received_at)?,
        attachments: attachment_rows(conn, number)?,
    }))
}

fn push_feed(
    tx: &Transaction<'_>,
    number: &str,
    status: StatusV1,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO feed (number, status, reason, at) VALUES (?1, ?2, ?3, ?4)",
        params![number, status.as_str(), reason, nanos(now)?],
    )?;
    Ok(())
}

/// Every status change of an order, in the caller's transaction: the
/// order's status (and reason), and its feed entry, which its kiosk reads.
fn set_status(
    tx: &Transaction<'_>,
    number: &str,
    to: StatusV1,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> StorageResult<()> {
    tx.execute(
        "UPDATE orders SET status = ?2, reason = ?3 WHERE number = ?1",
        params![number, to.as_str(), reason],
    )?;
    push_feed(tx, number, to, reason, now)
}

/// Whether the order is 已取消 (unknown: not).
pub(crate) fn is_cancelled(conn: &Connection, number: &str) -> StorageResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM orders WHERE number = ?1 AND status = ?2)",
        params![number, StatusV1::Cancelled.as_str()],
        |row| row.get(0),
    )?)
}

/// Moves an order along as far as what the CA holds allows, each step with
/// its feed entry, in the caller's transaction (the payment's, the
/// approval's, the issuance's or the install report's):
/// - an application approved and paid (审核通过/待支付 with a paid payment,
///   submitted) is taken in hand: 正在受理;
/// - a renewal paid is 正在受理 (its kiosk installs it); once a certificate
///   was issued for it, 已制证; once its kiosk said the certificate is on the
///   key, 已完成;
/// - an application picked up at the hall, 已制证, is 已完成 once its kiosk
///   said the certificate and e-seals are on the blank key.
pub(crate) fn accept_if_paid(
    tx: &Transaction<'_>,
    number: &str,
    now: OffsetDateTime,
) -> StorageResult<()> {
    let row: Option<(String, String, bool, bool, bool, bool)> = tx
        .query_row(
            "SELECT lifecycle, status, submitted,
                    EXISTS (SELECT 1 FROM payments WHERE number = ?1 AND paid_at IS NOT NULL),
                    EXISTS (SELECT 1 FROM renewals WHERE number = ?1),
                    EXISTS (SELECT 1 FROM renewal_installs WHERE number = ?1)
             FROM orders WHERE number = ?1",
            [number],
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
    let Some((lifecycle, status, submitted, paid, issued, installed)) = row else {
        return Ok(());
    };
    let lifecycle = lifecycle_from_db(&lifecycle)?;
    let mut status = status_from_db(&status)?;
    loop {
        let next = match (lifecycle, status) {
            (Lifecycle::Renewal, StatusV1::AwaitingPayment) if paid => StatusV1::InProgress,
            (_, StatusV1::AwaitingPayment) if paid && submitted => StatusV1::InProgress,
            (Lifecycle::Renewal, StatusV1::InProgress) if issued => StatusV1::CertificateMade,
            (Lifecycle::Renewal | Lifecycle::ApplicationOnSite, StatusV1::CertificateMade)
                if installed =>
            {
                StatusV1::Completed
            }
            _ => return Ok(()),
        };
        set_status(tx, number, next, None, now)?;
        status = next;
    }
}

impl Storage for SqliteStorage {
    fn create_order(&self, order: &NewOrder<'_>) -> StorageResult<CreateOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let by_key: Option<(String, String)> = tx
            .query_row(
                "SELECT number, body_sha256 FROM orders WHERE idempotency_key = ?1",
                [order.idempotency_key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if let Some((number, body)) = by_key {
            if number != order.number || body != order.body_sha256 {
                return Ok(CreateOutcome::KeyReused);
            }
            let existing = record(&tx, &number)?
                .ok_or_else(|| StorageError::Corrupt(format!("order {number} vanished")))?;
            return Ok(CreateOutcome::Existing(existing));
        }
        let taken: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM orders WHERE number = ?1",
                [order.number],
                |row| row.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Ok(CreateOutcome::NumberTaken);
        }
        let at = nanos(order.now)?;
        let status = StatusV1::from(initial_status(order.lifecycle));
        tx.execute(
            "INSERT INTO orders (number, idempotency_key, body_sha256, document, lifecycle, status, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                order.number,
                order.idempotency_key,
                order.body_sha256,
                order.document_json,
                lifecycle_to_db(order.lifecycle),
                status.as_str(),
                at
            ],
        )?;
        tx.execute(
            "INSERT INTO creations (idempotency_key, number, at) VALUES (?1, ?2, ?3)",
            params![order.idempotency_key, order.number, at],
        )?;
        for meta in order.attachments {
            tx.execute(
                "INSERT INTO attachments (number, position, size, sha256) VALUES (?1, ?2, ?3, ?4)",
                params![order.number, meta.position, to_i64(meta.size)?, meta.sha256],
            )?;
        }
        let created = record(&tx, order.number)?
            .ok_or_else(|| StorageError::Corrupt("order not stored".to_owned()))?;
        tx.commit()?;
        Ok(CreateOutcome::Created(created))
    }

    fn order(&self, number: &str) -> StorageResult<Option<OrderRecordV1>> {
        let conn = self.lock()?;
        record(&conn, number)
    }

    fn order_document(&self, number: &str) -> StorageResult<Option<String>> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT document FROM orders WHERE number = ?1",
                [number],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn lifecycle(&self, number: &str) -> StorageResult<Option<Lifecycle>> {
        let conn = self.lock()?;
        let name: Option<String> = conn
            .query_row(
                "SELECT lifecycle FROM orders WHERE number = ?1",
                [number],
                |row| row.get(0),
            )
            .optional()?;
        name.as_deref().map(lifecycle_from_db).transpose()
    }

    fn order_reason(&self, number: &str) -> StorageResult<Option<String>> {
        let conn = self.lock()?;
        let reason: Option<Option<String>> = conn
            .query_row(
                "SELECT reason FROM orders WHERE number = ?1",
                [number],
                |row| row.get(0),
            )
            .optional()?;
        Ok(reason.flatten())
    }

    fn order_amount_fen(&self, number: &str) -> StorageResult<Option<i64>> {
        let conn = self.lock()?;
        let document: Option<String> = conn
            .query_row(
                "SELECT document FROM orders WHERE number = ?1",
                [number],
                |row| row.get(0),
            )
            .optional()?;
        document
            .map(|d| {
                serde_json::from_str::<kiosk_sync_wire::order::OrderV1>(&d)
                    .map(|o| o.amount_fen)
                    .map_err(|e| StorageError::Corrupt(format!("order document: {e}")))
            })
            .transpose()
    }

    fn attachment(&self, number: &str, position: u32) -> StorageResult<Option<AttachmentStatusV1>> {
        let conn = self.lock()?;
        Ok(attachment_rows(&conn, number)?
            .into_iter()
            .find(|a| a.position == position))
    }

    fn append(
        &self,
        number: &str,
        position: u32,
        offset: u64,
        declared_sha256: &str,
        bytes: &[u8],
    ) -> StorageResult<Option<AppendOutcome>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(i64, String, i64, bool)> = tx
            .query_row(
                "SELECT size, sha256, received, complete FROM attachments
                 WHERE number = ?1 AND position = ?2",
                params![number, position],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let Some((size, expected, received, complete)) = row else {
            return Ok(None);
        };
        if declared_sha256 != expected {
            return Ok(Some(AppendOutcome::DigestConflict));
        }
        let (size, received) = (to_u64(size)?, to_u64(received)?);
        if offset != received {
            return Ok(Some(AppendOutcome::OffsetMismatch(received)));
        }
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let end = received.saturating_add(len);
        if end > size {
            return Ok(Some(AppendOutcome::TooLarge));
        }
        if !bytes.is_empty() && !complete {
            tx.execute(
                "INSERT INTO chunks (number, position, start, data) VALUES (?1, ?2, ?3, ?4)",
                params![number, position, to_i64(received)?, bytes],
            )?;
            tx.execute(
                "UPDATE attachments SET received = ?3 WHERE number = ?1 AND position = ?2",
                params![number, position, to_i64(end)?],
            )?;
        }
        if end == size && !complete {
            let mut hasher = Sha256::new();
            {
                let mut select = tx.prepare_cached(
                    "SELECT data FROM chunks WHERE number = ?1 AND position = ?2 ORDER BY start",
                )?;
                let mut rows = select.query(params![number, position])?;
                while let Some(row) = rows.next()? {
                    hasher.update(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
                }
            }
            let actual = kiosk_sync_wire::hex::encode(&hasher.finalize());
            if actual != expected {
                tx.execute(
                    "DELETE FROM chunks WHERE number = ?1 AND position = ?2",
                    params![number, position],
                )?;
                tx.execute(
                    "UPDATE attachments SET received = 0 WHERE number = ?1 AND position = ?2",
                    params![number, position],
                )?;
                tx.commit()?;
                return Ok(Some(AppendOutcome::DigestMismatch));
            }
            tx.execute(
                "UPDATE attachments SET complete = 1 WHERE number = ?1 AND position = ?2",
                params![number, position],
            )?;
        }
        let status = attachment_rows(&tx, number)?
            .into_iter()
            .find(|a| a.position == position)
            .ok_or_else(|| StorageError::Corrupt("attachment vanished".to_owned()))?;
        tx.commit()?;
        Ok(Some(AppendOutcome::Appended(status)))
    }

    fn submit(&self, number: &str, now: OffsetDateTime) -> StorageResult<Option<SubmitOutcome>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(current) = record(&tx, number)? else {
            return Ok(None);
        };
        if current.submitted {
            return Ok(Some(SubmitOutcome::Submitted(current)));
        }
        if current.attachments.iter().any(|a| !a.complete) {
            return Ok(Some(SubmitOutcome::Incomplete));
        }
        tx.execute(
            "UPDATE orders SET submitted = 1 WHERE number = ?1",
            [number],
        )?;
        push_feed(&tx, number, current.status, None, now)?;
        accept_if_paid(&tx, number, now)?;
        let done = record(&tx, number)?
            .ok_or_else(|| StorageError::Corrupt("order vanished".to_owned()))?;
        tx.commit()?;
        Ok(Some(SubmitOutcome::Submitted(done)))
    }

    fn transition(
        &self,
        number: &str,
        to: StatusV1,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StorageResult<Option<TransitionOutcome>> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String, bool)> = tx
            .query_row(
                "SELECT lifecycle, status, submitted FROM orders WHERE number = ?1",
                [number],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((lifecycle, from, submitted)) = row else {
            return Ok(None);
        };
        let lifecycle = lifecycle_from_db(&lifecycle)?;
        let from = OrderStatus::from(status_from_db(&from)?);
        if !submitted || !is_allowed(lifecycle, from, OrderStatus::from(to)) {
            return Ok(Some(TransitionOutcome::Illegal));
        }
        set_status(&tx, number, to, reason, now)?;
        accept_if_paid(&tx, number, now)?;
        let done = record(&tx, number)?
            .ok_or_else(|| StorageError::Corrupt("order vanished".to_owned()))?;
        tx.commit()?;
        Ok(Some(TransitionOutcome::Done(done)))
    }

    fn cancel_order(&self, number: &str, now: OffsetDateTime) -> StorageResult<CancelOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String)> = tx
            .query_row(
                "SELECT lifecycle, status FROM orders WHERE number = ?1",
                [number],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((lifecycle, from)) = row else {
            return Ok(CancelOutcome::Unknown);
        };
        if let Some(paid) = payments::paid_of(&tx, number)? {
            return Ok(CancelOutcome::Paid(paid));
        }
        let lifecycle = lifecycle_from_db(&lifecycle)?;
        let from = status_from_db(&from)?;
        let again = from == StatusV1::Cancelled;
        if !again {
            // Submitted or not: staff withdraw what the kiosk sent so far.
            if !is_allowed(lifecycle, OrderStatus::from(from), OrderStatus::Cancelled) {
                return Ok(CancelOutcome::Illegal(from));
            }
            set_status(&tx, number, StatusV1::Cancelled, None, now)?;
            payments::expire_open(&tx, number, now)?;
        }
        let order = record(&tx, number)?
            .ok_or_else(|| StorageError::Corrupt("order vanished".to_owned()))?;
        tx.commit()?;
        Ok(CancelOutcome::Cancelled { order, again })
    }

    fn feed(
        &self,
        cursor: u64,
        limit: u32,
        kiosk: Option<&str>,
    ) -> StorageResult<Vec<FeedEntryV1>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(
            "SELECT seq, number, status, reason, at FROM feed \
             WHERE seq > ?1 AND (?3 IS NULL OR substr(number, 1, 3) = ?3) \
             ORDER BY seq LIMIT ?2",
        )?;
        let rows = select.query_map(params![to_i64(cursor)?, limit, kiosk], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, number, status, reason, at) = row?;
            out.push(FeedEntryV1 {
                seq: to_u64(seq)?,
                number,
                status: status_from_db(&status)?,
                reason,
                at: time_of(at)?,
            });
        }
        Ok(out)
    }

    fn renewal(&self, number: &str, attempt: u32) -> StorageResult<Option<StoredRenewal>> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT request_sha256, certificate FROM renewals WHERE number = ?1 AND attempt = ?2",
                params![number, attempt],
                |row| {
                    Ok(StoredRenewal {
                        request_sha256: row.get(0)?,
                        certificate_der: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn insert_renewal(
        &self,
        number: &str,
        attempt: u32,
        renewal: &StoredRenewal,
        now: OffsetDateTime,
    ) -> StorageResult<StoredRenewal> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR IGNORE INTO renewals (number, attempt, request_sha256, certificate, issued_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                number,
                attempt,
                renewal.request_sha256,
                renewal.certificate_der,
                nanos(now)?
            ],
        )?;
        if tx.changes() == 1 {
            // A new attempt supersedes the order's others, for good: one
            // paid order, one valid certificate.
            tx.execute(
                "INSERT OR IGNORE INTO revocations (number, attempt, revoked_at)
                 SELECT number, attempt, ?3 FROM renewals WHERE number = ?1 AND attempt != ?2",
                params![number, attempt, nanos(now)?],
            )?;
        }
        let kept = tx.query_row(
            "SELECT request_sha256, certificate FROM renewals WHERE number = ?1 AND attempt = ?2",
            params![number, attempt],
            |row| {
                Ok(StoredRenewal {
                    request_sha256: row.get(0)?,
                    certificate_der: row.get(1)?,
                })
            },
        )?;
        accept_if_paid(&tx, number, now)?;
        tx.commit()?;
        Ok(kept)
    }

    fn issued_attempt(&self, number: &str) -> StorageResult<Option<u32>> {
        let conn = self.lock()?;
        Ok(conn.query_row(
            "SELECT MAX(attempt) FROM renewals WHERE number = ?1",
            [number],
            |row| row.get(0),
        )?)
    }

    fn superseded_certificates(&self) -> StorageResult<Vec<(Vec<u8>, OffsetDateTime)>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(
            "SELECT r.certificate, v.revoked_at
             FROM revocations v JOIN renewals r ON r.number = v.number AND r.attempt = v.attempt
             ORDER BY v.revoked_at, v.number, v.attempt",
        )?;
        let rows = select.query_map([], |row| {
            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (der, at) = row?;
            out.push((der, time_of(at)?));
        }
        Ok(out)
    }

    fn renewed_by_another(&self, serial_hex: &str, number: &str) -> StorageResult<bool> {
        let conn = self.lock()?;
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM orders o
                 WHERE o.lifecycle = 'renewal' AND o.number != ?2
                   AND ltrim(upper(json_extract(o.document, '$.details.certificate_serial_hex')), '0') = ?1
                   AND EXISTS (SELECT 1 FROM renewals r WHERE r.number = o.number))",
            params![serial_hex, number],
            |row| row.get(0),
        )?)
    }

    fn open_renewals(&self, serial_hex: &str) -> StorageResult<Vec<String>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(
            "SELECT number FROM orders
             WHERE lifecycle = 'renewal' AND status IN (?2, ?3)
               AND ltrim(upper(json_extract(document, '$.details.certificate_serial_hex')), '0') = ?1
             ORDER BY received_at DESC, number DESC",
        )?;
        let rows = select.query_map(
            params![
                serial_hex,
                StatusV1::InProgress.as_str(),
                StatusV1::CertificateMade.as_str()
            ],
            |row| row.get(0),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn installed_on_key(
        &self,
        number: &str,
        attempt: u32,
        now: OffsetDateTime,
    ) -> StorageResult<InstallOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let lifecycle: Option<String> = tx
            .query_row(
                "SELECT lifecycle FROM orders WHERE number = ?1",
                [number],
                |row| row.get(0),
            )
            .optional()?;
        match lifecycle.as_deref().map(lifecycle_from_db).transpose()? {
            Some(Lifecycle::Renewal | Lifecycle::ApplicationOnSite) => {}
            _ => return Ok(InstallOutcome::Unknown),
        }
        let issued: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM renewals WHERE number = ?1 AND attempt = ?2)",
            params![number, attempt],
            |row| row.get(0),
        )?;
        if !issued {
            return Ok(InstallOutcome::NotIssued);
        }
        tx.execute(
            "INSERT OR IGNORE INTO renewal_installs (number, attempt, installed_at)
             VALUES (?1, ?2, ?3)",
            params![number, attempt, nanos(now)?],
        )?;
        accept_if_paid(&tx, number, now)?;
        let done = record(&tx, number)?
            .ok_or_else(|| StorageError::Corrupt("order vanished".to_owned()))?;
        tx.commit()?;
        Ok(InstallOutcome::Recorded(done))
    }

    fn orders(&self, limit: u32) -> StorageResult<Vec<OrderSummary>> {
        let conn = self.lock()?;
        let mut select = conn.prepare_cached(
            "SELECT number, lifecycle, status, submitted, received_at, reason FROM orders
             ORDER BY received_at DESC LIMIT ?1",
        )?;
        let rows = select.query_map([limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (number, lifecycle, status, submitted, received_at, reason) = row?;
            out.push(OrderSummary {
                number,
                lifecycle: lifecycle_from_db(&lifecycle)?,
                status: status_from_db(&status)?,
                submitted,
                received_at: time_of(received_at)?,
                reason,
            });
        }
        Ok(out)
    }

    fn creations(&self, idempotency_key: &str) -> StorageResult<u64> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM creations WHERE idempotency_key = ?1",
            [idempotency_key],
            |row| row.get(0),
        )?;
        to_u64(n)
    }

    fn order_count(&self) -> StorageResult<u64> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row("SELECT count(*) FROM orders", [], |row| row.get(0))?;
        to_u64(n)
    }

    fn attachment_bytes(&self, number: &str, position: u32) -> StorageResult<Option<Vec<u8>>> {
        let conn = self.lock()?;
        let known: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM attachments WHERE number = ?1 AND position = ?2",
                params![number, position],
                |row| row.get(0),
            )
            .optional()?;
        if known.is_none() {
            return Ok(None);
        }
        let mut select = conn.prepare_cached(
            "SELECT data FROM chunks WHERE number = ?1 AND position = ?2 ORDER BY start",
        )?;
        let mut rows = select.query(params![number, position])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.extend_from_slice(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn a_database_from_before_versioning_is_migrated_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.sqlite");
        {
            // What the first release left: its tables, version 0.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
        }
        let storage = SqliteStorage::open(&path).unwrap();
        {
            let conn = storage.lock().unwrap();
            let version: usize = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .unwrap();
            assert_eq!(version, MIGRATIONS.len());
            let tables: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'
                     AND name IN ('payments', 'remittances', 'sms_codes', 'invoices')",
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(tables, 4);
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        drop(storage);
        assert!(matches!(
            SqliteStorage::open(&path),
            Err(StorageError::Corrupt(_))
        ));
    }
}
