use super::payment::{Payment, PaymentMethod};
use super::status::OrderStatus::*;
use super::*;
use crate::fixtures;
use time::macros::datetime;

fn qr_payment(order: &Order, reference: &str) -> Payment {
    Payment {
        method: PaymentMethod::AggregatedQr,
        amount: order.amount,
        reference: reference.parse().unwrap(),
        confirmed_at: datetime!(2026-11-23 10:05 UTC),
    }
}

#[test]
fn an_application_starts_pending_review_and_a_renewal_awaiting_payment() {
    assert_eq!(fixtures::application_order(1).status(), PendingReview);
    assert_eq!(fixtures::renewal_order(2).status(), AwaitingPayment);
    assert_eq!(fixtures::application_order(1).amount, Fen(50_000));
}

#[test]
fn an_order_is_paid_once() {
    let mut order = fixtures::renewal_order(1);
    assert_eq!(order.record_payment(qr_payment(&order, "P-1")), Ok(true));
    assert_eq!(order.status(), InProgress);
    // The provider repeats its confirmation: nothing changes.
    assert_eq!(order.record_payment(qr_payment(&order, "P-1")), Ok(false));
    // A second, different payment is refused and the first stays.
    assert_eq!(
        order.record_payment(qr_payment(&order, "P-2")),
        Err(OrderError::AlreadyPaid)
    );
    assert_eq!(order.payment().unwrap().reference.as_str(), "P-1");
}

#[test]
fn payment_must_match_the_amount_and_the_status() {
    let mut order = fixtures::renewal_order(1);
    let mut short = qr_payment(&order, "P-1");
    short.amount = Fen(1);
    assert!(matches!(
        order.record_payment(short),
        Err(OrderError::WrongAmount { .. })
    ));
    // An application cannot be paid before review.
    let mut app = fixtures::application_order(2);
    let payment = qr_payment(&app, "P-3");
    assert!(matches!(
        app.record_payment(payment),
        Err(OrderError::IllegalTransition(_))
    ));
    assert_eq!(app.status(), PendingReview);
    assert!(app.payment().is_none());
}

#[test]
fn a_renewal_cannot_be_paid_by_bank_transfer() {
    let mut order = fixtures::renewal_order(1);
    let mut payment = qr_payment(&order, "B-1");
    payment.method = PaymentMethod::BankTransfer {
        remitter: "张三".parse().unwrap(),
    };
    assert_eq!(
        order.record_payment(payment),
        Err(OrderError::MethodNotOffered)
    );
    assert_eq!(order.status(), AwaitingPayment);
}

#[test]
fn in_progress_is_reached_only_through_a_payment() {
    let mut order = fixtures::renewal_order(1);
    assert_eq!(order.transition(InProgress), Err(OrderError::NotPaid));
}

#[test]
fn an_illegal_transition_is_an_error_and_changes_nothing() {
    let mut order = fixtures::application_order(1);
    let err = order.transition(Mailed).unwrap_err();
    assert!(matches!(err, OrderError::IllegalTransition(_)));
    assert_eq!(order.status(), PendingReview);
    assert!(err.message(Lang::ZhCn).contains("待审核"));
}

#[test]
fn the_ca_feed_may_skip_ahead_but_never_moves_an_order_back() {
    let mut order = fixtures::application_order(1);
    assert_eq!(order.apply_ca_status(CertificateMade, None), Ok(true));
    assert_eq!(order.apply_ca_status(CertificateMade, None), Ok(false));
    // A status passed already is late news: no change, no error.
    assert_eq!(order.apply_ca_status(PendingReview, None), Ok(false));
    assert_eq!(order.apply_ca_status(InProgress, None), Ok(false));
    assert_eq!(order.status(), CertificateMade);
    // Off the table (cancelled after it was made): an error.
    assert!(order.apply_ca_status(Cancelled, None).is_err());
    assert_eq!(order.status(), CertificateMade);
}

#[test]
fn a_resubmission_after_a_rejection_is_news_not_late_news() {
    let mut order = fixtures::application_order(1);
    order
        .apply_ca_status(Rejected, Some("模糊".to_owned()))
        .unwrap();
    // 待审核 is both behind and ahead of 审核未通过 (the table's one cycle):
    // ahead wins.
    assert_eq!(order.apply_ca_status(PendingReview, None), Ok(true));
    assert_eq!(order.status(), PendingReview);
}

#[test]
fn a_rejection_keeps_its_reason_until_resubmitted() {
    let mut order = fixtures::application_order(1);
    order
        .apply_ca_status(Rejected, Some("营业执照不清晰".to_owned()))
        .unwrap();
    assert_eq!(order.rejection_reason(), Some("营业执照不清晰"));
    order.transition(PendingReview).unwrap();
    assert_eq!(order.rejection_reason(), None);
}

#[test]
fn an_order_survives_a_serde_round_trip() {
    for order in [fixtures::renewal_order(1), fixtures::application_order(2)] {
        let json = serde_json::to_string(&order).unwrap();
        let back: Order = serde_json::from_str(&json).unwrap();
        assert_eq!(back, order);
    }
}

#[test]
fn debug_output_of_an_order_leaks_no_personal_data() {
    // `tracing::debug!(?order)` must be safe in a public hall.
    let debug = format!("{:?}", fixtures::application_order(1));
    for secret in [
        fixtures::RESIDENT_ID,
        fixtures::MOBILE,
        "李四",
        "王五",
        "示例路",
        "finance@",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn a_renewal_awaiting_payment_was_never_reviewed() {
    assert_eq!(
        fixtures::renewal_order(1).status_label(Lang::ZhCn),
        "待支付"
    );
    let mut app = fixtures::application_order(2);
    app.apply_ca_status(AwaitingPayment, None).unwrap();
    assert_eq!(app.status_label(Lang::ZhCn), "审核通过/待支付");
}
