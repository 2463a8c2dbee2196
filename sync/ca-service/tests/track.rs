//! The page a receipt's QR code opens: the number filled in, the status
//! only with the order's mobile, one answer for a wrong mobile and an
//! unknown number, and nothing personal on the page.
#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_domain::fixtures;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipts_qr_page_shows_the_status_with_the_right_mobile_only() {
    let ca = start(Options::default()).await;
    let number = seed_application(&ca, 7).await;

    let form = ca.get(&format!("/track?order={number}")).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{number}\"")), "{html}");
    assert!(html.contains("联系手机号"));

    let post = |mobile: &str, order: &str| {
        let (http, url) = (ca.http.clone(), ca.url("/track"));
        let form = [("order", order.to_owned()), ("mobile", mobile.to_owned())];
        async move {
            http.post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let found = post(fixtures::MOBILE, &number.to_lowercase()).await;
    assert!(found.contains("待审核"), "{found}");
    // Nothing of the applicant's on the page.
    let details = fixtures::application_details();
    for secret in [
        fixtures::MOBILE,
        fixtures::RESIDENT_ID,
        details.handler.name.as_str(),
    ] {
        assert!(!found.contains(secret), "{secret} on the page");
    }
    let wrong = post("13900139000", &number).await;
    let unknown = post(
        fixtures::MOBILE,
        &kiosk_domain::fixtures::order_number(99).to_string(),
    )
    .await;
    let garbage = post("<script>", "<b>x</b>").await;
    for page in [&wrong, &unknown, &garbage] {
        assert!(page.contains("未找到订单"), "{page}");
        assert!(!page.contains("待审核"));
        assert!(!page.contains("<script>") && !page.contains("<b>x</b>"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_finds_an_order_by_number_and_mobile_and_learns_nothing_personal() {
    let ca = start(Options::default()).await;
    let number = seed_application(&ca, 8).await;
    let lookup = |number: &str, mobile: &str| {
        let body = serde_json::json!({ "number": number, "mobile": mobile });
        let ca = &ca;
        async move { ca.post_json("/v1/orders/lookup", &body).await }
    };

    let found = lookup(&number.to_lowercase(), fixtures::MOBILE).await;
    assert_eq!(found.status(), 200);
    let text = found.text().await.unwrap();
    let summary: kiosk_sync_wire::lookup::OrderSummaryV1 = serde_json::from_str(&text).unwrap();
    assert_eq!(summary.number, number);
    assert_eq!(
        summary.status,
        kiosk_sync_wire::feed::StatusV1::PendingReview
    );
    assert_eq!(summary.amount_fen, fixtures::application_order(8).amount.0);
    assert_eq!(summary.reason, None);
    let details = fixtures::application_details();
    for secret in [
        fixtures::MOBILE,
        fixtures::RESIDENT_ID,
        details.handler.name.as_str(),
        details.unit.name.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} in the answer");
    }

    // The reviewer's reason comes with 审核未通过.
    let r = ca
        .post_json(
            &format!("/v1/admin/orders/{number}/reject"),
            &serde_json::json!({ "reason": "营业执照照片不清晰" }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let rejected: kiosk_sync_wire::lookup::OrderSummaryV1 = lookup(&number, fixtures::MOBILE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected.status, kiosk_sync_wire::feed::StatusV1::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("营业执照照片不清晰"));

    // A wrong mobile, an unknown number and garbage: one and the same 404.
    let unknown = number_of(99);
    for (n, m) in [
        (number.as_str(), "13900139000"),
        (unknown.as_str(), fixtures::MOBILE),
        ("<b>", "x"),
    ] {
        let (status, problem) = problem(lookup(n, m).await).await;
        assert_eq!(status, 404, "{n} {m}");
        assert_eq!(
            problem.code,
            kiosk_sync_wire::problem::ProblemCode::NotFound
        );
    }
}

fn number_of(seq: u32) -> String {
    fixtures::order_number(seq).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoiced_order_is_found_with_its_invoices_page() {
    let ca = start(Options::default()).await;
    let number = seed_application(&ca, 9).await;
    let amount = fixtures::application_order(9).amount.0;
    let lookup = || {
        let body = serde_json::json!({ "number": number, "mobile": fixtures::MOBILE });
        let ca = &ca;
        async move {
            ca.post_json("/v1/orders/lookup", &body)
                .await
                .json::<kiosk_sync_wire::lookup::OrderSummaryV1>()
                .await
                .unwrap()
        }
    };
    assert_eq!(lookup().await.invoice_url, None);
    let r = ca
        .post_json(
            &format!("/v1/admin/orders/{number}/payments"),
            &serde_json::json!({"method": "counter", "amount_fen": amount, "reference": "TILL-0077"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = ca
        .http
        .post(ca.staff_url(&format!("/v1/admin/orders/{number}/invoice")))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let invoice: kiosk_sync_wire::invoice::IssuedInvoiceV1 = r.json().await.unwrap();
    let url = lookup().await.invoice_url.unwrap();
    assert_eq!(
        url,
        ca.url(&format!("/invoices/{}", invoice.invoice_number))
    );
    let page = ca.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&invoice.invoice_number), "{html}");
    assert!(
        html.contains(&kiosk_domain::money::Fen(amount).to_string()),
        "{html}"
    );
    for missing in [
        "/invoices/INV00000000000000000000",
        "/invoices/%3Cscript%3E",
    ] {
        let r = ca.get(missing).await;
        assert_eq!(r.status(), 404, "{missing}");
    }
}
