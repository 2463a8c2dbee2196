//! The CA's roots and revocation list, and demonstration issuance (`--demo` only): a customer
//! certificate for a PKCS #10 request whose signature verifies, so that a
//! demonstration token can start with a certificate inside its renewal
//! window.

use super::JsonBody;
use super::{ApiError, ApiResult, json_body, unhex};
use crate::Service;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::issuance::{CaRootsV1, DemoIssueV1, DemoIssuedV1, MAX_DEMO_VALIDITY_DAYS};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_x509::test_ca::Profile;

/// `GET /v1/ca/roots`.
pub(crate) async fn roots(State(service): State<Service>) -> Json<CaRootsV1> {
    Json(CaRootsV1 {
        roots_der_hex: std::iter::once(service.ca())
            .chain(service.demo_ca())
            .map(|ca| hex::encode(&ca.root_der()))
            .collect(),
    })
}

/// `GET /v1/ca/crl`: the CA's revocation list (DER,
/// `application/pkix-crl`), signed by it, valid for a day: the
/// certificates a later attempt of their order superseded.
pub(crate) async fn crl(State(service): State<Service>) -> ApiResult<Response> {
    let revoked = service.storage().superseded_certificates()?;
    let at = super::now();
    let number = service.next_crl_number(at);
    let der = service.ca().crl(&revoked, at, number).map_err(|e| {
        tracing::error!(error = %e, "the revocation list could not be signed");
        ApiError::new(ProblemCode::Unavailable)
    })?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response())
}

/// `POST /v1/admin/demo/issue`: 404 unless the service runs with `--demo`.
pub(crate) async fn demo_issue(
    State(service): State<Service>,
    body: Result<JsonBody<DemoIssueV1>, ApiError>,
) -> ApiResult<Json<DemoIssuedV1>> {
    super::demo_only(&service)?;
    let request = json_body(body)?;
    if !(1..=MAX_DEMO_VALIDITY_DAYS).contains(&request.validity_days) {
        return Err(ApiError::field(
            "validity_days",
            &format!("validity_days must be 1 to {MAX_DEMO_VALIDITY_DAYS}"),
        ));
    }
    let csr = unhex("request_der_hex", &request.request_der_hex)?;
    super::checked_request(&service, &csr)?;
    // Never the CA's own key: a demonstration certificate is the
    // demonstration CA's, and only it renews one.
    let demo_ca = service
        .demo_ca()
        .ok_or_else(|| ApiError::new(ProblemCode::Unavailable))?;
    let der = demo_ca
        .issue(&csr, i64::from(request.validity_days), Profile::Customer)
        .map_err(|e| ApiError::detail(ProblemCode::InvalidRequest, &e.to_string()))?;
    tracing::info!(
        days = request.validity_days,
        "demonstration certificate issued"
    );
    Ok(Json(DemoIssuedV1 {
        certificate_der_hex: hex::encode(&der),
    }))
}
