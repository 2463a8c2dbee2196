//! The screens driven through Slint's testing backend (software renderer):
//! by accessible label, as a customer would touch them.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
#![allow(
    clippy::float_arithmetic,
    reason = "Slint lengths and colour maths are f32"
)]

mod common;
use common::scenes;

use i_slint_backend_testing::{ElementHandle, ElementRoot, TestingBackend, TestingBackendOptions};
use kiosk_domain::fixtures;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::lookup::{Found, LookupState, Scan};
use kiosk_domain::flow::renewal::{EnvironmentProblem, PaymentQr, PinOutcome};
use kiosk_domain::flow::renewal::{PinPurpose, RenewalState};
use kiosk_domain::flow::staff_call::{CallFailure, CallScreen, CallView};
use kiosk_domain::lang::Lang;
use kiosk_ui::{
    AnswerSource, BlankKeyProblem, BlockedReason, DeviceKind, InstallStage, KioskUi, LookupAdapter,
    LookupDetail, LookupPayNote, LookupProblem, NoticeMessage, OnFileState, OpenOrder, PickupWhy,
    PinAdapter, PinReason, PinWarning, ReceiptState, RecoveryReason, RemitProblem, Screen,
    ServiceKind, StaffCall, StaffProblem, StatusLabel, Texts, Theme, UiEvent, Verdict,
};
use slint::{ComponentHandle, LogicalSize, Model};
use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;

fn setup() -> (KioskUi, Rc<RefCell<Vec<UiEvent>>>) {
    // One platform per test thread; a second call on the same thread is fine.
    let _ = slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })));
    let ui = KioskUi::new().unwrap();
    ui.window()
        .window()
        .set_size(LogicalSize::new(1080.0, 1920.0));
    ui.window().show().unwrap();
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&events);
    ui.on_event(move |e| sink.borrow_mut().push(e));
    (ui, events)
}

fn find(ui: &KioskUi, label: &str) -> ElementHandle {
    ElementHandle::find_by_accessible_label(ui.window(), label)
        .next()
        .unwrap_or_else(|| panic!("no element labelled {label:?}"))
}

#[test]
fn renew_on_home_reaches_the_adapter() {
    let (ui, events) = setup();
    find(&ui, "更新证书").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().as_slice(),
        [UiEvent::Renewal(kiosk_ui::RenewalInput::Start)]
    ));
    // The other tiles, by touch.
    find(&ui, "帮助中心").mock_single_click(slint::platform::PointerEventButton::Left);
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::AwayFromHome)
    ));
    assert_eq!(ui.screen(), kiosk_ui::Screen::Help);
}

#[test]
fn pin_pad_shows_dots_only_and_hands_the_pin_out_once() {
    let (ui, events) = setup();
    let state = RenewalState::EnteringPin {
        session: scenes::S,
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: true,
        last: None,
    };
    ui.show_renewal(&state, &scenes::ctx(), true);
    assert_eq!(ui.screen(), kiosk_ui::Screen::Pin);
    // OK is disabled until 4 digits.
    for d in ["2", "4", "6"] {
        find(&ui, d).mock_single_click(slint::platform::PointerEventButton::Left);
    }
    find(&ui, "确定").invoke_accessible_default_action();
    assert!(events.borrow().is_empty());
    for d in ["8", "0", "1"] {
        find(&ui, d).mock_single_click(slint::platform::PointerEventButton::Left);
    }
    find(&ui, "删除").invoke_accessible_default_action();
    find(&ui, "9").invoke_accessible_default_action();
    assert_eq!(ui.window().global::<PinAdapter>().get_entered(), 6);
    assert_eq!(
        find(&ui, "已输入 6 位").accessible_label().unwrap(),
        "已输入 6 位"
    );
    // No text anywhere on the screen holds the digits.
    let mut seen = Vec::new();
    for el in ElementHandle::find_by_element_type_name(ui.window(), "Text") {
        seen.extend(el.accessible_label());
        seen.extend(el.accessible_value());
    }
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|t| !t.contains("246809")), "{seen:?}");

    find(&ui, "确定").invoke_accessible_default_action();
    find(&ui, "确定").invoke_accessible_default_action();
    let events = events.borrow();
    assert_eq!(events.len(), 1, "the PIN goes out once");
    match &events[0] {
        UiEvent::Pin(pin) => {
            assert_eq!(pin.expose(), b"246809");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        ui.window().global::<PinAdapter>().get_entered(),
        0,
        "the pad is cleared"
    );
}

#[test]
fn english_switch_translates_fixed_and_domain_texts() {
    let (ui, events) = setup();
    find(&ui, "English").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::LanguageChanged(Lang::En))
    ));
    find(&ui, "Renew certificate");
    find(&ui, "中文").invoke_accessible_default_action();
    find(&ui, "更新证书");
}

/// Whether any element on screen says `text` (texts are their own
/// accessible labels), as the app's screen tests look for them.
fn shows(ui: &KioskUi, text: &str) -> bool {
    ui.window()
        .root_element()
        .visit_descendants(|e| {
            let says = |s: Option<slint::SharedString>| s.is_some_and(|s| s.contains(text));
            if says(e.accessible_label()) || says(e.accessible_value()) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_some()
}

#[test]
fn texts_chosen_by_the_view_models_follow_the_language() {
    let (ui, _) = setup();
    let pin = RenewalState::EnteringPin {
        session: SessionId(1),
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: true,
        last: Some(PinOutcome::Wrong {
            tries_left: Some(3),
            final_try: false,
        }),
    };
    ui.show_renewal(&pin, &scenes::ctx(), true);
    assert!(shows(&ui, "PIN码错误，还可以尝试 3 次。"));
    assert!(shows(&ui, "更新“山西示例煤业有限公司”的证书"));
    ui.set_lang(Lang::En);
    assert!(shows(&ui, "Wrong PIN. Tries left: 3."));
    assert!(shows(
        &ui,
        "Renewing the certificate of \"山西示例煤业有限公司\""
    ));
    assert!(!shows(&ui, "PIN码错误"));
    // A screen shown while in English is in English from the start.
    let state = RenewalState::ChoosingCertificate {
        session: SessionId(1),
        candidates: scenes::candidates(),
        ca_online: true,
    };
    ui.show_renewal(&state, &scenes::ctx(), true);
    assert!(shows(
        &ui,
        "This certificate can be renewed (until 2027-12-10)."
    ));
    assert!(shows(&ui, "Renewal closed on 2026-06-01."));
    assert!(shows(&ui, "2025-12-10 to 2026-12-10"));
    ui.set_lang(Lang::ZhCn);
    assert!(shows(&ui, "该证书可以更新（更新期限至 2027-12-10）"));
    assert!(shows(&ui, "2025-12-10 至 2026-12-10"));
    // The status strip and the notice above it.
    ui.set_status(&scenes::status());
    ui.show_notice(Some(kiosk_ui::view_model::Notice::KioskFault));
    assert!(shows(&ui, "✓ USB Key读写器") && shows(&ui, "✗ 摄像头"));
    assert!(shows(&ui, "本机暂时出现故障"));
    ui.set_lang(Lang::En);
    assert!(shows(&ui, "✓ Key reader") && shows(&ui, "The kiosk hit a fault"));
    ui.show_notice(None);
    assert!(!shows(&ui, "The kiosk hit a fault"));
}

#[test]
fn the_time_left_to_pay_counts_in_minutes_and_seconds() {
    let (ui, _) = setup();
    let order = fixtures::renewal_order(1);
    let paying = RenewalState::Paying {
        session: SessionId(1),
        order: Box::new(order),
        qr: Some(PaymentQr {
            payment_id: "p1".into(),
            payload: "pay://x".into(),
            expires_at: time::macros::datetime!(2026-11-23 10:14:05 UTC),
        }),
        ca_online: true,
    };
    ui.show_renewal(&paying, &scenes::ctx(), true);
    assert!(shows(&ui, "请在 14分05秒 内完成支付"));
    ui.set_lang(Lang::En);
    assert!(shows(&ui, "Please pay within 14 min 05 s"));
}

#[test]
fn staff_mode_is_offered_only_where_configured_and_its_buttons_reach_the_adapter() {
    use kiosk_ui::StaffInput;
    let (ui, events) = setup();
    ui.show_screen(kiosk_ui::Screen::Help);
    assert!(
        ElementHandle::find_by_accessible_label(ui.window(), "工作人员登录")
            .next()
            .is_none(),
        "no staff CA configured: no sign-in"
    );
    ui.set_staff_mode(true);
    find(&ui, "工作人员登录").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::Staff(StaffInput::Open))
    ));
    // Signed in: the menu names the member and offers what is allowed.
    let scenes = scenes::all();
    let menu = scenes
        .iter()
        .find(|(name, _)| *name == "68-staff-menu")
        .map(|(_, scene)| scene)
        .unwrap();
    scenes::show(&ui, menu);
    assert_eq!(ui.screen(), kiosk_ui::Screen::Staff);
    assert!(shows(&ui, "已登录：柜员 张丽"));
    find(&ui, "解锁客户USB Key的PIN码").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::Staff(StaffInput::StartUnblock))
    ));
    find(&ui, "退出登录").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::Staff(StaffInput::SignOut))
    ));
    // The unblock's SO PIN on the renewal's pad, with why it is asked again.
    let unblock = scenes
        .iter()
        .find(|(name, _)| *name == "69-staff-unblock-so-pin")
        .map(|(_, scene)| scene)
        .unwrap();
    scenes::show(&ui, unblock);
    assert_eq!(ui.screen(), kiosk_ui::Screen::Pin);
    assert!(shows(
        &ui,
        "两次输入的新PIN码不一致，请从管理员PIN码重新输入。"
    ));
    // Locked: the screens forget who was signed in.
    ui.wipe_session();
    assert_eq!(ui.screen(), kiosk_ui::Screen::Home);
}

