//! The kiosk's production runtime without its screen (the same wiring,
//! slots and executors as the kiosk), on a SoftHSM2 token and the reference
//! CA over HTTP, driven by a scripted customer:
//!
//! - on a manual clock, the idle warning comes exactly when it should and
//!   the session is wiped (journal included), in milliseconds;
//! - a CA that answers a certificate request only after 40 seconds blocks
//!   nothing: the idle warning comes on time, the screen answers at once, a
//!   pulled key is noticed, and once it is back the install goes on and
//!   finishes with one certificate issued;
//! - a renewal prepared while the CA cannot be reached: the details typed
//!   in (nothing could be fetched), the order kept and receipted for the
//!   counter, and delivered to the CA once it is back;
//! - a whole application (数字证书及电子印章申请), documents and face from
//!   the camera's image files, goes from 申请证书及印章 to a stored, queued,
//!   receipted order that reaches the CA once;
//! - 呼叫工作人员: "told" only once the CA has the call, "someone is coming"
//!   once staff acknowledged it, withdrawn when the customer leaves; a hung
//!   CA is "not delivered" within the call's deadline, and the call gets
//!   through once the CA is back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

use kiosk::clock::{Clock, ManualClock};
use kiosk::wiring::{Ports, ports};
use kiosk_config::Config;
use kiosk_domain::fixtures;
use kiosk_domain::flow::application::{ApplicationEvent, ApplicationState, Page};
use kiosk_domain::flow::driver::{Flow, Saved};
use kiosk_domain::flow::lookup::{Found, LookupState, Pay};
use kiosk_domain::flow::renewal::{InstallFailure, Renewal, RenewalEffect, RenewalState};
use kiosk_domain::order::OrderDetails;
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::order::identity::IdentityOutcome;
use kiosk_domain::order::status::OrderStatus;
use kiosk_domain::ports::printer::PrintOutcome;
use kiosk_domain::ports::store::{FlowRecord, OrderStore};
use kiosk_tests::camera::{face, show_camera};
use kiosk_tests::faults::{FaultyCa, FaultyWriter};
use kiosk_tests::opencryptoki::{CustomerKey, Implementation};
use kiosk_tests::script::{
    Headless, Outcome, RenewalCustomer, Shown, apply_step, apply_up_to_face_consent, on_page,
    pay_at_counter,
};
use kiosk_tests::softhsm::MODULE;
use kiosk_tests::world::{ReferenceCa, kiosk_config_for, with_token_in_child};
use kiosk_ui::{LookupInput, UiEvent};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const TOKEN: Implementation = Implementation::SoftHsm2(CustomerKey::EcP256);

/// The CA (issuing from the token's CA) and the kiosk's configuration.
fn world(dir: &Path, token_dir: &Path, extra: &str) -> (ReferenceCa, Config) {
    let ca = ReferenceCa::start(&dir.join("ca"), Some(token_dir)).unwrap();
    let path = kiosk_config_for(dir, token_dir, MODULE, &ca.url, extra).unwrap();
    (ca, Config::load(Some(&path)).unwrap())
}

fn customer() -> RenewalCustomer {
    let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
        unreachable!()
    };
    RenewalCustomer::new(kiosk_tests::softhsm::PIN, (d.contact, d.invoice))
}

/// A loopback address where nothing listens (yet).
fn unused_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The kiosk's production runtime on the system clock, configured for the
/// CA at `url`.
fn kiosk_for(dir: &Path, token_dir: &Path, url: &str) -> (Config, Headless) {
    let path = kiosk_config_for(dir, token_dir, MODULE, url, "").unwrap();
    let config = Config::load(Some(&path)).unwrap();
    let kiosk = Headless::start(
        &config,
        ports(&config).unwrap(),
        Arc::new(kiosk::clock::SystemClock),
    )
    .unwrap();
    (config, kiosk)
}

/// Moves the manual clock in `step`s (the runtime answering in between)
/// until `done` holds for what is shown, for at most `fake` of clock time.
fn advance_until(
    kiosk: &mut Headless,
    clock: &ManualClock,
    step: Duration,
    fake: Duration,
    done: impl Fn(&Shown) -> bool,
) -> Duration {
    let start = clock.now();
    while !done(&kiosk.shown) {
        let passed = clock.now() - start;
        assert!(
            passed <= fake,
            "not within {fake:?} of clock time; last screens: {:?}",
            kiosk.shown.log.iter().rev().take(6).collect::<Vec<_>>()
        );
        clock.advance(step);
        // Let the runtime see the new time and answer: a loaded machine
        // (CI on two cores) may take a while to wake it, and an answer
        // seen a step late would be measured a step late.
        let mut wait = Duration::from_millis(50);
        while kiosk.next(wait).is_some() {
            wait = Duration::from_millis(5);
        }
    }
    clock.now() - start
}

