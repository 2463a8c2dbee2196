//! A kiosk offline for 45 days (libfaketime, Debian `faketime`): orders
//! queued at T are drained by `sync_runner` whose clock says T + 45 days,
//! against a CA service on the real clock. They arrive exactly once; the
//! idempotency keys are 128 random bits that owe nothing to the kiosk's
//! clock: two kiosks queueing the same sessions at the same frozen instant
//! draw different keys.
//!
//! Needs `faketime` (the test fails, saying so, when it is missing;
//! `scripts/bootstrap.sh` installs it).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ca_service::{Options, Service};
use kiosk_store::Store;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use time::{Duration, OffsetDateTime};

const ORDERS: u32 = 20;

/// Runs `sync_runner` under `faketime SPEC`; returns its clock and lines.
fn runner(kiosk: &Path, url: &str, mode: &str, faketime: &str) -> (OffsetDateTime, Vec<String>) {
    let out = Command::new("faketime")
        // libfaketime's own format: "YYYY-MM-DD hh:mm:ss" frozen, "+45d" ahead.
        .arg("-f")
        .arg(faketime)
        .arg(env!("CARGO_BIN_EXE_sync_runner"))
        .arg(kiosk.join("kiosk.sqlite"))
        .arg(kiosk.join("keys/store.key"))
        .arg(url)
        .arg(ORDERS.to_string())
        .arg("3000")
        .arg(mode)
        // Timers and timeouts keep to real time; only the wall clock moves.
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .output()
        .expect("faketime not found: install Debian's faketime (scripts/bootstrap.sh does)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "sync_runner {mode} failed: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    let clock = lines[0].strip_prefix("clock ").unwrap().parse().unwrap();
    (OffsetDateTime::from_unix_timestamp(clock).unwrap(), lines)
}

/// Order number → idempotency key, straight from the store's outbox.
fn keys(kiosk: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(kiosk.join("kiosk.sqlite")).unwrap();
    let mut select = conn
        .prepare("SELECT number, idempotency_key FROM outbox ORDER BY number")
        .unwrap();
    select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_kiosk_offline_for_45_days_drains_exactly_once_with_clock_free_keys() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let service = Service::open(&dir.path().join("ca"), Options::default()).unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = service.router(ca_service::Listener::Kiosk);
    runtime.spawn(async move { ca_service::run(listener, router, std::future::pending()).await });

    // Two kiosks queue the same sessions at the same frozen instant T.
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let frozen = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for kiosk in [&a, &b] {
        let (clock, lines) = runner(kiosk, &url, "queue", &frozen);
        assert_eq!(clock, t, "the queueing kiosk's clock is frozen at T");
        assert_eq!(lines.len(), 1 + usize::try_from(ORDERS).unwrap());
    }
    let (keys_a, keys_b) = (keys(&a), keys(&b));
    assert_eq!(keys_a.len(), usize::try_from(ORDERS).unwrap());
    // Same clock, same kiosk code, same sessions, same order numbers...
    assert_eq!(
        keys_a.iter().map(|k| &k.0).collect::<Vec<_>>(),
        keys_b.iter().map(|k| &k.0).collect::<Vec<_>>()
    );
    // ...and yet every key differs: 128 random bits (32 hex digits) each.
    let all: BTreeSet<&str> = keys_a.iter().chain(&keys_b).map(|k| k.1.as_str()).collect();
    assert_eq!(all.len(), keys_a.len() + keys_b.len(), "a key repeated");
    for key in &all {
        assert_eq!(key.len(), 32, "{key}");
        assert!(
            key.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
            "{key}"
        );
    }
    // Each of the 128 bits takes both values across the keys: none is
    // fixed, as a timestamp's high bits or a counter would be.
    for bit in 0..128 {
        let values: BTreeSet<bool> = all
            .iter()
            .map(|k| {
                let nibble = u8::from_str_radix(&k[bit / 4..=bit / 4], 16).unwrap();
                nibble >> (3 - bit % 4) & 1 == 1
            })
            .collect();
        assert_eq!(values.len(), 2, "bit {bit} never changes");
    }

    // Kiosk A comes back 45 days later and drains.
    let (clock, lines) = runner(&a, &url, "drain", "+45d");
    let real = OffsetDateTime::now_utc();
    assert!(
        clock > real + Duration::days(44) && clock < real + Duration::days(46),
        "the draining kiosk's clock is 45 days ahead: {clock}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("drained"));

    let store = Store::open(&a.join("kiosk.sqlite"), &a.join("keys/store.key")).unwrap();
    let storage = service.storage();
    assert_eq!(storage.order_count().unwrap(), u64::from(ORDERS));
    for (number, key) in &keys_a {
        assert_eq!(storage.creations(key).unwrap(), 1, "order {number}");
        let record = storage.order(number).unwrap().unwrap();
        assert!(record.submitted, "order {number} not submitted");
        let summary = store
            .order_summary(&number.parse().unwrap())
            .unwrap()
            .unwrap();
        let acked = summary.acked_at.expect("acknowledged");
        assert!(
            acked > real + Duration::days(44),
            "acknowledged on the kiosk's clock: {acked}"
        );
        assert_eq!(summary.created_at, t, "created at T");
    }
    // Kiosk B's keys never reached the CA.
    for (_, key) in &keys_b {
        assert_eq!(storage.creations(key).unwrap(), 0);
    }
}
