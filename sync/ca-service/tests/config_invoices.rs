//! `GET /v1/config` and invoices over real HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_domain::fixtures;
use kiosk_sync_wire::config::ConfigV1;
use kiosk_sync_wire::invoice::IssuedInvoiceV1;
use kiosk_sync_wire::problem::ProblemCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_lists_prices_of_the_offered_projects_and_the_agreement() {
    let ca = start(Options::default()).await;
    let config: ConfigV1 = ca.get("/v1/config").await.json().await.unwrap();
    assert_eq!(config.renewal_price_fen, 30_000);
    let project = &fixtures::application_details().project;
    assert_eq!(config.projects.len(), 1);
    assert_eq!(config.projects[0].code, project.code.as_str());
    assert_eq!(config.projects[0].price_fen, project.price.0);
    assert_eq!(config.projects[0].seal_price_fen, project.seal_price.0);
    assert_eq!(config.agreement.version, "2026-01");
    assert!(config.agreement.text.contains("协议"));
    assert_eq!(config.payment_expiry_secs, 15 * 60);

    // A project not offered is not listed.
    let none = start(Options {
        projects: vec!["OTHER".to_owned()],
        ..Options::default()
    })
    .await;
    let config: ConfigV1 = none.get("/v1/config").await.json().await.unwrap();
    assert!(config.projects.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_gets_one_invoice() {
    let ca = start(Options::default()).await;
    let number = seed_application(&ca, 1).await;
    let path = format!("/v1/orders/{number}/invoice");
    expect_problem(ca.get(&path).await, 404, ProblemCode::NotFound).await;
    let admin_path = format!("/v1/admin/orders/{number}/invoice");
    let issue = || {
        ca.http
            .post(ca.staff_url(&admin_path))
            .json(&json!({}))
            .send()
    };
    let unpaid = issue().await.unwrap();
    expect_problem(unpaid, 402, ProblemCode::PaymentRequired).await;

    let due = fixtures::application_order(1).amount.0;
    let r = ca
        .post_json(
            &format!("/v1/admin/orders/{number}/payments"),
            &json!({"method": "counter", "amount_fen": due, "reference": "TILL-9"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = issue().await.unwrap();
    assert_eq!(r.status(), 201);
    let invoice: IssuedInvoiceV1 = r.json().await.unwrap();
    assert_eq!(invoice.amount_fen, due);
    assert_eq!(invoice.title, "山西示例煤业有限公司");
    assert!(invoice.invoice_number.starts_with("INV"));
    let r = issue().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<IssuedInvoiceV1>().await.unwrap(), invoice);
    let shown: IssuedInvoiceV1 = ca.get(&path).await.json().await.unwrap();
    assert_eq!(shown, invoice);

    let unknown = ca
        .http
        .post(ca.staff_url(&format!("/v1/admin/orders/{}/invoice", common::number(7))))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(unknown, 404, ProblemCode::NotFound).await;
    let bad = ca
        .http
        .post(ca.staff_url("/v1/admin/orders/NOPE/invoice"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    // Not an order number: no such order.
    expect_problem(bad, 404, ProblemCode::NotFound).await;
}