#[test]
fn a_call_for_staff_says_only_what_the_ca_answered() {
    let (ui, events) = setup();
    for problem in [
        EnvironmentProblem::UnsupportedKey,
        EnvironmentProblem::NewKeyUnavailable,
    ] {
        ui.wipe_session();
        let blocked = RenewalState::Blocked {
            session: SessionId(1),
            problem,
        };
        ui.show_renewal(&blocked, &scenes::ctx(), true);
        find(&ui, "呼叫工作人员").invoke_accessible_default_action();
        assert!(
            matches!(
                events.borrow().last(),
                Some(UiEvent::CallStaff(CallScreen::KeyCheck))
            ),
            "the call names the screen it was made on"
        );
        assert!(
            !shows(&ui, "工作人员，") && !shows(&ui, "已通知"),
            "a press alone says nothing"
        );
        ui.show_staff_call(CallView::Calling);
        assert!(shows(&ui, "正在呼叫工作人员……"));
        assert!(!shows(&ui, "已通知"), "no one was told yet");
        ui.show_staff_call(CallView::Delivered);
        assert!(shows(&ui, "已通知工作人员，请在此稍候。"));
        ui.show_staff_call(CallView::Acknowledged);
        assert!(shows(&ui, "工作人员已收到呼叫，正在赶来，请在此稍候。"));
    }
    ui.show_renewal(
        &RenewalState::PinLocked {
            session: SessionId(1),
        },
        &scenes::ctx(),
        true,
    );
    find(&ui, "呼叫工作人员").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::CallStaff(CallScreen::PinLocked))
    ));
    ui.show_staff_call(CallView::NotDelivered(CallFailure::Offline));
    assert!(shows(
        &ui,
        "网络中断，未能通知工作人员，本机将继续尝试。您也可以到服务柜台寻求帮助。"
    ));
    ui.set_counter_location("一楼大厅 3 号窗口");
    assert!(shows(
        &ui,
        "网络中断，未能通知工作人员，本机将继续尝试。您也可以到服务柜台（一楼大厅 3 号窗口）寻求帮助。"
    ));
    ui.show_staff_call(CallView::NotDelivered(CallFailure::Refused));
    assert!(shows(
        &ui,
        "未能通知工作人员，请到服务柜台（一楼大厅 3 号窗口）寻求帮助。"
    ));
    ui.set_lang(Lang::En);
    assert!(shows(
        &ui,
        "Staff could not be told. Please ask for help at the service counter (一楼大厅 3 号窗口)."
    ));
    ui.set_lang(Lang::ZhCn);
    ui.wipe_session();
    ui.show_screen(Screen::Help);
    assert!(
        !shows(&ui, "未能通知工作人员"),
        "a new session starts without it"
    );
    find(&ui, "呼叫工作人员").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::CallStaff(CallScreen::Help))
    ));
}

#[test]
fn a_wrong_lookup_form_is_explained_in_the_customers_language() {
    let (ui, events) = setup();
    find(&ui, "查询订单").invoke_accessible_default_action();
    assert_eq!(ui.screen(), Screen::Lookup);
    let form = ui.window().global::<LookupAdapter>();
    form.set_order_number("nonsense".into());
    form.set_mobile(fixtures::MOBILE.into());
    find(&ui, "查询").invoke_accessible_default_action();
    assert_eq!(
        form.get_error(),
        "订单号应为14位，您输入了8位，请核对凭条上的订单号"
    );
    assert!(shows(&ui, "订单号应为14位"));
    ui.set_lang(Lang::En);
    assert_eq!(
        form.get_error(),
        "An order number has 14 characters; you entered 8. Please check the number on your slip."
    );
    // Fixed, it is searched; what the search says is shown too.
    form.set_order_number(fixtures::order_number(1).to_string().into());
    find(&ui, "Search").invoke_accessible_default_action();
    assert_eq!(form.get_error(), "");
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::Lookup(kiosk_ui::LookupInput::Find { .. }))
    ));
    let open = |found| LookupState::Open {
        session: SessionId(1),
        scan: Scan::Idle,
        found,
        pay: kiosk_domain::flow::lookup::Pay::Idle,
    };
    ui.show_lookup(&open(Found::NoMatch));
    assert!(form.get_error().starts_with("No order found"));
    ui.set_lang(Lang::ZhCn);
    ui.show_lookup(&open(Found::Kept {
        order: Box::new(fixtures::renewal_order(1)),
        ca_reached: false,
        heard_at: Some(time::macros::datetime!(2026-11-30 09:05 +8)),
    }));
    assert_eq!(form.get_error(), "");
    let email = kiosk_ui::view_model::order_summary(&fixtures::renewal_order(1)).email;
    for text in [
        "证书更新",
        "待支付",
        "张*",
        "138****8000",
        email.as_str(),
        "暂时无法连接CA：显示的是本机的记录，最后一次与CA同步于 2026-11-30 09:05",
    ] {
        assert!(shows(&ui, text), "{text}");
    }
    assert!(!shows(&ui, "finance@"));
    ui.wipe_session();
    assert_eq!((form.get_error().as_str(), form.get_found()), ("", false));
}

