//! The SMS gateway simulator over real HTTP: codes, rate limit, tries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::sms::{SmsCodeSentV1, SmsMessageV1, SmsVerifiedV1};
use serde_json::json;
use std::time::Duration;

const MOBILE: &str = "13800138000";

/// The code in the latest message to `mobile`.
async fn last_code(ca: &Running, mobile: &str) -> String {
    let messages: Vec<SmsMessageV1> = ca.get("/v1/admin/sms").await.json().await.unwrap();
    let text = &messages.iter().find(|m| m.mobile == mobile).unwrap().text;
    text.chars().filter(char::is_ascii_digit).take(6).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_sent_rate_limited_and_verified_once() {
    let ca = start(demo()).await;
    let ask = json!({"mobile": MOBILE, "purpose": "register"});
    let r = ca.post_json("/v1/sms/codes", &ask).await;
    assert_eq!(r.status(), 200);
    let sent: SmsCodeSentV1 = r.json().await.unwrap();
    assert_eq!(sent.resend_after_secs, 60);
    let code = last_code(&ca, MOBILE).await;
    assert_eq!(code.len(), 6);

    // A second code within 60 s: 429 with Retry-After.
    let r = ca.post_json("/v1/sms/codes", &ask).await;
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    expect_problem(r, 429, ProblemCode::TooManyRequests).await;

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let check = |code: &str| json!({"mobile": MOBILE, "purpose": "register", "code": code});
    let p = expect_problem(
        ca.post_json("/v1/sms/verify", &check(wrong)).await,
        422,
        ProblemCode::SmsCodeWrong,
    )
    .await;
    assert_eq!(p.detail.as_deref(), Some("4 tries left"));
    // A code for another purpose does not verify.
    let other = json!({"mobile": MOBILE, "purpose": "reset_password", "code": code});
    expect_problem(
        ca.post_json("/v1/sms/verify", &other).await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    let r = ca.post_json("/v1/sms/verify", &check(&code)).await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<SmsVerifiedV1>().await.unwrap().verified);
    // Used up.
    expect_problem(
        ca.post_json("/v1/sms/verify", &check(&code)).await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_wrong_tries_void_the_code() {
    let ca = start(Options {
        demo: true,
        sms_tries: 2,
        sms_interval: Duration::ZERO,
        ..Options::default()
    })
    .await;
    let ask = json!({"mobile": MOBILE, "purpose": "change_mobile"});
    assert_eq!(ca.post_json("/v1/sms/codes", &ask).await.status(), 200);
    let code = last_code(&ca, MOBILE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let check = |code: &str| json!({"mobile": MOBILE, "purpose": "change_mobile", "code": code});
    for _ in 0..2 {
        expect_problem(
            ca.post_json("/v1/sms/verify", &check(wrong)).await,
            422,
            ProblemCode::SmsCodeWrong,
        )
        .await;
    }
    expect_problem(
        ca.post_json("/v1/sms/verify", &check(&code)).await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    // A new code works (no interval in this test).
    assert_eq!(ca.post_json("/v1/sms/codes", &ask).await.status(), 200);
    let fresh = last_code(&ca, MOBILE).await;
    assert_eq!(
        ca.post_json("/v1/sms/verify", &check(&fresh))
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sms_input_is_a_4xx_problem() {
    let ca = start(demo()).await;
    let cases = [
        (
            "/v1/sms/codes",
            json!({"mobile": "12345", "purpose": "register"}),
            422,
            ProblemCode::InvalidField,
            Some("mobile"),
        ),
        (
            "/v1/sms/codes",
            json!({"mobile": MOBILE, "purpose": "spam"}),
            422,
            ProblemCode::InvalidField,
            Some("purpose"),
        ),
        (
            "/v1/sms/codes",
            json!({"mobile": MOBILE}),
            400,
            ProblemCode::MalformedBody,
            None,
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": MOBILE, "purpose": "register", "code": "12ab56"}),
            422,
            ProblemCode::InvalidField,
            Some("code"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": MOBILE, "purpose": "register", "code": "1234567"}),
            422,
            ProblemCode::InvalidField,
            Some("code"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": "1", "purpose": "register", "code": "123456"}),
            422,
            ProblemCode::InvalidField,
            Some("mobile"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": MOBILE, "purpose": "register", "code": "123456"}),
            422,
            ProblemCode::SmsCodeExpired,
            None,
        ),
    ];
    for (path, body, status, code, field) in cases {
        let p = expect_problem(ca.post_json(path, &body).await, status, code).await;
        assert_eq!(p.field.as_deref(), field, "{body}");
    }
    let none: Vec<SmsMessageV1> = ca.get("/v1/admin/sms").await.json().await.unwrap();
    assert!(none.is_empty());
}

/// A mobile gets at most `sms_daily_cap` codes a day, whatever the
/// purpose, so its codes can be guessed at most cap × tries times a day
/// (not thousands); another mobile is not held up by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mobile_gets_only_so_many_codes_a_day() {
    let ca = start(Options {
        demo: true,
        sms_interval: Duration::ZERO,
        sms_daily_cap: 3,
        ..Options::default()
    })
    .await;
    for purpose in ["register", "reset_password", "change_mobile"] {
        let ask = json!({"mobile": MOBILE, "purpose": purpose});
        assert_eq!(ca.post_json("/v1/sms/codes", &ask).await.status(), 200);
    }
    let ask = json!({"mobile": MOBILE, "purpose": "order_lookup"});
    let r = ca.post_json("/v1/sms/codes", &ask).await;
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 86_000 && wait <= 86_400, "{wait}");
    expect_problem(r, 429, ProblemCode::TooManyRequests).await;
    let other = json!({"mobile": "13900139000", "purpose": "register"});
    assert_eq!(ca.post_json("/v1/sms/codes", &other).await.status(), 200);
}