/// Waits (`between` each look) until the CA holds `order`, submitted, for at most
/// `limit`.
fn reaches_ca(
    ca: &ReferenceCa,
    order: &kiosk_domain::order_number::OrderNumber,
    limit: Duration,
    mut between: impl FnMut(),
) {
    let start = Instant::now();
    // Created is not enough: its attachments follow, then the submit; a
    // reviewer can act only on a submitted order.
    while !ca
        .service
        .storage()
        .order(order.as_str())
        .unwrap()
        .is_some_and(|record| record.submitted)
    {
        assert!(
            start.elapsed() < limit,
            "the order never reached the CA whole"
        );
        between();
    }
}

/// Lets the runtime answer whatever it has for a moment of real time
/// (the clock does not move).
fn settle(kiosk: &mut Headless) {
    let until = Instant::now() + Duration::from_millis(150);
    while Instant::now() < until {
        kiosk.next(Duration::from_millis(10));
    }
}

#[test]
fn the_whole_runtime_runs_on_a_manual_clock_idle_wipe_included() {
    with_token_in_child(
        "the_whole_runtime_runs_on_a_manual_clock_idle_wipe_included",
        TOKEN,
        |token_dir| {
            let started = Instant::now();
            let tmp = tempfile::tempdir().unwrap();
            let (_ca, config) = world(
                tmp.path(),
                token_dir,
                "[ui]\nidle_seconds = 90\nlarge_mode_idle_seconds = 180\nidle_warning_seconds = 20\n",
            );
            let clock = ManualClock::new(time::OffsetDateTime::now_utc());
            let mut kiosk =
                Headless::start(&config, ports(&config).unwrap(), Arc::new(clock.clone())).unwrap();
            kiosk.send(UiEvent::Renewal(kiosk_ui::RenewalInput::Start));
            kiosk
                .wait(Duration::from_secs(20), |s| {
                    matches!(s.renewal, Some(RenewalState::ChoosingCertificate { .. }))
                })
                .unwrap();
            // The customer stops touching the screen.
            let quiet = advance_until(
                &mut kiosk,
                &clock,
                Duration::from_millis(500),
                Duration::from_secs(100),
                |s| s.idle_warning.is_some(),
            );
            assert!(
                (Duration::from_secs(90)..=Duration::from_millis(90_500)).contains(&quiet),
                "warned after {quiet:?}"
            );
            assert_eq!(kiosk.shown.idle_warning, Some(20));
            // The countdown, then the wipe: home, journal included.
            let left = advance_until(
                &mut kiosk,
                &clock,
                Duration::from_millis(500),
                Duration::from_secs(30),
                |s| matches!(s.renewal, Some(RenewalState::Home)),
            );
            assert!(
                (Duration::from_secs(20)..=Duration::from_millis(20_500)).contains(&left),
                "wiped {left:?} after the warning"
            );
            assert!(kiosk.shown.wipes >= 1);
            assert_eq!(kiosk.shown.idle_warning, None);
            kiosk.stop();
            let store = kiosk::wiring::open_store(&config).unwrap();
            let journal: FlowRecord<Saved<RenewalState, RenewalEffect>> =
                OrderStore::load_flow_state(&store, Renewal::NAME, Renewal::FORMAT).unwrap();
            let FlowRecord::Saved(saved) = journal else {
                panic!("no journal")
            };
            assert_eq!(saved.state, RenewalState::Home);
            // Nearly two minutes of the customer's time, in a few seconds.
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{:?}",
                started.elapsed()
            );
        },
    );
}

