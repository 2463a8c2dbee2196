//! Staff mode through the kiosk's production runtime (its wiring, slots
//! and executors), on SoftHSM2 tokens: the customer's key and a member of
//! staff's own key with a certificate from the staff CA configured on the
//! kiosk.
//!
//! - a wrong PIN is refused with the tries left, the right one signs in
//!   (the key's signature over a fresh challenge verified with the staff
//!   certificate); staff set a new user PIN on the customer's key with its
//!   SO PIN, OpenSC's `pkcs11-tool` logs in with it and not with the old
//!   one, and the customer then renews with it to 完成更新; every sign-in,
//!   sign-out and unblock is in the audit log, whose chain verifies;
//! - on a manual clock: staff mode locks after its idle time (and the
//!   customers' shorter idle time does not lock it first), and at once when
//!   the staff key is taken out; with no key in, or once the staff
//!   certificate has expired, it does not open;
//! - a staff certificate revoked at the staff CA, its list published by the
//!   CA, is refused (and still is after a restart, offline);
//! - offline, staff sign in, see an order waiting in the upload queue and
//!   send it again, the retry in the audit log first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

use kiosk::clock::ManualClock;
use kiosk::wiring::{Ports, ports};
use kiosk_config::Config;
use kiosk_domain::audit::AuditAction;
use kiosk_domain::fixtures;
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::flow::staff::{LockReason, StaffState, StaffTask, Unblock};
use kiosk_domain::order::OrderDetails;
use kiosk_domain::ports::key_writer::{Pin, UnblockOutcome};
use kiosk_domain::ports::printer::PrintOutcome;
use kiosk_domain::ports::staff::{CredentialRefusal, SignInRefusal};
use kiosk_tests::faults::FaultyWriter;
use kiosk_tests::opencryptoki::{CustomerKey, Implementation};
use kiosk_tests::script::{Headless, RenewalCustomer, Shown, pay_at_counter, renew};
use kiosk_tests::softhsm::{self, MODULE, put_staff_key};
use kiosk_tests::world::{RENEWAL_LIMIT, ReferenceCa, kiosk_config_for, with_token_in_child};
use kiosk_ui::{StaffInput, UiEvent};
use kiosk_x509::StaffRole;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use time::OffsetDateTime;

const TOKEN: Implementation = Implementation::SoftHsm2(CustomerKey::EcP256);
const NEW_PIN: &str = "802461";

/// The CA, and the kiosk's configuration trusting `staff_ca` for staff.
fn world(dir: &Path, token_dir: &Path, staff_ca: &[u8], extra: &str) -> (ReferenceCa, Config) {
    let ca = ReferenceCa::start(&dir.join("ca"), Some(token_dir)).unwrap();
    let config = config(dir, token_dir, staff_ca, extra, &ca.url);
    (ca, config)
}

/// The kiosk's configuration for the CA at `url`, trusting `staff_ca`.
fn config(dir: &Path, token_dir: &Path, staff_ca: &[u8], extra: &str, url: &str) -> Config {
    let extra = format!(
        "[staff]\nca_certificates = [\"staff-ca.der\"]\nunblock_pin = true\nidle_lock_seconds = 120\n{extra}"
    );
    let path = kiosk_config_for(dir, token_dir, MODULE, url, &extra).unwrap();
    std::fs::write(dir.join("kiosk/staff-ca.der"), staff_ca).unwrap();
    Config::load(Some(&path)).unwrap()
}

fn staff(shown: &Shown) -> StaffState {
    shown.staff.clone().unwrap_or(StaffState::Locked)
}

fn pin(digits: &str) -> UiEvent {
    UiEvent::Pin(Pin::new(digits).unwrap())
}

fn audited(config: &Config) -> Vec<AuditAction> {
    let store = kiosk::wiring::open_store(config).unwrap();
    assert!(
        matches!(
            store.verify_audit().unwrap(),
            kiosk_store::AuditCheck::Intact { .. }
        ),
        "the audit chain holds"
    );
    store
        .audit_log()
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect()
}

/// A member of staff's key, its certificate valid from yesterday for a year.
fn staff_key(token_dir: &Path, name: &str) -> kiosk_tests::softhsm::StaffKey {
    let now = OffsetDateTime::now_utc();
    put_staff_key(
        token_dir,
        name,
        &[StaffRole::Staff],
        now - time::Duration::days(1),
        now + time::Duration::days(365),
    )
}

