//! Captures before submission.

use super::*;
use crate::StoreError;
use kiosk_domain::flow::SessionId;

#[test]
fn a_capture_is_stored_replaced_and_discarded() {
    let env = Env::new();
    let mut store = env.open();
    let session = SessionId(1);
    let first = jpeg(AttachmentKind::HandlerId, 5000, 1);
    let reference = store.put_capture(session, &first, at(0)).unwrap();
    assert_eq!(reference.kind, AttachmentKind::HandlerId);
    assert_eq!(reference.size, 5000);
    assert_eq!(
        reference.sha256_hex,
        crate::crypto::sha256_hex(first.bytes())
    );
    drop(store);

    // Durable: a new process sees it.
    let mut store = env.open();
    assert_eq!(
        store.capture(session, AttachmentKind::HandlerId).unwrap(),
        Some(first)
    );
    assert_eq!(store.capture(session, AttachmentKind::Face).unwrap(), None);
    assert_eq!(
        store
            .capture(SessionId(2), AttachmentKind::HandlerId)
            .unwrap(),
        None
    );

    let second = jpeg(AttachmentKind::HandlerId, 6000, 2);
    store.put_capture(session, &second, at(1)).unwrap();
    assert_eq!(
        store.capture(session, AttachmentKind::HandlerId).unwrap(),
        Some(second)
    );
    let rows: i64 = store
        .conn
        .query_row("SELECT count(*) FROM captures", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);

    assert!(
        store
            .discard_capture(session, AttachmentKind::HandlerId)
            .unwrap()
    );
    assert!(
        !store
            .discard_capture(session, AttachmentKind::HandlerId)
            .unwrap()
    );
    assert_eq!(
        store.capture(session, AttachmentKind::HandlerId).unwrap(),
        None
    );
}

#[test]
fn a_capture_is_encrypted_and_tampering_is_reported() {
    let env = Env::new();
    let mut store = env.open();
    let session = SessionId(1);
    let face = jpeg(AttachmentKind::Face, 8000, 7);
    store.put_capture(session, &face, at(0)).unwrap();
    assert!(!contains(&raw_files(&env), &face.bytes()[100..132]));

    // A capture relabelled as another kind (or session) does not open.
    store
        .conn
        .execute("UPDATE captures SET kind = 'handler_id'", [])
        .unwrap();
    let err = store
        .capture(session, AttachmentKind::HandlerId)
        .unwrap_err();
    assert!(matches!(err, StoreError::Decrypt { .. }), "{err}");
    store
        .conn
        .execute("UPDATE captures SET kind = 'face'", [])
        .unwrap();

    let mut sealed: Vec<u8> = store
        .conn
        .query_row("SELECT sealed FROM captures", [], |r| r.get(0))
        .unwrap();
    sealed[50] ^= 0x80;
    store
        .conn
        .execute("UPDATE captures SET sealed = ?1", [&sealed])
        .unwrap();
    let err = store.capture(session, AttachmentKind::Face).unwrap_err();
    assert!(matches!(err, StoreError::Decrypt { .. }), "{err}");
}