#[test]
fn a_ca_answering_after_40_seconds_blocks_nothing() {
    with_token_in_child(
        "a_ca_answering_after_40_seconds_blocks_nothing",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let (ca, config) = world(
                tmp.path(),
                token_dir,
                "[ui]\nidle_seconds = 20\nlarge_mode_idle_seconds = 40\nidle_warning_seconds = 10\n",
            );
            let clock = ManualClock::new(time::OffsetDateTime::now_utc());
            let shared: Arc<dyn Clock> = Arc::new(clock.clone());
            let real = ports(&config).unwrap();
            let writer = FaultyWriter::new(real.writer, None);
            let key = writer.key();
            let slow = Ports {
                store: real.store,
                writer,
                ca: real.ca.map(|c| {
                    FaultyCa::new(c)
                        .answering_renewals_after(Arc::clone(&shared), Duration::from_secs(40))
                }),
                printer: real.printer,
            };
            let mut kiosk = Headless::start(&config, slow, Arc::clone(&shared)).unwrap();
            let mut customer = customer();

            // The customer goes as far as the install (the clock moving in
            // small steps for the payment polls).
            let mut waited = Duration::ZERO;
            loop {
                let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
                if matches!(&state, RenewalState::Installing { order, .. }
                    if matches!(&order.details, OrderDetails::Renewal(d)
                        if d.install.step == kiosk_domain::order::renewal::InstallStep::KeyPairGenerated))
                {
                    break;
                }
                let (event, _) = customer.act(&state).unwrap();
                if let Some(event) = event {
                    kiosk.send(event);
                }
                clock.advance(Duration::from_millis(100));
                waited += Duration::from_millis(100);
                assert!(waited < Duration::from_secs(15), "{:?}", kiosk.shown.log);
                kiosk.next(Duration::from_millis(20));
            }
            // The request is out; the CA takes 40 s. The last touch was the
            // payment (on the phone) or earlier: the idle warning comes
            // 20 s after the last touch, not after the CA's answer.
            kiosk.send(UiEvent::StillHere);
            settle(&mut kiosk);
            let warned = advance_until(
                &mut kiosk,
                &clock,
                Duration::from_millis(250),
                Duration::from_secs(25),
                |s| s.idle_warning.is_some(),
            );
            assert!(
                (Duration::from_secs(20)..=Duration::from_millis(20_250)).contains(&warned),
                "warned after {warned:?}"
            );
            // The screen answers at once while the CA works.
            let asked = Instant::now();
            kiosk.send(UiEvent::StillHere);
            kiosk
                .wait(Duration::from_secs(2), |s| s.idle_warning.is_none())
                .unwrap();
            assert!(
                asked.elapsed() < Duration::from_millis(500),
                "{:?}",
                asked.elapsed()
            );

            // The key is pulled: noticed within the key watch's second.
            key.store(true, Ordering::SeqCst);
            let noticed = advance_until(
                &mut kiosk,
                &clock,
                Duration::from_millis(100),
                Duration::from_secs(3),
                |s| {
                    matches!(
                        s.renewal,
                        Some(RenewalState::InstallPending {
                            failure: InstallFailure::KeyRemoved,
                            ..
                        })
                    )
                },
            );
            assert!(noticed <= Duration::from_millis(1_200), "{noticed:?}");
            // Back in: the PIN is checked at once (not after the CA's
            // answer), and the install finishes once the CA answers.
            key.store(false, Ordering::SeqCst);
            let mut done = None;
            let start = clock.now();
            while done.is_none() {
                let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
                let (event, outcome) = customer.act(&state).unwrap();
                if let Outcome::Done(order) = outcome {
                    done = Some(order);
                }
                if let Some(event) = event {
                    kiosk.send(event);
                }
                if matches!(state, RenewalState::Installing { .. })
                    && clock.now() - start < Duration::from_secs(2)
                {
                    // The resumed install got past the PIN without the CA.
                    assert!(kiosk.shown.log.iter().any(|l| l == "renewal VerifyingPin"));
                }
                clock.advance(Duration::from_millis(250));
                kiosk.send(UiEvent::StillHere);
                assert!(
                    clock.now() - start < Duration::from_secs(60),
                    "{:?}",
                    kiosk.shown.log
                );
                // Real time passes too: the outbox delivers the order to the
                // CA on its own (real) schedule.
                std::thread::sleep(Duration::from_millis(20));
                kiosk.drain();
            }
            assert_eq!(ca.service.issued_count(), 1, "issued once");
            kiosk.stop();
        },
    );
}