/// The reference CA (with demo issuance) trusting `member`'s staff CA,
/// publishing the staff revocation lists `crls`.
fn ca_trusting(
    dir: &Path,
    token_dir: &Path,
    member: &kiosk_tests::softhsm::StaffKey,
    crls: Vec<std::path::PathBuf>,
) -> ReferenceCa {
    ReferenceCa::start_with(
        &dir.join("ca"),
        Some(token_dir),
        "127.0.0.1:0",
        ca_service::Options {
            demo: true,
            staff_crls: crls,
            staff_ca_der: vec![member.ca.root_der()],
            ..ca_service::Options::default()
        },
    )
    .unwrap()
}

/// A kiosk trusting a member of staff called `name`, and the CA trusting
/// their staff CA too (for what they sign at the kiosk).
fn counter_world(dir: &Path, token_dir: &Path, name: &str) -> (ReferenceCa, Config, Headless) {
    let member = staff_key(token_dir, name);
    let ca = ca_trusting(dir, token_dir, &member, Vec::new());
    let config = config(dir, token_dir, &member.ca.root_der(), "", &ca.url);
    let kiosk = Headless::start(
        &config,
        ports(&config).unwrap(),
        Arc::new(kiosk::clock::SystemClock),
    )
    .unwrap();
    (ca, config, kiosk)
}

/// The renewal customer's contact and invoice details.
fn renewal_details() -> (
    kiosk_domain::order::renewal::Contact,
    kiosk_domain::order::renewal::InvoiceInfo,
) {
    let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
        unreachable!()
    };
    (d.contact, d.invoice)
}

/// Waits until staff mode's state satisfies `done`.
fn wait_staff(kiosk: &mut Headless, done: impl Fn(&StaffState) -> bool) {
    kiosk
        .wait(Duration::from_secs(30), |s| done(&staff(s)))
        .unwrap_or_else(|e| panic!("{e}: staff mode at {:?}", staff(&kiosk.shown)));
}

