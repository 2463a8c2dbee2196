//! Time is an input. The domain never reads a clock: adapters own a [`Clock`]
//! and pass `now` into every step. A kiosk's clock can be wrong (a dead CMOS
//! battery resets it to 1970 or to the board's build date), and a wrong clock
//! must never decide whether a certificate may be renewed, so decisions that
//! depend on the date first check the clock against a [`ClockFloor`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where the current time comes from. The kiosk's composition root passes the
/// system clock; tests pass a clock they set by hand.
pub trait Clock {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The earliest instant the kiosk knows has already happened: the later of the
/// software's build time and the last time the CA confirmed the time. A clock
/// that reads earlier than this is certainly wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockFloor(OffsetDateTime);

impl ClockFloor {
    /// A floor at `instant`.
    #[must_use]
    pub fn new(instant: OffsetDateTime) -> Self {
        Self(instant)
    }

    /// The instant itself.
    #[must_use]
    pub fn instant(self) -> OffsetDateTime {
        self.0
    }

    /// Raises the floor to `seen` if that is later (e.g. the CA's `Date`
    /// header). The floor never moves backwards.
    #[must_use]
    pub fn raised_to(self, seen: OffsetDateTime) -> Self {
        Self(self.0.max(seen))
    }

    /// Whether `now` can be true: not earlier than the floor.
    #[must_use]
    pub fn admits(self, now: OffsetDateTime) -> bool {
        now >= self.0
    }
}

/// A clock that always answers the same instant, for tests and replays.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_floor_admits_its_own_instant_and_later_but_not_earlier() {
        let floor = ClockFloor::new(datetime!(2026-11-01 00:00 UTC));
        assert!(floor.admits(datetime!(2026-11-01 00:00 UTC)));
        assert!(floor.admits(datetime!(2027-01-01 00:00 UTC)));
        assert!(!floor.admits(datetime!(2026-10-31 23:59:59 UTC)));
        assert!(!floor.admits(datetime!(1970-01-01 00:00 UTC)));
    }

    #[test]
    fn a_floor_never_moves_backwards() {
        let floor = ClockFloor::new(datetime!(2026-11-01 00:00 UTC));
        assert_eq!(floor.raised_to(datetime!(2020-01-01 00:00 UTC)), floor);
        let later = datetime!(2026-12-01 00:00 UTC);
        assert_eq!(floor.raised_to(later).instant(), later);
    }
}
