//! The demonstration world on one machine (`kiosk demo`): the reference CA
//! service started beside the kiosk, a SoftHSM2 token standing in for the
//! customer's USB key with a certificate inside its renewal window, a
//! printer that writes raw ESC/POS plus a PNG preview of each receipt, and
//! the kiosk itself. Everything lives under one directory (default
//! `var/demo`) and survives restarts; `--fresh` starts over.
//!
//! SoftHSM2 finds its tokens through `SOFTHSM2_CONF`, which must be set
//! before a process loads the module, so the token is provisioned and the
//! kiosk runs in child processes started with it.

use anyhow::{Context, Result, bail};
use kiosk_config::Config;
use kiosk_domain::ids::Uscc;
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::key_writer::{KeyAlgorithm, KeyTag, KeyWriter, Pin};
use kiosk_sync_client::CaClient;
use kiosk_token::renew::Trust;
use kiosk_token::x509::X509Reader;
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The demo key's PINs (printed for the person trying the demo).
pub const USER_PIN: &str = "123456";
pub const SO_PIN: &str = "12345678";
const TOKEN_LABEL: &str = "demo-key";
/// The demo's member of staff: their own key, its PIN, their name.
pub const STAFF_PIN: &str = "246810";
const STAFF_SO_PIN: &str = "87654321";
const STAFF_LABEL: &str = "demo-staff";
const STAFF_NAME: &str = "柜员 演示";
/// The demo unit on the certificate (a valid USCC, like the fixtures').
const UNIT_NAME: &str = "演示科技有限公司";
const UNIT_USCC: &str = "91110108551385082Q";
/// Days left on the demo certificate: inside the default 30-day window.
const DAYS_LEFT: u32 = 20;
const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Where the demo's parts live.
#[derive(Debug, Clone)]
pub struct DemoLayout {
    pub root: PathBuf,
}

impl DemoLayout {
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }
    fn ca_data(&self) -> PathBuf {
        self.root.join("ca")
    }
    fn tokens(&self) -> PathBuf {
        self.root.join("softhsm/tokens")
    }
    /// The demo's staff CA (certificate and key, PEM) and the staff key's
    /// certificate.
    fn staff(&self) -> PathBuf {
        self.root.join("staff")
    }
    fn staff_ca(&self) -> PathBuf {
        self.staff().join("staff-ca.pem")
    }
    #[must_use]
    pub fn softhsm_conf(&self) -> PathBuf {
        self.root.join("softhsm/softhsm2.conf")
    }
    #[must_use]
    pub fn kiosk_data(&self) -> PathBuf {
        self.root.join("kiosk")
    }
    #[must_use]
    pub fn receipts(&self) -> PathBuf {
        self.root.join("receipts")
    }
    #[must_use]
    pub fn config(&self) -> PathBuf {
        self.root.join("kiosk.toml")
    }
}

/// A sibling binary of this one (`cargo build` puts them side by side).
fn sibling(name: &str) -> Result<PathBuf> {
    let me = std::env::current_exe().context("where is this binary?")?;
    let path = me.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found: build it first (cargo build -p {name})",
            path.display()
        );
    }
    Ok(path)
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The reference CA service, stopped when dropped.
#[derive(Debug)]
pub struct CaProcess {
    child: Child,
    /// The kiosk listener: the kiosk's CA, and the payment page.
    pub url: String,
    /// The staff listener: the back office.
    pub staff_url: String,
}

