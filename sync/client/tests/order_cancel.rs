//! 取消订单 at the kiosk over real mutual TLS: one of the kiosk's orders
//! that is not paid, withdrawn by a member of staff who signed it with
//! their own staff key (`POST /v1/orders/{number}/cancellation`), is
//! cancelled at the CA once (its kiosk hears 已取消 in its feed), and is
//! paid by no means afterwards; and only when the kiosk is the order's and
//! the signature is a staff certificate's of the CA's staff CA, with the
//! staff role, over exactly this cancel, made at about now.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::storage::{
    CancelOutcome, OpenOutcome, PayOutcome, RecordOutcome, RecordedPayment, StoredRemittance,
};
use common::pki::{Leaf, Pki};
use common::staff::{Ca, Member, create, now, refused, staff_options};
use common::{https, tls_client};
use kiosk_domain::fixtures;
use kiosk_domain::order::Order;
use kiosk_domain::ports::ca::{CaError, CaPort, PaymentStatus, Refusal};
use kiosk_domain::ports::counter::{CounterMethod, CounterPayment, OrderCancel, SignedOrderCancel};
use kiosk_sync_client::CaClient;
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::payment::{METHOD_COUNTER, PaymentRequestV1};
use kiosk_sync_wire::staff_signed::OrderCancelV1;
use kiosk_x509::StaffRole;
use kiosk_x509::test_ca::{SoftSigner, TestCa};
use time::{Duration, OffsetDateTime};

fn cancel(order: &Order) -> OrderCancel {
    OrderCancel {
        order: order.number,
        signed_at: now(),
    }
}

