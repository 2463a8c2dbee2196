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
use crate::money::Fen;
use crate::order::Order;
use crate::order::text::{PersonName, Reference};
use crate::order_number::OrderNumber;
use crate::ports::ca::{OrderAtCa, PaymentAnswer, PaymentQr};
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
    /// The CA's answer: the order as it stands now (found with `mobile`).
    AtCa {
        order: Box<OrderAtCa>,
        mobile: MobileNumber,
    },
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

/// Paying an order found at the CA (a reviewed application, 待支付).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pay {
    /// Not paying (支付 is offered when the order can be paid).
    Idle,
    /// The CA is asked for the QR code.
    Opening,
    /// The QR code, polled until paid or expired.
    Waiting(PaymentQr),
    /// The CA confirmed the payment.
    Paid,
    /// 银行转账: the customer fills in the transfer's details.
    TransferForm,
    /// A bank transfer's details are being sent to the CA.
    Remitting,
    /// The CA noted the bank transfer; its finance staff match it with the
    /// money.
    RemittanceNoted,
    /// The CA could not open a payment or note a transfer now (try again,
    /// or the counter).
    Unavailable,
}

/// The order 支付 and 已银行转账 are offered for: the CA's answer, when it
/// awaits payment (see [`OrderAtCa::payable`]) and nothing is paid or being
/// paid for it here.
#[must_use]
pub fn payable_order<'a>(found: &'a Found, pay: &Pay) -> Option<&'a OrderAtCa> {
    match (found, pay) {
        (Found::AtCa { order, .. }, Pay::Idle | Pay::Unavailable) if order.payable() => Some(order),
        _ => None,
    }
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
        pay: Pay,
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
    /// 支付 on an order the CA says awaits payment.
    Pay,
    /// The customer left the QR code (返回): the payment stays open at the CA.
    StopPaying,
    /// The flow's timer: ask the CA about the payment again.
    PollPayment,
    /// The CA's word on the payment (`None`: it could not be asked).
    PaymentAnswered(Option<PaymentAnswer>),
    /// 已银行转账: the customer wants to give a transfer's details.
    ChooseTransfer,
    /// 提交汇款信息: the customer paid by bank transfer, as `payer` under
    /// the bank's `reference`.
    Remit {
        payer: PersonName,
        reference: Reference,
    },
    /// Whether the CA noted the transfer.
    RemittanceAnswered(bool),
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
    /// Ask the CA for the order's QR payment (the open one, if any).
    OpenPayment { number: OrderNumber, amount: Fen },
    /// Ask the CA whether the payment went through.
    CheckPayment {
        number: OrderNumber,
        amount: Fen,
        payment_id: String,
    },
    /// Tell the CA of a bank transfer for the order.
    NoteRemittance {
        number: OrderNumber,
        amount: Fen,
        payer: PersonName,
        reference: Reference,
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
    const FORMAT: u32 = 3;

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

    /// While a QR code shows, the CA is asked every `payment_poll`.
    fn timer(state: &LookupState, ctx: &StepContext) -> Option<Timer<LookupEvent>> {
        match state {
            LookupState::Open {
                pay: Pay::Waiting(_),
                ..
            } => Some(Timer {
                after: ctx.payment_poll,
                event: LookupEvent::PollPayment,
            }),
            _ => None,
        }
    }
}

/// One step of the lookup.
#[must_use]
pub fn step(state: LookupState, event: LookupEvent) -> LookupStep {
    match (state, event) {
        (LookupState::Home, LookupEvent::Open(session)) => Step::to(LookupState::Open {
            session,
            scan: Scan::Idle,
            found: Found::Nothing,
            pay: Pay::Idle,
        }),
        (LookupState::Home, _) => Step::to(LookupState::Home),
        (LookupState::Open { .. }, LookupEvent::GoHome | LookupEvent::IdleTimeout) => {
            Step::with(LookupState::Home, vec![LookupEffect::WipeSession])
        }
        (
            LookupState::Open {
                session,
                scan,
                found,
                pay,
            },
            event,
        ) => Desk {
            session,
            scan,
            found,
            pay,
        }
        .step(event),
    }
}

/// 查询订单 while open.
struct Desk {
    session: SessionId,
    scan: Scan,
    found: Found,
    pay: Pay,
}

impl Desk {
    fn stay(self) -> LookupStep {
        self.then(Vec::new())
    }

    fn then(self, effects: Vec<LookupEffect>) -> LookupStep {
        Step::with(
            LookupState::Open {
                session: self.session,
                scan: self.scan,
                found: self.found,
                pay: self.pay,
            },
            effects,
        )
    }

