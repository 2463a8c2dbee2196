//! The CA's roots and demonstration issuance over real HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_domain::fixtures;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::issuance::{CaRootsV1, DemoIssuedV1};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_x509::RemoteSigner;
use kiosk_x509::test_ca::{CustomerSubject, SoftSigner};
use serde_json::json;
use time::OffsetDateTime;

/// A PKCS #10 request for the fixtures' unit, signed by `key`.
fn request(ca: &Running, key: &SoftSigner) -> Vec<u8> {
    let template = ca
        .service
        .ca()
        .issue_for_subject(
            &CustomerSubject {
                unit_name: "山西示例煤业有限公司".to_owned(),
                uscc: fixtures::USCC.to_owned(),
            },
            &SoftSigner::generate_p256(),
            30,
        )
        .unwrap();
    let subject = kiosk_x509::details(&template).unwrap().subject_der;
    kiosk_x509::build_request(&subject, key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roots_are_the_ca_that_issues_customer_certificates() {
    let ca = start(Options::default()).await;
    let r = ca.get("/v1/ca/roots").await;
    assert_eq!(r.status(), 200);
    let roots: CaRootsV1 = r.json().await.unwrap();
    let roots: Vec<Vec<u8>> = roots
        .roots_der_hex
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect();
    assert_eq!(roots, vec![ca.service.ca().root_der()]);
    // With --demo the demonstration CA's root follows, another one.
    let ca = start(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let roots: CaRootsV1 = ca.get("/v1/ca/roots").await.json().await.unwrap();
    let demo_root = ca.service.demo_ca().unwrap().root_der();
    assert_ne!(demo_root, ca.service.ca().root_der());
    assert_eq!(
        roots.roots_der_hex,
        vec![
            hex::encode(&ca.service.ca().root_der()),
            hex::encode(&demo_root)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_issuance_is_off_by_default() {
    let ca = start(Options::default()).await;
    let key = SoftSigner::generate_p256();
    let body = json!({"request_der_hex": hex::encode(&request(&ca, &key)), "validity_days": 20});
    let r = ca.post_json("/v1/admin/demo/issue", &body).await;
    expect_problem(r, 404, ProblemCode::NotFound).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_issuance_gives_a_certificate_inside_the_renewal_window() {
    let ca = start(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let key = SoftSigner::generate_p256();
    let csr = request(&ca, &key);
    let body = json!({"request_der_hex": hex::encode(&csr), "validity_days": 20});
    let r = ca.post_json("/v1/admin/demo/issue", &body).await;
    assert_eq!(r.status(), 200);
    let issued: DemoIssuedV1 = r.json().await.unwrap();
    let der = hex::decode(&issued.certificate_der_hex).unwrap();
    // The demonstration CA's, never the CA's own.
    let verified = kiosk_x509::verify_issued(
        &der,
        &key.public_key_spki_der(),
        &[],
        &[ca.service.demo_ca().unwrap().root_der()],
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert!(
        kiosk_x509::verify_issued(
            &der,
            &key.public_key_spki_der(),
            &[],
            &[ca.service.ca().root_der()],
            OffsetDateTime::now_utc(),
        )
        .is_err()
    );
    let left = verified.not_after - OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::days(19) && left <= time::Duration::days(20),
        "{left}"
    );

    // Bad input: 4xx problems, never a certificate.
    let mut tampered = csr.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let cases = [
        (
            json!({"request_der_hex": "zz", "validity_days": 20}),
            422,
            ProblemCode::InvalidField,
        ),
        (
            json!({"request_der_hex": "", "validity_days": 20}),
            422,
            ProblemCode::InvalidField,
        ),
        (
            json!({"request_der_hex": hex::encode(&csr), "validity_days": 0}),
            422,
            ProblemCode::InvalidField,
        ),
        (
            json!({"request_der_hex": hex::encode(&csr), "validity_days": 3651}),
            422,
            ProblemCode::InvalidField,
        ),
        (
            json!({"request_der_hex": "3000", "validity_days": 20}),
            422,
            ProblemCode::InvalidRequest,
        ),
        (
            json!({"request_der_hex": hex::encode(&tampered), "validity_days": 20}),
            422,
            ProblemCode::InvalidRequest,
        ),
        (
            json!({"request_der_hex": hex::encode(&csr)}),
            400,
            ProblemCode::MalformedBody,
        ),
        (
            json!({"request_der_hex": hex::encode(&csr), "validity_days": -1}),
            400,
            ProblemCode::MalformedBody,
        ),
    ];
    for (body, status, code) in cases {
        expect_problem(
            ca.post_json("/v1/admin/demo/issue", &body).await,
            status,
            code,
        )
        .await;
    }
}

/// The CA's key policy: a request for a key it does not certify (RSA-1024)
/// is refused whatever else is right; P-256 and RSA-2048 and up are signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_keys_the_policy_allows_are_certified() {
    let ca = start(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let weak = SoftSigner::generate_rsa(1024).unwrap();
    let body = json!({"request_der_hex": hex::encode(&request(&ca, &weak)), "validity_days": 20});
    let p = expect_problem(
        ca.post_json("/v1/admin/demo/issue", &body).await,
        422,
        ProblemCode::InvalidRequest,
    )
    .await;
    assert!(p.detail.unwrap().contains("RSA-1024"));
    // A CA that allows P-256 only refuses RSA-2048 too.
    let strict = start(Options {
        demo: true,
        key_policy: vec![kiosk_x509::KeyAlgorithm::EcP256],
        ..Options::default()
    })
    .await;
    let rsa = SoftSigner::generate_rsa(2048).unwrap();
    let body =
        json!({"request_der_hex": hex::encode(&request(&strict, &rsa)), "validity_days": 20});
    expect_problem(
        strict.post_json("/v1/admin/demo/issue", &body).await,
        422,
        ProblemCode::InvalidRequest,
    )
    .await;
    let ec = SoftSigner::generate_p256();
    let body = json!({"request_der_hex": hex::encode(&request(&strict, &ec)), "validity_days": 20});
    assert_eq!(
        strict
            .post_json("/v1/admin/demo/issue", &body)
            .await
            .status(),
        200
    );
}