#[test]
fn a_renewal_prepared_offline_keeps_the_typed_details_and_reaches_the_ca_once_back() {
    with_token_in_child(
        "a_renewal_prepared_offline_keeps_the_typed_details_and_reaches_the_ca_once_back",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            // An address where nothing listens yet: the CA is down.
            let addr = unused_address();
            let url = format!("http://{addr}");
            let (config, mut kiosk) = kiosk_for(tmp.path(), token_dir, &url);
            let mut customer = customer();
            // Through the renewal as the script customer does it; nothing on
            // file could be fetched, so the details are the ones it types.
            // No QR code offline: the customer pays at the counter and
            // takes the receipt.
            let (order, _, printed) = pay_at_counter(
                &mut kiosk,
                &mut customer,
                Duration::from_secs(60),
                |state| {
                    if let RenewalState::ConfirmingInfo {
                        on_file, ca_online, ..
                    } = state
                    {
                        assert!(!ca_online, "the CA is down");
                        assert_eq!(
                            *on_file,
                            kiosk_domain::flow::renewal::HolderLookup::NotAsked
                        );
                    }
                    assert!(
                        !matches!(state, RenewalState::Paying { qr: Some(_), .. }),
                        "no QR code offline"
                    );
                },
            )
            .unwrap();
            assert_eq!(printed, PrintOutcome::Printed);
            let store = kiosk::wiring::open_store(&config).unwrap();
            let kept = OrderStore::load_order(&store, &order)
                .unwrap()
                .expect("kept on the kiosk");
            let OrderDetails::Renewal(details) = &kept.details else {
                panic!("a renewal")
            };
            let OrderDetails::Renewal(typed) = fixtures::renewal_order(1).details else {
                unreachable!()
            };
            assert_eq!(
                (&details.contact, &details.invoice),
                (&typed.contact, &typed.invoice),
                "the order holds what was typed"
            );
            // The CA comes up where the kiosk looks for it: the order
            // arrives, once.
            let ca =
                ReferenceCa::start_at(&tmp.path().join("ca"), Some(token_dir), &addr.to_string())
                    .unwrap();
            reaches_ca(&ca, &order, Duration::from_secs(60), || {
                kiosk.next(Duration::from_millis(200));
            });
            let record = ca.service.storage().order(order.as_str()).unwrap().unwrap();
            assert!(record.submitted, "submitted, not only created");
            kiosk.stop();
        },
    );
}

#[test]
fn a_certificate_the_ca_will_not_renew_is_said_before_any_order_or_payment() {
    with_token_in_child(
        "a_certificate_the_ca_will_not_renew_is_said_before_any_order_or_payment",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            // A CA of its own, not the one that issued the key's
            // certificate: the kiosk's window says "renewable", the CA
            // does not renew it.
            let ca = ReferenceCa::start(&tmp.path().join("ca"), None).unwrap();
            let (config, mut kiosk) = kiosk_for(tmp.path(), token_dir, &ca.url);
            // The customer starts once the kiosk knows the CA answers (a
            // kiosk that believes itself offline asks nothing at 确认信息
            // and leaves the check to before the payment).
            let limit = Instant::now() + Duration::from_secs(60);
            while !kiosk.shown.status.as_ref().is_some_and(|st| st.online) {
                assert!(Instant::now() < limit, "the kiosk never saw the CA");
                kiosk.next(Duration::from_millis(50));
            }
            let mut customer = customer();
            loop {
                let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
                if let RenewalState::Blocked { problem, .. } = &state {
                    assert_eq!(
                        *problem,
                        kiosk_domain::flow::renewal::EnvironmentProblem::RefusedByCa
                    );
                    break;
                }
                assert!(
                    !matches!(
                        state,
                        RenewalState::CreatingOrder { .. } | RenewalState::Paying { .. }
                    ),
                    "ordered a renewal the CA refuses: {:?}",
                    kiosk.shown.log
                );
                let (event, _) = customer.act(&state).unwrap();
                if let Some(event) = event {
                    kiosk.send(event);
                }
                assert!(Instant::now() < limit, "{:?}", kiosk.shown.log);
                kiosk.next(Duration::from_millis(100));
            }
            // 确认并提交 pressed anyway (a tap on its way) orders nothing.
            let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
                unreachable!()
            };
            kiosk.send(UiEvent::Renewal(kiosk_ui::RenewalInput::ConfirmInfo(
                Box::new((d.contact, d.invoice)),
            )));
            settle(&mut kiosk);
            kiosk.stop();
            let store = kiosk::wiring::open_store(&config).unwrap();
            assert!(OrderStore::recent_orders(&store, 10).unwrap().is_empty());
            // The CA was asked, and nothing was ordered or paid there.
            let asked: Vec<String> = ca.service.requests().into_iter().map(|(_, r)| r).collect();
            assert!(
                asked.iter().any(|r| r.contains("/v1/renewals/check")),
                "{asked:?}"
            );
            assert!(
                !asked
                    .iter()
                    .any(|r| r.contains("/v1/payments") || r.contains("/v1/orders/")),
                "{asked:?}"
            );
        },
    );
}

