//! Unit tests of the store, on real SQLite files in temporary directories.

mod captures;
mod catalogue;
mod feed;
mod flow_state;
mod keys;
mod open;
mod order_store_port;
mod orders;
mod outbox;
mod purge;

use crate::Store;
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::renewal::RenewalDetails;
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::KioskCode;
use std::path::PathBuf;
use tempfile::TempDir;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

/// A database and key file in a fresh temporary directory.
pub(crate) struct Env {
    _dir: TempDir,
    pub db: PathBuf,
    pub key: PathBuf,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Nested directories: open must create them.
        let db = dir.path().join("data/kiosk.db");
        let key = dir.path().join("secrets/master.key");
        Self { _dir: dir, db, key }
    }

    pub fn open(&self) -> Store {
        Store::open(&self.db, &self.key).unwrap()
    }
}

pub(crate) const DAY: Date = date!(2026 - 11 - 23);

/// `minutes` after 10:00 on [`DAY`].
pub(crate) fn at(minutes: i64) -> OffsetDateTime {
    datetime!(2026-11-23 10:00 UTC) + Duration::minutes(minutes)
}

pub(crate) fn kiosk() -> KioskCode {
    fixtures::kiosk()
}

/// A JPEG-signed attachment of `len` bytes whose content depends on `seed`.
pub(crate) fn jpeg(kind: AttachmentKind, len: usize, seed: u8) -> Attachment {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(
        (0..len.saturating_sub(4)).map(|i| i.to_le_bytes()[0].wrapping_mul(31).wrapping_add(seed)),
    );
    Attachment::new(kind, bytes).unwrap()
}

pub(crate) fn two_attachments(seed: u8) -> Vec<Attachment> {
    vec![
        jpeg(AttachmentKind::BusinessLicence, 20_000, seed),
        jpeg(AttachmentKind::HandlerId, 30_000, seed.wrapping_add(1)),
    ]
}

/// Creates an application order (fixture details) for `client_key`.
pub(crate) fn create_application(
    store: &mut Store,
    client_key: &str,
    created: OffsetDateTime,
) -> Order {
    store
        .create_order(
            client_key,
            &kiosk(),
            DAY,
            |number| {
                let details = fixtures::application_details();
                let amount = details.amount_due().unwrap();
                Order::new(number, created, amount, OrderDetails::Application(details))
            },
            &two_attachments(1),
        )
        .unwrap()
}

/// Renewal details of the fixture certificate, with another serial.
pub(crate) fn renewal_details(serial_hex: &str) -> RenewalDetails {
    let OrderDetails::Renewal(mut details) = fixtures::renewal_order(0).details else {
        unreachable!("the fixture renewal order is a renewal")
    };
    details.old_certificate.serial_hex = serial_hex.to_owned();
    details
}

/// Creates a renewal order of the certificate `serial_hex` for `client_key`.
pub(crate) fn create_renewal(
    store: &mut Store,
    client_key: &str,
    serial_hex: &str,
    created: OffsetDateTime,
) -> Order {
    let details = renewal_details(serial_hex);
    store
        .create_order(
            client_key,
            &kiosk(),
            DAY,
            |number| Order::new(number, created, Fen(30_000), OrderDetails::Renewal(details)),
            &[],
        )
        .unwrap()
}

/// Whether `needle` occurs anywhere in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The raw bytes of the database and its log and shared-memory files.
pub(crate) fn raw_files(env: &Env) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = env.db.clone().into_os_string();
        name.push(suffix);
        if let Ok(bytes) = std::fs::read(&name) {
            all.extend(bytes);
        }
    }
    all
}
