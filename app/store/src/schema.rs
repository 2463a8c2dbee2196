//! The database schema as numbered migrations.
//!
//! Step `n` (1-based) of [`MIGRATIONS`] takes a database from version `n - 1`
//! to `n`. Each step runs in its own transaction together with the
//! `PRAGMA user_version` update, so a power cut leaves the database at one
//! version or the next, never in between. Steps are never edited once
//! released; a change is a new step.
//!
//! Column rules: only non-personal data is in clear. Everything personal is in
//! a `sealed` or `payload` blob (see `crypto.rs`), or a keyed tag.

use crate::error::StoreError;
use rusqlite::{Connection, TransactionBehavior};

const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r"
    -- Facts about the database itself (the master key check value).
    CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;

    -- The next sequence number per kiosk and local day. Never reset or
    -- deleted, so a number is never handed out twice.
    CREATE TABLE order_counters (
        kiosk    TEXT NOT NULL,
        day      TEXT NOT NULL,   -- the kiosk's local date, YYYY-MM-DD
        next_seq INTEGER NOT NULL CHECK (next_seq >= 0),
        PRIMARY KEY (kiosk, day)
    ) STRICT;

    -- Times are Unix nanoseconds, UTC.
    CREATE TABLE orders (
        number         TEXT PRIMARY KEY,
        kind           TEXT NOT NULL CHECK (kind IN ('renewal', 'application')),
        status         TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        amount_fen     INTEGER NOT NULL,
        client_key     TEXT NOT NULL UNIQUE,   -- the session's idempotency key
        mobile_tag     BLOB,                   -- HMAC of the contact mobile
        renewal_of_tag BLOB,                   -- HMAC of the renewed certificate's serial
        payload        BLOB,                   -- the Order, sealed with the order's key
        acked_at       INTEGER,
        purged_at      INTEGER,
        CHECK ((payload IS NULL) = (purged_at IS NOT NULL))
    ) STRICT;
    CREATE INDEX orders_renewal_of ON orders (renewal_of_tag, created_at)
        WHERE renewal_of_tag IS NOT NULL;
    CREATE INDEX orders_unpurged ON orders (created_at) WHERE purged_at IS NULL;

    -- Each order's data key, wrapped under the master key. Deleting the row
    -- makes every copy of the order's blobs unreadable (crypto-shredding).
    CREATE TABLE order_keys (
        number  TEXT PRIMARY KEY REFERENCES orders (number),
        wrapped BLOB NOT NULL
    ) STRICT;

    CREATE TABLE attachments (
        number     TEXT NOT NULL REFERENCES orders (number),
        position   INTEGER NOT NULL CHECK (position >= 0),
        kind       TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size       INTEGER NOT NULL,
        sha256_hex TEXT NOT NULL,             -- of the plaintext
        sealed     BLOB NOT NULL,
        PRIMARY KEY (number, position)
    ) STRICT;

    -- One upload per order; its idempotency key (128 random bits, hex) lets
    -- the CA recognise a repeated upload.
    CREATE TABLE outbox (
        number          TEXT PRIMARY KEY REFERENCES orders (number),
        idempotency_key TEXT NOT NULL UNIQUE,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_error      TEXT,                 -- an error code, never personal data
        acked_at        INTEGER
    ) STRICT;
    CREATE INDEX outbox_pending ON outbox (created_at, number) WHERE acked_at IS NULL;

    -- Captures taken before an application is submitted, one per kind.
    CREATE TABLE captures (
        session    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size       INTEGER NOT NULL,
        sha256_hex TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        sealed     BLOB NOT NULL,
        PRIMARY KEY (session, kind)
    ) STRICT;
    CREATE INDEX captures_created ON captures (created_at);

    -- The last saved state of each flow, sealed; `session` lets a session's
    -- wipe find it.
    CREATE TABLE flow_state (
        flow    TEXT PRIMARY KEY,
        session TEXT,
        format  INTEGER NOT NULL CHECK (format >= 0),
        sealed  BLOB NOT NULL
    ) STRICT;
    CREATE INDEX flow_state_session ON flow_state (session) WHERE session IS NOT NULL;
    ",
    // 2: how far the CA's status feed has been applied.
    "
    CREATE TABLE feed_cursor (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        cursor INTEGER NOT NULL CHECK (cursor >= 0)
    ) STRICT;
    INSERT INTO feed_cursor (id, cursor) VALUES (1, 0);
    ",
    // 3: the certificates the CA issued for renewal attempts, kept until
    // they are on the customer's key (certificates are public: in clear).
    "
    CREATE TABLE issued_certificates (
        number  TEXT NOT NULL REFERENCES orders (number),
        attempt INTEGER NOT NULL CHECK (attempt >= 1),
        der     BLOB NOT NULL,
        PRIMARY KEY (number, attempt)
    ) STRICT;
    ",
    // 4: the CA's price list and agreement as last fetched (public: in
    // clear), used while the CA cannot be reached.
    "
    CREATE TABLE catalogue (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        json TEXT NOT NULL
    ) STRICT;
    ",
    // 5: when the CA's status feed was last read through, so 查询订单
    // offline can say how old the kiosk's copy of a status is.
    "
    ALTER TABLE feed_cursor ADD COLUMN heard_at INTEGER;
    ",
    // 6: the audit log, a hash chain of what staff and technicians did
    // (no personal data: in clear). Append-only for the software; an entry
    // changed or removed by other means breaks the chain (`audit.rs`).
    "
    CREATE TABLE audit_log (
        seq   INTEGER PRIMARY KEY CHECK (seq >= 1),
        entry TEXT NOT NULL,
        prev  BLOB NOT NULL CHECK (length(prev) = 32),
        hash  BLOB NOT NULL CHECK (length(hash) = 32)
    ) STRICT;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    ",
    // 7: an audit entry written by a flow's effect carries the effect's
    // key (session and step), so that the effect run again after a power
    // cut finds it instead of writing it twice. Outside the hash chain:
    // it says nothing about what was done.
    "
    ALTER TABLE audit_log ADD COLUMN effect_key TEXT;
    CREATE UNIQUE INDEX audit_log_effect_key ON audit_log (effect_key)
        WHERE effect_key IS NOT NULL;
    ",
];

/// The schema version this software writes and reads: the number of steps.
pub const SCHEMA_VERSION: u32 = 7;

// Adding a step without raising the version (or the reverse) fails the build.
const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// The database's schema version.
pub(crate) fn version(conn: &Connection) -> Result<u32, StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    u32::try_from(version).map_err(|_| StoreError::corrupt(format!("user_version {version}")))
}

/// Brings the database up to [`SCHEMA_VERSION`], one step per transaction.
/// Refuses a database from newer software rather than guessing at it.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    loop {
        // Read inside the write transaction, so two processes opening a new
        // database at once cannot both apply the same step.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(step) = usize::try_from(current)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return Ok(current);
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(version = current + 1, "applied schema migration");
    }
}