/// Every value of every enum the view models set says something, in both
/// languages, and the English differs from the zh-CN (it was translated).
#[test]
fn every_enum_value_says_something_in_both_languages() {
    let (ui, _) = setup();
    let t = ui.window().global::<Texts>();
    let all = |t: &Texts<'_>| -> Vec<slint::SharedString> {
        let mut out = Vec::new();
        for s in [
            StatusLabel::PendingReview,
            StatusLabel::AwaitingPayment,
            StatusLabel::RenewalAwaitingPayment,
            StatusLabel::Rejected,
            StatusLabel::InProgress,
            StatusLabel::CertificateMade,
            StatusLabel::Mailed,
            StatusLabel::Completed,
            StatusLabel::Invoiced,
            StatusLabel::Cancelled,
        ] {
            out.push(t.invoke_status(s));
            out.push(t.invoke_open_order(OpenOrder::Unpaid, "TYA1".into(), s));
        }
        out.push(t.invoke_open_order(OpenOrder::Paid, "TYA1".into(), StatusLabel::InProgress));
        for s in [ServiceKind::Renewal, ServiceKind::Application] {
            out.push(t.invoke_service(s));
        }
        for d in [
            DeviceKind::KeyWriter,
            DeviceKind::Printer,
            DeviceKind::Camera,
        ] {
            out.push(t.invoke_device(d));
        }
        for n in [
            NoticeMessage::TakeYourKey,
            NoticeMessage::PrinterFailed,
            NoticeMessage::KioskFault,
        ] {
            out.push(t.invoke_notice(n));
        }
        for r in [
            ReceiptState::Printing,
            ReceiptState::Printed,
            ReceiptState::Failed,
            ReceiptState::PaperOut,
            ReceiptState::NoPrinter,
        ] {
            out.push(t.invoke_receipt(r));
        }
        for b in [
            BlockedReason::NoKey,
            BlockedReason::UnsupportedKey,
            BlockedReason::NoCertificate,
            BlockedReason::OldKeyMissing,
            BlockedReason::NewKeyUnavailable,
            BlockedReason::KeyReaderFault,
        ] {
            out.push(t.invoke_blocked_problem(b));
            out.push(t.invoke_blocked_what_to_do(b));
        }
        for v in [
            Verdict::Renewable,
            Verdict::TooEarly,
            Verdict::TooLate,
            Verdict::ClockUntrusted,
        ] {
            out.push(t.invoke_verdict(v, "2027-01-01".into()));
        }
        for p in [
            PinReason::Renew,
            PinReason::Resume,
            PinReason::PayOpenOrder,
            PinReason::Pickup,
            PinReason::StaffSignIn,
            PinReason::SoPin,
            PinReason::NewPin,
            PinReason::RepeatPin,
        ] {
            out.push(t.invoke_pin_purpose(p, "X".into()));
        }
        for p in [
            StaffProblem::NoKey,
            StaffProblem::NotAStaffKey,
            StaffProblem::NotTrusted,
            StaffProblem::NoRole,
            StaffProblem::OutOfDate,
            StaffProblem::Revoked,
            StaffProblem::BadSignature,
            StaffProblem::KeyFailed,
            StaffProblem::PinLocked,
            StaffProblem::NoCustomerKey,
            StaffProblem::PinsDiffer,
            StaffProblem::SoPinWrong,
            StaffProblem::SoPinLocked,
            StaffProblem::NewPinRefused,
        ] {
            out.push(t.invoke_staff_problem(p));
        }
        for r in [
            ReceiptState::Printed,
            ReceiptState::Printing,
            ReceiptState::PaperOut,
            ReceiptState::NoPrinter,
            ReceiptState::Failed,
        ] {
            out.push(t.invoke_reprint(r, "TYA-20261205-0001".into()));
        }
        for w in [
            PinWarning::Wrong,
            PinWarning::TriesLeft,
            PinWarning::FinalTry,
        ] {
            out.push(t.invoke_pin_warning(w, 2));
        }
        for o in [
            OnFileState::Asking,
            OnFileState::NotAsked,
            OnFileState::NothingOnFile,
        ] {
            out.push(t.invoke_on_file(o));
        }
        for s in [
            InstallStage::GenerateKeyPair,
            InstallStage::RequestCertificate,
            InstallStage::VerifyCertificate,
            InstallStage::WriteCertificate,
            InstallStage::RetireOldCertificate,
        ] {
            out.push(t.invoke_install_stage(s));
        }
        for r in [
            RecoveryReason::KeyRemoved,
            RecoveryReason::Offline,
            RecoveryReason::TokenError,
            RecoveryReason::CertificateRejected,
            RecoveryReason::KeyPairMissing,
            RecoveryReason::Interrupted,
        ] {
            out.push(t.invoke_recovery_reason(r));
            out.push(t.invoke_recovery_what_to_do(r));
        }
        for w in [
            PickupWhy::NotFound,
            PickupWhy::Offline,
            PickupWhy::Mailed,
            PickupWhy::NotYet,
            PickupWhy::Written,
        ] {
            out.push(t.invoke_pickup_why(w, StatusLabel::InProgress));
        }
        for p in [
            BlankKeyProblem::NoKey,
            BlankKeyProblem::NotBlank,
            BlankKeyProblem::Unsupported,
        ] {
            out.push(t.invoke_blank_key_problem(p));
        }
        let detail = LookupDetail {
            count: 3,
            position: 2,
            found: "S".into(),
            meant: "5".into(),
        };
        for p in [
            LookupProblem::NoCamera,
            LookupProblem::NothingSeen,
            LookupProblem::NoMatch,
            LookupProblem::Offline,
            LookupProblem::NumberEmpty,
            LookupProblem::NumberLength,
            LookupProblem::NumberBadChar,
            LookupProblem::NumberInvalid,
            LookupProblem::MobileEmpty,
            LookupProblem::MobileBadChar,
            LookupProblem::MobileLength,
            LookupProblem::NotMobile,
        ] {
            out.push(t.invoke_lookup_problem(p, detail.clone()));
        }
        for s in [AnswerSource::Queued, AnswerSource::KeptOffline] {
            out.push(t.invoke_answer_source(s, "2026-11-30 09:05".into()));
        }
        out.push(t.invoke_answer_source(AnswerSource::KeptOffline, "".into()));
        for n in [
            LookupPayNote::Paid,
            LookupPayNote::RemittanceNoted,
            LookupPayNote::Unavailable,
        ] {
            out.push(t.invoke_lookup_pay_note(n));
        }
        for p in [
            RemitProblem::PayerEmpty,
            RemitProblem::PayerInvalid,
            RemitProblem::ReferenceEmpty,
            RemitProblem::ReferenceInvalid,
        ] {
            out.push(t.invoke_remit_problem(p));
        }
        for c in [
            StaffCall::Calling,
            StaffCall::Delivered,
            StaffCall::Acknowledged,
            StaffCall::Offline,
            StaffCall::Refused,
        ] {
            out.push(t.invoke_staff_call(c, "".into()));
        }
        // Where the counter is, when the call did not get through.
        for c in [StaffCall::Offline, StaffCall::Refused] {
            out.push(t.invoke_staff_call(c, "Window 3".into()));
        }
        out.push(t.invoke_remaining(65));
        out
    };
    // The application's texts: each value of each enum its own text.
    let groups = |t: &Texts<'_>| -> Vec<Vec<slint::SharedString>> {
        let mut out = Vec::new();
        use kiosk_ui::{
            ApplyField as F, ApplyPage as P, DocumentKind as D, IdentityStage as I,
            ReviewItem as R, ReviewSection as S, SealRoleKind,
        };
        let mut group = Vec::new();
        for p in [
            P::Project,
            P::Unit,
            P::Handler,
            P::Holders,
            P::Invoice,
            P::Pickup,
        ] {
            group.push(t.invoke_apply_page(p));
        }
        out.push(group);
        let mut group = Vec::new();
        for f in [
            F::UnitName,
            F::Uscc,
            F::UnitAddress,
            F::HandlerName,
            F::HandlerId,
            F::HandlerMobile,
            F::HolderName,
            F::HolderEnterpriseNumber,
            F::HolderUserNumber,
            F::InvoiceTitle,
            F::TaxpayerId,
            F::Email,
            F::Courier,
            F::Recipient,
            F::RecipientPhone,
            F::Address,
        ] {
            group.push(t.invoke_apply_field(f));
        }
        out.push(group);
        let mut group = Vec::new();
        for r in [SealRoleKind::Trader, SealRoleKind::Settler] {
            group.push(t.invoke_seal_role(r));
            group.push(t.invoke_seal_role_short(r));
            group.push(t.invoke_document(D::HolderId, 1, r));
        }
        for d in [D::ApplicationForm, D::BusinessLicence, D::HandlerId] {
            group.push(t.invoke_document(d, 0, SealRoleKind::Trader));
        }
        let stages = [
            I::InPersonOnly,
            I::TakePhoto,
            I::Taking,
            I::NoFace,
            I::AskUpload,
            I::Queued,
            I::Verified,
            I::NotMatched,
            I::ConfirmedInPerson,
        ];
        out.push(group);
        let mut group = Vec::new();
        for i in stages {
            group.push(t.invoke_identity_stage(i));
        }
        out.push(group);
        let mut group = Vec::new();
        for h in [
            kiosk_ui::FaceHint::None,
            kiosk_ui::FaceHint::NoFace,
            kiosk_ui::FaceHint::TooFar,
            kiosk_ui::FaceHint::TooClose,
            kiosk_ui::FaceHint::OffCentre,
            kiosk_ui::FaceHint::TooDark,
            kiosk_ui::FaceHint::Blurred,
            kiosk_ui::FaceHint::MoreThanOne,
            kiosk_ui::FaceHint::Good,
        ] {
            group.push(t.invoke_face_hint(h));
        }
        out.push(group);
        let mut group = Vec::new();
        for item in [
            R::Project,
            R::Amount,
            R::UnitName,
            R::Uscc,
            R::UnitAddress,
            R::HandlerName,
            R::HandlerId,
            R::HandlerMobile,
            R::Trader,
            R::Settler,
            R::InvoiceTitle,
            R::TaxpayerId,
            R::Email,
            R::PickupMail,
            R::Recipient,
            R::RecipientPhone,
            R::Address,
            R::Documents,
            R::Identity,
        ] {
            group.push(t.invoke_review_item(item));
        }
        out.push(group);
        let mut group = Vec::new();
        for section in [
            S::Project,
            S::Unit,
            S::Handler,
            S::Holders,
            S::Invoice,
            S::Pickup,
            S::Documents,
            S::Identity,
        ] {
            group.push(t.invoke_review_section(section));
        }
        out.push(group);
        let mut group = Vec::new();
        for item in [R::PickupMail, R::PickupOnSite] {
            group.push(t.invoke_review_value(kiosk_ui::ReviewRow {
                item,
                ..Default::default()
            }));
        }
        for identity in [I::Verified, I::Queued, I::ConfirmedInPerson, I::TakePhoto] {
            group.push(t.invoke_review_value(kiosk_ui::ReviewRow {
                item: R::Identity,
                identity,
                ..Default::default()
            }));
        }
        out.push(group);
        // 企业账户: its pages, what the CA said, what the form lacks.
        use kiosk_ui::{AccountPage as AP, AccountProblem as AQ, AccountSaid as AS};
        out.push(
            [
                AP::SignIn,
                AP::Register,
                AP::Forgot,
                AP::Unit,
                AP::ChangePassword,
                AP::ChangeMobile,
            ]
            .map(|p| t.invoke_account_page(p))
            .to_vec(),
        );
        let mut said: Vec<_> = [
            AS::CodeSent,
            AS::Registered,
            AS::PasswordReset,
            AS::PasswordChanged,
            AS::MobileChanged,
            AS::SignedOut,
            AS::SignInFailed,
            AS::Locked,
            AS::AccountExists,
            AS::CodeWrong,
            AS::CodeExpired,
            AS::TooSoon,
            AS::MobileNotOnFile,
            AS::PasswordWrong,
            AS::SessionEnded,
            AS::Invalid,
            AS::Refused,
            AS::Offline,
            AS::Retype,
        ]
        .map(|s| t.invoke_account_said(s, 0))
        .to_vec();
        said.push(t.invoke_account_said(AS::Locked, 600));
        said.push(t.invoke_account_said(AS::TooSoon, 42));
        out.push(said);
        out.push(
            [
                AQ::UnitName,
                AQ::Uscc,
                AQ::Mobile,
                AQ::Code,
                AQ::PasswordEmpty,
                AQ::PasswordTooShort,
                AQ::PasswordTooLong,
                AQ::PasswordLettersDigits,
                AQ::PasswordCharacters,
                AQ::PasswordSameAsUscc,
                AQ::PasswordMismatch,
            ]
            .map(|p| t.invoke_account_problem(p))
            .to_vec(),
        );
        out
    };
    let zh_groups = groups(&t);
    let zh = all(&t);
    ui.set_lang(Lang::En);
    let en_groups = groups(&t);
    let en = all(&t);
    for (zh, en) in zh_groups.iter().zip(&en_groups) {
        let distinct: std::collections::HashSet<_> = zh.iter().collect();
        assert_eq!(distinct.len(), zh.len(), "{zh:?}");
        for (zh, en) in zh.iter().zip(en) {
            assert!(!zh.is_empty() && zh != en, "not translated: {zh}");
            assert!(
                !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "Chinese left in {en:?}"
            );
        }
    }
    for (zh, en) in zh.iter().zip(&en) {
        assert!(!zh.is_empty(), "a value says nothing");
        assert_ne!(zh, en, "not translated: {zh}");
        assert!(
            !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese left in {en:?}"
        );
    }
    // Each value its own text (no value falls back to another's).
    let distinct: std::collections::HashSet<_> = zh.iter().collect();
    assert_eq!(distinct.len(), zh.len());
    // The empty values say nothing.
    assert_eq!(t.invoke_notice(NoticeMessage::None), "");
    assert_eq!(t.invoke_staff_call(StaffCall::None, "Window 3".into()), "");
    assert_eq!(t.invoke_pin_warning(PinWarning::None, 0), "");
    assert_eq!(
        t.invoke_lookup_problem(LookupProblem::None, LookupDetail::default()),
        ""
    );
    assert_eq!(t.invoke_remaining(65), "1 min 05 s");
    // The search failing is the kiosk's fault, and says so in the same words.
    assert_eq!(
        t.invoke_lookup_problem(LookupProblem::Fault, LookupDetail::default()),
        t.invoke_notice(NoticeMessage::KioskFault)
    );
    let hint = t.invoke_lookup_problem(
        LookupProblem::NumberBadChar,
        LookupDetail {
            position: 6,
            found: "S".into(),
            meant: "5".into(),
            ..LookupDetail::default()
        },
    );
    assert_eq!(
        hint,
        "Character 6 (S) of the order number is not valid. The letter S never appears here; did you mean 5? Please check the number on your slip."
    );
}

