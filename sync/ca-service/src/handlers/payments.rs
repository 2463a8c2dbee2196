//! Payments over the API: the kiosk's QR payment (create, poll), staff's
//! counter and bank-transfer payments (from the back office, or from a
//! kiosk signed with the member of staff's own key), the customer's
//! remittance note and its confirmation by finance.

use super::staff_signed::{self, Signed, Statement};
use super::{ApiError, ApiResult, json_body, now, path};
use super::{JsonBody, NoFields, path_order};
use crate::Service;
use crate::storage::{
    NewPayment, OpenOutcome, RecordOutcome, RecordedPayment, RemittanceOutcome, StorageError,
    StoredPayment, StoredRemittance,
};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiosk_domain::order_number::OrderNumber;
use kiosk_sync_wire::payment::{
    CounterPaymentV1, METHOD_QR, PaymentRequestV1, PaymentV1, REMITTANCE_CONFIRMED,
    REMITTANCE_PENDING, RecordPaymentV1, RemittanceRecordV1, RemittanceV1, STATUS_EXPIRED,
    STATUS_PAID, STATUS_PENDING,
};
use kiosk_sync_wire::problem::ProblemCode;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// RFC 3339, as the wire carries times.
pub(crate) fn rfc3339(t: OffsetDateTime) -> ApiResult<String> {
    t.format(&Rfc3339)
        .map_err(|e| StorageError::Corrupt(format!("time: {e}")).into())
}

/// Where customers' phones reach the service: `--public-url`, else the
/// `Host` the request came to (plain HTTP: the simulator is for loopback
/// and demonstration networks).
pub(crate) fn public_base(service: &Service, request_headers: &HeaderMap) -> ApiResult<String> {
    if let Some(url) = &service.options().public_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let host = request_headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        // Only what a host name or address with a port is made of: the URL
        // ends up in an HTML page and a QR code.
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b".-:[]".contains(&c))
        })
        .ok_or_else(|| {
            ApiError::detail(
                ProblemCode::MalformedBody,
                "the Host header is missing or not a host name",
            )
        })?;
    Ok(format!("http://{host}"))
}

/// The wire form of a stored payment at `now`.
pub(crate) fn payment_v1(
    p: &StoredPayment,
    base: &str,
    now: OffsetDateTime,
) -> ApiResult<PaymentV1> {
    let status = if p.is_paid() {
        STATUS_PAID
    } else if p.is_expired(now) {
        STATUS_EXPIRED
    } else {
        STATUS_PENDING
    };
    Ok(PaymentV1 {
        id: p.id.clone(),
        order_number: p.number.clone(),
        amount_fen: p.amount_fen,
        status: status.to_owned(),
        method: p.method.clone(),
        qr_payload: if p.method == METHOD_QR {
            format!("{base}/pay/{}", p.id)
        } else {
            String::new()
        },
        expires_at: rfc3339(p.expires_at)?,
        paid_at: p.paid_at.map(rfc3339).transpose()?,
        reference: p.reference.clone(),
    })
}

/// An order that reached the CA already says what it costs; one that has
/// not (the kiosk's outbox may still be sending it) is taken at its word.
fn check_due(service: &Service, number: &OrderNumber, amount_fen: i64) -> ApiResult<()> {
    match service.storage().order_amount_fen(number.as_str())? {
        Some(due) if due != amount_fen => Err(ApiError::detail(
            ProblemCode::AmountMismatch,
            &format!("the order asks for {due} fen"),
        )),
        _ => Ok(()),
    }
}

/// A payment of a cancelled order: 422 `order_cancelled`, never paid.
pub(crate) fn order_cancelled() -> ApiError {
    ApiError::detail(
        ProblemCode::OrderCancelled,
        "the order is cancelled (已取消): it is not paid",
    )
}

fn amount_mismatch(held: &StoredPayment) -> ApiError {
    ApiError::detail(
        ProblemCode::AmountMismatch,
        &format!(
            "the order's payment {} is for {} fen",
            held.id, held.amount_fen
        ),
    )
}

