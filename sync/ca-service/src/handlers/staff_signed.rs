//! What a member of staff signs at a kiosk with their own staff key, for
//! the CA to act on: the check every such statement passes first (a
//! counter payment, `POST /v1/orders/{number}/counter-payments`, in
//! [`super::payments`]), and the cancel of an order that waits for its
//! payment (`POST /v1/orders/{number}/cancellation`).

use super::{ApiError, ApiResult, JsonBody, json_body, now, path_order};
use crate::Service;
use crate::storage::CancelOutcome;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use kiosk_domain::order_number::OrderNumber;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::staff_signed::{OrderCancelV1, OrderCancelledV1};
use kiosk_x509::{StaffCertError, StaffCertificate, StaffRole};
use time::OffsetDateTime;

/// How far ahead of the CA's clock a statement's `signed_at` may be (the
/// kiosk's clock runs a little fast).
pub(crate) const SIGNED_AT_AHEAD: time::Duration = time::Duration::minutes(10);
/// How old a statement's signature may be: the kiosk sends it as staff
/// sign it, and again after a restart; a statement signed longer ago is
/// not sent by a kiosk but kept by someone.
pub(crate) const SIGNED_AT_MAX_AGE: time::Duration = time::Duration::hours(24);

/// Which statement, for the log and the detail.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Statement {
    CounterPayment,
    OrderCancel,
}

impl Statement {
    fn name(self) -> &'static str {
        match self {
            Self::CounterPayment => "counter payment",
            Self::OrderCancel => "order cancel",
        }
    }
}

/// A statement about the path's order as the kiosk sent it: its time, its
/// proof, and the domain's digest of it rebuilt from the request.
pub(crate) struct Signed<'a> {
    pub what: Statement,
    pub signed_at: OffsetDateTime,
    pub certificate_der: &'a [u8],
    pub signature: &'a [u8],
    pub digest: [u8; 32],
}

/// Refused for its member of staff's certificate or signature: 403
/// `staff_not_accepted`, the detail naming the check, never the person.
fn staff_not_accepted(number: &OrderNumber, what: Statement, why: &str) -> ApiError {
    tracing::warn!(
        order = %number,
        reason = why,
        "{} refused: staff not accepted",
        what.name()
    );
    ApiError::detail(ProblemCode::StaffNotAccepted, why)
}

/// Why a staff certificate was refused, in words that name no one.
fn staff_refusal(e: &StaffCertError) -> &'static str {
    match e {
        StaffCertError::Malformed { .. } => "the staff certificate cannot be read",
        StaffCertError::NotFromStaffCa(_) => "the staff certificate is not from the staff CA",
        StaffCertError::NotYetValid { .. } => "the staff certificate is not valid yet",
        StaffCertError::Expired { .. } => "the staff certificate has expired",
        StaffCertError::NoStaffRole => "the staff certificate grants no staff role",
        StaffCertError::NotForClientAuth => "the staff certificate is not for clientAuth",
        StaffCertError::IsCa => "the staff certificate is a CA certificate",
        StaffCertError::Revoked { .. } => "the staff certificate is revoked",
        StaffCertError::BadRevocationList(_) => "a staff revocation list cannot be used",
        StaffCertError::BadSignature => "the signature does not verify over this statement",
        StaffCertError::UnsupportedKey(_) => "the staff certificate's key is not supported",
    }
}

