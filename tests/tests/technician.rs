//! The technician screen through the kiosk's production runtime (its
//! wiring, the staff slot and its executor), on SoftHSM2 tokens: a
//! technician's own key, with a certificate of the staff CA configured on
//! the kiosk that grants the technician's role (OU `kiosk-technician`).
//!
//! - the technician signs in through 工作人员登录 (its PIN, the key's
//!   signature over a fresh challenge) and gets the technician screen, not
//!   staff mode: none of staff mode's tasks opens;
//! - 设备诊断 runs the diagnostics of `kioskctl doctor` (the store, the key
//!   writer as the kiosk holds it, the printer, the CA link to the
//!   reference CA) and shows their report;
//! - 打印测试页 prints the test page on the configured file printer and says
//!   printed only once the printer took it; with the printer out of paper
//!   (a fault-injecting port) it says so and never "printed";
//! - 摄像头预览 runs the kiosk's live view (a file camera) while its page
//!   is open;
//! - pulling the technician's key locks the screen and stops the camera;
//! - every step is in the audit log with the technician's certificate as
//!   the actor, and the chain verifies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

use kiosk::wiring::{Ports, ports};
use kiosk_config::Config;
use kiosk_domain::audit::{Actor, AuditAction};
use kiosk_domain::flow::staff::technician::PREVIEW;
use kiosk_domain::flow::staff::{LockReason, StaffState, StaffTask, TechTask};
use kiosk_domain::ports::DeviceErrorKind;
use kiosk_domain::ports::diagnostics::DeviceState;
use kiosk_domain::ports::key_writer::Pin;
use kiosk_domain::ports::printer::PrintOutcome;
use kiosk_tests::faults::{FaultyPrinter, FaultyWriter};
use kiosk_tests::opencryptoki::{CustomerKey, Implementation};
use kiosk_tests::script::{Headless, Shown};
use kiosk_tests::softhsm::{self, MODULE, put_staff_key};
use kiosk_tests::world::{ReferenceCa, kiosk_config_for, with_token_in_child};
use kiosk_ui::{StaffInput, TechnicianInput, UiEvent};
use kiosk_x509::StaffRole;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use time::OffsetDateTime;

const TOKEN: Implementation = Implementation::SoftHsm2(CustomerKey::EcP256);

/// The kiosk trusting `staff_ca`, its camera playing the image files in
/// `dir/camera`.
fn config(dir: &Path, token_dir: &Path, staff_ca: &[u8], url: &str) -> Config {
    let extra = format!(
        "[staff]\nca_certificates = [\"staff-ca.der\"]\nidle_lock_seconds = 120\n\
         [camera]\nsource = \"files:{}\"\n",
        dir.join("camera").display()
    );
    let path = kiosk_config_for(dir, token_dir, MODULE, url, &extra).unwrap();
    std::fs::write(dir.join("kiosk/staff-ca.der"), staff_ca).unwrap();
    Config::load(Some(&path)).unwrap()
}

fn staff(shown: &Shown) -> StaffState {
    shown.staff.clone().unwrap_or(StaffState::Locked)
}

fn task(shown: &Shown) -> Option<TechTask> {
    match staff(shown) {
        StaffState::SignedIn {
            task: StaffTask::Technician(t),
            ..
        } => Some(t),
        _ => None,
    }
}

fn wait_staff(kiosk: &mut Headless, done: impl Fn(&StaffState) -> bool) {
    kiosk
        .wait(Duration::from_secs(60), |s| done(&staff(s)))
        .unwrap_or_else(|e| panic!("{e}: staff mode at {:?}", staff(&kiosk.shown)));
}

fn sign_in(kiosk: &mut Headless) {
    kiosk.send(UiEvent::Staff(StaffInput::Open));
    kiosk.send(UiEvent::Pin(Pin::new(softhsm::STAFF_PIN).unwrap()));
    wait_staff(kiosk, |s| matches!(s, StaffState::SignedIn { .. }));
}

/// Prints the test page and waits for what the printer said.
fn test_page(kiosk: &mut Headless) -> PrintOutcome {
    kiosk.send(UiEvent::Technician(TechnicianInput::PrintTestPage));
    kiosk
        .wait(Duration::from_secs(30), |s| {
            matches!(
                task(s),
                Some(TechTask::TestPrint {
                    printing: false,
                    last: Some(_)
                })
            )
        })
        .unwrap();
    let Some(TechTask::TestPrint {
        last: Some(outcome),
        ..
    }) = task(&kiosk.shown)
    else {
        unreachable!()
    };
    outcome
}

