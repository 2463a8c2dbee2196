//! 企业账户 through the kiosk's real screens on Slint's testing backend,
//! against the reference CA over HTTP: a unit registers with an SMS code
//! (the gateway simulator's), signs in, changes its password and its
//! mobile, starts an application pre-filled with its unit, forgets the
//! password and sets a new one of its own choosing; leaving signs out.
//! With the CA gone the screen says so at once and offers to go on
//! without an account. A sign-in the CA answers after the customer left is
//! signed out at once. A unit whose mobile on file is lost asks for a new
//! one with its business licence and the handler's ID photographed through
//! the live view; staff approve on the back office, seeing both pictures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

mod harness;

use harness::{Ca, Kiosk, demo_config, in_child_with_token};
use kiosk_domain::fixtures;
use kiosk_tests::camera::{show_camera, text_page};
use kiosk_ui::{AccountAdapter, Screen, ViewfinderAdapter};
use slint::{ComponentHandle, Model};
use std::time::{Duration, Instant};

const MOBILE: &str = "13800138000";
const NEW_MOBILE: &str = "13900139000";

fn password(kiosk: &Kiosk, label: &str, password: &str) {
    kiosk.focus(label);
    // The password layout: letters in both cases (⇧), digits, symbols.
    for c in password.chars() {
        if c.is_ascii_uppercase() {
            kiosk.touch("大写");
            kiosk.touch(&c.to_string());
            kiosk.touch("大写");
        } else {
            kiosk.touch(&c.to_string());
        }
    }
}

/// The reference CA in `dir/ca`, whose codes may follow each other at once
/// (the interval between codes is the CA's own tests' business).
fn ca_sending_codes_at_once(dir: &std::path::Path) -> Ca {
    Ca::start_with(
        &dir.join("ca"),
        0,
        ca_service::Options {
            sms_interval: Duration::ZERO,
            ..ca_service::Options::default()
        },
    )
}