/// `signed` posted for the path's `number` as the kiosk `as_kiosk` sends
/// it: the status and the answer's JSON.
async fn post(
    ca: &Ca,
    pki: &Pki,
    as_kiosk: &Leaf,
    number: &str,
    signed: &SignedOrderCancel,
) -> (u16, serde_json::Value) {
    let r = https(pki, Some(as_kiosk))
        .post(format!(
            "{}{}",
            ca.base(),
            kiosk_sync_wire::paths::order_cancellation(number)
        ))
        .json(&OrderCancelV1::from_domain(signed).unwrap())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The order's status at the CA.
fn status_at_ca(ca: &Ca, order: &Order) -> StatusV1 {
    ca.service
        .storage()
        .order(order.number.as_str())
        .unwrap()
        .unwrap()
        .status
}

/// The statuses the kiosk's feed carries for `order`, oldest first.
async fn heard(kiosk: &CaClient, order: &Order) -> Vec<StatusV1> {
    let page = kiosk.feed(0, 500).await.unwrap();
    page.entries
        .into_iter()
        .filter(|e| e.number == order.number.as_str())
        .map(|e| e.status)
        .collect()
}

/// An application at the CA, reviewed and waiting for its payment.
async fn approved_application(ca: &Ca, kiosk: &CaClient, order: &Order) {
    create(kiosk, order).await;
    kiosk.submit(order.number.as_str()).await.unwrap();
    ca.service
        .storage()
        .transition(
            order.number.as_str(),
            StatusV1::AwaitingPayment,
            None,
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    assert_eq!(status_at_ca(ca, order), StatusV1::AwaitingPayment);
}

/// A CA trusting a staff CA (no one revoked), the kiosk TYA, and a member
/// of staff.
struct Setup {
    _dir: tempfile::TempDir,
    pki: Pki,
    staff_ca: TestCa,
    ca: Ca,
    device: Leaf,
    kiosk: CaClient,
    member: Member,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let staff_ca = TestCa::new("Staff CA").unwrap();
    let crl = staff_ca.crl(&[], OffsetDateTime::now_utc(), 1).unwrap();
    let ca = Ca::start(
        &dir.path().join("ca"),
        &pki,
        staff_options(dir.path(), &staff_ca, &crl),
    )
    .await;
    let device = pki.device_ca.device("TYA");
    let kiosk = tls_client(&pki, &ca.base(), &device);
    let member = Member::new(&staff_ca, &[StaffRole::Staff], SoftSigner::generate_p256());
    Setup {
        _dir: dir,
        pki,
        staff_ca,
        ca,
        device,
        kiosk,
        member,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_signed_cancel_cancels_once_and_the_order_is_never_paid_after() {
    let Setup {
        pki,
        ca,
        device,
        kiosk,
        member,
        ..
    } = setup().await;
    let storage = ca.service.storage();

    // A renewal waiting for its payment, with a QR payment open.
    let order = fixtures::renewal_order(1);
    create(&kiosk, &order).await;
    let qr = CaPort::create_payment(&kiosk, order.number, order.amount)
        .await
        .unwrap();
    assert_eq!(qr.status, PaymentStatus::Pending);
    assert_eq!(heard(&kiosk, &order).await, []);

    // Cancelled: 200 with the order and its status, through the wire.
    let signed = member.sign_cancel(cancel(&order));
    let (status, answer) = post(&ca, &pki, &device, order.number.as_str(), &signed).await;
    assert_eq!(
        (status, answer),
        (
            200,
            serde_json::json!({"number": order.number.as_str(), "status": "cancelled"})
        )
    );
    assert_eq!(status_at_ca(&ca, &order), StatusV1::Cancelled);
    // The kiosk hears it in its feed, once.
    assert_eq!(heard(&kiosk, &order).await, [StatusV1::Cancelled]);

    // The same cancel again, through the port, and a new one: Ok, and
    // nothing changes.
    assert_eq!(CaPort::cancel_order(&kiosk, signed.clone()).await, Ok(()));
    assert_eq!(
        CaPort::cancel_order(&kiosk, member.sign_cancel(cancel(&order))).await,
        Ok(())
    );
    assert_eq!(status_at_ca(&ca, &order), StatusV1::Cancelled);
    assert_eq!(heard(&kiosk, &order).await, [StatusV1::Cancelled]);

    // The QR payment open before is expired and cannot be paid.
    assert_eq!(
        CaPort::payment(&kiosk, &qr.id).await.unwrap().status,
        PaymentStatus::Expired
    );
    let later = OffsetDateTime::now_utc();
    assert!(matches!(
        storage.pay(&qr.id, "SIM-1", later).unwrap(),
        Some(PayOutcome::Expired(_))
    ));
    // Even at a time before the cancel (a clock set back): not paid.
    assert!(matches!(
        storage
            .pay(&qr.id, "SIM-1", later - Duration::minutes(5))
            .unwrap(),
        Some(PayOutcome::Expired(_))
    ));
    // No new QR payment, through the wire and the port.
    let r = https(&pki, Some(&device))
        .post(format!("{}/v1/payments", ca.base()))
        .json(&PaymentRequestV1 {
            order_number: order.number.as_str().to_owned(),
            amount_fen: order.amount.0,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "order_cancelled");
    assert_eq!(
        CaPort::create_payment(&kiosk, order.number, order.amount)
            .await
            .map(|_| ()),
        refused(Refusal::Other)
    );
    // No counter payment signed by staff at the kiosk.
    let payment = member.sign(CounterPayment {
        order: order.number,
        method: CounterMethod::Counter,
        amount: order.amount,
        reference: "POS-0001".parse().unwrap(),
        signed_at: now(),
    });
    assert_eq!(
        CaPort::record_counter_payment(&kiosk, payment)
            .await
            .map(|_| ()),
        refused(Refusal::Other)
    );
    // None recorded by the back office, nor a remittance confirmed.
    assert_eq!(
        storage
            .record_payment(&RecordedPayment {
                id: "pay_00000000000000000000000000000001",
                number: order.number.as_str(),
                method: METHOD_COUNTER,
                amount_fen: order.amount.0,
                reference: "POS-0002",
                now: OffsetDateTime::now_utc(),
            })
            .unwrap(),
        RecordOutcome::OrderCancelled
    );
    storage
        .add_remittance(&StoredRemittance {
            id: "rem_00000000000000000000000000000001".to_owned(),
            number: order.number.as_str().to_owned(),
            payer_name: "张三".to_owned(),
            bank_reference: "BANK-0001".to_owned(),
            amount_fen: order.amount.0,
            received_at: OffsetDateTime::now_utc(),
            payment_id: None,
        })
        .unwrap();
    assert_eq!(
        storage
            .confirm_remittance(
                "rem_00000000000000000000000000000001",
                "pay_00000000000000000000000000000002",
                OffsetDateTime::now_utc(),
            )
            .unwrap(),
        Some(RecordOutcome::OrderCancelled)
    );
    assert!(matches!(
        storage
            .open_payment(&ca_service::storage::NewPayment {
                id: "pay_00000000000000000000000000000003",
                number: order.number.as_str(),
                amount_fen: order.amount.0,
                now: OffsetDateTime::now_utc(),
                expires_at: OffsetDateTime::now_utc() + Duration::minutes(15),
            })
            .unwrap(),
        OpenOutcome::OrderCancelled
    ));
    // Still cancelled, never paid, heard once.
    assert_eq!(ca.payments_of(&order), (None, Some(qr.id)));
    assert_eq!(status_at_ca(&ca, &order), StatusV1::Cancelled);
    assert_eq!(heard(&kiosk, &order).await, [StatusV1::Cancelled]);

    // An application reviewed and waiting for its payment: the same.
    let application = fixtures::application_order(2);
    approved_application(&ca, &kiosk, &application).await;
    let before = heard(&kiosk, &application).await;
    assert_eq!(
        CaPort::cancel_order(&kiosk, member.sign_cancel(cancel(&application))).await,
        Ok(())
    );
    assert_eq!(status_at_ca(&ca, &application), StatusV1::Cancelled);
    let after = heard(&kiosk, &application).await;
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()..], [StatusV1::Cancelled]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_not_signed_by_a_member_of_staff_for_this_kiosk_changes_nothing() {
    let Setup {
        pki,
        staff_ca,
        ca,
        device,
        kiosk,
        member,
        ..
    } = setup().await;
    let order = fixtures::renewal_order(1);
    create(&kiosk, &order).await;
    let qr = CaPort::create_payment(&kiosk, order.number, order.amount)
        .await
        .unwrap();
    let unchanged = |ca: &Ca| {
        assert_eq!(status_at_ca(ca, &order), StatusV1::AwaitingPayment);
        let open = ca.service.storage().payment(&qr.id).unwrap().unwrap();
        assert!(!open.is_expired(OffsetDateTime::now_utc()));
    };

    // Another kiosk, with a valid staff signature for this kiosk's order:
    // the access gate refuses it before any handler.
    let other_kiosk = pki.device_ca.device("KAB");
    let (status, problem) = post(
        &ca,
        &pki,
        &other_kiosk,
        order.number.as_str(),
        &member.sign_cancel(cancel(&order)),
    )
    .await;
    assert_eq!(
        (status, &problem["code"]),
        (403, &serde_json::json!("forbidden"))
    );
    unchanged(&ca);

    let staff_not_accepted = |(status, problem): (u16, serde_json::Value), case: &str| {
        assert_eq!(
            (status, problem["code"].as_str()),
            (403, Some("staff_not_accepted")),
            "{case}: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(!detail.contains("王芳"), "{case}: {detail}");
        detail.to_owned()
    };
    // The signature of another order's cancel, sent for this one.
    let elsewhere = member.sign_cancel(cancel(&fixtures::renewal_order(3)));
    let detail = staff_not_accepted(
        post(&ca, &pki, &device, order.number.as_str(), &elsewhere).await,
        "another order's signature",
    );
    assert!(detail.contains("signature"), "{detail}");
    // A counter payment's signature is not a cancel's.
    let payment = CounterPayment {
        order: order.number,
        method: CounterMethod::Counter,
        amount: order.amount,
        reference: "POS-0001".parse().unwrap(),
        signed_at: now(),
    };
    let mut as_payment = member.sign_cancel(OrderCancel {
        order: order.number,
        signed_at: payment.signed_at,
    });
    as_payment.signature = member.sign(payment).signature;
    staff_not_accepted(
        post(&ca, &pki, &device, order.number.as_str(), &as_payment).await,
        "a payment's signature",
    );

    // A staff certificate of another CA, a technician's alone, a time
    // too far ahead or too old: refused through the wire and the port.
    let stranger = Member::new(
        &TestCa::new("Staff CA").unwrap(),
        &[StaffRole::Staff],
        SoftSigner::generate_p256(),
    );
    let technician = Member::new(
        &staff_ca,
        &[StaffRole::Technician],
        SoftSigner::generate_p256(),
    );
    let mut ahead = cancel(&order);
    ahead.signed_at += Duration::minutes(11);
    let mut old = cancel(&order);
    old.signed_at -= Duration::hours(25);
    for (case, signed, says) in [
        (
            "another CA",
            stranger.sign_cancel(cancel(&order)),
            "not from the staff CA",
        ),
        (
            "technician",
            technician.sign_cancel(cancel(&order)),
            "staff role",
        ),
        ("ahead", member.sign_cancel(ahead), "ahead"),
        ("old", member.sign_cancel(old), "24 hours"),
    ] {
        let detail = staff_not_accepted(
            post(&ca, &pki, &device, order.number.as_str(), &signed).await,
            case,
        );
        assert!(detail.contains(says), "{case}: {detail}");
        assert_eq!(
            CaPort::cancel_order(&kiosk, signed).await,
            refused(Refusal::StaffNotAccepted),
            "{case}"
        );
    }
    unchanged(&ca);
    assert_eq!(heard(&kiosk, &order).await, []);

    // The right one still cancels it.
    assert_eq!(
        CaPort::cancel_order(&kiosk, member.sign_cancel(cancel(&order))).await,
        Ok(())
    );
    assert_eq!(status_at_ca(&ca, &order), StatusV1::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_or_one_the_ca_does_not_have_is_not_cancelled() {
    let Setup {
        pki,
        ca,
        device,
        kiosk,
        member,
        ..
    } = setup().await;

    // Paid at the counter: 409 already_paid, PaidAlready through the
    // port; it stays paid and in hand.
    let order = fixtures::renewal_order(1);
    create(&kiosk, &order).await;
    let paid = CaPort::record_counter_payment(
        &kiosk,
        member.sign(CounterPayment {
            order: order.number,
            method: CounterMethod::Counter,
            amount: order.amount,
            reference: "POS-0001".parse().unwrap(),
            signed_at: now(),
        }),
    )
    .await
    .unwrap();
    assert_eq!(status_at_ca(&ca, &order), StatusV1::InProgress);
    let heard_before = heard(&kiosk, &order).await;
    let signed = member.sign_cancel(cancel(&order));
    let (status, problem) = post(&ca, &pki, &device, order.number.as_str(), &signed).await;
    assert_eq!(
        (status, &problem["code"]),
        (409, &serde_json::json!("already_paid"))
    );
    assert_eq!(
        CaPort::cancel_order(&kiosk, signed).await,
        refused(Refusal::PaidAlready)
    );
    assert_eq!(status_at_ca(&ca, &order), StatusV1::InProgress);
    assert_eq!(
        ca.payments_of(&order),
        (Some(paid.id.clone()), Some(paid.id))
    );
    assert_eq!(heard(&kiosk, &order).await, heard_before);

    // Paid by QR while its kiosk was about to cancel it: the same.
    let second = fixtures::renewal_order(2);
    create(&kiosk, &second).await;
    let qr = CaPort::create_payment(&kiosk, second.number, second.amount)
        .await
        .unwrap();
    ca.service
        .storage()
        .pay(&qr.id, "SIM-1", OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(
        CaPort::cancel_order(&kiosk, member.sign_cancel(cancel(&second))).await,
        refused(Refusal::PaidAlready)
    );
    assert_eq!(status_at_ca(&ca, &second), StatusV1::InProgress);

    // An order the outbox has not delivered: OrderNotYetKnown (404), and
    // nothing is made of it.
    let unsent = fixtures::renewal_order(4);
    let signed = member.sign_cancel(cancel(&unsent));
    let (status, problem) = post(&ca, &pki, &device, unsent.number.as_str(), &signed).await;
    assert_eq!(
        (status, &problem["code"]),
        (404, &serde_json::json!("not_found"))
    );
    assert_eq!(
        CaPort::cancel_order(&kiosk, signed).await,
        Err(CaError::OrderNotYetKnown)
    );
    assert_eq!(
        ca.service.storage().order(unsent.number.as_str()).unwrap(),
        None
    );
    assert_eq!(
        ca.service
            .storage()
            .cancel_order(unsent.number.as_str(), OffsetDateTime::now_utc())
            .unwrap(),
        CancelOutcome::Unknown
    );
    assert_eq!(heard(&kiosk, &unsent).await, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_without_a_staff_ca_cancels_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let ca = Ca::start(dir.path(), &pki, ca_service::Options::default()).await;
    let device = pki.device_ca.device("TYA");
    let kiosk = tls_client(&pki, &ca.base(), &device);
    let order = fixtures::renewal_order(1);
    create(&kiosk, &order).await;
    let member = Member::new(
        &TestCa::new("Staff CA").unwrap(),
        &[StaffRole::Staff],
        SoftSigner::generate_p256(),
    );
    assert_eq!(
        CaPort::cancel_order(&kiosk, member.sign_cancel(cancel(&order))).await,
        refused(Refusal::StaffNotAccepted)
    );
    assert_eq!(status_at_ca(&ca, &order), StatusV1::AwaitingPayment);
}
