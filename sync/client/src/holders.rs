//! The contact and invoice details the CA keeps for a certificate's holder:
//! read for 确认信息, set by staff tools and the demo; and 查询订单 at the
//! CA, which like them answers a question about a customer, not an upload.

use crate::http::{CaClient, CallError};
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_sync_wire::holder::{HolderV1, normalise_serial};
use kiosk_sync_wire::paths;

fn serial_path(serial_hex: &str) -> Result<String, CallError> {
    normalise_serial(serial_hex)
        .ok_or_else(|| CallError::Invalid(format!("{serial_hex:?} is not a serial number")))
}

impl CaClient {
    /// `GET /v1/certificates/{serial}/holder`: the details on file, `None`
    /// when the CA has none for this certificate.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn holder(&self, serial_hex: &str) -> Result<Option<HolderV1>, CallError> {
        let serial = serial_path(serial_hex)?;
        let response = self
            .http
            .get(self.url(&paths::holder(&serial)))
            .send()
            .await;
        match Self::answer::<HolderV1>(response).await {
            Ok((_, holder)) => Ok(Some(holder)),
            Err(CallError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /v1/admin/certificates/{serial}/holder` (staff, demo): the
    /// contact and invoice details the CA keeps for this certificate.
    ///
    /// # Errors
    /// The CA could not be reached or refused the details.
    pub async fn put_holder(
        &self,
        serial_hex: &str,
        contact: &Contact,
        invoice: &InvoiceInfo,
    ) -> Result<(), CallError> {
        let serial = serial_path(serial_hex)?;
        let holder = HolderV1 {
            contact_name: contact.name.as_str().to_owned(),
            mobile: contact.mobile.as_str().to_owned(),
            email: invoice.email.as_str().to_owned(),
            invoice_title: invoice.title.as_str().to_owned(),
            taxpayer_id: invoice.taxpayer_id.as_str().to_owned(),
        };
        let holder = &holder;
        let response = self
            .http
            .put(self.url(&paths::admin_holder(&serial)))
            .json(holder)
            .send()
            .await;
        Self::answer::<HolderV1>(response).await.map(|_| ())
    }
}

impl CaClient {
    /// `GET /v1/config`: the CA's prices, projects and agreement.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn config(&self) -> Result<kiosk_sync_wire::config::ConfigV1, CallError> {
        let response = self.http.get(self.url(paths::CONFIG)).send().await;
        Self::answer(response).await.map(|(_, config)| config)
    }
}

impl CaClient {
    /// `POST /v1/orders/lookup`: the order with this number and mobile as
    /// the CA has it, `None` when it has none (or the mobile is not its own).
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn lookup(
        &self,
        lookup: &kiosk_sync_wire::lookup::LookupV1,
    ) -> Result<Option<kiosk_sync_wire::lookup::OrderSummaryV1>, CallError> {
        let response = self
            .http
            .post(self.url(paths::LOOKUP))
            .json(lookup)
            .send()
            .await;
        match Self::answer(response).await {
            Ok((_, summary)) => Ok(Some(summary)),
            Err(CallError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl CaClient {
    /// `POST /v1/identity/checks`: the identity service's verdict on a face.
    ///
    /// # Errors
    /// The CA could not be reached, refused (no identity service: 404), or
    /// answered nonsense.
    pub async fn identity_check(
        &self,
        check: &kiosk_sync_wire::identity::IdentityCheckV1,
    ) -> Result<kiosk_sync_wire::identity::IdentityResultV1, CallError> {
        let response = self
            .http
            .post(self.url(paths::IDENTITY_CHECKS))
            .json(check)
            .send()
            .await;
        Self::answer::<kiosk_sync_wire::identity::IdentityAnswerV1>(response)
            .await
            .map(|(_, answer)| answer.result)
    }

    /// `PUT /v1/admin/identity/{resident_id}` (staff, demo): the reference
    /// photo the identity simulator compares faces with.
    ///
    /// # Errors
    /// The CA could not be reached or refused the photo.
    pub async fn put_identity_reference(
        &self,
        resident_id: &kiosk_domain::ids::ResidentId,
        photo: Vec<u8>,
    ) -> Result<(), CallError> {
        let response = self
            .http
            .put(self.url(&paths::identity_reference(resident_id.as_str())))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(photo)
            .send()
            .await;
        Self::answer::<serde_json::Value>(response)
            .await
            .map(|_| ())
    }
}

impl CaClient {
    /// `POST /v1/orders/pickup`: the application with this number and
    /// mobile as the CA has it for 现场领取, `None` when it has none.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn pickup(
        &self,
        asked: &kiosk_sync_wire::lookup::LookupV1,
    ) -> Result<Option<kiosk_sync_wire::onsite::PickupV1>, CallError> {
        let response = self
            .http
            .post(self.url(paths::PICKUP))
            .json(asked)
            .send()
            .await;
        match Self::answer(response).await {
            Ok((_, found)) => Ok(Some(found)),
            Err(CallError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/orders/{number}/issuance`: the unit's request made on the
    /// blank key; the certificate and the e-seals.
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub async fn issue_on_site(
        &self,
        number: &str,
        request: &kiosk_sync_wire::onsite::OnSiteRequestV1,
    ) -> Result<kiosk_sync_wire::onsite::OnSiteIssuedV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::issuance(number)))
            .json(request)
            .send()
            .await;
        Self::answer(response).await.map(|(_, issued)| issued)
    }

    /// `GET /v1/orders/{number}/issuance/{attempt}`: what was issued for
    /// this attempt, `None` when nothing was.
    ///
    /// # Errors
    /// The CA could not be reached or answered nonsense.
    pub async fn issued_on_site(
        &self,
        number: &str,
        attempt: u32,
    ) -> Result<Option<kiosk_sync_wire::onsite::OnSiteIssuedV1>, CallError> {
        let response = self
            .http
            .get(self.url(&paths::issuance_again(number, attempt)))
            .send()
            .await;
        match Self::answer(response).await {
            Ok((_, issued)) => Ok(Some(issued)),
            Err(CallError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/orders/{number}/written`: the certificate and e-seals of
    /// this attempt are on the key (idempotent).
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub async fn written_on_site(
        &self,
        number: &str,
        attempt: u32,
    ) -> Result<kiosk_sync_wire::order::OrderRecordV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::written(number)))
            .json(&kiosk_sync_wire::renewal::InstalledV1 { attempt })
            .send()
            .await;
        Self::answer(response).await.map(|(_, record)| record)
    }
}
