use super::*;
use crate::ports::staff::CredentialRefusal;
use proptest::prelude::*;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-12-05 09:00 UTC);

fn at(secs: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(secs)
}

fn key(serial: &str) -> KeyRef {
    KeyRef {
        label: "staff".to_owned(),
        serial: serial.to_owned(),
        model: "SoftHSM".to_owned(),
        manufacturer: "SoftHSM project".to_owned(),
    }
}

fn member(roles: &[StaffRole]) -> StaffMember {
    StaffMember {
        certificate_serial: "1A2B".to_owned(),
        name: "clerk-01".to_owned(),
        roles: roles.to_vec(),
    }
}

fn settings(may_unblock: bool) -> StaffSettings {
    StaffSettings {
        idle_lock: Duration::from_secs(120),
        may_unblock,
    }
}

fn open(may_unblock: bool) -> StaffState {
    step(
        StaffState::Locked,
        StaffEvent::Open {
            session: SessionId(7),
            settings: settings(may_unblock),
        },
        at(0),
    )
    .state
}

fn signed_in(may_unblock: bool) -> StaffState {
    let s = step(open(may_unblock), StaffEvent::PinTyped, at(1));
    assert_eq!(
        s.effects,
        [StaffEffect::SignIn {
            session: SessionId(7)
        }]
    );
    let s = step(
        s.state,
        StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[StaffRole::Staff]),
            key: key("S1"),
        })),
        at(2),
    );
    assert!(matches!(s.state, StaffState::SignedIn { .. }), "{s:?}");
    s.state
}

fn audited(effects: &[StaffEffect]) -> Vec<(String, AuditAction)> {
    effects
        .iter()
        .filter_map(|e| match e {
            StaffEffect::Audit { key, entry } => Some((key.clone(), entry.action.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_staff_key_and_its_pin_sign_in_and_the_audit_log_says_who() {
    let s = step(open(false), StaffEvent::PinTyped, at(1));
    let s = step(
        s.state,
        StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[StaffRole::Staff]),
            key: key("S1"),
        })),
        at(2),
    );
    assert_eq!(
        signed_in_member(&s.state),
        Some(&member(&[StaffRole::Staff]))
    );
    let [StaffEffect::Audit { key, entry }] = s.effects.as_slice() else {
        panic!("{:?}", s.effects);
    };
    assert_eq!(key, "staff-0000000000000007-0");
    assert_eq!(entry.action, AuditAction::StaffSignedIn);
    assert_eq!(entry.at, at(2));
    assert_eq!(
        entry.actor,
        Actor::Staff {
            certificate_serial: "1A2B".to_owned(),
            name: "clerk-01".to_owned()
        }
    );
}

#[test]
fn a_refused_sign_in_says_why_and_lets_them_try_again() {
    let s = step(open(false), StaffEvent::PinTyped, at(1));
    // The pad is locked while the key works: a second PIN does nothing.
    let again = step(s.state.clone(), StaffEvent::PinTyped, at(1));
    assert!(again.effects.is_empty());
    let wrong = PinOutcome::Wrong {
        tries_left: Some(2),
        final_try: false,
    };
    let s = step(
        s.state,
        StaffEvent::SignInAnswered(Err(SignInRefusal::Pin(wrong))),
        at(2),
    );
    assert!(matches!(
        s.state,
        StaffState::SigningIn {
            last: Some(SignInRefusal::Pin(_)),
            checking: false,
            ..
        }
    ));
    assert_eq!(
        pin_refused(match &s.state {
            StaffState::SigningIn { last, .. } => *last,
            _ => None,
        }),
        Some(wrong)
    );
    assert!(s.effects.is_empty(), "nobody to name in the audit log");
    let s = step(s.state, StaffEvent::PinTyped, at(3));
    assert_eq!(
        s.effects,
        [StaffEffect::SignIn {
            session: SessionId(7)
        }]
    );
}

fn technician() -> StaffState {
    let s = step(open(true), StaffEvent::PinTyped, at(1));
    step(
        s.state,
        StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[StaffRole::Technician]),
            key: key("T1"),
        })),
        at(2),
    )
    .state
}

fn report(ok: bool) -> Box<crate::ports::diagnostics::Report> {
    use crate::ports::diagnostics::{
        DeviceReport, DeviceState, Report, SettingsReport, StoreReport,
    };
    Box::new(Report {
        kiosk_code: "K001".to_owned(),
        version: "0.1.0".to_owned(),
        settings: SettingsReport {
            renewal_opens_days_before_expiry: 30,
            renewal_closes_days_after_expiry: 0,
            old_certificate: "keep".to_owned(),
            retention_days: 30,
        },
        store: StoreReport {
            path: "/var/lib/kiosk/kiosk.db".into(),
            key_file: "/var/lib/kiosk-keys/store.key".into(),
            schema_version: Some(12),
            queue_depth: Some(0),
            set_aside: Some(0),
            oldest_pending_age_seconds: None,
            disk_free_bytes: Some(1 << 30),
            error: None,
        },
        devices: vec![DeviceReport {
            name: "receipt_printer".to_owned(),
            state: if ok {
                DeviceState::Ready
            } else {
                DeviceState::Fault
            },
            detail: "file:/tmp/p.bin".to_owned(),
        }],
        ok,
    })
}

