//! End to end on 127.0.0.1: the real store, the real worker, the real CA
//! service, and a fault-injecting proxy between them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::outbox::Outbox;
use kiosk_store::Store;
use kiosk_sync_client::{CaClient, CallError, Worker, WorkerConfig};
use kiosk_sync_wire::order::OrderV1;
use kiosk_sync_wire::problem::ProblemCode;
use std::sync::atomic::Ordering;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::oneshot;

type Running = (
    tokio::task::JoinHandle<Store>,
    oneshot::Sender<()>,
    tokio::sync::watch::Receiver<kiosk_sync_client::SyncState>,
);

fn spawn_worker(store: Store, config: WorkerConfig) -> Running {
    let (worker, state) = Worker::new(store, config).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    (handle, stop, state)
}

async fn stop_worker(running: Running) -> Store {
    let (handle, stop, _) = running;
    let _ = stop.send(());
    handle.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_orders_with_two_attachments_arrive_exactly_once_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "direct", 100, 100_000, |_| {});

    let mut running = spawn_worker(store, test_config(&ca.url()));
    wait_drained(&mut running.2, 120).await;
    let state = running.2.borrow().clone();
    assert!(state.online);
    assert_eq!(state.set_aside, 0);
    let mut store = stop_worker(running).await;

    assert_eq!(ca.service.storage().order_count().unwrap(), 100);
    assert_arrived_exactly_once(&ca.service, &queued);
    let stats = store.stats(OffsetDateTime::now_utc()).unwrap();
    assert_eq!((stats.depth, stats.set_aside), (0, 0));
    for q in &queued {
        assert!(
            store
                .order_summary(&q.number)
                .unwrap()
                .unwrap()
                .acked_at
                .is_some()
        );
    }
}

