//! 查询订单 (spec §3.3): find an order by the QR code on its receipt (read
//! by the camera) or by its number, always with the contact mobile: the
//! receipt alone must not open an order, and an unknown number and a wrong
//! mobile get the same answer, so the form cannot probe order numbers.
//!
//! The CA is asked first: it knows every order of every kiosk, also one this
//! kiosk has purged, and its status is the truth. When it does not have the
//! order (still in this kiosk's queue) or cannot be asked (offline), the
//! kiosk's own copy is shown, with when the kiosk last heard from the CA;
//! offline with no copy here, the answer is "cannot tell now", never "no
//! such order".

use super::driver::{Flow, Signal, Timer};
use super::{SessionId, Step, StepContext};
use crate::ids::MobileNumber;
use crate::order::Order;
use crate::order_number::OrderNumber;
use crate::ports::ca::OrderAtCa;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
    /// The CA is being asked about this number and mobile.
    AskingCa {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// The kiosk's store is being searched (`ca_reached`: the CA answered
    /// that it has no such order).
    SearchingKiosk {
        ca_reached: bool,
    },
    /// The CA's answer: the order as it stands now.
    AtCa(Box<OrderAtCa>),
    /// This kiosk's copy: the CA does not have it yet (`ca_reached`), or
    /// could not be asked; `heard_at` is when the kiosk last read the CA's
    /// statuses (`None`: never).
    Kept {
        order: Box<Order>,
        ca_reached: bool,
        heard_at: Option<OffsetDateTime>,
    },
    /// No order with this number and mobile (one answer for both).
    NoMatch,
    /// The CA cannot be asked and this kiosk holds no such order: it may
    /// exist, so this is not "no order".
    Offline,
    /// The kiosk could not search (its store failed): not "no order".
    Fault,
}

