//! Enterprise accounts over real HTTP: register, sign in and out, lockout,
//! forgot password, change password and mobile, the review of a new mobile
//! on the back office page, sessions that expire, SMS code misuse, bad
//! input, and passwords that never appear in an answer or in the database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::{AccountOptions, HashCost, Options};
use common::*;
use kiosk_domain::fixtures::USCC;
use kiosk_sync_wire::account::{AccountV1, MobileReviewV1, ReviewCaptureV1, SessionV1};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::sms::SmsMessageV1;
use serde_json::{Value, json};
use std::time::Duration;

const MOBILE: &str = "13800138000";
const NEW_MOBILE: &str = "13900139000";
const PASSWORD: &str = "Kiosk2024pass";
const UNIT: &str = "山西示例煤业有限公司";
/// Another valid USCC (GB 32100 check character).
const OTHER_USCC: &str = "91110108123456788E";

/// Cheap hashes (still Argon2id) and codes without the resend wait.
fn options() -> Options {
    Options {
        demo: true,
        sms_interval: Duration::ZERO,
        accounts: AccountOptions {
            hash_cost: HashCost {
                memory_kib: 1024,
                iterations: 1,
            },
            ..AccountOptions::default()
        },
        ..Options::default()
    }
}

/// Sends a code for `purpose` to `mobile` (registering or resetting: for
/// the unit `USCC`) and reads it from the simulator.
async fn code(ca: &Running, mobile: &str, purpose: &str) -> String {
    unit_code(ca, mobile, purpose, USCC).await
}

/// As [`code`], a unit's code for `uscc`.
async fn unit_code(ca: &Running, mobile: &str, purpose: &str, uscc: &str) -> String {
    let mut request = json!({"mobile": mobile, "purpose": purpose});
    if ["register", "reset_password"].contains(&purpose) {
        request["uscc"] = json!(uscc);
    }
    let r = ca.post_json("/v1/sms/codes", &request).await;
    assert_eq!(r.status(), 200);
    let messages: Vec<SmsMessageV1> = ca.get("/v1/admin/sms").await.json().await.unwrap();
    let text = &messages.iter().find(|m| m.mobile == mobile).unwrap().text;
    text.chars().filter(char::is_ascii_digit).take(6).collect()
}

fn registration(uscc: &str, password: &str, mobile: &str, sms_code: &str) -> Value {
    json!({
        "unit_name": UNIT,
        "uscc": uscc,
        "password": password,
        "mobile": mobile,
        "sms_code": sms_code,
    })
}