#[test]
fn a_technicians_key_opens_the_technician_screen_and_none_of_staff_modes_tasks() {
    let s = step(open(true), StaffEvent::PinTyped, at(1));
    let s = step(
        s.state,
        StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[StaffRole::Technician]),
            key: key("T1"),
        })),
        at(2),
    );
    let StaffState::SignedIn { task, .. } = &s.state else {
        panic!("{s:?}");
    };
    assert_eq!(*task, StaffTask::Technician(TechTask::Menu));
    assert_eq!(
        audited(&s.effects),
        [(
            "staff-0000000000000007-0".to_owned(),
            AuditAction::TechnicianSignedIn
        )]
    );
    // Staff mode's tasks stay shut, however asked.
    for event in [
        StaffEvent::StartUnblock,
        StaffEvent::StartQueue,
        StaffEvent::StartReprint,
        StaffEvent::StartCounter,
        StaffEvent::Menu,
    ] {
        let t = step(s.state.clone(), event, at(3));
        assert!(t.effects.is_empty(), "{t:?}");
        assert!(
            matches!(
                t.state,
                StaffState::SignedIn {
                    task: StaffTask::Technician(TechTask::Menu),
                    ..
                }
            ),
            "{t:?}"
        );
    }
    assert!(!wants_pin(&s.state));
    // A member with neither role is refused.
    let s = step(open(false), StaffEvent::PinTyped, at(1));
    let s = step(
        s.state,
        StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[]),
            key: key("T1"),
        })),
        at(2),
    );
    assert!(matches!(
        s.state,
        StaffState::SigningIn {
            last: Some(SignInRefusal::Credential(CredentialRefusal::NoStaffRole)),
            ..
        }
    ));
    assert!(s.effects.is_empty());
}

#[test]
fn counter_staff_never_reach_the_technician_screen() {
    // Staff and technician both: staff mode.
    let s = step(open(false), StaffEvent::PinTyped, at(1));
    let s = step(
        s.state,
        StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[StaffRole::Technician, StaffRole::Staff]),
            key: key("S1"),
        })),
        at(2),
    );
    assert!(matches!(
        s.state,
        StaffState::SignedIn {
            task: StaffTask::Menu,
            ..
        }
    ));
    assert_eq!(audited(&s.effects)[0].1, AuditAction::StaffSignedIn);
    for event in [
        StaffEvent::Tech(TechEvent::Diagnose),
        StaffEvent::Tech(TechEvent::PrintTestPage),
    ] {
        let t = step(signed_in(false), event, at(3));
        assert!(t.effects.is_empty(), "{t:?}");
    }
}

#[test]
fn diagnostics_run_on_demand_and_the_audit_log_says_who_and_how_it_came_out() {
    let s = step(technician(), StaffEvent::Tech(TechEvent::Diagnose), at(3));
    assert_eq!(
        s.effects,
        [StaffEffect::Diagnose {
            session: SessionId(7)
        }]
    );
    // Under way: no second run, no idle lock, no way back to the menu.
    let again = step(
        s.state.clone(),
        StaffEvent::Tech(TechEvent::Diagnose),
        at(4),
    );
    assert!(again.effects.is_empty());
    let late = step(s.state.clone(), StaffEvent::Tick, at(600));
    assert!(matches!(late.state, StaffState::SignedIn { .. }));
    let s = step(
        s.state,
        StaffEvent::Tech(TechEvent::Diagnosed(report(false))),
        at(5),
    );
    let StaffState::SignedIn { task, .. } = &s.state else {
        panic!("{s:?}");
    };
    assert_eq!(
        *task,
        StaffTask::Technician(TechTask::Diagnostics(Some(report(false))))
    );
    let StaffEffect::Audit { key, entry } = &s.effects[0] else {
        panic!("{s:?}");
    };
    assert_eq!(key, "staff-0000000000000007-1");
    assert_eq!(entry.action, AuditAction::DiagnosticsRun { ok: false });
    assert_eq!(
        entry.actor,
        crate::audit::Actor::Staff {
            certificate_serial: "1A2B".to_owned(),
            name: "clerk-01".to_owned()
        }
    );
    // A report nobody asked for is dropped.
    let stray = step(
        s.state.clone(),
        StaffEvent::Tech(TechEvent::Diagnosed(report(true))),
        at(6),
    );
    assert!(stray.effects.is_empty());
    assert_eq!(stray.state, s.state.clone());
    // 重新检测.
    let s = step(s.state, StaffEvent::Tech(TechEvent::Diagnose), at(7));
    assert_eq!(s.effects.len(), 1);
}

#[test]
fn the_test_page_says_what_the_printer_said_and_is_audited() {
    let s = step(
        technician(),
        StaffEvent::Tech(TechEvent::PrintTestPage),
        at(3),
    );
    assert_eq!(
        s.effects,
        [StaffEffect::PrintTestPage {
            session: SessionId(7)
        }]
    );
    let busy = step(
        s.state.clone(),
        StaffEvent::Tech(TechEvent::PrintTestPage),
        at(4),
    );
    assert!(busy.effects.is_empty(), "one page at a time");
    for outcome in [PrintOutcome::PaperOut, PrintOutcome::Printed] {
        let t = step(
            s.state.clone(),
            StaffEvent::Tech(TechEvent::TestPagePrinted(outcome)),
            at(5),
        );
        let StaffState::SignedIn { task, .. } = &t.state else {
            panic!("{t:?}");
        };
        assert_eq!(
            *task,
            StaffTask::Technician(TechTask::TestPrint {
                printing: false,
                last: Some(outcome)
            })
        );
        assert_eq!(
            audited(&t.effects)[0].1,
            AuditAction::TestPagePrinted { outcome }
        );
    }
}

#[test]
fn the_camera_preview_runs_only_on_its_page_and_stops_with_any_lock() {
    use technician::{PREVIEW, viewfinder};
    assert_eq!(viewfinder(&technician()), None);
    let s = step(technician(), StaffEvent::Tech(TechEvent::OpenCamera), at(3));
    assert_eq!(viewfinder(&s.state), Some((SessionId(7), PREVIEW)));
    assert!(!PREVIEW.is_biometric(), "a document's view: no face check");
    assert_eq!(audited(&s.effects)[0].1, AuditAction::CameraPreviewOpened);
    // 关闭预览, 返回, or any lock closes it.
    let closed = step(
        s.state.clone(),
        StaffEvent::Tech(TechEvent::CloseCamera),
        at(4),
    );
    assert_eq!(viewfinder(&closed.state), None);
    let menu = step(s.state.clone(), StaffEvent::Menu, at(4));
    assert_eq!(viewfinder(&menu.state), None);
    for event in [
        StaffEvent::StaffKeyGone,
        StaffEvent::GoHome,
        StaffEvent::Restarted,
        StaffEvent::Tick,
    ] {
        let at = if event == StaffEvent::Tick {
            at(200)
        } else {
            at(5)
        };
        let locked = step(s.state.clone(), event, at);
        assert_eq!(locked.state, StaffState::Locked);
        assert_eq!(viewfinder(&locked.state), None);
    }
    // Counter staff never open it.
    let staff = step(
        signed_in(false),
        StaffEvent::Tech(TechEvent::OpenCamera),
        at(3),
    );
    assert_eq!(viewfinder(&staff.state), None);
    assert!(staff.effects.is_empty());
}

