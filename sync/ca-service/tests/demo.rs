//! The simulators of what a real CA has elsewhere (the payment provider's
//! page, the SMS gateway's outbox, the identity service) and demonstration
//! issuance exist only with `--demo`: without it nobody can pay an order,
//! read a customer's code or be issued a certificate through them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ca_service::Options;
use common::*;
use serde_json::json;

/// Each simulator route, asked as an attacker would.
async fn statuses(ca: &Running) -> Vec<(&'static str, u16)> {
    let payment = ca
        .post_json(
            "/v1/payments",
            &json!({"order_number": number(1), "amount_fen": 30_000}),
        )
        .await;
    let id = payment
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|p| p["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "PAY0".to_owned());
    let mut out = Vec::new();
    let page = ca.get(&format!("/pay/{id}")).await;
    out.push(("GET /pay/{id}", page.status().as_u16()));
    let paid = ca
        .http
        .post(ca.url(&format!("/pay/{id}")))
        .send()
        .await
        .unwrap();
    out.push(("POST /pay/{id}", paid.status().as_u16()));
    let sms = ca.get("/v1/admin/sms").await;
    out.push(("GET /v1/admin/sms", sms.status().as_u16()));
    let issue = ca
        .post_json("/v1/admin/demo/issue", &json!({"validity_days": 30}))
        .await;
    out.push(("POST /v1/admin/demo/issue", issue.status().as_u16()));
    let check = ca.post_json("/v1/identity/checks", &json!({})).await;
    out.push(("POST /v1/identity/checks", check.status().as_u16()));
    out
}

#[tokio::test]
async fn without_demo_no_simulator_answers() {
    let ca = start(Options::default()).await;
    // A code is sent (the gateway is real on a real CA), but nobody can
    // read it back from the CA.
    let sent = ca
        .post_json(
            "/v1/sms/codes",
            &json!({"mobile": "13800138000", "purpose": "register", "uscc": kiosk_domain::fixtures::USCC}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    for (route, status) in statuses(&ca).await {
        assert_eq!(status, 404, "{route} without --demo");
    }
    let admin = ca.get("/admin").await.text().await.unwrap();
    assert!(
        !admin.contains("模拟网关"),
        "the back office shows no codes"
    );
    assert!(!admin.contains("13800138000"));

    // With --demo they are there (the same requests reach them).
    let demo = start(demo()).await;
    for (route, status) in statuses(&demo).await {
        assert_ne!(status, 404, "{route} with --demo");
    }
}
