//! The CA service's protocol, route by route, from the kiosk's client: the
//! OpenAPI document, validation (bad input is a 4xx problem, never a 500),
//! resumable attachments, the review feed, and renewals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_domain::fixtures;
use kiosk_domain::order::OrderDetails;
use kiosk_domain::order::renewal::{InstallProgress, RenewalDetails};
use kiosk_domain::ports::outbox::Outbox;
use kiosk_sync_client::{CaClient, Worker};
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::order::{DetailsV1, OrderV1};
use kiosk_sync_wire::problem::{Problem, ProblemCode};
use kiosk_sync_wire::renewal::{KeyAlgorithmV1, ProofV1, RenewabilityVerdictV1, RenewalRequestV1};
use kiosk_x509::RemoteSigner;
use kiosk_x509::test_ca::{CustomerSubject, SoftSigner};
use std::time::Duration;
use time::OffsetDateTime;

const KEY: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_parses_and_lists_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(dir.path(), Options::default()).await;
    let text = reqwest::get(format!("{}/openapi.json", ca.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for ca_service::access::Route { method, path, .. } in ca_service::ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    // Every problem code of the wire is documented.
    let codes = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap();
    for code in ProblemCode::ALL {
        assert!(
            codes.iter().any(|c| c == code.as_str()),
            "{}",
            code.as_str()
        );
    }
}

async fn problem(response: reqwest::Response) -> (u16, Problem) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_4xx_problem_never_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(dir.path(), Options::default()).await;
    let http = reqwest::Client::new();
    let order = fixtures::application_order(1);
    let good = OrderV1::from_domain(&order, &[]);
    let url = format!("{}/v1/orders/{}", ca.url(), good.number);

    let mut bad_uscc = good.clone();
    if let DetailsV1::Application(a) = &mut bad_uscc.details {
        a.unit_uscc = "91110108551385082A".to_owned();
    }
    let (status, p) = problem(
        http.put(&url)
            .header("idempotency-key", KEY)
            .json(&bad_uscc)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, p.code), (422, ProblemCode::InvalidField));
    assert_eq!(p.field.as_deref(), Some("details.unit_uscc"));
    assert!(!p.message_zh_cn.is_empty() && !p.message_en.is_empty());

    let mut bad_mobile = good.clone();
    if let DetailsV1::Application(a) = &mut bad_mobile.details {
        a.handler_mobile = "1234".to_owned();
    }
    let (status, p) = problem(
        http.put(&url)
            .header("idempotency-key", KEY)
            .json(&bad_mobile)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, p.field.as_deref()),
        (422, Some("details.handler_mobile"))
    );

    let cases: Vec<(reqwest::RequestBuilder, u16, ProblemCode)> = vec![
        (
            http.put(&url).json(&good),
            400,
            ProblemCode::IdempotencyKeyMissing,
        ),
        (
            http.put(&url)
                .header("idempotency-key", "short")
                .json(&good),
            400,
            ProblemCode::IdempotencyKeyMissing,
        ),
        (
            http.put(&url)
                .header("idempotency-key", KEY)
                .header("content-type", "application/json")
                .body("{not json"),
            400,
            ProblemCode::MalformedBody,
        ),
        (
            http.put(format!("{}/v1/orders/OTHER", ca.url()))
                .header("idempotency-key", KEY)
                .json(&good),
            422,
            ProblemCode::NumberMismatch,
        ),
        (
            http.get(format!("{}/v1/nothing", ca.url())),
            404,
            ProblemCode::NotFound,
        ),
        (
            http.get(format!("{url}/attachments/notanumber")),
            404,
            ProblemCode::NotFound,
        ),
        (
            http.get(format!("{}/v1/feed?cursor=-1", ca.url())),
            400,
            ProblemCode::MalformedBody,
        ),
        (
            http.post(format!("{url}/submit")),
            404,
            ProblemCode::NotFound,
        ),
        (
            http.post(format!("{}/v1/renewals/{}", ca.url(), good.number))
                .json(&serde_json::json!({"attempt": 1})),
            400,
            ProblemCode::MalformedBody,
        ),
    ];
    for (request, want_status, want_code) in cases {
        let (status, p) = problem(request.send().await.unwrap()).await;
        assert_eq!((status, p.code), (want_status, want_code));
    }
    assert_eq!(ca.service.storage().order_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_cut_at_half_resumes_from_the_servers_offset() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "half", 1, 1_000_000, |_| {});
    let body = store.upload_body(&queued[0].number).unwrap().unwrap();
    let doc = OrderV1::from_domain(&body.order, &body.attachments);
    let client = CaClient::new(&ca.url(), Duration::from_secs(5)).unwrap();
    client.put_order(&queued[0].key, &doc).await.unwrap();

    let a = &body.attachments[0];
    let half = a.bytes.len() / 2;
    let n = doc.number.as_str();
    let status = client
        .put_attachment_part(n, 0, 0, &a.sha256_hex, a.bytes[..half].to_vec())
        .await
        .unwrap();
    assert_eq!((status.received, status.complete), (half as u64, false));
    // A part from the wrong offset is refused with the CA's offset.
    let e = client
        .put_attachment_part(n, 0, 0, &a.sha256_hex, a.bytes.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::OffsetMismatch));
    // HEAD tells the offset too.
    let head = reqwest::Client::new()
        .head(format!("{}/v1/orders/{n}/attachments/0", ca.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["upload-offset"], half.to_string().as_str());
    let offset = client.attachment_status(n, 0).await.unwrap().received;
    let done = client
        .put_attachment_part(n, 0, offset, &a.sha256_hex, a.bytes[half..].to_vec())
        .await
        .unwrap();
    assert!(done.complete);
    assert_eq!(done.sha256.as_deref(), Some(a.sha256_hex.as_str()));
    assert_eq!(
        ca.service
            .storage()
            .attachment_bytes(n, 0)
            .unwrap()
            .unwrap(),
        a.bytes
    );

    // Not complete yet: submitting is refused (transient: 409).
    let e = client.submit(n).await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::AttachmentsIncomplete));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_decisions_reach_the_feed_in_order_with_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_applications(&mut store, "review", 2, 1_000, |_| {});
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    let report = worker.drain_once().await.unwrap();
    assert_eq!(report.acknowledged, 2);

    let http = reqwest::Client::new();
    let (a, b) = (queued[0].number.as_str(), queued[1].number.as_str());
    let ok = http
        .post(format!("{}/v1/admin/orders/{a}/approve", ca.staff_url()))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let ok = http
        .post(format!("{}/v1/admin/orders/{b}/reject", ca.staff_url()))
        .json(&serde_json::json!({"reason": "营业执照不清晰"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // Approving a rejected order is not in the status table.
    let (status, p) = problem(
        http.post(format!("{}/v1/admin/orders/{b}/approve", ca.staff_url()))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, p.code), (409, ProblemCode::IllegalTransition));

    let client = worker.client();
    let page = client.feed(0, 100).await.unwrap();
    let seen: Vec<(String, StatusV1)> = page
        .entries
        .iter()
        .map(|e| (e.number.clone(), e.status))
        .collect();
    assert_eq!(
        seen,
        vec![
            (a.to_owned(), StatusV1::PendingReview),
            (b.to_owned(), StatusV1::PendingReview),
            (a.to_owned(), StatusV1::AwaitingPayment),
            (b.to_owned(), StatusV1::Rejected),
        ]
    );
    assert_eq!(page.entries[3].reason.as_deref(), Some("营业执照不清晰"));
    let next = client.feed(page.entries[1].seq, 100).await.unwrap();
    assert_eq!(next.entries.len(), 2);
    let empty = client.feed(page.next_cursor, 100).await.unwrap();
    assert!(empty.entries.is_empty());
    assert_eq!(empty.next_cursor, page.next_cursor);
}

fn renewal_request(
    old_cert: &[u8],
    old_key: &SoftSigner,
    new_key: &SoftSigner,
    attempt: u32,
) -> RenewalRequestV1 {
    let subject = kiosk_x509::details(old_cert).unwrap().subject_der;
    let csr = kiosk_x509::build_request(&subject, new_key).unwrap();
    let proof = kiosk_x509::prove(&csr, old_key, old_cert).unwrap();
    RenewalRequestV1 {
        attempt,
        request_der_hex: hex::encode(&csr),
        proof: ProofV1 {
            old_certificate_der_hex: hex::encode(&proof.old_certificate_der),
            signature_hex: hex::encode(&proof.signature),
            algorithm: KeyAlgorithmV1::EcP256,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_is_issued_once_per_order_and_attempt_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(
        &dir.path().join("ca"),
        Options {
            demo: true,
            ..Options::default()
        },
    )
    .await;
    let old_key = SoftSigner::generate_p256();
    let old_cert = ca
        .service
        .ca()
        .issue_for_subject(
            &CustomerSubject {
                unit_name: "山西示例煤业有限公司".to_owned(),
                uscc: fixtures::USCC.to_owned(),
            },
            &old_key,
            30,
        )
        .unwrap();
    let mut store = open_store(&dir.path().join("kiosk"));
    let q = queue_renewal_of(&mut store, "renewal-1", &old_cert);
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 1);
    let client = worker.client().clone();
    let number = q.number.as_str();

    let new_key = SoftSigner::generate_p256();
    let request = renewal_request(&old_cert, &old_key, &new_key, 1);
    // Not paid yet: refused. The customer pays on the simulator's page.
    let e = client.renew(number, &request).await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::PaymentRequired));
    pay_through_simulator(&client, number).await;
    let first = client.renew(number, &request).await.unwrap();
    let again = client.renew(number, &request).await.unwrap();
    assert_eq!(first, again, "the same attempt gets the same certificate");
    assert_eq!(ca.service.issued_count(), 1);

    let der = hex::decode(&first.certificate_der_hex).unwrap();
    let verified = kiosk_x509::verify_issued(
        &der,
        &new_key.public_key_spki_der(),
        &[],
        &[ca.service.ca().root_der()],
        OffsetDateTime::now_utc(),
    )
    .unwrap();

    // Another request for an attempt already issued is a conflict.
    let other_key = SoftSigner::generate_p256();
    let conflicting = renewal_request(&old_cert, &old_key, &other_key, 1);
    let e = client.renew(number, &conflicting).await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::RenewalConflict));
    // A new attempt gets its own certificate.
    let second = client
        .renew(number, &conflicting_attempt(conflicting))
        .await
        .unwrap();
    assert_ne!(second.certificate_der_hex, first.certificate_der_hex);
    assert_eq!(ca.service.issued_count(), 2);
    // One paid order, one valid certificate: the CA's revocation list now
    // withdraws the first attempt's (superseded), not the second's.
    let serial = |hex_der: &str| {
        kiosk_x509::summarize(&hex::decode(hex_der).unwrap(), "")
            .unwrap()
            .serial_hex
    };
    let crl = reqwest::get(format!("{}/v1/ca/crl", ca.url()))
        .await
        .unwrap();
    assert_eq!(crl.headers()["content-type"], "application/pkix-crl");
    let revoked =
        kiosk_x509::revoked_serials(&crl.bytes().await.unwrap(), &ca.service.ca().root_der())
            .unwrap();
    assert_eq!(revoked, vec![serial(&first.certificate_der_hex)]);
    assert!(!revoked.contains(&serial(&second.certificate_der_hex)));
    // Signed by this CA only: another CA's key does not verify it.
    let other = kiosk_x509::test_ca::TestCa::new("Other CA").unwrap();
    let crl = reqwest::get(format!("{}/v1/ca/crl", ca.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(kiosk_x509::revoked_serials(&crl, &other.root_der()).is_err());
    // And a superseded certificate renews nothing: an order naming the
    // first attempt's, paid, with a sound proof by its key, is refused.
    let first_der = hex::decode(&first.certificate_der_hex).unwrap();
    let mut store = worker.into_outbox();
    let of_superseded = queue_renewal_of(&mut store, "renewal-of-superseded", &first_der);
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 1);
    pay_through_simulator(&client, of_superseded.number.as_str()).await;
    let e = client
        .renew(
            of_superseded.number.as_str(),
            &renewal_request(&first_der, &new_key, &SoftSigner::generate_p256(), 1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::ProofRejected), "{e}");
    assert_eq!(ca.service.issued_count(), 2);

    // A proof by another key is refused, and so is a certificate from another CA.
    let stranger = SoftSigner::generate_p256();
    let mut forged = renewal_request(&old_cert, &old_key, &new_key, 3);
    forged.proof.signature_hex = renewal_request(&old_cert, &old_key, &stranger, 3)
        .proof
        .signature_hex;
    let e = client.renew(number, &forged).await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::ProofRejected));
    let other_ca = kiosk_x509::test_ca::TestCa::new("Other CA").unwrap();
    let foreign_cert = other_ca
        .issue_for_subject(
            &CustomerSubject {
                unit_name: "山西示例煤业有限公司".to_owned(),
                uscc: fixtures::USCC.to_owned(),
            },
            &old_key,
            30,
        )
        .unwrap();
    let e = client
        .renew(
            number,
            &renewal_request(&foreign_cert, &old_key, &new_key, 4),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::UnknownCertificate));
    assert_eq!(ca.service.issued_count(), 2);
    assert!(!verified.serial_hex.is_empty());
}

