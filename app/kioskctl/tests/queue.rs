//! `kioskctl queue` against a real store with queued orders.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::{kioskctl, queue_application, store};
use kiosk_domain::fixtures;
use serde_json::Value;
use std::process::Output;

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn list_show_and_retry_a_refused_order() {
    let dir = tempfile::tempdir().unwrap();
    let number = {
        let mut store = store(dir.path());
        let created = queue_application(&mut store, 1, "s-1");
        // The CA refused it: set aside far in the future.
        store
            .record_upload_failure(
                &created,
                time::OffsetDateTime::now_utc(),
                time::macros::datetime!(2200-01-01 00:00 UTC),
                "set_aside:unknown_project",
            )
            .unwrap();
        created.to_string()
    };
    let list = json(&kioskctl(dir.path(), &["queue", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["order"], number.as_str());
    assert_eq!(list[0]["state"], "set_aside");
    assert_eq!(list[0]["status"], "待审核");
    let text = String::from_utf8(kioskctl(dir.path(), &["queue", "list"]).stdout).unwrap();
    assert!(!text.contains(fixtures::RESIDENT_ID) && !text.contains(fixtures::MOBILE));

    let retried = kioskctl(dir.path(), &["queue", "retry", &number]);
    assert!(retried.status.success());
    let shown = json(&kioskctl(dir.path(), &["queue", "show", &number, "--json"]));
    assert_eq!(shown["state"], "due");
    assert_eq!(shown["last_error"], Value::Null);

    let bad = kioskctl(dir.path(), &["queue", "show", "not-a-number"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an order number"));
}
