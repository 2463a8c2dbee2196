//! Renewals on a real PKCS#11 token (SoftHSM2), set up and checked with
//! OpenSC's `pkcs11-tool` and `openssl`, driven by `token_renewal` (the flow,
//! the real store, the token driver and a local CA):
//!
//! - the process is aborted right after each install step in turn, then
//!   restarted: every run ends with exactly one new key pair and its
//!   certificate on the token, the old certificate and key kept;
//! - each step fails once with a token error: the customer retries (PIN
//!   again) and the renewal finishes;
//! - the key pair of an interrupted attempt disappears: a new attempt starts
//!   and the abandoned key is removed;
//! - with every log at TRACE, the PIN appears in no output and no file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use kiosk_x509::test_ca::{CustomerSubject, TestCa};
use kiosk_x509::{KeyAlgorithm, RemoteSigner, SignerError};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "KIOSK-KEY";
const SO_PIN: &str = "87654321";
/// Digits that appear nowhere else, so a search for them means something.
const PIN: &str = "468213";
const CA_NAME: &str = "Kiosk Test CA";
const ACTIONS: [&str; 5] = [
    "GenerateKeyPair",
    "RequestCertificate",
    "VerifyCertificate",
    "WriteCertificate",
    "RetireOldCertificate",
];

/// A public key only: the test CA needs nothing else to certify it.
struct PublicOnly(Vec<u8>);

impl RemoteSigner for PublicOnly {
    fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::EcP256
    }
    fn public_key_spki_der(&self) -> Vec<u8> {
        self.0.clone()
    }
    fn sign_digest(&self, _: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::Unsupported("public key only".to_owned()))
    }
}

struct Kiosk {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    conf: PathBuf,
}

impl Kiosk {
    /// A token with one customer key and its certificate, inside the renewal
    /// window (it expires in 20 days), and a CA.
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_owned();
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let kiosk = Self {
            _tmp: tmp,
            dir,
            conf,
        };
        kiosk.tool(
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
        kiosk.p11(&[
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--id",
            "01",
            "--label",
            "old-key",
        ]);
        let public = kiosk.dir.join("old-pub.der");
        kiosk.p11(&[
            "--read-object",
            "--type",
            "pubkey",
            "--id",
            "01",
            "-o",
            path(&public),
        ]);

        let ca = TestCa::new(CA_NAME).unwrap();
        let (key, root) = ca.export().unwrap();
        std::fs::write(kiosk.dir.join("ca.key"), key).unwrap();
        std::fs::write(kiosk.dir.join("ca.der"), &root).unwrap();
        let old = ca
            .issue_for_subject(
                &CustomerSubject {
                    unit_name: "山西示例煤业有限公司".to_owned(),
                    uscc: "91110108551385082Q".to_owned(),
                },
                &PublicOnly(std::fs::read(&public).unwrap()),
                20,
            )
            .unwrap();
        let old_path = kiosk.dir.join("old.der");
        std::fs::write(&old_path, old).unwrap();
        kiosk.p11(&[
            "--write-object",
            path(&old_path),
            "--type",
            "cert",
            "--id",
            "01",
            "--label",
            "old-cert",
        ]);
        kiosk
    }