#[test]
fn the_technician_screen_locks_like_staff_mode() {
    let s = step(technician(), StaffEvent::Tick, at(100));
    assert_eq!(
        s.effects,
        [StaffEffect::CheckKey {
            staff_key: key("T1")
        }]
    );
    let idle = step(s.state.clone(), StaffEvent::Tick, at(122));
    assert_eq!(idle.state, StaffState::Locked);
    assert_eq!(
        audited(&idle.effects)[0].1,
        AuditAction::StaffSignedOut {
            why: LockReason::Idle
        }
    );
    assert!(idle.effects.contains(&StaffEffect::Wipe));
    let pulled = step(s.state, StaffEvent::StaffKeyGone, at(101));
    assert_eq!(pulled.state, StaffState::Locked);
    assert_eq!(
        audited(&pulled.effects)[0].1,
        AuditAction::StaffSignedOut {
            why: LockReason::KeyPulled
        }
    );
}

#[test]
fn staff_mode_locks_after_the_idle_time_and_looks_for_the_key_until_then() {
    let state = signed_in(false);
    let s = step(state, StaffEvent::Tick, at(100));
    assert_eq!(
        s.effects,
        [StaffEffect::CheckKey {
            staff_key: key("S1")
        }]
    );
    // A touch restarts the idle time.
    let s = step(s.state, StaffEvent::Menu, at(110));
    let s = step(s.state, StaffEvent::Tick, at(229));
    assert!(matches!(s.state, StaffState::SignedIn { .. }));
    let s = step(s.state, StaffEvent::Tick, at(230));
    assert_eq!(s.state, StaffState::Locked);
    assert_eq!(
        audited(&s.effects),
        [(
            "staff-0000000000000007-1".to_owned(),
            AuditAction::StaffSignedOut {
                why: LockReason::Idle
            }
        )]
    );
    assert_eq!(s.effects.last(), Some(&StaffEffect::Wipe));
}

#[test]
fn an_open_sign_in_page_closes_after_the_idle_time() {
    let s = step(open(false), StaffEvent::Tick, at(119));
    assert!(matches!(s.state, StaffState::SigningIn { .. }));
    let s = step(s.state, StaffEvent::Tick, at(120));
    assert_eq!(s.state, StaffState::Locked);
    assert_eq!(s.effects, [StaffEffect::Wipe]);
}

#[test]
fn pulling_the_staff_key_locks_and_says_so() {
    let s = step(signed_in(false), StaffEvent::KeyTaken, at(5));
    assert_eq!(
        s.effects,
        [StaffEffect::CheckKey {
            staff_key: key("S1")
        }]
    );
    let s = step(s.state, StaffEvent::StaffKeyGone, at(6));
    assert_eq!(s.state, StaffState::Locked);
    assert_eq!(
        audited(&s.effects)[0].1,
        AuditAction::StaffSignedOut {
            why: LockReason::KeyPulled
        }
    );
}

#[test]
fn going_home_or_a_restart_signs_out() {
    for (event, why) in [
        (StaffEvent::SignOut, LockReason::SignedOut),
        (StaffEvent::GoHome, LockReason::SignedOut),
        (StaffEvent::Restarted, LockReason::Restarted),
    ] {
        let s = step(signed_in(false), event, at(5));
        assert_eq!(s.state, StaffState::Locked);
        assert_eq!(
            audited(&s.effects)[0].1,
            AuditAction::StaffSignedOut { why }
        );
    }
}

#[test]
fn unblocking_needs_the_configuration_and_asks_for_three_pins() {
    let s = step(signed_in(false), StaffEvent::StartUnblock, at(5));
    assert!(matches!(
        s.state,
        StaffState::SignedIn {
            task: StaffTask::Menu,
            ..
        }
    ));
    let state = signed_in(true);
    let s = step(state, StaffEvent::StartUnblock, at(5));
    assert_eq!(pin_slot(&s.state), Some(PinSlot::SoPin));
    let s = step(s.state, StaffEvent::PinTyped, at(6));
    assert_eq!(pin_slot(&s.state), Some(PinSlot::NewPin));
    let s = step(s.state, StaffEvent::PinTyped, at(7));
    assert_eq!(pin_slot(&s.state), Some(PinSlot::Repeat));
    let s = step(s.state, StaffEvent::PinTyped, at(8));
    assert_eq!(pin_slot(&s.state), None, "no PIN while the key works");
    assert_eq!(
        s.effects,
        [StaffEffect::Unblock {
            session: SessionId(7),
            staff_key: key("S1"),
        }]
    );
    // The key takes long: the idle time does not lock meanwhile.
    let working = step(s.state.clone(), StaffEvent::Tick, at(500));
    assert!(matches!(working.state, StaffState::SignedIn { .. }));
    let done = step(
        s.state,
        StaffEvent::UnblockAnswered(Ok(UnblockOutcome::Unblocked)),
        at(9),
    );
    assert!(matches!(
        done.state,
        StaffState::SignedIn {
            task: StaffTask::Unblock(Unblock::Unblocked),
            ..
        }
    ));
    assert_eq!(
        audited(&done.effects),
        [(
            "staff-0000000000000007-1".to_owned(),
            AuditAction::PinUnblock {
                outcome: UnblockOutcome::Unblocked
            }
        )]
    );
    // Signing out afterwards is the session's next entry.
    let out = step(done.state, StaffEvent::SignOut, at(10));
    assert_eq!(audited(&out.effects)[0].0, "staff-0000000000000007-2");
}

