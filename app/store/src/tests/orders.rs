//! Creating, numbering, saving and finding orders; attachments.

use super::*;
use crate::{OrderKind, StoreError};
use kiosk_domain::order::payment::{Payment, PaymentMethod};
use kiosk_domain::order::status::OrderStatus;
use kiosk_domain::order_number::OrderNumber;

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn creating_twice_with_the_same_client_key_makes_one_order() {
    let env = Env::new();
    let mut store = env.open();
    let first = create_application(&mut store, "session-9", at(0));
    let mut called = false;
    let again = store
        .create_order(
            "session-9",
            &kiosk(),
            DAY,
            |_| {
                called = true;
                fixtures::application_order(99)
            },
            &two_attachments(5),
        )
        .unwrap();
    assert!(!called, "the builder must not run for an existing order");
    assert_eq!(again, first);
    assert_eq!(count(&store, "SELECT count(*) FROM orders"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), 1);
    assert_eq!(count(&store, "SELECT count(*) FROM attachments"), 2);
    // The retry did not consume a number either.
    let next = create_application(&mut store, "session-10", at(1));
    assert_eq!(next.number.seq(), first.number.seq() + 1);
}

#[test]
fn numbers_are_sequential_per_kiosk_and_day_and_survive_reopening() {
    let env = Env::new();
    let mut store = env.open();
    let seqs: Vec<u32> = (0..3)
        .map(|i| {
            create_application(&mut store, &format!("s{i}"), at(i))
                .number
                .seq()
        })
        .collect();
    assert_eq!(seqs, [0, 1, 2]);
    let first = create_application(&mut store, "s-a", at(9));
    assert_eq!(first.number, OrderNumber::new(&kiosk(), DAY, 3).unwrap());

    let next_day = date!(2026 - 11 - 24);
    let other_day = store
        .create_order("s-next-day", &kiosk(), next_day, fixtures_order_with, &[])
        .unwrap();
    assert_eq!(
        other_day.number,
        OrderNumber::new(&kiosk(), next_day, 0).unwrap()
    );
    let other_kiosk: KioskCode = "AXT".parse().unwrap();
    let theirs = store
        .create_order("s-axt", &other_kiosk, DAY, fixtures_order_with, &[])
        .unwrap();
    assert_eq!(
        theirs.number,
        OrderNumber::new(&other_kiosk, DAY, 0).unwrap()
    );

    drop(store);
    let mut store = env.open();
    assert_eq!(
        create_application(&mut store, "s-after", at(20))
            .number
            .seq(),
        4
    );
}

fn fixtures_order_with(number: OrderNumber) -> Order {
    let mut order = fixtures::renewal_order(0);
    order.number = number;
    order
}

#[test]
fn a_builder_that_ignores_the_number_is_refused_and_uses_up_nothing() {
    let env = Env::new();
    let mut store = env.open();
    let err = store
        .create_order("s", &kiosk(), DAY, |_| fixtures::renewal_order(77), &[])
        .unwrap_err();
    assert!(matches!(err, StoreError::NumberMismatch { .. }), "{err}");
    assert_eq!(count(&store, "SELECT count(*) FROM orders"), 0);
    assert_eq!(create_application(&mut store, "s", at(0)).number.seq(), 0);
}

#[test]
fn a_saved_order_loads_back_with_its_changes() {
    let env = Env::new();
    let mut store = env.open();
    let mut order = create_renewal(&mut store, "s", "1A2B", at(0));
    assert_eq!(
        store.load_order(&order.number).unwrap().as_ref(),
        Some(&order)
    );

    order
        .record_payment(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: order.amount,
            reference: "P-1".parse().unwrap(),
            confirmed_at: at(5),
        })
        .unwrap();
    store.save_order(&order, at(6)).unwrap();
    drop(store);

    let store = env.open();
    let loaded = store.load_order(&order.number).unwrap().unwrap();
    assert_eq!(loaded, order);
    assert_eq!(loaded.status(), OrderStatus::InProgress);
    let summary = store.order_summary(&order.number).unwrap().unwrap();
    assert_eq!(summary.status, OrderStatus::InProgress);
    assert_eq!(summary.kind, OrderKind::Renewal);
    assert_eq!(summary.created_at, at(0));
    assert_eq!(summary.updated_at, at(6));
    assert_eq!(summary.amount, Fen(30_000));
    assert_eq!(summary.purged_at, None);
}

#[test]
fn saving_an_unknown_order_is_an_error() {
    let env = Env::new();
    let mut store = env.open();
    let err = store
        .save_order(&fixtures::renewal_order(3), at(0))
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownOrder(_)), "{err}");
    assert!(
        store
            .load_order(&fixtures::order_number(3))
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .order_summary(&fixtures::order_number(3))
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_order_is_found_by_number_and_mobile_only() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "s", at(0));
    let mobile = fixtures::MOBILE.parse().unwrap();
    assert_eq!(
        store.find_order(&order.number, &mobile).unwrap(),
        Some(order.clone())
    );
    // The same number typed with a country code and spaces still matches.
    let spaced = "+86 138 0013 8000".parse().unwrap();
    assert!(store.find_order(&order.number, &spaced).unwrap().is_some());
    let wrong = "13900139000".parse().unwrap();
    assert_eq!(store.find_order(&order.number, &wrong).unwrap(), None);
    let other = OrderNumber::new(&kiosk(), DAY, 5).unwrap();
    assert_eq!(store.find_order(&other, &mobile).unwrap(), None);
    // The mobile is not stored in clear.
    assert!(!contains(&raw_files(&env), fixtures::MOBILE.as_bytes()));
}

