//! The renewal flow driven by scripts and by random event sequences against a
//! simulated world (store, token, CA) that runs the effects the way the real
//! adapters must: idempotently, and only when asked.

use super::*;
use crate::fixtures;
use crate::order::payment::PaymentMethod;
use crate::ports::printer::PrintOutcome;
use proptest::prelude::*;
use std::collections::BTreeMap;
use time::Duration;
use time::macros::datetime;

fn ctx() -> StepContext {
    fixtures::step_context()
}

const SESSION: SessionId = SessionId(7);

/// What the adapters would hold: orders in the store, certificates on the key.
#[derive(Debug, Default)]
struct World {
    orders: BTreeMap<String, Order>,
    /// Order created per session (the store's idempotency key).
    by_session: BTreeMap<SessionId, String>,
    next_seq: u32,
    /// Install actions the token/CA adapters ran, per order.
    actions: Vec<(String, InstallAction)>,
    old_certificate_retired: bool,
    create_payment_calls: u32,
    /// Session ids handed out so far (each Start gets a fresh one).
    sessions: u64,
    violations: Vec<String>,
}

impl World {
    fn open_order_for(&self, serial: &str) -> Option<Order> {
        self.orders
            .values()
            .filter(|o| matches!(&o.details, OrderDetails::Renewal(d) if d.old_certificate.serial_hex == serial))
            .find(|o| !matches!(o.status(), OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Invoiced))
            .cloned()
    }

    fn environment(&self) -> Environment {
        let mut certificate = fixtures::certificate();
        if self.old_certificate_retired {
            // The key now holds the renewed certificate, valid for a year.
            certificate.serial_hex = "NEW".to_owned();
            certificate.not_after += Duration::days(365);
        }
        let open_order = self.open_order_for(&certificate.serial_hex);
        Environment::Ready {
            candidates: vec![Candidate {
                certificate,
                open_order,
            }],
            ca_online: true,
        }
    }

    /// Runs one effect as an honest adapter would, checking the invariants
    /// that no effect may break.
    fn run(&mut self, effect: &RenewalEffect) {
        match effect {
            RenewalEffect::CreateOrder {
                session,
                details,
                amount,
            } => {
                if self.by_session.contains_key(session) {
                    return; // idempotent per session
                }
                let serial = &details.old_certificate.serial_hex;
                if self.open_order_for(serial).is_some() {
                    self.violations
                        .push(format!("a second open order for certificate {serial}"));
                }
                self.next_seq += 1;
                let order = Order::new(
                    fixtures::order_number(self.next_seq),
                    ctx().now,
                    *amount,
                    OrderDetails::Renewal((**details).clone()),
                );
                self.by_session
                    .insert(*session, order.number.as_str().to_owned());
                self.orders.insert(order.number.as_str().to_owned(), order);
            }
            RenewalEffect::SaveOrder(order) => {
                let key = order.number.as_str().to_owned();
                if let Some(before) = self.orders.get(&key) {
                    if let (Some(a), Some(b)) = (before.payment(), order.payment())
                        && a != b
                    {
                        self.violations.push(format!("order {key} paid twice"));
                    }
                    if before.payment().is_some() && order.payment().is_none() {
                        self.violations
                            .push(format!("order {key} lost its payment"));
                    }
                }
                self.orders.insert(key, (**order).clone());
            }
            RenewalEffect::CheckPayment { order, amount, .. } => {
                if self
                    .orders
                    .get(order.as_str())
                    .is_none_or(|o| o.amount != *amount)
                {
                    self.violations
                        .push(format!("payment of {order} checked for another amount"));
                }
            }
            RenewalEffect::CreatePayment { order, .. } => {
                self.create_payment_calls += 1;
                if self
                    .orders
                    .get(order.as_str())
                    .is_some_and(|o| o.payment().is_some())
                {
                    self.violations
                        .push(format!("payment requested for paid order {order}"));
                }
            }
            RenewalEffect::Install { order, action, .. } => {
                let recorded = self
                    .orders
                    .get(order.as_str())
                    .and_then(|o| match &o.details {
                        OrderDetails::Renewal(d) => Some(d.install.step),
                        OrderDetails::Application(_) => None,
                    });
                if recorded.is_none_or(|step| InstallAction::after(step) != Some(*action)) {
                    self.violations.push(format!(
                        "install action {action:?} asked before its step was saved ({recorded:?})"
                    ));
                }
                if *action == InstallAction::RetireOldCertificate {
                    let written = self
                        .actions
                        .iter()
                        .any(|(o, a)| o == order.as_str() && *a == InstallAction::WriteCertificate);
                    let verified = self.actions.iter().any(|(o, a)| {
                        o == order.as_str() && *a == InstallAction::VerifyCertificate
                    });
                    if !(written && verified) {
                        self.violations.push(
                            "old certificate retired before the new one was verified and written"
                                .to_owned(),
                        );
                    }
                    self.old_certificate_retired = true;
                }
                if self
                    .orders
                    .get(order.as_str())
                    .is_none_or(|o| o.payment().is_none())
                {
                    self.violations
                        .push(format!("install of unpaid order {order}"));
                }
                self.actions.push((order.as_str().to_owned(), *action));
            }
            RenewalEffect::CheckEnvironment { .. }
            | RenewalEffect::VerifyPin { .. }
            | RenewalEffect::LookUpHolder { .. }
            | RenewalEffect::RemoveAbandonedKeys { .. }
            | RenewalEffect::PrintReceipt { .. }
            | RenewalEffect::ReportInstalled { .. }
            | RenewalEffect::RemindToTakeKey
            | RenewalEffect::WipeSession => {}
        }
    }

