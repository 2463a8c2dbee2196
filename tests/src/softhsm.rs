//! A real PKCS#11 token for tests: a SoftHSM2 token in a temporary directory
//! with one customer key (P-256 or RSA-2048, made on the token by OpenSC's
//! `pkcs11-tool`) and its certificate from a local CA, inside the renewal
//! window. [`crate::opencryptoki`] has the same for opencryptoki, and the
//! trait and enum that make a test generic over both.
#![allow(
    clippy::expect_used,
    reason = "test fixture: when the token cannot be made, the test cannot run, and says why"
)]

use crate::opencryptoki::{CustomerKey, put_customer_key};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const LABEL: &str = "KIOSK-KEY";
pub const SO_PIN: &str = "87654321";
/// Digits that appear nowhere else, so a search for them means something.
pub const PIN: &str = "468213";
pub const CA_NAME: &str = "Kiosk Test CA";
pub const UNIT_NAME: &str = "山西示例煤业有限公司";
pub const USCC: &str = "91110108551385082Q";

/// The token, its configuration and the CA, all in one temporary directory
/// (removed when dropped).
#[derive(Debug)]
pub struct TestToken {
    _tmp: tempfile::TempDir,
    /// Where the token, the CA (`ca.key`, `ca.der`) and anything else live.
    pub dir: PathBuf,
    /// The SoftHSM2 configuration: pass as `SOFTHSM2_CONF`.
    pub conf: PathBuf,
    /// The customer's key made by [`Self::with_certificate`] (P-256) or
    /// [`Self::with_key_certificate`].
    pub key: CustomerKey,
}

impl TestToken {
    /// A token with one customer key (P-256, `CKA_ID` 01, label `old-key`)
    /// and a certificate for it (`old-cert`) that expires in `days_left` days.
    ///
    /// # Panics
    /// When `softhsm2-util`, `pkcs11-tool` or the CA fail: the test cannot run.
    #[must_use]
    pub fn with_certificate(days_left: i64) -> Self {
        Self::with_key_certificate(CustomerKey::EcP256, days_left)
    }

    /// As [`Self::with_certificate`], with a customer key of this kind.
    ///
    /// # Panics
    /// As [`Self::with_certificate`].
    #[must_use]
    pub fn with_key_certificate(key: CustomerKey, days_left: i64) -> Self {
        let mut token = Self::blank();
        token.key = key;
        put_customer_key(|args| token.p11(args), &token.dir, key, days_left);
        token
    }

    /// An initialised token with a user PIN and nothing on it (a blank key
    /// that staff have prepared).
    ///
    /// # Panics
    /// When `softhsm2-util` fails.
    #[must_use]
    pub fn blank() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_owned();
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).expect("token dir");
        let conf = dir.join("softhsm2.conf");
        write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            )
            .as_bytes(),
        );
        let token = Self {
            _tmp: tmp,
            dir,
            conf,
            key: CustomerKey::EcP256,
        };
        token.tool(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                LABEL,
                "--so-pin",
                SO_PIN,
                "--pin",
                PIN,
            ],
        );
        token
    }

    /// Runs a tool with this token's configuration; its stdout.
    ///
    /// # Panics
    /// When the tool is missing or fails.
    pub fn tool(&self, program: &str, args: &[&str]) -> String {
        let out = Command::new(program)
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| panic!("{program} could not start ({e}): is it installed?"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `pkcs11-tool` on this token, logged in with the user PIN; its stdout.
    pub fn p11(&self, args: &[&str]) -> String {
        let mut all = vec![
            "--module",
            MODULE,
            "--token-label",
            LABEL,
            "--login",
            "--pin",
            PIN,
        ];
        all.extend_from_slice(args);
        self.tool("pkcs11-tool", &all)
    }

    /// Objects as `pkcs11-tool --list-objects` shows them: (type, label).
    #[must_use]
    pub fn objects(&self) -> Vec<(String, String)> {
        parse_objects(&self.p11(&["--list-objects"]))
    }

    /// Labels of the objects whose type starts with `kind` ("Private Key",
    /// "Public Key", "Certificate", "Data object").
    #[must_use]
    pub fn labels(&self, kind: &str) -> Vec<String> {
        self.objects()
            .into_iter()
            .filter(|(k, _)| k.starts_with(kind))
            .map(|(_, l)| l)
            .collect()
    }

    /// Environment for a kiosk process using this token.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SOFTHSM2_CONF", self.conf.display().to_string()),
            ("KIOSK_PKCS11_MODULES", MODULE.to_owned()),
        ]
    }
}

