//! 柜台收款 over real mutual TLS: a payment a member of staff took for one
//! of the kiosk's orders, signed at the kiosk with their own staff key
//! (`POST /v1/orders/{number}/counter-payments`), is recorded by the CA
//! once, and only when the kiosk is the order's and the signature is a
//! staff certificate's of the CA's staff CA, with the staff role, not
//! revoked, over exactly this payment, made at about now.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::pki::{Leaf, Pki};
use common::staff::{Ca, Member, create, now, refused, staff_options};
use common::{https, tls_client};
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::Order;
use kiosk_domain::ports::ca::{CaPort, PaymentKind, PaymentStatus, Refusal};
use kiosk_domain::ports::counter::{CounterMethod, CounterPayment, SignedCounterPayment};
use kiosk_sync_wire::payment::CounterPaymentV1;
use kiosk_x509::StaffRole;
use kiosk_x509::test_ca::{SoftSigner, TestCa};
use time::{Duration, OffsetDateTime};

fn payment(order: &Order, amount: Fen, reference: &str) -> CounterPayment {
    CounterPayment {
        order: order.number,
        method: CounterMethod::Counter,
        amount,
        reference: reference.parse().unwrap(),
        signed_at: now(),
    }
}

/// `signed` posted as the kiosk `as_kiosk` sends it: the status and the
/// answer's JSON.
async fn post(
    ca: &Ca,
    pki: &Pki,
    as_kiosk: &Leaf,
    signed: &SignedCounterPayment,
) -> (u16, serde_json::Value) {
    post_body(
        ca,
        pki,
        as_kiosk,
        signed.payment.order.as_str(),
        &CounterPaymentV1::from_domain(signed).unwrap(),
    )
    .await
}