    fn paid_orders(&self) -> usize {
        self.orders
            .values()
            .filter(|o| o.payment().is_some())
            .count()
    }
}

/// The abstract choices a random script is made of; each becomes a concrete
/// event that fits the world at that moment (or a stray one that does not).
#[derive(Debug, Clone, Copy)]
enum Choice {
    /// The event a cooperative customer and working devices would produce next.
    Progress,
    Start,
    Environment,
    NoKey,
    Choose(usize),
    PinSubmitted,
    Pin(PinOutcome),
    ConfirmInfo,
    OrderCreated,
    PaymentOffered,
    Pay(u8),
    PayWrongAmount,
    PaymentExpired,
    PayAtCounter,
    Network(bool),
    Holder(bool),
    HolderUnknown,
    CaRefuses(bool),
    KeyInserted,
    KeyRemoved,
    Poll,
    PaymentPending,
    PaymentNotOffered,
    Verified,
    Unsuitable,
    Receipt(bool),
    ActionDone(u8),
    Fail(u8),
    Retry,
    Back,
    GoHome,
    IdleTimeout,
}

fn choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        30 => Just(Choice::Progress),
        2 => Just(Choice::Start),
        3 => Just(Choice::Environment),
        1 => Just(Choice::NoKey),
        3 => (0_usize..2).prop_map(Choice::Choose),
        3 => Just(Choice::PinSubmitted),
        3 => Just(Choice::Pin(PinOutcome::Verified)),
        1 => Just(Choice::Pin(PinOutcome::Wrong { tries_left: Some(3), final_try: false })),
        1 => Just(Choice::Pin(PinOutcome::Locked)),
        3 => Just(Choice::ConfirmInfo),
        3 => Just(Choice::OrderCreated),
        2 => Just(Choice::PaymentOffered),
        3 => (0_u8..3).prop_map(Choice::Pay),
        1 => Just(Choice::PayWrongAmount),
        1 => Just(Choice::PaymentExpired),
        1 => Just(Choice::PayAtCounter),
        1 => any::<bool>().prop_map(Choice::Network),
        2 => any::<bool>().prop_map(Choice::Holder),
        1 => Just(Choice::HolderUnknown),
        1 => any::<bool>().prop_map(Choice::CaRefuses),
        1 => Just(Choice::KeyInserted),
        1 => Just(Choice::KeyRemoved),
        2 => Just(Choice::Poll),
        1 => Just(Choice::PaymentPending),
        1 => Just(Choice::PaymentNotOffered),
        2 => Just(Choice::Verified),
        1 => Just(Choice::Unsuitable),
        1 => any::<bool>().prop_map(Choice::Receipt),
        8 => (0_u8..5).prop_map(Choice::ActionDone),
        1 => (0_u8..6).prop_map(Choice::Fail),
        2 => Just(Choice::Retry),
        1 => Just(Choice::Back),
        1 => Just(Choice::GoHome),
        1 => Just(Choice::IdleTimeout),
    ]
}

const ACTIONS: [InstallAction; 5] = [
    InstallAction::GenerateKeyPair,
    InstallAction::RequestCertificate,
    InstallAction::VerifyCertificate,
    InstallAction::WriteCertificate,
    InstallAction::RetireOldCertificate,
];

const FAILURES: [InstallFailure; 6] = [
    InstallFailure::KeyRemoved,
    InstallFailure::Offline,
    InstallFailure::TokenError,
    InstallFailure::CertificateRejected,
    InstallFailure::KeyPairMissing,
    InstallFailure::Interrupted,
];

fn current_order(state: &RenewalState) -> Option<&Order> {
    match state {
        RenewalState::Paying { order, .. }
        | RenewalState::Installing { order, .. }
        | RenewalState::InstallPending { order, .. } => Some(order),
        _ => None,
    }
}

fn progress(state: &RenewalState) -> Choice {
    match state {
        RenewalState::Home | RenewalState::Done { .. } => Choice::Start,
        RenewalState::CheckingEnvironment { .. } => Choice::Environment,
        RenewalState::Blocked { .. } | RenewalState::InstallPending { .. } => Choice::Retry,
        RenewalState::ChoosingCertificate { .. } => Choice::Choose(0),
        RenewalState::EnteringPin { .. } => Choice::PinSubmitted,
        RenewalState::VerifyingPin { .. } => Choice::Pin(PinOutcome::Verified),
        RenewalState::PinLocked { .. } | RenewalState::PayingAtCounter { .. } => Choice::GoHome,
        RenewalState::ConfirmingInfo {
            on_file: HolderLookup::Asking,
            ..
        } => Choice::Holder(true),
        RenewalState::ConfirmingInfo { .. } => Choice::ConfirmInfo,
        RenewalState::CreatingOrder { .. } => Choice::OrderCreated,
        RenewalState::Paying { .. } => Choice::Pay(0),
        RenewalState::Installing { order, .. } => {
            let step = match &order.details {
                OrderDetails::Renewal(d) => d.install.step,
                OrderDetails::Application(_) => InstallStep::OldCertificateRetired,
            };
            let next = InstallAction::after(step).unwrap_or(InstallAction::RetireOldCertificate);
            if next == InstallAction::VerifyCertificate {
                return Choice::Verified;
            }
            let index = ACTIONS.iter().position(|a| *a == next).unwrap_or(0);
            Choice::ActionDone(u8::try_from(index).unwrap())
        }
    }
}

