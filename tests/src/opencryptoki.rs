//! A second real PKCS#11 implementation for tests: opencryptoki's soft
//! token (Debian `opencryptoki`), with one customer key (RSA-2048, made on
//! the token by OpenSC's `pkcs11-tool`) and its certificate from a local CA,
//! like [`crate::softhsm::TestToken`] (same method names and fields, so a
//! test can be generic over both: see [`Pkcs11TestToken`] and
//! [`Implementation`]).
//!
//! opencryptoki differs from SoftHSM2 in ways the kiosk must cope with:
//! one machine-wide token behind a daemon (`pkcsslotd`), RSA only (no EC key
//! generation), PINs "to be changed" after initialisation, and
//! `CKF_CLOCK_ON_TOKEN` with a `utcTime` `cryptoki` 0.12 cannot parse.
//!
//! The fixture does everything itself, as root (the CI machine runs as
//! root): it keeps only the soft token in
//! `/etc/opencryptoki/opencryptoki.conf`, makes the daemon's run-time
//! directories, stops `pkcsslotd`, empties the token's directory, starts the
//! daemon again, initialises the token (label, SO PIN changed from the
//! default, user PIN set and changed once) and puts the customer's key and
//! certificate on it. Because the token is machine-wide, a [`TestToken`]
//! holds an exclusive file lock ([`LOCK`]) for its whole life: tests in
//! other processes (other test binaries, another `cargo test`) wait for it.
//! Without root or the package, it fails with a message naming what is
//! missing.
#![allow(
    clippy::expect_used,
    reason = "test fixture: when the token cannot be made, the test cannot run, and says why"
)]

use crate::softhsm::{self, CA_NAME, UNIT_NAME, USCC, path, write};
use kiosk_x509::test_ca::{CustomerSubject, TestCa};
use kiosk_x509::{KeyAlgorithm, RemoteSigner, SignerError};
use std::fs::File;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The PKCS#11 module (the API library that talks to the daemon).
pub const MODULE: &str = "/usr/lib/x86_64-linux-gnu/opencryptoki/libopencryptoki.so.0";
/// The soft token's slot, as configured here.
pub const SLOT: u64 = 3;
pub const LABEL: &str = "KIOSK-OCK";
/// The SO PIN every new soft token has; it must be changed before use.
pub const DEFAULT_SO_PIN: &str = "87654321";
/// The SO PIN the fixture sets.
pub const SO_PIN: &str = "24681357";
/// The user PIN: the same as SoftHSM2's, so a search for it covers both
/// (opencryptoki's soft token takes at most 8 characters).
pub const PIN: &str = softhsm::PIN;
/// The user PIN set by the SO before the user changes it to [`PIN`].
const FIRST_PIN: &str = "97531864";

/// The lock that serialises users of the machine-wide token.
pub const LOCK: &str = "/run/lock/kiosk-tests-opencryptoki.lock";

const DAEMON: &str = "/usr/sbin/pkcsslotd";
const CONF: &str = "/etc/opencryptoki/opencryptoki.conf";
const WANTED_CONF: &str = "version opencryptoki-3.1\n\n\
# Written by the kiosk's test fixture (tests/src/opencryptoki.rs): the soft\n\
# token only, so that the other token libraries log no errors.\n\
slot 3\n{\nstdll = libpkcs11_sw.so\n}\n";
const TOKEN_DIR: &str = "/var/lib/opencryptoki/swtok";
/// The token's shared memory: stale object indexes survive a reset in it.
const TOKEN_SHM: &str = "/dev/shm/var.lib.opencryptoki.swtok";
const RUN_DIRS: [&str; 3] = [
    "/run/opencryptoki",
    "/run/lock/opencryptoki",
    "/run/lock/opencryptoki/swtok",
];

/// The customer's key on a test token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerKey {
    EcP256,
    Rsa2048,
}

impl CustomerKey {
    /// `pkcs11-tool --key-type`.
    #[must_use]
    pub fn key_type(self) -> &'static str {
        match self {
            Self::EcP256 => "EC:prime256v1",
            Self::Rsa2048 => "rsa:2048",
        }
    }

    /// As the X.509 crate names it.
    #[must_use]
    pub fn algorithm(self) -> KeyAlgorithm {
        match self {
            Self::EcP256 => KeyAlgorithm::EcP256,
            Self::Rsa2048 => KeyAlgorithm::Rsa { bits: 2048 },
        }
    }
}

