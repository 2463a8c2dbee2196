//! Opening the store: the database file, its pragmas, its schema, and the
//! master key that goes with it.

use crate::crypto::Keys;
use crate::error::StoreError;
use crate::{Result, Store, keyfile, schema};
use rusqlite::{Connection, OptionalExtension, params};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// How long a statement waits for another connection's write lock (a
/// diagnostic tool reading the database) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The `meta` row that holds the master key check value.
const KEY_CHECK: &str = "key_check";

impl Store {
    /// Opens (or creates) the store at `db_path` with the master key at
    /// `key_path`, bringing the schema up to date.
    ///
    /// A missing key file is created only for a database that has never been
    /// written with a key. A key file of the wrong size, a missing key for a
    /// database that has one, or a different key are errors that leave both
    /// files untouched.
    pub fn open(db_path: &Path, key_path: &Path) -> Result<Store> {
        refuse_key_among_database_files(db_path, key_path)?;
        if let Some(dir) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(StoreError::io("create the database directory", dir))?;
        }
        let existed = db_path.exists();
        let mut conn = Connection::open(db_path)?;
        configure(&conn)?;
        let version = schema::migrate(&mut conn)?;
        if !existed {
            // Make the new database's directory entry durable too.
            if let Some(dir) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
                keyfile::sync_dir(dir)?;
            }
        }
        let keys = load_keys(&conn, key_path)?;
        tracing::info!(path = %db_path.display(), version, "store opened");
        Ok(Store {
            conn,
            path: db_path.to_owned(),
            keys,
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        schema::version(&self.conn)
    }

    /// Copies everything in the write-ahead log into the database file and
    /// truncates the log to zero bytes, so that pages written before a delete
    /// do not linger in the log. Returns whether the checkpoint was complete
    /// (a concurrent reader can hold it back).
    pub fn checkpoint(&mut self) -> Result<bool> {
        checkpoint(&self.conn)
    }
}

pub(crate) fn checkpoint(conn: &Connection) -> Result<bool> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    if busy != 0 {
        tracing::warn!("checkpoint held back by another connection; the log is not yet truncated");
    }
    Ok(busy == 0)
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NotWal { mode });
    }
    // FULL: a commit is on disk when it returns, so a receipt is never
    // printed for an order a power cut can take back.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted content is overwritten with zeros rather than left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    Ok(())
}

/// The key must not be stored as one of the database's files, or deleting
/// the database (or copying it off the kiosk) would take the key along.
fn refuse_key_among_database_files(db_path: &Path, key_path: &Path) -> Result<()> {
    let mut names = vec![db_path.as_os_str().to_owned()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = OsString::from(db_path.as_os_str());
        name.push(suffix);
        names.push(name);
    }
    if names.iter().any(|n| Path::new(n) == key_path) {
        return Err(StoreError::KeyInsideDatabase {
            path: key_path.to_owned(),
        });
    }
    Ok(())
}

/// Reads (or, for a database never written with a key, creates) the master
/// key, and checks it is the one the database was written with.
fn load_keys(conn: &Connection, key_path: &Path) -> Result<Keys> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = ?1",
            [KEY_CHECK],
            |row| row.get(0),
        )
        .optional()?;
    let master = match (keyfile::read(key_path)?, &stored) {
        (Some(key), _) => key,
        (None, Some(_)) => {
            return Err(StoreError::KeyMissing {
                path: key_path.to_owned(),
            });
        }
        (None, None) => match keyfile::create(key_path) {
            Ok(key) => key,
            // Another process created it between our read and our create.
            Err(e) => keyfile::read(key_path)?.ok_or(e)?,
        },
    };
    let keys = Keys::derive(&master);
    let recorded = match stored {
        Some(check) => check,
        None => {
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![KEY_CHECK, keys.check.as_slice()],
            )?;
            conn.query_row(
                "SELECT value FROM meta WHERE name = ?1",
                [KEY_CHECK],
                |row| row.get(0),
            )?
        }
    };
    if recorded.as_slice() != keys.check.as_slice() {
        return Err(StoreError::WrongKey {
            path: key_path.to_owned(),
        });
    }
    Ok(keys)
}