async fn register(ca: &Running) -> AccountV1 {
    let c = code(ca, MOBILE, "register").await;
    let r = ca
        .post_json("/v1/accounts", &registration(USCC, PASSWORD, MOBILE, &c))
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn sign_in_raw(ca: &Running, uscc: &str, password: &str) -> reqwest::Response {
    ca.post_json(
        "/v1/accounts/session",
        &json!({"uscc": uscc, "password": password}),
    )
    .await
}

async fn sign_in(ca: &Running, password: &str) -> SessionV1 {
    let r = sign_in_raw(ca, USCC, password).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn me(ca: &Running, token: &str) -> reqwest::Response {
    ca.http
        .get(ca.url("/v1/accounts/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post_signed_in(ca: &Running, path: &str, token: &str, body: &Value) -> reqwest::Response {
    ca.http
        .post(ca.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_sign_in_unit_information_and_sign_out() {
    let ca = start(options()).await;
    let account = register(&ca).await;
    assert_eq!(
        (
            account.unit_name.as_str(),
            account.uscc.as_str(),
            account.mobile.as_str()
        ),
        (UNIT, USCC, MOBILE)
    );

    // The same USCC again: 409, and the code sent for it is not used up.
    let c = code(&ca, NEW_MOBILE, "register").await;
    let p = expect_problem(
        ca.post_json(
            "/v1/accounts",
            &registration(USCC, "Other1234", NEW_MOBILE, &c),
        )
        .await,
        409,
        ProblemCode::AccountExists,
    )
    .await;
    assert!(p.message_zh_cn.contains("已注册"));
    // That code was sent for USCC: it registers no other unit.
    expect_problem(
        ca.post_json(
            "/v1/accounts",
            &registration(OTHER_USCC, "Other1234", NEW_MOBILE, &c),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    let c = unit_code(&ca, NEW_MOBILE, "register", OTHER_USCC).await;
    let r = ca
        .post_json(
            "/v1/accounts",
            &registration(OTHER_USCC, "Other1234", NEW_MOBILE, &c),
        )
        .await;
    assert_eq!(r.status(), 201);

    let session = sign_in(&ca, PASSWORD).await;
    assert_eq!(session.token.len(), 64);
    assert_eq!(session.idle_timeout_secs, 30 * 60);
    let r = me(&ca, &session.token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<AccountV1>().await.unwrap(), account);
    // Each sign in is a session of its own.
    let second = sign_in(&ca, PASSWORD).await;
    assert_ne!(second.token, session.token);

    let out = |token: String| {
        let ca = &ca;
        async move {
            ca.http
                .delete(ca.url("/v1/accounts/session"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(out(session.token.clone()).await.status(), 204);
    expect_problem(
        me(&ca, &session.token).await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    // Signing out twice is fine; the other session lives on.
    assert_eq!(out(session.token.clone()).await.status(), 204);
    assert_eq!(me(&ca, &second.token).await.status(), 200);

    // No token, a malformed one, an unknown one.
    expect_problem(
        ca.get("/v1/accounts/me").await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    expect_problem(
        me(&ca, "not-a-token").await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    expect_problem(
        me(&ca, &"0".repeat(64)).await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    let r = ca
        .http
        .delete(ca.url("/v1/accounts/session"))
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, ProblemCode::SessionInvalid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_problem_never_a_500() {
    let ca = start(options()).await;
    let c = code(&ca, MOBILE, "register").await;
    for (body, field) in [
        (
            registration("91110108551385082A", PASSWORD, MOBILE, &c),
            "uscc",
        ),
        (registration(USCC, "short1", MOBILE, &c), "password"),
        (registration(USCC, "onlyletters", MOBILE, &c), "password"),
        (registration(USCC, "12345678901", MOBILE, &c), "password"),
        (registration(USCC, USCC, MOBILE, &c), "password"),
        (registration(USCC, "has space 123", MOBILE, &c), "password"),
        (registration(USCC, PASSWORD, "12345", &c), "mobile"),
        (registration(USCC, PASSWORD, MOBILE, "12a456"), "sms_code"),
    ] {
        let p = expect_problem(
            ca.post_json("/v1/accounts", &body).await,
            422,
            ProblemCode::InvalidField,
        )
        .await;
        assert_eq!(p.field.as_deref(), Some(field), "{body}");
    }
    let mut no_unit = registration(USCC, PASSWORD, MOBILE, &c);
    no_unit["unit_name"] = json!("  ");
    let p = expect_problem(
        ca.post_json("/v1/accounts", &no_unit).await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("unit_name"));
    let mut extra = registration(USCC, PASSWORD, MOBILE, &c);
    extra["password_again"] = json!(PASSWORD);
    expect_problem(
        ca.post_json("/v1/accounts", &extra).await,
        400,
        ProblemCode::MalformedBody,
    )
    .await;
    let too_long = format!("a1{}", "b".repeat(80));
    let p = expect_problem(
        sign_in_raw(&ca, USCC, &too_long).await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("password"));

    for path in [
        "/v1/accounts",
        "/v1/accounts/session",
        "/v1/accounts/password-reset",
        "/v1/accounts/mobile-reviews",
    ] {
        for body in ["", "{", "[]", "{\"uscc\": 1}", "null"] {
            let r = ca
                .http
                .post(ca.url(path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let (status, _) = problem(r).await;
            assert!((400..500).contains(&status), "{path} {body:?}: {status}");
        }
    }
    // The code was never used by any of those: it still registers.
    let r = ca
        .post_json("/v1/accounts", &registration(USCC, PASSWORD, MOBILE, &c))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_codes_are_checked_for_purpose_number_and_reuse() {
    let ca = start(options()).await;
    // None sent.
    expect_problem(
        ca.post_json(
            "/v1/accounts",
            &registration(USCC, PASSWORD, MOBILE, "123456"),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    // A code for another purpose does not register.
    let reset = code(&ca, MOBILE, "reset_password").await;
    expect_problem(
        ca.post_json(
            "/v1/accounts",
            &registration(USCC, PASSWORD, MOBILE, &reset),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    // A wrong code costs a try.
    let right = code(&ca, MOBILE, "register").await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let p = expect_problem(
        ca.post_json("/v1/accounts", &registration(USCC, PASSWORD, MOBILE, wrong))
            .await,
        422,
        ProblemCode::SmsCodeWrong,
    )
    .await;
    assert_eq!(p.detail.as_deref(), Some("4 tries left"));
    // A code sent to another number does not prove this one.
    expect_problem(
        ca.post_json(
            "/v1/accounts",
            &registration(USCC, PASSWORD, NEW_MOBILE, &right),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    let r = ca
        .post_json(
            "/v1/accounts",
            &registration(USCC, PASSWORD, MOBILE, &right),
        )
        .await;
    assert_eq!(r.status(), 201);
    // Used up: it registers nothing else.
    expect_problem(
        ca.post_json(
            "/v1/accounts",
            &registration(OTHER_USCC, PASSWORD, MOBILE, &right),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_uscc_out_for_a_while() {
    let mut o = options();
    o.accounts.lockout_window = Duration::from_secs(3);
    let ca = start(o).await;
    register(&ca).await;
    for _ in 0..5 {
        let p = expect_problem(
            sign_in_raw(&ca, USCC, "Wrong12345").await,
            401,
            ProblemCode::SignInFailed,
        )
        .await;
        assert!(p.message_en.contains("or the password"));
    }
    // The sixth try, even with the right password, is refused unchecked.
    let r = sign_in_raw(&ca, USCC, PASSWORD).await;
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&wait), "{wait}");
    expect_problem(r, 429, ProblemCode::AccountLocked).await;
    // An unknown USCC answers like a wrong password, and locks alike.
    for _ in 0..5 {
        expect_problem(
            sign_in_raw(&ca, OTHER_USCC, PASSWORD).await,
            401,
            ProblemCode::SignInFailed,
        )
        .await;
    }
    expect_problem(
        sign_in_raw(&ca, OTHER_USCC, PASSWORD).await,
        429,
        ProblemCode::AccountLocked,
    )
    .await;

    tokio::time::sleep(Duration::from_millis(3200)).await;
    let session = sign_in(&ca, PASSWORD).await;
    // A right password clears the count: four more mistakes do not lock.
    for _ in 0..4 {
        expect_problem(
            sign_in_raw(&ca, USCC, "Wrong12345").await,
            401,
            ProblemCode::SignInFailed,
        )
        .await;
    }
    sign_in(&ca, PASSWORD).await;
    // Guessing the old password through an open session counts too.
    for _ in 0..5 {
        expect_problem(
            post_signed_in(
                &ca,
                "/v1/accounts/me/password",
                &session.token,
                &json!({"old_password": "Wrong12345", "new_password": "Next12345"}),
            )
            .await,
            403,
            ProblemCode::PasswordWrong,
        )
        .await;
    }
    expect_problem(
        post_signed_in(
            &ca,
            "/v1/accounts/me/password",
            &session.token,
            &json!({"old_password": PASSWORD, "new_password": "Next12345"}),
        )
        .await,
        429,
        ProblemCode::AccountLocked,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_and_when_too_old() {
    let mut o = options();
    o.accounts.session_idle = Duration::from_millis(1500);
    let ca = start(o).await;
    register(&ca).await;
    let session = sign_in(&ca, PASSWORD).await;
    assert_eq!(session.idle_timeout_secs, 1);
    // Calls keep it alive past the idle time...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(me(&ca, &session.token).await.status(), 200);
    }
    // ...silence ends it, for good.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    expect_problem(
        me(&ca, &session.token).await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;

    let mut o = options();
    o.accounts.session_lifetime = Duration::from_millis(1500);
    let ca = start(o).await;
    register(&ca).await;
    let session = sign_in(&ca, PASSWORD).await;
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(me(&ca, &session.token).await.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    expect_problem(
        me(&ca, &session.token).await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_sets_the_customers_own_password() {
    let ca = start(options()).await;
    register(&ca).await;
    let old_session = sign_in(&ca, PASSWORD).await;
    let reset = |mobile: &str, code: &str, password: &str| json!({"uscc": USCC, "mobile": mobile, "sms_code": code, "new_password": password});
    // A mobile that is not the one on file: refused after its code.
    let c = code(&ca, NEW_MOBILE, "reset_password").await;
    expect_problem(
        ca.post_json(
            "/v1/accounts/password-reset",
            &reset(NEW_MOBILE, &c, "Fresh1234"),
        )
        .await,
        422,
        ProblemCode::AccountMismatch,
    )
    .await;
    // A register code does not reset.
    let c = code(&ca, MOBILE, "register").await;
    expect_problem(
        ca.post_json(
            "/v1/accounts/password-reset",
            &reset(MOBILE, &c, "Fresh1234"),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    // The new password obeys the rules (checked before the code is used).
    let c = code(&ca, MOBILE, "reset_password").await;
    let p = expect_problem(
        ca.post_json("/v1/accounts/password-reset", &reset(MOBILE, &c, USCC))
            .await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("new_password"));
    // Locked out by wrong passwords; the reset will lift that.
    for _ in 0..5 {
        sign_in_raw(&ca, USCC, "Wrong12345").await;
    }
    expect_problem(
        sign_in_raw(&ca, USCC, PASSWORD).await,
        429,
        ProblemCode::AccountLocked,
    )
    .await;
    let r = ca
        .post_json(
            "/v1/accounts/password-reset",
            &reset(MOBILE, &c, "Fresh1234"),
        )
        .await;
    assert_eq!(r.status(), 204);
    // Reused code: refused.
    expect_problem(
        ca.post_json(
            "/v1/accounts/password-reset",
            &reset(MOBILE, &c, "Other1234"),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;

    expect_problem(
        sign_in_raw(&ca, USCC, PASSWORD).await,
        401,
        ProblemCode::SignInFailed,
    )
    .await;
    // Not some default: only the customer's new password signs in.
    for default in ["12345678", "Abc12345", "a1234567"] {
        expect_problem(
            sign_in_raw(&ca, USCC, default).await,
            401,
            ProblemCode::SignInFailed,
        )
        .await;
    }
    // The reset lifted the lockout and ended the old sessions.
    sign_in(&ca, "Fresh1234").await;
    expect_problem(
        me(&ca, &old_session.token).await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    // A code sent for one unit resets no other.
    let c = code(&ca, MOBILE, "reset_password").await;
    let mut other = reset(MOBILE, &c, "Fresh1234");
    other["uscc"] = json!(OTHER_USCC);
    expect_problem(
        ca.post_json("/v1/accounts/password-reset", &other).await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    // Unknown USCC: the same refusal as a wrong mobile.
    let c = unit_code(&ca, MOBILE, "reset_password", OTHER_USCC).await;
    let mut unknown = reset(MOBILE, &c, "Fresh1234");
    unknown["uscc"] = json!(OTHER_USCC);
    expect_problem(
        ca.post_json("/v1/accounts/password-reset", &unknown).await,
        422,
        ProblemCode::AccountMismatch,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_and_mobile_when_signed_in() {
    let ca = start(options()).await;
    register(&ca).await;
    let session = sign_in(&ca, PASSWORD).await;
    let elsewhere = sign_in(&ca, PASSWORD).await;
    let change = |old: &str, new: &str| json!({"old_password": old, "new_password": new});

    // Without a session: 401 before anything else.
    expect_problem(
        ca.post_json("/v1/accounts/me/password", &change(PASSWORD, "Next12345"))
            .await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    let p = expect_problem(
        post_signed_in(
            &ca,
            "/v1/accounts/me/password",
            &session.token,
            &change(PASSWORD, "weak"),
        )
        .await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("new_password"));
    expect_problem(
        post_signed_in(
            &ca,
            "/v1/accounts/me/password",
            &session.token,
            &change("Wrong12345", "Next12345"),
        )
        .await,
        403,
        ProblemCode::PasswordWrong,
    )
    .await;
    let r = post_signed_in(
        &ca,
        "/v1/accounts/me/password",
        &session.token,
        &change(PASSWORD, "Next12345"),
    )
    .await;
    assert_eq!(r.status(), 204);
    // This session goes on; the other one ended; only the new password works.
    assert_eq!(me(&ca, &session.token).await.status(), 200);
    expect_problem(
        me(&ca, &elsewhere.token).await,
        401,
        ProblemCode::SessionInvalid,
    )
    .await;
    expect_problem(
        sign_in_raw(&ca, USCC, PASSWORD).await,
        401,
        ProblemCode::SignInFailed,
    )
    .await;
    sign_in(&ca, "Next12345").await;

    // Change mobile: the code must have gone to the NEW number.
    let mobile = |m: &str, c: &str| json!({"new_mobile": m, "sms_code": c});
    let to_old = code(&ca, MOBILE, "change_mobile").await;
    expect_problem(
        post_signed_in(
            &ca,
            "/v1/accounts/me/mobile",
            &session.token,
            &mobile(NEW_MOBILE, &to_old),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    let wrong_purpose = code(&ca, NEW_MOBILE, "register").await;
    expect_problem(
        post_signed_in(
            &ca,
            "/v1/accounts/me/mobile",
            &session.token,
            &mobile(NEW_MOBILE, &wrong_purpose),
        )
        .await,
        422,
        ProblemCode::SmsCodeExpired,
    )
    .await;
    let p = expect_problem(
        post_signed_in(
            &ca,
            "/v1/accounts/me/mobile",
            &session.token,
            &mobile("10000000000", "123456"),
        )
        .await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("new_mobile"));
    let c = code(&ca, NEW_MOBILE, "change_mobile").await;
    let r = post_signed_in(
        &ca,
        "/v1/accounts/me/mobile",
        &session.token,
        &mobile(NEW_MOBILE, &c),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<AccountV1>().await.unwrap().mobile, NEW_MOBILE);
    let info: AccountV1 = me(&ca, &session.token).await.json().await.unwrap();
    assert_eq!(info.mobile, NEW_MOBILE);
    // The old number no longer resets the password.
    let c = code(&ca, MOBILE, "reset_password").await;
    expect_problem(
        ca.post_json(
            "/v1/accounts/password-reset",
            &json!({"uscc": USCC, "mobile": MOBILE, "sms_code": c, "new_password": "Reset1234"}),
        )
        .await,
        422,
        ProblemCode::AccountMismatch,
    )
    .await;
}

/// A back-office form button pressed (with the reason field, if any): the
/// answer's status.
async fn decide(ca: &Running, path: &str, reason: Option<&str>) -> u16 {
    let fields: Vec<(&str, &str)> = reason.map(|r| ("reason", r)).into_iter().collect();
    ca.post_form(path, &fields).await.status().as_u16()
}

/// A JPEG as far as the CA looks (it starts `FF D8 FF`), `n` bytes, its
/// content told apart by `seed`.
fn jpeg(seed: u8, n: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(
        (0..n.saturating_sub(4)).map(|i| seed.wrapping_add(u8::try_from(i % 256).unwrap())),
    );
    bytes
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    kiosk_sync_wire::hex::encode(&sha2::Sha256::digest(bytes))
}

async fn put_capture(ca: &Running, digest: &str, media: &str, body: Vec<u8>) -> reqwest::Response {
    ca.http
        .put(ca.url(&kiosk_sync_wire::paths::review_capture(digest)))
        .header("content-type", media)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Uploads `bytes` as a review capture: its reference.
async fn upload(ca: &Running, bytes: &[u8]) -> String {
    let r = put_capture(ca, &sha256_hex(bytes), "image/jpeg", bytes.to_vec()).await;
    assert!(r.status().is_success(), "{}", r.status());
    let stored: ReviewCaptureV1 = r.json().await.unwrap();
    stored.reference
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_captures_are_jpegs_named_by_their_sha256_and_nothing_else_is_kept() {
    let ca = start(options()).await;
    let good = jpeg(1, 5000);
    let digest = sha256_hex(&good);
    // Kept once: 201, then 200 with the same answer.
    let r = put_capture(&ca, &digest, "image/jpeg", good.clone()).await;
    assert_eq!(r.status(), 201);
    let first: ReviewCaptureV1 = r.json().await.unwrap();
    assert_eq!(first.reference, format!("sha256:{digest}"));
    assert_eq!(first.size, 5000);
    let r = put_capture(&ca, &digest, "image/jpeg; charset=binary", good.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<ReviewCaptureV1>().await.unwrap(), first);
    let storage = ca.service.storage();
    assert_eq!(
        storage.review_capture("local", &digest).unwrap(),
        Some(good.clone())
    );

    // Refused, and nothing kept: another digest, not a JPEG, too large,
    // another media type, a path that is no digest.
    let other = jpeg(2, 5000);
    let p = expect_problem(
        put_capture(&ca, &digest, "image/jpeg", other.clone()).await,
        422,
        ProblemCode::DigestMismatch,
    )
    .await;
    assert_eq!(p.field, None);
    let png = b"\x89PNG\r\n\x1a\n-not-a-jpeg".to_vec();
    let p = expect_problem(
        put_capture(&ca, &sha256_hex(&png), "image/jpeg", png).await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("body"));
    let max = kiosk_sync_wire::account::REVIEW_CAPTURE_MAX_BYTES;
    let just_fits = jpeg(3, max);
    let r = put_capture(&ca, &sha256_hex(&just_fits), "image/jpeg", just_fits).await;
    assert_eq!(r.status(), 201, "1 MiB exactly is kept");
    let huge = jpeg(4, max + 1);
    expect_problem(
        put_capture(&ca, &sha256_hex(&huge), "image/jpeg", huge.clone()).await,
        413,
        ProblemCode::AttachmentTooLarge,
    )
    .await;
    let other_digest = sha256_hex(&other);
    expect_problem(
        put_capture(
            &ca,
            &other_digest,
            "application/octet-stream",
            other.clone(),
        )
        .await,
        415,
        ProblemCode::UnsupportedMediaType,
    )
    .await;
    for bad in [
        digest.to_ascii_uppercase(),
        digest[1..].to_owned(),
        format!("{digest}0"),
    ] {
        let p = expect_problem(
            put_capture(&ca, &bad, "image/jpeg", good.clone()).await,
            422,
            ProblemCode::InvalidField,
        )
        .await;
        assert_eq!(p.field.as_deref(), Some("sha256"));
    }
    assert_eq!(storage.review_capture_count().unwrap(), 2);
    assert_eq!(
        storage.review_capture("local", &other_digest).unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_holds_few_unreferenced_captures_and_not_for_long() {
    let mut o = options();
    o.accounts.review_captures_per_kiosk = 3;
    let ca = start(o).await;
    register(&ca).await;
    let mut refs = Vec::new();
    for seed in 0..3 {
        refs.push(upload(&ca, &jpeg(seed, 100)).await);
    }
    // A fourth: too many no request names.
    let fourth = jpeg(9, 100);
    let r = put_capture(&ca, &sha256_hex(&fourth), "image/jpeg", fourth.clone()).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=24 * 60 * 60).contains(&retry), "{retry}");
    expect_problem(r, 429, ProblemCode::TooManyRequests).await;
    // Sending one held again is no new one.
    let r = put_capture(&ca, &sha256_hex(&jpeg(0, 100)), "image/jpeg", jpeg(0, 100)).await;
    assert_eq!(r.status(), 200);
    // A request naming two of them frees their places.
    let c = code(&ca, NEW_MOBILE, "change_mobile").await;
    let r = ca
        .post_json(
            "/v1/accounts/mobile-reviews",
            &json!({"uscc": USCC, "new_mobile": NEW_MOBILE, "sms_code": c,
                    "licence_capture": refs[0], "id_capture": refs[1]}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        upload(&ca, &fourth).await,
        format!("sha256:{}", sha256_hex(&fourth))
    );
    assert_eq!(ca.service.storage().review_capture_count().unwrap(), 4);

    // With no time to live, what no request names goes at the next
    // upload; what a request names stays.
    let mut o = options();
    o.accounts.review_capture_ttl = Duration::ZERO;
    let ca = start(o).await;
    register(&ca).await;
    let (a, b) = (jpeg(1, 100), jpeg(2, 100));
    let (ra, rb) = (upload(&ca, &a).await, upload(&ca, &b).await);
    let storage = ca.service.storage();
    assert_eq!(
        storage.review_capture("local", &sha256_hex(&a)).unwrap(),
        None,
        "pruned"
    );
    let c = code(&ca, NEW_MOBILE, "change_mobile").await;
    let p = expect_problem(
        ca.post_json(
            "/v1/accounts/mobile-reviews",
            &json!({"uscc": USCC, "new_mobile": NEW_MOBILE, "sms_code": c,
                    "licence_capture": ra, "id_capture": rb}),
        )
        .await,
        422,
        ProblemCode::InvalidField,
    )
    .await;
    assert_eq!(p.field.as_deref(), Some("licence_capture"));
    // Uploaded again, it is kept anew (201): the kiosk that finds its
    // capture gone sends it again.
    let r = put_capture(&ca, &sha256_hex(&a), "image/jpeg", a.clone()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<ReviewCaptureV1>().await.unwrap().reference, ra);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_number_is_replaced_after_staff_review() {
    let ca = start(options()).await;
    register(&ca).await;
    let (licence_jpeg, id_jpeg) = (jpeg(10, 3000), jpeg(20, 2000));
    let licence = upload(&ca, &licence_jpeg).await;
    let id = upload(&ca, &id_jpeg).await;
    let request = |uscc: &str, c: &str| {
        json!({
            "uscc": uscc,
            "new_mobile": NEW_MOBILE,
            "sms_code": c,
            "licence_capture": licence,
            "id_capture": id,
        })
    };
    let c = code(&ca, NEW_MOBILE, "change_mobile").await;
    expect_problem(
        ca.post_json("/v1/accounts/mobile-reviews", &request(OTHER_USCC, &c))
            .await,
        422,
        ProblemCode::AccountMismatch,
    )
    .await;
    // Free text, or a capture never uploaded: refused, naming the field.
    for (field, value) in [
        ("licence_capture", json!("")),
        ("licence_capture", json!("capture/licence-7f3a")),
        (
            "id_capture",
            json!(format!("sha256:{}", sha256_hex(b"never sent"))),
        ),
    ] {
        let mut bad = request(USCC, &c);
        bad[field] = value;
        let p = expect_problem(
            ca.post_json("/v1/accounts/mobile-reviews", &bad).await,
            422,
            ProblemCode::InvalidField,
        )
        .await;
        assert_eq!(p.field.as_deref(), Some(field));
    }

    // Two requests: one rejected, one approved, on the back office page.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let c = code(&ca, NEW_MOBILE, "change_mobile").await;
        let r = ca
            .post_json("/v1/accounts/mobile-reviews", &request(USCC, &c))
            .await;
        assert_eq!(r.status(), 202);
        let review: MobileReviewV1 = r.json().await.unwrap();
        assert_eq!(review.status, "pending");
        assert_eq!(review.licence_capture, licence);
        assert_eq!(review.id_capture, id);
        ids.push(review.id);
    }
    let listed: Vec<MobileReviewV1> = ca
        .get("/v1/admin/mobile-reviews")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    let page = ca.get("/admin").await.text().await.unwrap();
    for review in &ids {
        assert!(page.contains(&format!("id=\"approve-review-{review}\"")));
        // Each photograph as a thumbnail linking to the full image, never
        // its reference as text.
        for kind in ["licence", "id"] {
            let src = format!("/admin/mobile-reviews/{review}/captures/{kind}");
            assert!(
                page.contains(&format!("<a href=\"{src}\"><img src=\"{src}\"")),
                "{page}"
            );
        }
    }
    assert!(page.contains("max-width:240px"));
    assert!(!page.contains(&licence) && !page.contains(&id));
    // Staff see the very bytes uploaded, as JPEG, never cached nor sniffed.
    for (kind, bytes) in [("licence", &licence_jpeg), ("id", &id_jpeg)] {
        let r = ca
            .get(&format!("/admin/mobile-reviews/{}/captures/{kind}", ids[1]))
            .await;
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(h["content-type"], "image/jpeg");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(&r.bytes().await.unwrap()[..], &bytes[..]);
    }
    expect_problem(
        ca.get("/admin/mobile-reviews/nope/captures/id").await,
        404,
        ProblemCode::NotFound,
    )
    .await;

    // Reject needs a reason.
    let reject = format!("/admin/mobile-reviews/{}/reject", ids[0]);
    assert_eq!(decide(&ca, &reject, Some(" ")).await, 422);
    assert_eq!(decide(&ca, &reject, Some("营业执照照片不清晰")).await, 303);
    let approve = |id: &str| format!("/admin/mobile-reviews/{id}/approve");
    assert_eq!(decide(&ca, &approve(&ids[1]), None).await, 303);
    // Decided once only; unknown ids are not found.
    assert_eq!(decide(&ca, &approve(&ids[0]), None).await, 409);
    assert_eq!(decide(&ca, &approve("nope"), None).await, 404);

    let listed: Vec<MobileReviewV1> = ca
        .get("/v1/admin/mobile-reviews")
        .await
        .json()
        .await
        .unwrap();
    let status = |id: &str| listed.iter().find(|r| r.id == id).unwrap().clone();
    assert_eq!(status(&ids[0]).status, "rejected");
    assert_eq!(
        status(&ids[0]).reason.as_deref(),
        Some("营业执照照片不清晰")
    );
    assert_eq!(status(&ids[1]).status, "approved");
    let page = ca.get("/admin").await.text().await.unwrap();
    assert!(page.contains("营业执照照片不清晰"));
    assert!(!page.contains("approve-review-"));

    // The new number is on file: it resets the password.
    let c = code(&ca, NEW_MOBILE, "reset_password").await;
    let r = ca
        .post_json(
            "/v1/accounts/password-reset",
            &json!({"uscc": USCC, "mobile": NEW_MOBILE, "sms_code": c, "new_password": "Found1234"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    sign_in(&ca, "Found1234").await;
}

/// Every log line of this test binary, at TRACE (a global subscriber: the
/// handlers run on the runtime's worker threads).
fn capture_logs() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    #[derive(Clone)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Sink(logs.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_tokens_are_never_in_an_answer_a_log_or_the_database() {
    let logs = capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let ca = start_in(dir, options()).await;
    let mut answers = String::new();
    let c = code(&ca, MOBILE, "register").await;
    let r = ca
        .post_json("/v1/accounts", &registration(USCC, PASSWORD, MOBILE, &c))
        .await;
    answers.push_str(&r.text().await.unwrap());
    let r = sign_in_raw(&ca, USCC, PASSWORD).await;
    let text = r.text().await.unwrap();
    answers.push_str(&text);
    let session: SessionV1 = serde_json::from_str(&text).unwrap();
    answers.push_str(&me(&ca, &session.token).await.text().await.unwrap());
    let r = post_signed_in(
        &ca,
        "/v1/accounts/me/password",
        &session.token,
        &json!({"old_password": PASSWORD, "new_password": "Second1234"}),
    )
    .await;
    assert_eq!(r.status(), 204);
    answers.push_str(
        &sign_in_raw(&ca, USCC, "Wrong98765")
            .await
            .text()
            .await
            .unwrap(),
    );
    // A review request with its photographs: nothing of them in the logs.
    let licence = upload(&ca, &jpeg(7, 500)).await;
    let id = upload(&ca, &jpeg(8, 500)).await;
    let c = code(&ca, NEW_MOBILE, "change_mobile").await;
    let r = ca
        .post_json(
            "/v1/accounts/mobile-reviews",
            &json!({"uscc": USCC, "new_mobile": NEW_MOBILE, "sms_code": c,
                    "licence_capture": licence, "id_capture": id}),
        )
        .await;
    assert_eq!(r.status(), 202);
    for page in ["/admin", "/v1/admin/sms", "/v1/admin/mobile-reviews"] {
        answers.push_str(&ca.get(page).await.text().await.unwrap());
    }
    for secret in [PASSWORD, "Second1234", "Wrong98765"] {
        assert!(!answers.contains(secret), "an answer holds a password");
    }

    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&path).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            bytes.extend(std::fs::read(entry.path()).unwrap());
        }
    }
    let holds = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(holds(USCC), "the database was read");
    for secret in [PASSWORD, "Second1234", "Wrong98765", session.token.as_str()] {
        assert!(
            !holds(secret),
            "the database holds a password or token in clear"
        );
    }
    assert!(holds("$argon2id$v=19$"), "the hash is Argon2id");

    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logs.contains("signed in"), "the logs were captured");
    for secret in [
        PASSWORD,
        "Second1234",
        "Wrong98765",
        session.token.as_str(),
        "$argon2id$",
        USCC,
        MOBILE,
        NEW_MOBILE,
        &licence[7..],
        &id[7..],
    ] {
        assert!(!logs.contains(secret), "a log holds {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_get_no_more_tries_than_serial_ones() {
    let ca = start(options()).await;
    register(&ca).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (http, url) = (ca.http.clone(), ca.url("/v1/accounts/session"));
        guesses.spawn(async move {
            let body = json!({"uscc": USCC, "password": format!("Guess{i:04}")});
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = guesses.join_all().await;
    statuses.sort_unstable();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let locked = statuses.iter().filter(|s| **s == 429).count();
    // A guess that found every hashing slot busy was told to come back
    // (503) before anything was counted: it is not a try either.
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(checked + locked + busy, 20, "{statuses:?}");
    assert!(checked <= 5, "{statuses:?}");
    // Those sent back try again, one at a time: 5 tries in all, no more.
    let mut tries = checked;
    for i in 0..busy {
        let body = json!({"uscc": USCC, "password": format!("Again{i:04}")});
        match ca
            .post_json("/v1/accounts/session", &body)
            .await
            .status()
            .as_u16()
        {
            401 => tries += 1,
            429 => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(tries, 5, "{statuses:?}");
    let last = json!({"uscc": USCC, "password": "Final0000"});
    assert_eq!(
        ca.post_json("/v1/accounts/session", &last).await.status(),
        429
    );
}
