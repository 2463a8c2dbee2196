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
    let config = dir.join("kiosk.toml");
    std::fs::write(&config, format!("[ca]\nurl = \"{url}\"\n")).unwrap();
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
    runtime.spawn(async move { ca_service::run(listener, service, std::future::pending()).await });

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
