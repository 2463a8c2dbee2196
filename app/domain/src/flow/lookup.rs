//! 查询订单 (spec §3.3): find an order by the QR code on its receipt (read
//! by the camera) or by its number, always with the contact mobile: the
//! receipt alone must not open an order, and an unknown number and a wrong
//! mobile get the same answer, so the form cannot probe order numbers.

use super::driver::{Flow, Signal, Timer};
use super::{SessionId, Step, StepContext};
use crate::ids::MobileNumber;
use crate::order::Order;
use crate::order_number::OrderNumber;
use serde::{Deserialize, Serialize};

/// Why the camera gave no order number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanFailure {
    /// This kiosk has no camera, or it cannot be opened.
    NoCamera,
    /// The camera looked and saw no receipt QR code in time.
    NothingSeen,
}

/// The camera's part of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scan {
    Idle,
    Scanning,
    /// The number the receipt's QR code names (the form is filled with it).
    Read(OrderNumber),
    Failed(ScanFailure),
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Found {
    Nothing,
    Searching,
    Order(Box<Order>),
    /// No order with this number and mobile (one answer for both).
    NoMatch,
    /// The kiosk could not search (its store failed): not "no order".
    Fault,
}

/// Where 查询订单 stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LookupState {
    Home,
    Open {
        session: SessionId,
        scan: Scan,
        found: Found,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LookupEvent {
    /// 查询订单 was opened; the adapter made a session id.
    Open(SessionId),
    /// 扫描凭条二维码.
    Scan,
    /// What the camera read.
    Scanned(Result<OrderNumber, ScanFailure>),
    /// 查询 with the form checked.
    Find {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// The store's answer.
    Searched(Option<Box<Order>>),
    /// The store could not answer.
    SearchFailed,
    GoHome,
    IdleTimeout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LookupEffect {
    /// Look for a receipt's QR code with the camera, for a while.
    ScanReceipt { session: SessionId },
    /// Find the order with this number and contact mobile.
    FindOrder {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// Forget what was typed and shown.
    WipeSession,
}

/// The order number a receipt's QR code holds: the follow-up address with
/// the number at its end, or a bare number (older receipts).
#[must_use]
pub fn order_in_receipt_qr(payload: &str, follow_url_base: &str) -> Option<OrderNumber> {
    let payload = payload.trim();
    let tail = payload
        .strip_prefix(follow_url_base)
        .unwrap_or_else(|| payload.rsplit(['=', '/']).next().unwrap_or(payload));
    tail.parse().ok()
}

type LookupStep = Step<LookupState, LookupEffect>;

/// The lookup flow, for the driver.
#[derive(Debug)]
pub struct Lookup;

impl Flow for Lookup {
    type State = LookupState;
    type Event = LookupEvent;
    type Effect = LookupEffect;
    const NAME: &'static str = "lookup";
    const FORMAT: u32 = 1;

    fn home() -> LookupState {
        LookupState::Home
    }

    fn step(state: LookupState, event: LookupEvent, _: &StepContext) -> LookupStep {
        step(state, event)
    }

    fn session(state: &LookupState) -> Option<SessionId> {
        match state {
            LookupState::Home => None,
            LookupState::Open { session, .. } => Some(*session),
        }
    }

    fn signal(signal: Signal) -> Option<LookupEvent> {
        match signal {
            Signal::GoHome => Some(LookupEvent::GoHome),
            Signal::IdleTimeout => Some(LookupEvent::IdleTimeout),
            Signal::KeyInserted
            | Signal::KeyRemoved
            | Signal::Network { .. }
            | Signal::Restarted => None,
        }
    }

    fn timer(_: &LookupState, _: &StepContext) -> Option<Timer<LookupEvent>> {
        None
    }
}

/// One step of the lookup.
#[must_use]
pub fn step(state: LookupState, event: LookupEvent) -> LookupStep {
    use LookupEvent as E;
    use LookupState as S;
    match (state, event) {
        (S::Home, E::GoHome | E::IdleTimeout) => Step::to(S::Home),
        (S::Open { .. }, E::GoHome | E::IdleTimeout) => {
            Step::with(S::Home, vec![LookupEffect::WipeSession])
        }
        (S::Home, E::Open(session)) => Step::to(S::Open {
            session,
            scan: Scan::Idle,
            found: Found::Nothing,
        }),
        (
            S::Open {
                session,
                scan: Scan::Scanning,
                found,
            },
            E::Scan,
        ) => Step::to(S::Open {
            session,
            scan: Scan::Scanning,
            found,
        }),
        (S::Open { session, found, .. }, E::Scan) => Step::with(
            S::Open {
                session,
                scan: Scan::Scanning,
                found,
            },
            vec![LookupEffect::ScanReceipt { session }],
        ),
        (
            S::Open {
                session,
                scan: Scan::Scanning,
                found,
            },
            E::Scanned(read),
        ) => Step::to(S::Open {
            session,
            scan: match read {
                Ok(number) => Scan::Read(number),
                Err(failure) => Scan::Failed(failure),
            },
            found,
        }),
        (S::Open { session, scan, .. }, E::Find { number, mobile }) => Step::with(
            S::Open {
                session,
                scan,
                found: Found::Searching,
            },
            vec![LookupEffect::FindOrder { number, mobile }],
        ),
        (
            S::Open {
                session,
                scan,
                found: Found::Searching,
            },
            answer @ (E::Searched(_) | E::SearchFailed),
        ) => Step::to(S::Open {
            session,
            scan,
            found: match answer {
                E::Searched(Some(order)) => Found::Order(order),
                E::Searched(None) => Found::NoMatch,
                _ => Found::Fault,
            },
        }),
        (state, _) => Step::to(state),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::fixtures;
    use proptest::prelude::*;

    const S: SessionId = SessionId(5);

    fn open() -> LookupState {
        step(LookupState::Home, LookupEvent::Open(S)).state
    }

    #[test]
    fn a_receipt_read_fills_the_number_and_the_mobile_finds_the_order() {
        let number = fixtures::order_number(4);
        let scanning = step(open(), LookupEvent::Scan);
        assert_eq!(
            scanning.effects,
            vec![LookupEffect::ScanReceipt { session: S }]
        );
        // A second tap while the camera looks starts nothing more.
        assert!(
            step(scanning.state.clone(), LookupEvent::Scan)
                .effects
                .is_empty()
        );
        let read = step(scanning.state, LookupEvent::Scanned(Ok(number)));
        assert!(
            matches!(&read.state, LookupState::Open { scan: Scan::Read(n), .. } if *n == number)
        );
        let mobile: MobileNumber = fixtures::MOBILE.parse().unwrap();
        let search = step(
            read.state,
            LookupEvent::Find {
                number,
                mobile: mobile.clone(),
            },
        );
        assert_eq!(
            search.effects,
            vec![LookupEffect::FindOrder { number, mobile }]
        );
        let found = step(
            search.state,
            LookupEvent::Searched(Some(Box::new(fixtures::renewal_order(4)))),
        );
        assert!(matches!(
            found.state,
            LookupState::Open {
                found: Found::Order(_),
                ..
            }
        ));
        let home = step(found.state, LookupEvent::IdleTimeout);
        assert_eq!(home.state, LookupState::Home);
        assert_eq!(home.effects, vec![LookupEffect::WipeSession]);
    }

    #[test]
    fn a_fault_is_not_no_match() {
        let mobile: MobileNumber = fixtures::MOBILE.parse().unwrap();
        let number = fixtures::order_number(1);
        let searching = step(open(), LookupEvent::Find { number, mobile }).state;
        let fault = step(searching.clone(), LookupEvent::SearchFailed).state;
        assert!(matches!(
            fault,
            LookupState::Open {
                found: Found::Fault,
                ..
            }
        ));
        let none = step(searching, LookupEvent::Searched(None)).state;
        assert!(matches!(
            none,
            LookupState::Open {
                found: Found::NoMatch,
                ..
            }
        ));
    }

    #[test]
    fn receipt_codes_name_their_order() {
        let number = fixtures::order_number(7);
        let base = "https://ca.example.cn/track?order=";
        assert_eq!(
            order_in_receipt_qr(&format!("{base}{number}"), base),
            Some(number)
        );
        assert_eq!(
            order_in_receipt_qr(&format!("https://other.example/t/{number}"), base),
            Some(number)
        );
        assert_eq!(order_in_receipt_qr(&number.to_string(), base), Some(number));
        assert_eq!(
            order_in_receipt_qr("https://example.com/?q=hello", base),
            None
        );
    }

    proptest! {
        #[test]
        fn home_and_idle_always_end_it(events in prop::collection::vec(0_u8..6, 0..30)) {
            let mut state = open();
            for e in events {
                let event = match e {
                    0 => LookupEvent::Scan,
                    1 => LookupEvent::Scanned(Err(ScanFailure::NothingSeen)),
                    2 => LookupEvent::Find {
                        number: fixtures::order_number(1),
                        mobile: fixtures::MOBILE.parse().unwrap(),
                    },
                    3 => LookupEvent::Searched(Some(Box::new(fixtures::renewal_order(1)))),
                    4 => LookupEvent::SearchFailed,
                    _ => LookupEvent::Scanned(Ok(fixtures::order_number(2))),
                };
                state = step(state, event).state;
                let idle = step(state.clone(), LookupEvent::IdleTimeout);
                prop_assert_eq!(idle.state, LookupState::Home);
                prop_assert_eq!(idle.effects, vec![LookupEffect::WipeSession]);
            }
        }
    }
}
