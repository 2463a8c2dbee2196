//! The kiosk's domain: what an order is, which rules its inputs obey, and how
//! the two customer flows (renewal, application) move from step to step.
//!
//! Layout:
//! - [`account`]: enterprise accounts: the password rules, the unit.
//! - [`lang`]: the two languages every customer-facing message exists in.
//! - [`ids`]: inputs parsed into types that cannot hold invalid values
//!   (USCC, resident ID, mobile, taxpayer ID, e-mail).
//! - [`money`]: amounts in integer fen.
//! - [`clock`]: time as an input, and when the kiosk's clock can be trusted.
//! - [`renewal_window`]: may this certificate be renewed now?
//! - [`order_number`]: order numbers made offline, unique across kiosks.
//! - [`order`]: the order model for both flows and its status lifecycle.
//! - [`flow`]: the renewal and application flows as sans-IO state machines:
//!   `step(state, event, now) -> (state, effects)`.
//! - [`ports`]: one trait per device the flows need, and the error kinds
//!   drivers map their own errors to.
//!
//! **Architecture invariant:** this crate does no IO and reads no clock. It
//! depends on no other workspace crate, and on no device, database, network or
//! UI crate. Adapters run the [`flow::Effect`]s and feed results back as events.

pub mod account;
pub mod audit;
pub mod clock;
pub mod flow;
pub mod ids;
pub mod lang;
pub mod money;
pub mod order;
pub mod order_number;
pub mod ports;
pub mod renewal_window;

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