fn luminance(c: slint::Color) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.039_28 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())
}

fn contrast(a: slint::Color, b: slint::Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn every_colour_pair_of_both_themes_has_contrast_4_5() {
    let (ui, _) = setup();
    for large in [false, true] {
        ui.set_large_mode(large);
        let pairs = ui.window().global::<Theme>().get_pairs();
        assert!(pairs.row_count() >= 10);
        for p in pairs.iter() {
            let ratio = contrast(p.fg, p.bg);
            assert!(ratio >= 4.5, "{} (large {large}): {ratio:.2}", p.name);
        }
    }
}

#[test]
fn text_sizes_meet_the_minimums_in_both_modes() {
    let (ui, _) = setup();
    for large in [false, true] {
        ui.set_large_mode(large);
        let t = ui.window().global::<Theme>();
        assert!(t.get_font_body() >= 30.0);
        for size in [
            t.get_font_small(),
            t.get_font_body(),
            t.get_font_button(),
            t.get_font_heading(),
            t.get_font_title(),
        ] {
            assert!(size >= 18.0);
        }
        assert!(t.get_touch() >= if large { 90.0 } else { 60.0 });
    }
}

#[test]
fn every_touch_target_on_every_screen_is_large_enough() {
    let (ui, _) = setup();
    for (w, h) in [(1080.0, 1920.0), (1920.0, 1080.0)] {
        ui.window().window().set_size(LogicalSize::new(w, h));
        for large in [false, true] {
            ui.set_large_mode(large);
            let min = if large { 90.0 } else { 60.0 };
            for (name, scene) in scenes::all() {
                scenes::show(&ui, &scene);
                let _ = ui.window().window().take_snapshot().unwrap();
                let buttons: Vec<_> =
                    ElementHandle::find_by_element_type_name(ui.window(), "KButton")
                        .chain(ElementHandle::find_by_element_type_name(
                            ui.window(),
                            "Tile",
                        ))
                        .collect();
                assert!(!buttons.is_empty(), "{name}: no touch target found");
                for b in buttons {
                    let size = b.size();
                    let label = b.accessible_label().unwrap_or_default();
                    assert!(
                        !label.is_empty(),
                        "{name}: a touch target without accessible-label"
                    );
                    assert!(
                        size.width >= min && size.height >= min,
                        "{name} {w}x{h} large={large}: {label:?} is {}x{}",
                        size.width,
                        size.height
                    );
                }
            }
        }
    }
}

struct Rect {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl Rect {
    fn of(e: &ElementHandle) -> Self {
        let (p, s) = (e.absolute_position(), e.size());
        Self {
            x: p.x,
            y: p.y,
            w: s.width,
            h: s.height,
        }
    }

    fn intersects(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// Inside `o`, give or take a pixel.
    fn inside(&self, o: &Rect) -> bool {
        self.x >= o.x - 1.0
            && self.y >= o.y - 1.0
            && self.x + self.w <= o.x + o.w + 1.0
            && self.y + self.h <= o.y + o.h + 1.0
    }
}

/// Nothing a customer must read or touch is cut off or hidden until
/// scrolled, on any screen, in either orientation, mode or language: every
/// text and button lies inside the window, above the status strip, and
/// wholly inside the scrolling area it is in (if any). Only the entries of
/// the lists that say they scroll (选择证书's cards, 帮助中心's answers,
/// 补打凭条 and 上传队列's entries, 设备诊断's report) may run on.
#[test]
fn every_text_and_button_is_in_view_on_every_screen() {
    let (ui, _) = setup();
    let list_entries = [
        "CertificateCard",
        "FaqCard",
        "ReviewLine",
        "ReprintCard",
        "QueueCard",
        "StoreCard",
        "PartCard",
    ];
    let mut problems = Vec::new();
    for (w, h) in [(1080.0, 1920.0), (1920.0, 1080.0)] {
        ui.window().window().set_size(LogicalSize::new(w, h));
        for lang in [Lang::ZhCn, Lang::En] {
            ui.set_lang(lang);
            for large in [false, true] {
                ui.set_large_mode(large);
                for (name, scene) in scenes::all() {
                    scenes::show(&ui, &scene);
                    let _ = ui.window().window().take_snapshot().unwrap();
                    let strip =
                        ElementHandle::find_by_element_type_name(ui.window(), "StatusStrip")
                            .next()
                            .map(|e| Rect::of(&e))
                            .unwrap();
                    let screen = Rect {
                        x: 0.0,
                        y: 0.0,
                        w,
                        h: strip.y,
                    };
                    let scrolls: Vec<Rect> =
                        ElementHandle::find_by_element_type_name(ui.window(), "Scroll")
                            .map(|e| Rect::of(&e))
                            .collect();
                    let entries: Vec<Rect> = list_entries
                        .into_iter()
                        .flat_map(|t| ElementHandle::find_by_element_type_name(ui.window(), t))
                        .map(|e| Rect::of(&e))
                        .collect();
                    let items = ["Text", "KButton", "Tile", "Notice"]
                        .into_iter()
                        .flat_map(|t| ElementHandle::find_by_element_type_name(ui.window(), t));
                    for item in items {
                        let r = Rect::of(&item);
                        if r.w == 0.0 || r.h == 0.0 {
                            continue;
                        }
                        let what = item.accessible_label().unwrap_or_default();
                        let at = format!("{name} {w}x{h} {lang:?} large={large}: {what:?}");
                        if item.type_name().as_deref() == Some("Text") && r.inside(&strip) {
                            continue; // the strip's own texts
                        }
                        if entries.iter().any(|e| r.inside(e)) {
                            continue; // an entry of a list that scrolls
                        }
                        if !r.inside(&screen) {
                            problems.push(format!("{at} is cut off"));
                        } else if scrolls.iter().any(|s| s.intersects(&r) && !r.inside(s)) {
                            problems.push(format!("{at} is hidden until scrolled"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The field labelled `label` (its text input, not the caption above it).
fn field(ui: &KioskUi, label: &str) -> ElementHandle {
    ElementHandle::find_by_accessible_label(ui.window(), label)
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::TextInput))
        .unwrap_or_else(|| panic!("no field labelled {label:?}"))
}

fn tap(ui: &KioskUi, label: &str) {
    find(ui, label).mock_single_click(slint::platform::PointerEventButton::Left);
}

#[test]
fn lookup_fields_are_typed_on_the_keyboard_that_fits_them_and_keys_stay_put() {
    let (ui, _events) = setup();
    ui.show_screen(kiosk_ui::Screen::Lookup);
    assert!(
        ElementHandle::find_by_accessible_label(ui.window(), "键盘")
            .next()
            .is_none(),
        "no keyboard before a field is touched"
    );
    field(&ui, "订单号码").mock_single_click(slint::platform::PointerEventButton::Left);
    // The order number takes upper-case letters and digits.
    let before = find(&ui, "T").absolute_position();
    for key in ["T", "Y", "A", "2", "0", "2", "6"] {
        tap(&ui, key);
        assert_eq!(
            find(&ui, "T").absolute_position(),
            before,
            "keys moved after {key}"
        );
    }
    let lookup = ui.window().global::<kiosk_ui::LookupAdapter>();
    assert_eq!(lookup.get_order_number(), "TYA2026");
    // The mobile gets the digit pad: no letters on it.
    field(&ui, "手机号码").mock_single_click(slint::platform::PointerEventButton::Left);
    assert!(
        ElementHandle::find_by_accessible_label(ui.window(), "T")
            .next()
            .is_none(),
        "a mobile is typed on digits only"
    );
    // A pad in three columns: 0 under 8, 8 under 5, 完成 below them all.
    let (k0, k5, k8) = (
        find(&ui, "0").absolute_position(),
        find(&ui, "5").absolute_position(),
        find(&ui, "8").absolute_position(),
    );
    assert_eq!((k0.x, k5.x), (k8.x, k8.x), "0, 5 and 8 in one column");
    assert!(
        k5.y < k8.y && k8.y < k0.y,
        "rows in order: {k5:?} {k8:?} {k0:?}"
    );
    assert!(find(&ui, "完成").absolute_position().y > k0.y);
    for key in ["1", "3", "8", "删除", "9"] {
        tap(&ui, key);
    }
    assert_eq!(lookup.get_mobile(), "139");
    assert_eq!(lookup.get_order_number(), "TYA2026", "the other field kept");
    tap(&ui, "完成");
    assert!(
        ElementHandle::find_by_accessible_label(ui.window(), "键盘")
            .next()
            .is_none(),
        "完成 closes the keyboard"
    );
}

/// Every problem a field can show says, word for word, what the domain's
/// `Localized` message says, in both languages.
#[test]
fn field_problems_say_what_the_domain_says() {
    use kiosk_domain::lang::Localized;
    use kiosk_ui::view_model::fields;
    fn both<T, E: Localized>(
        out: &mut Vec<(kiosk_ui::FieldCheck, String, String)>,
        domain: Result<T, E>,
        shown: Result<T, kiosk_ui::FieldCheck>,
    ) {
        let (Err(e), Err(c)) = (domain, shown) else {
            panic!("both must refuse");
        };
        out.push((c, e.message(Lang::ZhCn), e.message(Lang::En)));
    }
    let mut cases = Vec::new();
    let long = |n| "张".repeat(n);
    for text in ["", "  ", &long(31), "张\u{7}三"] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::order::text::PersonName>(),
            fields::person_name(text),
        );
    }
    for text in ["", &long(101), "山西\u{1b}公司"] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::order::text::UnitName>(),
            fields::unit_name(text),
        );
    }
    for text in ["", "1391a", "139", "139123456789", "23912345678"] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::ids::MobileNumber>(),
            fields::mobile(text),
        );
    }
    let long_mail = format!("{}@example.com", "a".repeat(250));
    for text in [
        "",
        &long_mail,
        "finance.example.com",
        "a b@example.com",
        "zhang@-x",
    ] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::ids::Email>(),
            fields::email(text),
        );
    }
    for text in [
        "",
        "9111010855138",
        "91110108551385O82Q",
        "911101085513850823",
        "91A10108551385082Q",
        "91110108551385082A",
        "1101085513850A2",
    ] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::ids::TaxpayerId>(),
            fields::taxpayer_id(text),
        );
    }
    for text in [
        "",
        "9111010855138",
        "91110108551385O82Q",
        "91A10108551385082Q",
        "911101085513850823",
        "91110108551385082A",
    ] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::ids::Uscc>(),
            fields::uscc(text),
        );
    }
    for text in [
        "",
        "1101051949",
        "11010519491231002Y",
        "1101051949123100A2",
        "110105194913310021",
        "110105194912310021",
    ] {
        both(
            &mut cases,
            text.parse::<kiosk_domain::ids::ResidentId>(),
            fields::resident_id(text),
        );
    }
    let mut problems: Vec<String> = cases
        .iter()
        .map(|(c, ..)| format!("{:?}/{:?}", c.checked_as, c.problem))
        .collect();
    problems.sort();
    problems.dedup();
    assert!(
        problems.len() >= 30,
        "only {} kinds of problem covered",
        problems.len()
    );

    let (ui, _events) = setup();
    let texts = ui.window().global::<Texts>();
    for lang in [Lang::ZhCn, Lang::En] {
        ui.set_lang(lang);
        for (check, zh, en) in &cases {
            let want = if lang == Lang::ZhCn { zh } else { en };
            assert_eq!(
                texts.invoke_field_problem(check.clone()).as_str(),
                want.as_str(),
                "{check:?}"
            );
        }
    }
}