#[test]
fn staff_sign_in_with_their_own_key_unblocks_a_customers_pin_and_the_customer_renews() {
    with_token_in_child(
        "staff_sign_in_with_their_own_key_unblocks_a_customers_pin_and_the_customer_renews",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let staff_ca = staff_key(token_dir, "柜员-01").ca.root_der();
            let (_ca, config) = world(tmp.path(), token_dir, &staff_ca, "");
            let mut kiosk = Headless::start(
                &config,
                ports(&config).unwrap(),
                Arc::new(kiosk::clock::SystemClock),
            )
            .unwrap();

            // 帮助中心 → 工作人员登录; a wrong PIN first.
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            wait_staff(&mut kiosk, |s| matches!(s, StaffState::SigningIn { .. }));
            kiosk.send(pin("111111"));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SigningIn {
                        last: Some(SignInRefusal::Pin(PinOutcome::Wrong { .. })),
                        checking: false,
                        ..
                    }
                )
            });
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
            let StaffState::SignedIn { member, .. } = staff(&kiosk.shown) else {
                unreachable!()
            };
            assert_eq!(member.name, "柜员-01");

            // The customer's PIN, set anew with the key's SO PIN.
            kiosk.send(UiEvent::Staff(StaffInput::StartUnblock));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SignedIn {
                        task: StaffTask::Unblock(Unblock::SoPin { .. }),
                        ..
                    }
                )
            });
            // Two new PINs that differ never reach the key.
            kiosk.send(pin(softhsm::SO_PIN));
            kiosk.send(pin(NEW_PIN));
            kiosk.send(pin("802462"));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SignedIn {
                        task: StaffTask::Unblock(Unblock::SoPin { last: Some(_) }),
                        ..
                    }
                )
            });
            kiosk.send(pin(softhsm::SO_PIN));
            kiosk.send(pin(NEW_PIN));
            kiosk.send(pin(NEW_PIN));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SignedIn {
                        task: StaffTask::Unblock(Unblock::Unblocked),
                        ..
                    }
                )
            });
            kiosk.send(UiEvent::Staff(StaffInput::SignOut));
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);

            // OpenSC agrees: the new PIN opens the customer's key, the old does not.
            let login = |digits: &str| {
                std::process::Command::new("pkcs11-tool")
                    .args([
                        "--module",
                        MODULE,
                        "--token-label",
                        softhsm::LABEL,
                        "--login",
                        "--pin",
                        digits,
                        "--list-objects",
                    ])
                    .output()
                    .unwrap()
                    .status
                    .success()
            };
            assert!(login(NEW_PIN), "the new PIN opens the key");
            assert!(!login(softhsm::PIN), "the old PIN no longer does");

            // The customer renews with the new PIN.
            let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
                unreachable!()
            };
            let mut customer = RenewalCustomer::new(NEW_PIN, (d.contact, d.invoice));
            let order = renew(&mut kiosk, &mut customer, RENEWAL_LIMIT).unwrap();
            kiosk.send(UiEvent::GoHome);

            // Staff print the customer's receipt again.
            let escpos = tmp.path().join("kiosk/receipts.escpos");
            let printed = |n: &str| {
                let bytes = std::fs::read(&escpos).unwrap_or_default();
                bytes
                    .windows(n.len())
                    .filter(|w| *w == n.as_bytes())
                    .count()
            };
            // The renewal's own receipt first (printed as 完成更新 shows).
            let start = std::time::Instant::now();
            while printed(order.as_str()) == 0 {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "the renewal printed its receipt"
                );
                kiosk.next(Duration::from_millis(100));
            }
            let before = printed(order.as_str());
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
            kiosk.send(UiEvent::Staff(StaffInput::StartReprint));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Reprint(r), .. }
                    if r.orders.as_ref().is_some_and(|rows| rows.iter().any(|row| row.number == order)))
            });
            kiosk.send(UiEvent::Staff(StaffInput::Reprint(order)));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Reprint(r), .. }
                    if r.last == Some((order, PrintOutcome::Printed)))
            });
            assert!(printed(order.as_str()) > before, "printed again");
            kiosk.send(UiEvent::Staff(StaffInput::SignOut));
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);
            kiosk.stop();

            assert_eq!(
                audited(&config),
                [
                    AuditAction::StaffSignedIn,
                    AuditAction::PinUnblock {
                        outcome: UnblockOutcome::Unblocked
                    },
                    AuditAction::StaffSignedOut {
                        why: LockReason::SignedOut
                    },
                    AuditAction::StaffSignedIn,
                    AuditAction::ReceiptReprinted {
                        outcome: PrintOutcome::Printed
                    },
                    AuditAction::StaffSignedOut {
                        why: LockReason::SignedOut
                    },
                ]
            );
        },
    );
}

#[test]
fn staff_mode_locks_itself_and_opens_only_for_a_valid_staff_key() {
    with_token_in_child(
        "staff_mode_locks_itself_and_opens_only_for_a_valid_staff_key",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let now = OffsetDateTime::now_utc();
            let staff_ca = staff_key(token_dir, "柜员-02").ca.root_der();
            // The customers' idle time is shorter than staff mode's.
            let (_ca, config) = world(
                tmp.path(),
                token_dir,
                &staff_ca,
                "[ui]\nidle_seconds = 30\nlarge_mode_idle_seconds = 60\nidle_warning_seconds = 10\n",
            );
            let clock = ManualClock::new(now);
            let real = ports(&config).unwrap();
            let writer = FaultyWriter::new(real.writer, None);
            let keys_out = writer.key();
            let ports = Ports {
                store: real.store,
                writer,
                ca: real.ca,
                printer: real.printer,
            };
            let mut kiosk = Headless::start(&config, ports, Arc::new(clock.clone())).unwrap();
            let sign_in = |kiosk: &mut Headless| {
                kiosk.send(UiEvent::Staff(StaffInput::Open));
                kiosk.send(pin(softhsm::STAFF_PIN));
                wait_staff(kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
            };
            let advance = |kiosk: &mut Headless, secs: u64| {
                for _ in 0..secs {
                    clock.advance(Duration::from_secs(1));
                    let mut wait = Duration::from_millis(30);
                    while kiosk.next(wait).is_some() {
                        wait = Duration::from_millis(5);
                    }
                }
            };

            // Untouched: still signed in after the customers' idle time
            // and its warning, locked once its own 2 minutes are up.
            sign_in(&mut kiosk);
            advance(&mut kiosk, 100);
            assert!(matches!(staff(&kiosk.shown), StaffState::SignedIn { .. }));
            assert_eq!(
                kiosk.shown.idle_warning, None,
                "no customer warning for staff"
            );
            advance(&mut kiosk, 25);
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);

            // The staff key taken out: locked within a look or two.
            sign_in(&mut kiosk);
            keys_out.store(true, Ordering::SeqCst);
            advance(&mut kiosk, 5);
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);
            keys_out.store(false, Ordering::SeqCst);

            // With the keys out, 工作人员登录 says there is no key.
            keys_out.store(true, Ordering::SeqCst);
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SigningIn {
                        last: Some(SignInRefusal::NoKey),
                        ..
                    }
                )
            });
            keys_out.store(false, Ordering::SeqCst);
            kiosk.send(UiEvent::GoHome);
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);

            // A year on, the staff certificate has expired.
            clock.advance(Duration::from_secs(400 * 24 * 3600));
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SigningIn {
                        last: Some(SignInRefusal::Credential(CredentialRefusal::OutOfDate)),
                        ..
                    }
                )
            });
            kiosk.stop();

            let log = audited(&config);
            assert_eq!(
                log,
                [
                    AuditAction::StaffSignedIn,
                    AuditAction::StaffSignedOut {
                        why: LockReason::Idle
                    },
                    AuditAction::StaffSignedIn,
                    AuditAction::StaffSignedOut {
                        why: LockReason::KeyPulled
                    },
                ]
            );
        },
    );
}

