//! The photographs of a mobile review request (spec §3.1.3: 变更手机号 with
//! the business licence and the handler's ID document) between kiosks,
//! the CA service and its staff, over real mutual TLS on 127.0.0.1: a
//! kiosk uploads both with `CaClient::upload_review_capture` and names
//! them in its request, staff see the very bytes on the staff listener
//! and approve, and the mobile on file changes; a kiosk cannot name
//! another kiosk's capture, holds only so many unreferenced ones, and
//! neither sees the images (only staff do) nor can staff upload.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::{AccountOptions, HashCost, Options, Service};
use common::pki::Pki;
use common::{https, serve_tls, tls_client as client};
use kiosk_domain::fixtures::USCC;
use kiosk_sync_wire::account::{MobileReviewRequestV1, RegisterV1};
use kiosk_sync_wire::paths;
use kiosk_sync_wire::problem::ProblemCode;
use std::time::Duration;

const MOBILE: &str = "13800138000";
const NEW_MOBILE: &str = "13900139000";

/// Cheap hashes, codes without the resend wait, the SMS simulator, and at
/// most 3 unreferenced captures per kiosk.
fn options() -> Options {
    Options {
        demo: true,
        sms_interval: Duration::ZERO,
        accounts: AccountOptions {
            hash_cost: HashCost {
                memory_kib: 1024,
                iterations: 1,
            },
            review_captures_per_kiosk: 3,
            ..AccountOptions::default()
        },
        ..Options::default()
    }
}

struct Ca {
    service: Service,
    kiosk: std::net::SocketAddr,
    staff: std::net::SocketAddr,
    _stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Ca {
    fn kiosk_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.kiosk.port())
    }
    fn staff_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.staff.port())
    }
}

async fn start(dir: &std::path::Path, pki: &Pki) -> Ca {
    let service = Service::open(dir, options()).unwrap();
    let (kiosk, a) = serve_tls(&service, pki, ca_service::Listener::Kiosk).await;
    let (staff, b) = serve_tls(&service, pki, ca_service::Listener::Staff).await;
    Ca {
        service,
        kiosk,
        staff,
        _stop: vec![a, b],
    }
}

/// A code for `purpose` to `mobile`, read from the simulator's outbox by
/// staff.
async fn code(
    ca: &Ca,
    kiosk: &reqwest::Client,
    staff: &reqwest::Client,
    mobile: &str,
    purpose: &str,
) -> String {
    let mut body = serde_json::json!({"mobile": mobile, "purpose": purpose});
    if purpose == "register" {
        body["uscc"] = USCC.into();
    }
    let r = kiosk
        .post(ca.kiosk_url(paths::SMS_CODES))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let messages: Vec<serde_json::Value> = staff
        .get(ca.staff_url("/v1/admin/sms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = messages
        .iter()
        .rev()
        .find(|m| m["mobile"] == mobile)
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    text.chars().filter(char::is_ascii_digit).take(6).collect()
}

/// A JPEG as far as the CA looks, told apart by `seed`.
fn jpeg(seed: u8, n: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..n - 4).map(|i| {
        seed.wrapping_mul(31)
            .wrapping_add(u8::try_from(i % 256).unwrap())
    }));
    bytes
}

/// The field a refusal names.
fn field(e: &kiosk_sync_client::CallError) -> Option<&str> {
    match e {
        kiosk_sync_client::CallError::Status {
            problem: Some(p), ..
        } => p.field.as_deref(),
        _ => None,
    }
}

