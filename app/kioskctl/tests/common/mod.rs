//! Shared by kioskctl's tests: the binary on a data directory of the
//! test's own (no configuration file), and an order queued in its store.
#![allow(dead_code, clippy::unwrap_used)]

use kiosk_domain::fixtures;
use kiosk_domain::order_number::OrderNumber;
use kiosk_store::Store;
use std::path::Path;
use std::process::{Command, Output};

/// `kioskctl` on `dir`, ready for its arguments.
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kioskctl"));
    cmd.args(["--config", "/dev/null", "--data-dir"]).arg(dir);
    cmd
}

/// `kioskctl ARGS` on `dir`, run to the end.
pub fn kioskctl(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().unwrap()
}

/// The store `kioskctl` opens for `dir`.
pub fn store(dir: &Path) -> Store {
    Store::open(&dir.join("store/kiosk.db"), &dir.join("keys/store.key")).unwrap()
}

/// An application order (the fixture's `seq`th) queued in `store`, under
/// the customer session `session`; its number.
pub fn queue_application(store: &mut Store, seq: u32, session: &str) -> OrderNumber {
    let order = fixtures::application_order(seq);
    store
        .create_order(
            session,
            &fixtures::kiosk(),
            order.number.date(),
            |n| {
                let mut o = order.clone();
                o.number = n;
                o
            },
            &[],
        )
        .unwrap()
        .number
}