#[test]
fn a_staff_certificate_revoked_at_the_ca_no_longer_signs_in() {
    with_token_in_child(
        "a_staff_certificate_revoked_at_the_ca_no_longer_signs_in",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let now = OffsetDateTime::now_utc();
            let staff = staff_key(token_dir, "柜员-03");
            // The staff CA revokes the certificate; the CA publishes its list.
            let crl = tmp.path().join("staff.crl");
            let list = staff
                .ca
                .crl(&[(staff.certificate.clone(), now)], now, 1)
                .unwrap();
            std::fs::write(&crl, &list).unwrap();
            let ca = ca_trusting(tmp.path(), token_dir, &staff, vec![crl]);
            let config = config(tmp.path(), token_dir, &staff.ca.root_der(), "", &ca.url);
            let mut kiosk = Headless::start(
                &config,
                ports(&config).unwrap(),
                Arc::new(kiosk::clock::SystemClock),
            )
            .unwrap();
            // The kiosk fetches the list as it starts, and keeps it.
            let kept = kiosk::wiring::staff_lists_path(&config);
            let start = std::time::Instant::now();
            while kiosk::sync_task::load_staff_lists(&kept) != vec![list.clone()] {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "the list was not fetched"
                );
                kiosk.next(Duration::from_millis(100));
            }
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SigningIn {
                        last: Some(SignInRefusal::Credential(CredentialRefusal::Revoked)),
                        ..
                    }
                )
            });
            kiosk.stop();
            // Offline after a restart, the kept list still applies.
            let credentials = kiosk::wiring::staff_credentials(&config).unwrap();
            assert_eq!(credentials.synced(), vec![list]);
            assert!(audited(&config).is_empty(), "nobody signed in");
        },
    );
}

#[test]
fn staff_sign_in_offline_see_the_queue_and_send_an_upload_again() {
    with_token_in_child(
        "staff_sign_in_offline_see_the_queue_and_send_an_upload_again",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let staff = staff_key(token_dir, "柜员-04");
            // The CA cannot be reached: nothing listens there.
            let addr = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let config = config(
                tmp.path(),
                token_dir,
                &staff.ca.root_der(),
                "",
                &format!("http://{addr}"),
            );
            // An order the kiosk took while offline.
            let OrderDetails::Renewal(details) = fixtures::renewal_order(1).details else {
                unreachable!()
            };
            let order = kiosk::wiring::open_store(&config)
                .unwrap()
                .create_renewal_order(
                    kiosk_domain::flow::SessionId(41),
                    &config.kiosk_code,
                    OffsetDateTime::now_utc(),
                    kiosk_domain::money::Fen(30_000),
                    &details,
                )
                .unwrap()
                .number;
            let mut kiosk = Headless::start(
                &config,
                ports(&config).unwrap(),
                Arc::new(kiosk::clock::SystemClock),
            )
            .unwrap();
            // Staff sign in offline, and see the order waiting.
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
            kiosk.send(UiEvent::Staff(StaffInput::StartQueue));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Queue(q), .. }
                    if q.uploads.as_ref().is_some_and(|ups| ups.iter().any(|u| u.order == order)))
            });
            kiosk.send(UiEvent::Staff(StaffInput::RetryUpload(order)));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Queue(q), .. }
                    if q.last == Some((order, true)) && q.uploads.is_some())
            });
            kiosk.send(UiEvent::Staff(StaffInput::SignOut));
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);
            kiosk.stop();
            let store = kiosk::wiring::open_store(&config).unwrap();
            let log = store.audit_log().unwrap();
            let retry = log
                .iter()
                .find(|r| r.entry.action == AuditAction::QueueRetry)
                .expect("the retry is in the audit log");
            assert_eq!(retry.entry.order, Some(order));
            assert!(
                store.queue(10).unwrap().iter().any(|e| e.number == order),
                "still waiting for the CA"
            );
        },
    );
}

