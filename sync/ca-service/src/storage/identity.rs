//! What the identity simulator holds: one reference photo per ID number,
//! standing in for the public-security photo a real identity service
//! compares faces with (demo only).

use super::StorageResult;
use time::OffsetDateTime;

pub trait IdentityStorage {
    /// The reference photo held for this ID number.
    fn identity_reference(&self, resident_id: &str) -> StorageResult<Option<Vec<u8>>>;
    /// Sets (or replaces) it.
    fn put_identity_reference(
        &self,
        resident_id: &str,
        photo: &[u8],
        now: OffsetDateTime,
    ) -> StorageResult<()>;
}
