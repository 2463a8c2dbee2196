//! `kioskctl doctor` run as a technician would run it, against a real store.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::{command, queue_application, store};
use kiosk_domain::fixtures;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn doctor(data_dir: &Path, json: bool) -> Output {
    // A key writer with a blank SoftHSM2 token directory: ready, no key in it.
    let tokens = data_dir.join("softhsm-tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = data_dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!("directories.tokendir = {}\n", tokens.display()),
    )
    .unwrap();
    let mut cmd = command(data_dir);
    cmd.env("SOFTHSM2_CONF", &conf)
        .env("KIOSK_PKCS11_MODULES", kiosk_tests::softhsm::MODULE)
        .arg("doctor");
    if json {
        cmd.arg("--json");
    }
    cmd.output().unwrap()
}

fn report(data_dir: &Path) -> Value {
    let out = doctor(data_dir, true);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_first_run_creates_the_store_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = doctor(dir.path(), true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["ok"], true);
    assert_eq!(r["kiosk_code"], "DEM");
    assert!(r["store"]["schema_version"].as_u64().unwrap() >= 1);
    assert_eq!(r["store"]["queue_depth"], 0);
    assert_eq!(r["store"]["oldest_pending_age_seconds"], Value::Null);
    assert!(r["store"]["disk_free_bytes"].as_u64().unwrap() > 0);
    assert!(dir.path().join("store/kiosk.db").exists());
    assert!(dir.path().join("keys/store.key").exists());
    let devices = r["devices"].as_array().unwrap();
    let names: Vec<_> = devices
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["usb_key_writer", "camera", "receipt_printer", "ca_link"]
    );
    assert_eq!(devices[0]["state"], "ready", "{:?}", devices[0]);
    assert_eq!(devices[0]["detail"], "ready, no key inserted");
    // This machine has no camera: reported plainly, and the kiosk stays OK.
    assert_eq!(devices[1]["state"], "absent", "{:?}", devices[1]);
    assert!(devices[2..].iter().all(|d| d["state"] == "not_configured"));
}

#[test]
fn the_queue_shows_pending_orders_and_their_age() {
    let dir = tempfile::tempdir().unwrap();
    queue_application(&mut store(dir.path()), 1, "session-1");
    let r = report(dir.path());
    assert_eq!(r["store"]["queue_depth"], 1);
    // The fixture order was made on 2026-11-23 10:00 UTC.
    assert!(r["store"]["oldest_pending_age_seconds"].as_i64().unwrap() >= 0);
    let text = doctor(dir.path(), false);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("1 not yet acknowledged"), "{text}");
    assert!(!text.contains(fixtures::RESIDENT_ID));
    assert!(!text.contains(fixtures::MOBILE));
}

#[test]
fn a_broken_key_file_is_reported_and_nothing_is_destroyed() {
    let dir = tempfile::tempdir().unwrap();
    assert!(doctor(dir.path(), true).status.success());
    let key = dir.path().join("keys/store.key");
    let original = std::fs::read(&key).unwrap();
    std::fs::write(&key, b"short").unwrap();
    let out = doctor(dir.path(), true);
    assert!(!out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["ok"], false);
    assert!(r["store"]["error"].as_str().unwrap().contains("key"));
    // The bad key was not replaced: the technician can restore the right one.
    assert_eq!(std::fs::read(&key).unwrap(), b"short");
    std::fs::write(&key, original).unwrap();
    assert!(doctor(dir.path(), true).status.success());
}