impl CaProcess {
    /// Starts `ca-service --demo` on free loopback ports (the kiosks' and
    /// the staff's), trusting `staff_ca` (PEM) for payments staff sign at
    /// the kiosk, and waits until it answers.
    ///
    /// # Errors
    /// The binary is missing or the service did not come up in 20 s.
    pub fn start(data: &Path, staff_ca: &Path) -> Result<Self> {
        std::fs::create_dir_all(data)?;
        let (port, staff_port) = (free_port()?, free_port()?);
        let url = format!("http://127.0.0.1:{port}");
        let staff_url = format!("http://127.0.0.1:{staff_port}");
        let child = Command::new(sibling("ca-service")?)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--staff-listen", &format!("127.0.0.1:{staff_port}")])
            .arg("--data")
            .arg(data)
            .arg("--staff-client-ca")
            .arg(staff_ca)
            .arg("--demo")
            .spawn()
            .context("cannot start ca-service")?;
        let mut ca = Self {
            child,
            url,
            staff_url,
        };
        ca.wait_ready(Duration::from_secs(20))?;
        Ok(ca)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = CaClient::new(&self.url, Duration::from_secs(2))?;
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                bail!("ca-service exited at start: {status}");
            }
            if runtime.block_on(client.probe()).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("ca-service did not answer within {limit:?}")
    }
}

impl Drop for CaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes the SoftHSM2 tokens and the staff CA (once) and writes the
/// kiosk's configuration.
///
/// # Errors
/// `softhsm2-util` failed or a file could not be written.
pub fn prepare(layout: &DemoLayout, ca_url: &str) -> Result<()> {
    prepare_keys(layout)?;
    std::fs::write(layout.config(), config_text(layout, ca_url)?)?;
    // Something for the camera to photograph on 上传附件 (sorted before the
    // receipts, so a document capture takes it).
    let sample = layout.receipts().join(SAMPLE_DOCUMENT);
    if !sample.exists() {
        let page = kiosk_camera::sample::text_page(1);
        std::fs::write(&sample, kiosk_camera::document::encode_jpeg(&page, 90)?)?;
    }
    Ok(())
}

/// Makes the customer's SoftHSM2 token, the staff CA and the staff key
/// (each once): the CA service is started trusting that staff CA.
fn prepare_keys(layout: &DemoLayout) -> Result<()> {
    std::fs::create_dir_all(layout.tokens())?;
    std::fs::create_dir_all(layout.receipts())?;
    std::fs::create_dir_all(layout.kiosk_data())?;
    std::fs::write(
        layout.softhsm_conf(),
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            std::path::absolute(layout.tokens())?.display()
        ),
    )?;
    let has_token = std::fs::read_dir(layout.tokens())?.next().is_some();
    if !has_token {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", layout.softhsm_conf())
            .args([
                "--init-token",
                "--free",
                "--label",
                TOKEN_LABEL,
                "--so-pin",
                SO_PIN,
                "--pin",
                USER_PIN,
            ])
            .output()
            .context("softhsm2-util is missing (Debian package softhsm2)")?;
        if !out.status.success() {
            bail!(
                "softhsm2-util --init-token failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    if !layout.staff_ca().exists() {
        prepare_staff_key(layout)?;
    }
    Ok(())
}

/// Runs a tool of the demo's (with its SoftHSM2 configuration).
fn tool(layout: &DemoLayout, program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program)
        .env("SOFTHSM2_CONF", layout.softhsm_conf())
        .args(args)
        .output()
        .with_context(|| format!("{program} is missing (scripts/bootstrap.sh installs it)"))?;
    if !out.status.success() {
        bail!(
            "{program} {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The demo's member of staff: a staff CA of its own (made with openssl,
/// kept under the demo's directory) and a second SoftHSM2 token holding a
/// key pair made on it and a staff certificate (OU kiosk-staff) for it.
fn prepare_staff_key(layout: &DemoLayout) -> Result<()> {
    let dir = layout.staff();
    std::fs::create_dir_all(&dir)?;
    let at = |name: &str| -> Result<String> {
        Ok(std::path::absolute(dir.join(name))?.display().to_string())
    };
    let (ca_key, ca_cert) = (at("staff-ca.key")?, at("staff-ca.pem.new")?);
    let (public_der, public_pem) = (at("staff-pub.der")?, at("staff-pub.pem")?);
    let (ext, cert) = (at("staff.ext")?, at("staff.der")?);
    tool(
        layout,
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &ca_key,
            "-out",
            &ca_cert,
            "-days",
            "3650",
            "-subj",
            "/O=演示CA/CN=演示工作人员CA",
            "-utf8",
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    )?;
    tool(
        layout,
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            STAFF_LABEL,
            "--so-pin",
            STAFF_SO_PIN,
            "--pin",
            STAFF_PIN,
        ],
    )?;
    let p11 = |args: &[&str]| {
        let mut all = vec![
            "--module",
            SOFTHSM_MODULE,
            "--token-label",
            STAFF_LABEL,
            "--login",
            "--pin",
            STAFF_PIN,
        ];
        all.extend_from_slice(args);
        tool(layout, "pkcs11-tool", &all)
    };
    p11(&[
        "--keypairgen",
        "--key-type",
        "EC:prime256v1",
        "--id",
        "5a",
        "--label",
        "staff-key",
    ])?;
    p11(&[
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "5a",
        "-o",
        &public_der,
    ])?;
    tool(
        layout,
        "openssl",
        &[
            "pkey",
            "-pubin",
            "-inform",
            "DER",
            "-in",
            &public_der,
            "-out",
            &public_pem,
        ],
    )?;
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\n",
    )?;
    // openssl writes a UTF-8 subject only from a request: one made with a
    // throwaway key, its public key then replaced by the token's.
    let (throwaway, request) = (at("throwaway.key")?, at("staff.csr")?);
    tool(
        layout,
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &throwaway,
        ],
    )?;
    let subject = format!("/O=演示CA/OU=kiosk-staff/CN={STAFF_NAME}");
    tool(
        layout,
        "openssl",
        &[
            "req", "-new", "-key", &throwaway, "-subj", &subject, "-utf8", "-out", &request,
        ],
    )?;
    std::fs::remove_file(&throwaway)?;
    tool(
        layout,
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &request,
            "-force_pubkey",
            &public_pem,
            "-CA",
            &ca_cert,
            "-CAkey",
            &ca_key,
            "-days",
            "365",
            "-extfile",
            &ext,
            "-outform",
            "DER",
            "-out",
            &cert,
        ],
    )?;
    p11(&[
        "--write-object",
        &cert,
        "--type",
        "cert",
        "--id",
        "5a",
        "--label",
        "staff-cert",
    ])?;
    // Last: its presence says the staff key is ready.
    std::fs::rename(&ca_cert, layout.staff_ca())?;
    Ok(())
}

