//! Sample screens built from the domain's fixtures, shared by the tests and
//! the `render-screens` example.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::float_arithmetic,
    dead_code,
    reason = "test data; Slint lengths are f32"
)]

use kiosk_domain::fixtures;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::account::AccountState;
use kiosk_domain::flow::application::{ApplicationState, CaptureRef, Draft, Page, StaffCheck};
use kiosk_domain::flow::lookup::{Found, LookupState, Pay, Scan, ScanFailure};
use kiosk_domain::flow::pickup::{Job, KeyCheck, NotNow, PickupState};
use kiosk_domain::flow::renewal::{
    Candidate, EnvironmentProblem, HolderLookup, InstallFailure, PaymentQr, PinOutcome, PinPurpose,
    RenewalState,
};
use kiosk_domain::flow::staff::StaffState;
use kiosk_domain::flow::staff_call::{CallFailure, CallView};
use kiosk_domain::lang::Lang;
use kiosk_domain::order::OrderDetails;
use kiosk_domain::order::application::{Agreement, Catalogue, Project, SealRole};
use kiosk_domain::order::attachment::{AttachmentKind, MediaType};
use kiosk_domain::order::identity::{IdentityCheck, IdentityOutcome};
use kiosk_domain::order::renewal::{CertificateSummary, Contact, InstallStep, InvoiceInfo};
use kiosk_domain::order::status::OrderStatus;
use kiosk_domain::ports::ca::PickupAtCa;
use kiosk_domain::ports::camera::{FaceGuidance, Frame};
use kiosk_domain::ports::printer::PrintOutcome;
use kiosk_domain::ports::staff::SignInRefusal;
use kiosk_ui::Screen;
use kiosk_ui::view_model::{Device, StatusView, ViewContext};
use time::Duration;
use time::macros::datetime;

pub const S: SessionId = SessionId(7);

pub fn ctx() -> ViewContext {
    ViewContext {
        lang: Lang::ZhCn,
        flow: fixtures::step_context(),
    }
}

pub fn status() -> StatusView {
    StatusView {
        online: true,
        queue: 2,
        devices: vec![
            (Device::KeyWriter, Some(true)),
            (Device::Printer, Some(true)),
            (Device::Camera, Some(false)),
        ],
    }
}

fn cert(holder: &str, serial: &str, not_after: time::OffsetDateTime) -> CertificateSummary {
    CertificateSummary {
        holder: holder.to_owned(),
        serial_hex: serial.to_owned(),
        not_before: not_after - Duration::days(365),
        not_after,
        ..fixtures::certificate()
    }
}

pub fn candidates() -> Vec<Candidate> {
    vec![
        Candidate {
            certificate: fixtures::certificate(),
            open_order: None,
        },
        Candidate {
            certificate: cert(
                "山西示例物流有限公司",
                "5E6F7A8B",
                datetime!(2025-06-01 00:00 UTC),
            ),
            open_order: None,
        },
    ]
}