/// Queues, as the kiosk would, a renewal order (session `session`) of the
/// certificate `der`, with the fixtures' contact and invoice details.
fn queue_renewal_of(store: &mut kiosk_store::Store, session: &str, der: &[u8]) -> Queued {
    let OrderDetails::Renewal(details) = fixtures::renewal_order(1).details else {
        unreachable!()
    };
    queue_renewal(
        store,
        session,
        RenewalDetails {
            old_certificate: kiosk_x509::summarize(der, "").unwrap(),
            install: InstallProgress::default(),
            ..details
        },
    )
}

/// Opens the order's QR payment and presses 确认支付 on the page its QR
/// code encodes, as the customer's phone would.
async fn pay_through_simulator(client: &CaClient, number: &str) {
    pay_amount(client, number, 30_000).await;
}

/// The same for `amount_fen`.
async fn pay_amount(client: &CaClient, number: &str, amount_fen: i64) {
    let payment = client.create_payment(number, amount_fen).await.unwrap();
    let page = reqwest::Client::new()
        .post(&payment.qr_payload)
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success());
    assert_eq!(client.payment(&payment.id).await.unwrap().status, "paid");
}

fn conflicting_attempt(mut request: RenewalRequestV1) -> RenewalRequestV1 {
    request.attempt = 2;
    request
}