#[test]
fn a_unit_registers_signs_in_changes_its_details_and_applies_with_them() {
    in_child_with_token(
        "a_unit_registers_signs_in_changes_its_details_and_applies_with_them",
        |dir| {
            let ca = ca_sending_codes_at_once(dir);
            let config = demo_config(dir, &ca.url, "TYA", "");
            kiosk::demo::provision_key(&config, &ca.staff_url, kiosk_tests::softhsm::PIN).unwrap();
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("企业账户");
            kiosk.wait_for(Screen::Account);
            kiosk.wait_text("企业账户登录");

            // 企业注册: every field checked before anything is sent.
            kiosk.touch("企业注册");
            kiosk.wait_text("确认密码");
            kiosk.focus("单位名称");
            kiosk.pinyin("shanxijiaomeijituan", "山西焦煤集团");
            kiosk.pinyin("youxianzerengongsi", "有限责任公司");
            kiosk.focus("统一社会信用代码（登录账户）");
            kiosk.keys(fixtures::USCC);
            password(&kiosk, "用户密码", "abc12345");
            password(&kiosk, "确认密码", "abc12346");
            kiosk.touch("注册");
            kiosk.wait_text("两次输入的密码不一致，请重新输入");
            kiosk.focus("确认密码");
            kiosk.touch("删除");
            kiosk.keys("5");
            kiosk.touch("注册");
            kiosk.wait_text("请输入11位手机号码");
            kiosk.focus("手机号码");
            kiosk.keys(MOBILE);
            kiosk.touch("获取验证码");
            kiosk.wait_text("验证码已发送");
            // A wrong code: the CA says so, nothing is registered.
            kiosk.focus("短信验证码");
            kiosk.keys("000000");
            password(&kiosk, "用户密码", "abc12345");
            password(&kiosk, "确认密码", "abc12345");
            kiosk.touch("注册");
            kiosk.wait_text("验证码不正确");
            // The passwords and the code left the screen with the answer.
            kiosk.focus("短信验证码");
            kiosk.keys(&ca.sms_code(MOBILE, "register"));
            password(&kiosk, "用户密码", "abc12345");
            password(&kiosk, "确认密码", "abc12345");
            kiosk.touch("注册");
            kiosk.wait_text("注册成功，请登录");

            // 登录: a wrong password, then the right one.
            password(&kiosk, "密码", "abc99999");
            kiosk.touch("登录");
            kiosk.wait_text("登录账户或密码不正确");
            password(&kiosk, "密码", "abc12345");
            kiosk.touch("登录");
            kiosk.wait_text("单位主体信息");
            assert!(kiosk.shows("山西焦煤集团有限责任公司"));
            assert!(kiosk.shows("138****8000"), "the mobile masked");
            assert!(!kiosk.shows(MOBILE));

            // 修改密码.
            kiosk.touch("修改密码");
            kiosk.wait_text("确认新密码");
            password(&kiosk, "当前密码", "abc00000");
            password(&kiosk, "新密码", "Xyz#2026");
            password(&kiosk, "确认新密码", "Xyz#2026");
            kiosk.touch("确认修改");
            kiosk.wait_text("当前密码不正确");
            password(&kiosk, "当前密码", "abc12345");
            password(&kiosk, "新密码", "Xyz#2026");
            password(&kiosk, "确认新密码", "Xyz#2026");
            kiosk.touch("确认修改");
            kiosk.wait_text("密码修改成功");

            // 手机号变更: the code goes to the new number.
            kiosk.touch("手机号变更");
            kiosk.wait_text("新手机号");
            kiosk.focus("新手机号");
            kiosk.keys(NEW_MOBILE);
            kiosk.touch("获取验证码");
            kiosk.wait_text("验证码已发送");
            kiosk.focus("短信验证码");
            kiosk.keys(&ca.sms_code(NEW_MOBILE, "change_mobile"));
            kiosk.touch("提交");
            kiosk.wait_text("手机号变更成功");
            assert!(kiosk.shows("139****9000"));

            // The application starts with the unit; the customer may
            // still change it.
            kiosk.touch("使用本单位信息申请证书及印章");
            kiosk.wait_for(Screen::ApplyAgreement);
            kiosk.touch("同意并继续");
            kiosk.wait_text("煤炭交易中心证书应用");
            kiosk.touch("下一步");
            kiosk.wait_text("单位地址");
            assert!(kiosk.shows("山西焦煤集团有限责任公司"), "the unit's name");
            assert!(kiosk.shows(fixtures::USCC), "the unit's USCC");

            // Leaving ends the application and signs out.
            kiosk.touch("返回首页");
            kiosk.wait_for(Screen::Home);
            kiosk.touch("企业账户");
            kiosk.wait_for(Screen::Account);
            kiosk.wait_text("企业账户登录");
            assert!(!kiosk.shows("山西焦煤集团有限责任公司"), "nothing kept");

            // 忘记密码: a code to the mobile on file, then the customer's
            // own new password (never a fixed one).
            kiosk.touch("忘记密码");
            kiosk.wait_text("确认新密码");
            kiosk.focus("登录账户（统一社会信用代码）");
            kiosk.keys(fixtures::USCC);
            kiosk.focus("注册手机");
            kiosk.keys(MOBILE);
            kiosk.touch("获取验证码");
            kiosk.wait_text("验证码已发送");
            kiosk.focus("短信验证码");
            kiosk.keys(&ca.sms_code(MOBILE, "reset_password"));
            password(&kiosk, "新密码", "Reset2026");
            password(&kiosk, "确认新密码", "Reset2026");
            kiosk.touch("重置密码");
            kiosk.wait_text("手机号与注册时登记的不一致");
            kiosk.focus("注册手机");
            for _ in 0..MOBILE.len() {
                kiosk.touch("删除");
            }
            kiosk.keys(NEW_MOBILE);
            kiosk.touch("获取验证码");
            kiosk.wait_text("验证码已发送");
            kiosk.focus("短信验证码");
            kiosk.keys(&ca.sms_code(NEW_MOBILE, "reset_password"));
            password(&kiosk, "新密码", "Reset2026");
            password(&kiosk, "确认新密码", "Reset2026");
            kiosk.touch("重置密码");
            kiosk.wait_text("密码已重置，请用新密码登录");
            // The login name stays from 忘记密码.
            password(&kiosk, "密码", "Reset2026");
            kiosk.touch("登录");
            kiosk.wait_text("单位主体信息");
            kiosk.touch("退出登录");
            kiosk.wait_text("已退出登录");

            // The CA goes away: the screen says so as it opens, and the
            // customer goes on without an account.
            kiosk.touch("返回首页");
            kiosk.wait_for(Screen::Home);
            drop(ca);
            kiosk.touch("企业账户");
            kiosk.wait_for(Screen::Account);
            kiosk.wait_text("暂时无法连接CA，企业账户暂不可用");
            kiosk.touch("不登录，直接申请证书及印章");
            kiosk.wait_for(Screen::ApplyAgreement);
        },
    );
}