fn button(ui: &KioskUi, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui.window(), label)
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
}

/// Types `pinyin` on the letter keys, then picks from the candidate bar,
/// page by page, the longest candidate that starts what is still wanted,
/// until `want` is typed. Returns the taps it took.
fn type_pinyin(ui: &KioskUi, pinyin: &str, want: &str) -> usize {
    let mut taps = 0;
    for letter in pinyin.chars() {
        tap(ui, &letter.to_string());
        taps += 1;
    }
    let mut left = want.to_owned();
    while !left.is_empty() {
        let mut pages = 0;
        let best = loop {
            let shown: Vec<String> = ui
                .window()
                .global::<kiosk_ui::KeyboardAdapter>()
                .get_candidates()
                .iter()
                .map(|c| c.to_string())
                .collect();
            let best = shown
                .iter()
                .filter(|c| left.starts_with(c.as_str()))
                .max_by_key(|c| c.chars().count())
                .cloned();
            if let Some(best) = best {
                break best;
            }
            pages += 1;
            assert!(pages < 20, "{left:?} not offered for {pinyin:?}: {shown:?}");
            tap(ui, "下一页");
            taps += 1;
        };
        button(ui, &best)
            .unwrap_or_else(|| panic!("no key {best:?}"))
            .mock_single_click(slint::platform::PointerEventButton::Left);
        taps += 1;
        left = left[best.len()..].to_owned();
    }
    taps
}