fn working(may_unblock: bool) -> StaffState {
    let mut state = step(signed_in(may_unblock), StaffEvent::StartUnblock, at(5)).state;
    for t in 6..9 {
        state = step(state, StaffEvent::PinTyped, at(t)).state;
    }
    state
}

#[test]
fn an_unblock_that_did_not_take_asks_for_the_so_pin_again_with_why() {
    let s = step(
        working(true),
        StaffEvent::UnblockAnswered(Ok(UnblockOutcome::SoPinWrong)),
        at(9),
    );
    assert!(matches!(
        s.state,
        StaffState::SignedIn {
            task: StaffTask::Unblock(Unblock::SoPin {
                last: Some(UnblockProblem::SoPinWrong)
            }),
            ..
        }
    ));
    assert_eq!(audited(&s.effects).len(), 1, "the try reached the key");
    // PINs that differ never reach the key: nothing to audit.
    let s = step(
        working(true),
        StaffEvent::UnblockAnswered(Err(UnblockProblem::PinsDiffer)),
        at(9),
    );
    assert!(matches!(
        s.state,
        StaffState::SignedIn {
            task: StaffTask::Unblock(Unblock::SoPin {
                last: Some(UnblockProblem::PinsDiffer)
            }),
            ..
        }
    ));
    assert!(s.effects.is_empty());
}

fn row(n: u32) -> ReprintRow {
    ReprintRow::of(&crate::fixtures::renewal_order(n))
}

#[test]
fn a_receipt_is_printed_again_from_the_orders_held_and_audited_with_its_order() {
    let s = step(signed_in(false), StaffEvent::StartReprint, at(5));
    assert_eq!(s.effects, [StaffEffect::ListOrders]);
    let s = step(
        s.state,
        StaffEvent::OrdersListed(vec![row(1), row(2)]),
        at(6),
    );
    let number = row(2).number;
    // An order not in the list is not printed.
    let other = step(
        s.state.clone(),
        StaffEvent::Reprint(crate::fixtures::order_number(9)),
        at(7),
    );
    assert!(other.effects.is_empty());
    let s = step(s.state, StaffEvent::Reprint(number), at(7));
    assert_eq!(
        s.effects,
        [StaffEffect::PrintReceipt {
            session: SessionId(7),
            order: number
        }]
    );
    // One at a time, and the idle time waits for the printer.
    assert!(
        step(s.state.clone(), StaffEvent::Reprint(number), at(7))
            .effects
            .is_empty()
    );
    assert!(matches!(
        step(s.state.clone(), StaffEvent::Tick, at(500)).state,
        StaffState::SignedIn { .. }
    ));
    let s = step(
        s.state,
        StaffEvent::Reprinted(number, Some(PrintOutcome::PaperOut)),
        at(8),
    );
    let [StaffEffect::Audit { entry, .. }] = s.effects.as_slice() else {
        panic!("{:?}", s.effects);
    };
    assert_eq!(entry.order, Some(number));
    assert_eq!(
        entry.action,
        AuditAction::ReceiptReprinted {
            outcome: PrintOutcome::PaperOut
        }
    );
    let StaffState::SignedIn {
        task: StaffTask::Reprint(r),
        ..
    } = &s.state
    else {
        panic!("{:?}", s.state);
    };
    assert_eq!(r.last, Some((number, PrintOutcome::PaperOut)));
    // Purged meanwhile: it leaves the list, nothing printed, nothing audited.
    let s = step(s.state, StaffEvent::Reprint(number), at(9));
    let s = step(s.state, StaffEvent::Reprinted(number, None), at(10));
    assert!(s.effects.is_empty());
    let StaffState::SignedIn {
        task: StaffTask::Reprint(r),
        ..
    } = &s.state
    else {
        panic!("{:?}", s.state);
    };
    assert_eq!(r.orders, Some(vec![row(1)]));
}

fn upload(n: u32, set_aside: bool) -> crate::ports::store::QueuedUpload {
    crate::ports::store::QueuedUpload {
        order: crate::fixtures::order_number(n),
        attempts: 3,
        next_attempt_at: at(60),
        set_aside,
        last_error: set_aside.then(|| "set_aside:validation".to_owned()),
    }
}

#[test]
fn an_upload_is_sent_again_by_staff_after_the_audit_log_has_it() {
    let s = step(signed_in(false), StaffEvent::StartQueue, at(5));
    assert_eq!(s.effects, [StaffEffect::ListQueue]);
    let s = step(
        s.state,
        StaffEvent::QueueListed(vec![upload(1, true), upload(2, false)]),
        at(6),
    );
    let order = crate::fixtures::order_number(1);
    let s = step(s.state, StaffEvent::RetryUpload(order), at(7));
    let [
        StaffEffect::Audit { entry, .. },
        StaffEffect::RetryUpload { order: o, .. },
    ] = s.effects.as_slice()
    else {
        panic!("{:?}", s.effects);
    };
    assert_eq!(
        (entry.action.clone(), entry.order, *o),
        (AuditAction::QueueRetry, Some(order), order)
    );
    // One at a time; an order not listed is not touched.
    assert!(
        step(s.state.clone(), StaffEvent::RetryUpload(order), at(7))
            .effects
            .is_empty()
    );
    let s = step(s.state, StaffEvent::UploadRetried(order, true), at(8));
    assert_eq!(
        s.effects,
        [StaffEffect::ListQueue],
        "the list is read again"
    );
    let StaffState::SignedIn {
        task: StaffTask::Queue(q),
        ..
    } = &s.state
    else {
        panic!("{:?}", s.state);
    };
    assert_eq!(q.last, Some((order, true)));
    let other = step(
        s.state.clone(),
        StaffEvent::RetryUpload(crate::fixtures::order_number(9)),
        at(9),
    );
    assert!(other.effects.is_empty());
}

fn payable(n: u32) -> PayableRow {
    PayableRow {
        number: crate::fixtures::order_number(n),
        renewal: true,
        amount: Fen(20_000),
        created_at: T0,
    }
}

