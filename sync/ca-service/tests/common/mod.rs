//! A real service on 127.0.0.1:0 in a temporary directory, and helpers to
//! call it over HTTP and read its problem documents.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ca_service::{Listener, Options, Service};
use kiosk_domain::fixtures;
use kiosk_sync_wire::order::OrderV1;
use kiosk_sync_wire::problem::{Problem, ProblemCode};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A running service (its kiosk and staff listeners, plain HTTP on
/// loopback); dropping it stops the servers.
pub struct Running {
    pub service: Service,
    /// The kiosk listener.
    pub addr: SocketAddr,
    /// The staff listener.
    pub staff_addr: SocketAddr,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    _stop: Vec<oneshot::Sender<()>>,
}

impl Running {
    /// `path` on the listener that serves it (the service's own access
    /// table says which; the staff listener for staff-only paths).
    pub fn url(&self, path: &str) -> String {
        match ca_service::access::listener_of(path) {
            Listener::Kiosk => format!("http://{}{path}", self.addr),
            Listener::Staff => self.staff_url(path),
        }
    }

    /// `path` on the staff listener.
    pub fn staff_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.staff_addr)
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A back-office form sent as a clerk's browser sends it: `fields` and
    /// the CSRF token the page carries (this machine's, plain HTTP).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.service.csrf_token(&ca_service::Caller::Local).unwrap();
        let mut fields = fields.to_vec();
        fields.push(("csrf", &token));
        self.http
            .post(self.staff_url(path))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }
}

/// With the simulators of `--demo`: the payment page, the SMS outbox, the
/// identity service, demonstration issuance.
pub fn demo() -> Options {
    Options {
        demo: true,
        ..Options::default()
    }
}

pub async fn start(options: Options) -> Running {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, options).await
}

/// Serves `service`'s routes for `kind` on a new loopback port: its
/// address, and what stops it.
pub async fn serve(service: &Service, kind: Listener) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let router = service.router(kind);
    tokio::spawn(async move {
        ca_service::run(listener, router, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// Serves the data directory `dir` (reopened if it holds data already).
pub async fn start_in(dir: tempfile::TempDir, options: Options) -> Running {
    let service = Service::open(dir.path(), options).unwrap();
    let (addr, kiosk_stop) = serve(&service, Listener::Kiosk).await;
    let (staff_addr, staff_stop) = serve(&service, Listener::Staff).await;
    Running {
        service,
        addr,
        staff_addr,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        dir,
        _stop: vec![kiosk_stop, staff_stop],
    }
}

/// The status and problem document of an error answer (checks the media type).
pub async fn problem(response: reqwest::Response) -> (u16, Problem) {
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(media, "application/problem+json", "HTTP {status}");
    let p: Problem = response.json().await.unwrap();
    assert_eq!(p.status, status);
    assert!(!p.message_zh_cn.is_empty() && !p.message_en.is_empty());
    (status, p)
}

/// Asserts the answer is the problem `code` with HTTP `status`.
pub async fn expect_problem(
    response: reqwest::Response,
    status: u16,
    code: ProblemCode,
) -> Problem {
    let (got, p) = problem(response).await;
    assert_eq!((got, p.code), (status, code), "{p:?}");
    p
}

/// A valid order number (the fixtures' kiosk, a fixed date).
pub fn number(seq: u32) -> String {
    kiosk_domain::fixtures::order_number(seq)
        .as_str()
        .to_owned()
}

/// Creates and submits an application `seq` (it awaits review).
pub async fn seed_application(ca: &Running, seq: u32) -> String {
    seed_order(ca, seq, &fixtures::application_order(seq)).await
}

/// Creates and submits `order` as a kiosk would (`seq` makes its key).
pub async fn seed_order(ca: &Running, seq: u32, order: &kiosk_domain::order::Order) -> String {
    let doc = OrderV1::from_domain(order, &[]);
    let number = doc.number.clone();
    let r = ca
        .http
        .put(ca.url(&format!("/v1/orders/{number}")))
        .header("idempotency-key", format!("{seq:032x}"))
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = ca
        .http
        .post(ca.url(&format!("/v1/orders/{number}/submit")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    number
}
