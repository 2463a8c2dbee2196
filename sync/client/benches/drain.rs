//! Drains `BENCH_N` (default 200) queued orders, each with two 1 MB
//! attachments, from a real store to a real CA service over loopback, and
//! prints the time, orders/s and MB/s of attachment bytes. In the same run,
//! against the same service:
//!
//! - the baseline: `curl` uploading the same amount of attachment bytes
//!   (another `BENCH_N` orders' attachments, raw, one `curl` process and
//!   connection for all of them) to the same attachment route;
//! - `BENCH_SMALL` (default 1,000) orders without attachments (renewals)
//!   drained, in orders/s, over plain HTTP and then over mutual TLS (a
//!   device certificate, the service's access checks on);
//! - the access check alone (the route table looked up and the caller
//!   checked, as the service does for every request), in ns per request,
//!   beside the time a request over mutual TLS takes in the same run.
//!
//! Run with `cargo bench -p kiosk-sync-client --bench drain` (needs `curl`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a bench: a failure aborts it with its location"
)]
#![allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    reason = "rates and ratios, printed to one or two decimals"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use kiosk_domain::fixtures;
use kiosk_domain::order::OrderDetails;
use kiosk_domain::ports::outbox::Outbox;
use kiosk_store::Store;
use kiosk_sync_client::{CaClient, Worker};
use kiosk_sync_wire::order::OrderV1;
use kiosk_sync_wire::{headers, paths};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mb_per_s(bytes: u128, elapsed: Duration) -> f64 {
    let mb = bytes as f64 / 1e6;
    mb / elapsed.as_secs_f64()
}

/// Runs the worker's passes until `n` orders are acknowledged; the time.
async fn drain(worker: &mut Worker<Store>, n: u32) -> Duration {
    let start = Instant::now();
    let mut acknowledged = 0;
    while acknowledged < n {
        let report = worker.drain_once().await.unwrap();
        assert_eq!(report.retried + report.set_aside, 0);
        acknowledged += report.acknowledged;
    }
    start.elapsed()
}

/// The baseline: the CA learns of each order (untimed), then one `curl`
/// process PUTs every attachment's bytes, raw, to the attachment route
/// (timed). Returns the time and the bytes sent.
async fn curl_upload(
    store: &mut Store,
    client: &CaClient,
    base: &str,
    queued: &[common::Queued],
    dir: &Path,
) -> (Duration, u128) {
    // One entry per upload, `next` between entries.
    let mut config = String::new();
    let mut bytes = 0_u128;
    for (i, q) in queued.iter().enumerate() {
        let body = store.upload_body(&q.number).unwrap().unwrap();
        let doc = OrderV1::from_domain(&body.order, &body.attachments);
        client.put_order(&q.key, &doc).await.unwrap();
        for a in &body.attachments {
            if !config.is_empty() {
                config.push_str("next\n");
            }
            let file = dir.join(format!("{i}-{}.bin", a.position));
            std::fs::write(&file, &a.bytes).unwrap();
            bytes += a.bytes.len() as u128;
            let url = format!(
                "{base}{}?offset=0",
                paths::attachment(q.number.as_str(), a.position)
            );
            writeln!(
                config,
                "url = \"{url}\"\nupload-file = \"{}\"\nheader = \"{}: {}\"\n\
                 header = \"content-type: application/octet-stream\"\noutput = \"/dev/null\"\n\
                 fail\nsilent\nshow-error",
                file.display(),
                headers::SHA256,
                a.sha256_hex
            )
            .unwrap();
        }
    }
    let config_file = dir.join("curl.config");
    std::fs::write(&config_file, config).unwrap();
    let start = Instant::now();
    let status = std::process::Command::new("curl")
        .arg("--config")
        .arg(&config_file)
        .status()
        .expect("curl not found: install it (scripts/bootstrap.sh does)");
    let elapsed = start.elapsed();
    assert!(status.success(), "curl failed: {status}");
    (elapsed, bytes)
}