/// Whether the CA acts on `signed` about `number` at `at`: signed with a
/// member of staff's own key, whose certificate is of the CA's staff CA
/// (`--staff-client-ca`), grants the staff role (a technician's alone does
/// not), is valid at `at` and on none of the staff revocation lists the
/// service publishes, and whose key signed exactly this digest, at most
/// [`SIGNED_AT_MAX_AGE`] ago and not more than [`SIGNED_AT_AHEAD`] ahead
/// of `at`. The member of staff's certificate, when it does.
///
/// # Errors
/// 403 `staff_not_accepted`, saying which check failed (none passes
/// without a staff CA).
pub(crate) async fn verify(
    service: &Service,
    number: &OrderNumber,
    signed: &Signed<'_>,
    at: OffsetDateTime,
) -> ApiResult<StaffCertificate> {
    let refused = |why: &str| staff_not_accepted(number, signed.what, why);
    let staff_ca = &service.options().staff_ca_der;
    if staff_ca.is_empty() {
        return Err(refused(
            "this CA accepts no staff-signed statements (no staff CA is configured)",
        ));
    }
    if signed.signed_at > at + SIGNED_AT_AHEAD {
        return Err(refused(
            "signed_at is more than 10 minutes ahead of the CA's clock",
        ));
    }
    if signed.signed_at < at - SIGNED_AT_MAX_AGE {
        return Err(refused("signed_at is more than 24 hours ago"));
    }
    // The published lists, re-read if their files changed: off the async
    // workers (file I/O).
    let lists = {
        let service = service.clone();
        tokio::task::spawn_blocking(move || service.staff_revocation_lists())
            .await
            .map_err(|_| ApiError::new(ProblemCode::Unavailable))?
    };
    let staff =
        kiosk_x509::verify_staff_certificate(signed.certificate_der, &[], staff_ca, &lists, at)
            .map_err(|e| refused(staff_refusal(&e)))?;
    if !staff.roles.contains(&StaffRole::Staff) {
        return Err(refused(
            "the staff certificate does not grant the staff role",
        ));
    }
    kiosk_x509::verify_token_signature(signed.certificate_der, &signed.digest, signed.signature)
        .map_err(|e| refused(staff_refusal(&e)))?;
    Ok(staff)
}

/// `POST /v1/orders/{number}/cancellation`: a member of staff withdraws one
/// of the calling kiosk's orders (the route's access rule) that is not
/// paid, signed with their own staff key ([`verify`], over
/// [`OrderCancel::digest`](kiosk_domain::ports::counter::OrderCancel::digest)
/// of the path's order and `signed_at`). Then, in one transaction: an order
/// the CA does not have is 404 `not_found` (the kiosk's outbox has not
/// delivered it); a paid one 409 `already_paid`; one the status table does
/// not lead to 已取消 409 `illegal_transition`; otherwise it is 已取消 (it
/// was, or it is now: its feed entry for the kiosk, its open QR payments
/// expired, and no payment of it is taken any more), 200 with the order
/// and its status.
pub(crate) async fn cancel(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<OrderCancelV1>, ApiError>,
) -> ApiResult<Json<OrderCancelledV1>> {
    let number = path_order(number)?;
    let signed = json_body(body)?.validate()?.into_order_cancel(number);
    let at = now();
    let staff = verify(
        &service,
        &number,
        &Signed {
            what: Statement::OrderCancel,
            signed_at: signed.cancel.signed_at,
            certificate_der: &signed.certificate_der,
            signature: &signed.signature,
            digest: signed.cancel.digest(),
        },
        at,
    )
    .await?;
    let outcome = service.storage().cancel_order(number.as_str(), at)?;
    let log = |what: &str| {
        tracing::info!(
            order = %number,
            staff_certificate = %staff.serial_hex,
            "staff-signed order cancel: {what}"
        );
    };
    match outcome {
        CancelOutcome::Cancelled { order, again } => {
            log(if again {
                "cancelled before"
            } else {
                "cancelled"
            });
            Ok(Json(OrderCancelledV1 {
                number: order.number,
                status: order.status,
            }))
        }
        CancelOutcome::Unknown => {
            log("not done, the CA does not have the order");
            Err(ApiError::detail(
                ProblemCode::NotFound,
                "the CA does not have this order (yet)",
            ))
        }
        CancelOutcome::Paid(paid) => {
            log("not done, the order is paid");
            Err(ApiError::detail(
                ProblemCode::AlreadyPaid,
                &format!("the order is paid by {}", paid.id),
            ))
        }
        CancelOutcome::Illegal(status) => {
            log("not done, the order's status does not lead there");
            Err(ApiError::detail(
                ProblemCode::IllegalTransition,
                &format!("an order {} is not cancelled", status.as_str()),
            ))
        }
    }
}