#[test]
fn a_technicians_key_opens_the_technician_screen_its_diagnostics_test_page_and_camera() {
    with_token_in_child(
        "a_technicians_key_opens_the_technician_screen_its_diagnostics_test_page_and_camera",
        TOKEN,
        |token_dir| {
            let tmp = tempfile::tempdir().unwrap();
            let now = OffsetDateTime::now_utc();
            let technician = put_staff_key(
                token_dir,
                "技术员-01",
                &[StaffRole::Technician],
                now - time::Duration::days(1),
                now + time::Duration::days(365),
            );
            let ca = ReferenceCa::start(&tmp.path().join("ca"), Some(token_dir)).unwrap();
            let config = config(tmp.path(), token_dir, &technician.ca.root_der(), &ca.url);

            // The printer out of paper: the screen says so, never printed.
            let real = ports(&config).unwrap();
            let ports_out_of_paper = Ports {
                store: real.store,
                writer: real.writer,
                ca: real.ca,
                printer: FaultyPrinter::new(real.printer, Some(DeviceErrorKind::PaperOut)),
            };
            let mut kiosk = Headless::start(
                &config,
                ports_out_of_paper,
                Arc::new(kiosk::clock::SystemClock),
            )
            .unwrap();
            sign_in(&mut kiosk);
            assert_eq!(task(&kiosk.shown), Some(TechTask::Menu));
            // Staff mode's tasks stay shut for a technician.
            for shut in [
                StaffInput::StartCounter,
                StaffInput::StartQueue,
                StaffInput::StartReprint,
                StaffInput::StartUnblock,
            ] {
                kiosk.send(UiEvent::Staff(shut));
            }
            kiosk.send(UiEvent::Technician(TechnicianInput::Menu));
            let mut wait = Duration::from_millis(300);
            while kiosk.next(wait).is_some() {
                wait = Duration::from_millis(50);
            }
            assert_eq!(task(&kiosk.shown), Some(TechTask::Menu));
            assert_eq!(test_page(&mut kiosk), PrintOutcome::PaperOut);
            kiosk.stop();

            // The real (file) printer, and the writer as the kiosk holds it.
            let receipts = config.in_data_dir(Path::new("receipts.escpos"));
            let _ = std::fs::remove_file(&receipts);
            let real = ports(&config).unwrap();
            let writer = FaultyWriter::new(real.writer, None);
            let keys_out = writer.key();
            let ports = Ports {
                store: real.store,
                writer,
                ca: real.ca,
                printer: real.printer,
            };
            let mut kiosk =
                Headless::start(&config, ports, Arc::new(kiosk::clock::SystemClock)).unwrap();
            sign_in(&mut kiosk);
            kiosk.send(UiEvent::Technician(TechnicianInput::Diagnose));
            kiosk
                .wait(Duration::from_secs(60), |s| {
                    matches!(task(s), Some(TechTask::Diagnostics(Some(_))))
                })
                .unwrap();
            let Some(TechTask::Diagnostics(Some(report))) = task(&kiosk.shown) else {
                unreachable!()
            };
            assert_eq!(report.kiosk_code, "TYA");
            assert_eq!(report.store.error, None, "{report:?}");
            let device = |name: &str| {
                report
                    .devices
                    .iter()
                    .find(|d| d.name == name)
                    .unwrap_or_else(|| panic!("{name} in {report:?}"))
                    .clone()
            };
            let writer = device("usb_key_writer");
            assert_eq!(writer.state, DeviceState::Ready, "{writer:?}");
            // The customer's key and the technician's.
            assert!(writer.detail.contains("2 keys inserted"), "{writer:?}");
            let link = device("ca_link");
            assert_eq!(link.state, DeviceState::Ready, "{link:?}");
            assert!(link.detail.contains(&ca.url), "{link:?}");
            assert_ne!(device("receipt_printer").state, DeviceState::Fault);

            assert_eq!(test_page(&mut kiosk), PrintOutcome::Printed);
            let printed = std::fs::read(&receipts).unwrap();
            assert!(!printed.is_empty(), "the test page reached the printer");

            // 摄像头预览: the live view runs on its page only, a document's
            // view (no face check), and stops with the lock.
            assert_eq!(kiosk.shown.live_frames, 0, "no camera before");
            kiosk_tests::camera::show_camera(
                &tmp.path().join("camera"),
                &kiosk_tests::camera::text_page(1),
            );
            kiosk.send(UiEvent::Technician(TechnicianInput::OpenCamera));
            kiosk
                .wait(Duration::from_secs(30), |s| {
                    s.live_frames >= 2 && s.last_live == Some((PREVIEW, None))
                })
                .unwrap();
            assert_eq!(task(&kiosk.shown), Some(TechTask::Camera));

            // The technician's key taken out: locked, and the camera off.
            keys_out.store(true, Ordering::SeqCst);
            wait_staff(&mut kiosk, |s| *s == StaffState::Locked);
            let mut wait = Duration::from_millis(300);
            while kiosk.next(wait).is_some() {
                wait = Duration::from_millis(50);
            }
            let before = kiosk.shown.live_frames;
            let until = std::time::Instant::now() + Duration::from_millis(800);
            while std::time::Instant::now() < until {
                kiosk.next(Duration::from_millis(50));
            }
            assert_eq!(kiosk.shown.live_frames, before, "frames after the lock");
            kiosk.stop();

            let store = kiosk::wiring::open_store(&config).unwrap();
            assert!(matches!(
                store.verify_audit().unwrap(),
                kiosk_store::AuditCheck::Intact { .. }
            ));
            let log = store.audit_log().unwrap();
            let actions: Vec<_> = log.iter().map(|r| r.entry.action.clone()).collect();
            assert_eq!(
                actions,
                [
                    AuditAction::TechnicianSignedIn,
                    AuditAction::TestPagePrinted {
                        outcome: PrintOutcome::PaperOut
                    },
                    AuditAction::StaffSignedOut {
                        why: LockReason::Restarted
                    },
                    AuditAction::TechnicianSignedIn,
                    AuditAction::DiagnosticsRun { ok: report.ok },
                    AuditAction::TestPagePrinted {
                        outcome: PrintOutcome::Printed
                    },
                    AuditAction::CameraPreviewOpened,
                    AuditAction::StaffSignedOut {
                        why: LockReason::KeyPulled
                    },
                ]
            );
            for record in &log {
                assert!(
                    matches!(
                        &record.entry.actor,
                        Actor::Staff { name, .. } if name == "技术员-01"
                    ),
                    "{:?}",
                    record.entry
                );
            }
        },
    );
}
