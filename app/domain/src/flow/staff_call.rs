//! 呼叫工作人员 (spec §3.6): a customer's call for staff, and what the
//! screen may say about it.
//!
//! A call is made at the CA (the back office shows it: which kiosk, which
//! screen, since when) and is only said to be made once the CA answered.
//! Undelivered (offline, or refused) the screen says so and where the
//! counter is, and the call is tried again while the customer is there;
//! delivered, the kiosk asks the CA every few seconds whether a member of
//! staff acknowledged it. When the session ends (home, idle) the call is
//! withdrawn, so that nobody walks to an empty kiosk.
//!
//! Sans-IO like the flows: [`StaffCalls`] takes presses, answers and ticks
//! (time is an input), and returns [`CallEffect`]s for the runtime to run
//! through [`crate::ports::staff_call::StaffCallPort`]. It keeps nothing on
//! disk: a power cut ends the session, and the call with it (staff see it
//! stay open at the CA and acknowledge it there).

use crate::order_number::KioskCode;
use std::fmt;
use std::time::{Duration, Instant};

/// How often a delivered call is looked at again (for staff's acknowledgement).
pub const CHECK_EVERY: Duration = Duration::from_secs(5);
/// How soon an undelivered call is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(15);

/// One call, unique on its kiosk: 64 random bits the runtime draws, written
/// as 16 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallId(u64);

impl CallId {
    #[must_use]
    pub fn new(bits: u64) -> Self {
        Self(bits)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallId({self})")
    }
}

impl std::str::FromStr for CallId {
    type Err = CallIdError;

    /// Exactly 16 lower-case hex digits (the one spelling).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 16 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(CallIdError);
        }
        u64::from_str_radix(s, 16)
            .map(Self)
            .map_err(|_| CallIdError)
    }
}

/// A call id that is not 16 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a call id is 16 lower-case hex digits")]
pub struct CallIdError;

/// Where the customer was when they called: staff know what to bring (an
/// SO PIN for a locked key, paper for the printer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallScreen {
    Home,
    Help,
    /// 环境检测: the key could not be read or used.
    KeyCheck,
    /// Choosing the certificate, 确认信息.
    Renewal,
    /// The PIN pad.
    Pin,
    /// The key's PIN is locked.
    PinLocked,
    Payment,
    /// Writing the certificate, or 异常恢复 after a failed install.
    Install,
    /// 查询订单.
    Lookup,
    /// 申请证书及印章.
    Application,
    /// 现场领取.
    Pickup,
    /// 企业账户.
    Account,
}

impl CallScreen {
    /// Every screen, for tests and the wire's list.
    pub const ALL: [Self; 12] = [
        Self::Home,
        Self::Help,
        Self::KeyCheck,
        Self::Renewal,
        Self::Pin,
        Self::PinLocked,
        Self::Payment,
        Self::Install,
        Self::Lookup,
        Self::Application,
        Self::Pickup,
        Self::Account,
    ];

    /// Its name on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Help => "help",
            Self::KeyCheck => "key-check",
            Self::Renewal => "renewal",
            Self::Pin => "pin",
            Self::PinLocked => "pin-locked",
            Self::Payment => "payment",
            Self::Install => "install",
            Self::Lookup => "lookup",
            Self::Application => "application",
            Self::Pickup => "pickup",
            Self::Account => "account",
        }
    }

    /// The screen of a wire name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A call as the CA receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffCall {
    pub kiosk: KioskCode,
    pub id: CallId,
    pub screen: CallScreen,
}

/// A call as the CA holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// Shown to staff, nobody has taken it yet.
    Open,
    /// A member of staff said they are coming.
    Acknowledged,
    /// The kiosk withdrew it (the customer left).
    Withdrawn,
}

/// Why a call did not reach the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailure {
    /// No answer: the network or the CA is down.
    Offline,
    /// The CA answered but did not take the call.
    Refused,
}

/// The answer of a [`CallEffect`].
pub type CallOutcome = Result<CallStatus, CallFailure>;