/// A public key only: the test CA needs nothing else to certify it.
pub(crate) struct PublicOnly {
    pub algorithm: KeyAlgorithm,
    pub spki_der: Vec<u8>,
}

impl RemoteSigner for PublicOnly {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm.clone()
    }
    fn public_key_spki_der(&self) -> Vec<u8> {
        self.spki_der.clone()
    }
    fn sign_digest(&self, _: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::Unsupported("public key only".to_owned()))
    }
}

/// Makes the customer's key on a token with `pkcs11-tool` (`p11`, logged
/// in: `CKA_ID` 01, label `old-key`) and writes a certificate for it
/// (`old-cert`) from a fresh test CA that expires in `days_left` days. The
/// CA's key and root (`ca.key`, `ca.der`) and the certificate (`old.der`) go
/// into `dir`. The one recipe for both test tokens.
///
/// # Panics
/// When a tool or the CA fails.
pub(crate) fn put_customer_key(
    p11: impl Fn(&[&str]) -> String,
    dir: &Path,
    key: CustomerKey,
    days_left: i64,
) {
    p11(&[
        "--keypairgen",
        "--key-type",
        key.key_type(),
        "--id",
        "01",
        "--label",
        "old-key",
    ]);
    let public = dir.join("old-pub.der");
    p11(&[
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "01",
        "-o",
        path(&public),
    ]);
    let ca = TestCa::new(CA_NAME).expect("test CA");
    let (ca_key, root) = ca.export().expect("export CA");
    write(&dir.join("ca.key"), &ca_key);
    write(&dir.join("ca.der"), &root);
    let old = ca
        .issue_for_subject(
            &CustomerSubject {
                unit_name: UNIT_NAME.to_owned(),
                uscc: USCC.to_owned(),
            },
            &PublicOnly {
                algorithm: key.algorithm(),
                spki_der: std::fs::read(&public).expect("public key"),
            },
            days_left,
        )
        .expect("customer certificate");
    let old_path = dir.join("old.der");
    write(&old_path, &old);
    p11(&[
        "--write-object",
        path(&old_path),
        "--type",
        "cert",
        "--id",
        "01",
        "--label",
        "old-cert",
    ]);
}

/// What a test needs of any test token, whichever PKCS#11 implementation
/// holds it.
pub trait Pkcs11TestToken: std::fmt::Debug {
    /// "SoftHSM2 (EC:prime256v1)", "opencryptoki (rsa:2048)": for messages.
    fn name(&self) -> String;
    /// Where the CA (`ca.key`, `ca.der`), the old certificate (`old.der`)
    /// and anything else of the test live.
    fn dir(&self) -> &Path;
    /// The PKCS#11 module path.
    fn module(&self) -> &'static str;
    /// The token label.
    fn label(&self) -> &'static str;
    /// The user PIN.
    fn pin(&self) -> &'static str;
    /// The customer's key, as made by [`Implementation::with_certificate`].
    fn customer_key(&self) -> CustomerKey;
    /// Environment for a kiosk process using this token.
    fn env(&self) -> Vec<(&'static str, String)>;
    /// Runs a tool with this token's environment; its stdout.
    fn tool(&self, program: &str, args: &[&str]) -> String;
    /// `pkcs11-tool` on this token, logged in with the user PIN; its stdout.
    fn p11(&self, args: &[&str]) -> String;
    /// Objects as `pkcs11-tool --list-objects` shows them: (type, label).
    fn objects(&self) -> Vec<(String, String)>;
    /// Labels of the objects whose type starts with `kind`.
    fn labels(&self, kind: &str) -> Vec<String> {
        self.objects()
            .into_iter()
            .filter(|(k, _)| k.starts_with(kind))
            .map(|(_, l)| l)
            .collect()
    }
}

/// One PKCS#11 implementation with one kind of customer key, for tests that
/// run "for each implementation".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Implementation {
    SoftHsm2(CustomerKey),
    /// RSA only: the soft token makes no EC keys.
    OpenCryptoki,
}

