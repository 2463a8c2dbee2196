//! The `OrderStore` port: application orders from the session's captures,
//! issued certificates kept until they are on the key, journal records of
//! another format.

use super::*;
use crate::StoreError;
use kiosk_domain::flow::SessionId;
use kiosk_domain::ports::store::{FlowRecord, OrderStore};

#[test]
fn an_application_is_created_once_from_its_captures() {
    let env = Env::new();
    let mut store = env.open();
    let session = SessionId(11);
    let details = fixtures::application_details();
    let kinds = [
        AttachmentKind::ApplicationForm,
        AttachmentKind::BusinessLicence,
        AttachmentKind::HandlerId,
        AttachmentKind::SealHolderId { holder: 0 },
    ];
    let refs: Vec<_> = kinds
        .iter()
        .zip(1_u8..)
        .map(|(kind, seed)| {
            store
                .put_capture(session, &jpeg(*kind, 3000, seed), at(0))
                .unwrap()
        })
        .collect();
    let amount = details.amount_due().unwrap();
    let order = OrderStore::create_application_order(
        &mut store,
        session,
        &kiosk(),
        at(1),
        amount,
        &details,
        &refs,
    )
    .unwrap();
    assert_eq!(store.attachments(&order.number).unwrap().len(), 4);
    // Run again (a crash before the flow heard of it), even after the
    // session's captures are gone: the same order, nothing new.
    store.wipe_session(session).unwrap();
    let again = store.create_application_order(session, &kiosk(), at(2), amount, &details, &refs);
    assert_eq!(again.unwrap().number, order.number);
    assert_eq!(store.queue(10).unwrap().len(), 1);

    // Another session whose capture changed since the flow saw it: refused.
    let other = SessionId(12);
    let stale = store
        .put_capture(other, &jpeg(AttachmentKind::HandlerId, 3000, 9), at(3))
        .unwrap();
    store
        .put_capture(other, &jpeg(AttachmentKind::HandlerId, 3000, 10), at(4))
        .unwrap();
    let err = store
        .create_application_order(other, &kiosk(), at(5), amount, &details, &[stale])
        .unwrap_err();
    assert!(matches!(err, StoreError::CaptureMissing { .. }), "{err}");
}

#[test]
fn an_issued_certificate_is_kept_per_attempt_until_forgotten() {
    let env = Env::new();
    let mut store = env.open();
    let order = store
        .create_renewal_order(
            SessionId(3),
            &kiosk(),
            at(0),
            Fen(30_000),
            &renewal_details("1A2B"),
        )
        .unwrap();
    assert_eq!(store.issued(&order.number, 1).unwrap(), None);
    store.keep_issued(&order.number, 1, b"cert-1").unwrap();
    store.keep_issued(&order.number, 1, b"cert-1").unwrap();
    store.keep_issued(&order.number, 2, b"cert-2").unwrap();
    drop(store);
    let mut store = env.open();
    assert_eq!(
        store.issued(&order.number, 1).unwrap().as_deref(),
        Some(&b"cert-1"[..])
    );
    store.forget_issued(&order.number).unwrap();
    assert_eq!(store.issued(&order.number, 2).unwrap(), None);
    // Only for an order the store has.
    assert!(
        store
            .keep_issued(&fixtures::order_number(99), 1, b"x")
            .is_err()
    );
}

#[test]
fn a_journal_of_another_format_is_reported_not_read() {
    let env = Env::new();
    let mut store = env.open();
    OrderStore::save_flow_state(&mut store, "renewal", 1, None, &"old shape").unwrap();
    let record: FlowRecord<String> = OrderStore::load_flow_state(&store, "renewal", 2).unwrap();
    assert_eq!(record, FlowRecord::OtherFormat(1));
    let record: FlowRecord<String> = OrderStore::load_flow_state(&store, "renewal", 1).unwrap();
    assert_eq!(record, FlowRecord::Saved("old shape".to_owned()));
    let record: FlowRecord<String> = OrderStore::load_flow_state(&store, "other", 1).unwrap();
    assert_eq!(record, FlowRecord::None);
}
