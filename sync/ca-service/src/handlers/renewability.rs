//! Whether the CA renews a customer's certificate: the checks it makes on
//! the old certificate when it issues (`POST /v1/renewals/{number}`), and
//! the same checks asked before any payment (`POST /v1/renewals/check`),
//! so that no customer pays for a refusal.
//!
//! Who may call the check: the CA's kiosks. It answers about a certificate
//! the caller holds (its DER is in the body); it says nothing about the
//! holder.

use super::JsonBody;
use super::{ApiError, ApiResult, json_body, now, unhex};
use crate::Service;
use axum::Json;
use axum::extract::State;
use kiosk_domain::clock::ClockFloor;
use kiosk_sync_wire::holder::normalise_serial;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::renewal::{RenewabilityQueryV1, RenewabilityV1, RenewabilityVerdictV1};
use kiosk_x509::VerifiedCertificate;
use kiosk_x509::test_ca::TestCa;
use time::OffsetDateTime;

/// Why the CA will not renew a certificate.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub verdict: RenewabilityVerdictV1,
    pub detail: String,
}

impl Refusal {
    fn new(verdict: RenewabilityVerdictV1, detail: impl Into<String>) -> Self {
        Self {
            verdict,
            detail: detail.into(),
        }
    }

    /// The refusal as the issuing route answers it.
    pub fn into_problem(self) -> ApiError {
        let code = match self.verdict {
            RenewabilityVerdictV1::OutsideWindow => ProblemCode::NotRenewable,
            RenewabilityVerdictV1::UnknownCertificate => ProblemCode::UnknownCertificate,
            RenewabilityVerdictV1::Superseded => ProblemCode::ProofRejected,
            RenewabilityVerdictV1::RenewedAlready | RenewabilityVerdictV1::Renewable => {
                ProblemCode::RenewalConflict
            }
        };
        ApiError::detail(code, &self.detail)
    }
}

/// A certificate the CA would renew: the checked certificate and the CA
/// (the CA's own, or with `--demo` the demonstration CA) that issued it and
/// so renews it.
pub(crate) struct Renewable<'s> {
    pub verified: VerifiedCertificate,
    pub issuer: &'s TestCa,
}

/// The checks on the old certificate `der`, its renewal window judged at
/// `window_at` (when a paid renewal was paid; now for the check): not
/// superseded, inside the window, issued by the CA or its demonstration
/// CA. Whether another order renewed it is [`renewed_by_another`].
///
/// # Errors
/// The storage failed.
pub(crate) fn check_old_certificate<'s>(
    service: &'s Service,
    der: &[u8],
    window_at: OffsetDateTime,
) -> ApiResult<Result<Renewable<'s>, Refusal>> {
    use RenewabilityVerdictV1 as V;
    let (old, summary) = match (kiosk_x509::details(der), kiosk_x509::summarize(der, "")) {
        (Ok(old), Ok(summary)) => (old, summary),
        (Err(e), _) | (_, Err(e)) => {
            return Ok(Err(Refusal::new(V::UnknownCertificate, e.to_string())));
        }
    };
    let serial = normalise_serial(&summary.serial_hex);
    // A certificate a later attempt superseded (on the CA's revocation
    // list) proves nothing.
    for (superseded, _) in service.storage().superseded_certificates()? {
        let superseded_serial = kiosk_x509::summarize(&superseded, "")
            .ok()
            .and_then(|s| normalise_serial(&s.serial_hex));
        if superseded_serial.is_some() && superseded_serial == serial {
            return Ok(Err(Refusal::new(
                V::Superseded,
                "the certificate was superseded (revoked)",
            )));
        }
    }
    // The CA's renewal window, the one it publishes to the kiosks: an
    // expired certificate inside it is renewed, so its chain is checked at
    // an instant inside its validity.
    let verdict = service.options().catalogue.renewal_window.verdict(
        summary.not_after,
        window_at,
        ClockFloor::new(OffsetDateTime::UNIX_EPOCH),
    );
    if !verdict.is_renewable() {
        return Ok(Err(Refusal::new(V::OutsideWindow, format!("{verdict:?}"))));
    }
    let at = now().min(summary.not_after);
    let verify = |issuer: &TestCa| {
        kiosk_x509::verify_issued(der, &old.spki_der, &[], &[issuer.root_der()], at)
    };
    Ok(match verify(service.ca()) {
        Ok(verified) => Ok(Renewable {
            verified,
            issuer: service.ca(),
        }),
        Err(e) => match service.demo_ca().map(|demo| (verify(demo), demo)) {
            Some((Ok(verified), issuer)) => Ok(Renewable { verified, issuer }),
            _ => Err(Refusal::new(V::UnknownCertificate, e.to_string())),
        },
    })
}

/// One renewal per certificate: once an order other than `number` (any
/// order, for `None`) was issued a renewal of the certificate with this
/// serial (normalised), it is superseded and its holder renews the new one.
///
/// # Errors
/// The storage failed.
pub(crate) fn renewed_by_another(
    service: &Service,
    serial: &str,
    number: Option<&str>,
) -> ApiResult<Option<Refusal>> {
    Ok(service
        .storage()
        .renewed_by_another(serial, number.unwrap_or(""))?
        .then(|| {
            Refusal::new(
                RenewabilityVerdictV1::RenewedAlready,
                "this certificate has been renewed already",
            )
        }))
}

/// `POST /v1/renewals/check`.
pub(crate) async fn check(
    State(service): State<Service>,
    body: Result<JsonBody<RenewabilityQueryV1>, ApiError>,
) -> ApiResult<Json<RenewabilityV1>> {
    let asked = json_body(body)?;
    let der = unhex("certificate_der_hex", &asked.certificate_der_hex)?;
    let refusal = match check_old_certificate(&service, &der, now())? {
        Err(refusal) => Some(refusal),
        Ok(renewable) => match normalise_serial(&renewable.verified.serial_hex) {
            Some(serial) => renewed_by_another(&service, &serial, None)?,
            None => Some(Refusal::new(
                RenewabilityVerdictV1::UnknownCertificate,
                "the certificate has no serial number",
            )),
        },
    };
    let answer = refusal.map_or_else(
        || RenewabilityV1 {
            verdict: RenewabilityVerdictV1::Renewable,
            detail: String::new(),
        },
        |r| RenewabilityV1 {
            verdict: r.verdict,
            detail: r.detail,
        },
    );
    // The verdict, never the certificate's subject: no personal data in logs.
    tracing::info!(verdict = ?answer.verdict, "renewability asked for");
    Ok(Json(answer))
}
