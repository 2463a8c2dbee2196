use super::*;
use kiosk_domain::fixtures;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::renewal::PaymentQr;
use time::macros::datetime;

fn ctx(lang: Lang) -> ViewContext {
    ViewContext {
        lang,
        flow: fixtures::step_context(),
    }
}

#[test]
fn certificate_items_mask_the_uscc_and_explain_the_verdict() {
    let mut old = fixtures::certificate();
    old.not_after = datetime!(2025-06-01 00:00 UTC);
    let candidates = [
        Candidate {
            certificate: fixtures::certificate(),
            open_order: None,
        },
        Candidate {
            certificate: old,
            open_order: None,
        },
    ];
    let ok = certificate_item(&candidates[0], &ctx(Lang::ZhCn));
    assert_eq!(ok.uscc_masked, "9111**********082Q");
    assert!(!ok.uscc_masked.contains(fixtures::USCC));
    assert!(ok.selectable);
    assert_eq!(ok.validity, "2025-12-10 至 2026-12-10");
    assert!(ok.verdict.contains("可以更新"));
    let late = certificate_item(&candidates[1], &ctx(Lang::En));
    assert!(!late.selectable, "greyed out");
    assert!(late.verdict.contains("counter"), "{}", late.verdict);
}

#[test]
fn an_open_paid_order_makes_a_certificate_selectable_with_a_note() {
    let mut old = fixtures::certificate();
    old.not_after = datetime!(2025-06-01 00:00 UTC);
    let mut order = fixtures::renewal_order(3);
    order
        .record_payment(kiosk_domain::order::payment::Payment {
            method: kiosk_domain::order::payment::PaymentMethod::AggregatedQr,
            amount: order.amount,
            reference: "PAY1".parse().unwrap(),
            confirmed_at: datetime!(2026-11-23 10:05 UTC),
        })
        .unwrap();
    let item = certificate_item(
        &Candidate {
            certificate: old,
            open_order: Some(order.clone()),
        },
        &ctx(Lang::ZhCn),
    );
    assert!(item.selectable);
    assert!(item.note.contains(order.number.as_str()) && item.note.contains("无需重复付费"));
}

#[test]
fn pin_warnings_follow_the_outcome() {
    let (w, f) = pin_warning(
        Some(PinOutcome::Wrong {
            tries_left: Some(3),
            final_try: false,
        }),
        Lang::ZhCn,
    );
    assert_eq!((w.as_str(), f), ("PIN码错误，还可以尝试 3 次。", false));
    let (w, f) = pin_warning(
        Some(PinOutcome::Wrong {
            tries_left: Some(1),
            final_try: true,
        }),
        Lang::ZhCn,
    );
    assert!(f && w.contains("锁定"));
    let (w, _) = pin_warning(
        Some(PinOutcome::Wrong {
            tries_left: None,
            final_try: false,
        }),
        Lang::En,
    );
    assert!(w.starts_with("Wrong PIN"));
    assert_eq!(pin_warning(None, Lang::ZhCn), (String::new(), false));
}

#[test]
fn environment_problems_say_what_to_do() {
    let v = blocked_view(EnvironmentProblem::NoKey, Lang::ZhCn);
    assert!(v.what_to_do.contains("请插入USB Key") && !v.ask_staff);
    assert!(blocked_view(EnvironmentProblem::UnsupportedKey, Lang::ZhCn).ask_staff);
    assert!(blocked_view(EnvironmentProblem::KeyReaderFault, Lang::En).ask_staff);
}

#[test]
fn payment_view_counts_down_and_waits_for_the_qr() {
    let order = fixtures::renewal_order(1);
    let state = |qr| RenewalState::Paying {
        session: SessionId(1),
        order: Box::new(order.clone()),
        qr,
        ca_online: true,
    };
    let RenewalView::Payment(v) = renewal_view(&state(None), &ctx(Lang::ZhCn), true) else {
        panic!()
    };
    assert_eq!(
        (v.qr_payload, v.remaining.as_str(), v.amount.as_str()),
        (None, "", "¥300.00")
    );
    let qr = PaymentQr {
        payment_id: "p1".into(),
        payload: "pay://x".into(),
        expires_at: datetime!(2026-11-23 10:14:05 UTC),
    };
    let RenewalView::Payment(v) = renewal_view(&state(Some(qr)), &ctx(Lang::ZhCn), true) else {
        panic!()
    };
    assert_eq!(v.remaining, "14分05秒");
    assert_eq!(
        remaining(
            datetime!(2026-11-23 09:00 UTC),
            datetime!(2026-11-23 10:00 UTC),
            Lang::En
        ),
        "0 min 00 s"
    );
}

#[test]
fn install_progress_follows_the_recorded_step() {
    let mut order = fixtures::renewal_order(1);
    if let OrderDetails::Renewal(d) = &mut order.details {
        d.install.step = InstallStep::RequestSent;
    }
    let v = install_view(&order, Lang::ZhCn);
    let states: Vec<i32> = v.steps.iter().map(|s| s.1).collect();
    assert_eq!(states, [2, 2, 1, 0, 0]);
    assert_eq!(v.percent, 40);
}

#[test]
fn lookup_masks_personal_data_and_uses_the_status_label() {
    let order = fixtures::renewal_order(1);
    let rows = lookup_rows(&order, Lang::ZhCn);
    let all: String = rows.iter().map(|(a, b)| format!("{a}{b}")).collect();
    assert!(all.contains("待支付"));
    assert!(all.contains("张*") && all.contains("138****8000"));
    assert!(!all.contains(fixtures::MOBILE) && !all.contains("张三") && !all.contains("finance@"));
}

#[test]
fn lookup_form_is_checked_before_searching() {
    let number = fixtures::order_number(1).to_string();
    assert!(parse_lookup(&number.to_lowercase(), " 13800138000 ", Lang::ZhCn).is_ok());
    assert!(parse_lookup("nonsense", "13800138000", Lang::ZhCn).is_err());
    assert!(parse_lookup(&number, "123", Lang::En).is_err());
}

#[test]
fn every_state_maps_to_a_screen_and_done_reminds_to_take_the_key() {
    let v = renewal_view(
        &RenewalState::Done {
            session: SessionId(1),
            order: fixtures::order_number(1),
            valid_until: None,
            receipt: None,
        },
        &ctx(Lang::ZhCn),
        true,
    );
    assert!(matches!(
        v,
        RenewalView::Done(DoneView { key_in: true, .. })
    ));
    let v = renewal_view(&RenewalState::Home, &ctx(Lang::ZhCn), false);
    assert_eq!(v, RenewalView::Home);
}