fn event_for(choice: Choice, state: &RenewalState, world: &mut World) -> RenewalEvent {
    let session = state.session().unwrap_or(SESSION);
    let choice = match choice {
        Choice::Progress => progress(state),
        other => other,
    };
    match choice {
        Choice::Progress => RenewalEvent::Retry,
        Choice::Start => {
            world.sessions += 1;
            RenewalEvent::Start(SessionId(100 + world.sessions))
        }
        Choice::Environment => RenewalEvent::EnvironmentChecked(world.environment()),
        Choice::NoKey => {
            RenewalEvent::EnvironmentChecked(Environment::Problem(EnvironmentProblem::NoKey))
        }
        Choice::Choose(i) => RenewalEvent::CertificateChosen(i),
        Choice::PinSubmitted => RenewalEvent::PinSubmitted,
        Choice::Pin(outcome) => RenewalEvent::PinChecked(outcome),
        Choice::ConfirmInfo => {
            let order = fixtures::renewal_order(1);
            let OrderDetails::Renewal(d) = order.details else {
                unreachable!()
            };
            RenewalEvent::InfoConfirmed {
                contact: d.contact,
                invoice: d.invoice,
            }
        }
        Choice::OrderCreated => match world.by_session.get(&session) {
            Some(number) => RenewalEvent::OrderCreated(Box::new(world.orders[number].clone())),
            None => RenewalEvent::Retry,
        },
        Choice::PaymentOffered => RenewalEvent::PaymentOffered(PaymentQr {
            payment_id: "p-1".to_owned(),
            payload: "https://pay.example/qr".to_owned(),
            expires_at: ctx().now + Duration::minutes(15),
        }),
        Choice::Pay(_) | Choice::PayWrongAmount if current_order(state).is_none() => {
            RenewalEvent::Retry
        }
        Choice::Pay(reference) => RenewalEvent::PaymentConfirmed(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: current_order(state).map_or(Fen(0), |o| o.amount),
            reference: format!("PAY-{reference}").parse().unwrap(),
            confirmed_at: ctx().now,
        }),
        Choice::PayWrongAmount => RenewalEvent::PaymentConfirmed(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: Fen(1),
            reference: "PAY-WRONG".parse().unwrap(),
            confirmed_at: ctx().now,
        }),
        Choice::PaymentExpired => RenewalEvent::PaymentExpired,
        Choice::PayAtCounter => RenewalEvent::PayAtCounter,
        Choice::Network(online) => RenewalEvent::NetworkChanged { online },
        Choice::Holder(found) => RenewalEvent::HolderLookedUp(found.then(|| {
            let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
                unreachable!()
            };
            Box::new((d.contact, d.invoice))
        })),
        Choice::HolderUnknown => RenewalEvent::HolderUnknown,
        Choice::CaRefuses(renewed_already) => RenewalEvent::RefusedByCa { renewed_already },
        Choice::KeyInserted => RenewalEvent::KeyInserted,
        Choice::KeyRemoved => RenewalEvent::KeyRemoved,
        Choice::Poll => RenewalEvent::PollPayment,
        Choice::PaymentPending => RenewalEvent::PaymentPending,
        Choice::PaymentNotOffered => RenewalEvent::PaymentNotOffered,
        Choice::Verified => {
            let mut new = fixtures::certificate();
            new.serial_hex = "NEW".to_owned();
            new.not_after += Duration::days(365);
            RenewalEvent::CertificateVerified(Box::new(new))
        }
        Choice::Unsuitable => RenewalEvent::KeyUnsuitable(EnvironmentProblem::NewKeyUnavailable),
        Choice::Receipt(printed) => RenewalEvent::ReceiptPrinted(if printed {
            PrintOutcome::Printed
        } else {
            PrintOutcome::PaperOut
        }),
        Choice::ActionDone(i) => RenewalEvent::InstallActionDone(ACTIONS[usize::from(i)]),
        Choice::Fail(i) => RenewalEvent::InstallFailed(FAILURES[usize::from(i)]),
        Choice::Retry => RenewalEvent::Retry,
        Choice::Back => RenewalEvent::Back,
        Choice::GoHome => RenewalEvent::GoHome,
        Choice::IdleTimeout => RenewalEvent::IdleTimeout,
    }
}

/// How far one random session got, for the coverage check.
#[derive(Debug, Default, Clone, Copy)]
struct Reached {
    paid: bool,
    install_pending: bool,
    resumed_after_failure: bool,
    done: bool,
}