/// 异常恢复 at any kiosk, the CA's side: a paid renewal is found by its
/// certificate's serial (with what another kiosk needs to continue it)
/// until a kiosk says its certificate is on the key; the order's status
/// follows at the CA (正在受理, 已制证, 已完成), each step in the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_renewal_is_found_by_its_certificate_until_it_is_installed() {
    use kiosk_domain::ports::ca::CaPort;
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(
        &dir.path().join("ca"),
        Options {
            demo: true,
            ..Options::default()
        },
    )
    .await;
    let old_key = SoftSigner::generate_p256();
    let old_cert = ca
        .service
        .ca()
        .issue_for_subject(
            &CustomerSubject {
                unit_name: "山西示例煤业有限公司".to_owned(),
                uscc: fixtures::USCC.to_owned(),
            },
            &old_key,
            30,
        )
        .unwrap();
    let mut store = open_store(&dir.path().join("kiosk"));
    let OrderDetails::Renewal(details) = fixtures::renewal_order(1).details else {
        unreachable!()
    };
    let details = RenewalDetails {
        old_certificate: kiosk_x509::summarize(&old_cert, "").unwrap(),
        ..details
    };
    let serial = details.old_certificate.serial_hex.clone();
    let q = queue_renewal(&mut store, "renewal-1", details.clone());
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 1);
    let client = worker.client().clone();
    let number = q.number.as_str();

    // Unpaid: nothing to continue (the customer renews anew anywhere).
    assert!(
        CaPort::open_renewals(&client, &serial)
            .await
            .unwrap()
            .is_empty()
    );
    pay_through_simulator(&client, number).await;

    // Paid: found, however the serial is written, with the document's
    // details and the paid payment; the domain resumes it as the same order.
    let lower = format!("00{}", serial.to_ascii_lowercase());
    let open = CaPort::open_renewals(&client, &lower).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let found = open[0].clone();
    assert_eq!(found.number, q.number);
    assert_eq!(found.contact, details.contact);
    assert_eq!(found.invoice, details.invoice);
    assert_eq!(found.issued_attempt, None);
    let resumed = found
        .resume(details.old_certificate.clone(), OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(resumed.payment().unwrap().amount.0, 30_000);
    assert_eq!(
        ca.service.storage().order(number).unwrap().unwrap().status,
        StatusV1::InProgress
    );

    // Issued for attempt 1: still open (not yet on the key), 已制证.
    let new_key = SoftSigner::generate_p256();
    client
        .renew(number, &renewal_request(&old_cert, &old_key, &new_key, 1))
        .await
        .unwrap();
    let open = CaPort::open_renewals(&client, &serial).await.unwrap();
    assert_eq!(open[0].issued_attempt, Some(1));
    assert_eq!(
        ca.service.storage().order(number).unwrap().unwrap().status,
        StatusV1::CertificateMade
    );

    // An attempt never issued cannot be on the key: refused, nothing changes.
    let e = CaPort::renewal_installed(&client, q.number, 2)
        .await
        .unwrap_err();
    assert!(e.reached_ca(), "{e:?}");
    assert_eq!(
        CaPort::open_renewals(&client, &serial).await.unwrap().len(),
        1
    );

    // Installed (said twice: a repeated report is the same report).
    CaPort::renewal_installed(&client, q.number, 1)
        .await
        .unwrap();
    CaPort::renewal_installed(&client, q.number, 1)
        .await
        .unwrap();
    assert!(
        CaPort::open_renewals(&client, &serial)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ca.service.storage().order(number).unwrap().unwrap().status,
        StatusV1::Completed
    );
    let statuses: Vec<StatusV1> = ca
        .service
        .storage()
        .feed(0, 100, None)
        .unwrap()
        .into_iter()
        .filter(|e| e.number == number)
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses,
        [
            StatusV1::AwaitingPayment,
            StatusV1::InProgress,
            StatusV1::CertificateMade,
            StatusV1::Completed
        ],
        "each step once, in order"
    );

    // Another certificate has nothing open; a serial that is none is a 422.
    assert!(
        CaPort::open_renewals(&client, "FFEE")
            .await
            .unwrap()
            .is_empty()
    );
    let r = reqwest::Client::new()
        .post(format!("{}/v1/renewals/open", ca.url()))
        .json(&serde_json::json!({"certificate_serial_hex": "not hex"}))
        .send()
        .await
        .unwrap();
    let (status, p) = problem(r).await;
    assert_eq!((status, p.code), (422, ProblemCode::InvalidField));
    // An unknown order's report is a 404.
    let e = CaPort::renewal_installed(&client, fixtures::order_number(77), 1)
        .await
        .unwrap_err();
    assert!(e.reached_ca(), "{e:?}");
}