fn signed_payment(signed_at: OffsetDateTime) -> SignedCounterPayment {
    SignedCounterPayment {
        payment: CounterPayment {
            order: payable(1).number,
            method: CounterMethod::Counter,
            amount: Fen(20_000),
            reference: "POS-1".parse().unwrap(),
            signed_at,
        },
        certificate_der: b"staff certificate".to_vec(),
        signature: vec![7; 64],
    }
}

#[test]
fn a_counter_payment_is_signed_with_the_staff_key_sent_once_and_audited_twice() {
    let s = step(signed_in(false), StaffEvent::StartCounter, at(3));
    assert_eq!(s.effects, [StaffEffect::ListPayable]);
    let s = step(s.state, StaffEvent::PayableListed(vec![payable(1)]), at(4));
    // An order not listed is not taken.
    let s = step(
        s.state,
        StaffEvent::ChooseCounter(crate::fixtures::order_number(9)),
        at(5),
    );
    let StaffState::SignedIn {
        task:
            StaffTask::Counter(CounterTask {
                stage: CounterStage::List,
                ..
            }),
        ..
    } = &s.state
    else {
        panic!("{s:?}")
    };
    let s = step(s.state, StaffEvent::ChooseCounter(payable(1).number), at(6));
    // No reference: the form says so, and nothing is signed.
    let s = step(
        s.state,
        StaffEvent::CounterConfirmed {
            method: CounterMethod::Counter,
            reference: " ".to_owned(),
        },
        at(7),
    );
    assert!(s.effects.is_empty());
    assert!(matches!(
        &s.state,
        StaffState::SignedIn {
            task: StaffTask::Counter(CounterTask {
                stage: CounterStage::Form {
                    problem: Some(CounterFormProblem::Reference),
                    ..
                },
                ..
            }),
            ..
        }
    ));
    let s = step(
        s.state,
        StaffEvent::CounterConfirmed {
            method: CounterMethod::Counter,
            reference: " POS-1 ".to_owned(),
        },
        at(8),
    );
    assert_eq!(pin_slot(&s.state), Some(PinSlot::StaffKey));
    // A wrong PIN: the pad again, with why.
    let s = step(s.state, StaffEvent::PinTyped, at(9));
    let [
        StaffEffect::SignPayment {
            payment, staff_key, ..
        },
    ] = s.effects.as_slice()
    else {
        panic!("{s:?}")
    };
    assert_eq!(staff_key, &key("S1"));
    assert_eq!(payment.amount, Fen(20_000), "the order's amount");
    assert_eq!(payment.reference.as_str(), "POS-1");
    assert_eq!(payment.signed_at, at(9));
    assert_eq!(pin_slot(&s.state), None, "no PIN while the key signs");
    let wrong = SignInRefusal::Pin(PinOutcome::Wrong {
        tries_left: Some(2),
        final_try: false,
    });
    let s = step(s.state, StaffEvent::CounterSigned(Err(wrong)), at(10));
    assert!(
        audited(&s.effects).is_empty(),
        "nothing signed, nothing logged"
    );
    assert_eq!(pin_slot(&s.state), Some(PinSlot::StaffKey));
    let s = step(s.state, StaffEvent::PinTyped, at(11));
    let signed = signed_payment(at(11));
    let s = step(
        s.state,
        StaffEvent::CounterSigned(Ok(Box::new(signed.clone()))),
        at(12),
    );
    let logged = audited(&s.effects);
    assert_eq!(logged.len(), 1);
    assert_eq!(
        logged[0].1,
        AuditAction::CounterPaymentSigned {
            method: CounterMethod::Counter,
            amount_fen: 20_000,
            reference: "POS-1".to_owned(),
        }
    );
    assert!(s.effects.contains(&StaffEffect::SendPayment {
        session: SessionId(7),
        signed: Box::new(signed),
    }));
    // No idle lock while it is sent.
    let s = step(s.state, StaffEvent::Tick, at(500));
    assert!(matches!(s.state, StaffState::SignedIn { .. }));
    let s = step(
        s.state,
        StaffEvent::CounterAnswered(CounterOutcome::Recorded),
        at(13),
    );
    assert_eq!(
        audited(&s.effects)
            .into_iter()
            .map(|(_, a)| a)
            .collect::<Vec<_>>(),
        [AuditAction::CounterPaymentAnswered {
            outcome: CounterOutcome::Recorded
        }]
    );
    assert!(s.effects.contains(&StaffEffect::ListPayable));
    let StaffState::SignedIn {
        task: StaffTask::Counter(c),
        ..
    } = &s.state
    else {
        panic!("{s:?}")
    };
    assert_eq!(c.last, Some((payable(1).number, CounterOutcome::Recorded)));
    assert_eq!(c.orders, None, "listed again");
    // The store still holds it as waiting: not listed again.
    let listed = step(
        s.state.clone(),
        StaffEvent::PayableListed(vec![payable(1), payable(2)]),
        at(14),
    );
    let StaffState::SignedIn {
        task: StaffTask::Counter(c),
        ..
    } = &listed.state
    else {
        panic!("{listed:?}")
    };
    assert_eq!(c.orders, Some(vec![payable(2)]));
    // An answer late or twice changes nothing.
    let again = step(
        s.state.clone(),
        StaffEvent::CounterAnswered(CounterOutcome::Recorded),
        at(14),
    );
    assert!(again.effects.is_empty());
}

