//! Shared by the end-to-end tests and the bench: a real CA service on
//! 127.0.0.1:0, a real store with queued orders, and a fault-injecting TCP
//! proxy of our own.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod pki;
pub mod proxy;
pub mod staff;

use ca_service::{Listener, Options, Service};
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::renewal::RenewalDetails;
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::OrderNumber;
use kiosk_store::Store;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::Path;
use time::macros::{date, datetime};
use tokio::sync::oneshot;

/// A running service (plain HTTP on loopback, its kiosk and staff
/// listeners); dropping `stop` shuts both down.
pub struct RunningService {
    pub service: Service,
    pub addr: SocketAddr,
    pub staff_addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub staff_stop: Option<oneshot::Sender<()>>,
}

impl RunningService {
    /// The kiosk listener.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The staff listener (the back office and the staff API).
    pub fn staff_url(&self) -> String {
        format!("http://{}", self.staff_addr)
    }
}

/// A running service over mutual TLS (`url()` is `https://127.0.0.1:PORT`).
pub struct RunningTlsService {
    pub service: Service,
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
}

impl RunningTlsService {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

/// Serves over mutual TLS: `server` is the service's certificate and key,
/// `client_ca_pem` the CA whose device certificates it accepts.
pub async fn start_tls_service(
    dir: &Path,
    options: Options,
    server: &pki::Leaf,
    client_ca_pem: &str,
) -> RunningTlsService {
    let service = Service::open(dir, options).unwrap();
    let tls = ca_service::tls::server_config(
        server.cert_pem.as_bytes(),
        server.key_pem.as_bytes(),
        client_ca_pem.as_bytes(),
        Listener::Kiosk,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let s = service.clone();
    tokio::spawn(async move {
        ca_service::run_tls(
            listener,
            s.router(Listener::Kiosk),
            tls,
            Listener::Kiosk,
            async {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap();
    });
    RunningTlsService {
        service,
        addr,
        stop: Some(stop),
    }
}

/// Serves `service`'s routes for `kind` over plain HTTP on a new loopback
/// port: its address, and what stops it.
pub async fn serve_plain(service: &Service, kind: Listener) -> (SocketAddr, oneshot::Sender<()>) {
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

pub async fn start_service(dir: &Path, options: Options) -> RunningService {
    let service = Service::open(dir, options).unwrap();
    let (addr, stop) = serve_plain(&service, Listener::Kiosk).await;
    let (staff_addr, staff_stop) = serve_plain(&service, Listener::Staff).await;
    RunningService {
        service,
        addr,
        staff_addr,
        stop: Some(stop),
        staff_stop: Some(staff_stop),
    }
}

pub fn open_store(dir: &Path) -> Store {
    Store::open(&dir.join("kiosk.sqlite"), &dir.join("keys/store.key")).unwrap()
}

/// Deterministic incompressible bytes behind a file signature.
pub fn file(signature: &[u8], seed: u64, size: usize) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = signature.to_vec();
    while bytes.len() < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

/// One queued order as the kiosk saved it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub number: OrderNumber,
    pub key: String,
    pub sha256: Vec<String>,
}

/// Queues `n` application orders (sessions `prefix-i`), each with two
/// attachments of `size` bytes; `tweak` may change the details.
pub fn queue_applications(
    store: &mut Store,
    prefix: &str,
    n: u32,
    size: usize,
    tweak: impl Fn(&mut kiosk_domain::order::application::ApplicationDetails),
) -> Vec<Queued> {
    let mut out = Vec::new();
    for i in 0..n {
        let seed = u64::from(i) * 2 + prefix.bytes().map(u64::from).sum::<u64>() * 1_000_003;
        let attachments = vec![
            Attachment::new(
                AttachmentKind::BusinessLicence,
                file(b"%PDF-1.7\n", seed, size),
            )
            .unwrap(),
            Attachment::new(
                AttachmentKind::HandlerId,
                file(&[0xFF, 0xD8, 0xFF, 0xE0], seed + 1, size),
            )
            .unwrap(),
        ];
        let mut details = fixtures::application_details();
        tweak(&mut details);
        let amount = details.amount_due().unwrap();
        let order = store
            .create_order(
                &format!("{prefix}-{i}"),
                &fixtures::kiosk(),
                date!(2026 - 11 - 23),
                |number| {
                    Order::new(
                        number,
                        datetime!(2026-11-23 10:00 UTC),
                        amount,
                        OrderDetails::Application(details),
                    )
                },
                &attachments,
            )
            .unwrap();
        out.push(queued(store, &order.number));
    }
    out
}

/// Queues one renewal order for `details`.
pub fn queue_renewal(store: &mut Store, session: &str, details: RenewalDetails) -> Queued {
    let order = store
        .create_order(
            session,
            &fixtures::kiosk(),
            date!(2026 - 11 - 23),
            |number| {
                Order::new(
                    number,
                    datetime!(2026-11-23 10:00 UTC),
                    Fen(30_000),
                    OrderDetails::Renewal(details),
                )
            },
            &[],
        )
        .unwrap();
    queued(store, &order.number)
}

fn queued(store: &Store, number: &OrderNumber) -> Queued {
    let key = store
        .pending_uploads(datetime!(2100-01-01 00:00 UTC), 100_000)
        .unwrap()
        .into_iter()
        .find(|e| e.number == *number)
        .unwrap()
        .idempotency_key;
    let sha256 = store
        .attachments(number)
        .unwrap()
        .into_iter()
        .map(|a| a.sha256_hex)
        .collect();
    Queued {
        number: *number,
        key,
        sha256,
    }
}

/// Checks the oracle: every queued order is on the server exactly once,
/// submitted, with byte-identical attachments.
pub fn assert_arrived_exactly_once(service: &Service, queued: &[Queued]) {
    let storage = service.storage();
    for q in queued {
        assert_eq!(storage.creations(&q.key).unwrap(), 1, "order {}", q.number);
        let record = storage.order(q.number.as_str()).unwrap().unwrap();
        assert!(record.submitted, "order {} not submitted", q.number);
        for (position, sha) in q.sha256.iter().enumerate() {
            let position = u32::try_from(position).unwrap();
            let bytes = storage
                .attachment_bytes(q.number.as_str(), position)
                .unwrap()
                .unwrap();
            let server_sha = kiosk_sync_wire::hex::encode(&Sha256::digest(&bytes));
            assert_eq!(&server_sha, sha, "attachment {position} of {}", q.number);
            let status = record
                .attachments
                .iter()
                .find(|a| a.position == position)
                .unwrap();
            assert_eq!(status.sha256.as_deref(), Some(sha.as_str()));
        }
    }
}

/// Waits (up to `secs`) until the worker reports an empty queue.
pub async fn wait_drained(
    state: &mut tokio::sync::watch::Receiver<kiosk_sync_client::SyncState>,
    secs: u64,
) {
    tokio::time::timeout(
        std::time::Duration::from_secs(secs),
        state.wait_for(|s| s.queue_depth == 0 && s.last_success.is_some()),
    )
    .await
    .expect("the queue did not drain in time")
    .unwrap();
}

/// A test worker config: fast backoff, replayable jitter.
pub fn test_config(url: &str) -> kiosk_sync_client::WorkerConfig {
    let mut c = kiosk_sync_client::WorkerConfig::new(url);
    c.backoff_base_ms = 20;
    c.backoff_cap_ms = 500;
    c.seed = Some(5);
    c.idle_poll = std::time::Duration::from_millis(100);
    c.request_timeout = std::time::Duration::from_secs(5);
    c
}

/// `service`'s `kind` listener over mutual TLS on 127.0.0.1:0, with
/// `pki`'s server certificate, trusting its device or staff CA.
pub async fn serve_tls(
    service: &Service,
    pki: &pki::Pki,
    kind: Listener,
) -> (SocketAddr, oneshot::Sender<()>) {
    let client_ca = match kind {
        Listener::Kiosk => &pki.device_ca,
        Listener::Staff => &pki.staff_ca,
    };
    let tls = ca_service::tls::server_config(
        pki.server.cert_pem.as_bytes(),
        pki.server.key_pem.as_bytes(),
        client_ca.cert_pem.as_bytes(),
        kind,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let router = service.router(kind);
    tokio::spawn(async move {
        ca_service::run_tls(listener, router, tls, kind, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// The service on its kiosk and staff listeners, both over mutual TLS with
/// `pki`'s certificates; dropping `stop` (or clearing it) shuts them down.
pub struct ServedTls {
    pub service: Service,
    pub kiosk: SocketAddr,
    pub staff: SocketAddr,
    pub stop: Vec<oneshot::Sender<()>>,
}

impl ServedTls {
    /// A service on `dir` with the default options.
    pub async fn start(dir: &Path, pki: &pki::Pki) -> Self {
        let service = Service::open(dir, Options::default()).unwrap();
        let (kiosk, a) = serve_tls(&service, pki, Listener::Kiosk).await;
        let (staff, b) = serve_tls(&service, pki, Listener::Staff).await;
        Self {
            service,
            kiosk,
            staff,
            stop: vec![a, b],
        }
    }

    pub fn kiosk_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.kiosk.port())
    }

    pub fn staff_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.staff.port())
    }
}

/// An HTTPS client trusting the test's server CA, presenting `identity`
/// (none: no certificate), following no redirect.
pub fn https(pki: &pki::Pki, identity: Option<&pki::Leaf>) -> reqwest::Client {
    https_builder(pki, identity).build().unwrap()
}

/// As [`https`], opening a new connection (and handshake) for every
/// request: nothing a request sees depends on an earlier one's connection.
pub fn https_unpooled(pki: &pki::Pki, identity: Option<&pki::Leaf>) -> reqwest::Client {
    https_builder(pki, identity)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn https_builder(pki: &pki::Pki, identity: Option<&pki::Leaf>) -> reqwest::ClientBuilder {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(pki.server_ca.cert_pem.as_bytes()).unwrap(),
        )
        .redirect(reqwest::redirect::Policy::none());
    if let Some(leaf) = identity {
        b = b.identity(reqwest::Identity::from_pem(&leaf.identity_pem()).unwrap());
    }
    b
}

/// The kiosk's (or a clerk's) `CaClient` to the CA at `base`, as `leaf`.
pub fn tls_client(pki: &pki::Pki, base: &str, leaf: &pki::Leaf) -> kiosk_sync_client::CaClient {
    kiosk_sync_client::CaClient::with_tls(
        base,
        std::time::Duration::from_secs(10),
        &kiosk_sync_client::TlsSettings {
            roots_pem: pki.server_ca.cert_pem.clone().into_bytes(),
            identity_pem: leaf.identity_pem(),
        },
    )
    .unwrap()
}
