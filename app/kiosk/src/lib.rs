//! The kiosk: the composition root that wires the domain's flows to the
//! store, the USB key, the CA, the printer and the touchscreen.
//!
//! Threads: the screen thread runs Slint's event loop and only shows what it
//! is told ([`ui_port`]); the flow thread ([`runtime`]) steps the renewal
//! flow through the driver, which journals every state in the store before
//! its effects run ([`renewal_io`]); the sync thread ([`sync_task`]) drains
//! the outbox to the CA. `main.rs` reads the configuration and starts them;
//! [`demo`] builds a whole demonstration world on one machine.

pub mod ca_link;
pub mod demo;
pub mod idle;
pub mod notify;
pub mod receipt_scan;
pub mod receipts;
pub mod renewal_io;
pub mod runtime;
pub mod sync_task;
pub mod ui_port;
pub mod wiring;

use kiosk_domain::flow::renewal::RenewalState;

/// The state's variant name, for logs (never personal data).
#[must_use]
pub fn state_name(state: &RenewalState) -> String {
    format!("{state:?}")
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}