#[test]
fn an_order_prepared_offline_is_not_paid_when_the_ca_refuses_it_once_back() {
    with_token_in_child(
        "an_order_prepared_offline_is_not_paid_when_the_ca_refuses_it_once_back",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            // Nothing listens yet where the kiosk looks for the CA.
            let addr = unused_address();
            let (_config, mut kiosk) = kiosk_for(tmp.path(), token_dir, &format!("http://{addr}"));
            let mut customer = customer();
            let limit = Instant::now() + Duration::from_secs(60);
            // Offline: the details are typed and the order waits for a QR.
            loop {
                let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
                if matches!(state, RenewalState::Paying { qr: None, .. }) {
                    break;
                }
                let (event, _) = customer.act(&state).unwrap();
                if let Some(event) = event {
                    kiosk.send(event);
                }
                assert!(Instant::now() < limit, "{:?}", kiosk.shown.log);
                kiosk.next(Duration::from_millis(100));
            }
            // The CA comes up: one that did not issue the key's
            // certificate. Asked again before it opens the payment, it
            // refuses, and no payment is opened.
            let ca =
                ReferenceCa::start_at(&tmp.path().join("ca"), None, &addr.to_string()).unwrap();
            kiosk
                .wait(Duration::from_secs(60), |s| {
                    matches!(
                        s.renewal,
                        Some(RenewalState::Blocked {
                            problem: kiosk_domain::flow::renewal::EnvironmentProblem::RefusedByCa,
                            ..
                        })
                    )
                })
                .unwrap();
            settle(&mut kiosk);
            kiosk.stop();
            let asked: Vec<String> = ca.service.requests().into_iter().map(|(_, r)| r).collect();
            assert!(
                asked.iter().any(|r| r.contains("/v1/renewals/check")),
                "{asked:?}"
            );
            assert!(
                !asked.iter().any(|r| r.contains("/v1/payments")),
                "{asked:?}"
            );
        },
    );
}

/// The reference CA, and a kiosk (its configuration, headless, on the
/// system clock) whose camera plays the image files in the returned
/// directory.
fn with_file_camera(
    dir: &Path,
    token_dir: &Path,
) -> (ReferenceCa, Config, Headless, std::path::PathBuf) {
    let camera = dir.join("camera");
    let (ca, config) = world(
        dir,
        token_dir,
        &format!("[camera]\nsource = \"files:{}\"\n", camera.display()),
    );
    let kiosk = Headless::start(
        &config,
        ports(&config).unwrap(),
        Arc::new(kiosk::clock::SystemClock),
    )
    .unwrap();
    (ca, config, kiosk, camera)
}

fn application(shown: &Shown) -> Option<&ApplicationState> {
    shown.application.as_ref()
}

