//! A whole application (申请证书及印章) through the kiosk's real screens on
//! Slint's testing backend: every field typed on the on-screen keyboard,
//! each document shown to the camera (image files), seen in the camera's
//! live view and photographed, the face consent given, the live view's
//! guidance followed and the photo sent, the CA's price list fetched before
//! it went away and offered offline, submitted while the CA cannot be
//! reached, the receipt printed; then the reference CA comes back where the
//! kiosk looks for it and the order reaches it once, with its attachments;
//! reviewed in the back office, paid from 查询订单 by QR code, followed
//! there at the CA to 已完成 and 已开票 (the invoice's page as a QR code),
//! also after the kiosk purged it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

mod harness;

use harness::{Ca, Kiosk, in_child_with_token, world};
use kiosk_domain::fixtures;
use kiosk_domain::ports::camera::Frame;
use kiosk_tests::camera::{face, show_camera, text_page};
use kiosk_ui::{CaptureAdapter, Screen, ViewfinderAdapter};
use slint::{ComponentHandle, Model};
use std::time::{Duration, Instant};

/// Waits until the camera's live view shows a frame.
fn wait_live(kiosk: &Kiosk) {
    let start = Instant::now();
    loop {
        kiosk.port.pump();
        let v = kiosk.ui.window().global::<ViewfinderAdapter>();
        if v.get_open() && v.get_has_frame() && v.get_frame().size().width > 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no live view on {:?}",
            kiosk.ui.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until document `index` of 上传附件 is taken.
fn wait_taken(kiosk: &Kiosk, index: usize) {
    let start = Instant::now();
    loop {
        kiosk.port.pump();
        let a = kiosk.ui.window().global::<CaptureAdapter>();
        let row = a.get_documents().row_data(index).unwrap();
        assert!(!row.failed, "document {index} was not found in the photo");
        if row.done && !a.get_busy() {
            assert!(row.size_kb > 0 && row.size_kb <= 1024, "{}", row.size_kb);
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "document {index}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// From 证书用途 to 经办人信息: the unit typed on the keyboard (下一步
/// first, with nothing typed, names what is missing and stays).
fn unit_typed(kiosk: &Kiosk) {
    kiosk.touch("下一步");
    kiosk.wait_text("单位地址");
    kiosk.touch("请填写：单位名称");
    kiosk.wait_text("请填写单位名称");
    kiosk.focus("单位名称");
    kiosk.pinyin("shanxijiaomeijituan", "山西焦煤集团");
    kiosk.pinyin("youxianzerengongsi", "有限责任公司");
    kiosk.focus("统一社会信用代码");
    kiosk.keys(fixtures::USCC);
    kiosk.focus("单位地址");
    kiosk.pinyin("shanxishengtaiyuanshi", "山西省太原市");
    kiosk.touch("下一步");
    kiosk.wait_text("经办人身份证号码");
}

/// From 经办人信息 to 人脸识别授权: the handler, one trader, the invoice,
/// pickup by mail typed on the keyboard; the pre-filled form printed and
/// four documents photographed from `camera`.
fn handler_to_documents(kiosk: &Kiosk, camera: &std::path::Path) {
    // 经办人信息.
    kiosk.focus("经办人姓名");
    kiosk.pinyin("lisi", "李四");
    kiosk.focus("经办人身份证号码");
    kiosk.keys(fixtures::RESIDENT_ID);
    kiosk.focus("经办人手机号码");
    kiosk.keys("1391234567");
    // One digit short: told when the customer wants to go on.
    kiosk.touch("请核对：经办人手机号码");
    kiosk.wait_text("手机号码应为11位数字，您输入了10位，请核对");
    kiosk.keys("8");
    kiosk.touch("下一步");

    // 印章持有人: one trader, numbers left out (选填).
    kiosk.wait_text("添加交易员");
    kiosk.touch("添加交易员");
    kiosk.focus("姓名");
    kiosk.pinyin("wangwu", "王五");
    assert!(kiosk.shows("企业编号（选填）"));
    kiosk.touch("下一步");

    // 开票信息: the unit's name and code are offered.
    kiosk.wait_text("接收电子发票的邮箱");
    kiosk.focus("接收电子发票的邮箱");
    kiosk.keys("li.si@example.com");
    kiosk.touch("下一步");

    // 领取方式: by mail, to the handler at the unit's address.
    kiosk.wait_text("邮寄领取");
    kiosk.touch("下一步");

    // 上传附件: the pre-filled form printed for the unit's seal,
    // then four documents, each photographed.
    kiosk.wait_for(Screen::ApplyCapture);
    kiosk.touch("打印申请表");
    kiosk.wait_text("申请表已打印：请加盖单位公章后拍摄");
    assert!(camera.join("receipt.png").exists(), "the form's preview");
    for i in 0..4 {
        show_camera(camera, &text_page(u32::try_from(i).unwrap()));
        // 拍摄 opens the live view: the page as the camera sees it, in a
        // frame to aim at; 拍照 takes it.
        kiosk.touch("拍摄");
        wait_live(kiosk);
        kiosk.touch("拍照");
        wait_taken(kiosk, i);
        assert!(!kiosk.ui.window().global::<ViewfinderAdapter>().get_open());
        // The photo as kept is shown for the customer to check.
        let a = kiosk.ui.window().global::<CaptureAdapter>();
        assert_eq!(a.get_preview_row(), i32::try_from(i).unwrap());
        assert!(a.get_preview().size().width > 0);
    }
    kiosk.touch("下一步");
}

#[test]
fn a_customer_applies_through_the_screens_offline_and_the_order_reaches_the_ca_once() {
    in_child_with_token(
        "a_customer_applies_through_the_screens_offline_and_the_order_reaches_the_ca_once",
        |dir| {
            // The kiosk set up against the CA; it fetches the CA's price
            // list and agreement; then the CA goes away.
            let (ca, config) = world(dir, "");
            let port: u16 = ca.url.rsplit(':').next().unwrap().parse().unwrap();
            let camera = dir.join("kiosk/receipts");
            let kiosk = Kiosk::start(&config);
            let start = Instant::now();
            while kiosk::wiring::open_store(&config)
                .unwrap()
                .load_catalogue()
                .unwrap()
                .is_none()
            {
                assert!(start.elapsed() < Duration::from_secs(30), "no catalogue");
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(ca);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("申请证书及印章");

            kiosk.wait_for(Screen::ApplyAgreement);
            assert!(kiosk.shows("数字证书及电子印章申请协议"), "the CA's text");
            kiosk.touch("同意并继续");

            // 证书用途: the only project is chosen already, with its prices.
            kiosk.wait_text("煤炭交易中心证书应用");
            assert!(kiosk.shows("价格表由CA于"), "the CA's prices, kept offline");
            assert!(kiosk.shows("第2步，共11步"));
            unit_typed(&kiosk);

            handler_to_documents(&kiosk, &camera);

            // 人脸识别授权, then the photo and its own consent to send it.
            kiosk.wait_text("同意拍摄面部照片");
            kiosk.touch("同意拍摄面部照片");
            kiosk.wait_text("开始拍摄");
            // Nobody in front of the camera yet: the live view says what
            // to do; 取消 goes back without a photo.
            show_camera(
                &camera,
                &Frame::new(320, 240, vec![150; 320 * 240 * 3]).unwrap(),
            );
            kiosk.touch("开始拍摄");
            kiosk.wait_text("请正对摄像头，将脸部移到框内");
            wait_live(&kiosk);
            kiosk.touch("取消");
            kiosk.wait_text("开始拍摄");
            assert!(
                !kiosk
                    .ui
                    .window()
                    .global::<ViewfinderAdapter>()
                    .get_has_frame()
            );
            // The handler in front of it: told it is good, then 拍照.
            show_camera(&camera, &face());
            kiosk.touch("开始拍摄");
            kiosk.wait_text("很好，请保持不动，点击“拍照”");
            kiosk.touch("拍照");
            kiosk.touch("同意发送给CA核验");
            kiosk.wait_text("照片已保存，将与申请一并提交给CA");
            kiosk.touch("下一步");

            // 确认提交: personal data masked.
            kiosk.wait_for(Screen::ApplyReview);
            assert!(kiosk.shows("山西焦煤集团有限责任公司"));
            assert!(kiosk.shows("李*"), "the handler's name masked");
            assert!(!kiosk.shows(fixtures::RESIDENT_ID), "the ID number masked");
            assert!(kiosk.shows("¥500.00"), "the certificate and one seal");
            kiosk.touch("提交申请");
            kiosk.wait_for(Screen::ApplySubmitted);
            kiosk.wait_text("凭条已打印，请收好。");
            let number = kiosk
                .ui
                .window()
                .global::<kiosk_ui::ReviewAdapter>()
                .get_order_number()
                .to_string();
            assert!(number.starts_with("TYA"), "{number}");
            assert!(
                dir.join(format!("kiosk/receipts/{number}.png")).exists(),
                "the receipt kept as a preview"
            );

            // The CA comes up: the order arrives, once, with its five
            // attachments (four documents and the face sent with consent).
            let ca = Ca::start(&dir.join("ca"), port);
            let start = Instant::now();
            let record = loop {
                kiosk.port.pump();
                if let Some(record) = ca.service.storage().order(&number).unwrap()
                    && record.submitted
                {
                    break record;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "the order never reached the CA"
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            assert_eq!(record.attachments.len(), 5, "{:?}", record.attachments);
            let storage = ca.service.storage();
            assert_eq!(storage.order_count().unwrap(), 1, "once");
            let document = storage.order_document(&number).unwrap().unwrap();
            assert!(document.contains("王五"), "the seal holder: {document}");

            // The back office shows a reviewer everything submitted, each
            // attachment as the image it is.
            let order_page = format!("{}/admin/orders/{number}", ca.staff_url);
            let (status, _, html) = ca.fetch(&order_page);
            let html = String::from_utf8(html).unwrap();
            assert_eq!(status, 200, "{html}");
            for text in [
                "山西焦煤集团有限责任公司",
                "王五",
                "11010519491231002X",
                "实人认证照片",
            ] {
                assert!(html.contains(text), "{text} on the order's page");
            }
            assert_eq!(html.matches("<img ").count(), 5, "{html}");
            let (status, kind, jpeg) = ca.fetch(&format!("{order_page}/attachments/0"));
            assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
            assert!(jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.len() <= 1024 * 1024);

            // Reviewed, paid at the counter, then taken through its
            // lifecycle by staff; a step out of order is refused.
            let approve = format!("{}/admin/orders/{number}/approve", ca.staff_url);
            assert_eq!(ca.post_form(&approve, &[]), 303);
            // The handler hears of it by SMS (the CA's gateway simulator).
            let (_, _, sms) = ca.fetch(&format!("{}/v1/admin/sms", ca.staff_url));
            let sms = String::from_utf8(sms).unwrap();
            assert!(
                sms.contains("13912345678") && sms.contains(&number) && sms.contains("审核通过"),
                "{sms}"
            );
            let status_form = format!("{order_page}/status");
            assert_eq!(
                ca.post_form(&status_form, &[("to", "certificate_made")]),
                409,
                "not before it is paid"
            );
            kiosk.touch("完成");
            kiosk.wait_for(Screen::Home);

            // 查询订单 asks the CA: its status now, nothing personal; the
            // reviewed order is paid there by QR code.
            let lookup = kiosk.ui.window().global::<kiosk_ui::LookupAdapter>();
            let find = |kiosk: &Kiosk| {
                lookup.set_order_number(number.as_str().into());
                lookup.set_mobile("13912345678".into());
                kiosk.touch("查询");
            };
            kiosk.touch("查询订单");
            kiosk.wait_for(Screen::Lookup);
            find(&kiosk);
            kiosk.wait_text("审核通过/待支付");
            assert!(!kiosk.shows("李*"), "the CA's answer carries no name");
            assert!(!kiosk.shows("订单正在发送给CA：状态为本机的记录"));
            kiosk.touch("扫码支付 ¥500.00");
            kiosk.wait_for(Screen::LookupPay);
            let page = kiosk.read_qr();
            assert!(page.starts_with(&ca.url), "{page}");
            ca.pay(&page);
            // The kiosk hears it from the CA, and asks the CA what became of
            // the order: taken in hand.
            kiosk.wait_text("支付成功：CA已确认收款");
            kiosk.wait_for(Screen::Lookup);
            kiosk.wait_text("正在受理");
            let (_, _, html) = ca.fetch(&order_page);
            assert!(
                String::from_utf8(html)
                    .unwrap()
                    .contains("<span id=\"status\">正在受理</span>")
            );
            for to in ["certificate_made", "mailed", "completed"] {
                assert_eq!(ca.post_form(&status_form, &[("to", to)]), 303, "{to}");
            }
            assert_eq!(ca.post_form(&status_form, &[("to", "mailed")]), 409);
            find(&kiosk);
            kiosk.wait_text("已完成");
            assert!(!kiosk.shows("支付成功：CA已确认收款"), "a new search");

            // 已开票: the invoice's page as a QR code, which opens it.
            let invoice = ca.issue_invoice(&number);
            find(&kiosk);
            kiosk.wait_text("电子发票已开具：请用手机扫描二维码查看或下载。");
            assert!(kiosk.shows("已开票"));
            let link = kiosk.read_qr();
            assert!(ca.page(&link).contains(&invoice), "{link}");

            // The kiosk purges the order's personal data (acknowledged):
            // the CA still finds it.
            let report = kiosk::wiring::open_store(&config)
                .unwrap()
                .purge(time::OffsetDateTime::now_utc(), time::Duration::ZERO)
                .unwrap();
            assert_eq!(report.acknowledged, 1, "{report:?}");
            find(&kiosk);
            kiosk.wait_text("已开票");

            // The CA gone, the kiosk holds no copy: it cannot tell, and says
            // so rather than 未找到订单.
            drop(ca);
            find(&kiosk);
            kiosk.wait_text("暂时无法连接CA，本机也没有该订单的记录：请稍后再试，或到柜台查询");
            assert!(!kiosk.shows("已开票"));
        },
    );
}

/// 实人认证 without a face: the customer does not agree to a photo; a
/// member of staff confirms them in person on the identity page with their
/// own staff key (a wrong PIN first, told on the pad), and the application
/// goes on to its submission with who confirmed it.
#[test]
fn staff_confirm_a_handler_in_person_through_the_screens() {
    in_child_with_token(
        "staff_confirm_a_handler_in_person_through_the_screens",
        |dir| {
            let now = time::OffsetDateTime::now_utc();
            let staff = kiosk_tests::softhsm::put_staff_key(
                dir,
                "柜员-01",
                &[kiosk_x509::StaffRole::Staff],
                now - time::Duration::days(1),
                now + time::Duration::days(365),
            );
            let (_ca, config) = world(dir, "[staff]\nca_certificates = [\"staff-ca.der\"]\n");
            std::fs::write(
                config.in_data_dir(std::path::Path::new("staff-ca.der")),
                staff.ca.root_der(),
            )
            .unwrap();
            let camera = dir.join("kiosk/receipts");
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("申请证书及印章");
            kiosk.wait_for(Screen::ApplyAgreement);
            kiosk.touch("同意并继续");
            kiosk.wait_text("煤炭交易中心证书应用");
            unit_typed(&kiosk);
            handler_to_documents(&kiosk, &camera);

            // No photo: staff are offered instead.
            kiosk.wait_text("不同意，由工作人员当面核验");
            kiosk.touch("不同意，由工作人员当面核验");
            kiosk.wait_for(Screen::ApplyIdentity);
            kiosk.touch("工作人员操作：确认已当面核验");
            kiosk.wait_for(Screen::Pin);
            kiosk.wait_text("工作人员当面核验经办人李*的身份证件：请工作人员插入本人的工作人员USB Key，输入其PIN码");
            kiosk.type_pin("111111");
            kiosk.wait_text("PIN码错误");
            // 取消 goes back to the page; nothing is confirmed.
            kiosk.touch("取消，返回实人认证");
            kiosk.wait_for(Screen::ApplyIdentity);
            assert!(!kiosk.shows("工作人员已当面核验您的身份。"));
            kiosk.touch("工作人员操作：确认已当面核验");
            kiosk.wait_for(Screen::Pin);
            kiosk.type_pin(kiosk_tests::softhsm::STAFF_PIN);
            kiosk.wait_for(Screen::ApplyIdentity);
            kiosk.wait_text("工作人员已当面核验您的身份。");
            assert!(
                !kiosk.shows("工作人员操作：确认已当面核验"),
                "not offered again"
            );
            kiosk.touch("下一步");
            kiosk.wait_for(Screen::ApplyReview);
            kiosk.touch("提交申请");
            kiosk.wait_for(Screen::ApplySubmitted);
            let number: kiosk_domain::order_number::OrderNumber = kiosk
                .ui
                .window()
                .global::<kiosk_ui::ReviewAdapter>()
                .get_order_number()
                .parse()
                .unwrap();
            let store = kiosk::wiring::open_store(&config).unwrap();
            let held = kiosk_domain::ports::store::OrderStore::load_order(&store, &number)
                .unwrap()
                .unwrap();
            let kiosk_domain::order::OrderDetails::Application(details) = &held.details else {
                panic!("not an application")
            };
            assert!(
                matches!(
                    &details.identity.outcome,
                    kiosk_domain::order::identity::IdentityOutcome::ConfirmedInPerson { .. }
                ),
                "{:?}",
                details.identity.outcome
            );
        },
    );
}

#[test]
fn a_power_cut_keeps_the_draft_and_the_restarted_kiosk_offers_it_back() {
    in_child_with_token(
        "a_power_cut_keeps_the_draft_and_the_restarted_kiosk_offers_it_back",
        |dir| {
            let (_ca, config) = world(dir, "");
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("申请证书及印章");
            kiosk.touch("同意并继续");
            kiosk.wait_text("煤炭交易中心证书应用");
            unit_typed(&kiosk);
            kiosk.cut_power();

            // The kiosk comes back: the draft is offered, none of it shown.
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::ApplyResume);
            assert!(kiosk.shows("第4步"), "where the customer was");
            assert!(!kiosk.shows("山西焦煤集团"), "nothing of the draft yet");
            kiosk.touch("继续填写");
            kiosk.wait_text("经办人身份证号码");
            kiosk.touch("上一步");
            kiosk.wait_text("单位地址");
            assert!(
                kiosk.shows("山西焦煤集团"),
                "the unit as typed before the cut"
            );
            // Someone else's: 放弃 deletes it.
            kiosk.cut_power();
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::ApplyResume);
            kiosk.touch("放弃");
            kiosk.wait_for(Screen::Home);
            kiosk.cut_power();
            let kiosk = Kiosk::start(&config);
            std::thread::sleep(Duration::from_millis(500));
            kiosk.wait_for(Screen::Home);
        },
    );
}

/// 现场领取 (spec §3.2 step 6): an application picked up at the hall, made
/// ready by the CA, is found in 查询订单 and written onto the blank key
/// staff hand over: the key pair made on it, the unit's certificate and the
/// e-seals written. Cut by a CA outage and then a power cut after the key
/// pair was made, it continues from there after the restart; the CA issued
/// once and hears it is written (已完成).
#[test]
fn an_application_picked_up_at_the_hall_is_written_onto_a_blank_key() {
    in_child_with_token(
        "an_application_picked_up_at_the_hall_is_written_onto_a_blank_key",
        |dir| picked_up(dir, false),
    );
}

/// The same, the CA's answer with the certificate lost on its way: after
/// the power cut the kiosk fetches that certificate again (no second
/// issuance) and writes it next to the key pair it made.
#[test]
fn an_on_site_write_whose_answer_was_lost_is_finished_without_a_second_issuance() {
    in_child_with_token(
        "an_on_site_write_whose_answer_was_lost_is_finished_without_a_second_issuance",
        |dir| picked_up(dir, true),
    );
}

fn picked_up(dir: &std::path::Path, answer_lost: bool) {
    let ca = Ca::start(&dir.join("ca"), 0);
    let config = harness::config(dir, &ca.url);
    // The kiosk trusts the CA's root; the key stays blank.
    std::fs::create_dir_all(&config.data_dir).unwrap();
    std::fs::write(
        config.in_data_dir(std::path::Path::new("ca-root.der")),
        ca.service.ca().root_der(),
    )
    .unwrap();
    let number = ca.seed_on_site_ready(7);
    let issuance: &'static str =
        Box::leak(format!("/v1/orders/{number}/issuance").into_boxed_str());

    let kiosk = Kiosk::start(&config);
    kiosk.wait_for(Screen::Home);
    kiosk.touch("查询订单");
    kiosk.wait_for(Screen::Lookup);
    let lookup = kiosk.ui.window().global::<kiosk_ui::LookupAdapter>();
    lookup.set_order_number(number.as_str().into());
    lookup.set_mobile(fixtures::MOBILE.into());
    kiosk.touch("查询");
    kiosk.wait_text("已制证");
    // The CA's issuance goes down (or issues and its answer is
    // lost) once the key pair is to be made.
    if answer_lost {
        ca.service.lose_replies_on("POST", issuance, 10_000);
    } else {
        ca.service.inject_on(issuance, 10_000, 503, None);
    }
    kiosk.touch("现场领取：写入USB Key");
    kiosk.wait_for(Screen::Pin);
    kiosk.type_pin(harness::PIN_FOR_TESTS);
    kiosk.wait_text("证书安装中断：网络连接中断");
    assert!(kiosk.shows("山西示例煤业有限公司"), "the unit it is for");
    assert!(
        !harness::labels_on_token().contains("cert:"),
        "nothing written yet"
    );
    assert_eq!(ca.service.issued_count(), u64::from(answer_lost));
    // A power cut on 异常恢复; the CA comes back.
    kiosk.cut_power();
    ca.service.inject_on(issuance, 0, 503, None);

    let kiosk = Kiosk::start(&config);
    // The journal brings 异常恢复 back as it was; the key's login
    // died with the process, so the PIN is asked again.
    kiosk.wait_for(Screen::Pickup);
    kiosk.wait_text("证书安装中断：网络连接中断");
    kiosk.touch("重新写入");
    kiosk.wait_for(Screen::Pin);
    kiosk.type_pin(harness::PIN_FOR_TESTS);
    kiosk.wait_text("证书及电子印章已写入USB Key，可以正常使用。");
    kiosk.wait_text("请取走您的USB Key");

    // On the key: the unit's certificate next to its key, and both
    // e-seals; at the CA: issued once, 已完成.
    let certificates = harness::labels_on_token();
    assert!(
        certificates.contains(&format!("cert:{number}")),
        "{certificates}"
    );
    let data = harness::objects_on_token("data");
    assert!(data.contains(&format!("eseal:{number}:1:trader")), "{data}");
    assert!(
        data.contains(&format!("eseal:{number}:2:settler")),
        "{data}"
    );
    assert_eq!(ca.service.issued_count(), 1);
    let at_ca = ca.service.storage().order(&number).unwrap().unwrap();
    let start = Instant::now();
    let mut status = at_ca.status.as_str().to_owned();
    while status != "completed" {
        assert!(start.elapsed() < Duration::from_secs(20), "{status}");
        std::thread::sleep(Duration::from_millis(50));
        status = ca
            .service
            .storage()
            .order(&number)
            .unwrap()
            .unwrap()
            .status
            .as_str()
            .to_owned();
    }
    let issued = ca.service.storage().renewal(&number, 1).unwrap().unwrap();
    let summary = kiosk_x509::summarize(&issued.certificate_der, "").unwrap();
    assert_eq!(summary.holder, "山西示例煤业有限公司");

    // The receipt: said printed only once the printer took it, and it
    // names the certificate now on the key and its e-seals.
    kiosk.wait_text("凭条已打印，请收好。");
    let printed = std::fs::read(dir.join("kiosk/receipts.escpos")).unwrap();
    let texts = kiosk_printer::decode::decode(&printed)
        .unwrap()
        .texts()
        .join("\n");
    assert!(texts.contains("数字证书领取回执"), "{texts}");
    assert!(texts.contains(number.as_str()), "{texts}");
    assert!(
        texts.contains(&summary.serial_hex),
        "the serial written: {texts}"
    );
    assert!(
        texts.contains(&summary.not_after.date().to_string()),
        "its expiry: {texts}"
    );
    assert!(texts.contains("2枚"), "the e-seals: {texts}");
    // Nothing of the handler's on it (mobile, ID number).
    assert!(!texts.contains(fixtures::MOBILE), "{texts}");
    assert!(!texts.contains(fixtures::RESIDENT_ID), "{texts}");
    assert!(
        dir.join(format!("kiosk/receipts/{number}.png")).exists(),
        "its preview"
    );

    // Finished: home, and 查询订单 no longer offers to write it.
    kiosk.touch("完成");
    kiosk.wait_for(Screen::Home);
    kiosk.touch("查询订单");
    kiosk.wait_for(Screen::Lookup);
    let lookup = kiosk.ui.window().global::<kiosk_ui::LookupAdapter>();
    lookup.set_order_number(number.as_str().into());
    lookup.set_mobile(fixtures::MOBILE.into());
    kiosk.touch("查询");
    kiosk.wait_text("已完成");
    assert!(!kiosk.shows("现场领取：写入USB Key"));
    kiosk.cut_power();
}
