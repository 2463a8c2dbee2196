//! Creates orders in the store and reports, for each, whether the store
//! said it was saved. `tests/store_fsync_faults.rs` runs it under libfiu
//! (`fiu-run -x`) with fsync and fdatasync failing at random, and checks
//! that every order reported saved is in the store, whole, afterwards.
//!
//! Usage: `fsync_writer DB KEY ORDERS`. Prints, flushed:
//!
//! ```text
//! opened <failed attempts>                   the store opened
//! saved <order-number> <sha256-1> <sha256-2>  create_order returned Ok
//! not_saved <session> <error>                 create_order returned an error
//! ```
//!
//! After an error it opens the store again (as the kiosk's runtime would
//! after a failed effect) and goes on with the next order.

use anyhow::{Context, Result, bail};
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_store::Store;
use kiosk_tests::report::{say, sha256_hex};
use kiosk_tests::rng::Rng;
use std::path::{Path, PathBuf};
use time::macros::datetime;

/// Opens the store, retrying: opening may itself meet a failing fsync.
fn open(db: &Path, key: &Path) -> Result<Store> {
    for failed in 0..200 {
        if let Ok(store) = Store::open(db, key) {
            say(&format!("opened {failed}"))?;
            return Ok(store);
        }
    }
    bail!("the store did not open in 200 attempts")
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, key, orders] = args.as_slice() else {
        bail!("usage: fsync_writer DB KEY ORDERS");
    };
    let (db, key) = (PathBuf::from(db), PathBuf::from(key));
    let orders: u64 = orders.parse().context("ORDERS must be a number")?;
    let mut store = open(&db, &key)?;
    let kiosk = fixtures::kiosk();
    let mut rng = Rng(0xF5_1C);
    for i in 0..orders {
        let (pdf_len, jpeg_len) = (rng.between(5_000, 60_000), rng.between(5_000, 60_000));
        let first = Attachment::new(
            AttachmentKind::BusinessLicence,
            rng.file(b"%PDF-1.7\n", pdf_len),
        )?;
        let second = Attachment::new(
            AttachmentKind::HandlerId,
            rng.file(&[0xFF, 0xD8, 0xFF, 0xE0], jpeg_len),
        )?;
        let session = format!("fiu-{i}");
        let created = store.create_order(
            &session,
            &kiosk,
            time::macros::date!(2026 - 11 - 23),
            |number| {
                let details = fixtures::application_details();
                let amount = details.amount_due().unwrap_or(Fen(0));
                Order::new(
                    number,
                    datetime!(2026-11-23 10:00 UTC),
                    amount,
                    OrderDetails::Application(details),
                )
            },
            &[first.clone(), second.clone()],
        );
        match created {
            Ok(order) => say(&format!(
                "saved {} {} {}",
                order.number,
                sha256_hex(first.bytes()),
                sha256_hex(second.bytes())
            ))?,
            Err(e) => {
                say(&format!(
                    "not_saved {session} {}",
                    e.to_string().replace('\n', " ")
                ))?;
                drop(store);
                store = open(&db, &key)?;
            }
        }
    }
    Ok(())
}
