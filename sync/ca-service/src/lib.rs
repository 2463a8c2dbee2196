//! The reference CA service: the other side of the kiosk's protocol
//! (`kiosk-sync-wire`), real and persistent, for development and tests.
//!
//! - [`Service`]: the state (storage, the CA key, in-flight idempotency keys,
//!   fault injection for tests) and its axum [`Router`](axum::Router) for
//!   each [`Listener`]: the kiosks' and the staff's;
//! - [`access`]: who may call which route ([`ROUTES`]), checked before any
//!   handler runs;
//! - [`run`]: serves a router over plain HTTP on a bound listener until
//!   `shutdown` resolves (tests bind port 0; loopback development only);
//! - [`run_tls`]: the same over mutual TLS ([`tls`]: the rustls server
//!   configuration, which asks the kiosks for their device certificates and
//!   demands staff certificates from staff);
//! - [`storage`]: the storage trait; [`sqlite`]: its SQLite implementation;
//! - [`ca`]: the CA key in the data directory;
//! - [`staff_crl`]: the staff CA's revocation lists it publishes to kiosks.
//!
//! Beside the kiosk's protocol it simulates what a real CA has elsewhere:
//! the payment provider (`/pay/{id}`, the page the QR code opens), the SMS
//! gateway (messages at `GET /v1/admin/sms`), and the back office (`/admin`).

pub mod access;
pub mod ca;
pub mod catalogue;
mod handlers;
pub mod identity;
mod random;
pub mod sqlite;
pub mod staff_crl;
pub mod storage;
pub mod tls;

pub use access::{Caller, Listener, ROUTES};
pub use handlers::{AccountOptions, HashCost, NO_SUCH_ROUTE};
pub use tls::run_tls;

use kiosk_x509::test_ca::TestCa;
use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storage::Storage;