/// The customer presses 登录 and walks away before the CA answers: the
/// session the CA then opens is ended at once, not left until its idle
/// time with nobody at the kiosk.
#[test]
fn a_sign_in_answered_after_the_customer_left_is_signed_out() {
    in_child_with_token(
        "a_sign_in_answered_after_the_customer_left_is_signed_out",
        |dir| {
            let ca = Ca::start(&dir.join("ca"), 0);
            // The unit's account, registered at the CA.
            register(&ca, MOBILE);
            let config = demo_config(dir, &ca.url, "TYA", "");
            kiosk::demo::provision_key(&config, &ca.staff_url, kiosk_tests::softhsm::PIN).unwrap();
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("企业账户");
            kiosk.wait_for(Screen::Account);
            kiosk.wait_text("企业账户登录");
            kiosk.focus("登录账户（统一社会信用代码）");
            kiosk.keys(fixtures::USCC);
            password(&kiosk, "密码", "abc12345");
            // The password's hash takes the CA a moment: the customer is
            // gone before it answers.
            kiosk.touch("登录");
            kiosk.touch("返回首页");
            kiosk.wait_for(Screen::Home);
            let signed_out = |requests: &[(std::time::Instant, String)]| {
                let signed_in = requests
                    .iter()
                    .position(|(_, r)| r == "POST /v1/accounts/session");
                let ended = requests
                    .iter()
                    .rposition(|(_, r)| r == "DELETE /v1/accounts/session");
                matches!((signed_in, ended), (Some(a), Some(b)) if a < b)
            };
            let start = std::time::Instant::now();
            while !signed_out(&ca.service.requests()) {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "the late session was never signed out: {:?}",
                    ca.service.requests()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(
                !kiosk.shows("单位主体信息"),
                "nothing of it reached the screen"
            );
            kiosk.cut_power();
        },
    );
}

/// Registers the unit at the CA with `mobile`, as another kiosk did.
fn register(ca: &Ca, mobile: &str) {
    let codes = format!("{}/v1/sms/codes", ca.url);
    let sent = ca.post_json(
        &codes,
        &serde_json::json!({"mobile": mobile, "purpose": "register", "uscc": fixtures::USCC}),
    );
    assert_eq!(sent, 200);
    let registered = ca.post_json(
        &format!("{}/v1/accounts", ca.url),
        &serde_json::json!({
            "unit_name": "山西焦煤集团有限责任公司",
            "uscc": fixtures::USCC,
            "password": "abc12345",
            "mobile": mobile,
            "sms_code": ca.sms_code(mobile, "register"),
        }),
    );
    assert_eq!(registered, 201);
}

/// 拍摄 on document `row` of 变更手机号, the live view, 拍照, and the
/// picture kept.
fn photograph(kiosk: &Kiosk, camera: &std::path::Path, row: usize) {
    show_camera(camera, &text_page(u32::try_from(row).unwrap()));
    let a = kiosk.ui.window().global::<AccountAdapter>();
    let before = a.get_documents().row_data(row).unwrap();
    // Rows are photographed in order: the first 拍摄 is the first row not
    // taken, the first 重拍 the licence's.
    kiosk.touch(if before.done { "重拍" } else { "拍摄" });
    let start = Instant::now();
    loop {
        kiosk.port.pump();
        let v = kiosk.ui.window().global::<ViewfinderAdapter>();
        if v.get_open() && v.get_has_frame() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no live view");
        std::thread::sleep(Duration::from_millis(20));
    }
    kiosk.touch("拍照");
    let start = Instant::now();
    loop {
        kiosk.port.pump();
        let row = a.get_documents().row_data(row).unwrap();
        assert!(!row.failed, "the page was not found");
        // The live view closes as 拍照 is taken (a retake's row was done
        // before).
        let open = kiosk.ui.window().global::<ViewfinderAdapter>().get_open();
        if row.done && !row.capturing && !open {
            assert!(row.size_kb > 0 && row.size_kb <= 1024, "{}", row.size_kb);
            assert!(row.preview.size().width > 0, "the picture as kept");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "not taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Shown large to be checked, then accepted.
    assert_eq!(a.get_checking_row(), i32::try_from(row).unwrap());
    assert!(a.get_checking_preview().size().width > 0);
    assert!(!kiosk.shows("新手机号"), "the check is in the page's place");
    kiosk.touch("确认使用");
    kiosk.wait_text("新手机号");
    assert_eq!(a.get_checking_row(), -1);
}

/// 忘记密码 when the mobile on file is lost: 变更手机号 with the code sent
/// to the new number and two documents photographed; the CA's staff see
/// both pictures and approve; the new mobile then resets the password.
#[test]
fn a_lost_mobile_is_changed_after_staff_see_the_documents() {
    in_child_with_token(
        "a_lost_mobile_is_changed_after_staff_see_the_documents",
        |dir| {
            // The new number gets two codes in a row here.
            let ca = ca_sending_codes_at_once(dir);
            register(&ca, MOBILE);
            let config = demo_config(dir, &ca.url, "TYA", "");
            kiosk::demo::provision_key(&config, &ca.staff_url, kiosk_tests::softhsm::PIN).unwrap();
            let camera = dir.join("kiosk/receipts");
            let kiosk = Kiosk::start(&config);
            kiosk.wait_for(Screen::Home);
            kiosk.touch("企业账户");
            kiosk.wait_for(Screen::Account);
            kiosk.touch("忘记密码");
            kiosk.wait_text("确认新密码");
            kiosk.touch("变更手机号？");
            kiosk.wait_text("变更手机号（原手机号已停用）");
            kiosk.focus("登录账户（统一社会信用代码）");
            kiosk.keys(fixtures::USCC);
            kiosk.focus("新手机号");
            kiosk.keys(NEW_MOBILE);
            kiosk.touch("获取验证码");
            kiosk.wait_text("验证码已发送");
            kiosk.focus("短信验证码");
            kiosk.keys(&ca.sms_code(NEW_MOBILE, "change_mobile"));
            // Not without the documents.
            assert!(kiosk.shows("还有材料未拍摄"));
            photograph(&kiosk, &camera, 0);
            assert!(kiosk.shows("还有材料未拍摄"), "the ID is missing");
            photograph(&kiosk, &camera, 1);
            // 重拍 replaces the licence.
            photograph(&kiosk, &camera, 0);
            kiosk.touch("提交审核");
            kiosk.wait_text("变更申请已提交");
            // Nothing changed yet: the old number is still on file.
            let (status, _, body) = kiosk_ca_reviews(&ca);
            assert_eq!(status, 200);
            let reviews: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
            assert_eq!(reviews.len(), 1, "{reviews:?}");
            let review = &reviews[0];
            assert_eq!(review["uscc"], fixtures::USCC);
            assert_eq!(review["new_mobile"], NEW_MOBILE);
            assert_eq!(review["status"], "pending");
            let id = review["id"].as_str().unwrap();
            // Staff see both pictures, as the kiosk kept them.
            for which in ["licence", "id"] {
                let (status, kind, bytes) = ca.fetch(&format!(
                    "{}/admin/mobile-reviews/{id}/captures/{which}",
                    ca.staff_url
                ));
                assert_eq!(status, 200, "{which}");
                assert_eq!(kind, "image/jpeg");
                assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && bytes.len() <= 1_000_000);
                let page = kiosk_camera::file_source::decode_frame(&bytes).unwrap();
                assert!(page.width > 100 && page.height > 100, "{which}");
            }
            let (_, _, office) = ca.fetch(&format!("{}/admin", ca.staff_url));
            let office = String::from_utf8(office).unwrap();
            assert!(
                office.contains(&format!("/admin/mobile-reviews/{id}/captures/licence")),
                "the back office shows the licence"
            );
            assert_eq!(
                ca.post_form(
                    &format!("{}/admin/mobile-reviews/{id}/approve", ca.staff_url),
                    &[]
                ),
                303
            );
            // The new number now resets the password (the USCC and the
            // number typed stay on the screen from 变更手机号).
            kiosk.touch("忘记密码");
            kiosk.wait_text("确认新密码");
            let a = kiosk.ui.window().global::<AccountAdapter>();
            assert_eq!(a.get_typed_mobile(), NEW_MOBILE);
            assert_eq!(a.get_typed_uscc(), fixtures::USCC);
            kiosk.touch("获取验证码");
            kiosk.wait_text("验证码已发送");
            kiosk.focus("短信验证码");
            kiosk.keys(&ca.sms_code(NEW_MOBILE, "reset_password"));
            password(&kiosk, "新密码", "Reset2026");
            password(&kiosk, "确认新密码", "Reset2026");
            kiosk.touch("重置密码");
            kiosk.wait_text("密码已重置，请用新密码登录");
            kiosk.cut_power();
        },
    );
}

/// The CA's list of mobile reviews, as its staff API gives it.
fn kiosk_ca_reviews(ca: &Ca) -> (u16, String, Vec<u8>) {
    ca.fetch(&format!("{}/v1/admin/mobile-reviews", ca.staff_url))
}