#[test]
fn a_whole_application_goes_through_the_runtime_to_a_receipted_order() {
    with_token_in_child(
        "a_whole_application_goes_through_the_runtime_to_a_receipted_order",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let (ca, config, mut kiosk, camera) = with_file_camera(tmp.path(), token_dir);
            let limit = Duration::from_secs(60);
            let step = apply_step;
            apply_up_to_face_consent(&mut kiosk, &camera, limit).unwrap();
            let d = fixtures::application_details();
            // What only devices, the CA or a staff key may say never comes
            // from a screen.
            step(
                &kiosk,
                ApplicationEvent::StaffChecked(Ok(kiosk_domain::ports::staff::StaffMember {
                    certificate_serial: "5A01".to_owned(),
                    name: "柜员-01".to_owned(),
                    roles: vec![kiosk_domain::ports::staff::StaffRole::Staff],
                })),
            );
            step(&kiosk, ApplicationEvent::FaceCaptureConsent(true));
            kiosk
                .wait(limit, |s| on_page(s, Page::IdentityCheck))
                .unwrap();
            // The CA's identity simulator holds the handler's photo.
            let reference = kiosk_camera::document::encode_jpeg(&face(), 80).unwrap();
            ca.service
                .storage()
                .put_identity_reference(
                    d.handler.resident_id.as_str(),
                    &reference,
                    time::OffsetDateTime::now_utc(),
                )
                .unwrap();
            show_camera(&camera, &face());
            step(
                &kiosk,
                ApplicationEvent::CaptureRequested(AttachmentKind::Face),
            );
            kiosk
                .wait(limit, |s| {
                    matches!(application(s), Some(ApplicationState::Filling { draft, .. })
                        if draft.captures.iter().any(|c| c.kind == AttachmentKind::Face))
                })
                .unwrap();
            step(&kiosk, ApplicationEvent::FaceUploadConsent(true));
            // 检验 with the CA: 一致.
            kiosk
                .wait(limit, |s| {
                    matches!(application(s), Some(ApplicationState::Filling { draft, .. })
                        if matches!(draft.identity.outcome, IdentityOutcome::FaceVerified { .. }))
                })
                .unwrap();
            step(&kiosk, ApplicationEvent::IdentityDone);
            kiosk.wait(limit, |s| on_page(s, Page::Review)).unwrap();
            step(&kiosk, ApplicationEvent::Submit);
            kiosk
                .wait(limit, |s| {
                    matches!(
                        application(s),
                        Some(ApplicationState::Submitted {
                            receipt: Some(PrintOutcome::Printed),
                            ..
                        })
                    )
                })
                .unwrap();
            let Some(ApplicationState::Submitted { order, .. }) =
                application(&kiosk.shown).cloned()
            else {
                unreachable!()
            };
            // Stored with its five attachments, queued, and the receipt
            // kept as a preview; then delivered to the CA, once.
            let store = kiosk::wiring::open_store(&config).unwrap();
            assert_eq!(store.attachments(&order).unwrap().len(), 5);
            assert!(
                tmp.path()
                    .join(format!("kiosk/receipts/{order}.png"))
                    .exists()
            );
            reaches_ca(&ca, &order, limit, || {
                std::thread::sleep(Duration::from_millis(50));
            });
            // Home ends the session.
            kiosk.send(UiEvent::GoHome);
            kiosk
                .wait(limit, |s| {
                    matches!(application(s), Some(ApplicationState::Home))
                })
                .unwrap();
            // 查询订单 finds it at the CA by number and the handler's mobile,
            // with the status the CA gives it now.
            let status_at_ca = |kiosk: &mut Headless, status: OrderStatus| {
                kiosk.send(UiEvent::Lookup(LookupInput::Find {
                    number: order,
                    mobile: d.handler.mobile.clone(),
                }));
                kiosk
                    .wait(limit, |s| {
                        matches!(
                            &s.lookup,
                            Some(LookupState::Open {
                                found: Found::AtCa { order: o, .. },
                                ..
                            }) if o.number == order && o.status == status
                        )
                    })
                    .unwrap();
            };
            kiosk.send(UiEvent::Lookup(LookupInput::Open));
            status_at_ca(&mut kiosk, OrderStatus::PendingReview);

            // Approved, then paid by bank transfer: the kiosk notes the
            // transfer at the CA; finance matches it, and the CA takes the
            // order in hand.
            let storage = ca.service.storage();
            let now = time::OffsetDateTime::now_utc();
            let approved = storage
                .transition(
                    order.as_str(),
                    OrderStatus::AwaitingPayment.into(),
                    None,
                    now,
                )
                .unwrap();
            assert!(
                matches!(
                    approved,
                    Some(ca_service::storage::TransitionOutcome::Done(_))
                ),
                "approved: {approved:?}"
            );
            status_at_ca(&mut kiosk, OrderStatus::AwaitingPayment);
            kiosk.send(UiEvent::Lookup(LookupInput::ChooseTransfer));
            kiosk.send(UiEvent::Lookup(LookupInput::Remit {
                payer: "李四".parse().unwrap(),
                reference: "BANK-20261205-0042".parse().unwrap(),
            }));
            kiosk
                .wait(limit, |s| {
                    matches!(
                        &s.lookup,
                        Some(LookupState::Open {
                            pay: Pay::RemittanceNoted,
                            ..
                        })
                    )
                })
                .unwrap();
            let notes = storage.remittances(10).unwrap();
            assert_eq!(notes.len(), 1, "noted once");
            let note = &notes[0];
            assert_eq!(
                (note.number.as_str(), note.bank_reference.as_str()),
                (order.as_str(), "BANK-20261205-0042")
            );
            storage
                .confirm_remittance(&note.id, "pay_00000000000000000000000000000001", now)
                .unwrap()
                .unwrap();
            status_at_ca(&mut kiosk, OrderStatus::InProgress);
            kiosk.stop();
        },
    );
}

