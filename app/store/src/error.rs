//! The store's one error type.
//!
//! Messages name orders by number and files by path, never by anything
//! personal, so they are safe to log.

use kiosk_domain::order_number::{OrderNumber, OrderNumberError};
use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory could not be created, read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An application was submitted with a capture that is not in the store
    /// (or is not the one the flow refers to).
    #[error("the {kind} capture of the session is missing or has changed")]
    CaptureMissing { kind: String },

    /// SQLite refused an operation.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// The database was written by a newer version of the kiosk software.
    #[error(
        "the database has schema version {found}, newer than this software supports \
         ({supported}); install the newer software instead of opening it with this one"
    )]
    SchemaTooNew { found: u32, supported: u32 },

    /// SQLite would not switch to write-ahead logging (e.g. on a network file system).
    #[error("the database could not be switched to WAL mode (journal mode is {mode:?})")]
    NotWal { mode: String },

    /// The master key file exists but is not exactly 32 bytes. It is never
    /// replaced: a new key would make everything stored unreadable.
    #[error(
        "the key file {path} is {found} bytes long, not 32; it was left untouched \
         (restore the kiosk's key file from its backup)"
    )]
    KeyFileSize { path: PathBuf, found: u64 },

    /// The database holds data sealed under a master key, but the key file is gone.
    #[error(
        "the key file {path} is missing, but the database was written with a key; \
         nothing was changed (restore the kiosk's key file from its backup)"
    )]
    KeyMissing { path: PathBuf },

    /// The key file does not hold the key the database was written with.
    #[error(
        "the key file {path} does not hold the key this database was written with; \
         nothing was changed"
    )]
    WrongKey { path: PathBuf },

    /// The key file would sit where the database's own files are.
    #[error("the key file {path} must not be one of the database's own files")]
    KeyInsideDatabase { path: PathBuf },

    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(getrandom::Error),

    /// Sealing failed (does not happen with valid keys; kept rather than panicking).
    #[error("encryption failed for {what}")]
    Encrypt { what: String },

    /// A stored blob failed authentication: changed on disk, moved from another
    /// order or field, or sealed under another key.
    #[error("{what} failed authentication: the stored data was altered or belongs elsewhere")]
    Decrypt { what: String },

    /// Decrypted attachment bytes do not match their recorded SHA-256.
    #[error("{what} does not match its recorded SHA-256")]
    Checksum { what: String },

    /// A clear column holds something this software never writes.
    #[error("the database is inconsistent: {what}")]
    Corrupt { what: String },

    /// A value could not be turned into JSON or back.
    #[error("cannot encode or decode {what}: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// An instant outside what the store can record (years 1678–2261).
    #[error("the time {0} is outside the range the store records")]
    TimeOutOfRange(time::OffsetDateTime),

    /// No order has this number.
    #[error("no order {0} in the store")]
    UnknownOrder(OrderNumber),

    /// The order's personal data was purged; only its summary remains.
    #[error("order {0} was purged; only its status remains")]
    Purged(OrderNumber),

    /// The order builder ignored the number it was given.
    #[error("the new order carries number {got}, but {allocated} was allocated for it")]
    NumberMismatch {
        allocated: OrderNumber,
        got: OrderNumber,
    },

    /// No further order number can be made (the day's numbers are used up,
    /// or the kiosk's date is impossible).
    #[error("no order number can be allocated: {0}")]
    OrderNumber(#[from] OrderNumberError),

    /// A saved flow state was written in a format other than the one asked for.
    #[error(
        "the saved state of flow {flow:?} has format {stored}, this software reads format \
         {expected}; it was not read"
    )]
    FlowStateFormat {
        flow: String,
        stored: u32,
        expected: u32,
    },
}

impl StoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        Self::Corrupt { what: what.into() }
    }
}
