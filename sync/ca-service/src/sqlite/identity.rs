//! The identity simulator's reference photos in SQLite.

use super::{SqliteStorage, nanos};
use crate::storage::{IdentityStorage, StorageResult};
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

/// Migration 8 (the eighth of `MIGRATIONS`).
pub(super) const SCHEMA: &str = "
CREATE TABLE identity_references (
    resident_id TEXT PRIMARY KEY,
    photo BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
";

impl IdentityStorage for SqliteStorage {
    fn identity_reference(&self, resident_id: &str) -> StorageResult<Option<Vec<u8>>> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT photo FROM identity_references WHERE resident_id = ?1",
                [resident_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn put_identity_reference(
        &self,
        resident_id: &str,
        photo: &[u8],
        now: OffsetDateTime,
    ) -> StorageResult<()> {
        self.lock()?.execute(
            "INSERT INTO identity_references (resident_id, photo, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (resident_id) DO UPDATE SET photo = ?2, updated_at = ?3",
            params![resident_id, photo, nanos(now)?],
        )?;
        Ok(())
    }
}