/// What a scene shows: a renewal state, or a screen of its own.
pub enum Scene {
    Renewal(RenewalState),
    /// 查询订单 with the form filled in, as its flow stands.
    Lookup(Scan, Found, Pay),
    Help,
    /// A screen without flow state.
    Screen(Screen),
    Idle(RenewalState),
    /// 申请证书及印章 as its flow stands.
    Application(ApplicationState),
    /// 现场领取 as its flow stands.
    Pickup(PickupState),
    /// 企业账户 as its flow stands, its form filled in as a customer would.
    Account(AccountState),
    /// 确认信息 (nothing on file) with the keyboard open on a field, after
    /// its keys were tapped; `layout` shows another layout on that field.
    Keyboard {
        field: &'static str,
        keys: &'static str,
        layout: Option<kiosk_ui::FieldKind>,
    },
    /// A scene after 呼叫工作人员, the call as the CA answered it, with
    /// the counter's place when it is set.
    StaffCall(Box<Scene>, CallView, Option<&'static str>),
    /// Staff mode as it stands.
    Staff(StaffState),
    /// Staff mode as it stands, with a frame of the camera's live view
    /// (the technician screen's 摄像头预览).
    StaffLive(StaffState, Frame),
    /// The application with the camera's live view open, showing this
    /// frame with what the face check said of it.
    Live(ApplicationState, Frame, Option<FaceGuidance>),
}

fn renewal_details() -> (Contact, InvoiceInfo) {
    match fixtures::renewal_order(1).details {
        OrderDetails::Renewal(d) => (d.contact, d.invoice),
        OrderDetails::Application(_) => unreachable!(),
    }
}

/// The agreement and the price list the application scenes offer.
pub fn catalogue() -> Catalogue {
    let project = fixtures::application_details().project;
    Catalogue {
        agreement: Agreement {
            version: "2026-01".to_owned(),
            text: "数字证书及电子印章申请协议（示例）\n\n一、申请单位应保证所提交的信息真实、准确、完整。\n\n二、本协议自申请单位确认之日起生效。".to_owned(),
        },
        projects: vec![
            project.clone(),
            Project {
                code: "EBID".parse().unwrap(),
                name: "电子招投标证书应用".to_owned(),
                ..project
            },
        ],
        fetched: Some(datetime!(2026-11-30 09:00 UTC)),
        renewal: None,
    }
}

/// A photographed page, as the screens show it: lines of grey on white.
fn document() -> Frame {
    let (w, h) = (620_u32, 877_u32);
    let mut pixels = vec![250_u8; (w * h * 3) as usize];
    for y in (60..h - 60).step_by(28) {
        for x in 50..(w - 50 - (y * 7) % 120) {
            for dy in 0..12 {
                let i = (((y + dy) * w + x) * 3) as usize;
                pixels[i..i + 3].copy_from_slice(&[60, 60, 70]);
            }
        }
    }
    Frame::new(w, h, pixels).unwrap()
}

/// The face the camera tests use (a public-domain astronaut's portrait),
/// as the live view shows it.
fn face() -> Frame {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../drivers/camera/tests/fixtures/face-astronaut-512.png");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(step)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Frame::new(info.width, info.height, pixels).unwrap()
}

fn capture(kind: AttachmentKind, size: u32) -> CaptureRef {
    CaptureRef {
        kind,
        media_type: MediaType::Jpeg,
        size,
        sha256_hex: "00".repeat(32),
    }
}

/// The application's pages, from an empty draft to the submitted order.
fn application_scenes() -> Vec<(&'static str, Scene)> {
    let d = fixtures::application_details();
    let mut settler = d.seal_holders[0].clone();
    settler.role = SealRole::Settler;
    settler.name = "赵六".parse().unwrap();
    let full = Draft {
        agreement_version: d.agreement_version.clone(),
        agreement_scrolled: true,
        project: Some(d.project.clone()),
        unit: Some(d.unit.clone()),
        handler: Some(d.handler.clone()),
        seal_holders: vec![d.seal_holders[0].clone(), settler],
        invoice: Some(d.invoice.clone()),
        pickup: Some(d.pickup.clone()),
        captures: vec![
            capture(AttachmentKind::ApplicationForm, 612_000),
            capture(AttachmentKind::BusinessLicence, 540_000),
            capture(AttachmentKind::HandlerId, 230_000),
            capture(AttachmentKind::SealHolderId { holder: 0 }, 225_000),
            capture(AttachmentKind::SealHolderId { holder: 1 }, 231_000),
            capture(AttachmentKind::Face, 80_000),
        ],
        identity: IdentityCheck {
            capture_consent: Some(datetime!(2026-12-01 10:00 UTC)),
            upload_consent: Some(datetime!(2026-12-01 10:01 UTC)),
            outcome: IdentityOutcome::FaceQueued,
        },
        capturing: None,
        capture_failed: None,
        interrupted: false,
        form_print: None,
        account: None,
        staff_check: None,
        aiming: None,
    };
    let page = |page: Page, draft: Draft| {
        Scene::Application(ApplicationState::Filling {
            session: S,
            page,
            draft: Box::new(draft),
        })
    };
    let up_to = |unit: bool, holders: bool| Draft {
        unit: unit.then(|| d.unit.clone()),
        handler: unit.then(|| d.handler.clone()),
        seal_holders: if holders {
            full.seal_holders.clone()
        } else {
            Vec::new()
        },
        invoice: None,
        pickup: None,
        captures: Vec::new(),
        identity: IdentityCheck::default(),
        ..full.clone()
    };
    let documents = Draft {
        form_print: Some(Some(PrintOutcome::Printed)),
        captures: full.captures[..2].to_vec(),
        capturing: Some(AttachmentKind::HandlerId),
        capture_failed: None,
        identity: IdentityCheck::default(),
        ..full.clone()
    };
    let ask_upload = Draft {
        identity: IdentityCheck {
            upload_consent: None,
            outcome: IdentityOutcome::NotChecked,
            ..full.identity.clone()
        },
        ..full.clone()
    };
    vec![
        (
            "31-apply-agreement",
            page(
                Page::Agreement,
                Draft {
                    agreement_scrolled: false,
                    ..up_to(false, false)
                },
            ),
        ),
        ("32-apply-project", page(Page::Project, up_to(false, false))),
        ("33-apply-unit", page(Page::Unit, up_to(true, false))),
        (
            "34-apply-holders",
            page(Page::SealHolders, up_to(true, true)),
        ),
        ("35-apply-pickup", page(Page::Pickup, up_to(true, true))),
        (
            "36-apply-documents",
            page(Page::Attachments, documents.clone()),
        ),
        (
            "37-apply-face-consent",
            page(Page::FaceConsent, up_to(true, true)),
        ),
        (
            "38-apply-identity",
            page(Page::IdentityCheck, ask_upload.clone()),
        ),
        (
            "38a-apply-in-person-pad",
            page(
                Page::IdentityCheck,
                Draft {
                    staff_check: Some(StaffCheck::Asking {
                        last: Some(SignInRefusal::Pin(PinOutcome::Wrong {
                            tries_left: Some(5),
                            final_try: false,
                        })),
                    }),
                    ..ask_upload.clone()
                },
            ),
        ),
        (
            "38b-apply-confirmed-in-person",
            page(
                Page::IdentityCheck,
                Draft {
                    identity: IdentityCheck {
                        capture_consent: None,
                        upload_consent: None,
                        outcome: IdentityOutcome::ConfirmedInPerson {
                            staff_id: "5A01".parse().unwrap(),
                            at: datetime!(2026-12-01 10:05 UTC),
                        },
                    },
                    captures: full.captures[..5].to_vec(),
                    ..full.clone()
                },
            ),
        ),
        (
            "36a-apply-live-document",
            Scene::Live(
                ApplicationState::Filling {
                    session: S,
                    page: Page::Attachments,
                    draft: Box::new(Draft {
                        capturing: None,
                        aiming: Some(AttachmentKind::HandlerId),
                        ..documents.clone()
                    }),
                },
                document(),
                None,
            ),
        ),
        (
            "38c-apply-live-face",
            Scene::Live(
                ApplicationState::Filling {
                    session: S,
                    page: Page::IdentityCheck,
                    draft: Box::new(Draft {
                        captures: full.captures[..5].to_vec(),
                        identity: IdentityCheck {
                            upload_consent: None,
                            outcome: IdentityOutcome::NotChecked,
                            ..full.identity.clone()
                        },
                        aiming: Some(AttachmentKind::Face),
                        ..full.clone()
                    }),
                },
                face(),
                Some(FaceGuidance::TooFar),
            ),
        ),
        ("39-apply-review", page(Page::Review, full.clone())),
        (
            "40-apply-resume",
            page(
                Page::Handler,
                Draft {
                    interrupted: true,
                    ..up_to(true, false)
                },
            ),
        ),
        (
            "41-apply-submitted",
            Scene::Application(ApplicationState::Submitted {
                session: S,
                order: fixtures::order_number(3),
                receipt: Some(PrintOutcome::Printed),
            }),
        ),
        (
            "42-lookup-at-ca",
            Scene::Lookup(
                Scan::Idle,
                Found::AtCa {
                    order: Box::new(at_ca_rejected()),
                    mobile: fixtures::MOBILE.parse().unwrap(),
                },
                Pay::Idle,
            ),
        ),
        (
            "43-lookup-payable",
            Scene::Lookup(Scan::Idle, at_ca(OrderStatus::AwaitingPayment), Pay::Idle),
        ),
        (
            "44-lookup-pay",
            Scene::Lookup(
                Scan::Idle,
                at_ca(OrderStatus::AwaitingPayment),
                Pay::Waiting(kiosk_domain::ports::ca::PaymentQr {
                    payment_id: "pay_1".to_owned(),
                    payload: "https://ca.example.cn/pay/pay_1".to_owned(),
                    expires_at: fixtures::application_order(3).created_at
                        + time::Duration::minutes(15),
                }),
            ),
        ),
        (
            "45-lookup-paid",
            Scene::Lookup(Scan::Idle, at_ca(OrderStatus::InProgress), Pay::Paid),
        ),
        (
            "47-lookup-transfer",
            Scene::Lookup(
                Scan::Idle,
                at_ca(OrderStatus::AwaitingPayment),
                Pay::TransferForm,
            ),
        ),
        (
            "48-lookup-transfer-noted",
            Scene::Lookup(
                Scan::Idle,
                at_ca(OrderStatus::AwaitingPayment),
                Pay::RemittanceNoted,
            ),
        ),
        (
            "46-lookup-invoiced",
            Scene::Lookup(
                Scan::Idle,
                match at_ca(OrderStatus::Invoiced) {
                    Found::AtCa { mut order, mobile } => {
                        order.invoice_url = Some(
                            "https://ca.example.cn/invoices/INV20261205A1B2C3D4E5F6".to_owned(),
                        );
                        Found::AtCa { order, mobile }
                    }
                    other => other,
                },
                Pay::Idle,
            ),
        ),
    ]
}

/// 现场领取: an order picked up at the hall, ready, at `step` of its write.
fn pickup_job(step: InstallStep) -> Box<Job> {
    Box::new(Job {
        order: PickupAtCa {
            number: fixtures::order_number(3),
            status: OrderStatus::CertificateMade,
            on_site: true,
            unit_name: "山西示例煤业有限公司".parse().unwrap(),
            uscc: fixtures::USCC.parse().unwrap(),
            seals: 2,
            issued_attempt: None,
        },
        mobile: fixtures::MOBILE.parse().unwrap(),
        progress: kiosk_domain::order::renewal::InstallProgress { attempt: 1, step },
        issued: None,
    })
}

/// 现场领取's screens, and 查询订单 offering it.
fn pickup_scenes() -> Vec<(&'static str, Scene)> {
    let mut ready = at_ca_rejected();
    ready.lifecycle = kiosk_domain::order::status::Lifecycle::ApplicationOnSite;
    ready.status = OrderStatus::CertificateMade;
    ready.reason = None;
    vec![
        (
            "49-lookup-pickup-ready",
            Scene::Lookup(
                Scan::Idle,
                Found::AtCa {
                    order: Box::new(ready),
                    mobile: fixtures::MOBILE.parse().unwrap(),
                },
                Pay::Idle,
            ),
        ),
        (
            "50-pickup-insert-key",
            Scene::Pickup(PickupState::WaitingForKey {
                session: S,
                job: pickup_job(InstallStep::NotStarted),
                checking: false,
                last: Some(KeyCheck::NotBlank),
            }),
        ),
        (
            "55-pickup-pin",
            Scene::Pickup(PickupState::EnteringPin {
                session: S,
                job: pickup_job(InstallStep::NotStarted),
                last: None,
            }),
        ),
        (
            "51-pickup-writing",
            Scene::Pickup(PickupState::Writing {
                session: S,
                job: pickup_job(InstallStep::RequestSent),
            }),
        ),
        (
            "52-pickup-pending",
            Scene::Pickup(PickupState::Pending {
                session: S,
                job: pickup_job(InstallStep::KeyPairGenerated),
                failure: InstallFailure::Offline,
            }),
        ),
        (
            "53-pickup-done",
            Scene::Pickup(PickupState::Done {
                session: S,
                number: fixtures::order_number(3),
                receipt: Some(kiosk_domain::ports::printer::PrintOutcome::Printed),
            }),
        ),
        (
            "54-pickup-not-yet",
            Scene::Pickup(PickupState::NotNow {
                session: S,
                number: fixtures::order_number(3),
                why: NotNow::Pickup(kiosk_domain::ports::ca::Pickup::NotYet(
                    OrderStatus::InProgress,
                )),
            }),
        ),
    ]
}

/// 企业账户's pages: signed out (and offline), then signed in.
fn account_scenes() -> Vec<(&'static str, Scene)> {
    use kiosk_domain::account::{AccountInfo, AccountUnit};
    use kiosk_domain::flow::account::{Desk, Failure, Page, ReviewCapture, ReviewDocuments, Said};
    use kiosk_domain::ports::account::AccountRefusal;
    let info = AccountInfo {
        unit: AccountUnit {
            name: "山西示例煤业有限公司".parse().unwrap(),
            uscc: fixtures::USCC.parse().unwrap(),
        },
        mobile: fixtures::MOBILE.parse().unwrap(),
        registered_at: datetime!(2026-11-02 09:00 +08:00),
    };
    let desk = |page: Page, signed_in: bool, said: Option<Said>, reachable: bool| {
        Scene::Account(AccountState::Open(Box::new(Desk {
            session: S,
            page,
            account: signed_in.then(|| info.clone()),
            asking: None,
            said,
            reachable: Some(reachable),
            review: ReviewDocuments::default(),
        })))
    };
    // 变更手机号 with the licence taken and the ID being aimed at… no: taken
    // and the other failed, as a customer sees it mid-way.
    let review = |taken: &[AttachmentKind], failed: Option<AttachmentKind>| {
        Scene::Account(AccountState::Open(Box::new(Desk {
            session: S,
            page: Page::MobileReview,
            account: None,
            asking: None,
            said: Some(Said::CodeSent {
                resend_after_secs: 60,
            }),
            reachable: Some(true),
            review: ReviewDocuments {
                taken: taken
                    .iter()
                    .map(|&kind| ReviewCapture {
                        kind,
                        size: 412_000,
                    })
                    .collect(),
                aiming: None,
                capturing: None,
                failed,
                checking: None,
            },
        })))
    };
    vec![
        ("56-account-sign-in", desk(Page::SignIn, false, None, true)),
        (
            "57-account-register",
            desk(
                Page::Register,
                false,
                Some(Said::CodeSent {
                    resend_after_secs: 60,
                }),
                true,
            ),
        ),
        (
            "58-account-forgot",
            desk(
                Page::Forgot,
                false,
                Some(Said::Failed(Failure::Refused(AccountRefusal::CodeWrong))),
                true,
            ),
        ),
        ("59-account-unit", desk(Page::Unit, true, None, true)),
        (
            "60-account-change-password",
            desk(
                Page::ChangePassword,
                true,
                Some(Said::Failed(Failure::Refused(
                    AccountRefusal::PasswordWrong,
                ))),
                true,
            ),
        ),
        (
            "61-account-change-mobile",
            desk(
                Page::ChangeMobile,
                true,
                Some(Said::CodeSent {
                    resend_after_secs: 60,
                }),
                true,
            ),
        ),
        (
            "61a-account-mobile-review",
            review(
                &[AttachmentKind::BusinessLicence],
                Some(AttachmentKind::HandlerId),
            ),
        ),
        (
            "61b-account-mobile-review-ready",
            review(
                &[AttachmentKind::BusinessLicence, AttachmentKind::HandlerId],
                None,
            ),
        ),
        (
            "61d-account-document-check",
            Scene::Account(AccountState::Open(Box::new(Desk {
                session: S,
                page: Page::MobileReview,
                account: None,
                asking: None,
                said: None,
                reachable: Some(true),
                review: ReviewDocuments {
                    taken: vec![ReviewCapture {
                        kind: AttachmentKind::BusinessLicence,
                        size: 412_000,
                    }],
                    checking: Some(AttachmentKind::BusinessLicence),
                    ..ReviewDocuments::default()
                },
            }))),
        ),
        (
            "61c-account-review-requested",
            desk(Page::SignIn, false, Some(Said::ReviewRequested), true),
        ),
        ("62-account-offline", desk(Page::SignIn, false, None, false)),
        (
            "63-keyboard-password",
            Scene::Keyboard {
                field: "联系电话",
                keys: "",
                layout: Some(kiosk_ui::FieldKind::Password),
            },
        ),
        (
            "64-pin-locked-staff-coming",
            Scene::StaffCall(
                Box::new(Scene::Renewal(RenewalState::PinLocked { session: S })),
                CallView::Acknowledged,
                None,
            ),
        ),
        (
            "65-help-staff-not-reached",
            Scene::StaffCall(
                Box::new(Scene::Help),
                CallView::NotDelivered(CallFailure::Offline),
                Some("一楼大厅 3 号窗口"),
            ),
        ),
    ]
}

fn staff_scenes() -> Vec<(&'static str, Scene)> {
    use kiosk_domain::flow::staff::{
        CounterOutcome, CounterStage, CounterTask, PayableRow, Reprint, ReprintRow, StaffSettings,
        StaffTask, TechTask, Unblock, UnblockProblem, UploadQueue,
    };
    use kiosk_domain::ports::counter::CounterMethod;
    use kiosk_domain::ports::staff::{CredentialRefusal, SignInRefusal, StaffMember, StaffRole};
    use kiosk_domain::ports::store::QueuedUpload;
    let settings = StaffSettings {
        idle_lock: std::time::Duration::from_secs(120),
        may_unblock: true,
    };
    let at = datetime!(2026-12-05 09:00 UTC);
    let signing_in = |last| {
        Scene::Staff(StaffState::SigningIn {
            session: S,
            settings,
            last,
            checking: false,
            touched_at: at,
        })
    };
    let signed_in = |task| {
        Scene::Staff(StaffState::SignedIn {
            session: S,
            settings,
            member: StaffMember {
                certificate_serial: "5A01".to_owned(),
                name: "柜员 张丽".to_owned(),
                roles: vec![StaffRole::Staff],
            },
            key: kiosk_domain::ports::key_writer::KeyRef {
                label: "STAFF-KEY".to_owned(),
                serial: "0001".to_owned(),
                model: "ePass".to_owned(),
                manufacturer: "CA".to_owned(),
            },
            task,
            touched_at: at,
            audits: 1,
        })
    };
    let technician = |task| {
        Scene::Staff(StaffState::SignedIn {
            session: S,
            settings,
            member: StaffMember {
                certificate_serial: "7C02".to_owned(),
                name: "技术员 李强".to_owned(),
                roles: vec![StaffRole::Technician],
            },
            key: kiosk_domain::ports::key_writer::KeyRef {
                label: "TECH-KEY".to_owned(),
                serial: "0002".to_owned(),
                model: "ePass".to_owned(),
                manufacturer: "CA".to_owned(),
            },
            task: StaffTask::Technician(task),
            touched_at: at,
            audits: 1,
        })
    };
    vec![
        (
            "66-staff-sign-in-wrong-pin",
            signing_in(Some(SignInRefusal::Pin(PinOutcome::Wrong {
                tries_left: Some(4),
                final_try: false,
            }))),
        ),
        (
            "67-staff-sign-in-revoked",
            signing_in(Some(SignInRefusal::Credential(CredentialRefusal::Revoked))),
        ),
        ("68-staff-menu", signed_in(StaffTask::Menu)),
        (
            "69-staff-unblock-so-pin",
            signed_in(StaffTask::Unblock(Unblock::SoPin {
                last: Some(UnblockProblem::PinsDiffer),
            })),
        ),
        (
            "70-staff-unblocked",
            signed_in(StaffTask::Unblock(Unblock::Unblocked)),
        ),
        (
            "71-staff-reprint",
            signed_in(StaffTask::Reprint(Reprint {
                orders: Some(vec![
                    ReprintRow::of(&fixtures::renewal_order(1)),
                    ReprintRow::of(&fixtures::application_order(2)),
                ]),
                printing: None,
                last: Some((fixtures::order_number(1), PrintOutcome::Printed)),
            })),
        ),
        (
            "72-staff-upload-queue",
            signed_in(StaffTask::Queue(UploadQueue {
                uploads: Some(vec![
                    QueuedUpload {
                        order: fixtures::order_number(2),
                        attempts: 4,
                        next_attempt_at: at + Duration::minutes(5),
                        set_aside: false,
                        last_error: Some("timeout".to_owned()),
                    },
                    QueuedUpload {
                        order: fixtures::order_number(3),
                        attempts: 1,
                        next_attempt_at: at,
                        set_aside: true,
                        last_error: Some("set_aside:validation".to_owned()),
                    },
                ]),
                retrying: None,
                last: Some((fixtures::order_number(1), true)),
            })),
        ),
        (
            "73-staff-counter-payment",
            signed_in(StaffTask::Counter(CounterTask {
                orders: Some(PayableRow::payable(&[
                    fixtures::renewal_order(4),
                    fixtures::application_order(5),
                ])),
                stage: CounterStage::List,
                last: Some((fixtures::order_number(1), CounterOutcome::Recorded)),
                recorded: vec![fixtures::order_number(1)],
            })),
        ),
        (
            "74-staff-counter-form",
            signed_in(StaffTask::Counter(CounterTask {
                orders: Some(PayableRow::payable(&[fixtures::renewal_order(4)])),
                stage: CounterStage::Form {
                    order: fixtures::order_number(4),
                    amount: fixtures::renewal_order(4).amount,
                    problem: Some(kiosk_domain::flow::staff::CounterFormProblem::Reference),
                },
                last: None,
                recorded: Vec::new(),
            })),
        ),
        (
            "75-staff-counter-sign",
            signed_in(StaffTask::Counter(CounterTask {
                orders: Some(PayableRow::payable(&[fixtures::renewal_order(4)])),
                stage: CounterStage::Pin {
                    order: fixtures::order_number(4),
                    amount: fixtures::renewal_order(4).amount,
                    method: CounterMethod::Counter,
                    reference: "POS20261206-0001".parse().unwrap(),
                    last: Some(SignInRefusal::Pin(PinOutcome::Wrong {
                        tries_left: Some(4),
                        final_try: false,
                    })),
                },
                last: None,
                recorded: Vec::new(),
            })),
        ),
        (
            "76-staff-cancel-order",
            signed_in(StaffTask::Counter(CounterTask {
                orders: Some(PayableRow::payable(&[fixtures::renewal_order(4)])),
                stage: CounterStage::ConfirmCancel {
                    order: fixtures::order_number(4),
                },
                last: None,
                recorded: Vec::new(),
            })),
        ),
        ("77-technician-menu", technician(TechTask::Menu)),
        (
            "78-technician-diagnostics",
            technician(TechTask::Diagnostics(Some(Box::new(diagnosed())))),
        ),
        (
            "79-technician-test-page",
            technician(TechTask::TestPrint {
                printing: false,
                last: Some(PrintOutcome::PaperOut),
            }),
        ),
        (
            "80-technician-camera-preview",
            match technician(TechTask::Camera) {
                Scene::Staff(state) => Scene::StaffLive(state, document()),
                _ => unreachable!(),
            },
        ),
    ]
}

/// What the diagnostics report on a kiosk whose printer is out of paper
/// and whose CA is out of reach.
fn diagnosed() -> kiosk_domain::ports::diagnostics::Report {
    use kiosk_domain::ports::diagnostics::{
        DeviceReport, DeviceState, Report, SettingsReport, StoreReport,
    };
    let device = |name: &str, state, detail: &str| DeviceReport {
        name: name.to_owned(),
        state,
        detail: detail.to_owned(),
    };
    Report {
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
            queue_depth: Some(2),
            set_aside: Some(0),
            oldest_pending_age_seconds: Some(1500),
            disk_free_bytes: Some(12_884_901_888),
            error: None,
        },
        devices: vec![
            device(
                "usb_key_writer",
                DeviceState::Ready,
                "ready, 1 key inserted",
            ),
            device(
                "camera",
                DeviceState::Ready,
                "#0 USB 2.0 Camera [MJPEG 1920x1080, YUYV 640x480]",
            ),
            device(
                "receipt_printer",
                DeviceState::Fault,
                "serial:/dev/ttyUSB0?baud=115200: PaperOut",
            ),
            device(
                "ca_link",
                DeviceState::Absent,
                "https://ca.example.cn/: unreachable (connection refused); orders queue until it is back; device certificate valid until 2027-11-30",
            ),
        ],
        ok: false,
    }
}

