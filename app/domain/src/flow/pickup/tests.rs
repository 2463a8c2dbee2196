#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;
use crate::fixtures;
use crate::order::status::OrderStatus;
use crate::ports::ca::SealObject;
use proptest::prelude::*;

const S: SessionId = SessionId(9);

fn ctx() -> StepContext {
    fixtures::step_context()
}

fn mobile() -> MobileNumber {
    fixtures::MOBILE.parse().unwrap()
}

fn at_ca(status: OrderStatus, issued_attempt: Option<u32>) -> PickupAtCa {
    PickupAtCa {
        number: fixtures::order_number(3),
        status,
        on_site: true,
        unit_name: "山西示例煤业有限公司".parse().unwrap(),
        uscc: fixtures::USCC.parse().unwrap(),
        seals: 2,
        issued_attempt,
    }
}

fn issued(attempt: u32) -> OnSiteIssued {
    OnSiteIssued {
        order: fixtures::order_number(3),
        attempt,
        certificate_der: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        seals: vec![SealObject {
            label: "eseal:1:trader".to_owned(),
            value: b"{}".to_vec(),
        }],
    }
}

fn run(state: PickupState, event: PickupEvent) -> PickupStep {
    step(state, event, &ctx())
}

/// From home to the PIN pad, the CA answering `found`.
fn found(found: PickupAtCa) -> PickupStep {
    let asking = run(
        PickupState::Home,
        PickupEvent::Start {
            session: S,
            number: fixtures::order_number(3),
            mobile: mobile(),
        },
    );
    assert_eq!(
        asking.effects,
        vec![PickupEffect::FindPickup {
            number: fixtures::order_number(3),
            mobile: mobile()
        }]
    );
    run(asking.state, PickupEvent::Found(Some(Box::new(found))))
}

fn at_pin(found_at_ca: PickupAtCa) -> PickupState {
    let checking = found(found_at_ca);
    assert_eq!(
        checking.effects,
        vec![PickupEffect::CheckKey {
            order: fixtures::order_number(3)
        }]
    );
    let pin = run(checking.state, PickupEvent::KeyChecked(KeyCheck::Usable));
    assert!(matches!(pin.state, PickupState::EnteringPin { .. }));
    pin.state
}

fn install_actions(step: &PickupStep) -> Vec<InstallAction> {
    step.effects
        .iter()
        .filter_map(|e| match e {
            PickupEffect::Install { action, .. } => Some(*action),
            _ => None,
        })
        .collect()
}

fn verified(state: PickupState) -> PickupStep {
    let verifying = run(state, PickupEvent::PinSubmitted);
    assert_eq!(verifying.effects, vec![PickupEffect::VerifyPin]);
    run(
        verifying.state,
        PickupEvent::PinChecked(PinOutcome::Verified),
    )
}

#[test]
fn a_ready_order_is_written_step_by_step_and_the_ca_told() {
    let mut next = verified(at_pin(at_ca(OrderStatus::CertificateMade, None)));
    assert_eq!(install_actions(&next), [InstallAction::GenerateKeyPair]);
    next = run(
        next.state,
        PickupEvent::ActionDone(InstallAction::GenerateKeyPair),
    );
    assert_eq!(install_actions(&next), [InstallAction::RequestCertificate]);
    // "Done" without what the CA issued does not move it on.
    let stray = run(
        next.state.clone(),
        PickupEvent::ActionDone(InstallAction::RequestCertificate),
    );
    assert!(stray.effects.is_empty());
    next = run(next.state, PickupEvent::Issued(Box::new(issued(1))));
    assert_eq!(install_actions(&next), [InstallAction::VerifyCertificate]);
    let PickupEffect::Install { job, .. } = next.effects.last().unwrap() else {
        panic!("an install")
    };
    assert_eq!(
        job.issued,
        Some(issued(1)),
        "the check gets the CA's certificate"
    );
    next = run(
        next.state,
        PickupEvent::ActionDone(InstallAction::VerifyCertificate),
    );
    assert_eq!(install_actions(&next), [InstallAction::WriteCertificate]);
    let PickupState::Writing { job: written, .. } = next.state.clone() else {
        panic!("{:?}", next.state)
    };
    next = run(
        next.state,
        PickupEvent::ActionDone(InstallAction::WriteCertificate),
    );
    assert_eq!(
        next.state,
        PickupState::Done {
            session: S,
            number: fixtures::order_number(3),
            receipt: None,
        }
    );
    // The receipt printed with what was written (first: the customer
    // waits for it), and the CA told.
    let PickupEffect::PrintReceipt(printed) = &next.effects[0] else {
        panic!("{:?}", next.effects)
    };
    assert_eq!(
        Some(&printed.certificate_der),
        written.issued.as_ref().map(|i| &i.certificate_der)
    );
    assert_eq!(printed.seals, written.order.seals);
    assert_eq!(
        next.effects[1],
        PickupEffect::ReportWritten {
            order: fixtures::order_number(3),
            attempt: 1
        }
    );
    assert_eq!(next.effects.len(), 2);
    assert!(PickupFlow::keeps_running(&next.effects[0], &next.state));
    assert!(!next.state.holds_personal_data());
    // 完成 says what became of the receipt, once.
    next = run(
        next.state,
        PickupEvent::ReceiptPrinted(PrintOutcome::PaperOut),
    );
    assert_eq!(
        next.state,
        PickupState::Done {
            session: S,
            number: fixtures::order_number(3),
            receipt: Some(PrintOutcome::PaperOut),
        }
    );
    let again = run(
        next.state.clone(),
        PickupEvent::ReceiptPrinted(PrintOutcome::Printed),
    );
    assert_eq!(
        again.state, next.state,
        "a late second answer changes nothing"
    );
    // 完成 leaves with the written key most likely still in: the reminder.
    let home = run(next.state, PickupEvent::GoHome);
    assert_eq!(
        home.effects,
        vec![PickupEffect::WipeSession, PickupEffect::RemindToTakeKey]
    );
}

