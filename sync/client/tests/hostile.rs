//! A malicious or broken CA: a hand-written HTTP server answers the kiosk
//! with a huge body (declared, or streamed without end), a wrong content
//! type, garbage JSON, a renewal certificate for another key, or one
//! under an expired chain. The client refuses each with a clear error,
//! reads at most a bounded amount, and the store is unharmed: its orders
//! stay queued, nothing is acknowledged or set aside.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::*;
use kiosk_domain::ports::outbox::Outbox;
use kiosk_sync_client::{CaClient, CallError, Disposition, Worker};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::renewal::{KeyAlgorithmV1, ProofV1, RenewalIssuedV1, RenewalRequestV1};
use kiosk_x509::VerifyError;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PublicKeyData};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the hostile server answers every request with.
#[derive(Debug, Clone)]
enum Reply {
    /// These exact bytes (head and body), then the connection is closed.
    Fixed(Vec<u8>),
    /// This head, then a chunked body that never ends.
    Endless(&'static str),
}

fn fixed(status: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Reply::Fixed(bytes)
}

/// Serves `reply` to every request; counts the bytes it got out.
async fn hostile(reply: Reply) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (reply, sent) = (reply.clone(), counter.clone());
            tokio::spawn(async move {
                let _ = answer(socket, &reply, &sent).await;
            });
        }
    });
    (addr, sent)
}

