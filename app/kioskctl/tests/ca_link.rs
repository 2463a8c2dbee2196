//! The CA link in `kioskctl doctor`: a real reference CA service on
//! 127.0.0.1, and an address where nothing listens.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn doctor_with_ca(dir: &Path, url: &str) -> Value {
    doctor_with(dir, &format!("[ca]\nurl = \"{url}\"\n"))
}

fn doctor_with(dir: &Path, toml: &str) -> Value {
    let config = dir.join("kiosk.toml");
    std::fs::write(&config, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
        .env("KIOSK_PKCS11_MODULES", "/nonexistent/module.so")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ca_link(report: &Value) -> &Value {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "ca_link")
        .unwrap()
}

#[test]
fn a_reachable_ca_is_reported_with_the_clock_skew() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let service =
        ca_service::Service::open(&dir.path().join("ca"), ca_service::Options::default()).unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = service.router(ca_service::Listener::Kiosk);
    runtime.spawn(async move { ca_service::run(listener, router, std::future::pending()).await });

    let report = doctor_with_ca(dir.path(), &url);
    let link = ca_link(&report);
    assert_eq!(link["state"], "ready", "{link}");
    assert!(
        link["detail"].as_str().unwrap().contains("clock skew"),
        "{link}"
    );
}

#[test]
fn an_unreachable_ca_is_absent_and_the_kiosk_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind one, learn it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = doctor_with_ca(dir.path(), &format!("http://127.0.0.1:{port}"));
    let link = ca_link(&report);
    assert_eq!(link["state"], "absent", "{link}");
    assert!(
        link["detail"].as_str().unwrap().contains("orders queue"),
        "{link}"
    );
}

/// A device identity (certificate, then its key, PEM) valid for `days` from
/// an hour ago (0: already expired), and the CA roots file, in `dir`.
fn device_files(dir: &Path, days: i64) -> String {
    use kiosk_x509::test_ca::{CustomerSubject, SoftSigner, TestCa, pem};
    let ca = TestCa::new("Device CA").unwrap();
    let key = SoftSigner::generate_p256();
    let cert = ca
        .issue_for_subject(
            &CustomerSubject {
                unit_name: "Kiosk TYA-01".to_owned(),
                uscc: kiosk_domain::fixtures::USCC.to_owned(),
            },
            &key,
            days,
        )
        .unwrap();
    let identity = format!(
        "{}{}",
        pem("CERTIFICATE", &cert),
        pem("PRIVATE KEY", &key.p256_pkcs8_der().unwrap())
    );
    std::fs::write(dir.join("device.pem"), identity).unwrap();
    std::fs::write(dir.join("roots.pem"), ca.root_pem()).unwrap();
    format!(
        "[ca]\nurl = \"https://127.0.0.1:9\"\ntls_roots = \"{}\"\ndevice_identity = \"{}\"\n",
        dir.join("roots.pem").display(),
        dir.join("device.pem").display()
    )
}

#[test]
fn an_expired_device_certificate_is_a_fault_the_technician_must_fix() {
    let dir = tempfile::tempdir().unwrap();
    let toml = device_files(dir.path(), 0);
    let link = ca_link(&doctor_with(dir.path(), &toml)).clone();
    assert_eq!(link["state"], "fault", "{link}");
    assert!(
        link["detail"]
            .as_str()
            .unwrap()
            .contains("device certificate expired"),
        "{link}"
    );
}

#[test]
fn a_device_certificate_near_its_end_is_reported_with_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let toml = device_files(dir.path(), 10);
    let link = ca_link(&doctor_with(dir.path(), &toml)).clone();
    // Nothing listens on port 9: the link is absent, the files are fine.
    assert_eq!(link["state"], "absent", "{link}");
    assert!(
        link["detail"]
            .as_str()
            .unwrap()
            .contains("device certificate expires in"),
        "{link}"
    );
    // A missing identity file is the kiosk's fault, named.
    std::fs::remove_file(dir.path().join("device.pem")).unwrap();
    let link = ca_link(&doctor_with(dir.path(), &toml)).clone();
    assert_eq!(link["state"], "fault", "{link}");
    assert!(
        link["detail"].as_str().unwrap().contains("device.pem"),
        "{link}"
    );
}