#[test]
fn an_order_not_ready_mailed_written_unknown_or_unreachable_is_not_written() {
    for (status, on_site, why) in [
        (
            OrderStatus::InProgress,
            true,
            NotNow::Pickup(Pickup::NotYet(OrderStatus::InProgress)),
        ),
        (
            OrderStatus::CertificateMade,
            false,
            NotNow::Pickup(Pickup::Mailed),
        ),
        (
            OrderStatus::Completed,
            true,
            NotNow::Pickup(Pickup::Written),
        ),
    ] {
        let mut order = at_ca(status, None);
        order.on_site = on_site;
        let next = found(order);
        assert!(
            matches!(next.state, PickupState::NotNow { why: w, .. } if w == why),
            "{:?}",
            next.state
        );
        assert!(next.effects.is_empty());
    }
    let asking = run(
        PickupState::Home,
        PickupEvent::Start {
            session: S,
            number: fixtures::order_number(3),
            mobile: mobile(),
        },
    );
    let none = run(asking.state.clone(), PickupEvent::Found(None));
    assert!(matches!(
        none.state,
        PickupState::NotNow {
            why: NotNow::NotFound,
            ..
        }
    ));
    let offline = run(asking.state, PickupEvent::NotAsked);
    assert!(matches!(
        offline.state,
        PickupState::NotNow {
            why: NotNow::Offline,
            ..
        }
    ));
}

#[test]
fn a_key_that_is_not_blank_is_never_written() {
    let checking = found(at_ca(OrderStatus::CertificateMade, None));
    let refused = run(checking.state, PickupEvent::KeyChecked(KeyCheck::NotBlank));
    assert!(matches!(
        refused.state,
        PickupState::WaitingForKey {
            checking: false,
            last: Some(KeyCheck::NotBlank),
            ..
        }
    ));
    assert!(refused.effects.is_empty());
    // Another key put in is checked again.
    let again = run(refused.state, PickupEvent::KeyInserted);
    assert!(matches!(
        again.effects.as_slice(),
        [PickupEffect::CheckKey { .. }]
    ));
}

#[test]
fn an_attempt_issued_elsewhere_continues_at_its_request() {
    let next = verified(at_pin(at_ca(OrderStatus::CertificateMade, Some(2))));
    assert_eq!(install_actions(&next), [InstallAction::RequestCertificate]);
    assert!(next.effects.contains(&PickupEffect::RemoveAbandonedKeys {
        order: fixtures::order_number(3),
        keep_attempt: 2
    }));
}

