//! Payments over real HTTP: the QR payment and its simulator page, expiry,
//! counter and bank-transfer payments, remittance notes, bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_sync_wire::payment::{PaymentV1, RemittanceRecordV1};
use kiosk_sync_wire::problem::ProblemCode;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

async fn open(ca: &Running, number: &str, amount: i64) -> (u16, PaymentV1) {
    let r = ca
        .post_json(
            "/v1/payments",
            &json!({"order_number": number, "amount_fen": amount}),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn show(ca: &Running, id: &str) -> PaymentV1 {
    let r = ca.get(&format!("/v1/payments/{id}")).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qr_payment_is_opened_once_paid_on_the_simulator_and_found_again() {
    let ca = start(demo()).await;
    let n = number(1);
    let (status, first) = open(&ca, &n, 30_000).await;
    assert_eq!(status, 201);
    assert_eq!(
        (first.status.as_str(), first.method.as_str()),
        ("pending", "qr")
    );
    assert_eq!(first.qr_payload, ca.url(&format!("/pay/{}", first.id)));
    let expires = OffsetDateTime::parse(&first.expires_at, &Rfc3339).unwrap();
    let left = expires - OffsetDateTime::now_utc();
    assert!(left > time::Duration::minutes(14) && left <= time::Duration::minutes(15));
    assert_eq!(
        (first.paid_at.as_deref(), first.reference.as_deref()),
        (None, None)
    );

    // The same order and amount: the same payment; another amount: refused.
    let (status, again) = open(&ca, &n, 30_000).await;
    assert_eq!((status, &again), (200, &first));
    let r = ca
        .post_json(
            "/v1/payments",
            &json!({"order_number": n, "amount_fen": 29_900}),
        )
        .await;
    expect_problem(r, 422, ProblemCode::AmountMismatch).await;

    // The page the QR code opens: amount in yuan, order number, a plain form.
    let page = ca.http.get(&first.qr_payload).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("300.00 元"), "{html}");
    assert!(html.contains(&n));
    assert!(html.contains(&format!(
        "<form method=\"post\" action=\"/pay/{}\">",
        first.id
    )));
    assert!(html.contains("确认支付"));

    // Pressing the button pays; pressing it again changes nothing.
    let paid_page = ca.http.post(&first.qr_payload).send().await.unwrap();
    assert_eq!(paid_page.status(), 200);
    assert!(paid_page.text().await.unwrap().contains("支付成功"));
    let paid = show(&ca, &first.id).await;
    assert_eq!(paid.status, "paid");
    let reference = paid.reference.clone().unwrap();
    assert!(
        reference.starts_with("SIM-") && reference.len() > 8,
        "{reference}"
    );
    assert!(paid.paid_at.is_some());
    let twice = ca.http.post(&first.qr_payload).send().await.unwrap();
    assert!(twice.text().await.unwrap().contains(&reference));
    assert_eq!(show(&ca, &first.id).await, paid);

    // Asking again for the paid order finds the paid payment.
    let (status, after) = open(&ca, &n, 30_000).await;
    assert_eq!((status, &after), (200, &paid));
    assert!(ca.service.storage().paid_payment(&n).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_the_ca_holds_is_paid_at_its_own_amount() {
    let ca = start(demo()).await;
    let n = seed_application(&ca, 9).await;
    let due = kiosk_domain::fixtures::application_order(9).amount.0;
    let r = ca
        .post_json(
            "/v1/payments",
            &json!({"order_number": n, "amount_fen": due + 1}),
        )
        .await;
    let p = expect_problem(r, 422, ProblemCode::AmountMismatch).await;
    assert_eq!(p.detail, Some(format!("the order asks for {due} fen")));
    assert_eq!(open(&ca, &n, due).await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_payment_cannot_be_paid_and_a_new_one_is_opened() {
    let ca = start(Options {
        demo: true,
        payment_ttl: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let n = number(2);
    let (_, first) = open(&ca, &n, 30_000).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(show(&ca, &first.id).await.status, "expired");
    let late = ca.http.post(&first.qr_payload).send().await.unwrap();
    assert_eq!(late.status(), 409);
    assert!(late.text().await.unwrap().contains("支付已超时"));
    assert_eq!(show(&ca, &first.id).await.status, "expired");
    let page = ca.http.get(&first.qr_payload).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("支付已超时"));

    // Even with another amount: the expired one no longer binds.
    let (status, fresh) = open(&ca, &n, 25_000).await;
    assert_eq!(status, 201);
    assert_ne!(fresh.id, first.id);
    assert_eq!(fresh.status, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_payload_uses_the_public_url_and_payments_survive_a_restart() {
    let ca = start(Options {
        demo: true,
        public_url: Some("https://pay.example.cn/".to_owned()),
        ..Options::default()
    })
    .await;
    let (_, p) = open(&ca, &number(3), 100).await;
    assert_eq!(p.qr_payload, format!("https://pay.example.cn/pay/{}", p.id));
    let Running { dir, .. } = ca;
    let again = start_in(dir, demo()).await;
    let found = show(&again, &p.id).await;
    assert_eq!((found.id, found.amount_fen), (p.id, 100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_payment_requests_are_4xx_problems() {
    let ca = start(demo()).await;
    let n = number(4);
    let cases: Vec<(serde_json::Value, u16, ProblemCode, Option<&str>)> = vec![
        (
            json!({"order_number": "NOPE", "amount_fen": 100}),
            422,
            ProblemCode::InvalidField,
            Some("order_number"),
        ),
        (
            json!({"order_number": n, "amount_fen": 0}),
            422,
            ProblemCode::InvalidField,
            Some("amount_fen"),
        ),
        (
            json!({"order_number": n, "amount_fen": -5}),
            422,
            ProblemCode::InvalidField,
            Some("amount_fen"),
        ),
        (
            json!({"order_number": n, "amount_fen": 100_000_001}),
            422,
            ProblemCode::InvalidField,
            Some("amount_fen"),
        ),
        (
            json!({"order_number": n}),
            400,
            ProblemCode::MalformedBody,
            None,
        ),
        (
            json!({"order_number": n, "amount_fen": 1, "extra": 1}),
            400,
            ProblemCode::MalformedBody,
            None,
        ),
        (
            json!({"order_number": n, "amount_fen": "1"}),
            400,
            ProblemCode::MalformedBody,
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let p = expect_problem(ca.post_json("/v1/payments", &body).await, status, code).await;
        assert_eq!(p.field.as_deref(), field, "{body}");
    }
    let not_json = ca
        .http
        .post(ca.url("/v1/payments"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_problem(not_json, 400, ProblemCode::MalformedBody).await;
    for id in ["pay_00000000000000000000000000000000", "nothing", "pay_%27"] {
        expect_problem(
            ca.get(&format!("/v1/payments/{id}")).await,
            404,
            ProblemCode::NotFound,
        )
        .await;
    }
    // The simulator answers an unknown payment with a page, not a 500.
    let page = ca.http.post(ca.url("/pay/nothing")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("未找到"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_payments_are_idempotent_per_reference_and_pay_once() {
    let ca = start(demo()).await;
    let n = number(5);
    let path = format!("/v1/admin/orders/{n}/payments");
    let body = json!({"method": "counter", "amount_fen": 30_000, "reference": "TILL-0001"});
    let r = ca.post_json(&path, &body).await;
    assert_eq!(r.status(), 201);
    let first: PaymentV1 = r.json().await.unwrap();
    assert_eq!(
        (
            first.status.as_str(),
            first.method.as_str(),
            first.reference.as_deref()
        ),
        ("paid", "counter", Some("TILL-0001"))
    );
    assert_eq!(first.qr_payload, "");
    let r = ca.post_json(&path, &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<PaymentV1>().await.unwrap(), first);

    // A second, different payment for a paid order is refused.
    let other = json!({"method": "counter", "amount_fen": 30_000, "reference": "TILL-0002"});
    expect_problem(
        ca.post_json(&path, &other).await,
        409,
        ProblemCode::AlreadyPaid,
    )
    .await;
    // The same reference for another order is refused.
    let elsewhere = format!("/v1/admin/orders/{}/payments", number(6));
    expect_problem(
        ca.post_json(&elsewhere, &body).await,
        422,
        ProblemCode::AmountMismatch,
    )
    .await;
    // And the kiosk's QR request finds the order paid.
    let (status, qr) = open(&ca, &n, 30_000).await;
    assert_eq!((status, qr.id), (200, first.id));

    for (bad, field) in [
        (
            json!({"method": "cash", "amount_fen": 1, "reference": "R"}),
            "method",
        ),
        (
            json!({"method": "counter", "amount_fen": 0, "reference": "R"}),
            "amount_fen",
        ),
        (
            json!({"method": "counter", "amount_fen": 1, "reference": "  "}),
            "reference",
        ),
        (
            json!({"method": "counter", "amount_fen": 1, "reference": "R".repeat(65)}),
            "reference",
        ),
    ] {
        let p = expect_problem(
            ca.post_json(&elsewhere, &bad).await,
            422,
            ProblemCode::InvalidField,
        )
        .await;
        assert_eq!(p.field.as_deref(), Some(field));
    }
    // Not an order number: no such order.
    expect_problem(
        ca.post_json("/v1/admin/orders/BAD/payments", &body).await,
        404,
        ProblemCode::NotFound,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remittance_note_is_kept_once_and_confirmed_into_a_payment() {
    let ca = start(demo()).await;
    let n = number(7);
    let path = format!("/v1/orders/{n}/remittance");
    let body =
        json!({"payer_name": "张三", "bank_reference": "BK20261123001", "amount_fen": 50_000});
    let r = ca.post_json(&path, &body).await;
    assert_eq!(r.status(), 201);
    let note: RemittanceRecordV1 = r.json().await.unwrap();
    assert_eq!(
        (note.status.as_str(), note.payment_id.as_deref()),
        ("pending", None)
    );
    let r = ca.post_json(&path, &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<RemittanceRecordV1>().await.unwrap(), note);
    let changed = json!({"payer_name": "张三", "bank_reference": "BK20261123001", "amount_fen": 1});
    expect_problem(
        ca.post_json(&path, &changed).await,
        422,
        ProblemCode::AmountMismatch,
    )
    .await;
    for (bad, field) in [
        (
            json!({"payer_name": "", "bank_reference": "B", "amount_fen": 1}),
            "payer_name",
        ),
        (
            json!({"payer_name": "张三", "bank_reference": "", "amount_fen": 1}),
            "bank_reference",
        ),
        (
            json!({"payer_name": "张三", "bank_reference": "B", "amount_fen": 0}),
            "amount_fen",
        ),
    ] {
        let p = expect_problem(
            ca.post_json(&path, &bad).await,
            422,
            ProblemCode::InvalidField,
        )
        .await;
        assert_eq!(p.field.as_deref(), Some(field));
    }

    let listed: Vec<RemittanceRecordV1> =
        ca.get("/v1/admin/remittances").await.json().await.unwrap();
    assert_eq!(listed, vec![note.clone()]);
    let confirm = format!("/v1/admin/remittances/{}/confirm", note.id);
    let r = ca.post_json(&confirm, &json!({})).await;
    assert_eq!(r.status(), 201);
    let payment: PaymentV1 = r.json().await.unwrap();
    assert_eq!(
        (
            payment.status.as_str(),
            payment.method.as_str(),
            payment.amount_fen
        ),
        ("paid", "bank_transfer", 50_000)
    );
    assert_eq!(payment.reference.as_deref(), Some("BK20261123001"));
    let r = ca.post_json(&confirm, &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<PaymentV1>().await.unwrap().id, payment.id);
    let listed: Vec<RemittanceRecordV1> =
        ca.get("/v1/admin/remittances").await.json().await.unwrap();
    assert_eq!(listed[0].status, "confirmed");
    assert_eq!(listed[0].payment_id.as_deref(), Some(payment.id.as_str()));
    let unknown = ca
        .http
        .post(ca.url("/v1/admin/remittances/rem_00000000000000000000000000000000/confirm"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(unknown, 404, ProblemCode::NotFound).await;
}

/// The status a kiosk's 查询订单 reads for an application.
async fn status_of(ca: &Running, number: &str) -> kiosk_sync_wire::feed::StatusV1 {
    let r = ca
        .post_json(
            "/v1/orders/lookup",
            &json!({"number": number, "mobile": kiosk_domain::fixtures::MOBILE}),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json::<kiosk_sync_wire::lookup::OrderSummaryV1>()
        .await
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_application_is_taken_in_hand_when_its_payment_arrives() {
    use kiosk_sync_wire::feed::StatusV1;
    let ca = start(demo()).await;
    let amount = kiosk_domain::fixtures::application_order(1).amount.0;

    // Approved, then paid by QR: 正在受理 at once, on the feed.
    let qr = seed_application(&ca, 1).await;
    let r = ca
        .post_json(&format!("/v1/admin/orders/{qr}/approve"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(status_of(&ca, &qr).await, StatusV1::AwaitingPayment);
    let (_, payment) = open(&ca, &qr, amount).await;
    let paid = ca
        .http
        .post(ca.url(&format!("/pay/{}", payment.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    assert_eq!(status_of(&ca, &qr).await, StatusV1::InProgress);
    let feed: kiosk_sync_wire::feed::FeedPageV1 = ca
        .get("/v1/feed?cursor=0&limit=10")
        .await
        .json()
        .await
        .unwrap();
    let steps: Vec<_> = feed
        .entries
        .iter()
        .filter(|e| e.number == qr)
        .map(|e| e.status)
        .collect();
    assert_eq!(
        steps,
        [
            StatusV1::PendingReview,
            StatusV1::AwaitingPayment,
            StatusV1::InProgress
        ]
    );
    // Paying again changes nothing more.
    let again = ca
        .http
        .post(ca.url(&format!("/pay/{}", payment.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(status_of(&ca, &qr).await, StatusV1::InProgress);

    // Paid at the counter before the review ended: approved means taken in hand.
    let counter = seed_application(&ca, 2).await;
    let r = ca
        .post_json(
            &format!("/v1/admin/orders/{counter}/payments"),
            &json!({"method": "counter", "amount_fen": amount, "reference": "TILL-0009"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(status_of(&ca, &counter).await, StatusV1::PendingReview);
    let r = ca
        .post_json(&format!("/v1/admin/orders/{counter}/approve"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(status_of(&ca, &counter).await, StatusV1::InProgress);
}
