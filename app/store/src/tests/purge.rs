//! Purging after acknowledgement and after retention.

use super::*;
use crate::StoreError;
use kiosk_domain::flow::SessionId;
use kiosk_domain::order::status::OrderStatus;

const RETENTION: Duration = Duration::days(30);

fn wrapped_key(store: &Store, number: &str) -> Option<Vec<u8>> {
    use rusqlite::OptionalExtension;
    store
        .conn
        .query_row(
            "SELECT wrapped FROM order_keys WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
}

#[test]
fn an_acknowledged_order_is_purged_beyond_recovery_and_its_summary_stays() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "s", at(0));
    let keep = create_application(&mut store, "t", at(1));
    let number = order.number.as_str().to_owned();
    let wrapped = wrapped_key(&store, &number).unwrap();
    let payload: Vec<u8> = store
        .conn
        .query_row(
            "SELECT payload FROM orders WHERE number = ?1",
            [&number],
            |r| r.get(0),
        )
        .unwrap();
    let attachment: Vec<u8> = store
        .conn
        .query_row(
            "SELECT sealed FROM attachments WHERE number = ?1 AND position = 0",
            [&number],
            |r| r.get(0),
        )
        .unwrap();

    // Nothing is purged before the acknowledgement.
    assert_eq!(store.purge(at(2), RETENTION).unwrap().acknowledged, 0);
    assert!(store.mark_acknowledged(&order.number, at(5)).unwrap());
    let report = store.purge(at(6), RETENTION).unwrap();
    assert_eq!((report.acknowledged, report.expired), (1, 0));
    assert!(report.log_truncated);

    // The order's key is gone, so its blobs cannot be opened even with the
    // master key: no row, and no copy left in the files.
    assert_eq!(wrapped_key(&store, &number), None);
    let raw = raw_files(&env);
    assert!(
        !contains(&raw, &wrapped[wrapped.len() - 32..]),
        "wrapped key left in the files"
    );
    assert!(
        !contains(&raw, &payload[payload.len() - 32..]),
        "payload left in the files"
    );
    assert!(
        !contains(&raw, &attachment[attachment.len() - 32..]),
        "attachment left in the files"
    );
    // Even a copy of the payload kept elsewhere opens with no key the store holds.
    for key in [
        &store.keys.wrap,
        &store.keys.capture,
        &store.keys.flow,
        &store.keys.tag,
    ] {
        assert!(
            crate::crypto::open(key, &payload, &[b"order payload", number.as_bytes()]).is_err()
        );
    }

    assert_eq!(store.load_order(&order.number).unwrap(), None);
    let mobile = fixtures::MOBILE.parse().unwrap();
    assert_eq!(store.find_order(&order.number, &mobile).unwrap(), None);
    assert!(matches!(
        store.attachments(&order.number).unwrap_err(),
        StoreError::Purged(_)
    ));
    assert!(matches!(
        store.save_order(&order, at(7)).unwrap_err(),
        StoreError::Purged(_)
    ));
    // The idempotent create of the same session reports the purge.
    let again = store.create_order(
        "s",
        &kiosk(),
        DAY,
        |n| fixtures::application_order(n.seq()),
        &[],
    );
    assert!(matches!(again.unwrap_err(), StoreError::Purged(_)));

    let summary = store.order_summary(&order.number).unwrap().unwrap();
    assert_eq!(summary.status, OrderStatus::PendingReview);
    assert_eq!(summary.acked_at, Some(at(5)));
    assert_eq!(summary.purged_at, Some(at(6)));

    // The other order is untouched; purging again finds nothing new.
    assert_eq!(store.attachments(&keep.number).unwrap().len(), 2);
    assert_eq!(
        store.purge(at(8), RETENTION).unwrap(),
        crate::PurgeReport {
            log_truncated: true,
            ..Default::default()
        }
    );
    let ok: String = store
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn orders_and_captures_older_than_the_retention_are_purged_unacknowledged() {
    let env = Env::new();
    let mut store = env.open();
    let old = create_application(&mut store, "old", at(0));
    let young = create_renewal(&mut store, "young", "1A2B", at(0) + Duration::days(20));
    let session = SessionId(5);
    store
        .put_capture(
            session,
            &jpeg(
                kiosk_domain::order::attachment::AttachmentKind::Face,
                4096,
                3,
            ),
            at(0),
        )
        .unwrap();
    store
        .put_capture(
            SessionId(6),
            &jpeg(
                kiosk_domain::order::attachment::AttachmentKind::HandlerId,
                4096,
                4,
            ),
            at(0) + Duration::days(20),
        )
        .unwrap();

    let now = at(0) + RETENTION;
    let report = store.purge(now, RETENTION).unwrap();
    assert_eq!(
        (report.acknowledged, report.expired, report.captures),
        (0, 1, 1)
    );
    assert_eq!(store.load_order(&old.number).unwrap(), None);
    assert!(store.load_order(&young.number).unwrap().is_some());
    assert_eq!(
        store.open_renewal_for("1A2B").unwrap().unwrap().number,
        young.number
    );
    assert_eq!(
        store
            .capture(
                session,
                kiosk_domain::order::attachment::AttachmentKind::Face
            )
            .unwrap(),
        None
    );
    assert!(
        store
            .capture(
                SessionId(6),
                kiosk_domain::order::attachment::AttachmentKind::HandlerId
            )
            .unwrap()
            .is_some()
    );
    // A purged order can no longer be uploaded: it leaves the queue.
    let pending = store.pending_uploads(now, 10).unwrap();
    assert_eq!(
        pending.iter().map(|e| e.number).collect::<Vec<_>>(),
        [young.number]
    );
    assert_eq!(store.queue_stats(now).unwrap().depth, 1);
}

#[test]
fn an_acknowledged_renewal_is_kept_until_its_install_is_finished() {
    use kiosk_domain::order::payment::{Payment, PaymentMethod};
    let env = Env::new();
    let mut store = env.open();
    let mut order = create_renewal(&mut store, "r", "1A2B", at(0));
    order
        .record_payment(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: order.amount,
            reference: "PAY-1".parse().unwrap(),
            confirmed_at: at(1),
        })
        .unwrap();
    store.save_order(&order, at(1)).unwrap();
    assert!(store.mark_acknowledged(&order.number, at(2)).unwrap());

    // Paid, install pending: the key may come back; the order must be there.
    assert_eq!(store.purge(at(3), RETENTION).unwrap().acknowledged, 0);
    assert!(store.open_renewal_for("1A2B").unwrap().is_some());

    order.apply_ca_status(OrderStatus::Completed, None).unwrap();
    store.save_order(&order, at(4)).unwrap();
    assert_eq!(store.purge(at(5), RETENTION).unwrap().acknowledged, 1);
    assert_eq!(store.load_order(&order.number).unwrap(), None);
}
