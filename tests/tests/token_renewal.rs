//! Renewals on real PKCS#11 tokens (SoftHSM2 with an EC and an RSA customer
//! key, and opencryptoki's soft token, RSA only), through the kiosk's
//! production runtime and executors (`kiosk_runner`: the real store, the
//! token driver, the reference CA over HTTP), set up and checked with
//! OpenSC's `pkcs11-tool` and `openssl`:
//!
//! - the process is aborted right before the journal records each install
//!   step in turn (the step ran, the kiosk never knew), and right after the
//!   CA issued; restarted, every run ends with exactly one new key pair and
//!   its certificate on the token, like the old one, the old ones kept;
//! - a token call fails once: the customer presses 重新安装, types the PIN
//!   again, and the renewal finishes;
//! - the key pair of an interrupted attempt disappears: a new attempt
//!   starts and the abandoned key is removed;
//! - with every log at TRACE, the PIN appears in no output and no file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use kiosk_tests::opencryptoki::{CustomerKey, Implementation, Pkcs11TestToken};
use kiosk_tests::softhsm::path;
use kiosk_tests::world::{ReferenceCa, kiosk_config};
use std::path::PathBuf;
use std::process::{Command, Output};

/// The install steps, as the journal records them.
const STEPS: [&str; 5] = [
    "KeyPairGenerated",
    "RequestSent",
    "CertificateVerified",
    "CertificateWritten",
    "OldCertificateRetired",
];

/// The token calls of each install step, failed once in turn.
const TOKEN_CALLS: [&str; 5] = [
    "generate_key_pair",
    "sign_digest",
    "find_key_pair",
    "write_certificate",
    "retire_certificate",
];

/// A test token, the reference CA issuing from its CA, and the kiosk's
/// configuration beside them.
struct Kiosk {
    token: Box<dyn Pkcs11TestToken>,
    ca: ReferenceCa,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Kiosk {
    /// A token whose certificate expires in 20 days (renewable now).
    fn new(implementation: Implementation) -> Self {
        let token = implementation.with_certificate(20);
        let tmp = tempfile::tempdir().unwrap();
        let ca = ReferenceCa::start(&tmp.path().join("ca"), Some(token.dir())).unwrap();
        kiosk_config(tmp.path(), token.as_ref(), &ca.url, "").unwrap();
        Self {
            token,
            ca,
            dir: tmp.path().to_owned(),
            _tmp: tmp,
        }
    }

    /// Runs the kiosk once with extra environment.
    fn run(&self, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosk_runner"));
        cmd.arg(&self.dir)
            .envs(self.token.env())
            .env("TEST_PIN", self.token.pin())
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
        for (i, o) in outputs.iter().enumerate() {
            let _ = std::fs::write(
                std::env::temp_dir().join(format!("kiosk-runner-{i}.log")),
                [o.stdout.clone(), o.stderr.clone()].concat(),
            );
        }
        let last = outputs.last().unwrap();
        panic!(
            "{}: not done after {runs} runs:\n{}\n{}",
            self.token.name(),
            String::from_utf8_lossy(&last.stdout),
            tail(&String::from_utf8_lossy(&last.stderr))
        );
    }

    /// Everything the run left on disk, for the PIN search.
    fn all_files(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut stack = vec![self.dir.clone(), self.token.dir().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    bytes.extend(std::fs::read(&p).unwrap_or_default());
                }
            }
        }
        bytes
    }

    /// The renewal ended well: one new key pair like the old one and its
    /// certificate, which chains to the CA and carries the new key; the old
    /// ones kept; the CA issued one certificate.
    fn check_renewed(&self) {
        let name = self.token.name();
        let privs = self.token.labels("Private Key");
        let renew_keys: Vec<_> = privs.iter().filter(|l| l.starts_with("renew:")).collect();
        assert_eq!(renew_keys.len(), 1, "{name}: one new key pair: {privs:?}");
        assert!(
            privs.contains(&"old-key".to_owned()),
            "{name}: old key kept: {privs:?}"
        );
        let certs = self.token.labels("Certificate");
        assert!(
            certs.contains(&"superseded:old-cert".to_owned()),
            "{name}: old certificate kept: {certs:?}"
        );
        let new_certs: Vec<_> = certs.iter().filter(|l| l.starts_with("cert:")).collect();
        assert_eq!(new_certs.len(), 1, "{name}: one new certificate: {certs:?}");

        // The certificate's public key is the token's new public key, of the
        // old key's kind, and it chains to the CA (openssl says so).
        let dir = self.token.dir();
        let new_der = dir.join("new.der");
        self.token.p11(&[
            "--read-object",
            "--type",
            "cert",
            "--label",
            new_certs[0],
            "-o",
            path(&new_der),
        ]);
        let root_pem = dir.join("root.pem");
        let new_pem = dir.join("new.pem");
        std::fs::write(&root_pem, pem(&std::fs::read(dir.join("ca.der")).unwrap())).unwrap();
        std::fs::write(&new_pem, pem(&std::fs::read(&new_der).unwrap())).unwrap();
        let verify = self.token.tool(
            "openssl",
            &["verify", "-CAfile", path(&root_pem), path(&new_pem)],
        );
        assert!(verify.contains(": OK"), "{name}: {verify}");
        let text = self.token.tool(
            "openssl",
            &["x509", "-in", path(&new_pem), "-noout", "-text"],
        );
        let like_old = match self.token.customer_key() {
            CustomerKey::EcP256 => text.contains("prime256v1"),
            CustomerKey::Rsa2048 => text.contains("2048 bit"),
        };
        assert!(like_old, "{name}: the new key is like the old one:\n{text}");
        let key_pub = dir.join("new-pub.der");
        self.token.p11(&[
            "--read-object",
            "--type",
            "pubkey",
            "--label",
            renew_keys[0],
            "-o",
            path(&key_pub),
        ]);
        let cert_pub = self.token.tool(
            "openssl",
            &["x509", "-in", path(&new_pem), "-pubkey", "-noout"],
        );
        let token_pub = self.token.tool(
            "openssl",
            &["pkey", "-pubin", "-inform", "DER", "-in", path(&key_pub)],
        );
        assert_eq!(
            cert_pub.trim(),
            token_pub.trim(),
            "{name}: the certificate carries the token's new key"
        );
        assert_eq!(self.ca.service.issued_count(), 1, "{name}: issued once");
    }
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

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(" TRACE ") && !l.contains(" DEBUG "))
        .collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[test]