/// The demo camera's sample document, in the receipts directory.
const SAMPLE_DOCUMENT: &str = "0-sample-document.jpg";

fn config_text(layout: &DemoLayout, ca_url: &str) -> Result<String> {
    let abs = |p: PathBuf| -> Result<String> { Ok(std::path::absolute(p)?.display().to_string()) };
    Ok(format!(
        r#"# Written by `kiosk demo`: the demonstration world under {root}.
kiosk_code = "DEM"
data_dir = "{data}"

[ca]
url = "{ca_url}"
# The CA's root, and the root of its demonstration CA (`--demo`), which
# issued the demonstration key's certificate and alone renews it.
certificate_roots = ["ca-root.der", "ca-demo-root.der"]
payment_poll_seconds = 1

[printer]
uri = "file:{receipts}/receipts.escpos"
preview_dir = "{receipts}"
# The receipt's QR code opens the CA's own order page.
follow_url_base = "{ca_url}/track?order="

[camera]
# The demo's camera looks at the receipt previews: 查询订单 → 扫描凭条二维码
# reads the QR code of the latest receipt, and 上传附件 photographs the
# sample document kept there.
source = "files:{receipts}"

[key_writer]
modules = ["{SOFTHSM_MODULE}"]

[ui]
# Told to a customer whose 呼叫工作人员 did not reach staff.
counter_location = "服务大厅 1 号柜台"

[staff]
# The demo's staff CA: its member of staff's key is the second SoftHSM2
# token (帮助中心 → 工作人员登录, PIN {STAFF_PIN}).
ca_certificates = ["{staff_ca}"]
unblock_pin = true
"#,
        root = abs(layout.root.clone())?,
        data = abs(layout.kiosk_data())?,
        receipts = abs(layout.receipts())?,
        staff_ca = abs(layout.staff_ca())?,
    ))
}

