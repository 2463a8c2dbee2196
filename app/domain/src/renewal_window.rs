//! May this certificate be renewed now? (spec §3.1 step 2)
//!
//! A certificate may be renewed from `opens_before_expiry` before its
//! `notAfter` until `closes_after_expiry` after it. Both ends are inclusive
//! and exact to the second:
//!
//! - opens at  `notAfter - opens_before_expiry` (renewable at that instant),
//! - closes at `notAfter + closes_after_expiry` (still renewable at that
//!   instant, not one second later).
//!
//! Outside the window the customer is told why and what to do instead (apply
//! for a new certificate at the counter). A clock that reads earlier than the
//! kiosk's [`ClockFloor`] refuses the decision instead of guessing: a kiosk
//! whose clock fell back to 1970 would otherwise call every certificate "too
//! early".

use crate::clock::ClockFloor;
use crate::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The configurable renewal window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalWindow {
    /// How long before `notAfter` renewal opens (default 30 days).
    pub opens_before_expiry: Duration,
    /// How long after `notAfter` renewal stays open (default 365 days).
    pub closes_after_expiry: Duration,
}

impl Default for RenewalWindow {
    fn default() -> Self {
        Self {
            opens_before_expiry: Duration::days(30),
            closes_after_expiry: Duration::days(365),
        }
    }
}

/// What a renewal costs and when a certificate may be renewed, as the CA
/// publishes them (`GET /v1/config`): the kiosk decides with the CA's own
/// terms, so that no one pays for a renewal the CA would then refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalTerms {
    pub price: crate::money::Fen,
    pub window: RenewalWindow,
}

/// The answer for one certificate at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewalVerdict {
    /// Renewable now; the window closes at `closes_at`.
    Renewable { closes_at: OffsetDateTime },
    /// Not yet: renewal opens at `opens_at`.
    TooEarly { opens_at: OffsetDateTime },
    /// Too late: the window closed at `closed_at`; a new application is needed.
    TooLate { closed_at: OffsetDateTime },
    /// The kiosk's clock reads earlier than it can be; no decision is made.
    ClockUntrusted,
}

impl RenewalVerdict {
    /// Whether the customer may go on with the renewal.
    #[must_use]
    pub fn is_renewable(&self) -> bool {
        matches!(self, Self::Renewable { .. })
    }
}

impl Localized for RenewalVerdict {
    fn message(&self, lang: Lang) -> String {
        let date = |t: &OffsetDateTime| format!("{}", t.date());
        match (self, lang) {
            (Self::Renewable { closes_at }, Lang::ZhCn) => {
                format!("该证书可以更新（更新期限至 {}）", date(closes_at))
            }
            (Self::Renewable { closes_at }, Lang::En) => {
                format!("This certificate can be renewed (until {}).", date(closes_at))
            }
            (Self::TooEarly { opens_at }, Lang::ZhCn) => format!(
                "该证书尚未到更新时间，请于 {} 之后再来办理",
                date(opens_at)
            ),
            (Self::TooEarly { opens_at }, Lang::En) => format!(
                "This certificate cannot be renewed yet. Please come back on or after {}.",
                date(opens_at)
            ),
            (Self::TooLate { closed_at }, Lang::ZhCn) => format!(
                "该证书已于 {} 超过可更新期限，无法在线更新，请到柜台办理新证书申请",
                date(closed_at)
            ),
            (Self::TooLate { closed_at }, Lang::En) => format!(
                "This certificate expired too long ago (renewal closed on {}). Please apply for a new certificate at the counter.",
                date(closed_at)
            ),
            (Self::ClockUntrusted, Lang::ZhCn) => {
                "本机时间异常，暂时无法判断能否更新，请联系工作人员".to_owned()
            }
            (Self::ClockUntrusted, Lang::En) => {
                "This kiosk's clock is wrong, so renewal cannot be checked now. Please ask staff for help.".to_owned()
            }
        }
    }
}

