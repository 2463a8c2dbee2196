//! The customer flows as sans-IO state machines.
//!
//! Each flow is a pure function `step(state, event, ctx) -> (state, effects)`.
//! Effects are data: the kiosk's runtime persists the new state first, then
//! runs each effect on an adapter (token, printer, camera, store, sync) and
//! feeds the outcome back as an event. Because the state is saved before any
//! effect runs, and every effect is keyed by the session and the step that
//! asked for it, re-running the effects of the last saved state after a power
//! cut is always safe.
//!
//! Two rules hold in every flow, from every state:
//! - `GoHome` returns home (the customer can always leave);
//! - `IdleTimeout` returns home and wipes the session's personal data.
//!
//! Each flow implements [`driver::Flow`]: its step, how kiosk-wide
//! [`driver::Signal`]s (home, idle, the key, the network) reach it, and its
//! own timer. [`driver::Driver`] runs any of them; [`idle::IdleTimer`] is
//! the kiosk-wide idle rule.

pub mod account;
pub mod application;
pub mod driver;
pub mod idle;
pub mod lookup;
pub mod pickup;
pub mod renewal;
pub mod staff;
pub mod staff_call;

use crate::clock::ClockFloor;
use crate::money::Fen;
use crate::renewal_window::RenewalWindow;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Everything a step may consult besides its state and event. `now` comes from
/// the adapter's clock: the domain never reads one.
#[derive(Debug, Clone, Copy)]
pub struct StepContext {
    pub now: OffsetDateTime,
    pub floor: ClockFloor,
    pub window: RenewalWindow,
    /// The price of a renewal, from the CA's configuration.
    pub renewal_price: Fen,
    /// How often a flow asks the CA whether a QR payment went through.
    pub payment_poll: std::time::Duration,
}

/// Identifies one customer session; with the step it keys every effect, so the
/// adapter that runs an effect twice (after a crash) can tell it already did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SessionId(pub u64);

/// What a step returns: the new state and the effects to run, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<S, E> {
    pub state: S,
    pub effects: Vec<E>,
}

impl<S, E> Step<S, E> {
    /// A new state with no effects.
    pub fn to(state: S) -> Self {
        Self {
            state,
            effects: Vec::new(),
        }
    }

    /// A new state with effects.
    pub fn with(state: S, effects: Vec<E>) -> Self {
        Self { state, effects }
    }
}
