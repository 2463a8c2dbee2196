//! Captures taken during an application, before its order exists.
//!
//! They are committed as soon as they are taken, so a power cut between a
//! capture and the submission loses nothing; the flow state refers to them by
//! [`CaptureRef`]. One capture per (session, kind): taking it again replaces
//! it. They are sealed under the capture key derived from the master key, and
//! leave with [`Store::discard_capture`], [`Store::wipe_session`], or the
//! retention purge.

use crate::attachments::checked;
use crate::codec::{
    attachment_kind_to_db, count_to_db, media_type_to_db, session_to_db, time_to_db,
};
use crate::crypto;
use crate::error::StoreError;
use crate::open::checkpoint;
use crate::{Result, Store};
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::CaptureRef;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

fn aad<'a>(session: &'a str, kind: &'a str, mime: &'a str) -> [&'a [u8]; 4] {
    [
        b"capture",
        session.as_bytes(),
        kind.as_bytes(),
        mime.as_bytes(),
    ]
}

impl Store {
    /// Stores a capture of `session` durably, replacing an earlier one of the
    /// same kind. `now` dates it for the retention purge.
    pub fn put_capture(
        &mut self,
        session: SessionId,
        attachment: &Attachment,
        now: OffsetDateTime,
    ) -> Result<CaptureRef> {
        let session_db = session_to_db(session);
        let kind = attachment_kind_to_db(attachment.kind());
        let mime = media_type_to_db(attachment.media_type());
        let bytes = attachment.bytes();
        let sealed = crypto::seal(&self.keys.capture, bytes, &aad(&session_db, &kind, mime))
            .map_err(|e| e.sealing(|| format!("a {kind} capture")))?;
        let sha256_hex = crypto::sha256_hex(bytes);
        self.conn.execute(
            "INSERT INTO captures (session, kind, media_type, size, sha256_hex, created_at, sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (session, kind) DO UPDATE SET
                 media_type = excluded.media_type, size = excluded.size,
                 sha256_hex = excluded.sha256_hex, created_at = excluded.created_at,
                 sealed = excluded.sealed",
            params![
                session_db,
                kind,
                mime,
                count_to_db(bytes.len())?,
                sha256_hex,
                time_to_db(now)?,
                sealed,
            ],
        )?;
        tracing::debug!(kind = %kind, "capture stored");
        Ok(CaptureRef {
            kind: attachment.kind(),
            media_type: attachment.media_type(),
            // Attachments are at most 1 MB (checked by the domain type).
            size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            sha256_hex,
        })
    }

    /// The capture of this kind taken in `session`, checked against its SHA-256.
    pub fn capture(&self, session: SessionId, kind: AttachmentKind) -> Result<Option<Attachment>> {
        let session_db = session_to_db(session);
        let kind_db = attachment_kind_to_db(kind);
        let row: Option<(String, i64, String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT media_type, size, sha256_hex, sealed FROM captures WHERE session = ?1 AND kind = ?2",
                params![session_db, kind_db],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let Some((mime, size, sha256_hex, sealed)) = row else {
            return Ok(None);
        };
        let what = || format!("the {kind_db} capture");
        let mut bytes = crypto::open(
            &self.keys.capture,
            &sealed,
            &aad(&session_db, &kind_db, &mime),
        )
        .map_err(|_| StoreError::Decrypt { what: what() })?;
        let bytes = std::mem::take(&mut *bytes);
        checked(bytes, &kind_db, &mime, size, &sha256_hex, &what).map(Some)
    }

    /// Deletes one capture (e.g. a face whose upload the customer refused),
    /// and truncates the log so its pages do not linger there. Returns
    /// whether there was one.
    pub fn discard_capture(&mut self, session: SessionId, kind: AttachmentKind) -> Result<bool> {
        let deleted = self.conn.execute(
            "DELETE FROM captures WHERE session = ?1 AND kind = ?2",
            params![session_to_db(session), attachment_kind_to_db(kind)],
        )?;
        if deleted > 0 {
            checkpoint(&self.conn)?;
        }
        Ok(deleted > 0)
    }

    /// Forgets a session: all its captures and any flow state saved for it.
    pub fn wipe_session(&mut self, session: SessionId) -> Result<()> {
        let session_db = session_to_db(session);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let captures = tx.execute("DELETE FROM captures WHERE session = ?1", [&session_db])?;
        let states = tx.execute("DELETE FROM flow_state WHERE session = ?1", [&session_db])?;
        tx.commit()?;
        if captures + states > 0 {
            checkpoint(&self.conn)?;
        }
        tracing::debug!(captures, states, "session wiped");
        Ok(())
    }
}
