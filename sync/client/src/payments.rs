//! The calls the kiosk makes around a customer's visit, beside the outbox:
//! the QR payment (create, poll), a payment staff took and signed with
//! their key, the CA's roots, and demonstration issuance (a CA service
//! started with `--demo` only).

use crate::http::{CaClient, CallError};
use kiosk_domain::ports::counter::{SignedCounterPayment, SignedOrderCancel};
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::issuance::{CaRootsV1, DemoIssueV1, DemoIssuedV1};
use kiosk_sync_wire::paths;
use kiosk_sync_wire::payment::{
    CounterPaymentV1, PaymentRequestV1, PaymentV1, RemittanceRecordV1, RemittanceV1,
};
use kiosk_sync_wire::staff_signed::{OrderCancelV1, OrderCancelledV1};

/// Hex from the CA, or an invalid answer.
fn unhex(what: &str, text: &str) -> Result<Vec<u8>, CallError> {
    hex::decode(text)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| CallError::Invalid(format!("{what} is not hex")))
}

impl CaClient {
    /// `POST /v1/payments`: the order's QR payment, created or found again
    /// (the same order and amount always give the same open or paid
    /// payment; an expired one is replaced). A different amount is refused
    /// with `amount_mismatch`.
    pub async fn create_payment(
        &self,
        order_number: &str,
        amount_fen: i64,
    ) -> Result<PaymentV1, CallError> {
        let response = self
            .http
            .post(self.url(paths::PAYMENTS))
            .json(&PaymentRequestV1 {
                order_number: order_number.to_owned(),
                amount_fen,
            })
            .send()
            .await;
        let (_, payment): (_, PaymentV1) = Self::answer(response).await?;
        if payment.order_number != order_number || payment.amount_fen != amount_fen {
            return Err(CallError::Invalid(
                "the payment is not for this order and amount".to_owned(),
            ));
        }
        Ok(payment)
    }

    /// `POST /v1/orders/{number}/counter-payments`: a payment a member of
    /// staff took for one of this kiosk's orders, signed with their staff
    /// key; the payment as the CA recorded it (201), or the one it holds
    /// for the same reference (200). Refused with `staff_not_accepted`
    /// (403) when the CA does not accept the certificate or signature,
    /// `amount_mismatch` (422) or `already_paid` (409) when the order is
    /// due another amount or paid otherwise.
    pub async fn record_counter_payment(
        &self,
        signed: &SignedCounterPayment,
    ) -> Result<PaymentV1, CallError> {
        let payment = &signed.payment;
        let body = CounterPaymentV1::from_domain(signed)
            .map_err(|e| CallError::Invalid(format!("the signing time: {e}")))?;
        let response = self
            .http
            .post(self.url(&paths::counter_payments(payment.order.as_str())))
            .json(&body)
            .send()
            .await;
        let (_, recorded): (_, PaymentV1) = Self::answer(response).await?;
        if recorded.order_number != payment.order.as_str()
            || recorded.amount_fen != payment.amount.0
            || recorded.method != body.method
            || recorded.reference.as_deref() != Some(payment.reference.as_str())
        {
            return Err(CallError::Invalid(
                "the recorded payment is not this order's, amount, method and reference".to_owned(),
            ));
        }
        Ok(recorded)
    }

    /// `POST /v1/orders/{number}/cancellation`: one of this kiosk's orders,
    /// not paid, withdrawn by a member of staff who signed it with their
    /// staff key; the CA's answer once it holds the order cancelled (also
    /// when it did before). Refused with `staff_not_accepted` (403) when the
    /// CA does not accept the certificate or signature, `already_paid`
    /// (409) when the order is paid, `not_found` (404) when the CA does not
    /// have the order yet.
    pub async fn cancel_order(
        &self,
        signed: &SignedOrderCancel,
    ) -> Result<OrderCancelledV1, CallError> {
        let number = signed.cancel.order.as_str();
        let body = OrderCancelV1::from_domain(signed)
            .map_err(|e| CallError::Invalid(format!("the signing time: {e}")))?;
        let response = self
            .http
            .post(self.url(&paths::order_cancellation(number)))
            .json(&body)
            .send()
            .await;
        let (_, answer): (_, OrderCancelledV1) = Self::answer(response).await?;
        if answer.number != number || answer.status != StatusV1::Cancelled {
            return Err(CallError::Invalid(
                "the answer is not this order, cancelled".to_owned(),
            ));
        }
        Ok(answer)
    }