#[test]
fn an_unpaid_order_is_cancelled_with_the_staff_key_and_audited_twice() {
    let s = step(signed_in(false), StaffEvent::StartCounter, at(3));
    let s = step(s.state, StaffEvent::PayableListed(vec![payable(1)]), at(4));
    // Only a listed order.
    let s = step(
        s.state,
        StaffEvent::CancelChosen(crate::fixtures::order_number(9)),
        at(5),
    );
    assert!(
        matches!(&s.state, StaffState::SignedIn { task: StaffTask::Counter(c), .. } if c.stage == CounterStage::List)
    );
    let order = payable(1).number;
    let s = step(s.state, StaffEvent::CancelChosen(order), at(6));
    assert!(
        matches!(&s.state, StaffState::SignedIn { task: StaffTask::Counter(c), .. }
        if c.stage == CounterStage::ConfirmCancel { order })
    );
    assert_eq!(pin_slot(&s.state), None, "no PIN before it is confirmed");
    // 返回, then again.
    let back = step(s.state.clone(), StaffEvent::CounterCancelled, at(7));
    assert!(
        matches!(&back.state, StaffState::SignedIn { task: StaffTask::Counter(c), .. } if c.stage == CounterStage::List)
    );
    let s = step(s.state, StaffEvent::CancelConfirmed, at(7));
    assert_eq!(pin_slot(&s.state), Some(PinSlot::StaffKey));
    let s = step(s.state, StaffEvent::PinTyped, at(8));
    let [
        StaffEffect::SignCancel {
            cancel, staff_key, ..
        },
    ] = s.effects.as_slice()
    else {
        panic!("{s:?}")
    };
    assert_eq!((cancel.order, cancel.signed_at), (order, at(8)));
    assert_eq!(staff_key, &key("S1"));
    let signed = SignedOrderCancel {
        cancel: cancel.clone(),
        certificate_der: b"staff certificate".to_vec(),
        signature: vec![7; 64],
    };
    // A signature over another order's cancel is not sent.
    let other = SignedOrderCancel {
        cancel: OrderCancel {
            order: crate::fixtures::order_number(2),
            ..cancel.clone()
        },
        ..signed.clone()
    };
    let refused = step(
        s.state.clone(),
        StaffEvent::CancelSigned(Ok(Box::new(other))),
        at(9),
    );
    assert!(refused.effects.is_empty());
    let s = step(
        s.state,
        StaffEvent::CancelSigned(Ok(Box::new(signed.clone()))),
        at(9),
    );
    assert_eq!(
        audited(&s.effects)
            .into_iter()
            .map(|(_, a)| a)
            .collect::<Vec<_>>(),
        [AuditAction::OrderCancelSigned]
    );
    assert!(s.effects.contains(&StaffEffect::SendCancel {
        session: SessionId(7),
        signed: Box::new(signed),
    }));
    // No idle lock while it is sent.
    let s = step(s.state, StaffEvent::Tick, at(500));
    assert!(matches!(s.state, StaffState::SignedIn { .. }));
    let s = step(
        s.state,
        StaffEvent::CancelAnswered(CounterOutcome::Cancelled),
        at(10),
    );
    assert_eq!(
        audited(&s.effects)
            .into_iter()
            .map(|(_, a)| a)
            .collect::<Vec<_>>(),
        [AuditAction::OrderCancelAnswered {
            outcome: CounterOutcome::Cancelled
        }]
    );
    let listed = step(
        s.state,
        StaffEvent::PayableListed(vec![payable(1), payable(2)]),
        at(11),
    );
    let StaffState::SignedIn {
        task: StaffTask::Counter(c),
        ..
    } = &listed.state
    else {
        panic!("{listed:?}")
    };
    assert_eq!(
        c.orders,
        Some(vec![payable(2)]),
        "the cancelled one is gone"
    );
    assert_eq!(c.last, Some((order, CounterOutcome::Cancelled)));
}

#[test]
fn what_the_ca_says_of_a_cancel_is_told_apart() {
    use crate::ports::ca::{CaError, Refusal};
    assert_eq!(
        CounterOutcome::of_cancel(&Ok(())),
        CounterOutcome::Cancelled
    );
    assert_eq!(
        CounterOutcome::of_cancel(&Err(CaError::OrderNotYetKnown)),
        CounterOutcome::NotYetAtCa
    );
    assert_eq!(
        CounterOutcome::of_cancel(&Err(CaError::Refused {
            reason: Refusal::PaidAlready
        })),
        CounterOutcome::PaidAlready
    );
    assert_eq!(
        CounterOutcome::of_cancel(&Err(CaError::Refused {
            reason: Refusal::StaffNotAccepted
        })),
        CounterOutcome::StaffNotAccepted
    );
    assert_eq!(
        CounterOutcome::of_cancel(&Err(CaError::Unreachable("down".to_owned()))),
        CounterOutcome::Unreachable
    );
}

#[test]
fn a_signature_over_another_payment_is_not_sent() {
    let s = step(signed_in(false), StaffEvent::StartCounter, at(3));
    let s = step(s.state, StaffEvent::PayableListed(vec![payable(1)]), at(4));
    let s = step(s.state, StaffEvent::ChooseCounter(payable(1).number), at(5));
    let s = step(
        s.state,
        StaffEvent::CounterConfirmed {
            method: CounterMethod::BankTransfer,
            reference: "BANK-9".to_owned(),
        },
        at(6),
    );
    let s = step(s.state, StaffEvent::PinTyped, at(7));
    // Signed as a counter payment with another reference: not this one.
    let s = step(
        s.state,
        StaffEvent::CounterSigned(Ok(Box::new(signed_payment(at(7))))),
        at(8),
    );
    assert!(s.effects.is_empty(), "{:?}", s.effects);
}

#[test]
fn the_state_survives_the_journal() {
    let state = working(true);
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<StaffState>(&json).unwrap(), state);
}