/// What the CA said to a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaAnswer {
    Found(Box<OrderAtCa>),
    /// No order with this number and mobile at the CA.
    NoSuchOrder,
    /// The CA could not be reached, or its answer was not usable.
    NotAsked,
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
    /// The CA's answer.
    CaAnswered(CaAnswer),
    /// The store's answer, with when the kiosk last heard from the CA.
    Searched {
        order: Option<Box<Order>>,
        heard_at: Option<OffsetDateTime>,
    },
    /// The store could not answer.
    SearchFailed,
    GoHome,
    IdleTimeout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LookupEffect {
    /// Look for a receipt's QR code with the camera, for a while.
    ScanReceipt { session: SessionId },
    /// Ask the CA for the order with this number and contact mobile.
    AskCa {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// Search this kiosk's store for it.
    SearchKiosk {
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
    const FORMAT: u32 = 2;

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
                found: Found::AskingCa {
                    number,
                    mobile: mobile.clone(),
                },
            },
            vec![LookupEffect::AskCa { number, mobile }],
        ),
        (
            S::Open {
                session,
                scan,
                found: Found::AskingCa { number, mobile },
            },
            E::CaAnswered(answer),
        ) => {
            let ca_reached = match answer {
                CaAnswer::Found(order) => {
                    return Step::to(S::Open {
                        session,
                        scan,
                        found: Found::AtCa(order),
                    });
                }
                CaAnswer::NoSuchOrder => true,
                CaAnswer::NotAsked => false,
            };
            Step::with(
                S::Open {
                    session,
                    scan,
                    found: Found::SearchingKiosk { ca_reached },
                },
                vec![LookupEffect::SearchKiosk { number, mobile }],
            )
        }
        (
            S::Open {
                session,
                scan,
                found: Found::SearchingKiosk { ca_reached },
            },
            answer @ (E::Searched { .. } | E::SearchFailed),
        ) => Step::to(S::Open {
            session,
            scan,
            found: match answer {
                E::Searched {
                    order: Some(order),
                    heard_at,
                } => Found::Kept {
                    order,
                    ca_reached,
                    heard_at,
                },
                E::Searched { order: None, .. } if ca_reached => Found::NoMatch,
                E::Searched { order: None, .. } => Found::Offline,
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

    fn mobile() -> MobileNumber {
        fixtures::MOBILE.parse().unwrap()
    }

    fn at_ca(seq: u32) -> OrderAtCa {
        let order = fixtures::application_order(seq);
        OrderAtCa {
            number: order.number,
            lifecycle: order.lifecycle(),
            status: crate::order::status::OrderStatus::AwaitingPayment,
            reason: None,
            amount: order.amount,
            created_at: order.created_at,
        }
    }

    fn found(state: &LookupState) -> &Found {
        match state {
            LookupState::Open { found, .. } => found,
            LookupState::Home => panic!("closed"),
        }
    }

    #[test]
    fn a_receipt_read_fills_the_number_and_the_ca_answers_with_the_mobile() {
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
        let search = step(
            read.state,
            LookupEvent::Find {
                number,
                mobile: mobile(),
            },
        );
        assert_eq!(
            search.effects,
            vec![LookupEffect::AskCa {
                number,
                mobile: mobile()
            }]
        );
        let answer = step(
            search.state,
            LookupEvent::CaAnswered(CaAnswer::Found(Box::new(at_ca(4)))),
        );
        assert!(answer.effects.is_empty(), "the CA's word is enough");
        assert!(matches!(found(&answer.state), Found::AtCa(o) if o.number == at_ca(4).number));
        let home = step(answer.state, LookupEvent::IdleTimeout);
        assert_eq!(home.state, LookupState::Home);
        assert_eq!(home.effects, vec![LookupEffect::WipeSession]);
    }

    #[test]
    fn without_the_ca_the_kiosks_copy_is_shown_with_its_age_and_no_copy_is_not_no_order() {
        let number = fixtures::order_number(1);
        let heard = fixtures::step_context().now;
        let asking = step(
            open(),
            LookupEvent::Find {
                number,
                mobile: mobile(),
            },
        )
        .state;
        for (answer, ca_reached) in [(CaAnswer::NotAsked, false), (CaAnswer::NoSuchOrder, true)] {
            let searching = step(asking.clone(), LookupEvent::CaAnswered(answer));
            assert_eq!(
                searching.effects,
                vec![LookupEffect::SearchKiosk {
                    number,
                    mobile: mobile()
                }]
            );
            let kept = step(
                searching.state.clone(),
                LookupEvent::Searched {
                    order: Some(Box::new(fixtures::renewal_order(1))),
                    heard_at: Some(heard),
                },
            )
            .state;
            assert!(matches!(
                found(&kept),
                Found::Kept { ca_reached: r, heard_at: Some(h), .. } if *r == ca_reached && *h == heard
            ));
            let none = step(
                searching.state.clone(),
                LookupEvent::Searched {
                    order: None,
                    heard_at: None,
                },
            )
            .state;
            // The CA said no and the kiosk has none: no such order. The CA
            // could not be asked: the kiosk cannot tell.
            let expected = if ca_reached {
                Found::NoMatch
            } else {
                Found::Offline
            };
            assert_eq!(found(&none), &expected);
            let fault = step(searching.state, LookupEvent::SearchFailed).state;
            assert_eq!(found(&fault), &Found::Fault);
        }
    }

    #[test]
    fn a_late_answer_to_an_older_question_changes_nothing() {
        let opened = open();
        for event in [
            LookupEvent::CaAnswered(CaAnswer::Found(Box::new(at_ca(2)))),
            LookupEvent::Searched {
                order: Some(Box::new(fixtures::renewal_order(2))),
                heard_at: None,
            },
        ] {
            let after = step(opened.clone(), event);
            assert_eq!(after.state, opened);
            assert!(after.effects.is_empty());
        }
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
        fn home_and_idle_always_end_it(events in prop::collection::vec(0_u8..7, 0..30)) {
            let mut state = open();
            for e in events {
                let event = match e {
                    0 => LookupEvent::Scan,
                    1 => LookupEvent::Scanned(Err(ScanFailure::NothingSeen)),
                    2 => LookupEvent::Find {
                        number: fixtures::order_number(1),
                        mobile: fixtures::MOBILE.parse().unwrap(),
                    },
                    3 => LookupEvent::Searched {
                        order: Some(Box::new(fixtures::renewal_order(1))),
                        heard_at: None,
                    },
                    4 => LookupEvent::SearchFailed,
                    5 => LookupEvent::CaAnswered(CaAnswer::NotAsked),
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