impl Implementation {
    /// Every implementation and customer key the tests cover.
    pub const ALL: [Self; 3] = [
        Self::SoftHsm2(CustomerKey::EcP256),
        Self::SoftHsm2(CustomerKey::Rsa2048),
        Self::OpenCryptoki,
    ];

    #[must_use]
    pub fn customer_key(self) -> CustomerKey {
        match self {
            Self::SoftHsm2(key) => key,
            Self::OpenCryptoki => CustomerKey::Rsa2048,
        }
    }

    #[must_use]
    pub fn name(self) -> String {
        let key = self.customer_key().key_type();
        match self {
            Self::SoftHsm2(_) => format!("SoftHSM2 ({key})"),
            Self::OpenCryptoki => format!("opencryptoki ({key})"),
        }
    }

    /// A token with the customer's key and a certificate for it that
    /// expires in `days_left` days (opencryptoki: waits for the lock first).
    ///
    /// # Panics
    /// When the token cannot be made (the message says what is missing).
    #[must_use]
    pub fn with_certificate(self, days_left: i64) -> Box<dyn Pkcs11TestToken> {
        match self {
            Self::SoftHsm2(key) => {
                Box::new(softhsm::TestToken::with_key_certificate(key, days_left))
            }
            Self::OpenCryptoki => Box::new(TestToken::with_certificate(days_left)),
        }
    }

    /// An initialised token with the user PIN and nothing on it.
    ///
    /// # Panics
    /// When the token cannot be made.
    #[must_use]
    pub fn blank(self) -> Box<dyn Pkcs11TestToken> {
        match self {
            Self::SoftHsm2(_) => Box::new(softhsm::TestToken::blank()),
            Self::OpenCryptoki => Box::new(TestToken::blank()),
        }
    }
}

impl Pkcs11TestToken for softhsm::TestToken {
    fn name(&self) -> String {
        Implementation::SoftHsm2(self.key).name()
    }
    fn dir(&self) -> &Path {
        &self.dir
    }
    fn module(&self) -> &'static str {
        softhsm::MODULE
    }
    fn label(&self) -> &'static str {
        softhsm::LABEL
    }
    fn pin(&self) -> &'static str {
        softhsm::PIN
    }
    fn customer_key(&self) -> CustomerKey {
        self.key
    }
    fn env(&self) -> Vec<(&'static str, String)> {
        softhsm::TestToken::env(self)
    }
    fn tool(&self, program: &str, args: &[&str]) -> String {
        softhsm::TestToken::tool(self, program, args)
    }
    fn p11(&self, args: &[&str]) -> String {
        softhsm::TestToken::p11(self, args)
    }
    fn objects(&self) -> Vec<(String, String)> {
        softhsm::TestToken::objects(self)
    }
}

impl Pkcs11TestToken for TestToken {
    fn name(&self) -> String {
        Implementation::OpenCryptoki.name()
    }
    fn dir(&self) -> &Path {
        &self.dir
    }
    fn module(&self) -> &'static str {
        MODULE
    }
    fn label(&self) -> &'static str {
        LABEL
    }
    fn pin(&self) -> &'static str {
        PIN
    }
    fn customer_key(&self) -> CustomerKey {
        self.key
    }
    fn env(&self) -> Vec<(&'static str, String)> {
        TestToken::env(self)
    }
    fn tool(&self, program: &str, args: &[&str]) -> String {
        TestToken::tool(self, program, args)
    }
    fn p11(&self, args: &[&str]) -> String {
        TestToken::p11(self, args)
    }
    fn objects(&self) -> Vec<(String, String)> {
        TestToken::objects(self)
    }
}

/// The opencryptoki soft token, reset and set up for one test, and the CA,
/// in a temporary directory (removed when dropped). Holds the machine-wide
/// lock until dropped.
#[derive(Debug)]
pub struct TestToken {
    /// Held while the token is this test's ([`LOCK`]).
    _lock: File,
    _tmp: tempfile::TempDir,
    /// Where the CA (`ca.key`, `ca.der`), the old certificate and anything
    /// else of the test live.
    pub dir: PathBuf,
    /// The customer's key made by [`Self::with_certificate`].
    pub key: CustomerKey,
}