fn tap_keys(ui: &KioskUi, keys: &str) {
    for key in keys.chars() {
        tap(ui, &key.to_string());
    }
}

/// The renewal goes on with nothing on file: every detail typed on the
/// keyboard's keys (by label, as a finger would), checked as typed, and
/// confirmed as typed.
#[test]
fn confirm_details_are_typed_on_the_keyboard_and_confirmed_as_typed() {
    let (ui, events) = setup();
    let state = RenewalState::ConfirmingInfo {
        session: scenes::S,
        certificate: fixtures::certificate(),
        ca_online: false,
        on_file: kiosk_domain::flow::renewal::HolderLookup::NotAsked,
    };
    ui.show_renewal(&state, &scenes::ctx(), true);
    let confirm = ui.window().global::<kiosk_ui::ConfirmAdapter>();
    assert_eq!(confirm.get_attention(), kiosk_ui::ConfirmField::Contact);
    assert!(
        button(&ui, "请填写：联系人").is_some(),
        "the button names the field"
    );

    field(&ui, "联系人").mock_single_click(slint::platform::PointerEventButton::Left);
    let keys_at = find(&ui, "q").absolute_position();
    type_pinyin(&ui, "lisi", "李四");
    assert_eq!(find(&ui, "q").absolute_position(), keys_at, "keys moved");
    assert_eq!(confirm.get_contact(), "李四");

    // A 12-digit mobile is refused beside the field; nothing typed is lost.
    field(&ui, "联系电话").mock_single_click(slint::platform::PointerEventButton::Left);
    tap_keys(&ui, "139123456789");
    assert_eq!(confirm.get_mobile(), "139123456789");
    assert_eq!(
        confirm.get_mobile_check().problem,
        kiosk_ui::FieldProblem::Length
    );
    assert!(
        ElementHandle::find_by_accessible_label(
            ui.window(),
            "手机号码应为11位数字，您输入了12位，请核对"
        )
        .next()
        .is_some(),
        "the domain's message beside the field"
    );
    tap(&ui, "删除");
    assert_eq!(
        confirm.get_mobile_check().problem,
        kiosk_ui::FieldProblem::None
    );
    assert_eq!(
        confirm.get_attention(),
        kiosk_ui::ConfirmField::InvoiceTitle
    );
    assert!(
        button(&ui, "请填写：单位名称").is_some(),
        "empty: to be filled in"
    );

    // The unit's name, phrase by phrase from full pinyin.
    field(&ui, "单位名称").mock_single_click(slint::platform::PointerEventButton::Left);
    let field_box = |label| {
        let f = field(&ui, label);
        (f.absolute_position().y, f.size().height)
    };
    let keyboard_top = find(&ui, "键盘").absolute_position().y;
    let (top, height) = field_box("单位名称");
    assert!(
        top >= 0.0 && top + height <= keyboard_top,
        "the field being typed in is above the keyboard: {top}+{height} > {keyboard_top}"
    );
    type_pinyin(&ui, "shanxijiaomeijituan", "山西焦煤集团");
    type_pinyin(&ui, "youxianzerengongsi", "有限责任公司");
    assert_eq!(confirm.get_invoice_title(), "山西焦煤集团有限责任公司");

    // A taxpayer ID with a letter O where 0 belongs: the hint says so.
    field(&ui, "纳税人识别号").mock_single_click(slint::platform::PointerEventButton::Left);
    let (top, height) = field_box("纳税人识别号");
    assert!(top + height <= find(&ui, "键盘").absolute_position().y);
    // (Older forms of taxpayer ID may hold an O: it is known to be wrong
    // once all 18 characters are there.)
    tap_keys(&ui, "91110108551385O82Q");
    assert!(
        button(&ui, "请核对：纳税人识别号").is_some(),
        "wrong: to be corrected"
    );
    assert_eq!(
        (
            confirm.get_taxpayer_id_check().problem,
            confirm.get_taxpayer_id_check().meant.as_str()
        ),
        (kiosk_ui::FieldProblem::BadChar, "0")
    );
    assert!(
        ElementHandle::find_by_accessible_label(
            ui.window(),
            "纳税人识别号第15位“O”有误，这里不会出现字母O，是否应为“0”？请核对营业执照或税务登记证"
        )
        .next()
        .is_some(),
        "the hint beside the field"
    );
    for _ in 0..4 {
        tap(&ui, "删除");
    }
    // A wrong check character: the domain's words, and nothing typed lost.
    tap_keys(&ui, "082A");
    assert_eq!(confirm.get_taxpayer_id(), "91110108551385082A");
    assert!(
        ElementHandle::find_by_accessible_label(
            ui.window(),
            "纳税人识别号有误，可能输错了某一位，请对照营业执照逐位核对"
        )
        .next()
        .is_some(),
        "the check character refused beside the field"
    );
    tap(&ui, "删除");
    tap(&ui, "Q");
    assert_eq!(confirm.get_taxpayer_id(), "91110108551385082Q");

    field(&ui, "邮箱").mock_single_click(slint::platform::PointerEventButton::Left);
    let (top, height) = field_box("邮箱");
    assert!(top + height <= find(&ui, "键盘").absolute_position().y);
    tap_keys(&ui, "li.si@example.com");
    assert_eq!(confirm.get_email(), "li.si@example.com");
    tap(&ui, "完成");

    assert_eq!(confirm.get_attention(), kiosk_ui::ConfirmField::None);
    find(&ui, "确认并提交").mock_single_click(slint::platform::PointerEventButton::Left);
    let confirmed = events.borrow().iter().find_map(|e| match e {
        UiEvent::Renewal(kiosk_ui::RenewalInput::ConfirmInfo(d)) => Some(d.as_ref().clone()),
        _ => None,
    });
    let (contact, invoice) = confirmed.expect("confirmed");
    assert_eq!(contact.name.as_str(), "李四");
    assert_eq!(contact.mobile.as_str(), "13912345678");
    assert_eq!(invoice.title.as_str(), "山西焦煤集团有限责任公司");
    assert_eq!(invoice.taxpayer_id.as_str(), "91110108551385082Q");
    assert_eq!(invoice.email.as_str(), "li.si@example.com");

    // Submitted: shown masked, no longer editable.
    let submitted = RenewalState::CreatingOrder {
        session: scenes::S,
        certificate: fixtures::certificate(),
        contact,
        invoice,
        ca_online: false,
    };
    ui.show_renewal(&submitted, &scenes::ctx(), true);
    assert_eq!(confirm.get_contact(), "李*");
    assert!(
        !confirm.get_mobile().contains("1234"),
        "{}",
        confirm.get_mobile()
    );
    assert!(
        ElementHandle::find_by_accessible_label(ui.window(), "联系人").all(
            |e| e.accessible_role() != Some(i_slint_backend_testing::AccessibleRole::TextInput)
        ),
        "no field left to type in"
    );
}