async fn post_body(
    ca: &Ca,
    pki: &Pki,
    as_kiosk: &Leaf,
    number: &str,
    body: &CounterPaymentV1,
) -> (u16, serde_json::Value) {
    let r = https(pki, Some(as_kiosk))
        .post(format!(
            "{}{}",
            ca.base(),
            kiosk_sync_wire::paths::counter_payments(number)
        ))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_signed_payment_is_recorded_once_and_the_order_is_paid() {
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
    let order = fixtures::application_order(1);
    create(&kiosk, &order).await;
    let member = Member::new(&staff_ca, &[StaffRole::Staff], SoftSigner::generate_p256());
    let signed = member.sign(payment(&order, order.amount, "POS-0001"));

    // Recorded (201), then the same again finds it (200), through the
    // port as through the wire.
    let (status, first) = post(&ca, &pki, &device, &signed).await;
    assert_eq!(status, 201, "{first}");
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&first["status"], &first["method"], &first["amount_fen"]),
        (
            &serde_json::json!("paid"),
            &serde_json::json!("counter"),
            &serde_json::json!(order.amount.0)
        )
    );
    let info = CaPort::record_counter_payment(&kiosk, signed.clone())
        .await
        .unwrap();
    assert_eq!(info.id, id);
    assert_eq!(
        (
            info.status,
            info.kind,
            info.amount,
            info.reference.as_deref()
        ),
        (
            PaymentStatus::Paid,
            PaymentKind::Counter,
            order.amount,
            Some("POS-0001")
        )
    );
    let (status, again) = post(&ca, &pki, &device, &signed).await;
    assert_eq!((status, again["id"].as_str()), (200, Some(id.as_str())));
    // Exactly one payment at the CA.
    assert_eq!(ca.payments_of(&order), (Some(id.clone()), Some(id.clone())));

    // The order is paid: its payment, and the QR payment asked for now is
    // that one.
    let polled = CaPort::payment(&kiosk, &id).await.unwrap();
    assert_eq!(polled.status, PaymentStatus::Paid);
    let qr = CaPort::create_payment(&kiosk, order.number, order.amount)
        .await
        .unwrap();
    assert_eq!(
        (qr.id.as_str(), qr.status),
        (id.as_str(), PaymentStatus::Paid)
    );
    assert!(
        qr.confirmed_payment(order.number, order.amount, now())
            .is_ok()
    );

    // Another payment for the paid order, or the same reference for
    // another amount: refused, nothing more recorded.
    let other = member.sign(payment(&order, order.amount, "POS-0002"));
    let (status, problem) = post(&ca, &pki, &device, &other).await;
    assert_eq!(
        (status, &problem["code"]),
        (409, &serde_json::json!("already_paid"))
    );
    assert_eq!(
        CaPort::record_counter_payment(&kiosk, other)
            .await
            .map(|_| ()),
        refused(Refusal::AmountMismatch)
    );
    let cheaper = member.sign(payment(&order, Fen(order.amount.0 - 1), "POS-0001"));
    let (status, problem) = post(&ca, &pki, &device, &cheaper).await;
    assert_eq!(
        (status, &problem["code"]),
        (422, &serde_json::json!("amount_mismatch"))
    );
    assert_eq!(ca.payments_of(&order), (Some(id.clone()), Some(id)));

    // An RSA staff key (PKCS #1 v1.5), a bank transfer, another order.
    let rsa = SoftSigner::rsa_from_pkcs8_der(include_bytes!(
        "../../../drivers/x509/tests/fixtures/rsa-2048-old.pk8.der"
    ))
    .unwrap();
    let member = Member::new(&staff_ca, &[StaffRole::Staff], rsa);
    let second = fixtures::application_order(2);
    create(&kiosk, &second).await;
    let mut bank = payment(&second, second.amount, "BANK-20261206-01");
    bank.method = CounterMethod::BankTransfer;
    let info = CaPort::record_counter_payment(&kiosk, member.sign(bank))
        .await
        .unwrap();
    assert_eq!(
        (info.status, info.kind),
        (PaymentStatus::Paid, PaymentKind::BankTransfer)
    );
    assert_eq!(
        ca.payments_of(&second),
        (Some(info.id.clone()), Some(info.id))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_not_signed_by_a_member_of_staff_for_this_kiosk_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let staff_ca = TestCa::new("Staff CA").unwrap();
    let revoked = Member::new(&staff_ca, &[StaffRole::Staff], SoftSigner::generate_p256());
    let crl = staff_ca
        .crl(
            &[(revoked.certificate_der.clone(), OffsetDateTime::now_utc())],
            OffsetDateTime::now_utc(),
            1,
        )
        .unwrap();
    let ca = Ca::start(
        &dir.path().join("ca"),
        &pki,
        staff_options(dir.path(), &staff_ca, &crl),
    )
    .await;
    let device = pki.device_ca.device("TYA");
    let kiosk = tls_client(&pki, &ca.base(), &device);
    let order = fixtures::application_order(1);
    create(&kiosk, &order).await;
    let member = Member::new(&staff_ca, &[StaffRole::Staff], SoftSigner::generate_p256());
    let good = || member.sign(payment(&order, order.amount, "POS-0001"));

    // Another kiosk, with a valid staff signature for this kiosk's order:
    // the access gate refuses it before any handler.
    let (status, problem) = post(&ca, &pki, &pki.device_ca.device("KAB"), &good()).await;
    assert_eq!(
        (status, &problem["code"]),
        (403, &serde_json::json!("forbidden"))
    );

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

    // The signature is over another amount than the body's (the body
    // tampered with after signing).
    let signed = member.sign(payment(&order, Fen(1), "POS-0001"));
    let mut body = CounterPaymentV1::from_domain(&signed).unwrap();
    body.amount_fen = order.amount.0;
    let detail = staff_not_accepted(
        post_body(&ca, &pki, &device, order.number.as_str(), &body).await,
        "tampered",
    );
    assert!(detail.contains("signature"), "{detail}");
    // The signature of another order's payment, sent for this one.
    let elsewhere = member.sign(payment(
        &fixtures::application_order(3),
        order.amount,
        "POS-0001",
    ));
    staff_not_accepted(
        post_body(
            &ca,
            &pki,
            &device,
            order.number.as_str(),
            &CounterPaymentV1::from_domain(&elsewhere).unwrap(),
        )
        .await,
        "another order's signature",
    );
    // Through the port: the domain's refusal.
    let mut tampered = good();
    tampered.payment.reference = "POS-0009".parse().unwrap();
    assert_eq!(
        CaPort::record_counter_payment(&kiosk, tampered)
            .await
            .map(|_| ()),
        refused(Refusal::StaffNotAccepted)
    );

    // A staff certificate of another CA, a technician's alone, a revoked
    // one, and a time too far ahead or too old.
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
    let mut ahead = payment(&order, order.amount, "POS-0001");
    ahead.signed_at += Duration::minutes(11);
    let mut old = payment(&order, order.amount, "POS-0001");
    old.signed_at -= Duration::hours(25);
    for (case, signed, says) in [
        (
            "another CA",
            stranger.sign(payment(&order, order.amount, "POS-0001")),
            "not from the staff CA",
        ),
        (
            "technician",
            technician.sign(payment(&order, order.amount, "POS-0001")),
            "staff role",
        ),
        (
            "revoked",
            revoked.sign(payment(&order, order.amount, "POS-0001")),
            "revoked",
        ),
        ("ahead", member.sign(ahead), "ahead"),
        ("old", member.sign(old), "24 hours"),
    ] {
        let detail = staff_not_accepted(post(&ca, &pki, &device, &signed).await, case);
        assert!(detail.contains(says), "{case}: {detail}");
        assert_eq!(
            CaPort::record_counter_payment(&kiosk, signed)
                .await
                .map(|_| ()),
            refused(Refusal::StaffNotAccepted),
            "{case}"
        );
    }

    // Signed by a member of staff, for another amount than the order's.
    let wrong = member.sign(payment(&order, Fen(order.amount.0 + 100), "POS-0001"));
    let (status, problem) = post(&ca, &pki, &device, &wrong).await;
    assert_eq!(
        (status, &problem["code"]),
        (422, &serde_json::json!("amount_mismatch"))
    );
    assert_eq!(
        CaPort::record_counter_payment(&kiosk, wrong)
            .await
            .map(|_| ()),
        refused(Refusal::AmountMismatch)
    );

    // Nothing was recorded; the right payment still is, once.
    assert_eq!(ca.payments_of(&order), (None, None));
    let info = CaPort::record_counter_payment(&kiosk, good())
        .await
        .unwrap();
    assert_eq!(
        ca.payments_of(&order),
        (Some(info.id.clone()), Some(info.id))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_without_a_staff_ca_records_no_staff_signed_payment() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let ca = Ca::start(dir.path(), &pki, Options::default()).await;
    let device = pki.device_ca.device("TYA");
    let kiosk = tls_client(&pki, &ca.base(), &device);
    let order = fixtures::application_order(1);
    create(&kiosk, &order).await;
    let staff_ca = TestCa::new("Staff CA").unwrap();
    let member = Member::new(&staff_ca, &[StaffRole::Staff], SoftSigner::generate_p256());
    let signed = member.sign(payment(&order, order.amount, "POS-0001"));
    let (status, problem) = post(&ca, &pki, &device, &signed).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("staff_not_accepted")),
        "{problem}"
    );
    assert_eq!(
        CaPort::record_counter_payment(&kiosk, signed)
            .await
            .map(|_| ()),
        refused(Refusal::StaffNotAccepted)
    );
    assert_eq!(ca.payments_of(&order), (None, None));
}
