//! The kiosk's side of the protocol: an HTTP client for the CA
//! ([`CaClient`]) and the outbox worker ([`Worker`]) that drains the store's
//! queue through the domain's [`Outbox`](kiosk_domain::ports::outbox::Outbox)
//! port, exactly once:
//!
//! - each order is created with its idempotency key (a repeat after a lost
//!   reply finds the stored record), then each attachment is sent as raw
//!   bytes from the CA's offset, then the order is submitted; only the
//!   submit's answer marks it acknowledged;
//! - a transient failure (network, 409, 429, 5xx) is retried with
//!   exponential backoff and full jitter, capped, and never before the
//!   CA's `Retry-After`; a permanent refusal (any other 4xx) sets the order
//!   aside with the CA's code, and the rest of the queue keeps draining;
//! - the worker publishes its [`SyncState`] on a `tokio::sync::watch`;
//! - a broken or hostile server cannot flood the kiosk: answers are read up
//!   to 1 MiB (error bodies up to 64 KiB), a success that is not JSON is
//!   refused unread, and each is an error to retry, never a panic.
//!
//! [`CaClient`] implements the domain's
//! [`CaPort`](kiosk_domain::ports::ca::CaPort): the calls a customer's visit
//! makes (the holder's details on file, the QR payment, a renewal's
//! certificate), with every status, problem code and wire string read here
//! and only the domain's words handed on.
//!
//! The CA is reached over mutual TLS ([`CaClient::with_tls`],
//! [`WorkerConfig::tls`]): rustls with the `ring` provider, the CA service's
//! certificate checked against the configured roots only, the kiosk's device
//! certificate presented. Plain HTTP ([`CaClient::new`]) is for tests and
//! loopback development.

mod account_port;
mod accounts;
mod audit;
mod backoff;
mod body;
mod ca_port;
mod holders;
mod http;
mod payments;
#[cfg(test)]
mod served;
mod staff_calls;
mod staff_crl;
mod worker;

pub use backoff::{Backoff, Jitter};
pub use http::{CaClient, CallError, Disposition, Probe, TlsSettings};
pub use worker::{
    AuditProblem, DrainReport, SyncState, Worker, WorkerConfig, WorkerError, audit_parts,
};
