//! `kioskctl audit`: a technician's action through `kioskctl` is appended
//! to the audit log with who did it (the account from the kernel, not from
//! the environment); `audit verify` says the chain holds,
//! and once one byte of an entry is changed in the database (as someone
//! with the file would, around the table's append-only triggers) it exits
//! 1 naming that entry.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::{command, queue_application, store};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// `kioskctl ARGS` on `dir`, with an environment that claims another user.
fn kioskctl(dir: &Path, args: &[&str]) -> Output {
    command(dir)
        .args(args)
        .env("USER", "tech-li")
        .env_remove("SUDO_USER")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn retries_are_audited_and_a_changed_byte_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store/kiosk.db");
    let numbers: Vec<String> = {
        let mut store = store(dir.path());
        (1..=2)
            .map(|seq| queue_application(&mut store, seq, &format!("s-{seq}")).to_string())
            .collect()
    };
    let empty = kioskctl(dir.path(), &["audit", "verify"]);
    assert!(empty.status.success());
    assert!(stdout(&empty).contains("0 entries"), "{}", stdout(&empty));

    for number in &numbers {
        assert!(
            kioskctl(dir.path(), &["queue", "retry", number])
                .status
                .success()
        );
    }
    let listed = kioskctl(dir.path(), &["audit", "list", "--json"]);
    assert!(listed.status.success());
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for (entry, number) in list.iter().zip(&numbers) {
        assert_eq!(entry["actor"]["kind"], "technician");
        // `USER` says tech-li; the log says who really ran it.
        let account = entry["actor"]["account"].as_str().unwrap();
        assert!(!account.is_empty() && account != "tech-li", "{account}");
        assert_eq!(entry["action"]["kind"], "queue_retry");
        assert_eq!(entry["order"], number.as_str());
    }
    let text = stdout(&kioskctl(dir.path(), &["audit", "list"]));
    assert!(
        text.contains("technician ") && !text.contains("tech-li") && text.contains("queue retry"),
        "{text}"
    );
    let intact = kioskctl(dir.path(), &["audit", "verify"]);
    assert!(intact.status.success());
    assert!(
        stdout(&intact).contains("intact: 2 entries"),
        "{}",
        stdout(&intact)
    );

    // One byte of the first entry: what was done, `queue_retry` made
    // `queue_retrz`.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update")
        .unwrap();
    let entry: String = conn
        .query_row("SELECT entry FROM audit_log WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let forged = entry.replacen("queue_retry", "queue_retrz", 1);
    assert_ne!(forged, entry);
    conn.execute("UPDATE audit_log SET entry = ?1 WHERE seq = 1", [forged])
        .unwrap();
    drop(conn);
    let broken = kioskctl(dir.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("BROKEN at entry 1"),
        "{}",
        stdout(&broken)
    );
}

/// What the kiosk's own chain cannot show, the CA's copy does: with the
/// CA configured, `audit verify` compares the CA's last entry with this
/// kiosk's, and names a log whose last entries were cut off (the chain
/// that is left still holds).
#[test]
fn verify_compares_with_the_cas_copy_and_names_a_cut_off_end() {
    let dir = tempfile::tempdir().unwrap();
    let ca = kiosk_tests::world::ReferenceCa::start(&dir.path().join("ca"), None).unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        format!("kiosk_code = \"TYA\"\n[ca]\nurl = \"{}\"\n", ca.url),
    )
    .unwrap();
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_kioskctl"))
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["audit", "verify"])
            .output()
            .unwrap()
    };
    let numbers: Vec<String> = {
        let mut store = store(dir.path());
        (1..=3)
            .map(|seq| queue_application(&mut store, seq, &format!("s-{seq}")).to_string())
            .collect()
    };
    for number in &numbers {
        assert!(
            kioskctl(dir.path(), &["queue", "retry", number])
                .status
                .success()
        );
    }
    let before = verify();
    assert!(before.status.success());
    assert!(
        stdout(&before).contains("the CA holds no entry of this kiosk yet"),
        "{}",
        stdout(&before)
    );
    // The kiosk's worker copies the log.
    let (worker, _state) = {
        let _entered = ca.enter();
        kiosk_sync_client::Worker::new(
            store(dir.path()),
            kiosk_sync_client::WorkerConfig::new(&ca.url),
        )
        .unwrap()
    };
    let mut worker = worker.with_audit("TYA".parse().unwrap());
    assert_eq!(ca.block_on(worker.copy_audit()).unwrap(), 3);
    drop(worker);
    let agrees = verify();
    assert!(agrees.status.success(), "{}", stdout(&agrees));
    assert!(
        stdout(&agrees).contains("the CA's copy agrees: it holds entries 1 to 3"),
        "{}",
        stdout(&agrees)
    );

    // The last entry cut off here: the chain left holds, the CA's copy
    // says what is missing.
    let conn = rusqlite::Connection::open(dir.path().join("store/kiosk.db")).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 3")
        .unwrap();
    drop(conn);
    let cut = verify();
    assert_eq!(cut.status.code(), Some(1), "{}", stdout(&cut));
    let text = stdout(&cut);
    assert!(text.contains("intact: 2 entries"), "{text}");
    assert!(
        text.contains("ends at entry 2 but the CA holds 3: entries were cut off here"),
        "{text}"
    );
}
