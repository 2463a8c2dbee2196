//! The holder details on file (确认信息 of a renewal) over real HTTP: set by
//! staff, read by the kiosk, checked with the domain's rules. (Carried over
//! to the renewed certificate: checked by app/kiosk/tests/renewal_screens.rs
//! after a whole renewal.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_sync_wire::holder::HolderV1;
use kiosk_sync_wire::problem::ProblemCode;
use serde_json::json;

fn holder() -> serde_json::Value {
    json!({
        "contact_name": "李明",
        "mobile": "13800138000",
        "email": "invoice@example.cn",
        "invoice_title": "山西示例煤业有限公司",
        "taxpayer_id": "91110108551385082Q",
    })
}

async fn put(ca: &Running, serial: &str, body: &serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .put(ca.url(&format!("/v1/admin/certificates/{serial}/holder")))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_are_set_and_read_back_by_any_serial_spelling() {
    let ca = start(Options::default()).await;
    let missing = ca.get("/v1/certificates/ABC123/holder").await;
    expect_problem(missing, 404, ProblemCode::NotFound).await;

    let stored = put(&ca, "00abc123", &holder()).await;
    assert_eq!(stored.status(), 200);
    // Leading zeros and case do not matter: the serial is one number.
    let got: HolderV1 = ca
        .get("/v1/certificates/ABC123/holder")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got.contact_name, "李明");
    assert_eq!(got.mobile, "13800138000");
    // Replaced by a second PUT.
    let mut changed = holder();
    changed["mobile"] = json!("13900139000");
    assert_eq!(put(&ca, "ABC123", &changed).await.status(), 200);
    let got: HolderV1 = ca
        .get("/v1/certificates/abc123/holder")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got.mobile, "13900139000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_details_and_bad_serials_are_refused_with_the_field() {
    let ca = start(Options::default()).await;
    let mut bad = holder();
    bad["mobile"] = json!("1380013800");
    let p = expect_problem(put(&ca, "AB", &bad).await, 422, ProblemCode::InvalidField).await;
    assert_eq!(p.field.as_deref(), Some("mobile"));
    let mut bad = holder();
    bad["taxpayer_id"] = json!("not-a-taxpayer");
    let p = expect_problem(put(&ca, "AB", &bad).await, 422, ProblemCode::InvalidField).await;
    assert_eq!(p.field.as_deref(), Some("taxpayer_id"));
    let p = expect_problem(
        put(&ca, "xyz", &holder()).await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("serial"));
    let mut extra = holder();
    extra["password"] = json!("x");
    expect_problem(
        put(&ca, "AB", &extra).await,
        400,
        ProblemCode::MalformedBody,
    )
    .await;
    // Nothing was stored by any of them.
    let none = ca.get("/v1/certificates/AB/holder").await;
    expect_problem(none, 404, ProblemCode::NotFound).await;
}
