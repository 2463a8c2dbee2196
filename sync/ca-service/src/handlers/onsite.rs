//! 现场领取: an application picked up at the hall, written by a kiosk onto a
//! blank key once the CA has made it ready (已制证).
//!
//! - `POST /v1/orders/pickup`: the order by its number and mobile (one 404
//!   for any miss, as 查询订单), with what the kiosk needs: the unit the
//!   request is for, how many e-seals follow, the latest attempt issued.
//! - `POST /v1/orders/{number}/issuance`: the request made on the blank key
//!   (the mobile again, the attempt): the certificate for the reviewed
//!   unit, issued once per (order, attempt) like a renewal's, and the
//!   e-seals; `GET /v1/orders/{number}/issuance/{attempt}` hands them back
//!   to a kiosk that lost the answer.
//! - `POST /v1/orders/{number}/written`: the kiosk wrote them (已完成).
//!
//! Who may call them: the CA's kiosks, for a customer who gave the order's
//! number and mobile at the kiosk.

use super::JsonBody;
use super::resume::recorded;
use super::track::matching;
use super::{ApiError, ApiResult, issue_once, json_body, path, unhex};
use crate::Service;
use crate::storage::{StorageError, StoredRenewal};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use kiosk_domain::ids::{MobileNumber, Uscc};
use kiosk_domain::order::status::Lifecycle;
use kiosk_domain::order_number::OrderNumber;
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::lookup::LookupV1;
use kiosk_sync_wire::onsite::{OnSiteIssuedV1, OnSiteRequestV1, PickupV1, SealObjectV1};
use kiosk_sync_wire::order::{ApplicationV1, DetailsV1, OrderRecordV1, OrderV1};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::renewal::InstalledV1;
use kiosk_x509::test_ca::Profile;

fn miss() -> ApiError {
    ApiError::new(ProblemCode::NotFound)
}

/// The application followed with `mobile`, with its CA record.
fn application(
    service: &Service,
    number: &OrderNumber,
    mobile: &MobileNumber,
) -> ApiResult<(ApplicationV1, OrderRecordV1)> {
    let (document, record): (OrderV1, OrderRecordV1) =
        matching(service.storage(), number, mobile).ok_or_else(miss)?;
    match document.details {
        DetailsV1::Application(a) => Ok((a, record)),
        DetailsV1::Renewal(_) => Err(miss()),
    }
}

/// `POST /v1/orders/pickup`.
pub(crate) async fn find(
    State(service): State<Service>,
    body: Result<JsonBody<LookupV1>, ApiError>,
) -> ApiResult<Json<PickupV1>> {
    let (number, mobile) = json_body(body)?.validate()?;
    let (application, record) = application(&service, &number, &mobile)?;
    let lifecycle = service
        .storage()
        .lifecycle(number.as_str())?
        .ok_or_else(miss)?;
    Ok(Json(PickupV1 {
        number: record.number,
        status: record.status,
        on_site: lifecycle == Lifecycle::ApplicationOnSite,
        unit_name: application.unit_name,
        uscc: application.unit_uscc,
        seals: u32::try_from(application.seal_holders.len()).unwrap_or(u32::MAX),
        issued_attempt: service.storage().issued_attempt(number.as_str())?,
    }))
}

/// The e-seals of an application whose certificate is `certificate_der`:
/// one data object per seal holder, naming the holder's role and numbers
/// and the certificate they go with (the same every time they are asked).
fn seals(number: &str, application: &ApplicationV1, certificate_der: &[u8]) -> Vec<SealObjectV1> {
    let serial = kiosk_x509::summarize(certificate_der, "")
        .map(|s| s.serial_hex)
        .unwrap_or_default();
    application
        .seal_holders
        .iter()
        .enumerate()
        .map(|(i, holder)| {
            let value = serde_json::json!({
                "order": number,
                "unit": application.unit_name,
                "role": holder.role,
                "holder": holder.name,
                "enterprise_number": holder.enterprise_number,
                "user_number": holder.user_number,
                "certificate_serial_hex": serial,
            });
            SealObjectV1 {
                label: format!("eseal:{number}:{}:{}", i + 1, holder.role),
                value_hex: hex::encode(value.to_string().as_bytes()),
            }
        })
        .collect()
}