/// No free certificates: a renewal order is issued only against the
/// certificate it names (another valid certificate of the same CA proves
/// nothing), and only once paid at the CA's price (a payment opened before
/// the order arrived was for whatever the client said).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_is_issued_only_for_its_own_certificate_paid_at_the_cas_price() {
    let dir = tempfile::tempdir().unwrap();
    let ca = start_service(
        &dir.path().join("ca"),
        Options {
            demo: true,
            ..Options::default()
        },
    )
    .await;
    let subject = CustomerSubject {
        unit_name: "山西示例煤业有限公司".to_owned(),
        uscc: fixtures::USCC.to_owned(),
    };
    let (key_a, key_b) = (SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let cert_a = ca
        .service
        .ca()
        .issue_for_subject(&subject, &key_a, 30)
        .unwrap();
    let cert_b = ca
        .service
        .ca()
        .issue_for_subject(&subject, &key_b, 30)
        .unwrap();
    let mut store = open_store(&dir.path().join("kiosk"));
    let paid = queue_renewal_of(&mut store, "renewal-paid", &cert_a);
    let cheap = queue_renewal_of(&mut store, "renewal-cheap", &cert_a);
    let twice = queue_renewal_of(&mut store, "renewal-twice", &cert_a);
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    let client = worker.client().clone();
    // Asked before any payment, the CA renews both.
    for cert in [&cert_a, &cert_b] {
        assert_eq!(
            client.renewability(cert).await.unwrap().verdict,
            RenewabilityVerdictV1::Renewable
        );
    }
    // Paid 1 fen before the order reached the CA (taken at its word then).
    pay_amount(&client, cheap.number.as_str(), 1).await;
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 3);
    pay_through_simulator(&client, paid.number.as_str()).await;
    pay_through_simulator(&client, twice.number.as_str()).await;

    let new_key = SoftSigner::generate_p256();
    let e = client
        .renew(
            cheap.number.as_str(),
            &renewal_request(&cert_a, &key_a, &new_key, 1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::PaymentRequired), "{e}");
    // B is valid and its proof is sound, but the order renews A.
    let e = client
        .renew(
            paid.number.as_str(),
            &renewal_request(&cert_b, &key_b, &new_key, 1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::ProofRejected), "{e}");
    assert_eq!(ca.service.issued_count(), 0);
    client
        .renew(
            paid.number.as_str(),
            &renewal_request(&cert_a, &key_a, &new_key, 1),
        )
        .await
        .unwrap();
    assert_eq!(ca.service.issued_count(), 1);
    // Asked again, the CA says A was renewed (so no one pays for it twice);
    // B, never renewed, still may be.
    assert_eq!(
        client.renewability(&cert_a).await.unwrap().verdict,
        RenewabilityVerdictV1::RenewedAlready
    );
    assert_eq!(
        client.renewability(&cert_b).await.unwrap().verdict,
        RenewabilityVerdictV1::Renewable
    );
    // A is superseded: another paid order cannot renew it again.
    let e = client
        .renew(
            twice.number.as_str(),
            &renewal_request(&cert_a, &key_a, &SoftSigner::generate_p256(), 1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::RenewalConflict), "{e}");
    assert_eq!(ca.service.issued_count(), 1);
}