/// How many of the latest requests [`Service::requests`] keeps.
pub const REQUEST_LOG: usize = 4096;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("storage: {0}")]
    Storage(#[from] storage::StorageError),
    #[error("the CA key: {0}")]
    Ca(#[from] ca::CaError),
    #[error("staff revocation list: {0}")]
    StaffCrl(#[from] staff_crl::StaffCrlError),
}

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct Options {
    /// The project codes the CA offers; an application for another is refused.
    pub projects: Vec<String>,
    /// Validity of issued certificates, in days.
    pub validity_days: i64,
    /// Tests only: hold each order creation this long, so that a second
    /// request with the same key meets the first in flight.
    pub create_delay: Duration,
    /// How long a QR payment may be paid; a later request opens a new one.
    pub payment_ttl: Duration,
    /// The address customers' phones reach the payment page at (e.g.
    /// `https://pay.example.cn`); without it the request's `Host` is used.
    pub public_url: Option<String>,
    /// Demonstration issuance (`POST /v1/admin/demo/issue`); off, the route
    /// answers 404.
    pub demo: bool,
    /// SMS: no second code to the same mobile sooner than this.
    pub sms_interval: Duration,
    /// SMS: how long a code is valid.
    pub sms_ttl: Duration,
    /// SMS: wrong tries before a code is void.
    pub sms_tries: u32,
    /// SMS: at most this many codes to one mobile in 24 hours (so that,
    /// with `sms_tries`, a mobile's codes can be guessed only so often a
    /// day).
    pub sms_daily_cap: u32,
    /// A unit's codes (registering, resetting its password) to mobiles
    /// other than the one on file: at most this many per USCC within
    /// `sms_unit_window`. With `sms_tries`, this bounds the wrong codes
    /// tried against one unit from other mobiles; the mobile on file is
    /// never held back by it, and no one else for longer than the window.
    pub sms_unit_cap: u32,
    pub sms_unit_window: Duration,
    /// Prices and the agreement (`GET /v1/config`).
    pub catalogue: catalogue::Catalogue,
    /// Enterprise accounts: sessions, lockout, password hash cost.
    pub accounts: AccountOptions,
    /// Host names the staff listener answers to besides IP literals and
    /// `localhost` (`--staff-host`).
    pub staff_hosts: Vec<String>,
    /// The keys the CA certifies: a request for any other is refused.
    pub key_policy: Vec<kiosk_x509::KeyAlgorithm>,
    /// The staff CA's revocation lists kiosks fetch (`--staff-crl`, `GET
    /// /v1/staff/crl`): files, DER or PEM.
    pub staff_crls: Vec<PathBuf>,
    /// The staff CA's certificates (DER, from `--staff-client-ca`): each of
    /// `staff_crls` must be signed by one, or the service does not start;
    /// a payment staff record at a kiosk must be signed with a staff
    /// certificate of one (none: such payments are refused).
    pub staff_ca_der: Vec<Vec<u8>>,
    /// How often at most `staff_crls` are looked at again for changes,
    /// when a kiosk asks.
    pub staff_crl_recheck: Duration,
}

/// The keys the reference CA certifies by default: ECDSA P-256 and RSA of
/// 2048, 3072 or 4096 bits (what customers' keys make; never RSA-1024).
#[must_use]
pub fn default_key_policy() -> Vec<kiosk_x509::KeyAlgorithm> {
    use kiosk_x509::KeyAlgorithm::{EcP256, Rsa};
    vec![
        EcP256,
        Rsa { bits: 2048 },
        Rsa { bits: 3072 },
        Rsa { bits: 4096 },
    ]
}

impl Default for Options {
    fn default() -> Self {
        Self {
            projects: vec!["COAL".to_owned()],
            validity_days: 365,
            create_delay: Duration::ZERO,
            payment_ttl: Duration::from_secs(15 * 60),
            public_url: None,
            demo: false,
            sms_interval: Duration::from_secs(60),
            sms_ttl: Duration::from_secs(5 * 60),
            sms_tries: 5,
            sms_daily_cap: 10,
            sms_unit_cap: 10,
            sms_unit_window: Duration::from_secs(60 * 60),
            catalogue: catalogue::Catalogue::default(),
            accounts: AccountOptions::default(),
            staff_hosts: Vec::new(),
            key_policy: default_key_policy(),
            staff_crls: Vec::new(),
            staff_ca_der: Vec::new(),
            staff_crl_recheck: Duration::from_secs(60),
        }
    }
}

/// Faults the service answers with instead of serving (tests, and the
/// "storm" modes of the issue).
#[derive(Debug, Clone, Copy, Default)]
struct Injection {
    remaining: u32,
    status: u16,
    retry_after_secs: Option<u32>,
    /// Only requests whose path starts with this are answered with the fault.
    path_prefix: &'static str,
    /// Only requests of this method, when set.
    method: Option<&'static str>,
    /// Serve the request, then answer the fault instead of its answer: the
    /// reply is lost on its way back (the CA did the work).
    serve_first: bool,
}

/// The running service's state. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

struct Inner {
    storage: Box<dyn Storage>,
    ca: TestCa,
    /// With `--demo`: the CA of demonstration certificates, another key
    /// and name than the CA's; a certificate it issued is renewed only by
    /// it, never by the CA.
    demo_ca: Option<TestCa>,
    options: Options,
    in_flight: Mutex<HashSet<String>>,
    injection: Mutex<Injection>,
    /// The latest [`REQUEST_LOG`] requests (a ring: a busy CA's memory
    /// does not grow with its traffic).
    requests: Mutex<std::collections::VecDeque<(Instant, String)>>,
    renewals: tokio::sync::Mutex<()>,
    issued: AtomicU64,
    /// Password hashing slots.
    hashing: handlers::Hashing,
    /// The key of the back office's CSRF tokens, drawn when first needed.
    csrf_key: Mutex<Option<[u8; 32]>>,
    /// The last revocation list's number (each one's is greater).
    crl_number: AtomicU64,
    /// The staff CA's revocation lists, when configured.
    staff_crls: Option<staff_crl::StaffCrls>,
}

impl Service {
    /// Opens the service's data directory: `ca.sqlite` and the CA key under
    /// `ca/` (created on first start, restored afterwards).
    /// The directory is the service's alone (0700) and the database file
    /// its owner's (0600, and so are SQLite's journal files, which take the
    /// database's mode), whatever the umask. The staff revocation lists
    /// are checked first: nothing is made for a service that cannot start.
    pub fn open(dir: &Path, options: Options) -> Result<Self, ServiceError> {
        let staff_crls = staff_crls(&options)?;
        ca::private_dir(dir)?;
        let db = dir.join("ca.sqlite");
        ca::private_file(&db)?;
        let storage = sqlite::SqliteStorage::open(&db)?;
        let ca = ca::load_or_create(&dir.join("ca"))?;
        let demo_ca = if options.demo {
            Some(ca::load_or_create_named(
                &dir.join("demo-ca"),
                ca::DEMO_NAME,
            )?)
        } else {
            None
        };
        Ok(Self::with_parts(
            Box::new(storage),
            ca,
            demo_ca,
            staff_crls,
            options,
        ))
    }

    /// A service over any storage (the staff revocation lists checked as
    /// [`open`](Self::open) checks them).
    pub fn with_storage(
        storage: Box<dyn Storage>,
        ca: TestCa,
        options: Options,
    ) -> Result<Self, ServiceError> {
        let staff_crls = staff_crls(&options)?;
        // A demonstration CA for this run only (none is kept without a
        // data directory); without it demonstration issuance answers 503.
        let demo_ca = if options.demo {
            TestCa::new(ca::DEMO_NAME)
                .inspect_err(|e| tracing::error!(error = %e, "no demonstration CA"))
                .ok()
        } else {
            None
        };
        Ok(Self::with_parts(storage, ca, demo_ca, staff_crls, options))
    }

    fn with_parts(
        storage: Box<dyn Storage>,
        ca: TestCa,
        demo_ca: Option<TestCa>,
        staff_crls: Option<staff_crl::StaffCrls>,
        options: Options,
    ) -> Self {
        let (hashes_per_minute, hashes_per_caller) = (
            options.accounts.hashes_per_minute,
            options.accounts.hashes_per_caller_minute,
        );
        Self {
            inner: Arc::new(Inner {
                storage,
                ca,
                demo_ca,
                options,
                in_flight: Mutex::new(HashSet::new()),
                injection: Mutex::new(Injection::default()),
                requests: Mutex::new(std::collections::VecDeque::new()),
                renewals: tokio::sync::Mutex::new(()),
                issued: AtomicU64::new(0),
                hashing: handlers::Hashing::new(hashes_per_minute, hashes_per_caller),
                csrf_key: Mutex::new(None),
                crl_number: AtomicU64::new(0),
                staff_crls,
            }),
        }
    }

    /// The axum router of the routes in [`ROUTES`] that `listener` serves
    /// (the others answer 404). Serve it with [`run`] or [`run_tls`], which
    /// tell each request who is calling; a request without a caller is
    /// anonymous.
    pub fn router(&self, listener: Listener) -> axum::Router {
        handlers::router(self.clone(), listener)
    }

    /// The settings it runs with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    pub fn storage(&self) -> &dyn Storage {
        self.inner.storage.as_ref()
    }

    /// The CA (tests issue the "old" certificates of renewals with it).
    pub fn ca(&self) -> &TestCa {
        &self.inner.ca
    }

    /// The demonstration CA, with `--demo` only: demonstration issuance
    /// signs with it, and it alone renews what it issued.
    pub fn demo_ca(&self) -> Option<&TestCa> {
        self.inner.demo_ca.as_ref()
    }

    /// The staff CA's revocation lists published now (DER), after
    /// re-reading changed files if due; empty when none are configured.
    /// Blocking (file I/O).
    pub fn staff_revocation_lists(&self) -> Vec<Vec<u8>> {
        self.inner
            .staff_crls
            .as_ref()
            .map(|c| c.current().lists.clone())
            .unwrap_or_default()
    }

    pub(crate) fn staff_crls(&self) -> Option<&staff_crl::StaffCrls> {
        self.inner.staff_crls.as_ref()
    }

    /// How many certificates the CA has signed for renewals.
    pub fn issued_count(&self) -> u64 {
        self.inner.issued.load(Ordering::SeqCst)
    }

    /// Answers the next `count` API requests with `status` (e.g. 429 or
    /// 503) and, if given, `Retry-After: seconds`, instead of serving them.
    pub fn inject(&self, count: u32, status: u16, retry_after_secs: Option<u32>) {
        self.inject_on("/v1/", count, status, retry_after_secs);
    }

    /// The same, for requests whose path starts with `path_prefix` only
    /// (e.g. `/v1/renewals/`: the CA's issuance is down, the rest works).
    pub fn inject_on(
        &self,
        path_prefix: &'static str,
        count: u32,
        status: u16,
        retry_after_secs: Option<u32>,
    ) {
        if let Ok(mut i) = self.inner.injection.lock() {
            *i = Injection {
                remaining: count,
                status,
                retry_after_secs,
                path_prefix,
                method: None,
                serve_first: false,
            };
        }
    }

    /// Serves the next `count` requests of `method` whose path starts with
    /// `path_prefix`, then answers 503 instead of their answers: replies
    /// lost on the way back, the work done (e.g. `"POST"`,
    /// `/v1/renewals/`: the certificate issued, the kiosk never told).
    pub fn lose_replies_on(&self, method: &'static str, path_prefix: &'static str, count: u32) {
        if let Ok(mut i) = self.inner.injection.lock() {
            *i = Injection {
                remaining: count,
                status: 503,
                retry_after_secs: None,
                path_prefix,
                method: Some(method),
                serve_first: true,
            };
        }
    }

    /// When each of the latest [`REQUEST_LOG`] requests arrived, with its
    /// method and path, oldest first.
    pub fn requests(&self) -> Vec<(Instant, String)> {
        self.inner
            .requests
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The number of a new revocation list: the time in nanoseconds, or
    /// one more than the last one's, whichever is greater (it never goes
    /// back, even when the clock does).
    fn next_crl_number(&self, now: time::OffsetDateTime) -> u64 {
        let wanted = u64::try_from(now.unix_timestamp_nanos()).unwrap_or(0);
        let previous = self
            .inner
            .crl_number
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(wanted.max(last.saturating_add(1)))
            })
            .unwrap_or(0);
        wanted.max(previous.saturating_add(1))
    }

    /// The CSRF token the back office's forms carry for `caller` (the
    /// staff listener writes it into its pages and checks it on every form
    /// posted; see `handlers/staff_guard.rs`). `None`: no randomness for
    /// its key (logged).
    pub fn csrf_token(&self, caller: &Caller) -> Option<String> {
        let mut key = self.inner.csrf_key.lock().ok()?;
        let key = match *key {
            Some(k) => k,
            None => {
                let mut fresh = [0_u8; 32];
                if let Err(e) = getrandom::fill(&mut fresh) {
                    tracing::error!(error = %e, "no randomness for the CSRF key");
                    return None;
                }
                *key = Some(fresh);
                fresh
            }
        };
        handlers::csrf_token(&key, caller)
    }

    /// Notes a request in the ring of the latest ones.
    fn note_request(&self, line: String) {
        if let Ok(mut log) = self.inner.requests.lock() {
            if log.len() >= REQUEST_LOG {
                log.pop_front();
            }
            log.push_back((Instant::now(), line));
        }
    }
}