/// 实人认证 without a face (no consent): counter staff confirm the handler
/// in person with their own staff key on the kiosk's pad (a wrong PIN is
/// refused first), no staff session opening; the order carries the staff
/// certificate that confirmed, the audit log records it, and a screen
/// alone cannot claim a confirmation.
#[test]
fn staff_confirm_a_handler_in_person_with_their_own_key() {
    use kiosk_domain::flow::application::{ApplicationEvent, ApplicationState, Page, StaffCheck};
    use kiosk_domain::order::identity::IdentityOutcome;
    use kiosk_tests::script::{apply_step, apply_up_to_face_consent, on_page};

    with_token_in_child(
        "staff_confirm_a_handler_in_person_with_their_own_key",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let staff_ca = staff_key(token_dir, "柜员-01").ca.root_der();
            let camera = tmp.path().join("camera");
            let (_ca, config) = world(
                tmp.path(),
                token_dir,
                &staff_ca,
                &format!("[camera]\nsource = \"files:{}\"\n", camera.display()),
            );
            let mut kiosk = Headless::start(
                &config,
                ports(&config).unwrap(),
                Arc::new(kiosk::clock::SystemClock),
            )
            .unwrap();
            let limit = Duration::from_secs(60);
            let step = apply_step;
            let draft = |shown: &Shown| match &shown.application {
                Some(ApplicationState::Filling {
                    page: Page::IdentityCheck,
                    draft,
                    ..
                }) => Some(draft.clone()),
                _ => None,
            };

            apply_up_to_face_consent(&mut kiosk, &camera, limit).unwrap();
            step(&kiosk, ApplicationEvent::FaceCaptureConsent(false));
            kiosk
                .wait(limit, |s| on_page(s, Page::IdentityCheck))
                .unwrap();

            // A screen cannot say the staff key answered.
            step(
                &kiosk,
                ApplicationEvent::StaffChecked(Ok(kiosk_domain::ports::staff::StaffMember {
                    certificate_serial: "5A01".to_owned(),
                    name: "冒充".to_owned(),
                    roles: vec![kiosk_domain::ports::staff::StaffRole::Staff],
                })),
            );
            // 工作人员操作：确认已当面核验, then a wrong PIN on the staff key.
            step(&kiosk, ApplicationEvent::StaffCheckOpened);
            kiosk
                .wait(limit, |s| {
                    draft(s)
                        .is_some_and(|d| d.staff_check == Some(StaffCheck::Asking { last: None }))
                })
                .unwrap();
            assert!(
                !draft(&kiosk.shown).unwrap().identity_ready(),
                "the forged answer confirmed nothing"
            );
            kiosk.send(pin("111111"));
            kiosk
                .wait(limit, |s| {
                    draft(s).is_some_and(|d| {
                        matches!(
                            d.staff_check,
                            Some(StaffCheck::Asking {
                                last: Some(SignInRefusal::Pin(PinOutcome::Wrong { .. }))
                            })
                        )
                    })
                })
                .unwrap();
            assert!(!draft(&kiosk.shown).unwrap().identity_ready());
            // The right PIN: the key signs, its certificate is the staff CA's.
            kiosk.send(pin(softhsm::STAFF_PIN));
            kiosk
                .wait(limit, |s| {
                    draft(s).is_some_and(|d| {
                        d.staff_check.is_none()
                            && matches!(
                                d.identity.outcome,
                                IdentityOutcome::ConfirmedInPerson { .. }
                            )
                    })
                })
                .unwrap();
            assert!(
                kiosk.shown.staff.is_none()
                    || matches!(kiosk.shown.staff, Some(StaffState::Locked)),
                "no staff session opened"
            );
            step(&kiosk, ApplicationEvent::IdentityDone);
            kiosk.wait(limit, |s| on_page(s, Page::Review)).unwrap();
            step(&kiosk, ApplicationEvent::Submit);
            kiosk
                .wait(limit, |s| {
                    matches!(&s.application, Some(ApplicationState::Submitted { .. }))
                })
                .unwrap();
            let Some(ApplicationState::Submitted { order, .. }) = kiosk.shown.application.clone()
            else {
                unreachable!()
            };
            kiosk.stop();

            // The audit log names the member of staff; the order carries
            // their certificate's serial and no face.
            let store = kiosk::wiring::open_store(&config).unwrap();
            let confirmed: Vec<_> = store
                .audit_log()
                .unwrap()
                .into_iter()
                .filter(|r| r.entry.action == AuditAction::IdentityConfirmedInPerson)
                .collect();
            assert_eq!(confirmed.len(), 1, "recorded once");
            let kiosk_domain::audit::Actor::Staff {
                certificate_serial,
                name,
            } = &confirmed[0].entry.actor
            else {
                panic!("not staff: {:?}", confirmed[0].entry.actor)
            };
            assert_eq!(name, "柜员-01");
            let held = store.load_order(&order).unwrap().unwrap();
            let OrderDetails::Application(details) = &held.details else {
                panic!("not an application")
            };
            assert!(
                matches!(
                    &details.identity.outcome,
                    IdentityOutcome::ConfirmedInPerson { staff_id, .. }
                        if staff_id.as_str() == certificate_serial
                ),
                "{:?}",
                details.identity.outcome
            );
            assert!(
                !store
                    .attachments(&order)
                    .unwrap()
                    .iter()
                    .any(|a| a.attachment.kind().is_biometric()),
                "no face with the order"
            );
            assert_eq!(
                audited(&config).len(),
                confirmed.len(),
                "nothing else audited: no sign-in happened"
            );
        },
    );
}