/// Puts a certificate for the demo unit, expiring in 20 days, on the demo
/// key if it holds none, issued by the CA service (`--demo` issuance, on
/// its staff listener at `staff_url`), and keeps the CA's root for the
/// kiosk. Runs with `SOFTHSM2_CONF` set.
///
/// # Errors
/// The token or the CA failed.
pub fn provision_key(config: &Config, staff_url: &str, pin: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let Some(ca) = &config.ca else {
        bail!("the demo's configuration names no CA");
    };
    let client = CaClient::new(&ca.url, Duration::from_secs(10))?;
    let staff = CaClient::new(staff_url, Duration::from_secs(10))?;
    let roots = runtime
        .block_on(client.ca_roots())
        .context("the CA's roots")?;
    // The CA's root first, then its demonstration CA's.
    let [root, demo_root] = roots.as_slice() else {
        bail!("the CA service published no demonstration root (is it running with --demo?)");
    };
    std::fs::create_dir_all(config.data_dir.clone())?;
    std::fs::write(config.in_data_dir(Path::new("ca-root.der")), root)?;
    std::fs::write(config.in_data_dir(Path::new("ca-demo-root.der")), demo_root)?;

    let mut writer = Pkcs11KeyWriter::open(WriterConfig {
        modules: config.key_writer.modules.clone(),
        profiles: Vec::new(),
    })?
    .with_reader(Box::new(X509Reader));
    let keys = writer.keys()?;
    // The customer's key: any but the demo's staff key.
    let Some(inserted) = keys.into_iter().find(|k| k.key.label != STAFF_LABEL) else {
        bail!("no SoftHSM2 token found (SOFTHSM2_CONF?)");
    };
    if inserted
        .certificates
        .iter()
        .any(|c| !c.label.starts_with("superseded:"))
    {
        return Ok(()); // Already provisioned (or renewed in an earlier run).
    }
    let key = inserted.key;
    writer.verify_pin(&key, Pin::new(pin)?)?;
    let kiosk: KioskCode = "DEM".parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let date = time::OffsetDateTime::now_utc().date();
    let tag = KeyTag::new(OrderNumber::new(&kiosk, date, 1)?, 1);
    let uscc: Uscc = UNIT_USCC.parse()?;
    let request = kiosk_token::onsite::prepare(
        &mut writer,
        &key,
        &tag,
        KeyAlgorithm::EcP256,
        UNIT_NAME,
        &uscc,
    )
    .map_err(|e| anyhow::anyhow!("demo key request: {e}"))?;
    let issued = runtime
        .block_on(staff.demo_issue(&request, DAYS_LEFT))
        .context("the CA service refused the demo certificate (is it running with --demo?)")?;
    let trust = Trust {
        intermediates: &[],
        roots: std::slice::from_ref(demo_root),
        now: time::OffsetDateTime::now_utc(),
    };
    kiosk_token::onsite::install(&mut writer, &key, &tag, &issued, &trust, "demo-cert", &[])
        .map_err(|e| anyhow::anyhow!("demo certificate not written: {e}"))?;
    // What the CA's records would say about this customer: 确认信息 shows it.
    let serial = kiosk_x509::summarize(&issued, "")?.serial_hex;
    let (contact, invoice) = demo_holder()?;
    runtime
        .block_on(staff.put_holder(&serial, &contact, &invoice))
        .context("the CA service refused the demo holder's details")?;
    writer.logout(&key)?;
    println!("demo key: certificate for {UNIT_NAME} written, {DAYS_LEFT} days left");
    Ok(())
}