/// An application as the CA answers 查询订单, at `status`.
fn at_ca(status: OrderStatus) -> Found {
    let mut order = at_ca_rejected();
    order.status = status;
    order.reason = None;
    Found::AtCa {
        order: Box::new(order),
        mobile: fixtures::MOBILE.parse().unwrap(),
    }
}

/// An application the CA's reviewers turned down, as the CA answers 查询订单.
fn at_ca_rejected() -> kiosk_domain::ports::ca::OrderAtCa {
    let order = fixtures::application_order(3);
    kiosk_domain::ports::ca::OrderAtCa {
        number: order.number,
        lifecycle: order.lifecycle(),
        status: kiosk_domain::order::status::OrderStatus::Rejected,
        reason: Some("营业执照照片不清晰，请重新拍摄".to_owned()),
        amount: order.amount,
        created_at: order.created_at,
        invoice_url: None,
    }
}

/// Every scene, named for its file, in the order a customer meets them.
pub fn all() -> Vec<(&'static str, Scene)> {
    let order = fixtures::renewal_order(1);
    let mut installing = order.clone();
    if let OrderDetails::Renewal(d) = &mut installing.details {
        d.install.step = InstallStep::RequestSent;
    }
    let choosing = RenewalState::ChoosingCertificate {
        session: S,
        candidates: candidates(),
        ca_online: true,
    };
    let renew = PinPurpose::Renew(fixtures::certificate());
    let blocked = |problem| {
        Scene::Renewal(RenewalState::Blocked {
            session: S,
            problem,
        })
    };
    let confirming = |on_file| {
        Scene::Renewal(RenewalState::ConfirmingInfo {
            session: S,
            certificate: fixtures::certificate(),
            ca_online: true,
            on_file,
        })
    };
    let counter = |receipt| {
        Scene::Renewal(RenewalState::PayingAtCounter {
            session: S,
            order: order.number,
            amount: order.amount,
            receipt: Some(receipt),
        })
    };
    let (contact, invoice) = renewal_details();
    vec![
        ("01-home", Scene::Renewal(RenewalState::Home)),
        (
            "03-environment-checking",
            Scene::Renewal(RenewalState::CheckingEnvironment { session: S }),
        ),
        ("04-environment-no-key", blocked(EnvironmentProblem::NoKey)),
        (
            "05-environment-unsupported-key",
            blocked(EnvironmentProblem::UnsupportedKey),
        ),
        (
            "06-environment-new-key-unavailable",
            blocked(EnvironmentProblem::NewKeyUnavailable),
        ),
        (
            "06b-environment-renewed-already",
            blocked(EnvironmentProblem::RenewedAlready),
        ),
        ("07-choose-certificate", Scene::Renewal(choosing.clone())),
        (
            "08-pin",
            Scene::Renewal(RenewalState::EnteringPin {
                session: S,
                purpose: renew.clone(),
                ca_online: true,
                last: Some(PinOutcome::Wrong {
                    tries_left: Some(4),
                    final_try: false,
                }),
            }),
        ),
        (
            "09-pin-final-try",
            Scene::Renewal(RenewalState::EnteringPin {
                session: S,
                purpose: renew,
                ca_online: true,
                last: Some(PinOutcome::Wrong {
                    tries_left: Some(1),
                    final_try: true,
                }),
            }),
        ),
        (
            "10-pin-locked",
            Scene::Renewal(RenewalState::PinLocked { session: S }),
        ),
        (
            "11-confirm-on-file",
            confirming(HolderLookup::Found(Box::new((
                contact.clone(),
                invoice.clone(),
            )))),
        ),
        ("11a-confirm-asking", confirming(HolderLookup::Asking)),
        ("12-confirm-not-asked", confirming(HolderLookup::NotAsked)),
        (
            "13-confirm-submitting",
            Scene::Renewal(RenewalState::CreatingOrder {
                session: S,
                certificate: fixtures::certificate(),
                contact,
                invoice,
                ca_online: true,
            }),
        ),
        (
            "14-payment",
            Scene::Renewal(RenewalState::Paying {
                session: S,
                order: Box::new(order.clone()),
                qr: Some(PaymentQr {
                    payment_id: "p1".to_owned(),
                    payload: format!("https://pay.example.cn/q/{}?amount=30000", order.number),
                    expires_at: datetime!(2026-11-23 10:14:05 UTC),
                }),
                ca_online: true,
            }),
        ),
        ("15-counter", counter(PrintOutcome::Printed)),
        ("16-counter-paper-out", counter(PrintOutcome::PaperOut)),
        (
            "17-installing",
            Scene::Renewal(RenewalState::Installing {
                session: S,
                order: Box::new(installing.clone()),
            }),
        ),
        (
            "18-done",
            Scene::Renewal(RenewalState::Done {
                session: S,
                order: order.number,
                valid_until: Some(datetime!(2027-12-10 00:00 UTC)),
                receipt: Some(PrintOutcome::Printed),
            }),
        ),
        (
            "19-done-paper-out",
            Scene::Renewal(RenewalState::Done {
                session: S,
                order: order.number,
                valid_until: None,
                receipt: Some(PrintOutcome::PaperOut),
            }),
        ),
        (
            "20-recovery",
            Scene::Renewal(RenewalState::InstallPending {
                session: S,
                order: Box::new(installing),
                failure: InstallFailure::KeyRemoved,
            }),
        ),
        (
            "21-lookup",
            Scene::Lookup(
                Scan::Idle,
                Found::Kept {
                    order: Box::new(order.clone()),
                    ca_reached: false,
                    heard_at: Some(order.created_at),
                },
                Pay::Idle,
            ),
        ),
        (
            "22-lookup-no-match",
            Scene::Lookup(Scan::Idle, Found::NoMatch, Pay::Idle),
        ),
        (
            "23-lookup-scan-failed",
            Scene::Lookup(
                Scan::Failed(ScanFailure::NothingSeen),
                Found::Nothing,
                Pay::Idle,
            ),
        ),
        ("24-help", Scene::Help),
        ("25-idle-warning", Scene::Idle(choosing)),
        (
            "26-keyboard-chinese",
            Scene::Keyboard {
                field: "单位名称",
                keys: "shanxijiaomei",
                layout: None,
            },
        ),
        (
            "27-keyboard-email",
            Scene::Keyboard {
                field: "邮箱",
                keys: "li.si@",
                layout: None,
            },
        ),
        (
            "28-keyboard-code",
            Scene::Keyboard {
                field: "纳税人识别号",
                keys: "9111",
                layout: None,
            },
        ),
        (
            "29-keyboard-mobile",
            Scene::Keyboard {
                field: "联系电话",
                keys: "139",
                layout: None,
            },
        ),
        (
            // No renewal field takes a resident ID: the layout as it opens
            // for one (the application's forms).
            "30-keyboard-resident-id",
            Scene::Keyboard {
                field: "联系电话",
                keys: "",
                layout: Some(kiosk_ui::FieldKind::ResidentId),
            },
        ),
    ]
    .into_iter()
    .chain(application_scenes())
    .chain(pickup_scenes())
    .chain(account_scenes())
    .chain(staff_scenes())
    .collect()
}