fn main() {
    let n = env_or("BENCH_N", 200);
    let small = env_or("BENCH_SMALL", 1_000);
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
        let (mut worker, _) = Worker::new(store, config.clone()).unwrap();
        let elapsed = drain(&mut worker, n).await;
        common::assert_arrived_exactly_once(&ca.service, &queued);
        let bytes = u128::from(n) * 2 * u128::try_from(size).unwrap();
        let worker_mbs = mb_per_s(bytes, elapsed);
        println!(
            "worker: drained {n} orders x 2 x 1 MB over loopback in {elapsed:.2?}: {:.1} orders/s, {worker_mbs:.1} MB/s",
            f64::from(n) / elapsed.as_secs_f64(),
        );

        let client = worker.client().clone();
        let mut store = worker.into_outbox();
        // The baseline's orders: as many, as large, never seen by the worker.
        let for_curl = common::queue_applications(&mut store, "curl", n, size, |_| {});
        let files = tempfile::tempdir().unwrap();
        let (curl_elapsed, curl_bytes) =
            curl_upload(&mut store, &client, &ca.url(), &for_curl, files.path()).await;
        assert_eq!(curl_bytes, bytes, "the baseline sends the same bytes");
        for q in &for_curl {
            let record = ca.service.storage().order(q.number.as_str()).unwrap().unwrap();
            let shas: Vec<Option<&str>> =
                record.attachments.iter().map(|a| a.sha256.as_deref()).collect();
            assert_eq!(shas, q.sha256.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>());
        }
        let curl_mbs = mb_per_s(curl_bytes, curl_elapsed);
        println!(
            "curl:   the same {} MB of attachments, raw, one process, in {curl_elapsed:.2?}: {curl_mbs:.1} MB/s",
            curl_bytes / 1_000_000
        );
        println!(
            "ratio:  worker time / curl time = {:.2} (curl MB/s / worker MB/s)",
            elapsed.as_secs_f64() / curl_elapsed.as_secs_f64()
        );

        // Orders without attachments: the protocol's round trips alone.
        let OrderDetails::Renewal(details) = fixtures::renewal_order(1).details else {
            unreachable!()
        };
        let queued_at = Instant::now();
        for i in 0..small {
            common::queue_renewal(&mut store, &format!("small-{i}"), details.clone());
        }
        println!("queued {small} orders without attachments in {:.2?}", queued_at.elapsed());
        // The curl set was never submitted: take it out of the worker's way.
        for q in &for_curl {
            client.submit(q.number.as_str()).await.unwrap();
            store.mark_acknowledged(&q.number, time::OffsetDateTime::now_utc()).unwrap();
        }
        let (mut worker, _) = Worker::new(store, config.clone()).unwrap();
        let elapsed = drain(&mut worker, small).await;
        println!(
            "worker: drained {small} orders without attachments in {elapsed:.2?}: {:.1} orders/s",
            f64::from(small) / elapsed.as_secs_f64()
        );

        // The same over mutual TLS, to a service on the same data.
        let mut store = worker.into_outbox();
        for i in 0..small {
            common::queue_renewal(&mut store, &format!("tls-{i}"), details.clone());
        }
        let server_ca = common::pki::Authority::new("CA service root");
        let device_ca = common::pki::Authority::new("Kiosk device CA");
        let tls_ca = common::start_tls_service(
            &dir.path().join("ca-tls"),
            ca_service::Options::default(),
            &server_ca.server(),
            &device_ca.cert_pem,
        )
        .await;
        let tls_config = common::test_config(&format!("https://localhost:{}", tls_ca.addr.port()))
            .with_tls(kiosk_sync_client::TlsSettings {
                roots_pem: server_ca.cert_pem.clone().into_bytes(),
                identity_pem: device_ca.device(fixtures::kiosk().as_str()).identity_pem(),
            });
        let (mut worker, _) = Worker::new(store, tls_config).unwrap();
        let tls_elapsed = drain(&mut worker, small).await;
        // Two requests an order (create, submit).
        let per_request = tls_elapsed / (2 * small);
        println!(
            "worker: drained {small} orders without attachments over mutual TLS in {tls_elapsed:.2?}: {:.1} orders/s, {per_request:.2?} a request",
            f64::from(small) / tls_elapsed.as_secs_f64()
        );

        // The access check alone, as the service makes it per request:
        // the route found in the table, the parameters read from the
        // path, the caller checked.
        let caller = ca_service::Caller::Kiosk(fixtures::kiosk());
        let path = format!("/v1/orders/{}", fixtures::order_number(1));
        let rounds = 1_000_000_u32;
        let start = Instant::now();
        for _ in 0..rounds {
            let template = std::hint::black_box("/v1/orders/{number}");
            let route = ca_service::access::find(std::hint::black_box("PUT"), template);
            let params =
                ca_service::access::PathParameters::of(template, std::hint::black_box(&path));
            let checked = ca_service::access::check(
                route,
                ca_service::Listener::Kiosk,
                std::hint::black_box(&caller),
                &params,
                false,
            );
            assert!(checked.is_ok());
        }
        let check = start.elapsed() / rounds;
        println!(
            "access check: {check:.2?} a request = {:.3} % of a request over mutual TLS",
            check.as_secs_f64() / per_request.as_secs_f64() * 100.0
        );
    });
}
