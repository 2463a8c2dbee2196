//! Mutual TLS between the kiosk's worker and the CA service, end to end on
//! 127.0.0.1 with certificates made in the test: a kiosk with a valid device
//! certificate drains its queue exactly once; an expired device certificate,
//! one from another CA, and a server certificate the kiosk does not trust
//! all end the connection in the handshake, and the order stays queued.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::pki::{Authority, Leaf};
use common::*;
use kiosk_store::Store;
use kiosk_sync_client::{CaClient, CallError, TlsSettings, Worker};
use std::time::Duration;

fn settings(roots: &Authority, device: &Leaf) -> TlsSettings {
    TlsSettings {
        roots_pem: roots.cert_pem.clone().into_bytes(),
        identity_pem: device.identity_pem(),
    }
}

/// One drain pass of a kiosk with `tls` against `url`, on a store with one
/// queued application: the order must not have been acknowledged, and must
/// still wait in the queue after a transport failure.
async fn refused_pass_keeps_the_order(url: &str, tls: TlsSettings, dir: &std::path::Path) -> Store {
    let mut store = open_store(dir);
    let queued = queue_applications(&mut store, "refused", 1, 10_000, |_| {});
    let config = test_config(url).with_tls(tls);
    let (mut worker, state) = Worker::new(store, config).unwrap();
    let report = worker.drain_once().await.unwrap();
    assert_eq!(report.acknowledged, 0, "{report:?}");
    assert_eq!(report.set_aside, 0, "{report:?}");
    assert_eq!(report.retried, 1, "{report:?}");
    let state = state.borrow().clone();
    assert!(!state.online);
    assert_eq!(state.last_error.as_deref(), Some("transport"));
    assert_eq!(state.queue_depth, 1);
    let store = worker.into_outbox();
    let waiting = store.queue(10).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].number, queued[0].number);
    assert_eq!(waiting[0].last_error.as_deref(), Some("transport"));
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_with_a_valid_device_certificate_drains_over_tls_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server_ca = Authority::new("CA service root");
    let device_ca = Authority::new("Kiosk device CA");
    let ca = start_tls_service(
        &dir.path().join("ca"),
        Options::default(),
        &server_ca.server(),
        &device_ca.cert_pem,
    )
    .await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "tls", 3, 50_000, |_| {});

    let config = test_config(&ca.url()).with_tls(settings(&server_ca, &device_ca.device("TYA")));
    let (mut worker, state) = Worker::new(store, config).unwrap();
    let report = worker.drain_once().await.unwrap();
    assert_eq!(report.acknowledged, 3, "{report:?}");
    assert_eq!((report.retried, report.set_aside), (0, 0), "{report:?}");
    assert!(state.borrow().online);
    assert_eq!(state.borrow().queue_depth, 0);

    // A second pass has nothing left to send.
    let again = worker.drain_once().await.unwrap();
    assert_eq!(again.acknowledged, 0);
    assert_eq!(ca.service.storage().order_count().unwrap(), 3);
    assert_arrived_exactly_once(&ca.service, &queued);
    assert!(worker.into_outbox().queue(10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls_client_probes_and_refuses_plain_http_urls() {
    let dir = tempfile::tempdir().unwrap();
    let server_ca = Authority::new("CA service root");
    let device_ca = Authority::new("Kiosk device CA");
    let ca = start_tls_service(
        &dir.path().join("ca"),
        Options::default(),
        &server_ca.server(),
        &device_ca.cert_pem,
    )
    .await;
    let tls = settings(&server_ca, &device_ca.device("TYA"));
    let client = CaClient::with_tls(&ca.url(), Duration::from_secs(5), &tls).unwrap();
    assert!(client.probe().await.unwrap().server_time.is_some());

    // The same service asked over plain HTTP: the TLS client will not.
    let plain = format!("http://{}", ca.addr);
    let client = CaClient::with_tls(&plain, Duration::from_secs(5), &tls).unwrap();
    assert!(matches!(client.probe().await, Err(CallError::Transport(_))));

    // Settings without a root or without a key are refused up front.
    let no_roots = TlsSettings {
        roots_pem: Vec::new(),
        ..tls.clone()
    };
    assert!(CaClient::with_tls(&ca.url(), Duration::from_secs(5), &no_roots).is_err());
    let no_key = TlsSettings {
        identity_pem: device_ca.device("TYA").cert_pem.into_bytes(),
        ..tls
    };
    assert!(CaClient::with_tls(&ca.url(), Duration::from_secs(5), &no_key).is_err());
}

/// A service that accepts devices of "Kiosk device CA" refuses the device
/// certificate `device` makes (given that CA): no request reaches it, no
/// order is stored, and the kiosk keeps its order.
async fn device_certificate_is_refused(device: impl FnOnce(&Authority) -> Leaf) {
    let dir = tempfile::tempdir().unwrap();
    let server_ca = Authority::new("CA service root");
    let device_ca = Authority::new("Kiosk device CA");
    let ca = start_tls_service(
        &dir.path().join("ca"),
        Options::default(),
        &server_ca.server(),
        &device_ca.cert_pem,
    )
    .await;
    let tls = settings(&server_ca, &device(&device_ca));
    refused_pass_keeps_the_order(&ca.url(), tls, &dir.path().join("kiosk")).await;
    assert!(ca.service.requests().is_empty());
    assert_eq!(ca.service.storage().order_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_device_certificate_is_refused_and_the_order_stays_queued() {
    device_certificate_is_refused(|device_ca| device_ca.expired_device("TYA")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_certificate_from_another_ca_is_refused_and_the_order_stays_queued() {
    // Same name as the accepted CA, another key.
    device_certificate_is_refused(|_| Authority::new("Kiosk device CA").device("TYA")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_an_untrusted_ca_is_refused_by_the_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    let server_ca = Authority::new("CA service root");
    let impostor_ca = Authority::new("CA service root"); // same name, other key
    let device_ca = Authority::new("Kiosk device CA");
    let ca = start_tls_service(
        &dir.path().join("ca"),
        Options::default(),
        &impostor_ca.server(),
        &device_ca.cert_pem,
    )
    .await;
    // The kiosk trusts only `server_ca`; its device certificate is good.
    let tls = settings(&server_ca, &device_ca.device("TYA"));
    let mut store =
        refused_pass_keeps_the_order(&ca.url(), tls.clone(), &dir.path().join("kiosk")).await;
    assert!(ca.service.requests().is_empty());
    assert_eq!(ca.service.storage().order_count().unwrap(), 0);

    // Once the kiosk trusts the right CA, the same order goes through.
    let waiting = store.queue(10).unwrap();
    store
        .retry_now(&waiting[0].number, time::OffsetDateTime::now_utc())
        .unwrap();
    let trusting = TlsSettings {
        roots_pem: impostor_ca.cert_pem.clone().into_bytes(),
        ..tls
    };
    let (mut worker, _) = Worker::new(store, test_config(&ca.url()).with_tls(trusting)).unwrap();
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 1);
    assert_eq!(ca.service.storage().order_count().unwrap(), 1);
}
