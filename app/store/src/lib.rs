//! The kiosk's durable store: orders, their attachments and the upload outbox
//! in one SQLite database, with every piece of personal data encrypted.
//!
//! The kiosk works offline first: an order is committed here, on the kiosk,
//! before the customer gets a receipt, and the sync adapter uploads it to the
//! CA later from the [outbox](Store::pending_uploads). Once the CA has
//! acknowledged an order, or once it is older than the retention period, its
//! personal data is [purged](Store::purge).
//!
//! Layout:
//! - [`open`](Store::open) (`open.rs`): opening, pragmas (WAL,
//!   `synchronous=FULL`, `secure_delete`), and the master key check.
//! - `schema.rs`: numbered migrations, tracked with `PRAGMA user_version`.
//! - `keyfile.rs`: the master key file beside the database (never in it).
//! - `crypto.rs`: AEAD sealing, key wrapping, lookup tags, key derivation.
//! - `codec.rs`: how domain values are written into clear columns.
//! - `numbers.rs`: the durable per-(kiosk, day) order number counter.
//! - `orders.rs`: creating, saving, loading and finding orders.
//! - `attachments.rs`: an order's encrypted attachments.
//! - `captures.rs`: captures taken before an application is submitted.
//! - `flow_state.rs`: the flows' saved states.
//! - `outbox.rs`: what still has to reach the CA.
//! - `order_store_port.rs`, `outbox_port.rs`: the domain's `OrderStore` and
//!   `Outbox` ports; the certificates issued for renewals, kept until they
//!   are on the key.
//! - `purge.rs`: removing personal data after acknowledgement or retention.
//! - `audit.rs`: the audit log of staff and technicians' actions, a hash
//!   chain that shows where an entry was changed or removed.
//!
//! # Encryption at rest
//!
//! A 32-byte master key lives in its own file (mode 0600), outside the
//! database, so a copy of the database alone reveals nothing personal. Each
//! order has its own random data key, stored wrapped under the master key in
//! `order_keys`; the order's payload and attachments are sealed with it
//! (XChaCha20-Poly1305, random nonce per blob, associated data binding each
//! blob to its order and field). Purging an order deletes its wrapped key, so
//! copies of its blobs left in free pages or WAL frames can no longer be
//! opened (crypto-shredding). Captures and flow states are sealed with keys
//! derived from the master key. Only non-personal columns are in clear
//! (number, kind, status, times, amount, session key); the mobile number and
//! the renewed certificate are found through keyed HMAC tags.
//!
//! # Purged orders
//!
//! A purged order keeps its row with the clear columns: [`Store::order_summary`]
//! still shows its status, while [`Store::load_order`] and the other lookups
//! that return a full [`Order`] answer `None`.
//!
//! # Time
//!
//! The store never reads a clock: every instant is an argument.

mod attachments;
mod audit;
mod captures;
mod catalogue;
mod codec;
mod crypto;
mod error;
mod feed;
mod flow_state;
mod keyfile;
mod numbers;
mod open;
mod order_store_port;
mod orders;
mod outbox;
mod outbox_port;
mod purge;
mod schema;

#[cfg(test)]
mod tests;

pub use attachments::StoredAttachment;
pub use audit::{AuditCheck, AuditRecord, BrokenLink};
pub use error::StoreError;
pub use orders::{OrderKind, OrderSummary};
pub use outbox::{OutboxEntry, QueueStats};
pub use purge::PurgeReport;
pub use schema::SCHEMA_VERSION;

use std::path::{Path, PathBuf};

#[cfg(doc)]
use kiosk_domain::order::Order;

/// What every fallible store call returns.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The open store: one SQLite connection and the keys derived from the
/// master key. One writer per database (the kiosk's runtime).
pub struct Store {
    conn: rusqlite::Connection,
    path: PathBuf,
    keys: crypto::Keys,
}

impl std::fmt::Debug for Store {
    // Hand-written so that key material can never end up in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The database file this store was opened on.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}
