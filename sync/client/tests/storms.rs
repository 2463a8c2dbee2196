//! 500 and 429 storms from the CA, on top of the fault-injecting proxy: the
//! queue still arrives exactly once, byte-identical, and after every 429 the
//! kiosk actually heard, its next request waits for the `Retry-After`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use ca_service::{Options, Service};
use common::*;
use kiosk_sync_client::Worker;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One API request as the service saw it.
#[derive(Debug, Clone)]
struct Seen {
    arrived: Instant,
    answered: Instant,
    status: u16,
    /// The peer's port: the proxy's side of the connection.
    port: u16,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// The real service's router, wrapped to log every answer it gives
/// (including the injected ones, which its own gate answers).
async fn start_logged_service(service: &Service) -> (SocketAddr, Log, oneshot::Sender<()>) {
    let log: Log = Arc::default();
    let l = log.clone();
    let router = ca_service::local(service.router(ca_service::Listener::Kiosk)).layer(
        axum::middleware::from_fn(
            move |ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request, next: Next| {
                let log = l.clone();
                async move {
                    let arrived = Instant::now();
                    let api = request.uri().path().starts_with("/v1/");
                    let response: Response = next.run(request).await;
                    if api {
                        log.lock().unwrap().push(Seen {
                            arrived,
                            answered: Instant::now(),
                            status: response.status().as_u16(),
                            port: peer.port(),
                        });
                    }
                    response
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, log, stop)
}

/// The storms, each started once the service has seen `after` API requests.
const STORMS: [(usize, u32, u16, Option<u32>); 5] = [
    (0, 3, 429, Some(1)),
    (30, 25, 500, None),
    (90, 3, 429, Some(1)),
    (140, 25, 503, None),
    (200, 2, 429, Some(2)),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storms_of_500_and_429_through_a_faulty_proxy_still_deliver_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::open(&dir.path().join("ca"), Options::default()).unwrap();
    let (addr, log, stop) = start_logged_service(&service).await;
    let proxy = proxy::start(addr, 0x5EED_0429, 5).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "storm", 60, 50_000, |_| {});

    // The storms, driven by how far the run has got.
    let storms = {
        let (service, log) = (service.clone(), log.clone());
        tokio::spawn(async move {
            for (after, count, status, retry_after) in STORMS {
                while log.lock().unwrap().len() < after {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                service.inject(count, status, retry_after);
            }
        })
    };

    let started = Instant::now();
    let (worker, mut state) =
        Worker::new(store, test_config(&format!("http://{}", proxy.addr))).unwrap();
    let (stop_worker, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    wait_drained(&mut state, 180).await;
    let _ = stop_worker.send(());
    let store = running.await.unwrap();
    let elapsed = started.elapsed();
    storms.await.unwrap();
    let _ = stop.send(());

    // Exactly once, byte-identical, acknowledged.
    assert_eq!(service.storage().order_count().unwrap(), 60);
    assert_arrived_exactly_once(&service, &queued);
    for q in &queued {
        let summary = store.order_summary(&q.number).unwrap().unwrap();
        assert!(summary.acked_at.is_some(), "{} not acknowledged", q.number);
    }

    let seen = log.lock().unwrap().clone();
    let faulted: Vec<(u16, Instant)> = proxy.counts.faulted_ports.lock().unwrap().clone();
    let count = |status: u16| seen.iter().filter(|s| s.status == status).count();
    let storm_total = |status: u16| {
        STORMS
            .iter()
            .filter(|s| s.2 == status)
            .map(|s| usize::try_from(s.1).unwrap())
            .sum::<usize>()
    };
    // Every storm was answered in full.
    for status in [429, 500, 503] {
        assert_eq!(count(status), storm_total(status), "HTTP {status} answers");
    }
    let c = &proxy.counts;
    let (dropped, delayed, cut, lost_n) = (
        c.dropped.load(Ordering::Relaxed),
        c.delayed.load(Ordering::Relaxed),
        c.cut.load(Ordering::Relaxed),
        c.replies_lost.load(Ordering::Relaxed),
    );
    eprintln!(
        "storms: {} API requests in {elapsed:?}; 429 x{}, 500 x{}, 503 x{}; \
         proxy: {} connections, {dropped} dropped, {delayed} delayed, {cut} cut, {lost_n} replies lost",
        seen.len(),
        count(429),
        count(500),
        count(503),
        c.connections.load(Ordering::Relaxed),
    );
    assert!(
        dropped > 0 && delayed > 0 && cut > 0 && lost_n > 0,
        "every proxy fault happened: {dropped} dropped, {delayed} delayed, {cut} cut, {lost_n} replies lost"
    );

    // Retry-After: after each 429 the kiosk heard, nothing reaches the
    // service before the time it named. A fault closes its connection, so
    // a fault on the 429's connection before that time means the 429 was
    // cut off or lost on its way; after it, the kiosk had heard and waited.
    let mut gaps = Vec::new();
    for (i, s) in seen.iter().enumerate() {
        if s.status != 429 {
            continue;
        }
        let asked = retry_after_of(&seen, i);
        let waited_until = s.answered + Duration::from_secs(asked);
        if faulted
            .iter()
            .any(|(port, at)| *port == s.port && *at < waited_until)
        {
            continue;
        }
        let next = seen
            .iter()
            .map(|n| n.arrived)
            .filter(|t| *t > s.answered)
            .min()
            .expect("a request after the 429");
        let gap = next - s.answered;
        assert!(
            gap >= Duration::from_secs(asked),
            "after a 429 with Retry-After {asked} s the next request came {gap:?} later"
        );
        // Not much longer either: the pause is the CA's, not a backoff's.
        assert!(
            gap < Duration::from_secs(asked + 3),
            "after a 429 with Retry-After {asked} s the kiosk waited {gap:?}"
        );
        gaps.push((asked, gap));
    }
    assert!(
        gaps.len() >= 4,
        "most 429s reached the kiosk: {} of {}",
        gaps.len(),
        count(429)
    );
    eprintln!("Retry-After (asked s, measured gap) after each 429 heard: {gaps:?}");
}

/// The `Retry-After` the `i`-th answer (a 429) carried: the storms are
/// answered in order, so the n-th 429 belongs to the storm that holds it.
fn retry_after_of(seen: &[Seen], i: usize) -> u64 {
    let nth = seen[..i].iter().filter(|s| s.status == 429).count();
    let mut before = 0;
    for (_, count, status, retry_after) in STORMS {
        if status != 429 {
            continue;
        }
        before += usize::try_from(count).unwrap();
        if nth < before {
            return u64::from(retry_after.unwrap());
        }
    }
    unreachable!("more 429s than the storms sent")
}
