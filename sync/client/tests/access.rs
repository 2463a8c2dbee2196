//! The CA service's authorisation, over real mutual TLS on 127.0.0.1 with
//! certificates made here: a matrix generated from the service's own route
//! table (every route × no certificate, kiosk A, kiosk B, staff, and demo
//! off), and the abuses it closes (another kiosk's order number, another
//! kiosk's feed, staff routes from a kiosk; another kiosk's staff calls in
//! `tests/staff_calls.rs`, its audit log in `tests/audit.rs`).
//!
//! An allowed caller reaches the route's handler (whatever it answers to
//! the matrix's empty bodies); a refused one gets 401 `unauthenticated`,
//! 403 `forbidden`, 404 "no such route" (not served on this listener, or a
//! demo route without `--demo`) or no TLS handshake at all.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::access::{Route, Who};
use ca_service::{Listener, Options, ROUTES, Service};
use common::pki::{Leaf, Pki};
use common::{https, https_unpooled, serve_plain, serve_tls};
use kiosk_domain::fixtures;
use kiosk_sync_client::{CaClient, TlsSettings, Worker};
use kiosk_sync_wire::order::OrderV1;
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// The service on three listeners: kiosk and staff over mutual TLS, and
/// the kiosk's over plain HTTP on loopback (to seed data).
struct Served {
    service: Service,
    kiosk: SocketAddr,
    staff: SocketAddr,
    plain_kiosk: SocketAddr,
    _stop: Vec<oneshot::Sender<()>>,
}

/// The tests of this file run one at a time: while they overlapped in one
/// process, a body-bearing request of the matrix sometimes got no answer
/// (about one run in four here, once in CI for 15 minutes); never with the
/// matrix alone. Not understood yet: the call limit below names the request
/// if it happens again.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start(dir: &std::path::Path, options: Options, pki: &Pki) -> Served {
    let service = Service::open(dir, options).unwrap();
    let (kiosk, a) = serve_tls(&service, pki, Listener::Kiosk).await;
    let (staff, b) = serve_tls(&service, pki, Listener::Staff).await;
    let (plain_kiosk, c) = serve_plain(&service, Listener::Kiosk).await;
    Served {
        service,
        kiosk,
        staff,
        plain_kiosk,
        _stop: vec![a, b, c],
    }
}

/// The staff call kiosk A made ([`seed_kiosk_a_call`]).
const KIOSK_A_CALL: &str = "00000000000000a1";

/// `route`'s path with every parameter filled: kiosk A's order, kiosk A's
/// staff call, kiosk A's first audit entry.
fn concrete(route: &Route) -> String {
    let number = fixtures::order_number(1).to_string();
    route
        .path
        .replace("{number}", &number)
        .replace("{kiosk}", fixtures::kiosk().as_str())
        .replace("{call}", KIOSK_A_CALL)
        .replace("{seq}", "1")
        .replace("{position}", "0")
        .replace("{attempt}", "1")
        .replace("{id}", "pay_0000")
        .replace("{serial}", "01")
        .replace("{resident_id}", fixtures::RESIDENT_ID)
        .replace("{invoice_number}", "INV1")
        .replace("{sha256}", &"0".repeat(64))
}

/// What a caller got.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    /// No TLS session was made.
    NoHandshake,
    /// 404 `not_found`, "no such route": not served on this listener.
    NotHere,
    /// 401 `unauthenticated`.
    Unauthenticated,
    /// 403 `forbidden`.
    Forbidden,
    /// The handler's own answer.
    Served(u16, String),
    /// No answer within [`CALL_LIMIT`].
    Hung,
}

/// The answer to `route` at `base`; a back-office form carries `csrf`.
/// How long one call of the matrix may take.
const CALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