/// Runs one random script, checking every invariant at every step.
fn check_script(script: Vec<Choice>) -> Result<Reached, TestCaseError> {
    let mut world = World::default();
    let mut state = RenewalState::Home;
    let mut reached = Reached::default();
    for choice in script {
        // Every state has a way back home.
        let leave = step(state.clone(), RenewalEvent::GoHome, &ctx());
        prop_assert_eq!(&leave.state, &RenewalState::Home);
        prop_assert!(leave.effects.contains(&RenewalEffect::WipeSession));

        let event = event_for(choice, &state, &mut world);
        let is_idle = event == RenewalEvent::IdleTimeout;
        // The CA, asked before any payment, refuses: nothing goes on.
        let asked = match &state {
            RenewalState::ConfirmingInfo { on_file, .. } => *on_file == HolderLookup::Asking,
            RenewalState::Paying { order, .. } => order.payment().is_none(),
            _ => false,
        };
        let must_block = asked && matches!(event, RenewalEvent::RefusedByCa { .. });
        let next = step(state, event, &ctx());
        if must_block {
            prop_assert!(
                matches!(next.state, RenewalState::Blocked { .. }) && next.effects.is_empty(),
                "a refusal let the renewal go on: {:?}",
                next
            );
        }
        if is_idle {
            prop_assert_eq!(&next.state, &RenewalState::Home);
            prop_assert!(!next.state.holds_personal_data());
            prop_assert!(next.effects.contains(&RenewalEffect::WipeSession));
        }
        for effect in &next.effects {
            world.run(effect);
        }
        prop_assert!(world.violations.is_empty(), "{:?}", world.violations);
        match &next.state {
            RenewalState::InstallPending { .. } => reached.install_pending = true,
            RenewalState::Installing { .. } if reached.install_pending => {
                reached.resumed_after_failure = true;
            }
            RenewalState::Done { .. } => reached.done = true,
            _ => {}
        }
        reached.paid |= world.paid_orders() > 0;
        state = next.state;
    }
    // However the session went, at most one order was paid for the one
    // certificate (a renewed key holds a certificate not yet renewable).
    prop_assert!(world.paid_orders() <= 1);
    Ok(reached)
}

fn scripts() -> impl Strategy<Value = Vec<Choice>> {
    prop::collection::vec(choice(), 1..160)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_sessions_keep_every_invariant(script in scripts()) {
        check_script(script)?;
    }
}

/// The random sessions above would prove little if they never got far: this
/// checks that a fixed sample of them pays, fails, recovers and finishes.
#[test]
fn random_sessions_reach_the_deep_states() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut totals = [0_u32; 4];
    for _ in 0..300 {
        let script = scripts().new_tree(&mut runner).unwrap().current();
        let r = check_script(script).unwrap();
        for (total, hit) in
            totals
                .iter_mut()
                .zip([r.paid, r.install_pending, r.resumed_after_failure, r.done])
        {
            *total += u32::from(hit);
        }
    }
    let [paid, pending, resumed, done] = totals;
    assert!(paid >= 30, "paid in {paid} of 300");
    assert!(pending >= 10, "install pending in {pending} of 300");
    assert!(resumed >= 5, "resumed in {resumed} of 300");
    assert!(done >= 10, "finished in {done} of 300");
}

/// Runs a script of events, executing effects in the world; returns the end state.
fn run_script(world: &mut World, events: Vec<RenewalEvent>) -> RenewalState {
    let mut state = RenewalState::Home;
    for event in events {
        let next = step(state, event, &ctx());
        for effect in &next.effects {
            world.run(effect);
        }
        state = next.state;
    }
    state
}

fn new_certificate() -> CertificateSummary {
    let mut new = fixtures::certificate();
    new.serial_hex = "5E7A".to_owned();
    new.not_after = datetime!(2027-12-10 00:00 UTC);
    new
}

fn paid(order: &Order) -> RenewalEvent {
    RenewalEvent::PaymentConfirmed(Payment {
        method: PaymentMethod::AggregatedQr,
        amount: order.amount,
        reference: "PAY-1".parse().unwrap(),
        confirmed_at: ctx().now,
    })
}

fn confirm_info() -> RenewalEvent {
    let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
        unreachable!()
    };
    RenewalEvent::InfoConfirmed {
        contact: d.contact,
        invoice: d.invoice,
    }
}

