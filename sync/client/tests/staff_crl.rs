//! The staff CA's revocation lists from the CA service to a kiosk, over
//! real mutual TLS on 127.0.0.1: what the operator gave the service comes
//! back byte for byte, in order; a CA that publishes none gives none.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::{Listener, Options, Service};
use common::pki::Pki;
use common::{https, serve_tls, tls_client};
use kiosk_x509::test_ca::pem;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_gets_the_staff_lists_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (first, second, third) = (
        pki.staff_ca.crl(1),
        pki.staff_ca.crl(2),
        pki.staff_ca.crl(3),
    );
    // Two lists in one PEM file, one in a DER file.
    let both = dir.path().join("staff.pem");
    std::fs::write(
        &both,
        format!("{}{}", pem("X509 CRL", &first), pem("X509 CRL", &second)),
    )
    .unwrap();
    let der = dir.path().join("staff.crl");
    std::fs::write(&der, &third).unwrap();
    let service = Service::open(
        &dir.path().join("ca"),
        Options {
            staff_crls: vec![both, der],
            staff_ca_der: vec![pki.staff_ca.cert_der()],
            ..Options::default()
        },
    )
    .unwrap();
    let (kiosk, _stop) = serve_tls(&service, &pki, Listener::Kiosk).await;
    let base = format!("https://localhost:{}", kiosk.port());
    let client = tls_client(&pki, &base, &pki.device_ca.device("TYA"));
    assert_eq!(
        client.staff_revocation_lists().await.unwrap(),
        vec![first, second, third]
    );
    // Without a device certificate: refused.
    let r = https(&pki, None)
        .get(format!("{base}/v1/staff/crl"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_without_staff_lists_gives_none() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = common::ServedTls::start(dir.path(), &pki).await;
    let client = tls_client(&pki, &served.kiosk_url(""), &pki.device_ca.device("TYA"));
    assert_eq!(
        client.staff_revocation_lists().await.unwrap(),
        Vec::<Vec<u8>>::new()
    );
}