/// Reads one request (head and `Content-Length` body), then answers.
async fn answer(mut socket: TcpStream, reply: &Reply, sent: &AtomicU64) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = vec![0_u8; 64 * 1024];
    let head_end = loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    let mut body = request.len() - head_end;
    while body < length {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        body += n;
    }
    match reply {
        Reply::Fixed(bytes) => {
            socket.write_all(bytes).await?;
            sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        Reply::Endless(head) => {
            socket.write_all(head.as_bytes()).await?;
            let chunk = format!("10000\r\n{}\r\n", "[".repeat(0x10000)).into_bytes();
            loop {
                // Until the kiosk hangs up.
                socket.write_all(&chunk).await?;
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
    }
    socket.shutdown().await
}

fn client(addr: SocketAddr) -> CaClient {
    CaClient::new(&format!("http://{addr}"), Duration::from_secs(10)).unwrap()
}

/// The kiosk's worker against the hostile server: every pass fails with
/// `code`, and the store keeps its orders queued, unacknowledged, not set
/// aside.
async fn store_is_unharmed(addr: SocketAddr, code: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let queued = queue_applications(&mut store, "hostile", 3, 5_000, |_| {});
    let (mut worker, state) = Worker::new(store, test_config(&format!("http://{addr}"))).unwrap();
    for _ in 0..2 {
        let report = worker.drain_once().await.unwrap();
        assert_eq!((report.acknowledged, report.set_aside), (0, 0));
        // Retry every order at once, not after the backoff.
        let mut store = worker.into_outbox();
        for q in &queued {
            store
                .retry_now(&q.number, OffsetDateTime::now_utc())
                .unwrap();
        }
        worker = Worker::new(store, test_config(&format!("http://{addr}")))
            .unwrap()
            .0;
    }
    assert_eq!(state.borrow().last_error.as_deref(), Some(code));
    let mut store = worker.into_outbox();
    let stats = store.stats(OffsetDateTime::now_utc()).unwrap();
    assert_eq!((stats.depth, stats.set_aside), (3, 0));
    for q in &queued {
        let summary = store.order_summary(&q.number).unwrap().unwrap();
        assert!(summary.acked_at.is_none(), "{} acknowledged", q.number);
        assert!(
            store.upload_body(&q.number).unwrap().is_some(),
            "order kept"
        );
    }
}

fn document(dir: &std::path::Path) -> (String, kiosk_sync_wire::order::OrderV1) {
    let mut store = open_store(dir);
    let q = queue_applications(&mut store, "doc", 1, 1_000, |_| {}).remove(0);
    let body = store.upload_body(&q.number).unwrap().unwrap();
    (
        q.key,
        kiosk_sync_wire::order::OrderV1::from_domain(&body.order, &body.attachments),
    )
}

fn invalid_message(e: &CallError) -> &str {
    match e {
        CallError::Invalid(message) => message,
        other => panic!("expected an invalid answer, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_huge_body_is_refused_before_it_is_read() {
    let head = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
                Content-Length: 10737418240\r\nConnection: close\r\n\r\n";
    let (addr, sent) = hostile(Reply::Endless(head)).await;
    let dir = tempfile::tempdir().unwrap();
    let (key, doc) = document(dir.path());
    let e = client(addr).put_order(&key, &doc).await.unwrap_err();
    assert!(invalid_message(&e).contains("longer than"), "{e}");
    assert_eq!(
        e.disposition(),
        Disposition::Retry {
            code: "invalid_answer".to_owned(),
            not_before: None
        }
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = sent.load(Ordering::Relaxed);
    assert!(sent < 16 << 20, "the kiosk kept reading: {sent} bytes");
    store_is_unharmed(addr, "invalid_answer").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_is_cut_off_at_the_limit() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let (addr, sent) = hostile(Reply::Endless(head)).await;
    let e = client(addr).feed(0, 100).await.unwrap_err();
    assert!(
        invalid_message(&e).contains("longer than 1048576 bytes"),
        "{e}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = sent.load(Ordering::Relaxed);
    // The limit plus what the sockets' buffers hold: never the whole stream.
    assert!(sent < 16 << 20, "the kiosk kept reading: {sent} bytes");
    store_is_unharmed(addr, "invalid_answer").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_error_body_still_gives_the_status() {
    let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n\
                Retry-After: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let (addr, sent) = hostile(Reply::Endless(head)).await;
    let e = client(addr).feed(0, 100).await.unwrap_err();
    assert!(
        matches!(
            e,
            CallError::Status {
                status: 503,
                problem: None,
                ..
            }
        ),
        "{e:?}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sent.load(Ordering::Relaxed) < 16 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_type_is_refused_unread() {
    let page = b"<html><body>Please log in to the hotel Wi-Fi</body></html>";
    let (addr, _) = hostile(fixed("200 OK", "text/html; charset=utf-8", page)).await;
    let e = client(addr).feed(0, 100).await.unwrap_err();
    let message = invalid_message(&e);
    assert!(
        message.contains("not JSON") && message.contains("text/html"),
        "{message}"
    );
    store_is_unharmed(addr, "invalid_answer").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_json_is_refused() {
    let (addr, _) = hostile(fixed(
        "201 Created",
        "application/json",
        b"{\"number\": [1, 2, {\"nope\"",
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (key, doc) = document(dir.path());
    let e = client(addr).put_order(&key, &doc).await.unwrap_err();
    assert!(invalid_message(&e).starts_with("HTTP 201 Created:"), "{e}");
    store_is_unharmed(addr, "invalid_answer").await;
}

/// A renewal request (the hostile server does not look at it).
fn renewal_request() -> RenewalRequestV1 {
    RenewalRequestV1 {
        attempt: 1,
        request_der_hex: hex::encode(b"request"),
        proof: ProofV1 {
            old_certificate_der_hex: hex::encode(b"old certificate"),
            signature_hex: hex::encode(b"signature"),
            algorithm: KeyAlgorithmV1::EcP256,
        },
    }
}

fn ca_params(name: &str, from: time::Duration, to: time::Duration) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let now = OffsetDateTime::now_utc();
    params.not_before = now + from;
    params.not_after = now + to;
    params
}

fn leaf_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(365);
    params
}

/// Serves `issued` as the answer to a renewal, asks for it through the
/// client, and checks it the way the kiosk does before writing anything to
/// the customer's key.
async fn renewal_through_hostile_server(
    issued: RenewalIssuedV1,
    new_key: &KeyPair,
    root_der: &[u8],
) -> VerifyError {
    let body = serde_json::to_vec(&issued).unwrap();
    let (addr, _) = hostile(fixed("200 OK", "application/json", &body)).await;
    let answer = client(addr)
        .renew("TYA2611230000L", &renewal_request())
        .await
        .unwrap();
    let der = hex::decode(&answer.certificate_der_hex).unwrap();
    let intermediates: Vec<Vec<u8>> = answer
        .intermediates_der_hex
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect();
    kiosk_x509::verify_issued(
        &der,
        &new_key.subject_public_key_info(),
        &intermediates,
        &[root_der.to_vec()],
        OffsetDateTime::now_utc(),
    )
    .unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_certificate_for_another_key_is_refused() {
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca_params("root", -time::Duration::days(1), time::Duration::days(3650));
    let root_der = root_params.self_signed(&root_key).unwrap().der().to_vec();
    let root = Issuer::new(root_params, root_key);
    let (new_key, other_key) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
    let cert = leaf_params("customer")
        .signed_by(&other_key, &root)
        .unwrap();
    let issued = RenewalIssuedV1 {
        number: "TYA2611230000L".to_owned(),
        attempt: 1,
        certificate_der_hex: hex::encode(cert.der()),
        intermediates_der_hex: Vec::new(),
    };
    let e = renewal_through_hostile_server(issued, &new_key, &root_der).await;
    assert_eq!(e, VerifyError::KeyMismatch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_certificate_under_an_expired_chain_is_refused() {
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca_params("root", -time::Duration::days(1), time::Duration::days(3650));
    let root_der = root_params.self_signed(&root_key).unwrap().der().to_vec();
    let root = Issuer::new(root_params, root_key);
    // The intermediate expired yesterday; the certificate itself is fine.
    let sub_key = KeyPair::generate().unwrap();
    let sub_params = ca_params(
        "expired sub-CA",
        -time::Duration::days(400),
        -time::Duration::days(1),
    );
    let sub_der = sub_params
        .signed_by(&sub_key, &root)
        .unwrap()
        .der()
        .to_vec();
    let sub = Issuer::new(sub_params, sub_key);
    let new_key = KeyPair::generate().unwrap();
    let cert = leaf_params("customer").signed_by(&new_key, &sub).unwrap();
    let issued = RenewalIssuedV1 {
        number: "TYA2611230000L".to_owned(),
        attempt: 1,
        certificate_der_hex: hex::encode(cert.der()),
        intermediates_der_hex: vec![hex::encode(&sub_der)],
    };
    let e = renewal_through_hostile_server(issued, &new_key, &root_der).await;
    assert!(
        matches!(&e, VerifyError::CaNotValid { subject, .. } if subject.contains("expired sub-CA")),
        "{e:?}"
    );
}