#[test]
fn the_open_renewal_of_a_certificate_is_the_latest_unfinished_one() {
    let env = Env::new();
    let mut store = env.open();
    assert_eq!(store.open_renewal_for("1A2B").unwrap(), None);
    let older = create_renewal(&mut store, "s1", "1A2B", at(0));
    let newer = create_renewal(&mut store, "s2", "1A2B", at(10));
    let _other_cert = create_renewal(&mut store, "s3", "FFFF", at(20));
    let _application = create_application(&mut store, "s4", at(30));

    assert_eq!(
        store.open_renewal_for("1A2B").unwrap().unwrap().number,
        newer.number
    );
    // Serials are integers: case, separators and leading zeros do not matter.
    assert_eq!(
        store.open_renewal_for("00:1a:2b").unwrap().unwrap().number,
        newer.number
    );

    let mut cancelled = newer.clone();
    cancelled.transition(OrderStatus::Cancelled).unwrap();
    store.save_order(&cancelled, at(40)).unwrap();
    assert_eq!(
        store.open_renewal_for("1A2B").unwrap().unwrap().number,
        older.number
    );
    assert_eq!(store.open_renewal_for("2B1A").unwrap(), None);
}

#[test]
fn attachments_round_trip_with_their_checksums() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "s", at(0));
    let stored = store.attachments(&order.number).unwrap();
    let originals = two_attachments(1);
    assert_eq!(stored.len(), 2);
    for (i, (s, original)) in stored.iter().zip(&originals).enumerate() {
        assert_eq!(s.position as usize, i);
        assert_eq!(&s.attachment, original);
        assert_eq!(s.sha256_hex, crate::crypto::sha256_hex(original.bytes()));
    }
    // Debug output never shows the bytes.
    assert!(format!("{:?}", stored[0]).len() < 300);
}

#[test]
fn a_flipped_byte_in_an_attachment_is_reported_not_returned() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "s", at(0));
    // One bit, in the middle of the ciphertext, as a failing disk might.
    let mut sealed: Vec<u8> = store
        .conn
        .query_row(
            "SELECT sealed FROM attachments WHERE position = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    sealed[1000] ^= 0x01;
    store
        .conn
        .execute(
            "UPDATE attachments SET sealed = ?1 WHERE position = 0",
            [&sealed],
        )
        .unwrap();
    let err = store.attachments(&order.number).unwrap_err();
    assert!(matches!(err, StoreError::Decrypt { .. }), "{err}");
    assert!(err.to_string().contains(order.number.as_str()), "{err}");
}

#[test]
fn a_changed_checksum_or_a_blob_moved_between_orders_is_reported() {
    let env = Env::new();
    let mut store = env.open();
    let a = create_application(&mut store, "a", at(0));
    let b = create_application(&mut store, "b", at(1));
    store
        .conn
        .execute(
            "UPDATE attachments SET sha256_hex = replace(sha256_hex, substr(sha256_hex, 1, 1), 'x') WHERE number = ?1",
            [a.number.as_str()],
        )
        .unwrap();
    assert!(matches!(
        store.attachments(&a.number).unwrap_err(),
        StoreError::Checksum { .. }
    ));

    // Swapping two of an order's own attachments fails to open: each blob
    // is bound to its position and kind.
    store
        .conn
        .execute(
            "UPDATE attachments SET sealed = (SELECT sealed FROM attachments WHERE number = ?1 AND position = 1)
             WHERE number = ?1 AND position = 0",
            [b.number.as_str()],
        )
        .unwrap();
    assert!(matches!(
        store.attachments(&b.number).unwrap_err(),
        StoreError::Decrypt { .. }
    ));
}

#[test]
fn a_tampered_payload_or_key_is_reported() {
    let env = Env::new();
    let mut store = env.open();
    let a = create_application(&mut store, "a", at(0));
    let b = create_application(&mut store, "b", at(1));
    // b's payload in a's row: sealed under another key and bound to b.
    store
        .conn
        .execute(
            "UPDATE orders SET payload = (SELECT payload FROM orders WHERE number = ?2) WHERE number = ?1",
            [a.number.as_str(), b.number.as_str()],
        )
        .unwrap();
    assert!(matches!(
        store.load_order(&a.number).unwrap_err(),
        StoreError::Decrypt { .. }
    ));
    // b's wrapped key in a's row: bound to b's number.
    store
        .conn
        .execute(
            "UPDATE order_keys SET wrapped = (SELECT wrapped FROM order_keys WHERE number = ?2) WHERE number = ?1",
            [a.number.as_str(), b.number.as_str()],
        )
        .unwrap();
    assert!(matches!(
        store.load_order(&a.number).unwrap_err(),
        StoreError::Decrypt { .. }
    ));
    assert!(store.load_order(&b.number).unwrap().is_some());
}

#[test]
fn nothing_personal_is_in_clear_columns() {
    let env = Env::new();
    let mut store = env.open();
    let _ = create_application(&mut store, "s", at(0));
    let _ = create_renewal(&mut store, "r", "1A2B3C4D", at(1));
    let raw = raw_files(&env);
    for needle in [
        fixtures::RESIDENT_ID,
        fixtures::MOBILE,
        fixtures::USCC,
        "山西示例煤业有限公司",
        "李四",
        "finance@example.com",
        "1A2B3C4D",
    ] {
        assert!(!contains(&raw, needle.as_bytes()), "{needle} in clear");
    }
}