async fn call(http: &reqwest::Client, base: &str, route: &Route, csrf: &str) -> Got {
    let url = format!("{base}{}", concrete(route));
    let method = reqwest::Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
    let mut request = http.request(method, &url);
    if route.method == "post" && route.path.starts_with("/admin/") {
        request = request.form(&[("csrf", csrf)]);
    } else if matches!(route.method, "post" | "put") {
        request = request.json(&serde_json::json!({}));
    }
    // Bounded, so that a request that hangs names itself instead of
    // stalling the whole matrix.
    let response = match request.timeout(CALL_LIMIT).send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Got::Hung,
        Err(e) if e.is_connect() || e.is_request() => return Got::NoHandshake,
        Err(e) => panic!("{url}: {e}"),
    };
    let status = response.status().as_u16();
    let head = route.method == "head";
    let body: serde_json::Value =
        serde_json::from_slice(&response.bytes().await.unwrap_or_default()).unwrap_or_default();
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    let detail = body["detail"].as_str().unwrap_or_default();
    // A HEAD answer has no body: its status tells.
    match (status, code.as_str()) {
        (404, "not_found") if detail == ca_service::NO_SUCH_ROUTE => Got::NotHere,
        (401, "unauthenticated") => Got::Unauthenticated,
        (403, "forbidden") => Got::Forbidden,
        (404, "") if head => Got::NotHere,
        (401, "") if head => Got::Unauthenticated,
        (403, "") if head => Got::Forbidden,
        _ => Got::Served(status, code),
    }
}

