//! The idle timer (spec §6): after `idle` without a touch the kiosk warns
//! with a countdown; when it reaches zero the session is wiped and home
//! returns. 长辈模式 waits longer.
//!
//! Pure (time is passed in, and [`IdleTimer::poll_timeout`] says when the
//! next tick matters), so that the countdown is tested without waiting.

use std::time::{Duration, Instant};

/// The configured times (长辈模式 gets the longer `idle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleTimes {
    pub idle: Duration,
    pub large_mode_idle: Duration,
    pub warning: Duration,
}

/// What the runtime does after a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleAction {
    /// Nothing changed on screen.
    Nothing,
    /// Show (or update) the warning with this many whole seconds left.
    Warn(u32),
    /// The countdown ran out: wipe the session and go home.
    Expire,
}

/// Counts from the last touch while a session is open.
#[derive(Debug, Clone)]
pub struct IdleTimer {
    times: IdleTimes,
    large_mode: bool,
    last_touch: Instant,
    /// Whether a session is open (at home there is nothing to wipe).
    armed: bool,
    /// The last second shown, so that a tick shows each second once.
    shown: Option<u32>,
    /// A call for staff is under way or delivered: the customer waits.
    waiting_for_staff: bool,
}

/// The least quiet time before the warning while a customer waits for the
/// staff they called.
pub const STAFF_WAIT: Duration = Duration::from_secs(10 * 60);

impl IdleTimer {
    #[must_use]
    pub fn new(times: IdleTimes, now: Instant) -> Self {
        Self {
            times,
            large_mode: false,
            last_touch: now,
            armed: false,
            shown: None,
            waiting_for_staff: false,
        }
    }

    /// A touch (any customer action): the countdown starts over.
    pub fn touch(&mut self, now: Instant) {
        self.last_touch = now;
        self.shown = None;
    }

    /// A session opened or closed (home: nothing to count).
    pub fn arm(&mut self, armed: bool, now: Instant) {
        if armed != self.armed {
            self.armed = armed;
            self.touch(now);
        }
    }

    pub fn set_large_mode(&mut self, on: bool) {
        self.large_mode = on;
    }

    /// A customer told to wait for staff here (呼叫工作人员 delivered) is
    /// not sent home after the usual quiet: the session lasts at least
    /// [`STAFF_WAIT`] without a touch, so the call is not withdrawn while
    /// they wait as asked.
    pub fn set_waiting_for_staff(&mut self, on: bool) {
        self.waiting_for_staff = on;
    }

    /// Whether the warning is on screen.
    #[must_use]
    pub fn warning(&self) -> bool {
        self.shown.is_some()
    }

    fn limit(&self) -> Duration {
        let limit = if self.large_mode {
            self.times.large_mode_idle
        } else {
            self.times.idle
        };
        if self.waiting_for_staff {
            limit.max(STAFF_WAIT)
        } else {
            limit
        }
    }

    /// When [`Self::tick`] next has something to say: the warning's start,
    /// each second of its countdown, the expiry. `None` when not armed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.armed {
            return None;
        }
        let warn_at = self.last_touch + self.limit();
        let Some(shown) = self.shown else {
            return Some(warn_at);
        };
        // `shown` seconds are on screen; one fewer shows once that much is left.
        let left_then = Duration::from_secs(u64::from(shown.saturating_sub(1)));
        Some(warn_at + self.times.warning.saturating_sub(left_then))
    }

    /// What to do at `now`.
    pub fn tick(&mut self, now: Instant) -> IdleAction {
        if !self.armed {
            return IdleAction::Nothing;
        }
        let quiet = now.saturating_duration_since(self.last_touch);
        let limit = self.limit();
        if quiet < limit {
            return IdleAction::Nothing;
        }
        let into_warning = quiet - limit;
        if into_warning >= self.times.warning {
            self.armed = false;
            self.shown = None;
            return IdleAction::Expire;
        }
        let left = self.times.warning - into_warning;
        // Rounded up: the warning never shows 0 while time is left.
        let secs = u32::try_from(left.as_millis().div_ceil(1000)).unwrap_or(u32::MAX);
        if self.shown == Some(secs) {
            return IdleAction::Nothing;
        }
        self.shown = Some(secs);
        IdleAction::Warn(secs)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]
