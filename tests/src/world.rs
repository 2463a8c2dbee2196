//! A kiosk's world for tests: the reference CA service on 127.0.0.1 over
//! real HTTP, issuing from the test token's CA (so it renews the token's
//! certificate), and the kiosk's configuration for that token.

use crate::opencryptoki::Pkcs11TestToken;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The reference CA service in this process, stopped when dropped.
pub struct ReferenceCa {
    runtime: tokio::runtime::Runtime,
    pub url: String,
    /// The staff listener (the back office and the staff API; plain HTTP
    /// on loopback, so the test is staff).
    pub staff_url: String,
    /// The service itself, for fault injection and to read what it holds.
    pub service: ca_service::Service,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for ReferenceCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceCa")
            .field("url", &self.url)
            .finish()
    }
}

impl ReferenceCa {
    /// Starts the service on a free loopback port with its data in `data`,
    /// issuing with the CA of `ca_dir` (`ca.key`, `ca.der` as the test
    /// tokens make them) when given, else its own.
    ///
    /// # Errors
    /// The data directory or the port could not be set up.
    pub fn start(data: &Path, ca_dir: Option<&Path>) -> Result<Self> {
        Self::start_at(data, ca_dir, "127.0.0.1:0")
    }

    /// As [`ReferenceCa::start`], on a given address (a kiosk configured
    /// for it while nothing listened there finds it come online).
    ///
    /// # Errors
    /// The data directory or the port could not be set up.
    pub fn start_at(data: &Path, ca_dir: Option<&Path>, addr: &str) -> Result<Self> {
        let options = ca_service::Options {
            demo: true,
            ..ca_service::Options::default()
        };
        Self::start_with(data, ca_dir, addr, options)
    }

    /// As [`ReferenceCa::start_at`], with these options (a staff CA's
    /// revocation lists, say).
    ///
    /// # Errors
    /// The data directory or the port could not be set up, or the options
    /// are refused.
    pub fn start_with(
        data: &Path,
        ca_dir: Option<&Path>,
        addr: &str,
        options: ca_service::Options,
    ) -> Result<Self> {
        if let Some(ca_dir) = ca_dir {
            let own = data.join("ca");
            std::fs::create_dir_all(&own)?;
            std::fs::copy(ca_dir.join("ca.key"), own.join("key.p256"))?;
            std::fs::copy(ca_dir.join("ca.der"), own.join("cert.der"))?;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let service = ca_service::Service::open(data, options)?;
        let served = service.router(ca_service::Listener::Kiosk);
        let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
        let url = format!("http://{}", listener.local_addr()?);
        let staff = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let staff_url = format!("http://{}", staff.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (stop_staff, staff_stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let _ = ca_service::run(listener, served, async {
                let _ = stopped.await;
                let _ = stop_staff.send(());
            })
            .await;
        });
        let back_office = service.router(ca_service::Listener::Staff);
        runtime.spawn(async move {
            let _ = ca_service::run(staff, back_office, async {
                let _ = staff_stopped.await;
            })
            .await;
        });
        Ok(Self {
            runtime,
            url,
            staff_url,
            service,
            stop: Some(stop),
        })
    }

    /// Enters the service's runtime (to build a client or worker there).
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.runtime.enter()
    }

    /// Runs `f` on the service's runtime (for async calls of a test).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

impl Drop for ReferenceCa {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Writes the kiosk's configuration for `token` against the CA at `ca_url`
/// into `dir/kiosk.toml` (data in `dir/kiosk`, receipts as PNG previews in
/// `dir/kiosk/receipts`), with `extra` TOML appended; returns its path.
///
/// # Errors
/// A file could not be written.
pub fn kiosk_config(
    dir: &Path,
    token: &dyn Pkcs11TestToken,
    ca_url: &str,
    extra: &str,
) -> Result<PathBuf> {
    kiosk_config_for(dir, token.dir(), token.module(), ca_url, extra)
}

/// As [`kiosk_config`], for a token known by its directory (where its CA's
/// `ca.der` is) and its PKCS#11 module.
///
/// # Errors
/// A file could not be written.
pub fn kiosk_config_for(
    dir: &Path,
    token_dir: &Path,
    module: &str,
    ca_url: &str,
    extra: &str,
) -> Result<PathBuf> {
    let data = dir.join("kiosk");
    std::fs::create_dir_all(&data)?;
    // Issued certificates must chain to the token's CA.
    std::fs::copy(token_dir.join("ca.der"), data.join("ca-root.der"))
        .context("the test CA's root")?;
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "kiosk_code = \"TYA\"\ndata_dir = \"{data}\"\n\
             [ca]\nurl = \"{ca_url}\"\ncertificate_roots = [\"ca-root.der\"]\npayment_poll_seconds = 1\n\
             [printer]\nuri = \"file:{data}/receipts.escpos\"\npreview_dir = \"receipts\"\nfollow_url_base = \"{ca_url}/track?order=\"\n\
             [key_writer]\nmodules = [\"{module}\"]\n{extra}",
            data = data.display(),
        ),
    )?;
    Ok(path)
}

/// How long a whole renewal may take in a test (token work in a debug
/// build, the outbox delivering the order, payment polls).
pub const RENEWAL_LIMIT: Duration = Duration::from_secs(90);

/// The variable a test child finds its token's directory in.
const CHILD: &str = "KIOSK_TESTS_TOKEN_DIR";

/// Runs `body` in a child process of this test binary whose environment
/// points at a fresh token of `implementation` (PKCS#11 modules read their
/// configuration when they load, and a test may not change its own
/// environment). `name` is the test's own name; `body` gets the token's
/// directory.
///
/// # Panics
/// The child failed: its output is in the message.
pub fn with_token_in_child(
    name: &str,
    implementation: crate::opencryptoki::Implementation,
    body: impl FnOnce(&Path),
) {
    if let Some(dir) = std::env::var_os(CHILD) {
        // The child's logs go to its stderr, which the parent shows on failure.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("KIOSK_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
        body(Path::new(&dir));
        return;
    }
    let token = implementation.with_certificate(20);
    let exe = std::env::current_exe().unwrap_or_default();
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .envs(token.env())
        .env(CHILD, token.dir())
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => panic!("cannot run the test child: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test failed:\n{stdout}\n{stderr}"
    );
}
