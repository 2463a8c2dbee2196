//! Each SoftHSM2 test runs in a child process of the test binary with its own
//! token directory: `SOFTHSM2_CONF` must be set before `C_Initialize`, and
//! (edition 2024) the environment of a running process cannot be changed
//! without `unsafe`. The parent makes the token and re-runs the one test.
//! The opencryptoki tests do the same ([`run_child`]): the parent resets the
//! machine-wide token and holds its lock, the child has a fresh module.

#![allow(dead_code, reason = "each test binary uses part of this")]

use kiosk_domain::ports::key_writer::KeyRef;
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const SO_PIN: &str = "87654321";
/// Distinctive, so the log test can look for them.
pub const USER_PIN: &str = "735194";
pub const WRONG_PIN: &str = "482613";

const CHILD: &str = "KIOSK_TOKEN_TEST_CHILD";

/// The token of the running test.
#[derive(Debug)]
pub struct TestToken {
    pub label: String,
    pub conf: PathBuf,
}

impl TestToken {
    pub fn writer(&self) -> Pkcs11KeyWriter {
        Pkcs11KeyWriter::open(WriterConfig {
            modules: vec![PathBuf::from(SOFTHSM)],
            profiles: vec![],
        })
        .unwrap()
    }

    pub fn key(&self, writer: &Pkcs11KeyWriter) -> KeyRef {
        writer.key_by_label(&self.label).unwrap()
    }
}

/// Runs `body` against a fresh token labelled `name` (the test's name).
pub fn with_token(name: &str, body: impl FnOnce(&TestToken)) {
    if is_child() {
        let conf = PathBuf::from(std::env::var_os("SOFTHSM2_CONF").unwrap());
        body(&TestToken {
            label: label_of(name),
            conf,
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = make_token(dir.path(), &label_of(name));
    run_child(name, &[("SOFTHSM2_CONF", conf.as_os_str())]);
}

/// This process is the child of [`run_child`].
pub fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the one test `name` again in a child process of the test binary,
/// with `env` added, and fails if it fails.
pub fn run_child(name: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .envs(env.iter().copied())
        .env_remove("KIOSK_PKCS11_MODULES")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test {name} failed:\n{stdout}\n{stderr}"
    );
}

/// Token labels have at most 32 bytes.
fn label_of(name: &str) -> String {
    name.chars().take(32).collect()
}

/// A fresh token labelled `label` in `dir`, with [`SO_PIN`] and [`USER_PIN`];
/// returns the configuration to pass as `SOFTHSM2_CONF`.
pub fn make_token(dir: &Path, label: &str) -> PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            tokens.display()
        ),
    )
    .unwrap();
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            SO_PIN,
            "--pin",
            USER_PIN,
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "softhsm2-util: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    conf
}

/// `openssl` with arguments; panics with its output on failure.
pub fn openssl(args: &[&str]) -> String {
    run("openssl", args)
}

/// Checks with OpenSSL that `sig` is a signature over the SHA-256 `digest`
/// by the key `spki` (DER): ECDSA (DER signature), or with `rsa` RSA
/// PKCS#1 v1.5 over SHA-256.
pub fn verify_with_openssl(spki: &[u8], digest: &[u8; 32], sig: &[u8], rsa: bool) {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    std::fs::write(p("spki.der"), spki).unwrap();
    std::fs::write(p("digest"), digest).unwrap();
    std::fs::write(p("sig"), sig).unwrap();
    let (spki, digest, sig) = (p("spki.der"), p("digest"), p("sig"));
    let mut args = vec![
        "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", &spki, "-in", &digest,
        "-sigfile", &sig,
    ];
    if rsa {
        args.extend(["-pkeyopt", "digest:sha256"]);
    }
    let out = openssl(&args);
    assert!(out.contains("Verified Successfully"), "{out}");
}

/// A public key (SubjectPublicKeyInfo, DER) as `openssl pkey -text` reads it.
pub fn spki_text(spki: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spki.der");
    std::fs::write(&file, spki).unwrap();
    openssl(&[
        "pkey",
        "-pubin",
        "-inform",
        "DER",
        "-in",
        file.to_str().unwrap(),
        "-noout",
        "-text",
    ])
}

/// A program with arguments; its stdout. Panics with its output on failure.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
