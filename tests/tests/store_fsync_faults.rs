//! fsync failures injected with libfiu (Debian `fiu-utils`): `fsync_writer`
//! runs under `fiu-run -x` with `posix/io/sync/*` (fsync, fdatasync)
//! failing. Every create_order that meets a failure must say so ("not
//! saved"), and every order reported saved must be in the store, whole,
//! after reopening it without faults.
//!
//! Needs `fiu-run` and libfiu's POSIX preload library: the test fails, with
//! that said, when they are missing (`scripts/bootstrap.sh` installs them).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kiosk_store::Store;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// What one writer run printed.
#[derive(Debug, Default)]
struct Outcome {
    /// Order number → SHA-256 of its attachments.
    saved: BTreeMap<String, (String, String)>,
    /// Sessions whose create_order failed, with the error.
    not_saved: Vec<(String, String)>,
    opened: usize,
}

/// Runs the writer for `orders` orders under `fiu-run -x -c COMMAND`
/// (without fiu when `command` is `None`).
fn write(dir: &Path, orders: u32, command: Option<&str>) -> Outcome {
    let writer = env!("CARGO_BIN_EXE_fsync_writer");
    let db = dir.join("kiosk.sqlite");
    let key = dir.join("keys/store.key");
    let mut run = match command {
        Some(command) => {
            let mut c = Command::new("fiu-run");
            c.args(["-x", "-c", command]).arg(writer);
            c
        }
        None => Command::new(writer),
    };
    let out = run
        .arg(&db)
        .arg(&key)
        .arg(orders.to_string())
        .output()
        .expect("fiu-run not found: install Debian's fiu-utils (scripts/bootstrap.sh does)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the writer failed: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut outcome = Outcome::default();
    for line in stdout.lines() {
        let mut parts = line.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("saved"), Some(number), Some(shas)) => {
                let (a, b) = shas.split_once(' ').unwrap();
                outcome
                    .saved
                    .insert(number.to_owned(), (a.to_owned(), b.to_owned()));
            }
            (Some("not_saved"), Some(session), Some(error)) => {
                outcome
                    .not_saved
                    .push((session.to_owned(), error.to_owned()));
            }
            (Some("opened"), Some(_), None) => outcome.opened += 1,
            _ => panic!("unexpected line {line:?}"),
        }
    }
    outcome
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reopens without faults: the database is intact and every reported
/// order is there with both attachments byte for byte. Returns how many
/// orders the store holds.
fn check_saved(dir: &Path, saved: &BTreeMap<String, (String, String)>) -> usize {
    let db = dir.join("kiosk.sqlite");
    let store = Store::open(&db, &dir.join("keys/store.key")).unwrap();
    for (number, (a, b)) in saved {
        let number = number.parse().unwrap();
        assert!(
            store.load_order(&number).unwrap().is_some(),
            "order {number} reported saved is missing"
        );
        let attachments = store.attachments(&number).unwrap();
        let shas: Vec<String> = attachments
            .iter()
            .map(|s| hex(s.attachment.bytes()))
            .collect();
        assert_eq!(shas, [a.clone(), b.clone()], "attachments of {number}");
        assert!(
            store
                .queue(100_000)
                .unwrap()
                .iter()
                .any(|e| e.number == number),
            "order {number} has no outbox entry"
        );
    }
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let count: i64 = conn
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    usize::try_from(count).unwrap()
}

#[test]
fn random_fsync_failures_surface_as_not_saved_and_saved_orders_survive() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = write(
        dir.path(),
        80,
        Some("enable_random name=posix/io/sync/*,probability=0.2"),
    );
    eprintln!(
        "fsync faults: {} saved, {} not saved, store opened {} times",
        outcome.saved.len(),
        outcome.not_saved.len(),
        outcome.opened
    );
    assert_eq!(outcome.saved.len() + outcome.not_saved.len(), 80);
    assert!(!outcome.saved.is_empty(), "some orders are saved");
    assert!(!outcome.not_saved.is_empty(), "some fsyncs failed");
    for (session, error) in &outcome.not_saved {
        assert!(error.contains("I/O"), "{session}: {error}");
    }
    let held = check_saved(dir.path(), &outcome.saved);
    // An order whose commit met a failed fsync may still be found after
    // reopening (its WAL frames were written): never fewer than reported.
    assert!(held >= outcome.saved.len());
    assert!(held <= 80);
    eprintln!(
        "after reopening: {held} orders held ({} of them reported not saved)",
        held - outcome.saved.len()
    );
}

#[test]
fn with_every_fsync_failing_nothing_is_reported_saved() {
    // This proves the fault reaches SQLite: the store's SQLite is compiled
    // in (rusqlite's bundled build), and libfiu's preload library only sees
    // the fsync and fdatasync it calls because it calls libc's.
    let dir = tempfile::tempdir().unwrap();
    let created = write(dir.path(), 0, None);
    assert_eq!(created.opened, 1);
    let outcome = write(dir.path(), 10, Some("enable name=posix/io/sync/*"));
    assert!(
        outcome.saved.is_empty(),
        "saved despite failing fsync: {:?}",
        outcome.saved
    );
    assert_eq!(outcome.not_saved.len(), 10);
    let held = check_saved(dir.path(), &outcome.saved);
    eprintln!("every fsync failing: 10 not saved; {held} found after reopening");
    assert!(held <= 10);
}