impl RenewalWindow {
    /// The verdict for a certificate expiring at `not_after`, asked at `now`.
    #[must_use]
    pub fn verdict(
        &self,
        not_after: OffsetDateTime,
        now: OffsetDateTime,
        floor: ClockFloor,
    ) -> RenewalVerdict {
        if !floor.admits(now) {
            return RenewalVerdict::ClockUntrusted;
        }
        let opens_at = not_after - self.opens_before_expiry;
        let closes_at = not_after + self.closes_after_expiry;
        if now < opens_at {
            RenewalVerdict::TooEarly { opens_at }
        } else if now > closes_at {
            RenewalVerdict::TooLate {
                closed_at: closes_at,
            }
        } else {
            RenewalVerdict::Renewable { closes_at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const NOT_AFTER: OffsetDateTime = datetime!(2027-03-15 12:00:00 UTC);

    fn floor() -> ClockFloor {
        ClockFloor::new(datetime!(2026-01-01 00:00 UTC))
    }

    fn verdict_at(now: OffsetDateTime) -> RenewalVerdict {
        RenewalWindow::default().verdict(NOT_AFTER, now, floor())
    }

    #[test]
    fn opens_exactly_thirty_days_before_not_after() {
        let opens = datetime!(2027-02-13 12:00:00 UTC);
        assert!(verdict_at(opens).is_renewable());
        assert_eq!(
            verdict_at(opens - Duration::seconds(1)),
            RenewalVerdict::TooEarly { opens_at: opens }
        );
    }

    #[test]
    fn closes_exactly_365_days_after_not_after() {
        let closes = datetime!(2028-03-14 12:00:00 UTC); // 2028 is a leap year
        assert_eq!(
            verdict_at(closes),
            RenewalVerdict::Renewable { closes_at: closes }
        );
        assert_eq!(
            verdict_at(closes + Duration::seconds(1)),
            RenewalVerdict::TooLate { closed_at: closes }
        );
    }

    #[test]
    fn renewable_on_the_expiry_instant_itself() {
        assert!(verdict_at(NOT_AFTER).is_renewable());
    }

    #[test]
    fn the_window_is_configurable() {
        let window = RenewalWindow {
            opens_before_expiry: Duration::days(60),
            closes_after_expiry: Duration::days(0),
        };
        let at = |now| window.verdict(NOT_AFTER, now, floor());
        assert!(at(NOT_AFTER - Duration::days(60)).is_renewable());
        assert!(!at(NOT_AFTER + Duration::seconds(1)).is_renewable());
    }

    #[test]
    fn a_clock_before_the_floor_refuses_to_decide() {
        assert_eq!(
            verdict_at(datetime!(1970-01-01 00:00 UTC)),
            RenewalVerdict::ClockUntrusted
        );
        // Even a certificate that would otherwise be "too late".
        let window = RenewalWindow::default();
        let floor = ClockFloor::new(datetime!(2030-01-01 00:00 UTC));
        assert_eq!(
            window.verdict(NOT_AFTER, datetime!(2029-12-31 00:00 UTC), floor),
            RenewalVerdict::ClockUntrusted
        );
    }

    #[test]
    fn every_verdict_speaks_both_languages() {
        for v in [
            verdict_at(NOT_AFTER),
            verdict_at(datetime!(2026-06-01 00:00 UTC)),
            verdict_at(datetime!(2029-01-01 00:00 UTC)),
            RenewalVerdict::ClockUntrusted,
        ] {
            assert!(!v.message(Lang::ZhCn).is_ascii(), "{v:?}");
            assert!(v.message(Lang::En).is_ascii(), "{v:?}");
        }
    }

    proptest! {
        /// The window is exactly the closed interval, whatever the instant.
        #[test]
        fn renewable_iff_inside_the_closed_interval(offset_s in -40_000_000_i64..40_000_000) {
            let now = NOT_AFTER + Duration::seconds(offset_s);
            let inside = (-30 * 86_400..=365 * 86_400).contains(&offset_s);
            prop_assert_eq!(verdict_at(now).is_renewable(), inside);
        }
    }
}
