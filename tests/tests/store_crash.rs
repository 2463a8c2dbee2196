//! The store under SIGKILL: `store_writer` creates orders until it is killed
//! at a random moment, over and over, on the same database files. After each
//! kill the database must be intact, every order the writer reported
//! committed must be there with both attachments byte for byte and its
//! outbox entry, and no order may exist half-written.

// Test code: a failed unwrap is a failed test (clippy.toml only exempts
// `#[test]` functions themselves, not their helpers).
#![allow(clippy::unwrap_used)]

use kiosk_store::Store;
use kiosk_tests::rng::Rng;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const ROUNDS: u32 = 120;

/// Order number → SHA-256 of its two attachments, as the writer reported.
type Reported = BTreeMap<String, (String, String)>;

/// Runs the writer for `millis`, kills it, and returns the complete lines it printed.
fn run_and_kill(db: &Path, key: &Path, seed: u64, millis: u64) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_store_writer"))
        .arg(db)
        .arg(key)
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Read while it runs, so a full pipe can never stall the writer.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    std::thread::sleep(Duration::from_millis(millis));
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    // Killed by us, or (rarely, in the first round) it had failed by itself.
    assert!(
        status.code().is_none(),
        "the writer exited by itself: {status}"
    );
    let text = reader.join().unwrap();
    // A line cut off by the kill is not a report: only whole lines count.
    let whole = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    whole.lines().map(str::to_owned).collect()
}

fn parse(lines: &[String], into: &mut Reported) -> usize {
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        assert!(
            parts.len() == 4 && parts[0] == "committed",
            "unexpected line {line:?}"
        );
        let previous = into.insert(
            parts[1].to_owned(),
            (parts[2].to_owned(), parts[3].to_owned()),
        );
        assert!(previous.is_none(), "order {} reported twice", parts[1]);
    }
    lines.len()
}

/// Structural checks over the whole database, straight in SQL.
fn check_database(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let half_written: Vec<String> = conn
        .prepare(
            "SELECT number FROM orders o
             WHERE (SELECT count(*) FROM attachments a WHERE a.number = o.number) != 2
                OR NOT EXISTS (SELECT 1 FROM outbox b WHERE b.number = o.number)
                OR NOT EXISTS (SELECT 1 FROM order_keys k WHERE k.number = o.number)",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        half_written.is_empty(),
        "half-written orders: {half_written:?}"
    );
    let orphans: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM attachments WHERE number NOT IN (SELECT number FROM orders))
                  + (SELECT count(*) FROM outbox WHERE number NOT IN (SELECT number FROM orders))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "attachments or outbox entries without an order");
    conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap()
}

/// Opens each order through the store: payload and attachments decrypt and
/// match what the writer reported.
fn check_orders<'a>(
    store: &Store,
    numbers: impl IntoIterator<Item = (&'a String, &'a (String, String))>,
) {
    for (number, (first, second)) in numbers {
        let number = number.parse().unwrap();
        assert!(
            store.load_order(&number).unwrap().is_some(),
            "order {number} missing"
        );
        let attachments = store.attachments(&number).unwrap();
        let shas: Vec<&str> = attachments.iter().map(|a| a.sha256_hex.as_str()).collect();
        assert_eq!(
            shas,
            [first.as_str(), second.as_str()],
            "attachments of {number}"
        );
    }
}

/// Every order in the database, reported or not, opens whole (the store
/// checks each attachment against its recorded SHA-256).
fn check_all_open(db: &Path, store: &Store) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let numbers: Vec<String> = conn
        .prepare("SELECT number FROM orders")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for number in numbers {
        let number = number.parse().unwrap();
        assert!(store.load_order(&number).unwrap().is_some());
        assert_eq!(store.attachments(&number).unwrap().len(), 2);
    }
}

#[test]
fn orders_survive_sigkill_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store/kiosk.db");
    let key = dir.path().join("keys/store.key");
    let mut rng = Rng(0x5EED_0FC0_FFEE);
    let mut reported = Reported::new();
    let mut kills = 0;

    for _ in 0..ROUNDS {
        let millis = 5 + rng.below(96);
        let lines = run_and_kill(&db, &key, rng.next_u64(), millis);
        kills += 1;
        let mut new = Reported::new();
        parse(&lines, &mut new);
        // Opening runs the WAL recovery the next kiosk start would run.
        let store = Store::open(&db, &key).unwrap();
        check_database(&db);
        check_orders(&store, &new);
        for (number, shas) in new {
            assert!(
                reported.insert(number.clone(), shas).is_none(),
                "number {number} reused"
            );
        }
    }

    // Once more over everything: later kills did not damage earlier orders.
    let store = Store::open(&db, &key).unwrap();
    let in_database = check_database(&db);
    check_orders(&store, &reported);
    check_all_open(&db, &store);
    let stats = store
        .queue_stats(time::macros::datetime!(2030-01-01 00:00 UTC))
        .unwrap();
    assert_eq!(
        u64::try_from(in_database).unwrap(),
        stats.depth,
        "every order has its upload queued"
    );
    assert!(
        !reported.is_empty(),
        "the writer never committed anything: the test proved little"
    );
    println!(
        "store_crash: {kills} kills, {} orders reported committed, {in_database} orders in the database \
         ({} committed but killed before reporting), all whole",
        reported.len(),
        in_database - i64::try_from(reported.len()).unwrap()
    );
}
