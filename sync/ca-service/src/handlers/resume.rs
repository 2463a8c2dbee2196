//! 异常恢复 at any kiosk of the CA: a renewal paid at one kiosk whose install
//! was cut (power, network, the customer walked away) is finished at
//! whichever kiosk the customer brings their key to, on the same paid order.
//!
//! - `POST /v1/renewals/open`: the paid renewals of a certificate whose
//!   install no kiosk reported finished (正在受理 or 已制证), with what the
//!   kiosk needs to continue: the order document's details, the paid
//!   payment, the latest attempt issued.
//! - `POST /v1/renewals/{number}/installed`: the kiosk that finished the
//!   install says so; the order is 已完成 and no kiosk offers it again.
//!
//! Who may call them: the CA's kiosks (the certificate's serial is on the
//! customer's key; the answer carries their contact and invoice details,
//! which the kiosk shows only after the key's PIN was verified).

use super::JsonBody;
use super::payments::{payment_v1, public_base};
use super::{ApiError, ApiResult, json_body, now, path};
use crate::Service;
use crate::storage::InstallOutcome;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use kiosk_sync_wire::order::{DetailsV1, OrderRecordV1};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::renewal::{InstalledV1, OpenRenewalV1, OpenRenewalsAnswerV1, OpenRenewalsV1};

/// `POST /v1/renewals/open`.
pub(crate) async fn open(
    State(service): State<Service>,
    request_headers: HeaderMap,
    body: Result<JsonBody<OpenRenewalsV1>, ApiError>,
) -> ApiResult<Json<OpenRenewalsAnswerV1>> {
    let asked = json_body(body)?;
    let serial = kiosk_sync_wire::holder::normalise_serial(&asked.certificate_serial_hex)
        .ok_or_else(|| {
            ApiError::field("certificate_serial_hex", "not a certificate serial number")
        })?;
    let base = public_base(&service, &request_headers)?;
    let at = now();
    let storage = service.storage();
    let mut renewals = Vec::new();
    for number in storage.open_renewals(&serial)? {
        let Some(payment) = storage.paid_payment(&number)? else {
            continue;
        };
        let Some(document) = super::stored_document(&service, &number)? else {
            continue;
        };
        let DetailsV1::Renewal(details) = document.details else {
            continue;
        };
        renewals.push(OpenRenewalV1 {
            created_at: document.created_at,
            amount_fen: document.amount_fen,
            details,
            payment: payment_v1(&payment, &base, at)?,
            issued_attempt: storage.issued_attempt(&number)?,
            number,
        });
    }
    // How many, never which holder: no personal data in logs.
    tracing::info!(open = renewals.len(), "open renewals asked for");
    Ok(Json(OpenRenewalsAnswerV1 { renewals }))
}

/// `POST /v1/renewals/{number}/installed`.
pub(crate) async fn installed(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<InstalledV1>, ApiError>,
) -> ApiResult<Json<OrderRecordV1>> {
    let number = path(number)?;
    let report = json_body(body)?;
    recorded(
        &service,
        &number,
        report.attempt,
        "renewal installed on the key",
    )
}

/// A kiosk's report that the certificate of `attempt` is on the key (a
/// renewal's, or an on-site pickup's), kept; the order as it is now.
pub(crate) fn recorded(
    service: &Service,
    number: &str,
    attempt: u32,
    what: &'static str,
) -> ApiResult<Json<OrderRecordV1>> {
    match service.storage().installed_on_key(number, attempt, now())? {
        InstallOutcome::Recorded(record) => {
            tracing::info!(order = %number, attempt, "{what}");
            Ok(Json(record))
        }
        InstallOutcome::Unknown => Err(ApiError::new(ProblemCode::NotFound)),
        InstallOutcome::NotIssued => Err(ApiError::field(
            "attempt",
            "nothing was issued for this attempt",
        )),
    }
}
