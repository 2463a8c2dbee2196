//! Certificate holders' details in SQLite (one JSON document per serial).

use super::{SqliteStorage, nanos};
use crate::storage::{HolderStorage, StorageError, StorageResult};
use kiosk_sync_wire::holder::HolderV1;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

/// Migration 5.
pub(super) const SCHEMA: &str = "
CREATE TABLE holders (
    serial TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
";

impl HolderStorage for SqliteStorage {
    fn holder(&self, serial: &str) -> StorageResult<Option<HolderV1>> {
        let conn = self.lock()?;
        let document: Option<String> = conn
            .query_row(
                "SELECT document FROM holders WHERE serial = ?1",
                [serial],
                |row| row.get(0),
            )
            .optional()?;
        document
            .map(|d| {
                serde_json::from_str(&d)
                    .map_err(|e| StorageError::Corrupt(format!("holder {serial}: {e}")))
            })
            .transpose()
    }

    fn put_holder(
        &self,
        serial: &str,
        holder: &HolderV1,
        now: OffsetDateTime,
    ) -> StorageResult<()> {
        let document = serde_json::to_string(holder)
            .map_err(|e| StorageError::Corrupt(format!("holder {serial}: {e}")))?;
        self.lock()?.execute(
            "INSERT INTO holders (serial, document, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (serial) DO UPDATE SET document = ?2, updated_at = ?3",
            params![serial, document, nanos(now)?],
        )?;
        Ok(())
    }

    fn carry_holder(&self, from: &str, to: &str, now: OffsetDateTime) -> StorageResult<bool> {
        let copied = self.lock()?.execute(
            "INSERT OR IGNORE INTO holders (serial, document, updated_at)
             SELECT ?2, document, ?3 FROM holders WHERE serial = ?1",
            params![from, to, nanos(now)?],
        )?;
        Ok(copied > 0)
    }
}