impl TestToken {
    /// A token with one customer key (RSA-2048, made on the token, `CKA_ID`
    /// 01, label `old-key`) and a certificate for it (`old-cert`) that
    /// expires in `days_left` days.
    ///
    /// # Panics
    /// When the machine cannot run opencryptoki (not root, package missing)
    /// or a tool fails.
    #[must_use]
    pub fn with_certificate(days_left: i64) -> Self {
        let token = Self::blank();
        put_customer_key(|args| token.p11(args), &token.dir, token.key, days_left);
        token
    }

    /// The soft token, reset and initialised with [`LABEL`], [`SO_PIN`] and
    /// [`PIN`], with nothing on it.
    ///
    /// # Panics
    /// As [`Self::with_certificate`].
    #[must_use]
    pub fn blank() -> Self {
        if let Err(missing) = check_machine() {
            panic!("opencryptoki test token: {missing}");
        }
        let lock = lock();
        reset_token();
        let tmp = tempfile::tempdir().expect("temp dir");
        let token = Self {
            _lock: lock,
            dir: tmp.path().to_owned(),
            _tmp: tmp,
            key: CustomerKey::Rsa2048,
        };
        token.initialise();
        token
    }

    fn slot_args() -> [String; 4] {
        [
            "--module".to_owned(),
            MODULE.to_owned(),
            "--slot".to_owned(),
            SLOT.to_string(),
        ]
    }

    /// `pkcs11-tool` on the slot, not logged in unless `args` say so.
    fn p11_slot(&self, args: &[&str]) -> String {
        let slot = Self::slot_args();
        let mut all: Vec<&str> = slot.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        self.tool("pkcs11-tool", &all)
    }

    fn initialise(&self) {
        self.p11_slot(&["--init-token", "--label", LABEL, "--so-pin", DEFAULT_SO_PIN]);
        // Both PINs are "to be changed" until changed once.
        self.p11_slot(&[
            "--login",
            "--login-type",
            "so",
            "--so-pin",
            DEFAULT_SO_PIN,
            "--change-pin",
            "--new-pin",
            SO_PIN,
        ]);
        self.p11_slot(&[
            "--login",
            "--login-type",
            "so",
            "--so-pin",
            SO_PIN,
            "--init-pin",
            "--new-pin",
            FIRST_PIN,
        ]);
        self.p11_slot(&[
            "--login",
            "--pin",
            FIRST_PIN,
            "--change-pin",
            "--new-pin",
            PIN,
        ]);
    }

    /// Runs a tool (nothing to add to its environment: the token is the
    /// daemon's); its stdout.
    ///
    /// # Panics
    /// When the tool is missing or fails.
    pub fn tool(&self, program: &str, args: &[&str]) -> String {
        run(program, args)
    }

    /// `pkcs11-tool` on this token, logged in with the user PIN; its stdout.
    pub fn p11(&self, args: &[&str]) -> String {
        let slot = Self::slot_args();
        let mut all: Vec<&str> = slot.iter().map(String::as_str).collect();
        all.extend_from_slice(&["--login", "--pin", PIN]);
        all.extend_from_slice(args);
        self.tool("pkcs11-tool", &all)
    }

    /// Objects as `pkcs11-tool --list-objects` shows them: (type, label).
    #[must_use]
    pub fn objects(&self) -> Vec<(String, String)> {
        softhsm::parse_objects(&self.p11(&["--list-objects"]))
    }

    /// Labels of the objects whose type starts with `kind` ("Private Key",
    /// "Public Key", "Certificate", "Data object").
    #[must_use]
    pub fn labels(&self, kind: &str) -> Vec<String> {
        Pkcs11TestToken::labels(self, kind)
    }

    /// Environment for a kiosk process using this token: only this module.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("KIOSK_PKCS11_MODULES", MODULE.to_owned())]
    }

    /// The module path (as [`crate::softhsm::TestToken`] has [`softhsm::MODULE`]).
    #[must_use]
    pub fn module(&self) -> &'static str {
        MODULE
    }
}