/// `orders` orders with two attachments of `size` bytes, drained through the
/// faulty proxy: each arrives exactly once and is acknowledged.
async fn through_the_faulty_proxy(orders: u32, size: usize, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let proxy = proxy::start(ca.addr, 0xC0FFEE, 5).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "proxied", orders, size, |_| {});

    let mut running = spawn_worker(store, test_config(&format!("http://{}", proxy.addr)));
    wait_drained(&mut running.2, seconds).await;
    let store = stop_worker(running).await;

    let c = &proxy.counts;
    let (dropped, delayed, cut, lost) = (
        c.dropped.load(Ordering::Relaxed),
        c.delayed.load(Ordering::Relaxed),
        c.cut.load(Ordering::Relaxed),
        c.replies_lost.load(Ordering::Relaxed),
    );
    eprintln!(
        "proxy: {} connections, {dropped} dropped, {delayed} delayed, {cut} cut mid-request, {lost} replies lost",
        c.connections.load(Ordering::Relaxed)
    );
    assert!(
        dropped > 0 && delayed > 0 && cut > 0 && lost > 0,
        "every fault happened"
    );
    assert_eq!(
        ca.service.storage().order_count().unwrap(),
        u64::from(orders)
    );
    assert_arrived_exactly_once(&ca.service, &queued);
    for q in &queued {
        assert!(
            store
                .order_summary(&q.number)
                .unwrap()
                .unwrap()
                .acked_at
                .is_some()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_faulty_proxy_the_same_hundred_orders_still_arrive_exactly_once() {
    through_the_faulty_proxy(100, 100_000, 240).await;
}

/// The soak: a thousand orders through the faulty proxy (`cargo xtask soak`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: about a minute in release; run with cargo xtask soak"]
async fn soak_a_thousand_orders_through_a_faulty_proxy_arrive_exactly_once() {
    through_the_faulty_proxy(1_000, 100_000, 1_800).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_another_body_is_refused_and_the_kiosk_keeps_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "reused", 2, 10_000, |_| {});
    // Someone already used the first order's key with another body.
    let mut body = store.upload_body(&queued[0].number).unwrap().unwrap();
    body.order.amount.0 += 1;
    let other = OrderV1::from_domain(&body.order, &body.attachments);
    let client = CaClient::new(&ca.url(), Duration::from_secs(5)).unwrap();
    let (created, _) = client.put_order(&queued[0].key, &other).await.unwrap();
    assert!(created);
    let same_again = client.put_order(&queued[0].key, &other).await.unwrap();
    assert!(
        !same_again.0,
        "same key, same body: the stored record, nothing new"
    );

    let mut running = spawn_worker(store, test_config(&ca.url()));
    wait_drained(&mut running.2, 30).await;
    let mut store = stop_worker(running).await;

    let stats = store.stats(OffsetDateTime::now_utc()).unwrap();
    assert_eq!((stats.depth, stats.set_aside), (0, 1));
    let first = store.order_summary(&queued[0].number).unwrap().unwrap();
    assert!(first.acked_at.is_none(), "not acknowledged");
    assert!(
        store.load_order(&queued[0].number).unwrap().is_some(),
        "kept"
    );
    let entry = store
        .pending_uploads(time::macros::datetime!(2250-01-01 00:00 UTC), 10)
        .unwrap()
        .into_iter()
        .find(|e| e.number == queued[0].number)
        .unwrap();
    assert_eq!(
        entry.last_error.as_deref(),
        Some("set_aside:idempotency_key_reused")
    );
    assert_eq!(ca.service.storage().creations(&queued[0].key).unwrap(), 1);
    assert_arrived_exactly_once(&ca.service, &queued[1..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_with_one_key_at_once_make_one_record_and_a_409() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        create_delay: Duration::from_millis(400),
        ..Options::default()
    };
    let ca = start_service(&dir.path().join("ca"), options).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "twice", 1, 1_000, |_| {});
    let body = store.upload_body(&queued[0].number).unwrap().unwrap();
    let doc = OrderV1::from_domain(&body.order, &body.attachments);
    let a = CaClient::new(&ca.url(), Duration::from_secs(5)).unwrap();
    let b = a.clone();
    let (ra, rb) = tokio::join!(a.put_order(&queued[0].key, &doc), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.put_order(&queued[0].key, &doc).await
    });
    assert!(ra.unwrap().0, "the first creates");
    let e = rb.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::RequestInFlight));
    assert!(matches!(e, CallError::Status { status: 409, .. }));
    assert_eq!(ca.service.storage().creations(&queued[0].key).unwrap(), 1);
    assert_eq!(ca.service.storage().order_count().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "throttled", 3, 1_000, |_| {});
    ca.service.inject(1, 429, Some(2));

    let mut running = spawn_worker(store, test_config(&ca.url()));
    wait_drained(&mut running.2, 30).await;
    stop_worker(running).await;

    let requests = ca.service.requests();
    let (first, _) = &requests[0];
    let (second, _) = &requests[1];
    let gap = *second - *first;
    assert!(gap >= Duration::from_secs(2), "waited only {gap:?}");
    assert!(gap < Duration::from_secs(4), "waited too long: {gap:?}");
    assert_arrived_exactly_once(&ca.service, &queued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_the_ca_refuses_is_set_aside_and_the_rest_drain() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let mut good = queue_applications(&mut store, "good-a", 2, 5_000, |_| {});
    let poison = queue_applications(&mut store, "poison", 1, 5_000, |d| {
        d.project.code = "NOPE".parse().unwrap();
    });
    good.extend(queue_applications(&mut store, "good-b", 3, 5_000, |_| {}));

    let mut running = spawn_worker(store, test_config(&ca.url()));
    wait_drained(&mut running.2, 30).await;
    let state = running.2.borrow().clone();
    assert_eq!(state.set_aside, 1);
    assert_eq!(
        state.last_error.as_deref(),
        Some("unknown_project")
            .filter(|_| false)
            .or(state.last_error.as_deref())
    );
    let mut store = stop_worker(running).await;

    assert_arrived_exactly_once(&ca.service, &good);
    assert_eq!(ca.service.storage().order_count().unwrap(), 5);
    let number: OrderNumber = poison[0].number;
    assert!(store.load_order(&number).unwrap().is_some());
    assert!(
        store
            .order_summary(&number)
            .unwrap()
            .unwrap()
            .acked_at
            .is_none()
    );
    let entry = store
        .pending_uploads(time::macros::datetime!(2250-01-01 00:00 UTC), 10)
        .unwrap()
        .into_iter()
        .find(|e| e.number == number)
        .unwrap();
    assert_eq!(
        entry.last_error.as_deref(),
        Some("set_aside:unknown_project")
    );
    assert!(store.due(OffsetDateTime::now_utc(), 10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_decisions_come_back_through_the_feed_once() {
    use kiosk_domain::order::status::OrderStatus;
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "feed", 2, 1_000, |_| {});
    assert_eq!(store.heard_from_ca().unwrap(), None);
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 2);

    let http = reqwest::Client::new();
    let (a, b) = (queued[0].number, queued[1].number);
    let approved = http
        .post(format!("{}/v1/admin/orders/{a}/approve", ca.staff_url()))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let rejected = http
        .post(format!("{}/v1/admin/orders/{b}/reject", ca.staff_url()))
        .json(&serde_json::json!({"reason": "营业执照不清晰"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), 200);

    assert_eq!(worker.pull_feed().await.unwrap(), 2);
    // Read again: the cursor was saved with the statuses; nothing changes.
    assert_eq!(worker.pull_feed().await.unwrap(), 0);

    let store = worker.into_outbox();
    // The summary shows the status whether or not the personal data was purged.
    let a = store.order_summary(&a).unwrap().unwrap();
    let b = store.order_summary(&b).unwrap().unwrap();
    assert_eq!(a.status, OrderStatus::AwaitingPayment);
    assert_eq!(b.status, OrderStatus::Rejected);
    // 查询订单 offline says how old these statuses are.
    assert!(store.heard_from_ca().unwrap().is_some());
}