/// 柜台收款: a customer chooses to pay at the counter and leaves with the
/// slip; staff take the money, sign in with their own key and record the
/// payment for that order at the kiosk (a wrong PIN first: nothing is
/// signed or sent), signed with their key: the CA records it, the order
/// leaves the list, the audit log has it signed and answered, and the
/// customer, back at the kiosk with their key, renews with the order paid
/// at the counter. (The same reference sent again finding the same payment
/// is `sync/client/tests`' counter payment test.)
#[test]
fn a_counter_payment_recorded_at_the_kiosk_reaches_the_ca_once_and_the_customer_renews() {
    use kiosk_domain::flow::staff::{CounterOutcome, CounterStage, CounterTask};
    use kiosk_domain::ports::counter::CounterMethod;

    with_token_in_child(
        "a_counter_payment_recorded_at_the_kiosk_reaches_the_ca_once_and_the_customer_renews",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let (ca, config, mut kiosk) = counter_world(tmp.path(), token_dir, "柜员-05");

            // The customer goes as far as the payment, and pays at the counter.
            let mut customer = RenewalCustomer::new(softhsm::PIN, renewal_details());
            let (order, amount, _) =
                pay_at_counter(&mut kiosk, &mut customer, RENEWAL_LIMIT, |_| {}).unwrap();
            kiosk.send(UiEvent::GoHome);
            assert!(
                ca.service
                    .storage()
                    .paid_payment(order.as_str())
                    .unwrap()
                    .is_none(),
                "not paid yet"
            );

            // Staff sign in and open 柜台收款: the order is there, with its amount.
            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
            kiosk.send(UiEvent::Staff(StaffInput::StartCounter));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Counter(c), .. }
                    if c.orders.as_ref().is_some_and(|rows| rows.iter().any(|r| r.number == order && r.amount == amount)))
            });
            let record = |kiosk: &mut Headless, reference: &str| {
                kiosk.send(UiEvent::Staff(StaffInput::ChooseCounter(order)));
                kiosk.send(UiEvent::Staff(StaffInput::ConfirmCounter {
                    method: CounterMethod::Counter,
                    reference: reference.to_owned(),
                }));
                wait_staff(kiosk, |s| {
                    matches!(
                        s,
                        StaffState::SignedIn {
                            task: StaffTask::Counter(CounterTask {
                                stage: CounterStage::Pin { .. },
                                ..
                            }),
                            ..
                        }
                    )
                });
            };
            record(&mut kiosk, "POS20261206-0001");
            // A wrong PIN: refused on the key, nothing signed or sent.
            kiosk.send(pin("000000"));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SignedIn {
                        task: StaffTask::Counter(CounterTask {
                            stage: CounterStage::Pin {
                                last: Some(SignInRefusal::Pin(PinOutcome::Wrong { .. })),
                                ..
                            },
                            ..
                        }),
                        ..
                    }
                )
            });
            assert!(
                ca.service
                    .storage()
                    .paid_payment(order.as_str())
                    .unwrap()
                    .is_none(),
                "nothing sent on a wrong PIN"
            );
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Counter(c), .. }
                    if c.last.is_some())
            });
            let StaffState::SignedIn {
                task: StaffTask::Counter(c),
                ..
            } = staff(&kiosk.shown)
            else {
                unreachable!()
            };
            assert_eq!(c.last, Some((order, CounterOutcome::Recorded)));
            let paid = ca
                .service
                .storage()
                .paid_payment(order.as_str())
                .unwrap()
                .expect("the CA holds the order paid");
            assert_eq!(
                (
                    paid.method.as_str(),
                    paid.reference.as_deref(),
                    paid.amount_fen
                ),
                ("counter", Some("POS20261206-0001"), amount.0)
            );
            // Listed again without it: the CA has it.
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Counter(c), .. }
                    if c.orders.as_ref().is_some_and(|rows| rows.iter().all(|r| r.number != order)))
            });
            kiosk.send(UiEvent::Staff(StaffInput::SignOut));
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);

            // The CA's feed tells the kiosk the order is 正在受理 (before
            // the customer is back: the kiosk never saw the payment itself).
            let start = std::time::Instant::now();
            loop {
                let held = kiosk::wiring::open_store(&config)
                    .unwrap()
                    .load_order(&order)
                    .unwrap()
                    .expect("held");
                if held.status() == kiosk_domain::order::status::OrderStatus::InProgress {
                    break;
                }
                assert!(
                    start.elapsed() < RENEWAL_LIMIT,
                    "the feed never said 正在受理"
                );
                kiosk.next(Duration::from_millis(200));
            }
            // The customer comes back with their key: the order paid at
            // the counter is installed, with nothing more to pay.
            let mut customer = RenewalCustomer::new(softhsm::PIN, renewal_details());
            let before = kiosk.shown.log.len();
            let renewed = renew(&mut kiosk, &mut customer, RENEWAL_LIMIT).unwrap();
            assert_eq!(renewed, order, "the order paid at the counter");
            let again = &kiosk.shown.log[before..];
            assert!(
                !again.iter().any(|l| l == "renewal ConfirmingInfo"
                    || l == "renewal CreatingOrder"
                    || l == "renewal PayingAtCounter"),
                "no new order, nothing asked again: {again:?}"
            );
            kiosk.stop();

            let log = audited(&config);
            assert_eq!(
                log,
                [
                    AuditAction::StaffSignedIn,
                    AuditAction::CounterPaymentSigned {
                        method: CounterMethod::Counter,
                        amount_fen: amount.0,
                        reference: "POS20261206-0001".to_owned(),
                    },
                    AuditAction::CounterPaymentAnswered {
                        outcome: CounterOutcome::Recorded
                    },
                    AuditAction::StaffSignedOut {
                        why: LockReason::SignedOut
                    },
                ]
            );
            assert!(
                ca.service
                    .storage()
                    .paid_payment(order.as_str())
                    .unwrap()
                    .is_some()
            );
        },
    );
}