    fn tool(&self, program: &str, args: &[&str]) -> String {
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

    /// `pkcs11-tool` on the test token, logged in.
    fn p11(&self, args: &[&str]) -> String {
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

    /// Runs the kiosk once with extra environment.
    fn run(&self, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_token_renewal"));
        cmd.arg(&self.dir)
            .env("SOFTHSM2_CONF", &self.conf)
            .env("KIOSK_PKCS11_MODULES", MODULE)
            .env("TEST_PIN", PIN)
            .env("KIOSK_LOG", "trace");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Runs until the renewal is done (at most `runs` times).
    fn run_to_done(&self, env: &[(&str, &str)], runs: usize) -> Vec<Output> {
        let mut outputs = Vec::new();
        for _ in 0..runs {
            let out = self.run(env);
            let done = String::from_utf8_lossy(&out.stdout).contains("\ndone ");
            outputs.push(out);
            if done {
                return outputs;
            }
        }
        let last = outputs.last().unwrap();
        panic!(
            "not done after {runs} runs:\n{}\n{}",
            String::from_utf8_lossy(&last.stdout),
            String::from_utf8_lossy(&last.stderr)
        );
    }

    /// Objects on the token as `pkcs11-tool --list-objects` shows them:
    /// (type line, label).
    fn objects(&self) -> Vec<(String, String)> {
        let listing = self.p11(&["--list-objects"]);
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

    fn labels(&self, kind: &str) -> Vec<String> {
        self.objects()
            .into_iter()
            .filter(|(k, _)| k.starts_with(kind))
            .map(|(_, l)| l)
            .collect()
    }

    /// Everything the run left on disk, for the PIN search.
    fn all_files(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut stack = vec![self.dir.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    bytes.extend(std::fs::read(&p).unwrap());
                }
            }
        }
        bytes
    }

    /// The renewal ended well: one new key pair and its certificate, which
    /// chains to the CA and carries the new key; the old ones kept.
    fn check_renewed(&self) {
        let privs = self.labels("Private Key");
        let renew_keys: Vec<_> = privs.iter().filter(|l| l.starts_with("renew:")).collect();
        assert_eq!(renew_keys.len(), 1, "exactly one new key pair: {privs:?}");
        assert!(
            privs.contains(&"old-key".to_owned()),
            "old key kept: {privs:?}"
        );
        let certs = self.labels("Certificate");
        assert!(
            certs.contains(&"superseded:old-cert".to_owned()),
            "old certificate kept: {certs:?}"
        );
        let new_certs: Vec<_> = certs.iter().filter(|l| l.starts_with("cert:")).collect();
        assert_eq!(new_certs.len(), 1, "exactly one new certificate: {certs:?}");

        // The certificate's public key is the token's new public key, and it
        // chains to the CA (openssl, not our own code, says so).
        let new_der = self.dir.join("new.der");
        self.p11(&[
            "--read-object",
            "--type",
            "cert",
            "--label",
            new_certs[0],
            "-o",
            path(&new_der),
        ]);
        let root_pem = self.dir.join("root.pem");
        let new_pem = self.dir.join("new.pem");
        std::fs::write(
            &root_pem,
            pem(&std::fs::read(self.dir.join("ca.der")).unwrap()),
        )
        .unwrap();
        std::fs::write(&new_pem, pem(&std::fs::read(&new_der).unwrap())).unwrap();
        let verify = self.tool(
            "openssl",
            &["verify", "-CAfile", path(&root_pem), path(&new_pem)],
        );
        assert!(verify.contains(": OK"), "{verify}");
        let key_pub = self.dir.join("new-pub.der");
        self.p11(&[
            "--read-object",
            "--type",
            "pubkey",
            "--label",
            renew_keys[0],
            "-o",
            path(&key_pub),
        ]);
        let cert_pub = self.tool(
            "openssl",
            &["x509", "-in", path(&new_pem), "-pubkey", "-noout"],
        );
        let token_pub = self.tool(
            "openssl",
            &["pkey", "-pubin", "-inform", "DER", "-in", path(&key_pub)],
        );
        assert_eq!(
            cert_pub.trim(),
            token_pub.trim(),
            "certificate carries the token's new key"
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn pem(der: &[u8]) -> String {
    kiosk_x509::test_ca::pem("CERTIFICATE", der)
}

fn text(outputs: &[Output]) -> String {
    outputs
        .iter()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        })
        .collect()
}

#[test]
fn a_renewal_killed_after_each_install_step_ends_with_one_new_key_and_certificate() {
    for action in ACTIONS {
        let kiosk = Kiosk::new();
        let outputs = kiosk.run_to_done(&[("KILL_AFTER", action)], 5);
        assert!(
            !outputs[0].status.success(),
            "the first run should have been cut after {action}"
        );
        kiosk.check_renewed();
    }
}

#[test]
fn a_step_that_fails_once_is_retried_after_the_pin_and_finishes() {
    for action in ACTIONS {
        let kiosk = Kiosk::new();
        let outputs = kiosk.run_to_done(&[("FAIL_AT", action)], 1);
        let all = text(&outputs);
        assert!(all.contains("pending TokenError"), "{action}: {all}");
        kiosk.check_renewed();
    }
}

#[test]
fn a_lost_key_pair_starts_a_new_attempt_and_the_abandoned_key_is_removed() {
    let kiosk = Kiosk::new();
    let first = kiosk.run(&[("KILL_AFTER", "RequestCertificate")]);
    assert!(!first.status.success());
    // The attempt's key pair vanishes (a token reset, a vendor tool...).
    let label = kiosk
        .labels("Private Key")
        .into_iter()
        .find(|l| l.starts_with("renew:"))
        .unwrap();
    kiosk.p11(&["--delete-object", "--type", "privkey", "--label", &label]);
    let outputs = kiosk.run_to_done(&[], 2);
    assert!(text(&outputs).contains("pending KeyPairMissing"));
    kiosk.check_renewed();
    let keys = kiosk.labels("Private Key");
    assert!(
        keys.iter().any(|l| l.ends_with(":2")),
        "a second attempt: {keys:?}"
    );
    // The first attempt's public key half is gone too.
    let publics = kiosk.labels("Public Key");
    assert!(
        !publics.contains(&label),
        "abandoned key removed: {publics:?}"
    );
}

#[test]
fn the_pin_appears_in_no_log_and_no_file() {
    let kiosk = Kiosk::new();
    let outputs = kiosk.run_to_done(&[("FAIL_AT", "WriteCertificate")], 1);
    kiosk.check_renewed();
    let logs = text(&outputs);
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "logging was on"
    );
    assert!(!logs.contains(PIN), "the PIN is in the output");
    let files = kiosk.all_files();
    let needle = PIN.as_bytes();
    assert!(
        !files.windows(needle.len()).any(|w| w == needle),
        "the PIN is in a file the kiosk wrote"
    );
}
