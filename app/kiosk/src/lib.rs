//! The kiosk: the composition root that wires the domain's flows to the
//! store, the USB key, the CA, the printer, the camera and the touchscreen.
//!
//! Threads: the screen thread runs Slint's event loop and only shows what it
//! is told ([`ui_port`]); the flow thread ([`runtime`]) runs every flow
//! through the domain's driver, one [`slot`] per flow ([`renewal`],
//! [`application`], [`lookup`]: each an executor and its screens' binding);
//! the sync runtime ([`sync_task`]) runs the CA calls, the token and camera
//! work off the flow thread, the outbox worker and the purge. [`wiring`]
//! builds it all from the configuration; `main.rs` starts it; [`demo`]
//! builds a whole demonstration world on one machine.

pub mod account;
pub mod application;
pub mod clock;
pub mod demo;
pub mod devices;
pub mod link;
pub mod lookup;
pub mod notify;
pub mod pickup;
pub mod receipts;
pub mod renewal;
pub mod runtime;
pub mod shared_store;
pub mod slot;
pub mod staff_call;
pub mod staff_mode;
pub mod sync_task;
pub mod ui_port;
pub mod viewfinder;
pub mod wiring;