#[test]
fn a_whole_renewal_runs_in_order() {
    let mut world = World::default();
    let environment = world.environment();
    let state = run_script(
        &mut world,
        vec![
            RenewalEvent::Start(SESSION),
            RenewalEvent::EnvironmentChecked(environment.clone()),
            RenewalEvent::CertificateChosen(0),
            RenewalEvent::PinSubmitted,
            RenewalEvent::PinChecked(PinOutcome::Verified),
            RenewalEvent::HolderLookedUp(None),
            confirm_info(),
        ],
    );
    assert!(matches!(state, RenewalState::CreatingOrder { .. }));
    let order = world.orders.values().next().unwrap().clone();
    assert_eq!(order.amount, Fen(30_000));

    let mut state = step(
        state,
        RenewalEvent::OrderCreated(Box::new(order.clone())),
        &ctx(),
    );
    assert_eq!(
        state.effects,
        vec![RenewalEffect::CreatePayment {
            order: order.number,
            amount: order.amount
        }]
    );
    state = step(state.state, paid(&order), &ctx());
    for action in ACTIONS {
        assert!(state.effects.contains(&RenewalEffect::Install {
            order: order.number,
            attempt: 1,
            action
        }));
        for effect in &state.effects {
            world.run(effect);
        }
        let event = if action == InstallAction::VerifyCertificate {
            RenewalEvent::CertificateVerified(Box::new(new_certificate()))
        } else {
            RenewalEvent::InstallActionDone(action)
        };
        state = step(state.state, event, &ctx());
    }
    for effect in &state.effects {
        world.run(effect);
    }
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    assert!(matches!(
        state.state,
        RenewalState::Done { valid_until: Some(t), receipt: None, .. }
            if t == new_certificate().not_after
    ));
    assert!(state.effects.contains(&RenewalEffect::PrintReceipt {
        order: order.number
    }));
    // The CA hears that it is on the key: no kiosk offers its install again.
    assert!(state.effects.contains(&RenewalEffect::ReportInstalled {
        order: order.number,
        attempt: 1
    }));
    // 完成更新 says "take your key" itself: no second reminder.
    assert!(!state.effects.contains(&RenewalEffect::RemindToTakeKey));
    let saved = &world.orders[order.number.as_str()];
    assert_eq!(saved.status(), OrderStatus::Completed);
    // The order (and so its receipt) carries the certificate now held.
    assert!(matches!(&saved.details,
        OrderDetails::Renewal(d) if d.new_certificate == Some(new_certificate())));
    // The printer's answer is what the screen says about the receipt.
    let printed = step(
        state.state,
        RenewalEvent::ReceiptPrinted(PrintOutcome::Printed),
        &ctx(),
    );
    assert!(matches!(
        printed.state,
        RenewalState::Done {
            receipt: Some(PrintOutcome::Printed),
            ..
        }
    ));
}

#[test]
fn an_interrupted_install_resumes_from_the_recorded_step_without_paying_again() {
    let mut world = World::default();
    let environment = world.environment();
    let mut state = run_script(
        &mut world,
        vec![
            RenewalEvent::Start(SESSION),
            RenewalEvent::EnvironmentChecked(environment.clone()),
            RenewalEvent::CertificateChosen(0),
            RenewalEvent::PinSubmitted,
            RenewalEvent::PinChecked(PinOutcome::Verified),
            RenewalEvent::HolderLookedUp(None),
            confirm_info(),
        ],
    );
    let order = world.orders.values().next().unwrap().clone();
    for event in [
        RenewalEvent::OrderCreated(Box::new(order.clone())),
        paid(&order),
        RenewalEvent::InstallActionDone(InstallAction::GenerateKeyPair),
        // The customer pulls the key out.
        RenewalEvent::InstallFailed(InstallFailure::KeyRemoved),
        RenewalEvent::GoHome,
    ] {
        let next = step(state, event, &ctx());
        for effect in &next.effects {
            world.run(effect);
        }
        state = next.state;
    }
    assert_eq!(world.create_payment_calls, 1);
    // Later, the key goes back in: the open, paid order is found and resumed.
    let environment = world.environment();
    let state = run_script(
        &mut world,
        vec![
            RenewalEvent::Start(SessionId(8)),
            RenewalEvent::EnvironmentChecked(environment.clone()),
        ],
    );
    let next = step(state, RenewalEvent::CertificateChosen(0), &ctx());
    assert!(matches!(
        next.state,
        RenewalState::EnteringPin {
            purpose: PinPurpose::Resume(_),
            ..
        }
    ));
    let next = step(next.state, RenewalEvent::PinSubmitted, &ctx());
    let next = step(
        next.state,
        RenewalEvent::PinChecked(PinOutcome::Verified),
        &ctx(),
    );
    assert!(next.effects.contains(&RenewalEffect::Install {
        order: order.number,
        attempt: 1,
        action: InstallAction::RequestCertificate,
    }));
    assert!(
        !next
            .effects
            .iter()
            .any(|e| matches!(e, RenewalEffect::CreatePayment { .. }))
    );
    assert_eq!(world.create_payment_calls, 1);
}

#[test]
fn a_lost_key_pair_starts_a_new_attempt_and_clears_the_old_one() {
    let mut order = fixtures::renewal_order(1);
    order
        .record_payment(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: order.amount,
            reference: "PAY-1".parse().unwrap(),
            confirmed_at: ctx().now,
        })
        .unwrap();
    if let OrderDetails::Renewal(d) = &mut order.details {
        d.install.step = InstallStep::KeyPairGenerated;
    }
    let state = RenewalState::InstallPending {
        session: SESSION,
        order: Box::new(order.clone()),
        failure: InstallFailure::KeyPairMissing,
    };
    let next = step(state, RenewalEvent::Retry, &ctx());
    // The attempt is raised and saved at once; the PIN is asked again.
    assert!(matches!(
        next.state,
        RenewalState::EnteringPin {
            purpose: PinPurpose::Resume(_),
            ..
        }
    ));
    assert!(matches!(&next.effects[..], [RenewalEffect::SaveOrder(o)]
        if matches!(&o.details, OrderDetails::Renewal(d) if d.install.attempt == 2)));
    let next = step(next.state, RenewalEvent::PinSubmitted, &ctx());
    let next = step(
        next.state,
        RenewalEvent::PinChecked(PinOutcome::Verified),
        &ctx(),
    );
    assert!(next.effects.contains(&RenewalEffect::RemoveAbandonedKeys {
        order: order.number,
        keep_attempt: 2
    }));
    assert!(next.effects.contains(&RenewalEffect::Install {
        order: order.number,
        attempt: 2,
        action: InstallAction::GenerateKeyPair
    }));
}

