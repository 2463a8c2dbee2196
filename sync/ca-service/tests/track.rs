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
