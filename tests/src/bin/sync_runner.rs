//! The kiosk side of the SIGKILL and offline tests: queues orders in the
//! real store, then drains them with the real outbox worker until the queue
//! is empty. `tests/sync_kill.rs` kills it (and the CA service) at random
//! moments and starts it again on the same files; `tests/offline_days.rs`
//! runs it under libfaketime.
//!
//! Usage: `sync_runner DB KEY URL ORDERS SIZE [queue|drain|both] [FROM]`.
//! Orders are applications with two attachments of SIZE pseudo-random
//! bytes, made from the order's index, in sessions `sync-<i>`, for `i` from
//! FROM (default 0) to ORDERS; creating an order is idempotent per session,
//! so a restarted runner re-creates nothing and reports the same orders
//! again (a restart passes as FROM the number of orders reported so far:
//! the order a kill may have caught between commit and report is redone,
//! and megabytes already saved are not generated again). It prints, flushed:
//!
//! ```text
//! clock <unix seconds>                       the kiosk's clock at start
//! saved <order-number> <sha256-1> <sha256-2>  after create_order returned Ok
//! drained                                     the queue is empty
//! ```

use anyhow::{Context, Result, bail, ensure};
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_store::Store;
use kiosk_sync_client::{Worker, WorkerConfig};
use kiosk_tests::report::{say, sha256_hex};
use kiosk_tests::rng::Rng;
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

/// Queues orders `from..orders` (those already there are found, not re-made).
fn queue(store: &mut Store, from: u64, orders: u64, size: usize) -> Result<()> {
    let kiosk = fixtures::kiosk();
    // The kiosk's own clock and date, as a kiosk would use them.
    let now = OffsetDateTime::now_utc();
    for i in from..orders {
        let mut rng = Rng(0x5CA1_AB1E ^ i.wrapping_mul(0x1_0000_0001));
        let first = Attachment::new(
            AttachmentKind::BusinessLicence,
            rng.file(b"%PDF-1.7\n", size),
        )?;
        let second = Attachment::new(
            AttachmentKind::HandlerId,
            rng.file(&[0xFF, 0xD8, 0xFF, 0xE0], size),
        )?;
        let order = store.create_order(
            &format!("sync-{i}"),
            &kiosk,
            now.date(),
            |number| {
                let details = fixtures::application_details();
                let amount = details.amount_due().unwrap_or(Fen(0));
                Order::new(number, now, amount, OrderDetails::Application(details))
            },
            &[first.clone(), second.clone()],
        )?;
        say(&format!(
            "saved {} {} {}",
            order.number,
            sha256_hex(first.bytes()),
            sha256_hex(second.bytes())
        ))?;
    }
    Ok(())
}

/// Runs the real worker's passes until nothing is left to send.
async fn drain(store: Store, url: &str) -> Result<()> {
    let mut config = WorkerConfig::new(url);
    config.backoff_base_ms = 20;
    config.backoff_cap_ms = 500;
    config.request_timeout = Duration::from_secs(10);
    let (mut worker, state) = Worker::new(store, config)?;
    loop {
        let report = worker.drain_once().await?;
        let now = state.borrow().clone();
        ensure!(
            now.set_aside == 0,
            "the CA refused an order: {:?}",
            now.last_error
        );
        if now.queue_depth == 0 {
            return Ok(say("drained")?);
        }
        // Waiting for the CA (Retry-After, offline) or for a retry to be due.
        let idle = report.acknowledged == 0;
        let sleep = report
            .pause
            .unwrap_or(Duration::from_millis(if idle { 20 } else { 0 }));
        tokio::time::sleep(sleep).await;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let usage = "usage: sync_runner DB KEY URL ORDERS SIZE [queue|drain|both] [FROM]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, key, url, orders, size, rest @ ..] = args.as_slice() else {
        bail!("{usage}");
    };
    let orders: u64 = orders.parse().context("ORDERS must be a number")?;
    let size: usize = size.parse().context("SIZE must be a number")?;
    let mode = rest.first().map_or("both", String::as_str);
    let from: u64 = match rest.get(1) {
        Some(from) => from.parse().context("FROM must be a number")?,
        None => 0,
    };
    say(&format!(
        "clock {}",
        OffsetDateTime::now_utc().unix_timestamp()
    ))?;
    let mut store = Store::open(&PathBuf::from(db), &PathBuf::from(key))?;
    match mode {
        "queue" => queue(&mut store, from, orders, size),
        "drain" => drain(store, url).await,
        "both" => {
            queue(&mut store, from, orders, size)?;
            drain(store, url).await
        }
        other => bail!("unknown mode {other:?}; {usage}"),
    }
}
