//! Personal data at rest: nothing recognisable of an application (the
//! handler's resident ID, the mobile, a face image) may appear in the raw
//! bytes of the database, its write-ahead log or its shared-memory file,
//! before or after a checkpoint; and the master key is not in them either.

// Test code: a failed unwrap is a failed test (clippy.toml only exempts
// `#[test]` functions themselves, not their helpers).
#![allow(clippy::unwrap_used)]

use kiosk_domain::fixtures;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::{ApplicationState, Draft, Page};
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_store::Store;
use std::collections::BTreeSet;
use std::path::Path;
use time::macros::{date, datetime};

/// A pattern no encryption would produce by chance, repeated through the face image.
const PATTERN: &[u8; 32] = b"FACE:kiosk-at-rest-test-pattern!";

fn face_bytes() -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    for _ in 0..(4096 / PATTERN.len()) {
        bytes.extend_from_slice(PATTERN);
    }
    bytes
}

/// Every distinct 32-byte window of the pattern part of the face image.
fn face_windows() -> BTreeSet<Vec<u8>> {
    let face = face_bytes();
    face[11..].windows(32).map(<[u8]>::to_vec).collect()
}

fn raw_files(db: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(&name)
                .ok()
                .map(|bytes| (Path::new(&name).display().to_string(), bytes))
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_nothing_personal(db: &Path, key: &[u8], when: &str) {
    let files = raw_files(db);
    assert!(
        files.iter().any(|(_, bytes)| !bytes.is_empty()),
        "no database files to check"
    );
    let windows = face_windows();
    assert!(
        windows.len() >= 32,
        "the face pattern has {} windows",
        windows.len()
    );
    for (name, bytes) in &files {
        for needle in [
            fixtures::RESIDENT_ID,
            &fixtures::RESIDENT_ID.to_lowercase(),
            fixtures::MOBILE,
        ] {
            assert!(
                !contains(bytes, needle.as_bytes()),
                "{when}: {needle} found in {name}"
            );
        }
        for window in &windows {
            assert!(
                !contains(bytes, window),
                "{when}: part of the face image found in {name}"
            );
        }
        assert!(
            !contains(bytes, key),
            "{when}: the master key found in {name}"
        );
    }
}

#[test]
fn no_personal_data_or_key_in_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store/kiosk.db");
    let key_path = dir.path().join("keys/store.key");
    let mut store = Store::open(&db, &key_path).unwrap();
    let session = SessionId(42);
    let face = Attachment::new(AttachmentKind::Face, face_bytes()).unwrap();
    let now = datetime!(2026-11-23 10:00 UTC);

    // Everything an application passes through: capture, saved draft, order.
    store.put_capture(session, &face, now).unwrap();
    let details = fixtures::application_details();
    assert_eq!(details.handler.resident_id.as_str(), fixtures::RESIDENT_ID);
    let draft = ApplicationState::Filling {
        session,
        page: Page::Review,
        draft: Box::new(Draft {
            handler: Some(details.handler.clone()),
            ..Draft::default()
        }),
    };
    store
        .save_flow_state("application", 1, Some(session), &draft)
        .unwrap();
    let amount = details.amount_due().unwrap();
    let order = store
        .create_order(
            "application-42",
            &fixtures::kiosk(),
            date!(2026 - 11 - 23),
            |number| Order::new(number, now, amount, OrderDetails::Application(details)),
            std::slice::from_ref(&face),
        )
        .unwrap();

    // The key lives in its own file, not among the database's.
    assert_ne!(key_path.parent(), db.parent());
    let key = std::fs::read(&key_path).unwrap();
    assert_eq!(key.len(), 32);

    assert_nothing_personal(&db, &key, "before a checkpoint");
    assert!(store.checkpoint().unwrap());
    assert_nothing_personal(&db, &key, "after a checkpoint");
    drop(store);
    assert_nothing_personal(&db, &key, "after closing");

    // And it all reads back with the key.
    let store = Store::open(&db, &key_path).unwrap();
    assert_eq!(
        store.attachments(&order.number).unwrap()[0].attachment,
        face
    );
    assert_eq!(
        store.capture(session, AttachmentKind::Face).unwrap(),
        Some(face)
    );
    assert_eq!(
        store.load_flow_state("application", 1).unwrap(),
        Some(draft)
    );
}