/// `POST /v1/payments`: the order's open (or paid) QR payment, or a new
/// one. The order need not have reached the CA yet: the kiosk's outbox may
/// still be sending it.
pub(crate) async fn create(
    State(service): State<Service>,
    request_headers: HeaderMap,
    body: Result<JsonBody<PaymentRequestV1>, ApiError>,
) -> ApiResult<Response> {
    let request = json_body(body)?;
    let (number, amount) = request.validate()?;
    let base = public_base(&service, &request_headers)?;
    check_due(&service, &number, amount.0)?;
    let id = format!("pay_{}", crate::random::hex(16)?);
    let at = now();
    let ttl = time::Duration::try_from(service.options().payment_ttl)
        .map_err(|_| StorageError::Corrupt("payment ttl".to_owned()))?;
    let outcome = service.storage().open_payment(&NewPayment {
        id: &id,
        number: number.as_str(),
        amount_fen: amount.0,
        now: at,
        expires_at: at + ttl,
    })?;
    match outcome {
        OpenOutcome::Created(p) => {
            tracing::info!(order = %number, payment = %p.id, "QR payment opened");
            Ok((StatusCode::CREATED, Json(payment_v1(&p, &base, at)?)).into_response())
        }
        OpenOutcome::Existing(p) => Ok(Json(payment_v1(&p, &base, at)?).into_response()),
        OpenOutcome::AmountMismatch(p) => Err(amount_mismatch(&p)),
        OpenOutcome::OrderCancelled => Err(order_cancelled()),
    }
}