/// A demonstration certificate (`--demo`) is the demonstration CA's: the
/// CA publishes that root after its own, and renewing such a certificate
/// gives another of the demonstration CA's, never one the CA's own root
/// vouches for. Without `--demo` it renews nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demonstration_certificate_is_renewed_by_the_demonstration_ca_only() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Options {
        demo: true,
        ..Options::default()
    };
    let ca = start_service(&dir.path().join("ca"), demo).await;
    let demo_ca = ca.service.demo_ca().unwrap();
    assert_ne!(demo_ca.root_der(), ca.service.ca().root_der());
    let subject = CustomerSubject {
        unit_name: "山西示例煤业有限公司".to_owned(),
        uscc: fixtures::USCC.to_owned(),
    };
    let old_key = SoftSigner::generate_p256();
    let old = demo_ca.issue_for_subject(&subject, &old_key, 30).unwrap();
    let mut store = open_store(&dir.path().join("kiosk"));
    let queued = queue_renewal_of(&mut store, "renewal-demo", &old);
    let later = queue_renewal_of(&mut store, "renewal-demo-off", &old);
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    let client = worker.client().clone();
    assert_eq!(
        client.ca_roots().await.unwrap(),
        vec![ca.service.ca().root_der(), demo_ca.root_der()]
    );
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 2);
    assert_eq!(
        client.renewability(&old).await.unwrap().verdict,
        RenewabilityVerdictV1::Renewable
    );
    pay_through_simulator(&client, queued.number.as_str()).await;
    let new_key = SoftSigner::generate_p256();
    let issued = client
        .renew(
            queued.number.as_str(),
            &renewal_request(&old, &old_key, &new_key, 1),
        )
        .await
        .unwrap();
    let der = hex::decode(&issued.certificate_der_hex).unwrap();
    let spki = new_key.public_key_spki_der();
    let now = OffsetDateTime::now_utc();
    kiosk_x509::verify_issued(&der, &spki, &[], &[demo_ca.root_der()], now).unwrap();
    assert!(
        kiosk_x509::verify_issued(&der, &spki, &[], &[ca.service.ca().root_der()], now).is_err(),
        "the CA's own root must not vouch for a renewed demonstration certificate"
    );
    // A second attempt supersedes the first: the demonstration CA's list,
    // which it signs, withdraws it; the CA's own list does not name it.
    let second = client
        .renew(
            queued.number.as_str(),
            &conflicting_attempt(renewal_request(
                &old,
                &old_key,
                &SoftSigner::generate_p256(),
                1,
            )),
        )
        .await
        .unwrap();
    assert_ne!(second.certificate_der_hex, issued.certificate_der_hex);
    let first_serial = kiosk_x509::summarize(&der, "").unwrap().serial_hex;
    let list = |path: &'static str| {
        let url = format!("{}{path}", ca.url());
        async move { reqwest::get(url).await.unwrap().bytes().await.unwrap() }
    };
    let demo_list = list("/v1/ca/demo/crl").await;
    assert_eq!(
        kiosk_x509::revoked_serials(&demo_list, &demo_ca.root_der()).unwrap(),
        vec![first_serial]
    );
    let own_list = list("/v1/ca/crl").await;
    assert!(
        kiosk_x509::revoked_serials(&own_list, &ca.service.ca().root_der())
            .unwrap()
            .is_empty()
    );
    drop((worker, client, ca));

    // The same CA without --demo: the demonstration CA is not loaded, and
    // its certificates renew nothing.
    let ca = start_service(&dir.path().join("ca"), Options::default()).await;
    assert!(ca.service.demo_ca().is_none());
    let r = reqwest::get(format!("{}/v1/ca/demo/crl", ca.url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "no demonstration CA, no list of it");
    let client = CaClient::new(&ca.url(), Duration::from_secs(10)).unwrap();
    assert_eq!(
        client.renewability(&old).await.unwrap().verdict,
        RenewabilityVerdictV1::UnknownCertificate
    );
    let due = fixtures::renewal_order(1).amount.0;
    let r = reqwest::Client::new()
        .post(ca.staff_url() + &format!("/v1/admin/orders/{}/payments", later.number))
        .json(&serde_json::json!({"method": "counter", "amount_fen": due, "reference": "TILL-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let e = client
        .renew(
            later.number.as_str(),
            &renewal_request(&old, &old_key, &SoftSigner::generate_p256(), 1),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::UnknownCertificate), "{e}");
    assert_eq!(ca.service.issued_count(), 0);
}

/// The CA's renewal window, published in `/v1/config` and held to at
/// issuance: a certificate expired inside it is renewed (its chain checked
/// while it was valid), one expired longer ago or not yet due is refused
/// with `not_renewable` before anything is signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_follow_the_window_the_ca_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let window = kiosk_domain::renewal_window::RenewalWindow {
        opens_before_expiry: time::Duration::days(30),
        closes_after_expiry: time::Duration::days(100),
    };
    let ca = start_service(
        &dir.path().join("ca"),
        Options {
            demo: true,
            catalogue: ca_service::catalogue::Catalogue {
                renewal_window: window,
                ..ca_service::catalogue::Catalogue::default()
            },
            ..Options::default()
        },
    )
    .await;
    let mut store = open_store(&dir.path().join("kiosk"));
    let client = CaClient::new(&ca.url(), Duration::from_secs(10)).unwrap();
    let published = client
        .config()
        .await
        .unwrap()
        .catalogue(OffsetDateTime::now_utc())
        .unwrap()
        .renewal
        .unwrap();
    assert_eq!(published.window, window);
    assert_eq!(published.price.0, 30_000);

    let subject = CustomerSubject {
        unit_name: "山西示例煤业有限公司".to_owned(),
        uscc: fixtures::USCC.to_owned(),
    };
    let now = OffsetDateTime::now_utc();
    let days = time::Duration::days;
    let mut cases = Vec::new();
    for (session, not_after) in [
        ("expired-50-days", now - days(50)),
        ("expired-200-days", now - days(200)),
        ("expires-in-60-days", now + days(60)),
    ] {
        let key = SoftSigner::generate_p256();
        let cert = ca
            .service
            .ca()
            .issue_for_subject_between(&subject, &key, not_after - days(365), not_after)
            .unwrap();
        let queued = queue_renewal_of(&mut store, session, &cert);
        cases.push((session, queued, cert, key));
    }
    let (mut worker, _) = Worker::new(store, test_config(&ca.url())).unwrap();
    assert_eq!(worker.drain_once().await.unwrap().acknowledged, 3);
    for (session, queued, cert, key) in &cases {
        // What the CA says before the payment is what it does after it.
        let asked = client.renewability(cert).await.unwrap().verdict;
        let expected = if *session == "expired-50-days" {
            RenewabilityVerdictV1::Renewable
        } else {
            RenewabilityVerdictV1::OutsideWindow
        };
        assert_eq!(asked, expected, "{session}");
        pay_through_simulator(&client, queued.number.as_str()).await;
        let answer = client
            .renew(
                queued.number.as_str(),
                &renewal_request(cert, key, &SoftSigner::generate_p256(), 1),
            )
            .await;
        match *session {
            "expired-50-days" => {
                answer.unwrap();
            }
            _ => assert_eq!(
                answer.unwrap_err().code(),
                Some(ProblemCode::NotRenewable),
                "{session}"
            ),
        }
    }
    assert_eq!(ca.service.issued_count(), 1);
}
