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
const USCC: &str = kiosk_domain::fixtures::USCC;

/// The code in the latest message to `mobile`.
async fn last_code(ca: &Running, mobile: &str) -> String {
    let messages: Vec<SmsMessageV1> = ca.get("/v1/admin/sms").await.json().await.unwrap();
    let text = &messages.iter().find(|m| m.mobile == mobile).unwrap().text;
    text.chars().filter(char::is_ascii_digit).take(6).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_sent_rate_limited_and_verified_once() {
    let ca = start(demo()).await;
    let ask = json!({"mobile": MOBILE, "purpose": "register", "uscc": USCC});
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
    let check =
        |code: &str| json!({"mobile": MOBILE, "purpose": "register", "uscc": USCC, "code": code});
    let p = expect_problem(
        ca.post_json("/v1/sms/verify", &check(wrong)).await,
        422,
        ProblemCode::SmsCodeWrong,
    )
    .await;
    assert_eq!(p.detail.as_deref(), Some("4 tries left"));
    // A code for another purpose does not verify.
    let other = json!({"mobile": MOBILE, "purpose": "reset_password", "uscc": USCC, "code": code});
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
            json!({"mobile": "12345", "purpose": "register", "uscc": USCC}),
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
        // A unit's code names its unit; another's names none.
        (
            "/v1/sms/codes",
            json!({"mobile": MOBILE, "purpose": "reset_password"}),
            422,
            ProblemCode::InvalidField,
            Some("uscc"),
        ),
        (
            "/v1/sms/codes",
            json!({"mobile": MOBILE, "purpose": "register", "uscc": "91110108551385082X"}),
            422,
            ProblemCode::InvalidField,
            Some("uscc"),
        ),
        (
            "/v1/sms/codes",
            json!({"mobile": MOBILE, "purpose": "order_lookup", "uscc": USCC}),
            422,
            ProblemCode::InvalidField,
            Some("uscc"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": MOBILE, "purpose": "register", "uscc": USCC, "code": "12ab56"}),
            422,
            ProblemCode::InvalidField,
            Some("code"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": MOBILE, "purpose": "register", "uscc": USCC, "code": "1234567"}),
            422,
            ProblemCode::InvalidField,
            Some("code"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": "1", "purpose": "register", "uscc": USCC, "code": "123456"}),
            422,
            ProblemCode::InvalidField,
            Some("mobile"),
        ),
        (
            "/v1/sms/verify",
            json!({"mobile": MOBILE, "purpose": "register", "uscc": USCC, "code": "123456"}),
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
    for (purpose, uscc) in [
        ("register", Some(USCC)),
        ("reset_password", Some(USCC)),
        ("change_mobile", None),
    ] {
        let mut ask = json!({"mobile": MOBILE, "purpose": purpose});
        if let Some(uscc) = uscc {
            ask["uscc"] = json!(uscc);
        }
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
    let other = json!({"mobile": "13900139000", "purpose": "register", "uscc": USCC});
    assert_eq!(ca.post_json("/v1/sms/codes", &other).await.status(), 200);
}

/// A unit's codes (registering, resetting its password) to mobiles other
/// than the one on file: at most `sms_unit_cap` within `sms_unit_window`,
/// so the wrong codes tried against one unit from other mobiles are
/// bounded too (cap × tries). The mobile on file is never held back by it,
/// another unit is not, and a code sent for one unit verifies for no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_gets_only_so_many_codes_to_other_mobiles() {
    let ca = start(Options {
        demo: true,
        sms_interval: Duration::ZERO,
        sms_unit_cap: 3,
        ..Options::default()
    })
    .await;
    let ask = |mobile: &str, purpose: &str, uscc: &str| json!({"mobile": mobile, "purpose": purpose, "uscc": uscc});
    // The unit registers with MOBILE: that code counts (no account yet).
    assert_eq!(
        ca.post_json("/v1/sms/codes", &ask(MOBILE, "register", USCC))
            .await
            .status(),
        200
    );
    let code = last_code(&ca, MOBILE).await;
    let r = ca
        .post_json(
            "/v1/accounts",
            &json!({"unit_name": "山西示例煤业有限公司", "uscc": USCC, "password": "Kiosk2024pass",
                    "mobile": MOBILE, "sms_code": code}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // Two more codes to other mobiles fill the unit's hour...
    for mobile in ["13900139001", "13900139002"] {
        assert_eq!(
            ca.post_json("/v1/sms/codes", &ask(mobile, "reset_password", USCC))
                .await
                .status(),
            200
        );
    }
    let r = ca
        .post_json("/v1/sms/codes", &ask("13900139003", "reset_password", USCC))
        .await;
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 3_500 && wait <= 3_600, "{wait}");
    expect_problem(r, 429, ProblemCode::TooManyRequests).await;
    // ...but not for the mobile on file, nor for another unit.
    assert_eq!(
        ca.post_json("/v1/sms/codes", &ask(MOBILE, "reset_password", USCC))
            .await
            .status(),
        200
    );
    let other_unit = "91110108123456788E";
    assert_eq!(
        ca.post_json("/v1/sms/codes", &ask("13900139003", "register", other_unit))
            .await
            .status(),
        200
    );
    // The code just sent for the other unit verifies for it only.
    let code = last_code(&ca, "13900139003").await;
    let verify = |uscc: &str| json!({"mobile": "13900139003", "purpose": "register", "uscc": uscc, "code": code});
    expect_problem(
        ca.post_json("/v1/sms/verify", &verify(USCC)).await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    let r = ca.post_json("/v1/sms/verify", &verify(other_unit)).await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<SmsVerifiedV1>().await.unwrap().verified);
}