/// Shows a scene on `ui`.
pub fn show(ui: &kiosk_ui::KioskUi, scene: &Scene) {
    ui.wipe_session();
    ui.set_status(&status());
    match scene {
        Scene::Renewal(state) => ui.show_renewal(state, &ctx(), true),
        Scene::Lookup(scan, found, pay) => {
            ui.show_screen(Screen::Lookup);
            let form = ui.window().global::<kiosk_ui::LookupAdapter>();
            form.set_order_number(fixtures::order_number(1).to_string().into());
            form.set_mobile(fixtures::MOBILE.into());
            ui.show_lookup(&LookupState::Open {
                session: S,
                scan: scan.clone(),
                found: found.clone(),
                pay: pay.clone(),
            });
        }
        Scene::Pickup(state) => ui.show_pickup(state),
        Scene::Account(state) => {
            // Every document taken shows as the page photographed.
            let page = document();
            let previews: Vec<(AttachmentKind, &Frame)> = match state {
                AccountState::Open(desk) => {
                    desk.review.taken.iter().map(|t| (t.kind, &page)).collect()
                }
                AccountState::Home => Vec::new(),
            };
            ui.show_account(state, &previews);
            let a = ui.window().global::<kiosk_ui::AccountAdapter>();
            a.set_typed_unit_name("山西示例煤业有限公司".into());
            a.set_typed_uscc(fixtures::USCC.into());
            a.set_typed_mobile(fixtures::MOBILE.into());
            a.set_password("Shanxi2026".into());
            a.set_password_again("Shanxi2026".into());
            a.set_old_password("Old12345".into());
            a.set_code("123456".into());
        }
        Scene::Help => {
            ui.set_downloads_url("https://ca.example.cn/downloads");
            ui.set_staff_mode(true);
            ui.show_screen(Screen::Help);
        }
        Scene::Staff(state) => ui.show_staff(state),
        Scene::Screen(screen) => ui.show_screen(*screen),
        Scene::StaffCall(scene, call, counter) => {
            show(ui, scene);
            if *call == CallView::NotDelivered(CallFailure::Offline) {
                // The strip says what the call found.
                ui.set_status(&StatusView {
                    online: false,
                    ..status()
                });
            }
            ui.set_counter_location(counter.unwrap_or_default());
            ui.show_staff_call(*call);
        }
        Scene::Application(state) => {
            // A kiosk with staff mode (工作人员操作：确认已当面核验 on 实人认证).
            ui.set_staff_mode(true);
            // 上传附件 shows the last document taken, as it was kept.
            ui.show_application(
                state,
                &catalogue(),
                Some((AttachmentKind::BusinessLicence, &document())),
            );
        }
        Scene::StaffLive(state, frame) => {
            ui.show_staff(state);
            ui.show_live_frame(kiosk_domain::flow::staff::technician::PREVIEW, frame, None);
        }
        Scene::Live(state, frame, guidance) => {
            ui.show_application(state, &catalogue(), None);
            let kind = match state {
                ApplicationState::Filling { draft, .. } => draft.aiming.unwrap(),
                other => panic!("no live view on {other:?}"),
            };
            ui.show_live_frame(kind, frame, *guidance);
        }
        Scene::Idle(state) => {
            ui.show_renewal(state, &ctx(), true);
            ui.show_idle_warning(Some(25));
        }
        Scene::Keyboard {
            field,
            keys,
            layout,
        } => {
            use i_slint_backend_testing::{AccessibleRole, ElementHandle};
            use slint::platform::PointerEventButton::Left;
            let state = RenewalState::ConfirmingInfo {
                session: S,
                certificate: fixtures::certificate(),
                ca_online: false,
                on_file: HolderLookup::NotAsked,
            };
            ui.show_renewal(&state, &ctx(), true);
            let by_role = |label: &str, role: AccessibleRole| {
                ElementHandle::find_by_accessible_label(ui.window(), label)
                    .find(|e| e.accessible_role() == Some(role))
                    .unwrap_or_else(|| panic!("no {role:?} labelled {label:?}"))
            };
            // The field's label as the window speaks it.
            let label = if ui.lang() == Lang::En {
                match *field {
                    "单位名称" => "Company name",
                    "邮箱" => "E-mail",
                    "纳税人识别号" => "Taxpayer ID",
                    _ => "Phone",
                }
            } else {
                field
            };
            // Scrolled into view first, as a finger would (what a scrolled
            // area hides cannot be found).
            let find = |label: &str| {
                ElementHandle::find_by_accessible_label(ui.window(), label)
                    .find(|e| e.accessible_role() == Some(AccessibleRole::TextInput))
            };
            let flick = ElementHandle::find_by_element_type_name(ui.window(), "Flickable").next();
            // From the top of the form.
            if let Some(flick) = &flick {
                for _ in 0..20 {
                    flick.scroll(0.0, 300.0);
                }
                slint::platform::update_timers_and_animations();
            }
            let mut input = find(label);
            for _ in 0..100 {
                let (Some(flick), shown) = (&flick, &input) else {
                    break;
                };
                let bottom = flick.absolute_position().y + flick.size().height;
                if shown
                    .as_ref()
                    .is_some_and(|i| i.absolute_position().y + i.size().height <= bottom)
                {
                    break;
                }
                flick.scroll(0.0, -30.0);
                slint::platform::update_timers_and_animations();
                input = find(label);
            }
            let input = input.unwrap_or_else(|| {
                panic!(
                    "no field labelled {label:?} ({:?}, large {}, scrolled area {:?})",
                    ui.window().window().size(),
                    ui.large_mode(),
                    flick.as_ref().map(|f| (f.absolute_position(), f.size()))
                )
            });
            // A customer's first touch comes well after the last one's
            // (quick touches in one place would be a double tap).
            i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(2));
            input.mock_single_click(Left);
            // The keyboard never covers the field being typed in.
            let keyboard_label = if ui.lang() == Lang::En {
                "Keyboard"
            } else {
                "键盘"
            };
            let keyboard = ElementHandle::find_by_accessible_label(ui.window(), keyboard_label)
                .next()
                .unwrap_or_else(|| {
                    panic!(
                        "no keyboard for {label:?} ({:?}, large {}, field at {:?} {:?})",
                        ui.window().window().size(),
                        ui.large_mode(),
                        input.absolute_position(),
                        input.size()
                    )
                });
            let shown = find(label).expect("the field stays in view");
            let bottom = shown.absolute_position().y + shown.size().height;
            assert!(
                shown.absolute_position().y >= 0.0
                    && bottom <= keyboard.absolute_position().y + 0.5,
                "{label:?} at {:?} {:?} under the keyboard at {:?} ({:?}, large {})",
                shown.absolute_position(),
                shown.size(),
                keyboard.absolute_position(),
                ui.window().window().size(),
                ui.large_mode()
            );
            if let Some(kind) = layout {
                ui.window()
                    .global::<kiosk_ui::KeyboardAdapter>()
                    .set_kind(*kind);
            }
            for key in keys.chars() {
                let text = key.to_string();
                let shown = if *field == "纳税人识别号" {
                    text.to_uppercase()
                } else {
                    text
                };
                by_role(&shown, AccessibleRole::Button).mock_single_click(Left);
            }
        }
    }
}

use slint::ComponentHandle as _;