/// Paid at the counter (staff mode or the back office), the CA's feed
/// moved the kiosk's order to 正在受理 before the kiosk saw the payment:
/// choosing the certificate continues that order, the CA gives back its
/// paid payment, and the install starts; no second order, nothing to pay.
#[test]
fn an_order_paid_at_the_counter_and_heard_of_only_through_the_feed_is_installed() {
    let mut order = fixtures::renewal_order(1);
    order
        .apply_ca_status(OrderStatus::InProgress, None)
        .unwrap();
    assert!(order.payment().is_none());
    let state = RenewalState::ChoosingCertificate {
        session: SESSION,
        candidates: vec![Candidate {
            certificate: fixtures::certificate(),
            open_order: Some(order.clone()),
        }],
        ca_online: true,
    };
    let next = step(state, RenewalEvent::CertificateChosen(0), &ctx());
    let RenewalState::EnteringPin {
        purpose: PinPurpose::PayOpenOrder(chosen),
        ..
    } = &next.state
    else {
        panic!("{:?}", next.state)
    };
    assert_eq!(chosen.number, order.number);
    let next = step(
        RenewalState::VerifyingPin {
            session: SESSION,
            purpose: PinPurpose::PayOpenOrder(Box::new(order.clone())),
            ca_online: true,
        },
        RenewalEvent::PinChecked(PinOutcome::Verified),
        &ctx(),
    );
    assert!(
        next.effects.contains(&RenewalEffect::CreatePayment {
            order: order.number,
            amount: order.amount
        }),
        "{:?}",
        next.effects
    );
    let counter = RenewalEvent::PaymentConfirmed(Payment {
        method: PaymentMethod::Counter {
            staff_id: "POS-1".parse().unwrap(),
        },
        amount: order.amount,
        reference: "POS-1".parse().unwrap(),
        confirmed_at: ctx().now,
    });
    let next = step(next.state, counter, &ctx());
    assert!(
        matches!(next.state, RenewalState::Installing { ref order, .. } if order.payment().is_some()),
        "{:?}",
        next.state
    );
}

#[test]
fn a_certificate_outside_the_window_cannot_be_chosen() {
    let mut certificate = fixtures::certificate();
    certificate.not_after = datetime!(2027-06-01 00:00 UTC);
    let state = RenewalState::ChoosingCertificate {
        session: SESSION,
        candidates: vec![Candidate {
            certificate,
            open_order: None,
        }],
        ca_online: true,
    };
    let next = step(state.clone(), RenewalEvent::CertificateChosen(0), &ctx());
    assert_eq!(next.state, state);
    assert!(next.effects.is_empty());
}

#[test]
fn a_wrong_pin_returns_to_the_pad_and_a_locked_one_to_staff() {
    let state = RenewalState::VerifyingPin {
        session: SESSION,
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: true,
    };
    let wrong = PinOutcome::Wrong {
        tries_left: Some(2),
        final_try: false,
    };
    let next = step(state.clone(), RenewalEvent::PinChecked(wrong), &ctx());
    assert!(matches!(next.state, RenewalState::EnteringPin { last: Some(w), .. } if w == wrong));
    let next = step(state, RenewalEvent::PinChecked(PinOutcome::Locked), &ctx());
    assert_eq!(next.state, RenewalState::PinLocked { session: SESSION });
}

#[test]
fn offline_payment_waits_and_asks_once_the_network_returns() {
    let order = fixtures::renewal_order(1);
    let state = RenewalState::CreatingOrder {
        session: SESSION,
        certificate: fixtures::certificate(),
        contact: Contact {
            name: "张三".parse().unwrap(),
            mobile: fixtures::MOBILE.parse().unwrap(),
        },
        invoice: match &order.details {
            OrderDetails::Renewal(d) => d.invoice.clone(),
            OrderDetails::Application(_) => unreachable!(),
        },
        ca_online: false,
    };
    let next = step(
        state,
        RenewalEvent::OrderCreated(Box::new(order.clone())),
        &ctx(),
    );
    assert!(next.effects.is_empty(), "no payment request while offline");
    let next = step(
        next.state,
        RenewalEvent::NetworkChanged { online: true },
        &ctx(),
    );
    assert_eq!(
        next.effects,
        vec![RenewalEffect::CreatePayment {
            order: order.number,
            amount: order.amount
        }]
    );
}