#[test]
fn the_camera_runs_only_while_a_live_view_is_open() {
    with_token_in_child(
        "the_camera_runs_only_while_a_live_view_is_open",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let (_ca, _config, mut kiosk, camera) = with_file_camera(tmp.path(), token_dir);
            let limit = Duration::from_secs(60);
            // The documents asked for straight away: taken, but no live
            // view ran.
            apply_up_to_face_consent(&mut kiosk, &camera, limit).unwrap();
            assert_eq!(kiosk.shown.live_frames, 0);
            // Before the face consent, 开始拍摄 opens nothing.
            apply_step(&kiosk, ApplicationEvent::AimRequested(AttachmentKind::Face));
            apply_step(&kiosk, ApplicationEvent::FaceCaptureConsent(true));
            kiosk
                .wait(limit, |s| on_page(s, Page::IdentityCheck))
                .unwrap();
            settle(&mut kiosk);
            assert_eq!(kiosk.shown.live_frames, 0);
            // After it, the face is seen live and judged.
            show_camera(&camera, &face());
            apply_step(&kiosk, ApplicationEvent::AimRequested(AttachmentKind::Face));
            kiosk
                .wait(limit, |s| {
                    s.live_frames >= 3
                        && s.last_live
                            == Some((
                                AttachmentKind::Face,
                                Some(kiosk_domain::ports::camera::FaceGuidance::Good),
                            ))
                })
                .unwrap();
            // 取消: the frames stop (one may have been on its way).
            apply_step(&kiosk, ApplicationEvent::AimCancelled);
            let stopped = |kiosk: &mut Headless| {
                settle(kiosk);
                let before = kiosk.shown.live_frames;
                let until = Instant::now() + Duration::from_millis(800);
                while Instant::now() < until {
                    kiosk.next(Duration::from_millis(50));
                }
                assert!(
                    kiosk.shown.live_frames <= before + 1,
                    "{} frames after the live view closed",
                    kiosk.shown.live_frames - before
                );
            };
            stopped(&mut kiosk);
            // Open again and 拍照: the live view lets go of the camera and
            // the capture takes it.
            let open_again = |kiosk: &mut Headless| {
                apply_step(kiosk, ApplicationEvent::AimRequested(AttachmentKind::Face));
                let open = kiosk.shown.live_frames;
                kiosk.wait(limit, |s| s.live_frames > open + 1).unwrap();
            };
            open_again(&mut kiosk);
            apply_step(
                &kiosk,
                ApplicationEvent::CaptureRequested(AttachmentKind::Face),
            );
            kiosk
                .wait(limit, |s| {
                    matches!(application(s), Some(ApplicationState::Filling { draft, .. })
                        if draft.captures.iter().any(|c| c.kind == AttachmentKind::Face))
                })
                .unwrap();
            stopped(&mut kiosk);
            // A retake's live view, then the customer leaves: the camera
            // stops with the session.
            open_again(&mut kiosk);
            kiosk.send(UiEvent::GoHome);
            kiosk
                .wait(limit, |s| {
                    matches!(application(s), Some(ApplicationState::Home))
                })
                .unwrap();
            stopped(&mut kiosk);
            kiosk.stop();
        },
    );
}