#[derive(Debug, Clone)]
enum Input {
    Open(bool),
    Pin,
    SignedIn(bool),
    Refused,
    Unblock,
    Answer(u8),
    Menu,
    SignOut,
    Tick,
    KeyTaken,
    KeyGone,
    Home,
    Restart,
    Wait(u16),
    StartReprint,
    Listed,
    Reprint,
    Reprinted(bool),
    StartQueue,
    QueueListed,
    Retry,
    Retried(bool),
    StartCounter,
    PayableListed,
    Choose,
    Confirm(bool),
    CounterSigned(bool),
    CounterAnswered(u8),
    CounterCancel,
    CancelChoose,
    CancelConfirm,
    CancelSigned(bool),
    CancelAnswered(u8),
    Diagnose,
    Diagnosed(bool),
    PrintTestPage,
    TestPagePrinted(bool),
    OpenCamera,
    CloseCamera,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        any::<bool>().prop_map(Input::Open),
        Just(Input::Pin),
        any::<bool>().prop_map(Input::SignedIn),
        Just(Input::Refused),
        Just(Input::Unblock),
        (0..6u8).prop_map(Input::Answer),
        Just(Input::Menu),
        Just(Input::SignOut),
        Just(Input::Tick),
        Just(Input::KeyTaken),
        Just(Input::KeyGone),
        Just(Input::Home),
        Just(Input::Restart),
        (0..200u16).prop_map(Input::Wait),
        Just(Input::StartReprint),
        Just(Input::Listed),
        Just(Input::Reprint),
        any::<bool>().prop_map(Input::Reprinted),
        Just(Input::StartQueue),
        Just(Input::QueueListed),
        Just(Input::Retry),
        any::<bool>().prop_map(Input::Retried),
        Just(Input::StartCounter),
        Just(Input::PayableListed),
        Just(Input::Choose),
        any::<bool>().prop_map(Input::Confirm),
        any::<bool>().prop_map(Input::CounterSigned),
        (0..5u8).prop_map(Input::CounterAnswered),
        Just(Input::CounterCancel),
        Just(Input::CancelChoose),
        Just(Input::CancelConfirm),
        any::<bool>().prop_map(Input::CancelSigned),
        (0..4u8).prop_map(Input::CancelAnswered),
        Just(Input::Diagnose),
        any::<bool>().prop_map(Input::Diagnosed),
        Just(Input::PrintTestPage),
        any::<bool>().prop_map(Input::TestPagePrinted),
        Just(Input::OpenCamera),
        Just(Input::CloseCamera),
    ]
}

fn event(input: &Input) -> Option<StaffEvent> {
    Some(match input {
        Input::Open(may) => StaffEvent::Open {
            session: SessionId(1),
            settings: settings(*may),
        },
        Input::Pin => StaffEvent::PinTyped,
        Input::SignedIn(staff) => StaffEvent::SignInAnswered(Ok(SignedIn {
            member: member(&[if *staff {
                StaffRole::Staff
            } else {
                StaffRole::Technician
            }]),
            key: key("S1"),
        })),
        Input::Refused => StaffEvent::SignInAnswered(Err(SignInRefusal::NotAStaffKey)),
        Input::Unblock => StaffEvent::StartUnblock,
        Input::Answer(n) => StaffEvent::UnblockAnswered(match n {
            0 => Ok(UnblockOutcome::Unblocked),
            1 => Ok(UnblockOutcome::SoPinWrong),
            2 => Ok(UnblockOutcome::SoPinLocked),
            3 => Ok(UnblockOutcome::NewPinRefused),
            4 => Err(UnblockProblem::PinsDiffer),
            _ => Err(UnblockProblem::NoCustomerKey),
        }),
        Input::Menu => StaffEvent::Menu,
        Input::SignOut => StaffEvent::SignOut,
        Input::Tick => StaffEvent::Tick,
        Input::KeyTaken => StaffEvent::KeyTaken,
        Input::KeyGone => StaffEvent::StaffKeyGone,
        Input::Home => StaffEvent::GoHome,
        Input::Restart => StaffEvent::Restarted,
        Input::Wait(_) => return None,
        Input::StartReprint => StaffEvent::StartReprint,
        Input::Listed => StaffEvent::OrdersListed(vec![row(1)]),
        Input::Reprint => StaffEvent::Reprint(row(1).number),
        Input::StartQueue => StaffEvent::StartQueue,
        Input::QueueListed => StaffEvent::QueueListed(vec![upload(1, true)]),
        Input::Retry => StaffEvent::RetryUpload(upload(1, true).order),
        Input::Retried(waiting) => StaffEvent::UploadRetried(upload(1, true).order, *waiting),
        Input::Reprinted(held) => {
            StaffEvent::Reprinted(row(1).number, held.then_some(PrintOutcome::Printed))
        }
        Input::StartCounter => StaffEvent::StartCounter,
        Input::PayableListed => StaffEvent::PayableListed(vec![payable(1)]),
        Input::Choose => StaffEvent::ChooseCounter(payable(1).number),
        Input::Confirm(typed) => StaffEvent::CounterConfirmed {
            method: CounterMethod::Counter,
            reference: if *typed { "POS-1" } else { "  " }.to_owned(),
        },
        Input::CounterSigned(ok) => StaffEvent::CounterSigned(if *ok {
            Ok(Box::new(signed_payment(T0)))
        } else {
            Err(SignInRefusal::Pin(PinOutcome::Wrong {
                tries_left: Some(2),
                final_try: false,
            }))
        }),
        Input::CounterAnswered(n) => StaffEvent::CounterAnswered(match n {
            0 => CounterOutcome::Recorded,
            1 => CounterOutcome::StaffNotAccepted,
            2 => CounterOutcome::AmountMismatch,
            3 => CounterOutcome::Refused,
            _ => CounterOutcome::Unreachable,
        }),
        Input::CounterCancel => StaffEvent::CounterCancelled,
        Input::CancelChoose => StaffEvent::CancelChosen(payable(1).number),
        Input::CancelConfirm => StaffEvent::CancelConfirmed,
        Input::CancelSigned(ok) => StaffEvent::CancelSigned(if *ok {
            Ok(Box::new(SignedOrderCancel {
                cancel: OrderCancel {
                    order: payable(1).number,
                    signed_at: T0,
                },
                certificate_der: b"staff certificate".to_vec(),
                signature: vec![7; 64],
            }))
        } else {
            Err(SignInRefusal::KeyFailed)
        }),
        Input::CancelAnswered(n) => StaffEvent::CancelAnswered(match n {
            0 => CounterOutcome::Cancelled,
            1 => CounterOutcome::PaidAlready,
            2 => CounterOutcome::NotYetAtCa,
            _ => CounterOutcome::Unreachable,
        }),
        Input::Diagnose => StaffEvent::Tech(TechEvent::Diagnose),
        Input::Diagnosed(ok) => StaffEvent::Tech(TechEvent::Diagnosed(report(*ok))),
        Input::PrintTestPage => StaffEvent::Tech(TechEvent::PrintTestPage),
        Input::OpenCamera => StaffEvent::Tech(TechEvent::OpenCamera),
        Input::CloseCamera => StaffEvent::Tech(TechEvent::CloseCamera),
        Input::TestPagePrinted(printed) => {
            StaffEvent::Tech(TechEvent::TestPagePrinted(if *printed {
                PrintOutcome::Printed
            } else {
                PrintOutcome::PaperOut
            }))
        }
    })
}