#[test]
fn pin_verification_carries_no_pin() {
    // The effect names the key, not the PIN: there is nowhere a PIN could be.
    let state = RenewalState::EnteringPin {
        session: SESSION,
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: true,
        last: None,
    };
    let next = step(state, RenewalEvent::PinSubmitted, &ctx());
    assert_eq!(
        next.effects,
        vec![RenewalEffect::VerifyPin {
            session: SESSION,
            key_ids_hex: vec!["01".to_owned()],
            check_key: true,
        }]
    );
}

fn paying(qr: bool, ca_online: bool) -> RenewalState {
    RenewalState::Paying {
        session: SESSION,
        order: Box::new(fixtures::renewal_order(1)),
        qr: qr.then(|| PaymentQr {
            payment_id: "p-9".to_owned(),
            payload: "https://pay.example/p-9".to_owned(),
            expires_at: ctx().now + Duration::minutes(15),
        }),
        ca_online,
    }
}

#[test]
fn the_payment_is_polled_on_the_flows_own_timer() {
    use crate::flow::driver::Flow;
    let timer = Renewal::timer(&paying(true, true), &ctx()).unwrap();
    assert_eq!(timer.after, ctx().payment_poll);
    assert_eq!(timer.event, RenewalEvent::PollPayment);
    let next = step(paying(true, true), RenewalEvent::PollPayment, &ctx());
    let order = fixtures::renewal_order(1);
    assert_eq!(
        next.effects,
        vec![RenewalEffect::CheckPayment {
            order: order.number,
            amount: order.amount,
            payment_id: "p-9".to_owned(),
        }]
    );
    // Still pending: nothing changes (the timer re-arms from this step).
    let again = step(next.state, RenewalEvent::PaymentPending, &ctx());
    assert_eq!(again.state, paying(true, true));
    assert!(again.effects.is_empty());
    // Offline without a QR there is nothing to poll; the network's return
    // asks for the QR at once.
    assert!(Renewal::timer(&paying(false, false), &ctx()).is_none());
    assert!(Renewal::timer(&RenewalState::Home, &ctx()).is_none());
    // The CA would not give a QR: the flow stops asking until the network
    // comes back.
    let refused = step(paying(false, true), RenewalEvent::PaymentNotOffered, &ctx());
    assert_eq!(refused.state, paying(false, false));
}

#[test]
fn the_details_on_file_are_asked_online_and_when_the_network_returns() {
    let verifying = |online| RenewalState::VerifyingPin {
        session: SESSION,
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: online,
    };
    let next = step(
        verifying(true),
        RenewalEvent::PinChecked(PinOutcome::Verified),
        &ctx(),
    );
    assert_eq!(
        next.effects,
        vec![RenewalEffect::LookUpHolder {
            session: SESSION,
            serial_hex: fixtures::certificate().serial_hex,
            key_id_hex: fixtures::certificate().key_id_hex,
        }]
    );
    let found = step(
        next.state,
        RenewalEvent::HolderLookedUp(Some(Box::new(match fixtures::renewal_order(1).details {
            OrderDetails::Renewal(d) => (d.contact, d.invoice),
            OrderDetails::Application(_) => unreachable!(),
        }))),
        &ctx(),
    );
    assert!(matches!(
        found.state,
        RenewalState::ConfirmingInfo {
            on_file: HolderLookup::Found(_),
            ..
        }
    ));
    // Offline: the form is filled in by hand, and the CA is asked as soon
    // as it answers again.
    let offline = step(
        verifying(false),
        RenewalEvent::PinChecked(PinOutcome::Verified),
        &ctx(),
    );
    assert!(offline.effects.is_empty());
    assert!(matches!(
        offline.state,
        RenewalState::ConfirmingInfo {
            on_file: HolderLookup::NotAsked,
            ..
        }
    ));
    let back = step(
        offline.state,
        RenewalEvent::NetworkChanged { online: true },
        &ctx(),
    );
    assert!(matches!(
        back.effects[..],
        [RenewalEffect::LookUpHolder { .. }]
    ));
    // Nothing is ordered while the CA is being asked; once it answered,
    // or could not be asked, the customer confirms what is typed.
    let early = step(back.state.clone(), confirm_info(), &ctx());
    assert_eq!(early.state, back.state);
    assert!(early.effects.is_empty());
    let unknown = step(back.state, RenewalEvent::HolderUnknown, &ctx());
    let confirmed = step(unknown.state, confirm_info(), &ctx());
    assert!(matches!(
        confirmed.state,
        RenewalState::CreatingOrder { .. }
    ));
}

