//! 现场领取 at the CA over real HTTP: an application picked up at the hall is
//! found by its number and mobile, issued for the reviewed unit only once
//! it is ready (已制证), once per (order, attempt), with its e-seals; and
//! 已完成 once its kiosk says it is written.
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
use kiosk_domain::order::application::Pickup;
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::onsite::{OnSiteIssuedV1, PickupV1};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_x509::RemoteSigner;
use kiosk_x509::test_ca::SoftSigner;
use serde_json::json;

/// An application `seq` picked up at the hall, submitted, approved and paid
/// at the counter (正在受理).
async fn seed_on_site(ca: &Running, seq: u32) -> String {
    let mut order = fixtures::application_order(seq);
    if let OrderDetails::Application(a) = &mut order.details {
        a.pickup = Pickup::OnSite;
    }
    let number = seed_order(ca, seq, &order).await;
    let approve = format!("/v1/admin/orders/{number}/approve");
    assert!(
        ca.post_json(&approve, &json!({}))
            .await
            .status()
            .is_success()
    );
    let paid = ca
        .post_json(
            &format!("/v1/admin/orders/{number}/payments"),
            &json!({"method": "counter", "amount_fen": 50_000, "reference": "TILL-1"}),
        )
        .await;
    assert!(paid.status().is_success());
    number
}

fn unit_request(key: &SoftSigner, unit: &str) -> String {
    let subject = kiosk_x509::unit_subject(unit, &fixtures::USCC.parse().unwrap());
    hex::encode(&kiosk_x509::build_request(&subject, key).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_is_issued_on_site_once_ready_for_its_unit_only_and_once() {
    let ca = start(Options::default()).await;
    let number = seed_on_site(&ca, 5).await;
    let ask = json!({"number": number, "mobile": fixtures::MOBILE});

    // Found by number and mobile; a wrong mobile is the same 404 as none.
    let r = ca.post_json("/v1/orders/pickup", &ask).await;
    assert_eq!(r.status(), 200);
    let found: PickupV1 = r.json().await.unwrap();
    assert_eq!(found.status, StatusV1::InProgress);
    assert!(found.on_site);
    assert_eq!(found.seals, 1);
    assert_eq!(found.issued_attempt, None);
    let wrong = json!({"number": number, "mobile": "13900000000"});
    expect_problem(
        ca.post_json("/v1/orders/pickup", &wrong).await,
        404,
        ProblemCode::NotFound,
    )
    .await;

    // Not ready (正在受理): nothing issued.
    let key = SoftSigner::generate_p256();
    let unit = "山西示例煤业有限公司";
    let request = |attempt: u32, mobile: &str, csr: &str| json!({"mobile": mobile, "attempt": attempt, "request_der_hex": csr});
    let issuance = format!("/v1/orders/{number}/issuance");
    let csr = unit_request(&key, unit);
    expect_problem(
        ca.post_json(&issuance, &request(1, fixtures::MOBILE, &csr))
            .await,
        409,
        ProblemCode::IllegalTransition,
    )
    .await;
    assert_eq!(ca.service.issued_count(), 0);

    // Made ready in the back office (已制证).
    let r = ca
        .post_form(
            &format!("/admin/orders/{number}/status"),
            &[("to", "certificate_made")],
        )
        .await;
    assert!(r.status().is_redirection() || r.status().is_success());

    // Someone else's mobile, or another unit's subject: refused.
    expect_problem(
        ca.post_json(&issuance, &request(1, "13900000000", &csr))
            .await,
        404,
        ProblemCode::NotFound,
    )
    .await;
    let other_unit = unit_request(&key, "另一家有限公司");
    expect_problem(
        ca.post_json(&issuance, &request(1, fixtures::MOBILE, &other_unit))
            .await,
        422,
        ProblemCode::InvalidRequest,
    )
    .await;

    // Issued for the unit, with its e-seal; the same again for the same
    // request, handed back by GET, a conflict for another request.
    let r = ca
        .post_json(&issuance, &request(1, fixtures::MOBILE, &csr))
        .await;
    assert_eq!(r.status(), 200);
    let issued: OnSiteIssuedV1 = r.json().await.unwrap();
    let der = hex::decode(&issued.certificate_der_hex).unwrap();
    let summary = kiosk_x509::summarize(&der, "").unwrap();
    assert_eq!(summary.holder, unit);
    kiosk_x509::verify_issued(
        &der,
        &key.public_key_spki_der(),
        &[],
        &[ca.service.ca().root_der()],
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(issued.seals.len(), 1);
    let seal = String::from_utf8(hex::decode(&issued.seals[0].value_hex).unwrap()).unwrap();
    assert!(seal.contains(&summary.serial_hex), "{seal}");
    let again: OnSiteIssuedV1 = ca
        .post_json(&issuance, &request(1, fixtures::MOBILE, &csr))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, issued);
    let fetched: OnSiteIssuedV1 = ca
        .get(&format!("/v1/orders/{number}/issuance/1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, issued);
    let other_key = SoftSigner::generate_p256();
    expect_problem(
        ca.post_json(
            &issuance,
            &request(1, fixtures::MOBILE, &unit_request(&other_key, unit)),
        )
        .await,
        422,
        ProblemCode::RenewalConflict,
    )
    .await;
    assert_eq!(ca.service.issued_count(), 1);

    // Written: 已完成; no further issuance.
    let written = format!("/v1/orders/{number}/written");
    expect_problem(
        ca.post_json(&written, &json!({"attempt": 2})).await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(
        ca.post_json(&written, &json!({"attempt": 1}))
            .await
            .status(),
        200
    );
    assert_eq!(
        ca.service.storage().order(&number).unwrap().unwrap().status,
        StatusV1::Completed
    );
    expect_problem(
        ca.post_json(
            &issuance,
            &request(2, fixtures::MOBILE, &unit_request(&other_key, unit)),
        )
        .await,
        409,
        ProblemCode::IllegalTransition,
    )
    .await;
    assert_eq!(ca.service.issued_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_application_or_a_renewal_is_not_written_on_site() {
    let ca = start(Options::default()).await;
    let number = seed_application(&ca, 6).await;
    let r = ca
        .post_json(
            "/v1/orders/pickup",
            &json!({"number": number, "mobile": fixtures::MOBILE}),
        )
        .await;
    let found: PickupV1 = r.json().await.unwrap();
    assert!(!found.on_site, "mailed");
    let key = SoftSigner::generate_p256();
    expect_problem(
        ca.post_json(
            &format!("/v1/orders/{number}/issuance"),
            &json!({"mobile": fixtures::MOBILE, "attempt": 1,
                    "request_der_hex": unit_request(&key, "山西示例煤业有限公司")}),
        )
        .await,
        409,
        ProblemCode::IllegalTransition,
    )
    .await;
    expect_problem(
        ca.post_json(
            &format!("/v1/orders/{number}/written"),
            &json!({"attempt": 1}),
        )
        .await,
        404,
        ProblemCode::NotFound,
    )
    .await;
}