/// What the runtime must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEffect {
    /// Make the call at the CA (idempotent by its id); answer with
    /// [`StaffCalls::sent`].
    Send(StaffCall),
    /// Ask the CA how the call stands; answer with [`StaffCalls::checked`].
    Check(StaffCall),
    /// Withdraw it (best effort: no answer is needed).
    Withdraw(StaffCall),
}

/// What the screen may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallView {
    /// Nothing to say (no call).
    None,
    /// Sent, no answer yet.
    Calling,
    /// The CA has it: staff see it.
    Delivered,
    /// A member of staff said they are coming.
    Acknowledged,
    /// It did not reach anyone: the counter is the way.
    NotDelivered(CallFailure),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// Sent; `failed` is why the last try did not get through (the screen
    /// keeps saying so while it is tried again).
    Sending {
        call: StaffCall,
        failed: Option<CallFailure>,
    },
    /// Did not get through; tried again at `retry` (none: only a press).
    Undelivered {
        call: StaffCall,
        why: CallFailure,
        retry: Option<Instant>,
    },
    /// The CA has it; looked at again at `check` (none: a look is out).
    Delivered {
        call: StaffCall,
        check: Option<Instant>,
    },
    Acknowledged {
        call: StaffCall,
    },
}

/// The kiosk's call for staff: one at a time, for the customer at the kiosk.
#[derive(Debug, Clone)]
pub struct StaffCalls {
    state: State,
    /// Calls whose session ended while they were being sent: each is
    /// withdrawn when its send answers (it may have got through).
    ended: Vec<StaffCall>,
    /// Withdrawals that did not take, tried again at their time (`None`:
    /// one is out now), with the tries so far (at most
    /// [`MAX_PENDING_WITHDRAWALS`] calls, [`WITHDRAW_TRIES`] tries each:
    /// staff close the rest at the CA).
    withdrawing: Vec<(StaffCall, Option<Instant>, u32)>,
}

/// Withdrawals kept for another try.
pub const MAX_PENDING_WITHDRAWALS: usize = 8;
/// How often a withdrawal is tried before it is left to staff.
pub const WITHDRAW_TRIES: u32 = 6;

impl Default for StaffCalls {
    fn default() -> Self {
        Self::new()
    }
}

