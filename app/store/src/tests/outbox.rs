//! The upload queue.

use super::*;
use crate::StoreError;

#[test]
fn pending_uploads_are_due_ones_oldest_first() {
    let env = Env::new();
    let mut store = env.open();
    // Created out of order: the queue follows creation time, not insertion.
    let late = create_application(&mut store, "a", at(30));
    let early = create_renewal(&mut store, "b", "01", at(10));
    let middle = create_application(&mut store, "c", at(20));

    let numbers = |entries: Vec<crate::OutboxEntry>| {
        entries.into_iter().map(|e| e.number).collect::<Vec<_>>()
    };
    assert_eq!(
        numbers(store.pending_uploads(at(25), 10).unwrap()),
        [early.number, middle.number]
    );
    assert_eq!(
        numbers(store.pending_uploads(at(60), 10).unwrap()),
        [early.number, middle.number, late.number]
    );
    assert_eq!(
        numbers(store.pending_uploads(at(60), 1).unwrap()),
        [early.number]
    );

    let entries = store.pending_uploads(at(60), 10).unwrap();
    let entry = &entries[0];
    // 128 random bits in hex, different for every order, stable across reads.
    assert_eq!(entry.idempotency_key.len(), 32);
    assert!(entry.idempotency_key.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(entries[0].idempotency_key, entries[1].idempotency_key);
    assert_eq!(
        store.pending_uploads(at(60), 1).unwrap()[0].idempotency_key,
        entry.idempotency_key
    );
    assert_eq!(entry.created_at, at(10));
    assert_eq!(entry.attempts, 0);
    assert_eq!(entry.last_error, None);
}

#[test]
fn failures_are_counted_and_postpone_the_upload() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "a", at(0));
    store
        .record_upload_failure(&order.number, at(1), at(5), "timeout")
        .unwrap();
    store
        .record_upload_failure(&order.number, at(5), at(15), "http_503")
        .unwrap();
    assert!(store.pending_uploads(at(14), 10).unwrap().is_empty());
    let entry = store.pending_uploads(at(15), 10).unwrap().remove(0);
    assert_eq!(entry.attempts, 2);
    assert_eq!(entry.next_attempt_at, at(15));
    assert_eq!(entry.last_error.as_deref(), Some("http_503"));

    let stats = store.queue_stats(at(14)).unwrap();
    assert_eq!(
        (stats.depth, stats.due, stats.oldest_pending_created_at),
        (1, 0, Some(at(0)))
    );

    let unknown = fixtures::order_number(900);
    assert!(matches!(
        store
            .record_upload_failure(&unknown, at(1), at(2), "x")
            .unwrap_err(),
        StoreError::UnknownOrder(_)
    ));
}

#[test]
fn acknowledgement_is_idempotent_and_empties_the_queue() {
    let env = Env::new();
    let mut store = env.open();
    let first = create_application(&mut store, "a", at(0));
    let second = create_application(&mut store, "b", at(3));
    assert_eq!(
        store.queue_stats(at(10)).unwrap(),
        crate::QueueStats {
            depth: 2,
            due: 2,
            set_aside: 0,
            oldest_pending_created_at: Some(at(0)),
            next_attempt_at: Some(at(0)),
        }
    );

    assert!(store.mark_acknowledged(&first.number, at(11)).unwrap());
    assert!(!store.mark_acknowledged(&first.number, at(12)).unwrap());
    assert_eq!(
        store
            .order_summary(&first.number)
            .unwrap()
            .unwrap()
            .acked_at,
        Some(at(11))
    );
    // A late failure report after the acknowledgement changes nothing.
    store
        .record_upload_failure(&first.number, at(13), at(14), "late")
        .unwrap();

    let stats = store.queue_stats(at(20)).unwrap();
    assert_eq!(
        (stats.depth, stats.oldest_pending_created_at),
        (1, Some(at(3)))
    );
    assert_eq!(
        store.pending_uploads(at(20), 10).unwrap()[0].number,
        second.number
    );
    store.mark_acknowledged(&second.number, at(21)).unwrap();
    assert_eq!(
        store.queue_stats(at(30)).unwrap(),
        crate::QueueStats {
            depth: 0,
            due: 0,
            set_aside: 0,
            oldest_pending_created_at: None,
            next_attempt_at: None,
        }
    );
    assert!(matches!(
        store
            .mark_acknowledged(&fixtures::order_number(900), at(1))
            .unwrap_err(),
        StoreError::UnknownOrder(_)
    ));
}

#[test]
fn the_queue_lists_waiting_and_set_aside_uploads_and_retry_makes_them_due() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "q", at(0));
    // A refusal sets the upload aside far in the future.
    store
        .record_upload_failure(
            &order.number,
            at(1),
            at(60 * 24 * 365 * 100),
            "set_aside:unknown_project",
        )
        .unwrap();
    assert!(store.pending_uploads(at(2), 10).unwrap().is_empty());
    let queue = store.queue(10).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(
        queue[0].last_error.as_deref(),
        Some("set_aside:unknown_project")
    );

    assert!(store.retry_now(&order.number, at(3)).unwrap());
    let due = store.pending_uploads(at(3), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].last_error, None);

    store.mark_acknowledged(&order.number, at(4)).unwrap();
    assert!(!store.retry_now(&order.number, at(5)).unwrap());
    assert!(store.queue(10).unwrap().is_empty());
    let unknown = kiosk_domain::fixtures::order_number(999);
    assert!(store.retry_now(&unknown, at(5)).is_err());
}

#[test]
fn queue_stats_count_set_aside_orders_apart_like_the_outbox_port() {
    use kiosk_domain::ports::outbox::Outbox;
    let env = Env::new();
    let mut store = env.open();
    let refused = create_application(&mut store, "r", at(0));
    let waiting = create_application(&mut store, "w", at(2));
    let due = create_application(&mut store, "d", at(4));
    Outbox::set_aside(&mut store, &refused.number, at(5), "unknown_project").unwrap();
    store
        .record_upload_failure(&waiting.number, at(5), at(50), "timeout")
        .unwrap();

    let doctor = store.queue_stats(at(10)).unwrap();
    assert_eq!(
        doctor,
        crate::QueueStats {
            depth: 2,
            due: 1,
            set_aside: 1,
            // The refused order is older, but waits for staff, not the network.
            oldest_pending_created_at: Some(at(2)),
            next_attempt_at: Some(at(4)),
        }
    );
    let port = Outbox::stats(&mut store, at(10)).unwrap();
    assert_eq!(
        (
            port.depth,
            port.due,
            port.set_aside,
            port.oldest_pending_created_at,
            port.next_attempt_at
        ),
        (
            doctor.depth,
            doctor.due,
            doctor.set_aside,
            doctor.oldest_pending_created_at,
            doctor.next_attempt_at
        )
    );

    // Staff release it: it counts in the queue again, and nothing apart.
    store.retry_now(&refused.number, at(11)).unwrap();
    let after = store.queue_stats(at(11)).unwrap();
    assert_eq!((after.depth, after.due, after.set_aside), (3, 2, 0));
    assert_eq!(after.oldest_pending_created_at, Some(at(0)));
    store.mark_acknowledged(&due.number, at(12)).unwrap();
    assert_eq!(store.queue_stats(at(12)).unwrap().depth, 2);
}