/// 取消订单: a customer leaves an order unpaid (到柜台支付, then never
/// pays); staff cancel it at the kiosk with their own key: the CA holds it
/// 已取消, its feed tells the kiosk, and the customer who comes back is
/// not offered the cancelled order (a new one is made); the audit log has
/// the cancel signed and answered.
#[test]
fn staff_cancel_an_unpaid_order_at_the_kiosk_and_the_ca_and_kiosk_hold_it_cancelled() {
    use kiosk_domain::flow::renewal::RenewalState;
    use kiosk_domain::flow::staff::{CounterOutcome, CounterStage, CounterTask};
    use kiosk_domain::order::status::OrderStatus;

    with_token_in_child(
        "staff_cancel_an_unpaid_order_at_the_kiosk_and_the_ca_and_kiosk_hold_it_cancelled",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let (ca, config, mut kiosk) = counter_world(tmp.path(), token_dir, "柜员-06");
            let mut customer = RenewalCustomer::new(softhsm::PIN, renewal_details());
            let (order, _, _) =
                pay_at_counter(&mut kiosk, &mut customer, RENEWAL_LIMIT, |_| {}).unwrap();
            kiosk.send(UiEvent::GoHome);
            // Once the CA has it (a cancel of an order still in the
            // outbox is refused as not yet there).
            let start = std::time::Instant::now();
            while ca
                .service
                .storage()
                .order(order.as_str())
                .unwrap()
                .is_none_or(|o| !o.submitted)
            {
                assert!(start.elapsed() < RENEWAL_LIMIT, "never reached the CA");
                kiosk.next(Duration::from_millis(100));
            }

            kiosk.send(UiEvent::Staff(StaffInput::Open));
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
            kiosk.send(UiEvent::Staff(StaffInput::StartCounter));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Counter(c), .. }
                    if c.orders.as_ref().is_some_and(|rows| rows.iter().any(|r| r.number == order)))
            });
            kiosk.send(UiEvent::Staff(StaffInput::CancelOrder(order)));
            kiosk.send(UiEvent::Staff(StaffInput::ConfirmCancelOrder));
            wait_staff(&mut kiosk, |s| {
                matches!(
                    s,
                    StaffState::SignedIn {
                        task: StaffTask::Counter(CounterTask {
                            stage: CounterStage::CancelPin { .. },
                            ..
                        }),
                        ..
                    }
                )
            });
            kiosk.send(pin(softhsm::STAFF_PIN));
            wait_staff(&mut kiosk, |s| {
                matches!(s, StaffState::SignedIn { task: StaffTask::Counter(c), .. }
                    if c.last.is_some() && c.orders.is_some())
            });
            let StaffState::SignedIn {
                task: StaffTask::Counter(c),
                ..
            } = staff(&kiosk.shown)
            else {
                unreachable!()
            };
            assert_eq!(c.last, Some((order, CounterOutcome::Cancelled)));
            assert!(
                c.orders.iter().flatten().all(|r| r.number != order),
                "no longer listed"
            );
            assert_eq!(
                OrderStatus::from(
                    ca.service
                        .storage()
                        .order(order.as_str())
                        .unwrap()
                        .unwrap()
                        .status
                ),
                OrderStatus::Cancelled,
                "the CA holds it 已取消"
            );
            kiosk.send(UiEvent::Staff(StaffInput::SignOut));
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);

            // The CA's feed tells the kiosk.
            let start = std::time::Instant::now();
            loop {
                let held = kiosk::wiring::open_store(&config)
                    .unwrap()
                    .load_order(&order)
                    .unwrap();
                if held.is_none_or(|o| o.status() == OrderStatus::Cancelled) {
                    break;
                }
                assert!(
                    start.elapsed() < RENEWAL_LIMIT,
                    "the feed never said 已取消"
                );
                kiosk.next(Duration::from_millis(200));
            }
            // The customer comes back: not the cancelled order, a new one.
            let mut customer = RenewalCustomer::new(softhsm::PIN, renewal_details());
            let start = std::time::Instant::now();
            loop {
                let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
                if matches!(state, RenewalState::ConfirmingInfo { .. }) {
                    break;
                }
                assert!(
                    !matches!(&state, RenewalState::Paying { order: o, .. } if o.number == order),
                    "the cancelled order offered for payment"
                );
                let (event, _) = customer.act(&state).unwrap();
                if let Some(event) = event {
                    kiosk.send(event);
                }
                assert!(start.elapsed() < RENEWAL_LIMIT, "{:?}", kiosk.shown.log);
                kiosk.next(Duration::from_millis(100));
            }
            kiosk.stop();
            let log = audited(&config);
            assert_eq!(
                log,
                [
                    AuditAction::StaffSignedIn,
                    AuditAction::OrderCancelSigned,
                    AuditAction::OrderCancelAnswered {
                        outcome: CounterOutcome::Cancelled
                    },
                    AuditAction::StaffSignedOut {
                        why: LockReason::SignedOut
                    },
                ]
            );
        },
    );
}
