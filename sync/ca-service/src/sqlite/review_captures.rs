//! The photographs of mobile review requests in SQLite.

use super::{SqliteStorage, nanos, time_of, to_u64};
use crate::storage::{
    CaptureKind, NewReviewCapture, PutCaptureOutcome, ReviewCaptureStorage, StorageResult,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

/// Migration 14. One row per (uploading kiosk, SHA-256): the same bytes
/// from two kiosks are two captures, each its kiosk's. A review request
/// names its kiosk (`kiosk`, none for requests made before) and its
/// captures as `sha256:<hex>`; the indexes serve the question "does a
/// request name this capture?".
pub(super) const SCHEMA: &str = "
CREATE TABLE review_captures (
    kiosk TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_at INTEGER NOT NULL,
    PRIMARY KEY (kiosk, sha256)
);
CREATE INDEX review_captures_by_time ON review_captures (uploaded_at);
ALTER TABLE mobile_reviews ADD COLUMN kiosk TEXT;
CREATE INDEX mobile_reviews_by_licence ON mobile_reviews (kiosk, licence_capture);
CREATE INDEX mobile_reviews_by_id ON mobile_reviews (kiosk, id_capture);
";

/// SQL true for a row `c` of `review_captures` that no review request names.
const UNREFERENCED: &str = "NOT EXISTS (SELECT 1 FROM mobile_reviews r
     WHERE r.kiosk = c.kiosk
       AND (r.licence_capture = 'sha256:' || c.sha256 OR r.id_capture = 'sha256:' || c.sha256))";

/// Removes the captures no request names that were uploaded before `since`.
pub(super) fn prune(conn: &Connection, since: OffsetDateTime) -> StorageResult<usize> {
    Ok(conn.execute(
        &format!("DELETE FROM review_captures AS c WHERE c.uploaded_at < ?1 AND {UNREFERENCED}"),
        [nanos(since)?],
    )?)
}

/// Whether `kiosk` holds the capture with this SHA-256 (after [`prune`]).
pub(super) fn holds(conn: &Connection, kiosk: &str, sha256: &str) -> StorageResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM review_captures WHERE kiosk = ?1 AND sha256 = ?2)",
        params![kiosk, sha256],
        |row| row.get(0),
    )?)
}

impl ReviewCaptureStorage for SqliteStorage {
    fn put_review_capture(&self, c: &NewReviewCapture<'_>) -> StorageResult<PutCaptureOutcome> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        prune(&tx, c.unreferenced_since)?;
        if holds(&tx, c.kiosk, c.sha256)? {
            return Ok(PutCaptureOutcome::Existing);
        }
        let (unreferenced, oldest): (i64, Option<i64>) = tx.query_row(
            &format!(
                "SELECT count(*), min(c.uploaded_at) FROM review_captures AS c
                 WHERE c.kiosk = ?1 AND {UNREFERENCED}"
            ),
            [c.kiosk],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        if to_u64(unreferenced)? >= u64::from(c.max_unreferenced) {
            // The removal above is kept: it is due whatever happens here.
            tx.commit()?;
            return Ok(PutCaptureOutcome::TooMany {
                oldest: oldest.map_or(Ok(c.now), time_of)?,
            });
        }
        tx.execute(
            "INSERT INTO review_captures (kiosk, sha256, data, uploaded_at) VALUES (?1, ?2, ?3, ?4)",
            params![c.kiosk, c.sha256, c.bytes, nanos(c.now)?],
        )?;
        tx.commit()?;
        Ok(PutCaptureOutcome::Stored)
    }

    fn mobile_review_capture(&self, id: &str, kind: CaptureKind) -> StorageResult<Option<Vec<u8>>> {
        let column = match kind {
            CaptureKind::Licence => "licence_capture",
            CaptureKind::Id => "id_capture",
        };
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                &format!(
                    "SELECT c.data FROM mobile_reviews r JOIN review_captures c
                     ON c.kiosk = r.kiosk AND r.{column} = 'sha256:' || c.sha256
                     WHERE r.id = ?1"
                ),
                [id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn review_capture(&self, kiosk: &str, sha256: &str) -> StorageResult<Option<Vec<u8>>> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT data FROM review_captures WHERE kiosk = ?1 AND sha256 = ?2",
                params![kiosk, sha256],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn review_capture_count(&self) -> StorageResult<u64> {
        let conn = self.lock()?;
        let n: i64 =
            conn.query_row("SELECT count(*) FROM review_captures", [], |row| row.get(0))?;
        to_u64(n)
    }
}