/// Whether this machine can run the fixture: root, the package, OpenSC.
///
/// # Errors
/// What is missing, in words.
pub fn check_machine() -> Result<(), String> {
    let mut missing = Vec::new();
    if !is_root() {
        missing.push(
            "root (pkcsslotd and the machine-wide token need it; the CI machine runs as root)"
                .to_owned(),
        );
    }
    for (file, what) in [
        (DAEMON, "the Debian package `opencryptoki` (pkcsslotd)"),
        (
            MODULE,
            "the Debian package `opencryptoki` (its PKCS#11 module)",
        ),
        (
            "/usr/lib/x86_64-linux-gnu/opencryptoki/stdll/libpkcs11_sw.so",
            "the Debian package `opencryptoki` (its soft token)",
        ),
        (
            "/usr/bin/pkcs11-tool",
            "the Debian package `opensc` (pkcs11-tool)",
        ),
    ] {
        if !Path::new(file).exists() && !missing.iter().any(|m| m == what) {
            missing.push(what.to_owned());
        }
    }
    let hint = if missing.iter().any(|m| m.contains("package")) {
        " (scripts/bootstrap.sh installs the packages)"
    } else {
        ""
    };
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing {}{hint}", missing.join(", ")))
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Takes the machine-wide lock (waits while another test holds it).
fn lock() -> File {
    let lock_path = Path::new(LOCK);
    if let Some(dir) = lock_path.parent() {
        std::fs::create_dir_all(dir).expect("lock directory");
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)
        .unwrap_or_else(|e| panic!("cannot open {LOCK}: {e}"));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {LOCK}: {e}"));
    file
}

/// Stops the daemon, empties the token, starts the daemon again: the token
/// is blank, with the default SO PIN.
fn reset_token() {
    configure();
    stop_daemon();
    let dir = Path::new(TOKEN_DIR);
    let group = std::fs::metadata(dir)
        .unwrap_or_else(|e| panic!("{TOKEN_DIR}: {e}"))
        .gid();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{TOKEN_DIR}: {e}")) {
        let p = entry.expect("token directory entry").path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        }
        .unwrap_or_else(|e| panic!("cannot remove {}: {e}", p.display()));
    }
    // The object directory must be there (the daemon does not make it), and
    // the shared memory must go (it keeps the old object index).
    make_dir(&dir.join("TOK_OBJ"), group);
    match std::fs::remove_file(TOKEN_SHM) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot remove {TOKEN_SHM}: {e}"),
    }
    start_daemon(group);
}

/// Keeps only the soft token in the configuration.
fn configure() {
    let now = std::fs::read_to_string(CONF).unwrap_or_default();
    if now != WANTED_CONF {
        // The daemon reads it at start: stopped before the next start anyway.
        write(Path::new(CONF), WANTED_CONF.as_bytes());
    }
}

fn make_dir(dir: &Path, group: u32) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
    std::os::unix::fs::chown(dir, None, Some(group))
        .unwrap_or_else(|e| panic!("cannot chown {}: {e}", dir.display()));
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o770))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", dir.display()));
}

/// Process ids of running `pkcsslotd`s (zombies do not count).
fn daemons() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // "pid (comm) state ...".
            let Some((comm, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") "))
            else {
                return false;
            };
            comm == "pkcsslotd" && !rest.starts_with('Z') && !rest.starts_with('X')
        })
        .collect()
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "opencryptoki: {what} timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop_daemon() {
    for pid in daemons() {
        run("kill", &["-TERM", &pid.to_string()]);
    }
    wait_until("stopping pkcsslotd", Duration::from_secs(20), || {
        daemons().is_empty()
    });
}

fn start_daemon(group: u32) {
    for dir in RUN_DIRS {
        make_dir(Path::new(dir), group);
    }
    // It forks into the background; the foreground process returns.
    run(DAEMON, &[]);
    wait_until("starting pkcsslotd", Duration::from_secs(20), || {
        Command::new("pkcs11-tool")
            .args(["--module", MODULE, "--list-slots"])
            .output()
            .is_ok_and(|o| {
                o.status.success()
                    && String::from_utf8_lossy(&o.stdout).contains(&format!("(0x{SLOT:x})"))
            })
    });
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} could not start ({e}): is it installed?"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