/// 呼叫工作人员 through the production runtime and the reference CA: the
/// screen says "told" only once the CA has the call; staff see it in the
/// back office's API and acknowledge it, and the kiosk shows that; the
/// customer leaves and the call is withdrawn. With the CA down the screen
/// says the call did not get through, and it does once the CA is back.
#[test]
fn a_call_for_staff_reaches_the_ca_and_says_only_what_the_ca_answered() {
    use kiosk_domain::flow::staff_call::{CallFailure, CallScreen, CallView};
    use kiosk_sync_client::CaClient;
    with_token_in_child(
        "a_call_for_staff_reaches_the_ca_and_says_only_what_the_ca_answered",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let (ca, config) = world(tmp.path(), token_dir, "");
            let clock = ManualClock::new(time::OffsetDateTime::now_utc());
            let mut kiosk =
                Headless::start(&config, ports(&config).unwrap(), Arc::new(clock.clone())).unwrap();
            let staff = CaClient::new(&ca.staff_url, Duration::from_secs(5)).unwrap();
            let open_calls = || ca.block_on(staff.staff_calls()).unwrap();

            // 帮助中心 → 呼叫工作人员.
            kiosk.send(UiEvent::AwayFromHome);
            kiosk.send(UiEvent::CallStaff(CallScreen::Help));
            kiosk
                .wait(Duration::from_secs(10), |s| {
                    s.staff_call == Some(CallView::Delivered)
                })
                .unwrap();
            let calls = open_calls();
            assert_eq!(calls.len(), 1, "{calls:?}");
            let call = &calls[0];
            assert_eq!(
                (
                    call.kiosk.as_str(),
                    call.screen.as_str(),
                    call.state.as_str()
                ),
                (config.kiosk_code.as_str(), "help", "open")
            );
            // Pressed again: still one call.
            kiosk.send(UiEvent::CallStaff(CallScreen::Help));
            settle(&mut kiosk);
            assert_eq!(open_calls().len(), 1);

            // A member of staff takes it: the kiosk shows it within a look.
            ca.block_on(staff.acknowledge_staff_call(&call.kiosk, &call.call))
                .unwrap();
            assert_eq!(kiosk.shown.staff_call, Some(CallView::Delivered));
            advance_until(
                &mut kiosk,
                &clock,
                Duration::from_secs(1),
                Duration::from_secs(15),
                |s| s.staff_call == Some(CallView::Acknowledged),
            );

            // The customer waits as told, without touching the screen, for
            // longer than the usual idle time: the session (and the call)
            // stays.
            let wipes = kiosk.shown.wipes;
            for _ in 0..15 {
                clock.advance(Duration::from_secs(10));
                for _ in 0..5 {
                    if kiosk.next(Duration::from_millis(5)).is_none() {
                        break;
                    }
                }
            }
            assert_eq!(
                kiosk.shown.wipes, wipes,
                "sent home while waiting for staff"
            );
            assert_eq!(kiosk.shown.idle_warning, None);
            assert_eq!(kiosk.shown.staff_call, Some(CallView::Acknowledged));

            // The customer leaves: the notice goes, the call is withdrawn.
            kiosk.send(UiEvent::GoHome);
            kiosk
                .wait(Duration::from_secs(5), |s| {
                    s.staff_call == Some(CallView::None)
                })
                .unwrap();
            let start = Instant::now();
            while !open_calls().is_empty() {
                assert!(start.elapsed() < Duration::from_secs(10), "never withdrawn");
                kiosk.next(Duration::from_millis(50));
            }

            // The CA hangs (its address takes connections and never
            // answers): the next customer's call does not get through, and
            // the screen says so within the call's own deadline, not the
            // minute an upload may wait.
            let addr = ca.url.trim_start_matches("http://").to_owned();
            let data = tmp.path().join("ca");
            drop(ca);
            let hung = Hung::at(&addr);
            let down = kiosk.shown.log.len();
            kiosk.send(UiEvent::AwayFromHome);
            let called = Instant::now();
            kiosk.send(UiEvent::CallStaff(CallScreen::Help));
            kiosk
                .wait(Duration::from_secs(20), |s| {
                    s.staff_call == Some(CallView::NotDelivered(CallFailure::Offline))
                })
                .unwrap();
            assert!(
                called.elapsed() >= kiosk::staff_call::CALL_TIMEOUT,
                "the hung CA was not asked"
            );
            assert!(hung.accepted() >= 1, "the call never reached the address");
            // The strip agrees within the link's next look.
            advance_until(
                &mut kiosk,
                &clock,
                Duration::from_millis(500),
                Duration::from_secs(3),
                |s| s.status.as_ref().is_some_and(|st| !st.online),
            );
            drop(hung);
            let said: Vec<_> = kiosk.shown.log[down..]
                .iter()
                .filter(|l| l.starts_with("staff-call") && *l != "staff-call None")
                .collect();
            assert_eq!(
                said,
                ["staff-call Calling", "staff-call NotDelivered(Offline)"],
                "calling, then not delivered: never told"
            );
            // Back: the call is tried again and gets through.
            let ca = ReferenceCa::start_at(&data, Some(token_dir), &addr).unwrap();
            let staff = CaClient::new(&ca.staff_url, Duration::from_secs(5)).unwrap();
            advance_until(
                &mut kiosk,
                &clock,
                Duration::from_secs(1),
                Duration::from_secs(40),
                |s| s.staff_call == Some(CallView::Delivered),
            );
            let calls = ca.block_on(staff.staff_calls()).unwrap();
            assert_eq!(calls.len(), 1, "{calls:?}");
            assert_eq!(calls[0].state, "open");
            kiosk.stop();
        },
    );
}

/// An address that takes connections and never answers (a hung CA, or a
/// proxy in front of a dead one), until dropped.
struct Hung {
    stop: Arc<std::sync::atomic::AtomicBool>,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hung {
    fn at(addr: &str) -> Self {
        let listener = std::net::TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, a) = (Arc::clone(&stop), Arc::clone(&accepted));
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !s.load(Ordering::SeqCst) {
                if let Ok((socket, _)) = listener.accept() {
                    held.push(socket);
                    a.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self {
            stop,
            accepted,
            thread: Some(thread),
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
