//! An order's attachments, sealed with the order's data key.
//!
//! Each is bound to its order, position, kind and media type, so a blob moved
//! to another order or slot fails to open. The SHA-256 of the plaintext is
//! kept beside it and checked on every read, so what is uploaded is exactly
//! what was captured.

use crate::codec::{
    attachment_kind_from_db, attachment_kind_to_db, count_from_db, count_to_db, media_type_from_db,
    media_type_to_db,
};
use crate::crypto::{self, SecretKey};
use crate::error::StoreError;
use crate::orders::data_key;
use crate::{Result, Store};
use kiosk_domain::order::attachment::Attachment;
use kiosk_domain::order_number::OrderNumber;
use rusqlite::{Connection, params};

/// An attachment as stored with its order.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// Its place among the order's attachments, from 0, in the order given.
    pub position: u32,
    /// SHA-256 of the bytes, lower-case hex (checked when read).
    pub sha256_hex: String,
    pub attachment: Attachment,
}

impl std::fmt::Debug for StoredAttachment {
    // The bytes are personal data (ID scans, faces): never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAttachment")
            .field("position", &self.position)
            .field("kind", &self.attachment.kind())
            .field("media_type", &self.attachment.media_type())
            .field("size", &self.attachment.bytes().len())
            .field("sha256_hex", &self.sha256_hex)
            .finish()
    }
}

fn aad<'a>(
    number: &'a OrderNumber,
    position: &'a str,
    kind: &'a str,
    mime: &'a str,
) -> [&'a [u8]; 5] {
    [
        b"attachment",
        number.as_str().as_bytes(),
        position.as_bytes(),
        kind.as_bytes(),
        mime.as_bytes(),
    ]
}

/// Seals and inserts `attachments` for a new order (inside its transaction).
pub(crate) fn insert_all(
    conn: &Connection,
    data_key: &SecretKey,
    number: &OrderNumber,
    attachments: &[Attachment],
) -> Result<()> {
    let mut insert = conn.prepare(
        "INSERT INTO attachments (number, position, kind, media_type, size, sha256_hex, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (position, attachment) in attachments.iter().enumerate() {
        let pos = position.to_string();
        let kind = attachment_kind_to_db(attachment.kind());
        let mime = media_type_to_db(attachment.media_type());
        let sealed = crypto::seal(
            data_key,
            attachment.bytes(),
            &aad(number, &pos, &kind, mime),
        )
        .map_err(|e| e.sealing(|| format!("attachment {position} of order {number}")))?;
        insert.execute(params![
            number.as_str(),
            count_to_db(position)?,
            kind,
            mime,
            count_to_db(attachment.bytes().len())?,
            crypto::sha256_hex(attachment.bytes()),
            sealed,
        ])?;
    }
    Ok(())
}

impl Store {
    /// The order's attachments, decrypted and checked against their SHA-256.
    /// Errors for an unknown or purged order, and for any attachment that was
    /// altered on disk.
    pub fn attachments(&self, number: &OrderNumber) -> Result<Vec<StoredAttachment>> {
        let data_key = data_key(&self.conn, &self.keys, number)?;
        let mut select = self.conn.prepare(
            "SELECT position, kind, media_type, size, sha256_hex, sealed
             FROM attachments WHERE number = ?1 ORDER BY position",
        )?;
        let rows = select.query_map([number.as_str()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Vec<u8>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (position, kind, mime, size, sha256_hex, sealed) = row?;
            let what = || format!("attachment {position} of order {number}");
            let pos = position.to_string();
            let mut bytes = crypto::open(&data_key, &sealed, &aad(number, &pos, &kind, &mime))
                .map_err(|_| StoreError::Decrypt { what: what() })?;
            let bytes = std::mem::take(&mut *bytes);
            let attachment = checked(bytes, &kind, &mime, size, &sha256_hex, &what)?;
            out.push(StoredAttachment {
                position: count_from_db(position, "attachment position")?,
                sha256_hex,
                attachment,
            });
        }
        Ok(out)
    }
}

/// Rebuilds an attachment from opened bytes, checking them against what was
/// recorded beside them.
pub(crate) fn checked(
    bytes: Vec<u8>,
    kind: &str,
    mime: &str,
    size: i64,
    sha256_hex: &str,
    what: &dyn Fn() -> String,
) -> Result<Attachment> {
    if crypto::sha256_hex(&bytes) != sha256_hex || count_to_db(bytes.len())? != size {
        return Err(StoreError::Checksum { what: what() });
    }
    let kind = attachment_kind_from_db(kind)?;
    let media_type = media_type_from_db(mime)?;
    let attachment = Attachment::new(kind, bytes)
        .map_err(|e| StoreError::corrupt(format!("{}: {e}", what())))?;
    if attachment.media_type() != media_type {
        return Err(StoreError::corrupt(format!(
            "{}: content is not {mime}",
            what()
        )));
    }
    Ok(attachment)
}