fn answer(
    number: &str,
    attempt: u32,
    application: &ApplicationV1,
    stored: &StoredRenewal,
) -> OnSiteIssuedV1 {
    OnSiteIssuedV1 {
        number: number.to_owned(),
        attempt,
        certificate_der_hex: hex::encode(&stored.certificate_der),
        seals: seals(number, application, &stored.certificate_der),
    }
}

/// `POST /v1/orders/{number}/issuance`.
pub(crate) async fn issue(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<OnSiteRequestV1>, ApiError>,
) -> ApiResult<Json<OnSiteIssuedV1>> {
    let number = path(number)?;
    let request = json_body(body)?;
    let (number, mobile) = LookupV1 {
        number,
        mobile: request.mobile.clone(),
    }
    .validate()?;
    let (application, record) = application(&service, &number, &mobile)?;
    let storage = service.storage();
    if storage.lifecycle(number.as_str())? != Some(Lifecycle::ApplicationOnSite) {
        return Err(ApiError::detail(
            ProblemCode::IllegalTransition,
            "the order is not picked up at the hall",
        ));
    }
    if request.attempt == 0 {
        return Err(ApiError::field("attempt", "attempts start at 1"));
    }
    let csr = unhex("request_der_hex", &request.request_der_hex)?;
    let attempt = request.attempt;
    let (stored, fresh) = issue_once(&service, number.as_str(), attempt, &csr, || {
        // Issued only once the CA made it ready (已制证), never after it was
        // written (已完成 and on).
        if record.status != StatusV1::CertificateMade {
            return Err(ApiError::detail(
                ProblemCode::IllegalTransition,
                "the order is not ready to be written",
            ));
        }
        let uscc: Uscc = application
            .unit_uscc
            .parse()
            .map_err(|_| StorageError::Corrupt(format!("order {number}'s USCC")))?;
        let subject = kiosk_x509::unit_subject(&application.unit_name, &uscc);
        super::checked_request(&service, &csr)?;
        let der = service
            .ca()
            .issue(&csr, service.inner.options.validity_days, Profile::Customer)
            .map_err(|e| ApiError::detail(ProblemCode::InvalidRequest, &e.to_string()))?;
        // The certificate is for the unit that was reviewed, nobody else.
        let issued_subject = kiosk_x509::details(&der)
            .map_err(|e| ApiError::detail(ProblemCode::InvalidRequest, &e.to_string()))?
            .subject_der;
        if issued_subject != subject {
            return Err(ApiError::detail(
                ProblemCode::InvalidRequest,
                "the request's subject is not the reviewed unit",
            ));
        }
        Ok(der)
    })
    .await?;
    if fresh {
        tracing::info!(order = %number, attempt, "issued for on-site pickup");
    }
    Ok(Json(answer(
        number.as_str(),
        attempt,
        &application,
        &stored,
    )))
}

/// `GET /v1/orders/{number}/issuance/{attempt}`.
pub(crate) async fn again(
    State(service): State<Service>,
    params: Result<Path<(String, u32)>, PathRejection>,
) -> ApiResult<Json<OnSiteIssuedV1>> {
    let (number, attempt) = path(params)?;
    let storage = service.storage();
    if storage.lifecycle(&number)? != Some(Lifecycle::ApplicationOnSite) {
        return Err(miss());
    }
    let stored = storage.renewal(&number, attempt)?.ok_or_else(miss)?;
    let document: OrderV1 = storage
        .order_document(&number)?
        .and_then(|d| serde_json::from_str(&d).ok())
        .ok_or_else(miss)?;
    let DetailsV1::Application(application) = document.details else {
        return Err(miss());
    };
    Ok(Json(answer(&number, attempt, &application, &stored)))
}

/// `POST /v1/orders/{number}/written`.
pub(crate) async fn written(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<InstalledV1>, ApiError>,
) -> ApiResult<Json<OrderRecordV1>> {
    let number = path(number)?;
    let report = json_body(body)?;
    if service.storage().lifecycle(&number)? != Some(Lifecycle::ApplicationOnSite) {
        return Err(miss());
    }
    recorded(&service, &number, report.attempt, "written on site")
}