fn a_renewal_cut_before_each_step_is_recorded_ends_with_one_new_key_and_certificate() {
    for implementation in Implementation::ALL {
        for step in STEPS {
            let kiosk = Kiosk::new(implementation);
            let outputs = kiosk.run_to_done(&[("KILL_BEFORE_RECORDING", step)], 5);
            assert!(
                !outputs[0].status.success() && text(&outputs[..1]).contains("killed before"),
                "{}: the first run should have been cut before recording {step}",
                implementation.name()
            );
            kiosk.check_renewed();
        }
    }
}

#[test]
fn a_renewal_cut_when_the_ca_answered_is_finished_with_that_answer() {
    for implementation in Implementation::ALL {
        let kiosk = Kiosk::new(implementation);
        let outputs = kiosk.run_to_done(&[("KILL_AFTER_ISSUING", "1")], 5);
        assert!(text(&outputs[..1]).contains("killed after the CA issued"));
        // check_renewed: the CA issued once, the kiosk asked for its answer.
        kiosk.check_renewed();
    }
}

#[test]
fn a_token_call_that_fails_once_is_retried_after_the_pin_and_finishes() {
    for call in TOKEN_CALLS {
        let kiosk = Kiosk::new(Implementation::SoftHsm2(CustomerKey::EcP256));
        let outputs = kiosk.run_to_done(&[("FAIL_ONCE", call)], 1);
        let all = text(&outputs);
        assert!(all.contains("pending TokenError"), "{call}: {}", tail(&all));
        kiosk.check_renewed();
    }
}

#[test]
fn a_lost_key_pair_starts_a_new_attempt_and_the_abandoned_key_is_removed() {
    for implementation in [
        Implementation::SoftHsm2(CustomerKey::EcP256),
        Implementation::OpenCryptoki,
    ] {
        let kiosk = Kiosk::new(implementation);
        let first = kiosk.run(&[("KILL_BEFORE_RECORDING", "RequestSent")]);
        assert!(!first.status.success());
        // The attempt's key pair vanishes (a token reset, a vendor tool...).
        let label = kiosk
            .token
            .labels("Private Key")
            .into_iter()
            .find(|l| l.starts_with("renew:"))
            .unwrap();
        kiosk
            .token
            .p11(&["--delete-object", "--type", "privkey", "--label", &label]);
        let outputs = kiosk.run_to_done(&[], 2);
        assert!(
            text(&outputs).contains("pending KeyPairMissing"),
            "{}",
            tail(&text(&outputs))
        );
        let keys = kiosk.token.labels("Private Key");
        assert!(
            keys.iter().any(|l| l.ends_with(":2")),
            "a second attempt: {keys:?}"
        );
        // The first attempt's public key half is gone too.
        let publics = kiosk.token.labels("Public Key");
        assert!(
            !publics.contains(&label),
            "abandoned key removed: {publics:?}"
        );
        // The CA issued for the first attempt and then the second: the
        // first one's key pair is gone, so its certificate can never be used.
        let privs = kiosk.token.labels("Private Key");
        assert_eq!(
            privs.iter().filter(|l| l.starts_with("renew:")).count(),
            1,
            "{privs:?}"
        );
    }
}

#[test]
fn the_pin_appears_in_no_log_and_no_file() {
    let kiosk = Kiosk::new(Implementation::SoftHsm2(CustomerKey::EcP256));
    let outputs = kiosk.run_to_done(&[("FAIL_ONCE", "write_certificate")], 1);
    kiosk.check_renewed();
    let logs = text(&outputs);
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "logging was on"
    );
    let pin = kiosk.token.pin();
    assert!(!logs.contains(pin), "the PIN is in the output");
    let files = kiosk.all_files();
    let needle = pin.as_bytes();
    assert!(
        !files.windows(needle.len()).any(|w| w == needle),
        "the PIN is in a file the kiosk wrote"
    );
}