    fn step(mut self, event: LookupEvent) -> LookupStep {
        use LookupEvent as E;
        match event {
            E::Scan if self.scan == Scan::Scanning => self.stay(),
            E::Scan => {
                self.scan = Scan::Scanning;
                let session = self.session;
                self.then(vec![LookupEffect::ScanReceipt { session }])
            }
            E::Scanned(read) if self.scan == Scan::Scanning => {
                self.scan = match read {
                    Ok(number) => Scan::Read(number),
                    Err(failure) => Scan::Failed(failure),
                };
                self.stay()
            }
            E::Find { number, mobile } => {
                self.pay = Pay::Idle;
                self.ask_ca(number, mobile)
            }
            E::CaAnswered(answer) => {
                let Found::AskingCa { number, mobile } = self.found else {
                    return self.stay();
                };
                let ca_reached = match answer {
                    CaAnswer::Found(order) => {
                        self.found = Found::AtCa { order, mobile };
                        return self.stay();
                    }
                    CaAnswer::NoSuchOrder => true,
                    CaAnswer::NotAsked => false,
                };
                self.found = Found::SearchingKiosk { ca_reached };
                self.then(vec![LookupEffect::SearchKiosk { number, mobile }])
            }
            answer @ (E::Searched { .. } | E::SearchFailed) => {
                let Found::SearchingKiosk { ca_reached } = self.found else {
                    return self.stay();
                };
                self.found = match answer {
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
                };
                self.stay()
            }
            E::Pay => {
                let Some(order) = payable_order(&self.found, &self.pay) else {
                    return self.stay();
                };
                let effect = LookupEffect::OpenPayment {
                    number: order.number,
                    amount: order.amount,
                };
                self.pay = Pay::Opening;
                self.then(vec![effect])
            }
            E::StopPaying => {
                if matches!(self.pay, Pay::Opening | Pay::Waiting(_) | Pay::TransferForm) {
                    self.pay = Pay::Idle;
                }
                self.stay()
            }
            E::PollPayment => {
                let (Pay::Waiting(qr), Found::AtCa { order, .. }) = (&self.pay, &self.found) else {
                    return self.stay();
                };
                let effect = LookupEffect::CheckPayment {
                    number: order.number,
                    amount: order.amount,
                    payment_id: qr.payment_id.clone(),
                };
                self.then(vec![effect])
            }
            E::PaymentAnswered(answer) => self.paid(answer),
            E::ChooseTransfer => {
                if payable_order(&self.found, &self.pay).is_some() {
                    self.pay = Pay::TransferForm;
                }
                self.stay()
            }
            E::Remit { payer, reference } => {
                let Found::AtCa { order, .. } = &self.found else {
                    return self.stay();
                };
                if !order.payable() || self.pay != Pay::TransferForm {
                    return self.stay();
                }
                let effect = LookupEffect::NoteRemittance {
                    number: order.number,
                    amount: order.amount,
                    payer,
                    reference,
                };
                self.pay = Pay::Remitting;
                self.then(vec![effect])
            }
            E::RemittanceAnswered(noted) => {
                if self.pay == Pay::Remitting {
                    self.pay = if noted {
                        Pay::RemittanceNoted
                    } else {
                        Pay::Unavailable
                    };
                }
                self.stay()
            }
            E::Open(_) | E::GoHome | E::IdleTimeout | E::Scanned(_) => self.stay(),
        }
    }

    fn ask_ca(mut self, number: OrderNumber, mobile: MobileNumber) -> LookupStep {
        self.found = Found::AskingCa {
            number,
            mobile: mobile.clone(),
        };
        self.then(vec![LookupEffect::AskCa { number, mobile }])
    }