/// The staff revocation lists of `options`, read and verified.
fn staff_crls(options: &Options) -> Result<Option<staff_crl::StaffCrls>, ServiceError> {
    Ok(staff_crl::StaffCrls::load(
        &options.staff_crls,
        &options.staff_ca_der,
        options.staff_crl_recheck,
    )?)
}

/// Serves `router` over plain HTTP on `listener` until `shutdown` resolves:
/// loopback development, demonstration and tests only, where every caller
/// is [`Caller::Local`] (the kiosk talks to [`run_tls`]).
pub async fn run(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, local(router))
        .with_graceful_shutdown(shutdown)
        .await
}

/// `router` as plain HTTP on loopback serves it: every request from
/// [`Caller::Local`].
pub fn local(router: axum::Router) -> axum::Router {
    router.layer(axum::Extension(Caller::Local))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_request_log_keeps_only_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let service = Service::open(dir.path(), Options::default()).unwrap();
        for i in 0..REQUEST_LOG + 10 {
            service.note_request(format!("GET /v1/feed?{i}"));
        }
        let log = service.requests();
        assert_eq!(log.len(), REQUEST_LOG);
        assert_eq!(log[0].1, "GET /v1/feed?10", "the oldest went first");
        assert_eq!(
            log[REQUEST_LOG - 1].1,
            format!("GET /v1/feed?{}", REQUEST_LOG + 9)
        );
    }
}
