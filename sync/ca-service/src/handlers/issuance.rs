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
use kiosk_x509::test_ca::{Profile, TestCa};

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
/// certificates of its own that a later attempt of their order superseded.
pub(crate) async fn crl(State(service): State<Service>) -> ApiResult<Response> {
    revocation_list(&service, service.ca())
}

/// `GET /v1/ca/demo/crl` (`--demo` only): the same for the demonstration
/// CA's certificates, signed by the demonstration CA (a list revokes only
/// what its signer issued).
pub(crate) async fn demo_crl(State(service): State<Service>) -> ApiResult<Response> {
    super::demo_only(&service)?;
    let demo = service
        .demo_ca()
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    revocation_list(&service, demo)
}

/// The superseded certificates `issuer` issued, in a list it signs.
fn revocation_list(service: &Service, issuer: &TestCa) -> ApiResult<Response> {
    let revoked: Vec<_> = service
        .storage()
        .superseded_certificates()?
        .into_iter()
        .filter(|(der, _)| issued_by(der, issuer))
        .collect();
    let at = super::now();
    let number = service.next_crl_number(at);
    let der = issuer.crl(&revoked, at, number).map_err(|e| {
        tracing::error!(error = %e, "the revocation list could not be signed");
        ApiError::new(ProblemCode::Unavailable)
    })?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response())
}

/// Whether `issuer` signed the certificate `der` (checked halfway through
/// its validity, so that an expired one is still told apart).
fn issued_by(der: &[u8], issuer: &TestCa) -> bool {
    let (Ok(details), Ok(summary)) = (kiosk_x509::details(der), kiosk_x509::summarize(der, ""))
    else {
        return false;
    };
    let midway = summary.not_before + (summary.not_after - summary.not_before) / 2;
    kiosk_x509::verify_issued(der, &details.spki_der, &[], &[issuer.root_der()], midway).is_ok()
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
