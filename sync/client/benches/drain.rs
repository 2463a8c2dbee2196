//! Drains `BENCH_N` (default 200) queued orders, each with two 1 MB
//! attachments, from a real store to a real CA service over loopback, and
//! prints the time, orders/s and MB/s of attachment bytes.
//!
//! Run with `cargo bench -p kiosk-sync-client --bench drain`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a bench: a failure aborts it with its location"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

fn main() {
    let n: u32 = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let size = 1_000_000_usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let ca = common::start_service(&dir.path().join("ca"), ca_service::Options::default()).await;
        let mut store = common::open_store(&dir.path().join("kiosk"));
        let queued_at = Instant::now();
        let queued = common::queue_applications(&mut store, "bench", n, size, |_| {});
        println!("queued {n} orders in {:?}", queued_at.elapsed());

        let mut config = common::test_config(&ca.url());
        config.batch = 50;
        let (mut worker, _) = kiosk_sync_client::Worker::new(store, config).unwrap();
        let start = Instant::now();
        let mut acknowledged = 0;
        while acknowledged < n {
            let report = worker.drain_once().await.unwrap();
            assert_eq!(report.retried + report.set_aside, 0);
            acknowledged += report.acknowledged;
        }
        let elapsed = start.elapsed();
        common::assert_arrived_exactly_once(&ca.service, &queued);
        let bytes = u128::from(n) * 2 * u128::try_from(size).unwrap();
        let millis = elapsed.as_millis().max(1);
        println!(
            "drained {n} orders x 2 x 1 MB over loopback in {elapsed:?}: {} orders/s, {}.{:02} MB/s",
            u128::from(n) * 1000 / millis,
            bytes * 1000 / millis / 1_000_000,
            (bytes * 100_000 / millis / 1_000_000) % 100
        );
    });
}