mod tests {
    use super::*;

    fn times() -> IdleTimes {
        IdleTimes {
            idle: Duration::from_secs(90),
            large_mode_idle: Duration::from_secs(180),
            warning: Duration::from_secs(20),
        }
    }

    #[test]
    fn warns_each_second_then_expires_once() {
        let t0 = Instant::now();
        let mut timer = IdleTimer::new(times(), t0);
        timer.arm(true, t0);
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(timer.tick(at(89)), IdleAction::Nothing);
        assert_eq!(timer.tick(at(90)), IdleAction::Warn(20));
        assert_eq!(timer.tick(at(90)), IdleAction::Nothing, "same second");
        assert!(timer.warning());
        assert_eq!(
            timer.tick(at(100) + Duration::from_millis(1)),
            IdleAction::Warn(10)
        );
        assert_eq!(timer.tick(at(110)), IdleAction::Expire);
        assert_eq!(timer.tick(at(111)), IdleAction::Nothing, "expires once");
        assert!(!timer.warning());
    }

    #[test]
    fn poll_timeout_names_every_instant_that_changes_the_screen() {
        let t0 = Instant::now();
        let mut timer = IdleTimer::new(times(), t0);
        assert_eq!(timer.poll_timeout(), None, "home: nothing to count");
        timer.arm(true, t0);
        let mut now = t0;
        let mut shown = Vec::new();
        // Following poll_timeout alone reaches every second and the expiry.
        for _ in 0..100 {
            let Some(at) = timer.poll_timeout() else {
                break;
            };
            assert!(at >= now, "time only moves forward");
            now = at;
            match timer.tick(now) {
                IdleAction::Warn(s) => shown.push(s),
                IdleAction::Expire => {
                    shown.push(0);
                    break;
                }
                IdleAction::Nothing => panic!("woken for nothing at {:?}", now - t0),
            }
        }
        let expected: Vec<u32> = (0..=20).rev().collect();
        assert_eq!(shown, expected);
        assert_eq!(now - t0, Duration::from_secs(110));
        assert_eq!(timer.poll_timeout(), None, "expired: disarmed");
    }

    #[test]
    fn a_touch_during_the_warning_starts_over() {
        let t0 = Instant::now();
        let mut timer = IdleTimer::new(times(), t0);
        timer.arm(true, t0);
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(timer.tick(at(95)), IdleAction::Warn(15));
        timer.touch(at(96));
        assert!(!timer.warning());
        assert_eq!(timer.tick(at(185)), IdleAction::Nothing);
        assert_eq!(timer.tick(at(186)), IdleAction::Warn(20));
    }

    #[test]
    fn large_mode_waits_longer_and_home_never_counts() {
        let t0 = Instant::now();
        let mut timer = IdleTimer::new(times(), t0);
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(timer.tick(at(1000)), IdleAction::Nothing, "not armed");
        timer.arm(true, at(1000));
        timer.set_large_mode(true);
        assert_eq!(timer.tick(at(1100)), IdleAction::Nothing);
        assert_eq!(timer.tick(at(1180)), IdleAction::Warn(20));
        timer.arm(false, at(1181));
        assert_eq!(timer.tick(at(5000)), IdleAction::Nothing);
    }

    #[test]
    fn a_customer_waiting_for_staff_is_not_sent_home_after_the_usual_quiet() {
        let t0 = Instant::now();
        let mut idle = IdleTimer::new(times(), t0);
        idle.arm(true, t0);
        idle.set_waiting_for_staff(true);
        assert_eq!(
            idle.tick(t0 + Duration::from_secs(200)),
            IdleAction::Nothing
        );
        assert_eq!(idle.poll_timeout(), Some(t0 + STAFF_WAIT));
        assert_eq!(idle.tick(t0 + STAFF_WAIT), IdleAction::Warn(20));
        // The call is over (acknowledged and gone, or not delivered): the
        // usual quiet again.
        idle.set_waiting_for_staff(false);
        idle.touch(t0 + STAFF_WAIT);
        assert_eq!(
            idle.tick(t0 + STAFF_WAIT + Duration::from_secs(90)),
            IdleAction::Warn(20)
        );
    }
}