impl StaffCalls {
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: State::Idle,
            ended: Vec::new(),
            withdrawing: Vec::new(),
        }
    }

    /// 呼叫工作人员 pressed: a new call (with `id`, fresh for each press the
    /// runtime passes), or the undelivered one tried again at once; a call
    /// under way or delivered stays as it is.
    pub fn press(&mut self, call: StaffCall) -> Vec<CallEffect> {
        match self.state {
            State::Idle => {
                self.state = State::Sending { call, failed: None };
                vec![CallEffect::Send(call)]
            }
            State::Undelivered { call, why, .. } => {
                self.state = State::Sending {
                    call,
                    failed: Some(why),
                };
                vec![CallEffect::Send(call)]
            }
            State::Sending { .. } | State::Delivered { .. } | State::Acknowledged { .. } => {
                Vec::new()
            }
        }
    }

    /// The answer to [`CallEffect::Send`] for `call`.
    pub fn sent(
        &mut self,
        call: &StaffCall,
        outcome: CallOutcome,
        now: Instant,
    ) -> Vec<CallEffect> {
        if let Some(i) = self.ended.iter().position(|c| c == call) {
            self.ended.swap_remove(i);
            // It may have got through even when the answer was lost.
            return vec![CallEffect::Withdraw(*call)];
        }
        let State::Sending { call: current, .. } = self.state else {
            return Vec::new();
        };
        if current != *call {
            return Vec::new();
        }
        self.state = match outcome {
            Ok(CallStatus::Open) => State::Delivered {
                call: current,
                check: Some(now + CHECK_EVERY),
            },
            Ok(CallStatus::Acknowledged) => State::Acknowledged { call: current },
            // Withdrawn before it was made: not this session's call.
            Ok(CallStatus::Withdrawn) => State::Undelivered {
                call: current,
                why: CallFailure::Refused,
                retry: None,
            },
            Err(why) => State::Undelivered {
                call: current,
                why,
                retry: (why == CallFailure::Offline).then_some(now + RETRY_AFTER),
            },
        };
        Vec::new()
    }

    /// The answer to [`CallEffect::Check`] for `call`.
    pub fn checked(&mut self, call: &StaffCall, outcome: CallOutcome, now: Instant) {
        let State::Delivered {
            call: current,
            check: None,
        } = self.state
        else {
            return;
        };
        if current != *call {
            return;
        }
        self.state = match outcome {
            Ok(CallStatus::Acknowledged) => State::Acknowledged { call: current },
            // Withdrawn by this kiosk only; taken as closed.
            Ok(CallStatus::Withdrawn) => State::Idle,
            // Still open, or the look failed: it was delivered all the same.
            Ok(CallStatus::Open) | Err(_) => State::Delivered {
                call: current,
                check: Some(now + CHECK_EVERY),
            },
        };
    }

    /// The answer to [`CallEffect::Withdraw`] for `call`. One that did not
    /// take is tried again later, a few times: without an answer, or when
    /// the CA did not know the call yet (a send that timed out here may
    /// still reach it after the withdrawal); a call left open at the CA
    /// sends staff to an empty kiosk.
    pub fn withdrawn(&mut self, call: &StaffCall, outcome: CallOutcome, now: Instant) {
        let held = self.withdrawing.iter().position(|(c, _, _)| c == call);
        if outcome.is_ok() {
            if let Some(i) = held {
                self.withdrawing.swap_remove(i);
            }
            return;
        }
        match held {
            Some(i) => {
                let tries = self.withdrawing.get(i).map_or(WITHDRAW_TRIES, |w| w.2 + 1);
                if tries >= WITHDRAW_TRIES {
                    self.withdrawing.swap_remove(i);
                } else if let Some(w) = self.withdrawing.get_mut(i) {
                    *w = (*call, Some(now + RETRY_AFTER), tries);
                }
            }
            None if self.withdrawing.len() < MAX_PENDING_WITHDRAWALS => {
                self.withdrawing.push((*call, Some(now + RETRY_AFTER), 1));
            }
            None => {}
        }
    }

    /// The CA answered again after being unreachable: an undelivered call
    /// and the withdrawals left are tried now.
    pub fn back_online(&mut self, now: Instant) {
        for (_, at, _) in &mut self.withdrawing {
            if at.is_some() {
                *at = Some(now);
            }
        }
        if let State::Undelivered {
            why: CallFailure::Offline,
            ref mut retry,
            ..
        } = self.state
        {
            *retry = Some(now);
        }
    }

    /// The customer's session ended (home, idle): the call is withdrawn.
    pub fn end_session(&mut self) -> Vec<CallEffect> {
        let effects = match self.state {
            State::Idle => Vec::new(),
            State::Sending { call, .. } => {
                self.ended.push(call);
                Vec::new()
            }
            State::Undelivered { call, .. }
            | State::Delivered { call, .. }
            | State::Acknowledged { call } => vec![CallEffect::Withdraw(call)],
        };
        self.state = State::Idle;
        effects
    }

    /// When [`StaffCalls::on_timeout`] is next wanted.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let call = match self.state {
            State::Undelivered { retry, .. } => retry,
            State::Delivered { check, .. } => check,
            State::Idle | State::Sending { .. } | State::Acknowledged { .. } => None,
        };
        let withdrawal = self.withdrawing.iter().filter_map(|(_, at, _)| *at).min();
        call.into_iter().chain(withdrawal).min()
    }

    /// Time passed: a retry, a look or a withdrawal, when due.
    pub fn on_timeout(&mut self, now: Instant) -> Vec<CallEffect> {
        let mut effects: Vec<CallEffect> = Vec::new();
        for (call, at, _) in &mut self.withdrawing {
            if at.is_some_and(|at| at <= now) {
                *at = None;
                effects.push(CallEffect::Withdraw(*call));
            }
        }
        effects.extend(self.call_timeout(now));
        effects
    }

    fn call_timeout(&mut self, now: Instant) -> Vec<CallEffect> {
        match self.state {
            State::Undelivered {
                call,
                why,
                retry: Some(at),
            } if at <= now => {
                self.state = State::Sending {
                    call,
                    failed: Some(why),
                };
                vec![CallEffect::Send(call)]
            }
            State::Delivered {
                call,
                check: Some(at),
            } if at <= now => {
                self.state = State::Delivered { call, check: None };
                vec![CallEffect::Check(call)]
            }
            _ => Vec::new(),
        }
    }

    /// The call on screen, if any.
    #[must_use]
    pub fn current(&self) -> Option<StaffCall> {
        match self.state {
            State::Idle => None,
            State::Sending { call, .. }
            | State::Undelivered { call, .. }
            | State::Delivered { call, .. }
            | State::Acknowledged { call } => Some(call),
        }
    }

    /// What the screen may say: delivered only once the CA answered.
    #[must_use]
    pub fn view(&self) -> CallView {
        match self.state {
            State::Idle => CallView::None,
            State::Sending { failed: None, .. } => CallView::Calling,
            State::Sending {
                failed: Some(why), ..
            }
            | State::Undelivered { why, .. } => CallView::NotDelivered(why),
            State::Delivered { .. } => CallView::Delivered,
            State::Acknowledged { .. } => CallView::Acknowledged,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn call(bits: u64) -> StaffCall {
        StaffCall {
            kiosk: "TYA".parse().unwrap(),
            id: CallId::new(bits),
            screen: CallScreen::PinLocked,
        }
    }

    #[test]
    fn a_call_is_said_delivered_only_once_the_ca_has_it() {
        let t0 = Instant::now();
        let mut calls = StaffCalls::new();
        assert_eq!(calls.view(), CallView::None);
        assert_eq!(calls.press(call(1)), [CallEffect::Send(call(1))]);
        assert_eq!(calls.view(), CallView::Calling);
        assert!(calls.press(call(2)).is_empty(), "one call at a time");
        assert!(calls.sent(&call(1), Ok(CallStatus::Open), t0).is_empty());
        assert_eq!(calls.view(), CallView::Delivered);
        assert_eq!(calls.poll_timeout(), Some(t0 + CHECK_EVERY));
        assert!(calls.on_timeout(t0).is_empty(), "not yet");
        let t1 = t0 + CHECK_EVERY;
        assert_eq!(calls.on_timeout(t1), [CallEffect::Check(call(1))]);
        assert_eq!(calls.poll_timeout(), None, "one look at a time");
        calls.checked(&call(1), Err(CallFailure::Offline), t1);
        assert_eq!(calls.view(), CallView::Delivered, "it was delivered");
        let t2 = t1 + CHECK_EVERY;
        assert_eq!(calls.on_timeout(t2), [CallEffect::Check(call(1))]);
        calls.checked(&call(1), Ok(CallStatus::Acknowledged), t2);
        assert_eq!(calls.view(), CallView::Acknowledged);
        assert_eq!(calls.poll_timeout(), None, "nothing more to ask");
        assert_eq!(calls.end_session(), [CallEffect::Withdraw(call(1))]);
        assert_eq!(calls.view(), CallView::None);
    }

    #[test]
    fn offline_it_says_so_and_tries_again_while_the_customer_is_there() {
        let t0 = Instant::now();
        let mut calls = StaffCalls::new();
        calls.press(call(1));
        calls.sent(&call(1), Err(CallFailure::Offline), t0);
        assert_eq!(calls.view(), CallView::NotDelivered(CallFailure::Offline));
        let t1 = t0 + RETRY_AFTER;
        assert_eq!(calls.on_timeout(t1), [CallEffect::Send(call(1))]);
        assert_eq!(
            calls.view(),
            CallView::NotDelivered(CallFailure::Offline),
            "still not delivered while it is tried again"
        );
        calls.sent(&call(1), Err(CallFailure::Offline), t1);
        // The link comes back: tried at once.
        calls.back_online(t1);
        assert_eq!(calls.poll_timeout(), Some(t1));
        assert_eq!(calls.on_timeout(t1), [CallEffect::Send(call(1))]);
        calls.sent(&call(1), Ok(CallStatus::Open), t1);
        assert_eq!(calls.view(), CallView::Delivered);
    }

    #[test]
    fn a_refused_call_waits_for_a_press_and_keeps_its_id() {
        let t0 = Instant::now();
        let mut calls = StaffCalls::new();
        calls.press(call(1));
        calls.sent(&call(1), Err(CallFailure::Refused), t0);
        assert_eq!(calls.view(), CallView::NotDelivered(CallFailure::Refused));
        assert_eq!(calls.poll_timeout(), None);
        assert_eq!(
            calls.press(call(9)),
            [CallEffect::Send(call(1))],
            "the same call again: the CA keeps one"
        );
    }

    #[test]
    fn a_call_whose_session_ended_while_sending_is_withdrawn_when_it_answers() {
        let t0 = Instant::now();
        let mut calls = StaffCalls::new();
        calls.press(call(1));
        assert!(calls.end_session().is_empty());
        assert_eq!(calls.view(), CallView::None);
        // The next customer calls.
        calls.press(call(2));
        assert_eq!(
            calls.sent(&call(1), Err(CallFailure::Offline), t0),
            [CallEffect::Withdraw(call(1))],
            "a lost answer may hide a call that got through"
        );
        assert_eq!(calls.view(), CallView::Calling, "the new call is untouched");
        calls.sent(&call(2), Ok(CallStatus::Open), t0);
        assert_eq!(calls.view(), CallView::Delivered);
    }

    #[test]
    fn a_withdrawal_without_an_answer_is_tried_again_until_the_ca_answers() {
        let t0 = Instant::now();
        let mut calls = StaffCalls::new();
        calls.press(call(1));
        calls.sent(&call(1), Ok(CallStatus::Open), t0);
        assert_eq!(calls.end_session(), [CallEffect::Withdraw(call(1))]);
        calls.withdrawn(&call(1), Err(CallFailure::Offline), t0);
        assert_eq!(calls.poll_timeout(), Some(t0 + RETRY_AFTER));
        let t1 = t0 + RETRY_AFTER;
        assert_eq!(calls.on_timeout(t1), [CallEffect::Withdraw(call(1))]);
        calls.withdrawn(&call(1), Err(CallFailure::Offline), t1);
        // Back online: at once.
        calls.back_online(t1);
        assert_eq!(calls.on_timeout(t1), [CallEffect::Withdraw(call(1))]);
        calls.withdrawn(&call(1), Ok(CallStatus::Withdrawn), t1);
        assert_eq!(calls.poll_timeout(), None, "done");
        // Not known at the CA (its send timed out here and may still land
        // there): tried again a few times, then left to staff.
        calls.press(call(2));
        calls.sent(&call(2), Err(CallFailure::Offline), t1);
        assert_eq!(calls.end_session(), [CallEffect::Withdraw(call(2))]);
        let mut now = t1;
        let mut tries = 1;
        calls.withdrawn(&call(2), Err(CallFailure::Refused), now);
        while let Some(at) = calls.poll_timeout() {
            now = at;
            assert_eq!(calls.on_timeout(now), [CallEffect::Withdraw(call(2))]);
            tries += 1;
            calls.withdrawn(&call(2), Err(CallFailure::Refused), now);
        }
        assert_eq!(tries, WITHDRAW_TRIES, "then left to staff");
    }

    #[test]
    fn ids_have_one_spelling() {
        let id = CallId::new(0x00ab_cdef_0123_4567);
        assert_eq!(id.to_string(), "00abcdef01234567");
        assert_eq!("00abcdef01234567".parse::<CallId>(), Ok(id));
        for bad in ["00ABCDEF01234567", "abcdef01234567", "+0abcdef01234567", ""] {
            assert!(bad.parse::<CallId>().is_err(), "{bad}");
        }
        for s in CallScreen::ALL {
            assert_eq!(CallScreen::parse(s.as_str()), Some(s));
        }
        assert_eq!(CallScreen::parse("PIN"), None);
    }

    #[derive(Debug, Clone)]
    enum Input {
        Press,
        Sent(u64, CallOutcome),
        Checked(u64, Option<bool>),
        Withdrawn(u64, Option<bool>),
        Online,
        End,
        Tick(u64),
    }

    fn outcome(o: Option<bool>) -> CallOutcome {
        match o {
            None => Err(CallFailure::Offline),
            Some(false) => Ok(CallStatus::Open),
            Some(true) => Ok(CallStatus::Acknowledged),
        }
    }

    /// The rarer answers too: refused, withdrawn.
    fn any_outcome() -> impl Strategy<Value = CallOutcome> {
        prop_oneof![
            proptest::option::of(any::<bool>()).prop_map(outcome),
            Just(Err(CallFailure::Refused)),
            Just(Ok(CallStatus::Withdrawn)),
        ]
    }

    fn input() -> impl Strategy<Value = Input> {
        prop_oneof![
            Just(Input::Press),
            (0..6u64, any_outcome()).prop_map(|(c, o)| Input::Sent(c, o)),
            (0..6u64, proptest::option::of(any::<bool>())).prop_map(|(c, o)| Input::Checked(c, o)),
            (0..6u64, proptest::option::of(any::<bool>()))
                .prop_map(|(c, o)| Input::Withdrawn(c, o)),
            Just(Input::Online),
            Just(Input::End),
            (0..30u64).prop_map(Input::Tick),
        ]
    }

    proptest! {
        /// Whatever happens: "delivered" or "acknowledged" only after the
        /// CA said so for the call on screen, at most one send out per call
        /// at a time, and every call that may have reached the CA is
        /// withdrawn once its session ends.
        #[test]
        fn the_screen_never_claims_more_than_the_ca_said(inputs in proptest::collection::vec(input(), 0..40)) {
            let t0 = Instant::now();
            let mut now = t0;
            let mut calls = StaffCalls::new();
            let mut out: Vec<StaffCall> = Vec::new();
            let mut confirmed: Vec<StaffCall> = Vec::new();
            let mut sent_ever: Vec<StaffCall> = Vec::new();
            let mut withdrawn: Vec<StaffCall> = Vec::new();
            let mut fresh = 0;
            for i in inputs {
                let effects = match i {
                    Input::Press => { fresh += 1; calls.press(call(fresh)) }
                    Input::Sent(c, o) => {
                        let was_out = out.contains(&call(c));
                        if !was_out { continue; }
                        out.retain(|x| *x != call(c));
                        if matches!(o, Ok(CallStatus::Open | CallStatus::Acknowledged)) {
                            confirmed.push(call(c));
                        }
                        calls.sent(&call(c), o, now)
                    }
                    Input::Checked(c, o) => {
                        if o.is_some() { confirmed.push(call(c)); }
                        calls.checked(&call(c), outcome(o), now);
                        Vec::new()
                    }
                    Input::Withdrawn(c, o) => {
                        calls.withdrawn(&call(c), outcome(o), now);
                        Vec::new()
                    }
                    Input::Online => { calls.back_online(now); Vec::new() }
                    Input::End => calls.end_session(),
                    Input::Tick(s) => { now += Duration::from_secs(s); calls.on_timeout(now) }
                };
                for e in effects {
                    match e {
                        CallEffect::Send(c) => {
                            prop_assert!(!out.contains(&c), "two sends of one call at once");
                            out.push(c);
                            sent_ever.push(c);
                        }
                        CallEffect::Withdraw(c) => withdrawn.push(c),
                        CallEffect::Check(_) => {}
                    }
                }
                if matches!(calls.view(), CallView::Delivered | CallView::Acknowledged) {
                    let current = calls.current();
                    prop_assert!(
                        current.is_some_and(|c| confirmed.contains(&c)),
                        "said delivered before the CA answered for this call"
                    );
                }
            }
            // The session ends and every send answers (lost: offline).
            let mut effects = calls.end_session();
            for c in out.clone() {
                effects.extend(calls.sent(&c, Err(CallFailure::Offline), now));
            }
            withdrawn.extend(effects.iter().filter_map(|e| match e {
                CallEffect::Withdraw(c) => Some(*c),
                _ => None,
            }));
            prop_assert_eq!(calls.view(), CallView::None);
            for c in sent_ever {
                prop_assert!(withdrawn.contains(&c), "{:?} left open at the CA", c);
            }
        }
    }
}
