//! What a member of staff signs at a kiosk, for the CA over mutual TLS:
//! their certificate and key, the CA trusting a staff CA, the kiosk's
//! order at the CA. Shared by the counter payment and the order cancel
//! tests.

use super::pki::Pki;
use super::serve_tls;
use ca_service::{Listener, Options, Service};
use kiosk_domain::order::Order;
use kiosk_domain::ports::ca::{CaError, Refusal};
use kiosk_domain::ports::counter::{
    CounterPayment, OrderCancel, SignedCounterPayment, SignedOrderCancel,
};
use kiosk_sync_client::CaClient;
use kiosk_sync_wire::order::OrderV1;
use kiosk_x509::test_ca::{SoftSigner, TestCa};
use kiosk_x509::{RemoteSigner, StaffRole};
use std::net::SocketAddr;
use time::{Duration, OffsetDateTime};
use tokio::sync::oneshot;

/// A member of staff: their certificate and the key on their token.
pub struct Member {
    pub certificate_der: Vec<u8>,
    pub key: SoftSigner,
}

impl Member {
    pub fn new(ca: &TestCa, roles: &[StaffRole], key: SoftSigner) -> Self {
        let from = OffsetDateTime::now_utc() - Duration::hours(1);
        let certificate_der = ca
            .issue_staff("王芳", roles, &key, from, from + Duration::days(30))
            .unwrap();
        Self {
            certificate_der,
            key,
        }
    }

    /// `digest` signed as the token signs it (P-256 raw `r || s`, RSA
    /// PKCS #1 v1.5 over the digest).
    fn signature(&self, digest: &[u8; 32]) -> Vec<u8> {
        self.key.sign_digest(digest).unwrap()
    }

    pub fn sign(&self, payment: CounterPayment) -> SignedCounterPayment {
        SignedCounterPayment {
            signature: self.signature(&payment.digest()),
            payment,
            certificate_der: self.certificate_der.clone(),
        }
    }

    pub fn sign_cancel(&self, cancel: OrderCancel) -> SignedOrderCancel {
        SignedOrderCancel {
            signature: self.signature(&cancel.digest()),
            cancel,
            certificate_der: self.certificate_der.clone(),
        }
    }
}

/// The CA on its kiosk listener over mutual TLS.
pub struct Ca {
    pub service: Service,
    pub kiosk: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Ca {
    pub async fn start(dir: &std::path::Path, pki: &Pki, options: Options) -> Self {
        let service = Service::open(dir, options).unwrap();
        let (kiosk, stop) = serve_tls(&service, pki, Listener::Kiosk).await;
        Self {
            service,
            kiosk,
            _stop: stop,
        }
    }

    pub fn base(&self) -> String {
        format!("https://localhost:{}", self.kiosk.port())
    }

    /// The payments the CA holds for `order`: its paid one and its latest
    /// (the same one when exactly one was ever made).
    pub fn payments_of(&self, order: &Order) -> (Option<String>, Option<String>) {
        let storage = self.service.storage();
        let number = order.number.as_str();
        (
            storage.paid_payment(number).unwrap().map(|p| p.id),
            storage.latest_payment(number).unwrap().map(|p| p.id),
        )
    }
}

/// `order` as its kiosk sends it (the outbox's first step).
pub async fn create(client: &CaClient, order: &Order) {
    let key = format!("{:032x}", order.number.seq());
    client
        .put_order(&key, &OrderV1::from_domain(order, &[]))
        .await
        .unwrap();
}

/// Now, in whole seconds (as the kiosk signs).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

pub fn refused(reason: Refusal) -> Result<(), CaError> {
    Err(CaError::Refused { reason })
}

/// The staff CA and options that trust it, with a revocation list.
pub fn staff_options(dir: &std::path::Path, staff_ca: &TestCa, crl: &[u8]) -> Options {
    let file = dir.join("staff.crl");
    std::fs::write(&file, crl).unwrap();
    Options {
        staff_ca_der: vec![staff_ca.root_der()],
        staff_crls: vec![file],
        ..Options::default()
    }
}
