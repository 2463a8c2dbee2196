//! A whole renewal through the kiosk's real screens (Slint's testing
//! backend, driven by accessible labels as a customer touches them), on a
//! SoftHSM2 token, against the reference CA service on 127.0.0.1: the QR code
//! on the screen is read back from a screenshot and paid through the CA's
//! payment simulator, the new certificate is issued, checked and written.
//! A renewal prepared while the CA cannot be reached: the details typed on
//! the on-screen keyboard (nothing on file could be fetched), the order kept
//! and receipted for the counter, the unit name's words learned and kept.
//! And an install interrupted by a CA outage, recovered with 重新安装; and one
//! cut by a power failure (the runtime torn down mid-install), recovered
//! after the restart.
//!
//! SoftHSM2 reads `SOFTHSM2_CONF` when the module loads, and a test may not
//! set environment variables, so each test runs itself again as a child
//! process with the variable set (see `in_child_with_token`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

mod harness;

use harness::{
    Kiosk, demo_config, in_child_with_token, labels_on_token, up_to_confirm, up_to_payment, world,
};
use kiosk_tests::softhsm::PIN;
use kiosk_ui::Screen;
use slint::ComponentHandle;

#[test]
fn a_customer_renews_through_the_screens_and_pays_by_qr() {
    in_child_with_token(
        "a_customer_renews_through_the_screens_and_pays_by_qr",
        |dir| {
            let (ca, config) = world(dir, "");
            let before = labels_on_token();
            assert!(before.contains("demo-cert"), "{before}");

            let kiosk = Kiosk::start(&config);
            up_to_payment(&kiosk);
            let page = kiosk.read_qr();
            assert!(
                page.starts_with(&ca.url),
                "the QR opens the CA's page: {page}"
            );
            ca.pay(&page);
            kiosk.wait_for(Screen::Done);
            kiosk.wait_text("请取走您的USB Key");
            // Said only once the printer took it.
            kiosk.wait_text("凭条已打印，请收好。");

            // On the key: the new certificate, and the old one kept superseded.
            let after = labels_on_token();
            assert!(after.contains("cert:TYA"), "{after}");
            assert!(after.contains("superseded:"), "{after}");
            // The CA carried the holder's details over to the new
            // certificate, so that the next renewal's 确认信息 finds them.
            let number = after
                .split("cert:")
                .nth(1)
                .and_then(|rest| rest.split(['"', '\n', ' ']).next())
                .unwrap();
            let issued = ca.service.storage().renewal(number, 1).unwrap().unwrap();
            let serial = kiosk_x509::summarize(&issued.certificate_der, "")
                .unwrap()
                .serial_hex;
            let serial = serial.trim_start_matches('0');
            let on_file = ca.service.storage().holder(serial).unwrap().unwrap();
            assert_eq!(on_file.contact_name, "李明");
            // The receipt: printed as ESC/POS, with its preview.
            let receipts = std::fs::read_dir(dir.join("kiosk/receipts"))
                .unwrap()
                .count();
            assert!(receipts >= 1, "a receipt preview");
            let printed = std::fs::read(dir.join("kiosk/receipts.escpos")).unwrap();
            assert!(printed.len() > 100, "ESC/POS bytes sent to the printer");
            // The receipt shows the certificate the customer now holds.
            let texts = kiosk_printer::decode::decode(&printed)
                .unwrap()
                .texts()
                .join("\n");
            let new = kiosk_x509::summarize(&issued.certificate_der, "").unwrap();
            assert!(texts.contains("新证书有效期至"), "{texts}");
            assert!(
                texts.contains(&new.not_after.date().to_string()),
                "the new expiry on the receipt: {texts}"
            );
            assert!(texts.contains(&new.serial_hex), "the new serial: {texts}");
            // Its QR code opens a page the CA serves.
            let preview = std::fs::read_dir(dir.join("kiosk/receipts"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            let frame = kiosk_camera::file_source::load_frame(&preview).unwrap();
            let codes = kiosk_camera::qr::decode_qr(&frame);
            let follow = codes
                .iter()
                .find(|c| c.contains("/track?order="))
                .unwrap_or_else(|| panic!("no follow-up QR code: {codes:?}"));
            assert!(follow.starts_with(&ca.url), "{follow}");
            assert!(ca.page(follow).contains("订单查询"));
            kiosk.touch("完成");
            kiosk.wait_for(Screen::Home);

            // 查询订单 with the receipt: the camera (here: the receipt's
            // preview image) reads its QR code, the customer types the mobile.
            kiosk.touch("查询订单");
            kiosk.wait_for(Screen::Lookup);
            kiosk.touch("扫描凭条二维码");
            let lookup = kiosk.ui.window().global::<kiosk_ui::LookupAdapter>();
            let start = std::time::Instant::now();
            while lookup.get_order_number().is_empty() {
                assert!(start.elapsed().as_secs() < 20, "{}", lookup.get_error());
                std::thread::sleep(std::time::Duration::from_millis(50));
                kiosk.port.pump();
            }
            assert_eq!(lookup.get_order_number().as_str(), number);
            lookup.set_mobile("13800138000".into());
            kiosk.touch("查询");
            // The CA's answer: the status, nothing personal.
            kiosk.wait_text("证书更新");
            assert!(!kiosk.shows("138****8000"), "no contact in the CA's answer");
            kiosk.cut_power();
        },
    );
}

#[test]
fn an_install_cut_by_a_ca_outage_and_a_power_cut_is_recovered() {
    in_child_with_token(
        "an_install_cut_by_a_ca_outage_and_a_power_cut_is_recovered",
        |dir| {
            let (ca, config) = world(dir, "");

            let kiosk = Kiosk::start(&config);
            up_to_payment(&kiosk);
            // The CA's issuance goes down (payments still work): the key pair is
            // made, the request is refused with 503, 异常恢复 says what to do.
            ca.service.inject_on("/v1/renewals/", 10_000, 503, None);
            let page = kiosk.read_qr();
            ca.pay(&page);
            kiosk.wait_for(Screen::Recovery);
            assert!(kiosk.shows("您已支付的费用不会丢失"));
            let mid = labels_on_token();
            assert!(!mid.contains("cert:TYA"), "nothing written yet: {mid}");
            assert!(
                mid.contains("demo-cert"),
                "the old certificate stays: {mid}"
            );

            // A power cut on the recovery screen; issuance comes back; the
            // kiosk restarts on the same store and shows 异常恢复 again, asks for
            // the PIN (the token's login died with the process) and finishes.
            kiosk.cut_power();
            ca.service.inject_on("/v1/renewals/", 0, 503, None);
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Recovery);
            kiosk.touch("重新安装");
            kiosk.wait_for(Screen::Pin);
            kiosk.type_pin(PIN);
            kiosk.wait_for(Screen::Done);
            let after = labels_on_token();
            assert!(after.contains("cert:TYA"), "{after}");
            assert!(after.contains("superseded:"), "{after}");
            // Paid once, issued once: the CA counts its issuances.
            assert_eq!(ca.service.issued_count(), 1);
            kiosk.cut_power();
        },
    );
}

/// 异常恢复 at any kiosk (spec §3.1): paid at one kiosk, the install cut
/// there after the key pair was made, finished at another kiosk of the CA
/// with its own store, on the same paid order: never a second order,
/// payment or issuance.
#[test]
fn a_renewal_paid_at_one_kiosk_is_finished_at_another() {
    in_child_with_token(
        "a_renewal_paid_at_one_kiosk_is_finished_at_another",
        |dir| {
            paid_here_finished_there(dir, Cut::IssuanceDown);
        },
    );
}

/// The same, cut after the CA issued (its answer lost on the way): the
/// other kiosk fetches that certificate again and writes it next to the
/// key pair the first kiosk made.
#[test]
fn a_renewal_issued_for_one_kiosk_is_written_at_another() {
    in_child_with_token(
        "a_renewal_issued_for_one_kiosk_is_written_at_another",
        |dir| {
            paid_here_finished_there(dir, Cut::AnswerLost);
        },
    );
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// The CA's issuance is down: nothing issued.
    IssuanceDown,
    /// The CA issues, and its answer never reaches the kiosk.
    AnswerLost,
}

fn paid_here_finished_there(dir: &std::path::Path, cut: Cut) {
    let (ca, config) = world(dir, "");
    let first = Kiosk::start(&config);
    up_to_payment(&first);
    // Paid; the install is cut at the first kiosk. The customer walks away
    // and the kiosk loses power.
    match cut {
        Cut::IssuanceDown => ca.service.inject_on("/v1/renewals/", 10_000, 503, None),
        Cut::AnswerLost => ca.service.lose_replies_on("POST", "/v1/renewals/", 10_000),
    }
    ca.pay(&first.read_qr());
    first.wait_for(Screen::Recovery);
    first.cut_power();
    ca.service.inject_on("/v1/renewals/", 0, 503, None);
    let number = ca.service.storage().orders(1).unwrap()[0].number.clone();
    assert!(number.starts_with("TYA"), "{number}");
    let issued_before = ca.service.issued_count();
    assert_eq!(issued_before, u64::from(cut == Cut::AnswerLost));

    // The customer brings the key to another kiosk: it asks the CA, which
    // has the paid order, and offers to finish it.
    let other_config = demo_config(&dir.join("other"), &ca.url, "TYB", "");
    kiosk::demo::provision_key(&other_config, &ca.staff_url, PIN).unwrap();
    let other = Kiosk::start(&other_config);
    other.wait_for(Screen::Home);
    other.touch("更新证书");
    other.wait_for(Screen::Certificates);
    other.wait_text(&format!(
        "订单 {number} 已支付，证书尚未安装完成。选择后继续安装，无需重复付费。"
    ));
    other.touch("更新此证书");
    other.wait_for(Screen::Pin);
    other.type_pin(PIN);
    other.wait_for(Screen::Done);
    other.wait_text("凭条已打印，请收好。");

    let after = labels_on_token();
    assert!(after.contains(&format!("cert:{number}")), "{after}");
    assert!(after.contains("superseded:"), "{after}");
    // One order, one payment, one issuance; the CA heard it is installed.
    assert_eq!(ca.service.issued_count(), 1);
    assert_eq!(ca.service.storage().order_count().unwrap(), 1);
    assert!(
        ca.service
            .storage()
            .paid_payment(&number)
            .unwrap()
            .is_some()
    );
    let at_ca = ca.service.storage().order(&number).unwrap().unwrap();
    assert_eq!(at_ca.status.as_str(), "completed", "已完成 at the CA");
    // The second kiosk's receipt is for that order, with the new certificate.
    let printed = std::fs::read(dir.join("other/kiosk/receipts.escpos")).unwrap();
    let texts = kiosk_printer::decode::decode(&printed)
        .unwrap()
        .texts()
        .join("\n");
    let issued = ca.service.storage().renewal(&number, 1).unwrap().unwrap();
    let new = kiosk_x509::summarize(&issued.certificate_der, "").unwrap();
    assert!(texts.contains(&number), "{texts}");
    assert!(texts.contains(&new.serial_hex), "the new serial: {texts}");
    other.cut_power();
}

/// The kiosk decides with the CA's renewal window, not its own: a CA that
/// opens renewal 10 days before expiry (the kiosk's configuration says 30)
/// has the demo certificate, 20 days from expiry, come back later; nothing
/// is offered to pay for.
#[test]
fn the_cas_window_decides_what_may_be_renewed() {
    in_child_with_token("the_cas_window_decides_what_may_be_renewed", |dir| {
        let ca = harness::Ca::start_with(
            &dir.join("ca"),
            0,
            ca_service::Options {
                catalogue: ca_service::catalogue::Catalogue {
                    renewal_window: kiosk_domain::renewal_window::RenewalWindow {
                        opens_before_expiry: time::Duration::days(10),
                        closes_after_expiry: time::Duration::days(365),
                    },
                    ..ca_service::catalogue::Catalogue::default()
                },
                ..ca_service::Options::default()
            },
        );
        let config = harness::demo_config(dir, &ca.url, "TYA", "");
        kiosk::demo::provision_key(&config, &ca.staff_url, PIN).unwrap();
        let kiosk = Kiosk::start(&config);
        kiosk.wait_for(Screen::Home);
        // The kiosk fetches the CA's terms when it starts.
        let start = std::time::Instant::now();
        while kiosk::wiring::open_store(&config)
            .unwrap()
            .load_catalogue()
            .unwrap()
            .is_none()
        {
            assert!(start.elapsed() < std::time::Duration::from_secs(20));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        kiosk.touch("更新证书");
        kiosk.wait_for(Screen::Certificates);
        kiosk.wait_text("该证书尚未到更新时间");
        assert!(
            !kiosk.shows("更新此证书"),
            "nothing to renew, nothing to pay"
        );
        kiosk.cut_power();
    });
}

#[test]
fn an_idle_customer_is_warned_then_their_session_is_wiped() {
    in_child_with_token(
        "an_idle_customer_is_warned_then_their_session_is_wiped",
        |dir| {
            let (_ca, config) = world(
                dir,
                "[ui]\nidle_seconds = 15\nlarge_mode_idle_seconds = 15\nidle_warning_seconds = 3\n",
            );
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("更新证书");
            kiosk.wait_for(Screen::Certificates);
            kiosk.touch("更新此证书");
            kiosk.wait_for(Screen::Pin);
            kiosk.touch("1");
            kiosk.touch("2");
            // Nobody touches the screen: after 15 s the warning counts down...
            let start = std::time::Instant::now();
            kiosk.wait_text("您还在吗？");
            let warned_after = start.elapsed();
            assert!(
                warned_after >= std::time::Duration::from_secs(14),
                "warned too early: {warned_after:?}"
            );
            // ...then the session is wiped: home, the PIN digits gone.
            kiosk.wait_for(Screen::Home);
            assert!(!kiosk.shows("您还在吗？"));
            kiosk.touch("更新证书");
            kiosk.wait_for(Screen::Certificates);
            kiosk.touch("更新此证书");
            kiosk.wait_for(Screen::Pin);
            assert!(kiosk.shows("已输入 0 位"), "the PIN digits were wiped");
            // The journal says home too: a restart would not bring it back.
            kiosk.cut_power();
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.cut_power();
        },
    );
}

#[test]
fn offline_the_details_are_typed_on_the_keyboard_and_the_order_is_receipted_for_the_counter() {
    in_child_with_token(
        "offline_the_details_are_typed_on_the_keyboard_and_the_order_is_receipted_for_the_counter",
        |dir| {
            let (ca, config) = world(dir, "");
            // The CA goes away before the customer comes.
            drop(ca);
            let kiosk = Kiosk::start(&config);
            up_to_confirm(&kiosk);
            kiosk.wait_text("暂时无法连接CA");
            kiosk.touch("请填写：联系人");
            kiosk.wait_text("请填写姓名");

            kiosk.focus("联系人");
            kiosk.pinyin("lisi", "李四");
            kiosk.focus("联系电话");
            kiosk.keys("139123456789");
            kiosk.wait_text("手机号码应为11位数字，您输入了12位，请核对");
            kiosk.touch("删除");
            kiosk.focus("单位名称");
            kiosk.pinyin("shanxijiaomeijituan", "山西焦煤集团");
            kiosk.pinyin("youxianzerengongsi", "有限责任公司");
            kiosk.focus("纳税人识别号");
            kiosk.keys("91110108551385082Q");
            kiosk.focus("邮箱");
            kiosk.keys("li.si@example.com");
            kiosk.touch("完成");
            kiosk.touch("确认并提交");

            // No QR code offline: 到柜台支付, with the slip.
            kiosk.wait_for(Screen::Payment);
            let number = kiosk
                .ui
                .window()
                .global::<kiosk_ui::PaymentAdapter>()
                .get_order_number()
                .to_string();
            kiosk.touch("到柜台支付");
            kiosk.wait_for(Screen::Counter);
            kiosk.wait_text("凭条已打印，请收好。");
            kiosk.touch("完成");
            kiosk.wait_for(Screen::Home);

            // The order on the kiosk holds what was typed.
            let store = kiosk::wiring::open_store(&config).unwrap();
            let order = kiosk_domain::ports::store::OrderStore::load_order(
                &store,
                &number.parse().unwrap(),
            )
            .unwrap()
            .expect("kept on the kiosk");
            let kiosk_domain::order::OrderDetails::Renewal(details) = &order.details else {
                panic!("a renewal");
            };
            assert_eq!(details.contact.name.as_str(), "李四");
            assert_eq!(details.contact.mobile.as_str(), "13912345678");
            assert_eq!(details.invoice.title.as_str(), "山西焦煤集团有限责任公司");
            assert_eq!(details.invoice.taxpayer_id.as_str(), "91110108551385082Q");
            assert_eq!(details.invoice.email.as_str(), "li.si@example.com");
            // The slip masks them.
            let printed = std::fs::read(dir.join("kiosk/receipts.escpos")).unwrap();
            let texts = kiosk_printer::decode::decode(&printed)
                .unwrap()
                .texts()
                .join("\n");
            assert!(texts.contains(&number), "{texts}");
            assert!(!texts.contains("13912345678"), "{texts}");
            // The unit name's words were learned and kept; the person's
            // name was not.
            let picks = dir.join("kiosk/keyboard-picks.txt");
            let start = std::time::Instant::now();
            while !picks.exists() {
                assert!(start.elapsed().as_secs() < 20, "the picks were not kept");
                std::thread::sleep(std::time::Duration::from_millis(20));
                kiosk.port.pump();
            }
            let kept = std::fs::read_to_string(&picks).unwrap();
            assert!(kept.contains("焦煤") || kept.contains("山西"), "{kept}");
            assert!(!kept.contains("李四"), "{kept}");
            kiosk.cut_power();
        },
    );
}

#[test]
fn a_customer_pays_at_the_counter_and_finishes_later_without_a_qr_code() {
    in_child_with_token(
        "a_customer_pays_at_the_counter_and_finishes_later_without_a_qr_code",
        |dir| {
            let (ca, config) = world(dir, "");
            let kiosk = Kiosk::start(&config);
            up_to_payment(&kiosk);
            let payment = kiosk.ui.window().global::<kiosk_ui::PaymentAdapter>();
            let number = payment.get_order_number().to_string();
            assert!(number.starts_with("TYA"), "{number}");
            // 到柜台支付: the slip tells them where to go, and says whether
            // it was printed (the printer said so); then home, key reminder.
            kiosk.touch("到柜台支付");
            kiosk.wait_for(Screen::Counter);
            kiosk.wait_text("凭条已打印，请收好。");
            kiosk.touch("完成");
            kiosk.wait_for(Screen::Home);
            kiosk.wait_text("请取走您的USB Key");

            // Staff take the money at the counter.
            ca.record_counter_payment(&number, 30_000);

            // Back at the kiosk: the open order is continued, and paid, so
            // no QR code is shown: straight from the PIN to the install.
            kiosk.touch("更新证书");
            kiosk.wait_for(Screen::Certificates);
            kiosk.touch("更新此证书");
            kiosk.wait_for(Screen::Pin);
            kiosk.type_pin(PIN);
            let start = std::time::Instant::now();
            while kiosk.ui.screen() != Screen::Done {
                assert!(!payment.get_qr_ready(), "asked to pay again by QR");
                assert!(
                    start.elapsed().as_secs() < 60,
                    "stuck on {:?}",
                    kiosk.ui.screen()
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
                kiosk.port.pump();
            }
            let after = labels_on_token();
            assert!(after.contains(&format!("cert:{number}")), "{after}");
            kiosk.cut_power();
        },
    );
}

#[test]
fn a_kiosk_fault_mid_install_is_retried_without_losing_anything() {
    in_child_with_token(
        "a_kiosk_fault_mid_install_is_retried_without_losing_anything",
        |dir| {
            let (ca, config) = world(dir, "");
            let kiosk = Kiosk::start(&config);
            up_to_payment(&kiosk);
            // The QR code is read first: it is only shown once the kiosk has
            // recorded the CA's payment request (a broken disk before that
            // would leave no code to read).
            let page = kiosk.read_qr();
            // The kiosk's disk refuses every write (full or broken): the
            // payment cannot be recorded, nothing goes on, and the screen
            // says the kiosk is retrying.
            kiosk.disk.store(true, std::sync::atomic::Ordering::SeqCst);
            ca.pay(&page);
            kiosk.wait_text("本机暂时出现故障");
            assert_ne!(kiosk.ui.screen(), Screen::Done);
            // The disk is fixed: the same step runs again and finishes.
            kiosk.disk.store(false, std::sync::atomic::Ordering::SeqCst);
            kiosk.wait_for(Screen::Done);
            let start = std::time::Instant::now();
            while kiosk.shows("本机暂时出现故障") {
                assert!(start.elapsed().as_secs() < 10, "the fault notice stayed");
                std::thread::sleep(std::time::Duration::from_millis(20));
                kiosk.port.pump();
            }
            assert!(labels_on_token().contains("cert:TYA"));
            // Issued once: the retry found the CA's answer for this attempt.
            assert_eq!(ca.service.issued_count(), 1);
            kiosk.cut_power();
        },
    );
}