/// Kiosk A's order with its one attachment, as A created it: the
/// matrix's routes find something to answer about.
async fn seed_kiosk_a_order(served: &Served) {
    use sha2::Digest;
    let order = fixtures::application_order(1);
    let bytes = b"%PDF-1.7 licence".to_vec();
    let attachment = kiosk_domain::ports::outbox::UploadAttachment {
        position: 0,
        kind: kiosk_domain::order::attachment::AttachmentKind::BusinessLicence,
        media_type: kiosk_domain::order::attachment::MediaType::Pdf,
        sha256_hex: kiosk_sync_wire::hex::encode(&sha2::Sha256::digest(&bytes)),
        bytes,
    };
    let doc = OrderV1::from_domain(&order, std::slice::from_ref(&attachment));
    let http = reqwest::Client::new();
    let base = format!("http://{}", served.plain_kiosk);
    let r = http
        .put(format!("{base}/v1/orders/{}", doc.number))
        .header("idempotency-key", format!("{:032x}", 1))
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Kiosk A's staff call (呼叫工作人员), as A made it: the matrix's
/// staff-call routes find something to answer about.
async fn seed_kiosk_a_call(served: &Served) {
    let r = reqwest::Client::new()
        .put(format!(
            "http://{}/v1/kiosks/{}/staff-calls/{KIOSK_A_CALL}",
            served.plain_kiosk,
            fixtures::kiosk()
        ))
        .json(&serde_json::json!({"screen": "pin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Kiosk A's first audit entry, as A sent it: the matrix's audit routes
/// find a copy to answer about.
async fn seed_kiosk_a_audit(served: &Served) {
    use kiosk_domain::audit::{Actor, AuditAction, AuditEntry};
    let entry = serde_json::to_string(&AuditEntry {
        at: time::macros::datetime!(2026-12-05 16:30 UTC),
        actor: Actor::Technician {
            account: "tech".to_owned(),
        },
        action: AuditAction::QueueRetry,
        order: Some(fixtures::order_number(1)),
    })
    .unwrap();
    let r = reqwest::Client::new()
        .put(format!(
            "http://{}/v1/kiosks/{}/audit/1",
            served.plain_kiosk,
            fixtures::kiosk()
        ))
        .json(&kiosk_sync_wire::audit::AuditEntryV1::new(
            &entry, &[0; 32], &[1; 32],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum As {
    Nobody,
    KioskA,
    KioskB,
    Staff,
}

/// What `caller` must get on `listener` for `route` (demo on): `None`
/// for the handler's own answer, whatever it is.
fn refusal(route: &Route, listener: Listener, caller: As) -> Option<Got> {
    // Each listener shakes hands with its own CA's certificates only (and
    // the kiosk listener with no certificate too).
    match (listener, caller) {
        (Listener::Staff, As::Nobody | As::KioskA | As::KioskB) | (Listener::Kiosk, As::Staff) => {
            return Some(Got::NoHandshake);
        }
        _ => {}
    }
    if route.who.listener() != listener {
        return Some(Got::NotHere);
    }
    match (route.who, caller) {
        // Kiosk A's order, kiosk A's staff call, kiosk A's audit log: not
        // B's.
        (Who::OwnOrder | Who::OwnKiosk, As::KioskB) => Some(Got::Forbidden),
        (Who::AnyKiosk | Who::OwnOrder | Who::OwnKiosk, As::Nobody) => Some(Got::Unauthenticated),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_only_whom_the_table_allows() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    // A staff revocation list, so that its route answers with it.
    let crl = dir.path().join("staff.crl");
    std::fs::write(&crl, pki.staff_ca.crl(1)).unwrap();
    let served = start(
        &dir.path().join("ca"),
        Options {
            demo: true,
            staff_crls: vec![crl],
            staff_ca_der: vec![pki.staff_ca.cert_der()],
            ..Options::default()
        },
        &pki,
    )
    .await;
    seed_kiosk_a_order(&served).await;
    seed_kiosk_a_call(&served).await;
    seed_kiosk_a_audit(&served).await;
    let kiosk_a = pki.device_ca.device("TYA");
    let kiosk_b = pki.device_ca.device("KAB");
    let staff = pki.staff_ca.device("王芳");
    // The token staff's pages carry (the others have none to send).
    let csrf = served
        .service
        .csrf_token(&ca_service::Caller::Staff("王芳".to_owned()))
        .unwrap();
    // Each call on a connection of its own: its caller is what its own
    // handshake established (a CI run once stalled on one call of the
    // matrix, pooled: not reproduced here).
    let callers = [
        (As::Nobody, https_unpooled(&pki, None)),
        (As::KioskA, https_unpooled(&pki, Some(&kiosk_a))),
        (As::KioskB, https_unpooled(&pki, Some(&kiosk_b))),
        (As::Staff, https_unpooled(&pki, Some(&staff))),
    ];
    let mut checked = 0;
    let mut hung = Vec::new();
    for route in ROUTES {
        for listener in [Listener::Kiosk, Listener::Staff] {
            let port = match listener {
                Listener::Kiosk => served.kiosk.port(),
                Listener::Staff => served.staff.port(),
            };
            for (who, http) in &callers {
                let base = format!("https://localhost:{port}");
                let mut got = call(http, &base, route, &csrf).await;
                if got == Got::Hung {
                    // Once in a while under load (CI), one call of the
                    // matrix gets no answer at all, on any route: not
                    // understood yet (noted on the issue). Asked again on a
                    // new connection, it must answer as the table says;
                    // more than one such call fails the matrix.
                    hung.push(format!(
                        "{} {} {listener:?} {who:?}",
                        route.method, route.path
                    ));
                    eprintln!("no answer within {CALL_LIMIT:?}, asked again: {hung:?}");
                    got = call(http, &base, route, &csrf).await;
                }
                let at = format!(
                    "{} {} on the {listener:?} listener as {who:?}: {got:?}",
                    route.method, route.path
                );
                // A call that hangs again, or a second one, names itself
                // with what the service saw last.
                if got == Got::Hung || hung.len() > 1 {
                    let seen: Vec<String> = served
                        .service
                        .requests()
                        .into_iter()
                        .rev()
                        .take(6)
                        .map(|(_, r)| r)
                        .collect();
                    panic!(
                        "{at}: no answer within {CALL_LIMIT:?} ({hung:?}); the service saw last: {seen:?}"
                    );
                }
                match refusal(route, listener, *who) {
                    Some(refused) => assert_eq!(got, refused, "{at}"),
                    None => assert!(matches!(got, Got::Served(..)), "{at}"),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, ROUTES.len() * 2 * callers.len());
    // 柜台收款 is in the matrix: kiosk A's order only (B gets 403), on the
    // kiosk listener only (the staff listener has no such route); the
    // staff signature is the handler's own check.
    assert!(ROUTES.iter().any(|r| (r.method, r.path, r.who)
        == (
            "post",
            "/v1/orders/{number}/counter-payments",
            Who::OwnOrder
        )));
    // So is 取消订单, alike.
    assert!(ROUTES.iter().any(|r| (r.method, r.path, r.who)
        == ("post", "/v1/orders/{number}/cancellation", Who::OwnOrder)));
    // Any kiosk gets the staff revocation list configured.
    let staff_crl = ROUTES.iter().find(|r| r.path == "/v1/staff/crl").unwrap();
    let kiosk_base = format!("https://localhost:{}", served.kiosk.port());
    for (who, http) in &callers[1..3] {
        let got = call(http, &kiosk_base, staff_crl, &csrf).await;
        assert_eq!(got, Got::Served(200, String::new()), "{who:?}");
    }
    // The table's rules were all met, each at least once.
    for who in [
        Who::Anyone,
        Who::AnyKiosk,
        Who::OwnOrder,
        Who::OwnKiosk,
        Who::Staff,
    ] {
        assert!(ROUTES.iter().any(|r| r.who == who), "{who:?}");
    }
}

/// A route's path with a method it does not have: 405 with the methods
/// this listener serves there (the public OpenAPI document lists them
/// anyway); a path only the other listener serves answers as a path that
/// does not exist, so nothing tells that it exists there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_method_is_405_here_and_no_such_route_elsewhere() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = start(dir.path(), Options::default(), &pki).await;
    let kiosk = https(&pki, Some(&pki.device_ca.device("TYA")));
    let staff = https(&pki, Some(&pki.staff_ca.device("王芳")));
    let number = fixtures::order_number(1);
    let (k, s) = (served.kiosk.port(), served.staff.port());
    for (http, port, path, allow) in [
        (&kiosk, k, "/v1/config".to_owned(), Some("GET, HEAD")),
        (
            &kiosk,
            k,
            format!("/v1/orders/{number}/submit"),
            Some("POST"),
        ),
        (
            &kiosk,
            k,
            format!("/v1/orders/{number}/invoice"),
            Some("GET, HEAD"),
        ),
        (
            &staff,
            s,
            format!("/v1/admin/orders/{number}/invoice"),
            Some("POST"),
        ),
        (&staff, s, "/admin".to_owned(), Some("GET, HEAD")),
        (
            &kiosk,
            k,
            "/v1/kiosks/TYA/staff-calls/00000000000000a1".to_owned(),
            Some("GET, HEAD, PUT"),
        ),
        (
            &staff,
            s,
            "/v1/admin/staff-calls".to_owned(),
            Some("GET, HEAD"),
        ),
        (
            &staff,
            s,
            "/v1/admin/remittances".to_owned(),
            Some("GET, HEAD"),
        ),
        (
            &kiosk,
            k,
            "/v1/kiosks/TYA/audit".to_owned(),
            Some("GET, HEAD"),
        ),
        (&kiosk, k, "/v1/kiosks/TYA/audit/1".to_owned(), Some("PUT")),
        (&kiosk, k, "/v1/staff/crl".to_owned(), Some("GET, HEAD")),
        (
            &kiosk,
            k,
            format!("/v1/orders/{number}/counter-payments"),
            Some("POST"),
        ),
        (
            &kiosk,
            k,
            format!("/v1/orders/{number}/cancellation"),
            Some("POST"),
        ),
        (
            &staff,
            s,
            "/v1/admin/kiosks/TYA/audit".to_owned(),
            Some("GET, HEAD"),
        ),
        (
            &staff,
            s,
            "/admin/kiosks/TYA/audit".to_owned(),
            Some("GET, HEAD"),
        ),
        // The other listener's paths: no such route.
        (&kiosk, k, "/admin".to_owned(), None),
        (&kiosk, k, "/v1/admin/remittances".to_owned(), None),
        (&kiosk, k, "/v1/admin/staff-calls".to_owned(), None),
        (&kiosk, k, "/v1/admin/kiosks/TYA/audit".to_owned(), None),
        (&kiosk, k, "/admin/kiosks/TYA/audit".to_owned(), None),
        (&staff, s, "/v1/kiosks/TYA/audit/1".to_owned(), None),
        (
            &staff,
            s,
            "/v1/kiosks/TYA/staff-calls/00000000000000a1".to_owned(),
            None,
        ),
        (&staff, s, "/v1/config".to_owned(), None),
        (&staff, s, "/v1/staff/crl".to_owned(), None),
        (&staff, s, format!("/v1/orders/{number}/invoice"), None),
        (
            &staff,
            s,
            format!("/v1/orders/{number}/counter-payments"),
            None,
        ),
        (&staff, s, format!("/v1/orders/{number}/cancellation"), None),
    ] {
        let r = http
            .delete(format!("https://localhost:{port}{path}"))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let allowed = r
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: serde_json::Value = r.json().await.unwrap();
        match allow {
            Some(methods) => {
                assert_eq!(status, 405, "DELETE {path}");
                assert_eq!(allowed.as_deref(), Some(methods), "DELETE {path}");
                assert_eq!(body["code"], "method_not_allowed", "DELETE {path}");
            }
            None => {
                assert_eq!(status, 404, "DELETE {path}");
                assert_eq!(allowed, None, "DELETE {path}");
                assert_eq!(body["detail"], ca_service::NO_SUCH_ROUTE, "DELETE {path}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_demo_the_simulators_exist_for_nobody() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = start(dir.path(), Options::default(), &pki).await;
    let kiosk = https(&pki, Some(&pki.device_ca.device("TYA")));
    let staff = https(&pki, Some(&pki.staff_ca.device("王芳")));
    let demo_routes: Vec<&Route> = ROUTES.iter().filter(|r| r.demo).collect();
    assert!(demo_routes.len() >= 5);
    for route in demo_routes {
        for (http, addr) in [(&kiosk, served.kiosk), (&staff, served.staff)] {
            let got = call(
                http,
                &format!("https://localhost:{}", addr.port()),
                route,
                "",
            )
            .await;
            assert_eq!(got, Got::NotHere, "{} {}", route.method, route.path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_cannot_take_another_kiosks_order_number_or_read_its_feed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = start(dir.path(), Options::default(), &pki).await;
    seed_kiosk_a_order(&served).await;
    let base = format!("https://localhost:{}", served.kiosk.port());
    let settings = |leaf: &Leaf| TlsSettings {
        roots_pem: pki.server_ca.cert_pem.clone().into_bytes(),
        identity_pem: leaf.identity_pem(),
    };
    let a = CaClient::with_tls(
        &base,
        std::time::Duration::from_secs(10),
        &settings(&pki.device_ca.device("TYA")),
    )
    .unwrap();
    let b = CaClient::with_tls(
        &base,
        std::time::Duration::from_secs(10),
        &settings(&pki.device_ca.device("KAB")),
    )
    .unwrap();

    // Kiosk B sends an order numbered as kiosk A's next one: refused, and
    // the number stays free for A.
    let taken = fixtures::application_order(2);
    let e = b
        .put_order(&format!("{:032x}", 2), &OrderV1::from_domain(&taken, &[]))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(kiosk_sync_wire::problem::ProblemCode::Forbidden)
    );
    assert!(
        served
            .service
            .storage()
            .order(taken.number.as_str())
            .unwrap()
            .is_none()
    );
    // Nor through the same number percent-encoded (`%54` is `T`): the
    // check reads the number as the handler would.
    let https_b = https(&pki, Some(&pki.device_ca.device("KAB")));
    let encoded = format!("%54{}", &taken.number.as_str()[1..]);
    for method in [reqwest::Method::PUT, reqwest::Method::GET] {
        let r = https_b
            .request(method.clone(), format!("{base}/v1/orders/{encoded}"))
            .header("idempotency-key", format!("{:032x}", 3))
            .json(&OrderV1::from_domain(&taken, &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{method} {encoded}");
    }
    let seeded = format!("%54{}", &fixtures::order_number(1).as_str()[1..]);
    let r = https_b
        .get(format!("{base}/v1/orders/{seeded}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "kiosk A's order, encoded");
    assert!(
        served
            .service
            .storage()
            .order(taken.number.as_str())
            .unwrap()
            .is_none()
    );
    a.put_order(&format!("{:032x}", 2), &OrderV1::from_domain(&taken, &[]))
        .await
        .unwrap();

    a.submit(taken.number.as_str()).await.unwrap();

    // Each kiosk's feed holds its own orders only.
    let a_feed = a.feed(0, 100).await.unwrap();
    assert!(!a_feed.entries.is_empty());
    assert!(a_feed.entries.iter().all(|e| e.number.starts_with("TYA")));
    let b_feed = b.feed(0, 100).await.unwrap();
    assert!(b_feed.entries.is_empty(), "{b_feed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_whose_certificate_names_another_kiosk_keeps_its_orders_queued() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = start(dir.path(), Options::default(), &pki).await;
    let mut store = common::open_store(&dir.path().join("kiosk"));
    let queued = common::queue_applications(&mut store, "wrong-cert", 1, 10_000, |_| {});
    assert!(queued[0].number.as_str().starts_with("TYA"));
    let config = common::test_config(&format!("https://localhost:{}", served.kiosk.port()))
        .with_tls(TlsSettings {
            roots_pem: pki.server_ca.cert_pem.clone().into_bytes(),
            identity_pem: pki.device_ca.device("KAB").identity_pem(),
        });
    let (mut worker, _) = Worker::new(store, config).unwrap();
    let report = worker.drain_once().await.unwrap();
    assert_eq!(
        (report.acknowledged, report.set_aside, report.retried),
        (0, 0, 1),
        "{report:?}"
    );
    let store = worker.into_outbox();
    let waiting = store.queue(10).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].last_error.as_deref(), Some("forbidden"));
    assert!(
        served
            .service
            .storage()
            .order(queued[0].number.as_str())
            .unwrap()
            .is_none()
    );
}