#[test]
fn a_lost_key_pair_starts_a_new_attempt_and_a_restart_asks_the_pin_again() {
    let mut next = verified(at_pin(at_ca(OrderStatus::CertificateMade, None)));
    next = run(
        next.state,
        PickupEvent::ActionDone(InstallAction::GenerateKeyPair),
    );
    next = run(next.state, PickupEvent::Issued(Box::new(issued(1))));
    // The power goes: the key's login is gone.
    let pending = run(next.state, PickupEvent::Restarted);
    assert!(matches!(
        pending.state,
        PickupState::Pending {
            failure: InstallFailure::Interrupted,
            ..
        }
    ));
    let rechecked = run(pending.state, PickupEvent::Retry);
    let pin = run(rechecked.state, PickupEvent::KeyChecked(KeyCheck::Usable));
    let resumed = verified(pin.state);
    assert_eq!(
        install_actions(&resumed),
        [InstallAction::VerifyCertificate],
        "from the recorded step"
    );
    // The check finds the key pair gone: a new attempt, a new request.
    let failed = run(
        resumed.state,
        PickupEvent::Failed(InstallFailure::KeyPairMissing),
    );
    let rechecked = run(failed.state, PickupEvent::Retry);
    let pin = run(rechecked.state, PickupEvent::KeyChecked(KeyCheck::Usable));
    let fresh = verified(pin.state);
    assert_eq!(install_actions(&fresh), [InstallAction::GenerateKeyPair]);
    let PickupState::Writing { job, .. } = &fresh.state else {
        panic!("writing")
    };
    assert_eq!(job.progress.attempt, 2);
    assert_eq!(job.issued, None);
}

#[test]
fn a_pulled_key_stops_the_write_and_putting_it_back_checks_it_again() {
    let next = verified(at_pin(at_ca(OrderStatus::CertificateMade, None)));
    let pulled = run(next.state, PickupEvent::KeyRemoved);
    assert!(matches!(
        pulled.state,
        PickupState::Pending {
            failure: InstallFailure::KeyRemoved,
            ..
        }
    ));
    let back = run(pulled.state, PickupEvent::KeyInserted);
    assert!(matches!(
        back.effects.as_slice(),
        [PickupEffect::CheckKey { .. }]
    ));
}

fn any_event() -> impl Strategy<Value = PickupEvent> {
    prop_oneof![
        Just(PickupEvent::KeyInserted),
        Just(PickupEvent::KeyRemoved),
        Just(PickupEvent::KeyChecked(KeyCheck::Usable)),
        Just(PickupEvent::KeyChecked(KeyCheck::NotBlank)),
        Just(PickupEvent::PinSubmitted),
        Just(PickupEvent::PinChecked(PinOutcome::Verified)),
        Just(PickupEvent::PinChecked(PinOutcome::Locked)),
        Just(PickupEvent::Issued(Box::new(issued(1)))),
        Just(PickupEvent::ActionDone(InstallAction::GenerateKeyPair)),
        Just(PickupEvent::ActionDone(InstallAction::VerifyCertificate)),
        Just(PickupEvent::ActionDone(InstallAction::WriteCertificate)),
        Just(PickupEvent::Failed(InstallFailure::Offline)),
        Just(PickupEvent::ReceiptPrinted(PrintOutcome::Printed)),
        Just(PickupEvent::Failed(InstallFailure::KeyPairMissing)),
        Just(PickupEvent::Retry),
        Just(PickupEvent::Restarted),
        Just(PickupEvent::NotAsked),
        Just(PickupEvent::Found(Some(Box::new(at_ca(
            OrderStatus::CertificateMade,
            None
        ))))),
    ]
}

proptest! {
    /// Whatever happens, idle leaves no personal data and wipes; the CA is
    /// told only from 完成, and only once the write was done.
    #[test]
    fn idle_always_wipes_and_the_ca_hears_only_of_a_finished_write(
        events in proptest::collection::vec(any_event(), 0..40)
    ) {
        let mut state = run(
            PickupState::Home,
            PickupEvent::Start { session: S, number: fixtures::order_number(3), mobile: mobile() },
        ).state;
        for event in events {
            let next = run(state, event.clone());
            let write_done = event == PickupEvent::ActionDone(InstallAction::WriteCertificate);
            for effect in &next.effects {
                if let PickupEffect::ReportWritten { .. } | PickupEffect::PrintReceipt { .. } = effect {
                    prop_assert!(write_done, "reported or printed without the write");
                    let done = matches!(next.state, PickupState::Done { .. });
                    prop_assert!(done, "reported or printed from another state");
                }
            }
            state = next.state;
        }
        let idle = run(state, PickupEvent::IdleTimeout);
        prop_assert_eq!(&idle.state, &PickupState::Home);
        prop_assert!(!idle.state.holds_personal_data());
        prop_assert!(idle.effects.contains(&PickupEffect::WipeSession));
    }
}
