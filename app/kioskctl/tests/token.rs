//! `kioskctl token list|show` against a real SoftHSM2 token.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use kiosk_tests::softhsm::{LABEL, TestToken, UNIT_NAME, USCC};
use serde_json::Value;
use std::process::Command;

fn kioskctl(token: &TestToken, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
        .envs(token.env())
        .args(["--config", "/dev/null", "--data-dir"])
        .arg(&token.dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn list_shows_the_inserted_key() {
    let token = TestToken::blank();
    let list = kioskctl(&token, &["token", "list", "--json"]);
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{list}");
    assert_eq!(tokens[0]["label"], LABEL);
    assert!(
        tokens[0]["module"]
            .as_str()
            .unwrap()
            .ends_with("libsofthsm2.so")
    );
}

#[test]
fn show_gives_each_certificate_with_its_renewal_verdict() {
    let renewable = TestToken::with_certificate(20);
    let shown = kioskctl(&renewable, &["token", "show", "--json"]);
    let cert = &shown[0]["certificates"][0];
    assert_eq!(cert["label"], "old-cert");
    assert!(cert["subject"].as_str().unwrap().contains(USCC), "{cert}");
    assert!(
        cert["subject"].as_str().unwrap().contains(UNIT_NAME),
        "{cert}"
    );
    assert!(
        cert["issuer"].as_str().unwrap().contains("Kiosk Test CA"),
        "{cert}"
    );
    assert!(!cert["serial"].as_str().unwrap().is_empty());
    // RFC 3339, so scripts can compare dates.
    let not_after = cert["not_after"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(not_after, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{not_after}"
    );
    assert_eq!(cert["key_pair"], "present");
    assert_eq!(cert["renewable"], true, "{cert}");

    let too_early = TestToken::with_certificate(90);
    let shown = kioskctl(&too_early, &["token", "show", "--json", "--lang", "en"]);
    let cert = &shown[0]["certificates"][0];
    assert_eq!(cert["renewable"], false);
    assert!(
        cert["reason"]
            .as_str()
            .unwrap()
            .contains("cannot be renewed yet"),
        "{cert}"
    );
}

#[test]
fn show_for_an_unknown_label_is_an_error() {
    let token = TestToken::blank();
    let out = Command::new(env!("CARGO_BIN_EXE_kioskctl"))
        .envs(token.env())
        .args(["--config", "/dev/null", "--data-dir"])
        .arg(&token.dir)
        .args(["token", "show", "--label", "NOT-THERE"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT-THERE"));
}