    /// `POST /v1/orders/{number}/remittance`: the customer's note of a bank
    /// transfer, for the CA's finance staff to match with the money (the
    /// same bank reference again finds the first note).
    pub async fn note_remittance(
        &self,
        order_number: &str,
        remittance: &RemittanceV1,
    ) -> Result<RemittanceRecordV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::remittance(order_number)))
            .json(remittance)
            .send()
            .await;
        let (_, note): (_, RemittanceRecordV1) = Self::answer(response).await?;
        if note.order_number != order_number || note.bank_reference != remittance.bank_reference {
            return Err(CallError::Invalid(
                "the remittance note is for another order".to_owned(),
            ));
        }
        Ok(note)
    }

    /// `GET /v1/payments/{id}`: the payment's state now.
    pub async fn payment(&self, id: &str) -> Result<PaymentV1, CallError> {
        // Ids are the CA's own; refuse anything that would change the path.
        if id.is_empty() || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return Err(CallError::Invalid("not a payment id".to_owned()));
        }
        let response = self.http.get(self.url(&paths::payment(id))).send().await;
        Ok(Self::answer(response).await?.1)
    }

    /// `GET /v1/ca/roots`: the roots (DER) that issue customer certificates.
    pub async fn ca_roots(&self) -> Result<Vec<Vec<u8>>, CallError> {
        let response = self.http.get(self.url(paths::CA_ROOTS)).send().await;
        let (_, roots): (_, CaRootsV1) = Self::answer(response).await?;
        if roots.roots_der_hex.is_empty() {
            return Err(CallError::Invalid("the CA sent no roots".to_owned()));
        }
        roots
            .roots_der_hex
            .iter()
            .map(|r| unhex("a root", r))
            .collect()
    }

    /// `POST /v1/admin/demo/issue`: a customer certificate (DER) for a
    /// PKCS #10 request, valid `validity_days` from now. Only a CA service
    /// started with `--demo` offers it (404 `not_found` otherwise).
    pub async fn demo_issue(
        &self,
        request_der: &[u8],
        validity_days: u32,
    ) -> Result<Vec<u8>, CallError> {
        let response = self
            .http
            .post(self.url(paths::DEMO_ISSUE))
            .json(&DemoIssueV1 {
                request_der_hex: hex::encode(request_der),
                validity_days,
            })
            .send()
            .await;
        let (_, issued): (_, DemoIssuedV1) = Self::answer(response).await?;
        unhex("the certificate", &issued.certificate_der_hex)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;
    use kiosk_x509::RemoteSigner;
    use kiosk_x509::test_ca::{CustomerSubject, SoftSigner};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn roots_demo_issuance_and_payments_through_the_client() {
        let ca = crate::served::serve(ca_service::Options {
            demo: true,
            ..ca_service::Options::default()
        })
        .await;
        let service = &ca.service;
        let client = CaClient::new(&ca.url, Duration::from_secs(5)).unwrap();
        let staff = CaClient::new(&ca.staff_url, Duration::from_secs(5)).unwrap();
        // The CA's root, then its demonstration CA's (`--demo`).
        assert_eq!(
            client.ca_roots().await.unwrap(),
            vec![
                service.ca().root_der(),
                service.demo_ca().unwrap().root_der()
            ]
        );

        let key = SoftSigner::generate_p256();
        let template = service
            .ca()
            .issue_for_subject(
                &CustomerSubject {
                    unit_name: "山西示例煤业有限公司".to_owned(),
                    uscc: kiosk_domain::fixtures::USCC.to_owned(),
                },
                &key,
                30,
            )
            .unwrap();
        let subject = kiosk_x509::details(&template).unwrap().subject_der;
        let csr = kiosk_x509::build_request(&subject, &key).unwrap();
        let der = staff.demo_issue(&csr, 20).await.unwrap();
        let issued = kiosk_x509::details(&der).unwrap();
        assert_eq!(issued.subject_der, subject);
        assert_eq!(issued.spki_der, key.public_key_spki_der());

        let number = kiosk_domain::fixtures::order_number(1);
        let p = client
            .create_payment(number.as_str(), 30_000)
            .await
            .unwrap();
        assert_eq!(p.status, "pending");
        assert_eq!(client.payment(&p.id).await.unwrap(), p);
        let e = client.create_payment(number.as_str(), 1).await.unwrap_err();
        assert_eq!(
            e.code(),
            Some(kiosk_sync_wire::problem::ProblemCode::AmountMismatch)
        );
        assert!(matches!(
            client.payment("../x").await,
            Err(CallError::Invalid(_))
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn demo_issuance_is_not_found_without_demo() {
        let ca = crate::served::serve(ca_service::Options::default()).await;
        let staff = CaClient::new(&ca.staff_url, Duration::from_secs(5)).unwrap();
        let e = staff.demo_issue(&[0x30, 0x00], 20).await.unwrap_err();
        assert_eq!(
            e.code(),
            Some(kiosk_sync_wire::problem::ProblemCode::NotFound)
        );
    }
}
