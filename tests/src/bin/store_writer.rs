//! Creates orders in the store as fast as it can, until it is killed.
//! `tests/store_crash.rs` kills it with SIGKILL at random moments and checks
//! that everything it reported is in the store, whole.
//!
//! Usage: `store_writer DB KEY [SEED]`. Each order is a renewal or an
//! application (alternating at random) with two attachments of 50–300 KB of
//! pseudo-random bytes, one starting like a JPEG, one like a PDF. After each
//! commit it prints, and flushes:
//!
//! ```text
//! committed <order-number> <sha256-of-attachment-1> <sha256-of-attachment-2>
//! ```
//!
//! so a line on stdout means the order was committed before it was printed.

use anyhow::{Context, Result};
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_store::Store;
use kiosk_tests::report::sha256_hex;
use kiosk_tests::rng::Rng;
use std::io::Write as _;
use std::path::PathBuf;
use time::Duration;
use time::macros::datetime;

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: store_writer DB KEY [SEED]";
    let db = PathBuf::from(args.next().context(usage)?);
    let key = PathBuf::from(args.next().context(usage)?);
    let seed: u64 = match args.next() {
        Some(s) => s
            .to_string_lossy()
            .parse()
            .context("SEED must be a number")?,
        None => 1,
    };
    let mut rng = Rng(seed);
    let mut store = Store::open(&db, &key)?;
    let kiosk = fixtures::kiosk();
    let day = time::macros::date!(2026 - 11 - 23);
    let mut out = std::io::stdout().lock();

    for i in 0u64.. {
        let renewal = rng.next_u64() & 1 == 0;
        let jpeg_len = rng.between(50_000, 300_000);
        let pdf_len = rng.between(50_000, 300_000);
        let first = Attachment::new(
            AttachmentKind::HandlerId,
            rng.file(&[0xFF, 0xD8, 0xFF, 0xE0], jpeg_len),
        )?;
        let second = Attachment::new(
            AttachmentKind::BusinessLicence,
            rng.file(b"%PDF-1.7\n", pdf_len),
        )?;
        let created =
            datetime!(2026-11-23 10:00 UTC) + Duration::milliseconds(i64::try_from(i).unwrap_or(0));
        // Unique per run and per order, so every order is new; a rerun with
        // the same seed retries the same sessions and must create nothing.
        let client_key = format!("writer-{seed}-{i}");
        let order = store.create_order(
            &client_key,
            &kiosk,
            day,
            |number| {
                if renewal {
                    let mut order = fixtures::renewal_order(0);
                    order.number = number;
                    order.created_at = created;
                    order
                } else {
                    let details = fixtures::application_details();
                    let amount = details.amount_due().unwrap_or(Fen(0));
                    Order::new(number, created, amount, OrderDetails::Application(details))
                }
            },
            &[first.clone(), second.clone()],
        )?;
        writeln!(
            out,
            "committed {} {} {}",
            order.number,
            sha256_hex(first.bytes()),
            sha256_hex(second.bytes())
        )?;
        out.flush()?;
    }
    Ok(())
}
