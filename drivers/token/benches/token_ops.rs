//! The on-token part of a renewal, timed through the kiosk's driver and, in
//! the same run, through OpenSC's `pkcs11-tool` on the same SoftHSM2 token:
//! key-pair generation, request signing (the driver builds the whole PKCS#10;
//! `pkcs11-tool` signs one digest), certificate write. For RSA-2048 and P-256.
//!
//! `cargo bench -p kiosk-token --bench token_ops` (`BENCH_N` repetitions,
//! default 10). The bench re-runs itself with `SOFTHSM2_CONF` pointing at a
//! fresh token, because SoftHSM2 reads it once per process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    reason = "a benchmark: any failure ends it, with its location; its figures are for people"
)]

use kiosk_domain::fixtures::order_number;
use kiosk_domain::ports::key_writer::{KeyAlgorithm, KeyTag, KeyWriter, Pin};
use kiosk_token::x509::TokenSigner;
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use kiosk_x509::test_ca::{Profile, TestCa};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

// The token the tests make, made the same way here.
#[path = "../tests/common/mod.rs"]
mod common;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "BENCH";
const PIN: &str = common::USER_PIN;
const CHILD: &str = "KIOSK_BENCH_CHILD";

fn runs() -> usize {
    std::env::var("BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        driver_bench();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = common::make_token(dir.path(), LABEL);
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, "1")
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let driver = String::from_utf8(out.stdout).unwrap();
    let tool = tool_bench(dir.path(), &conf);

    println!(
        "on-token renewal operations, SoftHSM2, median of {} runs (ms)",
        runs()
    );
    println!(
        "{:<24} {:>10} {:>12} {:>8}",
        "operation", "driver", "pkcs11-tool", "ratio"
    );
    for line in driver.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(d)) = (parts.next(), parts.next()) else {
            continue;
        };
        let d: f64 = d.parse().unwrap();
        let t: f64 = tool
            .iter()
            .find(|(n, _)| n == name)
            .map_or(f64::NAN, |(_, v)| *v);
        println!("{name:<24} {d:>10.2} {t:>12.2} {:>8.2}", d / t);
    }
}

/// In the child: the kiosk's driver, one long-lived session as the kiosk has.
fn driver_bench() {
    let ca = TestCa::new("Bench CA").unwrap();
    let mut w = Pkcs11KeyWriter::open(WriterConfig {
        modules: vec![PathBuf::from(MODULE)],
        profiles: vec![],
    })
    .unwrap();
    let key = w.key_by_label(LABEL).unwrap();
    w.verify_pin(&key, Pin::new(PIN).unwrap()).unwrap();
    let subject = kiosk_x509::unit_subject(
        "山西示例煤业有限公司",
        &"91110108551385082Q".parse().unwrap(),
    );
    let mut seq = 0;
    for (name, algorithm) in [
        ("rsa2048", KeyAlgorithm::Rsa2048),
        ("p256", KeyAlgorithm::EcP256),
    ] {
        let (mut generate, mut sign, mut write) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs() {
            seq += 1;
            let tag = KeyTag::new(order_number(seq), 1);
            let t = Instant::now();
            let public = w.generate_key_pair(&key, &tag, algorithm).unwrap();
            generate.push(t.elapsed());
            let t = Instant::now();
            let csr = {
                let signer = TokenSigner::new(&mut w, key.clone(), public);
                kiosk_x509::build_request(&subject, &signer).unwrap()
            };
            sign.push(t.elapsed());
            let der = ca.issue(&csr, 365, Profile::Customer).unwrap();
            let t = Instant::now();
            w.write_certificate(&key, &tag.key_id(), &der, &format!("cert:{seq}"))
                .unwrap();
            write.push(t.elapsed());
        }
        println!("{name}-keygen {}", ms(median(generate)));
        println!("{name}-sign {}", ms(median(sign)));
        println!("{name}-write-cert {}", ms(median(write)));
    }
}

/// In the parent: the same operations, each a `pkcs11-tool` process.
fn tool_bench(dir: &Path, conf: &Path) -> Vec<(String, f64)> {
    let p11 = |args: &[&str]| {
        let t = Instant::now();
        let out = Command::new("pkcs11-tool")
            .args([
                "--module",
                MODULE,
                "--token-label",
                LABEL,
                "--login",
                "--pin",
                PIN,
            ])
            .args(args)
            .env("SOFTHSM2_CONF", conf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pkcs11-tool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    let digest = dir.join("digest");
    std::fs::write(&digest, [7u8; 32]).unwrap();
    let digest_info = dir.join("digest-info");
    std::fs::write(&digest_info, kiosk_x509::digest_info_sha256(&[7u8; 32])).unwrap();
    let signature = dir.join("sig");
    // Any certificate will do for timing a write: the CA's own.
    let cert = dir.join("cert.der");
    std::fs::write(&cert, TestCa::new("Tool CA").unwrap().root_der()).unwrap();
    let mut results = Vec::new();
    for (name, key_type, mechanism, input) in [
        ("rsa2048", "rsa:2048", "RSA-PKCS", &digest_info),
        ("p256", "EC:prime256v1", "ECDSA", &digest),
    ] {
        let (mut generate, mut sign, mut write) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..runs() {
            let id = format!("{:02x}{i:04x}", name.len());
            generate.push(p11(&["--keypairgen", "--key-type", key_type, "--id", &id]));
            sign.push(p11(&[
                "--sign",
                "--mechanism",
                mechanism,
                "--id",
                &id,
                "-i",
                input.to_str().unwrap(),
                "-o",
                signature.to_str().unwrap(),
            ]));
            write.push(p11(&[
                "--write-object",
                cert.to_str().unwrap(),
                "--type",
                "cert",
                "--id",
                &id,
            ]));
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        results.push((format!("{name}-keygen"), ms(median(generate))));
        results.push((format!("{name}-sign"), ms(median(sign))));
        results.push((format!("{name}-write-cert"), ms(median(write))));
    }
    results
}
