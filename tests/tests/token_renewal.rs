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

use kiosk_tests::softhsm::{PIN, TestToken, path};
use std::ops::Deref;
use std::process::{Command, Output};

const ACTIONS: [&str; 5] = [
    "GenerateKeyPair",
    "RequestCertificate",
    "VerifyCertificate",
    "WriteCertificate",
    "RetireOldCertificate",
];

/// A test token with the kiosk's data beside it.
struct Kiosk(TestToken);

impl Deref for Kiosk {
    type Target = TestToken;
    fn deref(&self) -> &TestToken {
        &self.0
    }
}

impl Kiosk {
    /// A token whose certificate expires in 20 days (renewable now).
    fn new() -> Self {
        Self(TestToken::with_certificate(20))
    }

    /// Runs the kiosk once with extra environment.
    fn run(&self, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_token_renewal"));
        cmd.arg(&self.dir)
            .envs(self.env())
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