fn digest_of(reference: &str) -> &str {
    reference.strip_prefix("sha256:").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_uploads_its_photographs_staff_see_them_and_approve() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let ca = start(dir.path(), &pki).await;
    let (a_leaf, b_leaf) = (pki.device_ca.device("TYA"), pki.device_ca.device("KAB"));
    let a = client(&pki, &ca.kiosk_url(""), &a_leaf);
    let b = client(&pki, &ca.kiosk_url(""), &b_leaf);
    let a_http = https(&pki, Some(&a_leaf));
    let staff = https(&pki, Some(&pki.staff_ca.device("王芳")));

    let c = code(&ca, &a_http, &staff, MOBILE, "register").await;
    a.register(
        &RegisterV1 {
            unit_name: "山西示例煤业有限公司".to_owned(),
            uscc: USCC.to_owned(),
            password: kiosk_sync_wire::account::Password::new("first1234"),
            mobile: MOBILE.to_owned(),
            sms_code: c,
        },
        &kiosk_sync_wire::account::Password::new("first1234"),
    )
    .await
    .unwrap();

    // Kiosk A photographs the licence and the ID document.
    let (licence_jpeg, id_jpeg) = (jpeg(1, 40_000), jpeg(2, 30_000));
    let licence = a.upload_review_capture(&licence_jpeg).await.unwrap();
    let id = a.upload_review_capture(&id_jpeg).await.unwrap();
    assert!(licence.starts_with("sha256:") && licence.len() == 71);
    // Kept with A's code.
    let storage = ca.service.storage();
    assert_eq!(
        storage.review_capture("TYA", digest_of(&licence)).unwrap(),
        Some(licence_jpeg.clone())
    );
    assert_eq!(
        storage.review_capture("KAB", digest_of(&licence)).unwrap(),
        None
    );

    // Kiosk B cannot name A's captures (B never uploaded them).
    let request = |sms_code: String, licence: &str, id: &str| MobileReviewRequestV1 {
        uscc: USCC.to_owned(),
        new_mobile: NEW_MOBILE.to_owned(),
        sms_code,
        licence_capture: licence.to_owned(),
        id_capture: id.to_owned(),
    };
    let b_http = https(&pki, Some(&b_leaf));
    let c = code(&ca, &b_http, &staff, NEW_MOBILE, "change_mobile").await;
    let e = b
        .request_mobile_review(&request(c.clone(), &licence, &id))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::InvalidField));
    assert_eq!(field(&e), Some("licence_capture"));
    // Not even with one of its own beside.
    let own = b.upload_review_capture(&jpeg(3, 1000)).await.unwrap();
    let e = b
        .request_mobile_review(&request(c.clone(), &own, &id))
        .await
        .unwrap_err();
    assert_eq!(field(&e), Some("id_capture"));

    // A names its own: accepted (the code was not used up by B's refusals).
    let review = a
        .request_mobile_review(&request(c, &licence, &id))
        .await
        .unwrap();
    assert_eq!(review.status, "pending");

    // Staff see both photographs, the very bytes, on the staff listener.
    let page = staff
        .get(ca.staff_url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (kind, bytes) in [("licence", &licence_jpeg), ("id", &id_jpeg)] {
        let path = format!("/admin/mobile-reviews/{}/captures/{kind}", review.id);
        assert!(page.contains(&format!("<img src=\"{path}\"")), "{kind}");
        let r = staff.get(ca.staff_url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(&r.bytes().await.unwrap()[..], &bytes[..]);
        // Not the kiosk that uploaded it: on its listener there is no
        // such route, and it cannot reach the staff listener at all.
        let r = a_http.get(ca.kiosk_url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["detail"], ca_service::NO_SUCH_ROUTE);
        assert!(a_http.get(ca.staff_url(&path)).send().await.is_err());
    }
    // Staff cannot upload: not on the staff listener, no handshake on the
    // kiosk listener.
    let extra = jpeg(4, 1000);
    let put_path = paths::review_capture(&kiosk_sync_wire::hex::encode(&{
        use sha2::Digest as _;
        sha2::Sha256::digest(&extra)
    }));
    let r = staff
        .put(ca.staff_url(&put_path))
        .header("content-type", "image/jpeg")
        .body(extra.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        staff
            .put(ca.kiosk_url(&put_path))
            .header("content-type", "image/jpeg")
            .body(extra)
            .send()
            .await
            .is_err()
    );

    // Approved: the mobile on file is the new one.
    let csrf = ca
        .service
        .csrf_token(&ca_service::Caller::Staff("王芳".to_owned()))
        .unwrap();
    let r = staff
        .post(ca.staff_url(&format!("/admin/mobile-reviews/{}/approve", review.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(storage.account(USCC).unwrap().unwrap().mobile, NEW_MOBILE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kiosk_holds_few_unreferenced_captures_and_bad_ones_are_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let ca = start(dir.path(), &pki).await;
    let a = client(&pki, &ca.kiosk_url(""), &pki.device_ca.device("TYA"));
    let b = client(&pki, &ca.kiosk_url(""), &pki.device_ca.device("KAB"));
    let a_http = https(&pki, Some(&pki.device_ca.device("TYA")));
    let storage = ca.service.storage();

    // A wrong digest, not a JPEG, too large: refused, nothing kept.
    let good = jpeg(1, 2000);
    let put = |digest: String, body: Vec<u8>| {
        a_http
            .put(ca.kiosk_url(&paths::review_capture(&digest)))
            .header("content-type", "image/jpeg")
            .body(body)
            .send()
    };
    let r = put("ab".repeat(32), good.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    let e = a.upload_review_capture(b"not a jpeg").await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::InvalidField));
    let huge = jpeg(2, kiosk_sync_wire::account::REVIEW_CAPTURE_MAX_BYTES + 1);
    let e = a.upload_review_capture(&huge).await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::AttachmentTooLarge));
    let huge_digest = kiosk_sync_wire::hex::encode(&{
        use sha2::Digest as _;
        sha2::Sha256::digest(&huge)
    });
    let r = put(huge_digest, huge).await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(storage.review_capture_count().unwrap(), 0);

    // Three unreferenced per kiosk here; the same bytes again are no new one.
    for seed in 10..13 {
        a.upload_review_capture(&jpeg(seed, 500)).await.unwrap();
    }
    a.upload_review_capture(&jpeg(10, 500)).await.unwrap();
    let e = a.upload_review_capture(&jpeg(13, 500)).await.unwrap_err();
    assert_eq!(e.code(), Some(ProblemCode::TooManyRequests));
    assert!(matches!(
        e,
        kiosk_sync_client::CallError::Status {
            status: 429,
            retry_after: Some(_),
            ..
        }
    ));
    // Another kiosk's count is its own.
    for seed in 10..13 {
        b.upload_review_capture(&jpeg(seed, 500)).await.unwrap();
    }
    assert_eq!(storage.review_capture_count().unwrap(), 6);
}