/// Pressing the button with fields unfinished says, beside each, what is
/// missing; the details on file fill only the fields not typed in.
#[test]
fn unfinished_fields_speak_when_asked_to_go_on_and_the_ca_fills_only_empty_ones() {
    let (ui, events) = setup();
    let asking = RenewalState::ConfirmingInfo {
        session: scenes::S,
        certificate: fixtures::certificate(),
        ca_online: true,
        on_file: kiosk_domain::flow::renewal::HolderLookup::Asking,
    };
    ui.show_renewal(&asking, &scenes::ctx(), true);
    let confirm = ui.window().global::<kiosk_ui::ConfirmAdapter>();
    field(&ui, "联系电话").mock_single_click(slint::platform::PointerEventButton::Left);
    tap_keys(&ui, "139");
    assert_eq!(
        confirm.get_mobile_check().problem,
        kiosk_ui::FieldProblem::None,
        "not yet: still typing"
    );
    tap(&ui, "完成");
    find(&ui, "请填写：联系人").mock_single_click(slint::platform::PointerEventButton::Left);
    assert_eq!(
        confirm.get_contact_check().problem,
        kiosk_ui::FieldProblem::Empty
    );
    assert_eq!(
        confirm.get_mobile_check().problem,
        kiosk_ui::FieldProblem::Length
    );
    assert!(events.borrow().is_empty(), "nothing confirmed");
    // The CA answers: its details go where nothing was typed.
    let on_file = match fixtures::renewal_order(1).details {
        kiosk_domain::order::OrderDetails::Renewal(d) => (d.contact, d.invoice),
        kiosk_domain::order::OrderDetails::Application(_) => unreachable!(),
    };
    let found = RenewalState::ConfirmingInfo {
        session: scenes::S,
        certificate: fixtures::certificate(),
        ca_online: true,
        on_file: kiosk_domain::flow::renewal::HolderLookup::Found(Box::new(on_file.clone())),
    };
    ui.show_renewal(&found, &scenes::ctx(), true);
    assert_eq!(confirm.get_contact(), on_file.0.name.as_str());
    assert_eq!(confirm.get_mobile(), "139", "what the customer typed stays");
    assert_eq!(confirm.get_email(), on_file.1.email.as_str());
    assert_eq!(confirm.get_attention(), kiosk_ui::ConfirmField::Mobile);
}

/// The PIN pad's keys stay where they are from the first key to the last,
/// in both orientations and both sizes, after a wrong PIN too; the letter
/// layer (for keys whose PIN is not only digits) keeps 删除, 确定 and its
/// own switch in place, and the letters reach the PIN, never a property.
#[test]
fn pin_pad_keys_stay_put_while_typing_and_letters_reach_the_pin() {
    let (ui, events) = setup();
    let wrong = Some(PinOutcome::Wrong {
        tries_left: Some(2),
        final_try: false,
    });
    for (width, height) in [(1080.0, 1920.0), (1920.0, 1080.0)] {
        ui.window()
            .window()
            .set_size(LogicalSize::new(width, height));
        for large in [false, true] {
            ui.set_large_mode(large);
            for last in [None, wrong] {
                let state = RenewalState::EnteringPin {
                    session: scenes::S,
                    purpose: PinPurpose::Renew(fixtures::certificate()),
                    ca_online: true,
                    last,
                };
                ui.show_renewal(&state, &scenes::ctx(), true);
                let keys = ["1", "5", "9", "0", "删除", "确定", "字母"];
                let at = |ui: &KioskUi| -> Vec<_> {
                    keys.iter()
                        .map(|k| {
                            let e = button(ui, k).unwrap_or_else(|| panic!("no key {k}"));
                            (e.absolute_position(), e.size())
                        })
                        .collect()
                };
                let before = at(&ui);
                for d in ["1", "2", "3", "4", "5", "6"] {
                    tap(&ui, d);
                    assert_eq!(
                        at(&ui),
                        before,
                        "keys moved after {d} ({width}x{height}, large {large}, {last:?})"
                    );
                }
                for (_, size) in &before {
                    assert!(size.width >= 72.0 && size.height >= 72.0, "{size:?}");
                }
                // Letters: the switch, 删除 and 确定 stay where they were.
                tap(&ui, "字母");
                let fixed = |ui: &KioskUi| -> Vec<_> {
                    ["删除", "确定"]
                        .iter()
                        .map(|k| button(ui, k).unwrap().absolute_position())
                        .collect()
                };
                assert_eq!(fixed(&ui), vec![before[4].0, before[5].0]);
                let switch = button(&ui, "数字").expect("the way back to digits");
                assert_eq!(switch.absolute_position(), before[6].0);
                let a = button(&ui, "a").expect("letter keys");
                assert!(
                    a.size().width >= 56.0 && a.size().height >= 72.0,
                    "{:?}",
                    a.size()
                );
                tap(&ui, "a");
                tap(&ui, "大写");
                tap(&ui, "B");
                assert!(
                    button(&ui, "c").is_some(),
                    "one letter in upper case, then back"
                );
                assert_eq!(fixed(&ui), vec![before[4].0, before[5].0]);
                tap(&ui, "数字");
                tap(&ui, "确定");
                let pin = match events.borrow_mut().pop() {
                    Some(UiEvent::Pin(pin)) => pin,
                    other => panic!("no PIN: {other:?}"),
                };
                assert_eq!(pin.expose(), b"123456aB");
                assert!(
                    ElementHandle::find_by_element_type_name(ui.window(), "Text")
                        .filter_map(|e| e.accessible_label())
                        .all(|t| !t.contains("aB")),
                    "no letter of the PIN on the screen"
                );
            }
        }
    }
}