/// The demo unit's contact and invoice details, as the CA keeps them.
fn demo_holder() -> Result<(Contact, InvoiceInfo)> {
    Ok((
        Contact {
            name: "李明".parse()?,
            mobile: "13800138000".parse()?,
        },
        InvoiceInfo {
            title: UNIT_NAME.parse()?,
            taxpayer_id: UNIT_USCC.parse()?,
            email: "invoice@example.cn".parse()?,
        },
    ))
}

/// `kiosk demo`: the CA service, the token, the kiosk; returns the kiosk's
/// exit code. The CA service stops with it.
///
/// # Errors
/// A part could not be started.
pub fn run(root: &Path, fresh: bool, kiosk_args: &[String]) -> Result<i32> {
    // Asked to stop (SIGTERM from a service manager or `kill`, SIGINT,
    // SIGHUP), the demo stops its kiosk and its CA service with it, never
    // leaving them running: the signals are taken before anything starts.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut stop = runtime.block_on(async { Stop::listen() })?;
    let layout = DemoLayout::new(root);
    if fresh && layout.root.exists() {
        std::fs::remove_dir_all(&layout.root)
            .with_context(|| format!("cannot remove {}", layout.root.display()))?;
    }
    std::fs::create_dir_all(&layout.root)?;
    prepare_keys(&layout)?;
    let ca = CaProcess::start(&layout.ca_data(), &layout.staff_ca())?;
    prepare(&layout, &ca.url)?;
    let me = std::env::current_exe()?;
    let status = Command::new(&me)
        .env("SOFTHSM2_CONF", layout.softhsm_conf())
        .args(["demo-key", "--staff-url", &ca.staff_url, "--config"])
        .arg(layout.config())
        .status()?;
    if !status.success() {
        bail!("provisioning the demo key failed ({status})");
    }
    println!(
        "kiosk demo: CA service {url} (back office {staff}/admin); USB key PIN {USER_PIN} \
         (SO PIN {SO_PIN}); staff key PIN {STAFF_PIN}; receipts in {receipts}. \
         Pay by opening the QR code's address.",
        url = ca.url,
        staff = ca.staff_url,
        receipts = layout.receipts().display()
    );
    let mut kiosk = Command::new(&me);
    kiosk
        .env("SOFTHSM2_CONF", layout.softhsm_conf())
        .arg("--config")
        .arg(layout.config())
        .args(kiosk_args);
    // glibc's malloc as kiosk.service sets it (image/rootfs): large buffers
    // (camera frames, documents) go back to the system when freed, instead
    // of staying in the heap (BENCHMARKS.md, "Kiosk app").
    if std::env::var_os(MALLOC_MMAP_THRESHOLD.0).is_none() {
        kiosk.env(MALLOC_MMAP_THRESHOLD.0, MALLOC_MMAP_THRESHOLD.1);
    }
    let code = runtime.block_on(stop.run(kiosk))?;
    // Dropping the CA stops it, whichever way the kiosk ended.
    drop(ca);
    Ok(code)
}

/// glibc's fixed mmap threshold (bytes), as kiosk.service sets it: without
/// it the threshold grows with each large buffer freed, and later large
/// buffers are then taken from the heap and kept there after use.
const MALLOC_MMAP_THRESHOLD: (&str, &str) = ("MALLOC_MMAP_THRESHOLD_", "131072");

/// The signals that stop the demo.
struct Stop {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Stop {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Runs `command` until it exits (its exit code), or until a signal
    /// asks the demo to stop: then the child is stopped and waited for,
    /// and the code is the shell's for that signal (128 + its number).
    async fn run(&mut self, command: Command) -> Result<i32> {
        let mut child = tokio::process::Command::from(command)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start the kiosk")?;
        let signalled = tokio::select! {
            status = child.wait() => return Ok(status?.code().unwrap_or(1)),
            _ = self.terminate.recv() => 15,
            _ = self.interrupt.recv() => 2,
            _ = self.hangup.recv() => 1,
        };
        tracing::info!(
            signal = signalled,
            "kiosk demo asked to stop: stopping the kiosk"
        );
        child.start_kill()?;
        child.wait().await?;
        Ok(128 + signalled)
    }
}