#[test]
fn a_certificate_the_ca_will_not_renew_is_said_before_anything_is_ordered() {
    let asking = step(
        RenewalState::VerifyingPin {
            session: SESSION,
            purpose: PinPurpose::Renew(fixtures::certificate()),
            ca_online: true,
        },
        RenewalEvent::PinChecked(PinOutcome::Verified),
        &ctx(),
    )
    .state;
    for (renewed_already, problem) in [
        (true, EnvironmentProblem::RenewedAlready),
        (false, EnvironmentProblem::RefusedByCa),
    ] {
        let refused = step(
            asking.clone(),
            RenewalEvent::RefusedByCa { renewed_already },
            &ctx(),
        );
        assert_eq!(
            refused.state,
            RenewalState::Blocked {
                session: SESSION,
                problem
            }
        );
        assert!(refused.effects.is_empty());
        // Confirming afterwards (a tap already on its way) orders nothing.
        let late = step(refused.state, confirm_info(), &ctx());
        assert!(late.effects.is_empty());
    }
    // Asked again as the payment is opened (an order prepared offline, or
    // left unpaid): refused, nothing is paid; a paid order goes on.
    let paying = |order: Order| RenewalState::Paying {
        session: SESSION,
        order: Box::new(order),
        qr: None,
        ca_online: true,
    };
    let refused = step(
        paying(fixtures::renewal_order(1)),
        RenewalEvent::RefusedByCa {
            renewed_already: false,
        },
        &ctx(),
    );
    assert_eq!(
        refused.state,
        RenewalState::Blocked {
            session: SESSION,
            problem: EnvironmentProblem::RefusedByCa
        }
    );
    let mut paid_order = fixtures::renewal_order(1);
    paid_order
        .record_payment(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: paid_order.amount,
            reference: "PAY-1".parse().unwrap(),
            confirmed_at: ctx().now,
        })
        .unwrap();
    let late = step(
        paying(paid_order.clone()),
        RenewalEvent::RefusedByCa {
            renewed_already: true,
        },
        &ctx(),
    );
    assert_eq!(late.state, paying(paid_order));
    // A refusal that arrives once the customer has moved on changes nothing.
    let found = step(asking, RenewalEvent::HolderLookedUp(None), &ctx()).state;
    let stale = step(
        found.clone(),
        RenewalEvent::RefusedByCa {
            renewed_already: true,
        },
        &ctx(),
    );
    assert_eq!(stale.state, found);
}

#[test]
fn a_key_pulled_mid_install_is_said_at_once_and_resumed_when_it_is_back() {
    let mut order = fixtures::renewal_order(1);
    order
        .record_payment(Payment {
            method: PaymentMethod::AggregatedQr,
            amount: order.amount,
            reference: "PAY-1".parse().unwrap(),
            confirmed_at: ctx().now,
        })
        .unwrap();
    let installing = RenewalState::Installing {
        session: SESSION,
        order: Box::new(order),
    };
    let pulled = step(installing, RenewalEvent::KeyRemoved, &ctx());
    assert!(matches!(
        pulled.state,
        RenewalState::InstallPending {
            failure: InstallFailure::KeyRemoved,
            ..
        }
    ));
    // A late answer of the action that ran meanwhile changes nothing.
    let late = step(
        pulled.state.clone(),
        RenewalEvent::InstallActionDone(InstallAction::GenerateKeyPair),
        &ctx(),
    );
    assert_eq!(late.state, pulled.state);
    // Back in: the PIN again, then the install goes on.
    let back = step(pulled.state, RenewalEvent::KeyInserted, &ctx());
    assert!(matches!(
        back.state,
        RenewalState::EnteringPin {
            purpose: PinPurpose::Resume(_),
            ..
        }
    ));
    // 请插入USB Key waits for the key too.
    let blocked = RenewalState::Blocked {
        session: SESSION,
        problem: EnvironmentProblem::NoKey,
    };
    let next = step(blocked, RenewalEvent::KeyInserted, &ctx());
    assert_eq!(
        next.effects,
        vec![RenewalEffect::CheckEnvironment { session: SESSION }]
    );
    // Pulled while choosing: back to 请插入USB Key.
    let choosing = RenewalState::ChoosingCertificate {
        session: SESSION,
        candidates: Vec::new(),
        ca_online: true,
    };
    assert_eq!(
        step(choosing, RenewalEvent::KeyRemoved, &ctx()).state,
        RenewalState::Blocked {
            session: SESSION,
            problem: EnvironmentProblem::NoKey
        }
    );
}

#[test]
fn a_key_that_cannot_renew_is_told_before_any_payment() {
    let state = RenewalState::VerifyingPin {
        session: SESSION,
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: true,
    };
    let next = step(
        state,
        RenewalEvent::KeyUnsuitable(EnvironmentProblem::NewKeyUnavailable),
        &ctx(),
    );
    assert_eq!(
        next.state,
        RenewalState::Blocked {
            session: SESSION,
            problem: EnvironmentProblem::NewKeyUnavailable
        }
    );
    assert!(next.effects.is_empty(), "no order, no payment");
}

#[test]
fn paying_at_the_counter_shows_the_slip_and_what_the_printer_said() {
    let order = fixtures::renewal_order(1);
    let next = step(paying(true, true), RenewalEvent::PayAtCounter, &ctx());
    assert_eq!(
        next.effects,
        vec![RenewalEffect::PrintReceipt {
            order: order.number
        }]
    );
    assert!(!next.state.holds_personal_data());
    let printed = step(
        next.state,
        RenewalEvent::ReceiptPrinted(PrintOutcome::PaperOut),
        &ctx(),
    );
    assert!(matches!(
        printed.state,
        RenewalState::PayingAtCounter {
            receipt: Some(PrintOutcome::PaperOut),
            ..
        }
    ));
    let home = step(printed.state, RenewalEvent::GoHome, &ctx());
    assert!(home.effects.contains(&RenewalEffect::RemindToTakeKey));
}