/// `pkcs11-tool --list-objects` as (type, label) pairs.
#[must_use]
pub fn parse_objects(listing: &str) -> Vec<(String, String)> {
    let mut objects = Vec::new();
    let mut kind = String::new();
    for line in listing.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            kind = line.split(';').next().unwrap_or_default().trim().to_owned();
        } else if let Some(label) = line.trim().strip_prefix("label:") {
            objects.push((kind.clone(), label.trim().to_owned()));
        }
    }
    objects
}

/// A path as the `&str` a command line takes.
///
/// # Panics
/// On a path that is not UTF-8 (temp dirs here always are).
#[must_use]
pub fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

pub(crate) fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The staff key's token label and PINs.
pub const STAFF_LABEL: &str = "STAFF-KEY";
pub const STAFF_SO_PIN: &str = "13572468";
/// Digits that appear nowhere else.
pub const STAFF_PIN: &str = "975310";

/// A member of staff's key beside the customer's, in the SoftHSM2 of
/// `SOFTHSM2_CONF` (a test child's): a second token with a P-256 key pair
/// made on it and a staff certificate for `name` with `roles`, valid from
/// `not_before` to `not_after`, from a fresh staff CA, which is returned
/// with the certificate.
///
/// # Panics
/// When `softhsm2-util`, `pkcs11-tool` or the CA fail.
#[must_use]
pub fn put_staff_key(
    dir: &Path,
    name: &str,
    roles: &[kiosk_x509::StaffRole],
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
) -> StaffKey {
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} could not start ({e}): is it installed?"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
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
    );
    let p11 = |args: &[&str]| {
        let mut all = vec![
            "--module",
            MODULE,
            "--token-label",
            STAFF_LABEL,
            "--login",
            "--pin",
            STAFF_PIN,
        ];
        all.extend_from_slice(args);
        run("pkcs11-tool", &all);
    };
    p11(&[
        "--keypairgen",
        "--key-type",
        "EC:prime256v1",
        "--id",
        "5a",
        "--label",
        "staff-key",
    ]);
    let public = dir.join("staff-pub.der");
    p11(&[
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "5a",
        "-o",
        path(&public),
    ]);
    let ca = kiosk_x509::test_ca::TestCa::new("Kiosk Staff CA").expect("staff CA");
    let certificate = ca
        .issue_staff(
            name,
            roles,
            &crate::opencryptoki::PublicOnly {
                algorithm: kiosk_x509::KeyAlgorithm::EcP256,
                spki_der: std::fs::read(&public).expect("staff public key"),
            },
            not_before,
            not_after,
        )
        .expect("staff certificate");
    let cert_path = dir.join("staff.der");
    write(&cert_path, &certificate);
    p11(&[
        "--write-object",
        path(&cert_path),
        "--type",
        "cert",
        "--id",
        "5a",
        "--label",
        "staff-cert",
    ]);
    StaffKey { ca, certificate }
}

/// A member of staff's key as [`put_staff_key`] made it.
#[derive(Debug)]
pub struct StaffKey {
    /// The staff CA (its root: `ca.root_der()`, for the kiosk's
    /// `[staff] ca_certificates`; its revocation lists: `ca.crl`).
    pub ca: kiosk_x509::test_ca::TestCa,
    /// The staff certificate on the key (DER).
    pub certificate: Vec<u8>,
}