/// A payment id as the service makes them; anything else is not found
/// (and never reaches the database).
pub(crate) fn is_payment_id(id: &str) -> bool {
    id.strip_prefix("pay_")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `GET /v1/payments/{id}`.
pub(crate) async fn show(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
    request_headers: HeaderMap,
) -> ApiResult<Json<PaymentV1>> {
    let id = path(id)?;
    if !is_payment_id(&id) {
        return Err(ApiError::new(ProblemCode::NotFound));
    }
    let base = public_base(&service, &request_headers)?;
    let p = service
        .storage()
        .payment(&id)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok(Json(payment_v1(&p, &base, now())?))
}

/// `POST /v1/admin/orders/{number}/payments`: staff record a counter or
/// bank-transfer payment; the same reference again finds the first.
pub(crate) async fn record(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    request_headers: HeaderMap,
    body: Result<JsonBody<RecordPaymentV1>, ApiError>,
) -> ApiResult<Response> {
    let number = path_order(number)?;
    let valid = json_body(body)?.validate()?;
    let base = public_base(&service, &request_headers)?;
    check_due(&service, &number, valid.amount.0)?;
    let id = format!("pay_{}", crate::random::hex(16)?);
    let at = now();
    let outcome = service.storage().record_payment(&RecordedPayment {
        id: &id,
        number: number.as_str(),
        method: valid.method,
        amount_fen: valid.amount.0,
        reference: valid.reference.as_str(),
        now: at,
    })?;
    recorded_answer(outcome, &base, at)
}

/// `POST /v1/orders/{number}/counter-payments`: a payment a member of
/// staff took for one of the calling kiosk's orders (the route's access
/// rule), recorded only when it is signed with their own staff key
/// ([`staff_signed::verify`]: a certificate of the CA's staff CA with the
/// staff role, not revoked, over the digest of exactly this statement, the
/// path's order, method, amount, reference and `signed_at`, made at about
/// now). Then it is recorded as the back office records one: the same
/// reference again finds the first.
pub(crate) async fn record_signed(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    request_headers: HeaderMap,
    body: Result<JsonBody<CounterPaymentV1>, ApiError>,
) -> ApiResult<Response> {
    let number = path_order(number)?;
    let valid = json_body(body)?.validate()?;
    let base = public_base(&service, &request_headers)?;
    let signed = valid.into_domain(number);
    let at = now();
    let staff = staff_signed::verify(
        &service,
        &number,
        &Signed {
            what: Statement::CounterPayment,
            signed_at: signed.payment.signed_at,
            certificate_der: &signed.certificate_der,
            signature: &signed.signature,
            digest: signed.payment.digest(),
        },
        at,
    )
    .await?;

    let payment = &signed.payment;
    check_due(&service, &number, payment.amount.0)?;
    let id = format!("pay_{}", crate::random::hex(16)?);
    let outcome = service.storage().record_payment(&RecordedPayment {
        id: &id,
        number: number.as_str(),
        method: payment.method.as_str(),
        amount_fen: payment.amount.0,
        reference: payment.reference.as_str(),
        now: at,
    })?;
    match &outcome {
        RecordOutcome::Recorded(p) | RecordOutcome::Existing(p) => tracing::info!(
            order = %number,
            payment = %p.id,
            staff_certificate = %staff.serial_hex,
            again = matches!(outcome, RecordOutcome::Existing(_)),
            "staff-signed counter payment"
        ),
        RecordOutcome::ReferenceConflict | RecordOutcome::AlreadyPaid(_) => tracing::info!(
            order = %number,
            staff_certificate = %staff.serial_hex,
            "staff-signed counter payment not recorded: the order or reference holds another"
        ),
        RecordOutcome::OrderCancelled => tracing::info!(
            order = %number,
            staff_certificate = %staff.serial_hex,
            "staff-signed counter payment not recorded: the order is cancelled"
        ),
    }
    recorded_answer(outcome, &base, at)
}

fn recorded_answer(outcome: RecordOutcome, base: &str, at: OffsetDateTime) -> ApiResult<Response> {
    match outcome {
        RecordOutcome::Recorded(p) => {
            tracing::info!(order = %p.number, payment = %p.id, method = %p.method, "payment recorded");
            Ok((StatusCode::CREATED, Json(payment_v1(&p, base, at)?)).into_response())
        }
        RecordOutcome::Existing(p) => Ok(Json(payment_v1(&p, base, at)?).into_response()),
        RecordOutcome::ReferenceConflict => Err(ApiError::detail(
            ProblemCode::AmountMismatch,
            "this reference was recorded for another order, method or amount",
        )),
        RecordOutcome::AlreadyPaid(p) => Err(ApiError::detail(
            ProblemCode::AlreadyPaid,
            &format!("the order is paid by {}", p.id),
        )),
        RecordOutcome::OrderCancelled => Err(order_cancelled()),
    }
}

pub(crate) fn remittance_v1(r: &StoredRemittance) -> ApiResult<RemittanceRecordV1> {
    Ok(RemittanceRecordV1 {
        id: r.id.clone(),
        order_number: r.number.clone(),
        payer_name: r.payer_name.clone(),
        bank_reference: r.bank_reference.clone(),
        amount_fen: r.amount_fen,
        status: if r.payment_id.is_some() {
            REMITTANCE_CONFIRMED
        } else {
            REMITTANCE_PENDING
        }
        .to_owned(),
        received_at: rfc3339(r.received_at)?,
        payment_id: r.payment_id.clone(),
    })
}

/// `POST /v1/orders/{number}/remittance`: kept for finance to confirm;
/// the same note again finds the first.
pub(crate) async fn remittance(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<RemittanceV1>, ApiError>,
) -> ApiResult<Response> {
    let number = path_order(number)?;
    let valid = json_body(body)?.validate()?;
    let outcome = service.storage().add_remittance(&StoredRemittance {
        id: format!("rem_{}", crate::random::hex(16)?),
        number: number.as_str().to_owned(),
        payer_name: valid.payer_name.as_str().to_owned(),
        bank_reference: valid.bank_reference.as_str().to_owned(),
        amount_fen: valid.amount.0,
        received_at: now(),
        payment_id: None,
    })?;
    match outcome {
        RemittanceOutcome::Created(r) => {
            tracing::info!(order = %number, remittance = %r.id, "remittance note received");
            Ok((StatusCode::CREATED, Json(remittance_v1(&r)?)).into_response())
        }
        RemittanceOutcome::Existing(r) => Ok(Json(remittance_v1(&r)?).into_response()),
        RemittanceOutcome::Conflict => Err(ApiError::detail(
            ProblemCode::AmountMismatch,
            "this bank reference was noted for the order with other details",
        )),
    }
}

/// `GET /v1/admin/remittances`: the latest notes, newest first.
pub(crate) async fn remittances(
    State(service): State<Service>,
) -> ApiResult<Json<Vec<RemittanceRecordV1>>> {
    let notes = service.storage().remittances(200)?;
    Ok(Json(
        notes.iter().map(remittance_v1).collect::<ApiResult<_>>()?,
    ))
}

/// Confirms a note: the payment it makes, or why not.
pub(crate) fn confirm(service: &Service, id: &str) -> ApiResult<RecordOutcome> {
    if !(id.starts_with("rem_") && id.len() == 36) {
        return Err(ApiError::new(ProblemCode::NotFound));
    }
    let payment_id = format!("pay_{}", crate::random::hex(16)?);
    service
        .storage()
        .confirm_remittance(id, &payment_id, now())?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

/// `POST /v1/admin/remittances/{id}/confirm`: finance saw the money.
pub(crate) async fn confirm_remittance(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
    request_headers: HeaderMap,
    body: Result<JsonBody<NoFields>, ApiError>,
) -> ApiResult<Response> {
    json_body(body)?;
    let id = path(id)?;
    let base = public_base(&service, &request_headers)?;
    let outcome = confirm(&service, &id)?;
    recorded_answer(outcome, &base, now())
}