/// Nothing a customer must press is cut off: on every scene (the keyboard's
/// layouts included), in both orientations, both sizes and both languages,
/// no button is partly hidden (under the status strip, by the edge of the
/// area that scrolls it, past the window's edge), and the first
/// certificate's 更新此证书 is wholly in view. (A button wholly below the
/// fold of a list that scrolls is reached by scrolling; the lists say so.)
#[test]
fn every_button_of_every_screen_is_wholly_in_view_or_scrolled_away() {
    let (ui, _events) = setup();
    let mut problems = Vec::new();
    for (width, height) in [(1080.0_f32, 1920.0_f32), (1920.0, 1080.0)] {
        ui.window()
            .window()
            .set_size(LogicalSize::new(width, height));
        for large in [false, true] {
            ui.set_large_mode(large);
            for lang in [Lang::ZhCn, Lang::En] {
                ui.set_lang(lang);
                for (name, scene) in scenes::all() {
                    scenes::show(&ui, &scene);
                    let online = if lang == Lang::ZhCn {
                        "● 在线"
                    } else {
                        "● Online"
                    };
                    let strip_top = ElementHandle::find_by_accessible_label(ui.window(), online)
                        .next()
                        .map_or(height, |e| e.absolute_position().y);
                    let buttons: Vec<_> =
                        ElementHandle::query_descendants(&ui.window().root_element())
                            .match_accessible_role(i_slint_backend_testing::AccessibleRole::Button)
                            .find_all()
                            .into_iter()
                            .collect();
                    // Scrolled areas clip what they hold.
                    let scrolls: Vec<_> =
                        ElementHandle::find_by_element_type_name(ui.window(), "Flickable")
                            .map(|f| (f.absolute_position(), f.size()))
                            .collect();
                    for b in &buttons {
                        let (p, s) = (b.absolute_position(), b.size());
                        let label = b.accessible_label().unwrap_or_default();
                        let case = format!(
                            "{name} {width}x{height} large={large} {lang:?}: {label:?} at {p:?} {s:?}"
                        );
                        if p.x < -0.5 || p.x + s.width > width + 0.5 {
                            problems.push(format!("past an edge: {case}"));
                        }
                        let bottom = p.y + s.height;
                        if p.y < strip_top - 0.5 && bottom > strip_top + 0.5 {
                            problems.push(format!("cut by the status strip: {case}"));
                        }
                        for (fp, fs) in &scrolls {
                            let inside_x =
                                p.x >= fp.x - 0.5 && p.x + s.width <= fp.x + fs.width + 0.5;
                            let (top, end) = (fp.y, fp.y + fs.height);
                            let overlaps = inside_x && p.y < end && bottom > top;
                            if overlaps && (p.y < top - 0.5 || bottom > end + 0.5) {
                                problems.push(format!(
                                    "cut by its scrolled area ({fp:?} {fs:?}): {case}"
                                ));
                            }
                        }
                    }
                    if name == "07-choose-certificate" {
                        let renew = if lang == Lang::ZhCn {
                            "更新此证书"
                        } else {
                            "Renew this one"
                        };
                        let first = button(&ui, renew).expect("the first card's button");
                        let (p, s) = (first.absolute_position(), first.size());
                        let (fp, fs) = scrolls[0];
                        if p.y < fp.y || p.y + s.height > fp.y + fs.height {
                            problems.push(format!("the first 更新此证书 not in view: {width}x{height} large={large} {lang:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// 企业账户: a code sent leaves what was typed; an answered request that
/// used the passwords and the code takes them off the screen; the
/// application starts with the signed-in unit.
#[test]
fn account_secrets_leave_the_screen_once_used_and_the_unit_starts_an_application() {
    use kiosk_domain::account::{AccountInfo, AccountUnit};
    use kiosk_domain::flow::account::{AccountState, Desk, Page, Request, Said};
    use kiosk_domain::ports::account::CodePurpose;
    let (ui, events) = setup();
    let desk = |page, asking, said, signed_in: bool| {
        AccountState::Open(Box::new(Desk {
            session: SessionId(3),
            page,
            account: signed_in.then(|| AccountInfo {
                unit: AccountUnit {
                    name: "山西示例煤业有限公司".parse().unwrap(),
                    uscc: fixtures::USCC.parse().unwrap(),
                },
                mobile: fixtures::MOBILE.parse().unwrap(),
                registered_at: time::macros::datetime!(2026-11-02 09:00 +08:00),
            }),
            asking,
            said,
            reachable: Some(true),
            review: kiosk_domain::flow::account::ReviewDocuments::default(),
        }))
    };
    ui.show_account(&desk(Page::Register, None, None, false), &[]);
    let a = ui.window().global::<kiosk_ui::AccountAdapter>();
    a.set_password("abc12345".into());
    a.set_password_again("abc12345".into());
    a.set_code("123456".into());
    let code = Request::SendCode {
        mobile: fixtures::MOBILE.parse().unwrap(),
        purpose: CodePurpose::Register,
        uscc: Some(fixtures::USCC.parse().unwrap()),
    };
    ui.show_account(&desk(Page::Register, Some(code), None, false), &[]);
    ui.show_account(
        &desk(
            Page::Register,
            None,
            Some(Said::CodeSent {
                resend_after_secs: 60,
            }),
            false,
        ),
        &[],
    );
    assert_eq!(a.get_password(), "abc12345", "a code sent keeps the form");
    assert_eq!(a.get_code(), "123456");
    let register = Request::Register {
        unit_name: "山西示例煤业有限公司".parse().unwrap(),
        uscc: fixtures::USCC.parse().unwrap(),
        mobile: fixtures::MOBILE.parse().unwrap(),
    };
    ui.show_account(&desk(Page::Register, Some(register), None, false), &[]);
    ui.show_account(
        &desk(Page::SignIn, None, Some(Said::Registered), false),
        &[],
    );
    assert_eq!(a.get_password(), "");
    assert_eq!(a.get_password_again(), "");
    assert_eq!(a.get_code(), "");

    ui.show_account(&desk(Page::Unit, None, None, true), &[]);
    assert_eq!(a.get_mobile(), "138****8000");
    events.borrow_mut().clear();
    a.invoke_apply();
    assert!(
        matches!(
            events.borrow().as_slice(),
            [UiEvent::Application(kiosk_ui::ApplicationInput::StartFor(unit))]
                if unit.uscc.as_str() == fixtures::USCC
        ),
        "{:?}",
        events.borrow()
    );
}