    /// The CA's word on the payment being made (`None`: no word).
    fn paid(mut self, answer: Option<PaymentAnswer>) -> LookupStep {
        let opening = match self.pay {
            Pay::Opening => true,
            Pay::Waiting(_) => false,
            // Stopped meanwhile, or long settled: nothing to do.
            Pay::Idle
            | Pay::Paid
            | Pay::TransferForm
            | Pay::Remitting
            | Pay::RemittanceNoted
            | Pay::Unavailable => {
                return self.stay();
            }
        };
        match answer {
            Some(PaymentAnswer::Waiting(qr)) => {
                self.pay = Pay::Waiting(qr);
                self.stay()
            }
            Some(PaymentAnswer::Paid(_)) => {
                self.pay = Pay::Paid;
                // The CA's status after the payment, from the CA.
                match std::mem::replace(&mut self.found, Found::Nothing) {
                    Found::AtCa { order, mobile } => self.ask_ca(order.number, mobile),
                    other => {
                        self.found = other;
                        self.stay()
                    }
                }
            }
            // An expired QR code: 支付 again opens a new one.
            Some(PaymentAnswer::Expired) if !opening => {
                self.pay = Pay::Idle;
                self.stay()
            }
            Some(PaymentAnswer::Expired | PaymentAnswer::Unusable(_)) | None if opening => {
                self.pay = Pay::Unavailable;
                self.stay()
            }
            // A poll that told nothing: the QR code stays.
            Some(PaymentAnswer::Expired | PaymentAnswer::Unusable(_)) | None => self.stay(),
        }
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
            invoice_url: None,
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
        assert!(
            matches!(found(&answer.state), Found::AtCa { order, .. } if order.number == at_ca(4).number)
        );
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

    fn pay(state: &LookupState) -> &Pay {
        match state {
            LookupState::Open { pay, .. } => pay,
            LookupState::Home => panic!("closed"),
        }
    }

    /// 查询订单 with the CA's answer `order` shown.
    fn shown(order: OrderAtCa) -> LookupState {
        let asked = step(
            open(),
            LookupEvent::Find {
                number: order.number,
                mobile: mobile(),
            },
        )
        .state;
        step(
            asked,
            LookupEvent::CaAnswered(CaAnswer::Found(Box::new(order))),
        )
        .state
    }

    fn qr(id: &str) -> PaymentQr {
        PaymentQr {
            payment_id: id.to_owned(),
            payload: format!("https://pay.example/{id}"),
            expires_at: fixtures::step_context().now,
        }
    }

    fn paid(order: &OrderAtCa) -> crate::order::payment::Payment {
        crate::order::payment::Payment {
            method: crate::order::payment::PaymentMethod::AggregatedQr,
            amount: order.amount,
            reference: "SIM-1".parse().unwrap(),
            confirmed_at: fixtures::step_context().now,
        }
    }

    #[test]
    fn a_reviewed_application_is_paid_by_qr_and_its_status_asked_again() {
        let order = at_ca(6);
        let ctx = fixtures::step_context();
        let opened = step(shown(order.clone()), LookupEvent::Pay);
        assert_eq!(
            opened.effects,
            vec![LookupEffect::OpenPayment {
                number: order.number,
                amount: order.amount
            }]
        );
        // A second tap while the CA is asked opens nothing more.
        assert!(
            step(opened.state.clone(), LookupEvent::Pay)
                .effects
                .is_empty()
        );
        assert!(Lookup::timer(&opened.state, &ctx).is_none());
        let waiting = step(
            opened.state,
            LookupEvent::PaymentAnswered(Some(PaymentAnswer::Waiting(qr("p1")))),
        )
        .state;
        assert_eq!(pay(&waiting), &Pay::Waiting(qr("p1")));
        let timer = Lookup::timer(&waiting, &ctx).unwrap();
        assert_eq!(timer.after, ctx.payment_poll);
        let poll = step(waiting.clone(), timer.event);
        assert_eq!(
            poll.effects,
            vec![LookupEffect::CheckPayment {
                number: order.number,
                amount: order.amount,
                payment_id: "p1".to_owned()
            }]
        );
        // A poll that tells nothing keeps the QR code.
        let mismatch = PaymentAnswer::Unusable(crate::ports::ca::PaymentMismatch::Amount);
        let kept = step(poll.state, LookupEvent::PaymentAnswered(Some(mismatch))).state;
        assert_eq!(pay(&kept), &Pay::Waiting(qr("p1")));
        let kept = step(kept, LookupEvent::PaymentAnswered(None)).state;
        assert_eq!(pay(&kept), &Pay::Waiting(qr("p1")));
        // Paid: said so, and the CA asked for the status it moved to.
        let done = step(
            kept,
            LookupEvent::PaymentAnswered(Some(PaymentAnswer::Paid(paid(&order)))),
        );
        assert_eq!(pay(&done.state), &Pay::Paid);
        assert_eq!(
            done.effects,
            vec![LookupEffect::AskCa {
                number: order.number,
                mobile: mobile()
            }]
        );
        assert!(Lookup::timer(&done.state, &ctx).is_none(), "no more polls");
        let mut in_hand = order.clone();
        in_hand.status = crate::order::status::OrderStatus::InProgress;
        let after = step(
            done.state,
            LookupEvent::CaAnswered(CaAnswer::Found(Box::new(in_hand))),
        )
        .state;
        assert_eq!(pay(&after), &Pay::Paid, "still said after the refresh");
        assert!(
            step(after, LookupEvent::Pay).effects.is_empty(),
            "paid once"
        );
    }

    #[test]
    fn only_an_application_awaiting_payment_is_paid_here_and_an_expired_code_is_offered_again() {
        let mut renewal = at_ca(7);
        renewal.lifecycle = crate::order::status::Lifecycle::Renewal;
        let mut pending = at_ca(7);
        pending.status = crate::order::status::OrderStatus::PendingReview;
        for order in [renewal, pending] {
            let state = shown(order);
            assert!(step(state, LookupEvent::Pay).effects.is_empty());
        }
        let order = at_ca(8);
        let opening = step(shown(order.clone()), LookupEvent::Pay).state;
        // The CA cannot open one now: said, and 支付 may be tried again.
        let unavailable = step(opening.clone(), LookupEvent::PaymentAnswered(None)).state;
        assert_eq!(pay(&unavailable), &Pay::Unavailable);
        assert_eq!(step(unavailable, LookupEvent::Pay).effects.len(), 1);
        let waiting = step(
            opening,
            LookupEvent::PaymentAnswered(Some(PaymentAnswer::Waiting(qr("p2")))),
        )
        .state;
        let expired = step(
            waiting.clone(),
            LookupEvent::PaymentAnswered(Some(PaymentAnswer::Expired)),
        )
        .state;
        assert_eq!(pay(&expired), &Pay::Idle);
        // 返回 from the QR code: a late answer then changes nothing.
        let left = step(waiting, LookupEvent::StopPaying).state;
        assert_eq!(pay(&left), &Pay::Idle);
        let late = step(
            left.clone(),
            LookupEvent::PaymentAnswered(Some(PaymentAnswer::Paid(paid(&order)))),
        );
        assert_eq!(late.state, left);
        assert!(late.effects.is_empty());
        // A new search forgets the payment.
        let searched = step(
            expired,
            LookupEvent::Find {
                number: order.number,
                mobile: mobile(),
            },
        )
        .state;
        assert_eq!(pay(&searched), &Pay::Idle);
    }

    #[test]
    fn a_bank_transfer_is_noted_at_the_ca_once_and_then_nothing_more_is_offered() {
        let order = at_ca(9);
        let payer: PersonName = "李四".parse().unwrap();
        let reference: Reference = "BANK-20261205-001".parse().unwrap();
        let remit = || LookupEvent::Remit {
            payer: payer.clone(),
            reference: reference.clone(),
        };
        assert!(
            step(shown(order.clone()), remit()).effects.is_empty(),
            "the form first"
        );
        let form = step(shown(order.clone()), LookupEvent::ChooseTransfer).state;
        assert_eq!(pay(&form), &Pay::TransferForm);
        assert_eq!(
            pay(&step(form.clone(), LookupEvent::StopPaying).state),
            &Pay::Idle
        );
        let sending = step(form, remit());
        assert_eq!(
            sending.effects,
            vec![LookupEffect::NoteRemittance {
                number: order.number,
                amount: order.amount,
                payer: payer.clone(),
                reference: reference.clone()
            }]
        );
        assert!(step(sending.state.clone(), remit()).effects.is_empty());
        assert!(
            step(sending.state.clone(), LookupEvent::Pay)
                .effects
                .is_empty()
        );
        let failed = step(
            sending.state.clone(),
            LookupEvent::RemittanceAnswered(false),
        )
        .state;
        assert_eq!(pay(&failed), &Pay::Unavailable);
        let again = step(failed, LookupEvent::ChooseTransfer).state;
        assert_eq!(step(again, remit()).effects.len(), 1, "may be tried again");
        let noted = step(sending.state, LookupEvent::RemittanceAnswered(true)).state;
        assert_eq!(pay(&noted), &Pay::RemittanceNoted);
        assert!(step(noted.clone(), remit()).effects.is_empty());
        assert_eq!(
            pay(&step(noted.clone(), LookupEvent::ChooseTransfer).state),
            &Pay::RemittanceNoted
        );
        assert!(step(noted, LookupEvent::Pay).effects.is_empty());
        // Only an order awaiting payment.
        let mut pending = at_ca(9);
        pending.status = crate::order::status::OrderStatus::PendingReview;
        let pending = step(shown(pending), LookupEvent::ChooseTransfer).state;
        assert_eq!(pay(&pending), &Pay::Idle);
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
        fn home_and_idle_always_end_it(events in prop::collection::vec(0_u8..11, 0..30)) {
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
                    6 => LookupEvent::CaAnswered(CaAnswer::Found(Box::new(at_ca(1)))),
                    7 => LookupEvent::Pay,
                    8 => LookupEvent::PaymentAnswered(Some(PaymentAnswer::Waiting(qr("p")))),
                    9 => LookupEvent::PollPayment,
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