proptest! {
    /// Whatever happens: staff mode opens only for a proven staff key
    /// (the technician screen only for a technician's, and its effects
    /// only there),
    /// the sign-in effect only follows a PIN, an unblock only where the
    /// configuration allows it, every audit key is new, every sign-in has
    /// its sign-out in the log once it locks, and an untouched session
    /// never outlives the idle time by more than one look.
    #[test]
    fn staff_mode_holds_its_rules(inputs in proptest::collection::vec(input(), 0..60)) {
        let mut state = StaffState::Locked;
        let mut now = T0;
        let mut keys = std::collections::HashSet::new();
        let mut signed_in = false;
        let mut sessions = 0;
        for input in &inputs {
            if let Input::Wait(secs) = input {
                now += time::Duration::seconds(i64::from(*secs));
                continue;
            }
            let Some(mut event) = event(input) else { continue };
            // Each 工作人员登录 opens a session of its own, as the kiosk's
            // random session ids do.
            if let StaffEvent::Open { session, .. } = &mut event {
                sessions += 1;
                *session = SessionId(sessions);
            }
            let before = state.clone();
            let s = step(state, event, now);
            for effect in &s.effects {
                match effect {
                    StaffEffect::Audit { key, entry } => {
                        prop_assert!(keys.insert(key.clone()), "audit key {key} twice");
                        match entry.action {
                            AuditAction::StaffSignedIn | AuditAction::TechnicianSignedIn => {
                                signed_in = true;
                            }
                            AuditAction::StaffSignedOut { .. } => signed_in = false,
                            _ => prop_assert!(signed_in),
                        }
                    }
                    StaffEffect::SignIn { .. } => {
                        let after_pin = matches!(input, Input::Pin);
                        prop_assert!(after_pin);
                    }
                    StaffEffect::Unblock { .. } => {
                        let allowed = matches!(
                            before,
                            StaffState::SignedIn { settings: StaffSettings { may_unblock: true, .. }, .. }
                        );
                        prop_assert!(allowed);
                    }
                    StaffEffect::PrintReceipt { .. } => {
                        let asked = matches!(input, Input::Reprint);
                        prop_assert!(asked);
                    }
                    StaffEffect::RetryUpload { .. } => {
                        let asked = matches!(input, Input::Retry);
                        prop_assert!(asked);
                    }
                    StaffEffect::SignPayment { payment, .. } => {
                        // Only after the PIN, on the form's reference.
                        let after_pin = matches!(input, Input::Pin);
                        prop_assert!(after_pin);
                        prop_assert_eq!(payment.reference.as_str(), "POS-1");
                    }
                    StaffEffect::SendPayment { signed, .. } => {
                        // Only what the key signed, once the log has it.
                        let signed_now = matches!(input, Input::CounterSigned(true));
                        prop_assert!(signed_now);
                        let logged = s.effects.iter().any(|e| matches!(
                            e,
                            StaffEffect::Audit { entry, .. }
                                if matches!(entry.action, AuditAction::CounterPaymentSigned { .. })
                                    && entry.order == Some(signed.payment.order)
                        ));
                        prop_assert!(logged);
                    }
                    StaffEffect::SignCancel { .. } => {
                        // Only after the PIN, once confirmed.
                        let after_pin = matches!(input, Input::Pin);
                        prop_assert!(after_pin);
                    }
                    StaffEffect::SendCancel { signed, .. } => {
                        let signed_now = matches!(input, Input::CancelSigned(true));
                        prop_assert!(signed_now);
                        let logged = s.effects.iter().any(|e| matches!(
                            e,
                            StaffEffect::Audit { entry, .. }
                                if entry.action == AuditAction::OrderCancelSigned
                                    && entry.order == Some(signed.cancel.order)
                        ));
                        prop_assert!(logged);
                    }
                    StaffEffect::Diagnose { .. } | StaffEffect::PrintTestPage { .. } => {
                        // Only a technician, and only when asked.
                        let asked = matches!(input, Input::Diagnose | Input::PrintTestPage);
                        prop_assert!(asked);
                        let technician = matches!(
                            &before,
                            StaffState::SignedIn { member, .. }
                                if !member.roles.contains(&StaffRole::Staff)
                                    && member.roles.contains(&StaffRole::Technician)
                        );
                        prop_assert!(technician);
                    }
                    StaffEffect::CheckKey { .. }
                    | StaffEffect::ListPayable
                    | StaffEffect::ListOrders
                    | StaffEffect::ListQueue
                    | StaffEffect::Wipe => {}
                }
            }
            if let StaffState::SignedIn { member, touched_at, task, .. } = &s.state {
                // Counter staff in staff mode, a technician on the
                // technician screen, never the other way round.
                let staff = member.roles.contains(&StaffRole::Staff);
                prop_assert_eq!(staff, !matches!(task, StaffTask::Technician(_)));
                prop_assert!(staff || member.roles.contains(&StaffRole::Technician));
                if !staff {
                    prop_assert!(!wants_pin(&s.state));
                }
                if matches!(input, Input::Tick) && !super::working(task) {
                    prop_assert!(now - *touched_at < DEFAULT_IDLE_LOCK);
                }
            }
            prop_assert_eq!(signed_in, matches!(s.state, StaffState::SignedIn { .. }));
            // The camera runs only on a technician's 摄像头预览.
            if technician::viewfinder(&s.state).is_some() {
                let on_page = matches!(
                    &s.state,
                    StaffState::SignedIn { task: StaffTask::Technician(TechTask::Camera), member, .. }
                        if !member.roles.contains(&StaffRole::Staff)
                );
                prop_assert!(on_page);
            }
            state = s.state;
        }
    }
}
