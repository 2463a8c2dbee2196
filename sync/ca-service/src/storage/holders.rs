//! What the service keeps about certificate holders: the contact and
//! invoice details on file per certificate serial (`kiosk_sync_wire::holder`).

use super::StorageResult;
use kiosk_sync_wire::holder::HolderV1;
use time::OffsetDateTime;

pub trait HolderStorage {
    /// The details on file for the certificate with this (normalised) serial.
    fn holder(&self, serial: &str) -> StorageResult<Option<HolderV1>>;
    /// Sets (or replaces) them.
    fn put_holder(&self, serial: &str, holder: &HolderV1, now: OffsetDateTime)
    -> StorageResult<()>;
    /// Gives the renewed certificate the old one's details, unless it has
    /// its own already; whether anything was copied.
    fn carry_holder(&self, from: &str, to: &str, now: OffsetDateTime) -> StorageResult<bool>;
}
