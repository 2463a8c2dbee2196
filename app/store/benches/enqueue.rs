//! What durability and encryption cost when an order is enqueued.
//!
//! Enqueues `BENCH_N` (default 200) orders, each with two 1 MB attachments,
//! through `Store::create_order` (number allocation, per-order key, sealing,
//! SHA-256, outbox entry, one `BEGIN IMMEDIATE` transaction), timing each
//! call. Then, in a separate database in the same temporary directory with the
//! same pragmas (WAL, `synchronous=FULL`), the same number of plain inserts of
//! the same bytes: one transaction per order inserting a small row and the
//! two blobs in clear. Prints p50/p99 latency and orders per second for both,
//! and their ratio.
//!
//! Run with `cargo bench -p kiosk-store --bench enqueue` (release build).

use kiosk_domain::fixtures;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_store::Store;
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error>;

const ATTACHMENT_BYTES: usize = 1_000_000;

/// Pseudo-random bytes (SplitMix64) behind a file signature: incompressible,
/// like a real scan.
fn file(signature: &[u8], seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = signature.to_vec();
    while bytes.len() < ATTACHMENT_BYTES {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    bytes.truncate(ATTACHMENT_BYTES);
    bytes
}

/// p50, p99 and orders per second of one run.
struct Figures {
    p50: Duration,
    p99: Duration,
    total: Duration,
    n: usize,
}

impl Figures {
    fn of(mut latencies: Vec<Duration>, total: Duration) -> Self {
        latencies.sort();
        let n = latencies.len();
        // Nearest-rank percentiles, in integers (the workspace bans float arithmetic).
        let rank = |pct: usize| latencies[(n * pct).div_ceil(100).clamp(1, n) - 1];
        Self {
            p50: rank(50),
            p99: rank(99),
            total,
            n,
        }
    }

    /// Orders per second, in tenths.
    fn rate_tenths(&self) -> u128 {
        (self.n as u128 * 10_000_000) / self.total.as_micros().max(1)
    }
}

fn ms(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:02}", us / 1000, (us % 1000) / 10)
}

fn tenths(t: u128) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// `a / b` as a decimal with two places.
fn ratio(a: u128, b: u128) -> String {
    let hundredths = a * 100 / b.max(1);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

fn bench_store(dir: &Path, n: usize, attachments: &[Attachment]) -> Result<Figures, BoxError> {
    let mut store = Store::open(&dir.join("store.db"), &dir.join("store.key"))?;
    let kiosk = fixtures::kiosk();
    let day = time::macros::date!(2026 - 11 - 23);
    let mut latencies = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let client_key = format!("bench-{i}");
        let t = Instant::now();
        store.create_order(
            &client_key,
            &kiosk,
            day,
            |number| {
                let mut order = fixtures::application_order(0);
                order.number = number;
                order
            },
            attachments,
        )?;
        latencies.push(t.elapsed());
    }
    Ok(Figures::of(latencies, start.elapsed()))
}

fn bench_plain(dir: &Path, n: usize, attachments: &[Attachment]) -> Result<Figures, BoxError> {
    let mut conn = Connection::open(dir.join("plain.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE orders (number TEXT PRIMARY KEY, created_at INTEGER NOT NULL, payload BLOB NOT NULL);
         CREATE TABLE attachments (number TEXT NOT NULL, position INTEGER NOT NULL, bytes BLOB NOT NULL,
                                   PRIMARY KEY (number, position));",
    )?;
    // The same order as JSON, in clear: the small row.
    let payload = serde_json::to_vec(&fixtures::application_order(0))?;
    let mut latencies = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let number = format!("PLAIN{i:09}");
        let t = Instant::now();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO orders (number, created_at, payload) VALUES (?1, ?2, ?3)",
            params![number, i64::try_from(i).unwrap_or(0), payload],
        )?;
        for (position, a) in attachments.iter().enumerate() {
            tx.execute(
                "INSERT INTO attachments (number, position, bytes) VALUES (?1, ?2, ?3)",
                params![number, i64::try_from(position).unwrap_or(0), a.bytes()],
            )?;
        }
        tx.commit()?;
        latencies.push(t.elapsed());
    }
    Ok(Figures::of(latencies, start.elapsed()))
}

fn main() -> Result<(), BoxError> {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let attachments = [
        Attachment::new(
            AttachmentKind::HandlerId,
            file(&[0xFF, 0xD8, 0xFF, 0xE0], 1),
        )?,
        Attachment::new(AttachmentKind::BusinessLicence, file(b"%PDF-1.7\n", 2))?,
    ];

    println!(
        "enqueue: {n} orders x 2 attachments of {ATTACHMENT_BYTES} bytes, WAL + synchronous=FULL, in {}",
        dir.path().display()
    );
    let store = bench_store(dir.path(), n, &attachments)?;
    let plain = bench_plain(dir.path(), n, &attachments)?;

    println!(
        "{:<28}{:>10}{:>10}{:>12}",
        "", "p50 ms", "p99 ms", "orders/s"
    );
    for (name, f) in [
        ("store.create_order", &store),
        ("plain SQLite insert", &plain),
    ] {
        println!(
            "{name:<28}{:>10}{:>10}{:>12}",
            ms(f.p50),
            ms(f.p99),
            tenths(f.rate_tenths())
        );
    }
    println!(
        "{:<28}{:>10}{:>10}{:>12}",
        "ratio store / plain",
        ratio(store.p50.as_micros(), plain.p50.as_micros()),
        ratio(store.p99.as_micros(), plain.p99.as_micros()),
        ratio(store.rate_tenths(), plain.rate_tenths()),
    );
    Ok(())
}
