//! The HTTP side: routes, extraction, and errors as problem+json. Bad input
//! of any kind is a 4xx problem; a storage failure is a 503 `unavailable`
//! (logged); nothing answers a bare 500.

mod accounts;
mod accounts_hash;
mod accounts_review;
mod admin_order;
mod admin_page;
mod audit;
mod config;
mod holders;
mod html;
mod identity;
mod invoices;
mod issuance;
mod json;
mod onsite;
mod payments;
mod renewability;
mod resume;
mod simulator;
mod sms;
mod staff_calls;
mod staff_crl;
mod staff_guard;
mod staff_signed;
mod track;

use crate::Service;
use crate::access::{self, Caller, Listener};
use crate::storage::{
    AppendOutcome, CreateOutcome, NewOrder, StorageError, StoredRenewal, SubmitOutcome,
    TransitionOutcome,
};
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use http_body_util::BodyExt;
pub(crate) use json::{JsonBody, NoFields};
use kiosk_domain::order::status::Lifecycle;
use kiosk_domain::order_number::OrderNumber;
use kiosk_sync_wire::attachment::{AttachmentStatusV1, OffsetQuery};
use kiosk_sync_wire::feed::{FeedPageV1, FeedQuery, RejectV1, StatusV1};
use kiosk_sync_wire::headers;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::holder::normalise_serial;
use kiosk_sync_wire::order::OrderV1;
use kiosk_sync_wire::problem::{Problem, ProblemCode};
use kiosk_sync_wire::renewal::{KeyAlgorithmV1, RenewalIssuedV1, RenewalRequestV1};
use kiosk_x509::KeyAlgorithm;
use kiosk_x509::test_ca::Profile;
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;
use time::OffsetDateTime;

pub use accounts::AccountOptions;
pub use accounts_hash::HashCost;
pub(crate) use accounts_hash::Hashing;
pub(crate) use staff_guard::{CSRF_FIELD, token as csrf_token};

/// The service's routes as served on `listener`: every route is in the
/// router, and [`authorize`] refuses those that are not this listener's or
/// this caller's before any handler runs.
pub(crate) fn router(service: Service, listener: Listener) -> axum::Router {
    let router = routes(&service, listener);
    let router = match listener {
        Listener::Staff => router.layer(middleware::from_fn_with_state(
            service.clone(),
            staff_guard::guard,
        )),
        Listener::Kiosk => router,
    };
    let inner = router
        .layer(middleware::from_fn_with_state(service.clone(), gate))
        .with_state(service);
    // axum adds `Allow` to whatever the method fallback answers, outside
    // every layer of the router; only a 405 names methods (a 404 must not
    // tell what the other listener has).
    axum::Router::new()
        .fallback_service(inner)
        .layer(middleware::map_response(
            |mut response: Response| async move {
                if response.status() != StatusCode::METHOD_NOT_ALLOWED {
                    response.headers_mut().remove(header::ALLOW);
                }
                response
            },
        ))
}

fn routes(service: &Service, listener: Listener) -> axum::Router<Service> {
    axum::Router::new()
        .route("/v1/orders/lookup", post(track::lookup))
        .route("/v1/orders/pickup", post(onsite::find))
        .route("/v1/orders/{number}/issuance", post(onsite::issue))
        .route("/v1/orders/{number}/issuance/{attempt}", get(onsite::again))
        .route("/v1/orders/{number}/written", post(onsite::written))
        .route("/v1/identity/checks", post(identity::check))
        .route(
            "/v1/admin/identity/{resident_id}",
            put(identity::put_reference),
        )
        .route("/v1/orders/{number}", put(create_order).get(get_order))
        .route(
            "/v1/orders/{number}/attachments/{position}",
            get(attachment_status).put(put_attachment),
        )
        .route("/v1/orders/{number}/submit", post(submit))
        .route(
            "/v1/kiosks/{kiosk}/staff-calls/{call}",
            put(staff_calls::put).get(staff_calls::show),
        )
        .route(
            "/v1/kiosks/{kiosk}/staff-calls/{call}/withdraw",
            post(staff_calls::withdraw),
        )
        .route("/v1/kiosks/{kiosk}/audit", get(audit::head))
        .route("/v1/kiosks/{kiosk}/audit/{seq}", put(audit::put))
        .route("/v1/admin/kiosks/{kiosk}/audit", get(audit::page_api))
        .route("/admin/kiosks/{kiosk}/audit", get(audit::page_html))
        .route("/v1/admin/staff-calls", get(staff_calls::list))
        .route(
            "/v1/admin/staff-calls/{kiosk}/{call}/acknowledge",
            post(staff_calls::acknowledge_api),
        )
        .route(
            "/admin/staff-calls/{kiosk}/{call}/acknowledge",
            post(staff_calls::acknowledge_form),
        )
        .route("/v1/feed", get(feed))
        .route("/v1/renewals/open", post(resume::open))
        .route("/v1/renewals/check", post(renewability::check))
        .route("/v1/renewals/{number}", post(renew))
        .route("/v1/renewals/{number}/installed", post(resume::installed))
        .route("/v1/renewals/{number}/attempts/{attempt}", get(issued))
        .route("/v1/admin/orders/{number}/approve", post(approve))
        .route("/v1/admin/orders/{number}/reject", post(reject))
        .route("/v1/payments", post(payments::create))
        .route("/v1/payments/{id}", get(payments::show))
        .route("/pay/{id}", get(simulator::show).post(simulator::pay))
        .route("/v1/admin/orders/{number}/payments", post(payments::record))
        .route("/v1/orders/{number}/remittance", post(payments::remittance))
        .route(
            "/v1/orders/{number}/counter-payments",
            post(payments::record_signed),
        )
        .route(
            "/v1/orders/{number}/cancellation",
            post(staff_signed::cancel),
        )
        .route("/v1/admin/remittances", get(payments::remittances))
        .route(
            "/v1/admin/remittances/{id}/confirm",
            post(payments::confirm_remittance),
        )
        .route("/v1/ca/roots", get(issuance::roots))
        .route("/v1/ca/crl", get(issuance::crl))
        .route("/v1/ca/demo/crl", get(issuance::demo_crl))
        .route("/v1/staff/crl", get(staff_crl::show))
        .route("/v1/admin/demo/issue", post(issuance::demo_issue))
        .route("/v1/sms/codes", post(sms::send))
        .route("/v1/sms/verify", post(sms::verify))
        .route("/v1/admin/sms", get(sms::messages))
        .route("/admin", get(admin_page::show))
        .route("/admin/orders/{number}", get(admin_order::show))
        .route(
            "/admin/orders/{number}/status",
            post(admin_order::set_status),
        )
        .route(
            "/admin/orders/{number}/attachments/{position}",
            get(admin_order::attachment),
        )
        .route("/admin/orders/{number}/approve", post(admin_page::approve))
        .route("/admin/orders/{number}/reject", post(admin_page::reject))
        .route(
            "/admin/remittances/{id}/confirm",
            post(admin_page::confirm_remittance),
        )
        .route("/v1/config", get(config::config))
        .route("/v1/certificates/{serial}/holder", get(holders::show))
        .route("/v1/admin/certificates/{serial}/holder", put(holders::put))
        .route("/v1/orders/{number}/invoice", get(invoices::show))
        .route("/v1/admin/orders/{number}/invoice", post(invoices::issue))
        .route("/track", get(track::show).post(track::find))
        .route("/invoices/{invoice_number}", get(invoices::page))
        .route("/openapi.json", get(openapi))
        .merge(accounts::routes())
        .route_layer(middleware::from_fn_with_state(
            (service.clone(), listener),
            authorize,
        ))
        .fallback(fallback)
        .method_not_allowed_fallback(move |state, matched| not_allowed(state, matched, listener))
}

/// A path served with another method: 405 with the methods this listener
/// serves there (the OpenAPI document lists them for anyone); a path only
/// the other listener serves, or only `--demo`, is "no such route" here,
/// as [`authorize`] answers it.
async fn not_allowed(
    State(service): State<Service>,
    matched: Option<MatchedPath>,
    listener: Listener,
) -> Response {
    let template = matched.as_ref().map_or("", MatchedPath::as_str);
    let methods = access::allowed(template, listener, service.options().demo);
    if methods.is_empty() {
        return fallback().await.into_response();
    }
    let mut response = ApiError::new(ProblemCode::MethodNotAllowed).into_response();
    if let Ok(allow) = HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// `GET /v1/renewals/{number}/attempts/{attempt}`: what was issued for this
/// attempt, for a kiosk that lost the answer (power cut, full disk) and
/// cannot ask again: its new request would be a different CSR.
async fn issued(
    State(service): State<Service>,
    params: Result<Path<(String, u32)>, PathRejection>,
) -> ApiResult<Json<RenewalIssuedV1>> {
    let (number, attempt) = path(params)?;
    let stored = service
        .storage()
        .renewal(&number, attempt)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok(Json(RenewalIssuedV1 {
        number,
        attempt,
        certificate_der_hex: hex::encode(&stored.certificate_der),
        intermediates_der_hex: Vec::new(),
    }))
}

/// The renewed certificate keeps the holder's details on file (a failure
/// only costs the customer a visit to the counter next time: logged).
fn carry_holder(service: &Service, old_der: &[u8], new_der: &[u8]) {
    let serial = |der: &[u8]| {
        kiosk_x509::summarize(der, "")
            .ok()
            .and_then(|s| kiosk_sync_wire::holder::normalise_serial(&s.serial_hex))
    };
    let (Some(old), Some(new)) = (serial(old_der), serial(new_der)) else {
        return;
    };
    if let Err(e) = service.storage().carry_holder(&old, &new, now()) {
        tracing::warn!(error = %e, "holder details not carried over");
    }
}

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    problem: Box<Problem>,
    offset: Option<u64>,
    retry_after: Option<u32>,
}

impl ApiError {
    pub(crate) fn new(code: ProblemCode) -> Self {
        Box::new(Problem::new(code)).into()
    }
    pub(crate) fn detail(code: ProblemCode, detail: &str) -> Self {
        Box::new(Problem::new(code).with_detail(detail)).into()
    }
}

impl From<Box<Problem>> for ApiError {
    fn from(problem: Box<Problem>) -> Self {
        Self {
            problem,
            offset: None,
            retry_after: None,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "storage failed");
        Self::new(ProblemCode::Unavailable)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(headers::PROBLEM_JSON),
        );
        if let Some(offset) = self.offset {
            h.insert(headers::UPLOAD_OFFSET, HeaderValue::from(offset));
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<getrandom::Error> for ApiError {
    fn from(e: getrandom::Error) -> Self {
        tracing::error!(error = %e, "no randomness");
        Self::new(ProblemCode::Unavailable)
    }
}

impl ApiError {
    /// An `invalid_field` problem with a technical detail only.
    pub(crate) fn field(field: &str, detail: &str) -> Self {
        let mut p = Problem::new(ProblemCode::InvalidField).with_detail(detail);
        p.field = Some(field.to_owned());
        Box::new(p).into()
    }

    /// Adds `Retry-After: secs`.
    pub(crate) fn retry_after(mut self, secs: u32) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// The simulators of what a real CA has elsewhere (the payment provider's
/// page, the SMS gateway's outbox, the identity service) and demonstration
/// issuance: 404 unless the service runs with `--demo`, so that a CA
/// started without it has no way to pay, read a code or issue for free.
pub(crate) fn demo_only(service: &Service) -> ApiResult<()> {
    if service.options().demo {
        Ok(())
    } else {
        Err(ApiError::new(ProblemCode::NotFound))
    }
}

pub(crate) fn json_body<T>(body: Result<JsonBody<T>, ApiError>) -> ApiResult<T> {
    body.map(|JsonBody(v)| v)
}

/// The order number in the path, exactly as the kiosk writes it: any
/// other text names no order (404, as an unknown number).
pub(crate) fn path_order(p: Result<Path<String>, PathRejection>) -> ApiResult<OrderNumber> {
    let text = path(p)?;
    text.parse::<OrderNumber>()
        .ok()
        .filter(|n| n.as_str() == text)
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

pub(crate) fn path<T>(p: Result<Path<T>, PathRejection>) -> ApiResult<T> {
    p.map(|Path(v)| v)
        .map_err(|_| ApiError::new(ProblemCode::NotFound))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    q.map(|Query(v)| v)
        .map_err(|_| ApiError::detail(ProblemCode::MalformedBody, "the query is not valid"))
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Logs each request's arrival (method and path: no personal data beyond
/// order numbers) and answers injected faults.
async fn gate(State(service): State<Service>, request: Request, next: Next) -> Response {
    // A refusal may come before the body is read (wrong media type, no
    // access, a fault injected); hyper then closes the connection, and a
    // client that sends its next request on it at that moment loses it.
    // Told `Connection: close` with the answer, it opens a new one.
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let mut response = gate_inner(&service, request, next).await;
    if has_body && (response.status().is_client_error() || response.status().is_server_error()) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn gate_inner(service: &Service, request: Request, next: Next) -> Response {
    service.note_request(format!("{} {}", request.method(), request.uri().path()));
    if request.uri().path().starts_with("/v1/") {
        let path = request.uri().path();
        let method = request.method().as_str();
        let injected = service.inner.injection.lock().ok().and_then(|mut i| {
            let hit = i.remaining > 0
                && path.starts_with(i.path_prefix)
                && i.method.is_none_or(|m| m == method);
            hit.then(|| {
                i.remaining -= 1;
                *i
            })
        });
        if let Some(i) = injected {
            if i.serve_first {
                let served = next.run(request).await;
                tracing::info!(
                    status = served.status().as_u16(),
                    "served; the reply is lost (injected)"
                );
            }
            let code = if i.status == 429 {
                ProblemCode::TooManyRequests
            } else {
                ProblemCode::Unavailable
            };
            let mut e = ApiError::new(code);
            e.problem.status = i.status;
            e.retry_after = i.retry_after_secs;
            return e.into_response();
        }
    }
    next.run(request).await
}

/// Checks the matched route against [`crate::access::ROUTES`] for the
/// connection's caller (no caller recorded: anonymous), and hands the
/// caller on to the handler.
async fn authorize(
    State((service, listener)): State<(Service, Listener)>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or(Caller::Anonymous);
    let template = matched.as_ref().map_or("", MatchedPath::as_str);
    let route = access::find(request.method().as_str(), template);
    let params = access::PathParameters::of(template, request.uri().path());
    if let Err(refusal) = access::check(route, listener, &caller, &params, service.options().demo) {
        if route.is_none() {
            tracing::error!(
                route = template,
                "a served route is missing from the access table"
            );
        }
        if refusal != access::Refusal::NotHere {
            tracing::info!(caller = %caller.label(), route = template, ?refusal, "request refused");
        }
        return match refusal {
            access::Refusal::NotHere => fallback().await.into_response(),
            _ => ApiError::new(refusal.code()).into_response(),
        };
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// No such route, here: the same answer whether the path exists nowhere,
/// belongs to the other listener, or needs `--demo`.
async fn fallback() -> ApiError {
    ApiError::detail(ProblemCode::NotFound, NO_SUCH_ROUTE)
}

/// The `detail` of [`fallback`]'s answer.
pub const NO_SUCH_ROUTE: &str = "no such route";

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        kiosk_sync_wire::OPENAPI_JSON,
    )
        .into_response()
}

/// Removes an idempotency key from the in-flight set when the request
/// ends, however it ends (also when the client goes away mid-request).
struct InFlight<'a> {
    service: &'a Service,
    key: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.service.inner.in_flight.lock() {
            set.remove(&self.key);
        }
    }
}

fn is_idempotency_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

async fn create_order(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    request_headers: HeaderMap,
    body: Result<JsonBody<OrderV1>, ApiError>,
) -> ApiResult<Response> {
    let number = path(number)?;
    let key = request_headers
        .get(headers::IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .filter(|k| is_idempotency_key(k))
        .ok_or_else(|| ApiError::new(ProblemCode::IdempotencyKeyMissing))?
        .to_owned();
    let document = json_body(body)?;
    let valid = document.validate()?;
    if valid.number.as_str() != number {
        return Err(ApiError::new(ProblemCode::NumberMismatch));
    }
    if let Some(project) = &valid.project_code
        && !service.inner.options.projects.contains(project)
    {
        return Err(ApiError::new(ProblemCode::UnknownProject));
    }
    let _guard = {
        let mut set = service
            .inner
            .in_flight
            .lock()
            .map_err(|_| StorageError::Poisoned)?;
        if !set.insert(key.clone()) {
            return Err(ApiError::new(ProblemCode::RequestInFlight));
        }
        InFlight {
            service: &service,
            key: key.clone(),
        }
    };
    let delay = service.inner.options.create_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let canonical =
        serde_json::to_string(&document).map_err(|_| ApiError::new(ProblemCode::MalformedBody))?;
    let outcome = service.storage().create_order(&NewOrder {
        idempotency_key: &key,
        number: &number,
        body_sha256: hex::encode(&Sha256::digest(canonical.as_bytes())),
        document_json: canonical,
        lifecycle: valid.lifecycle,
        attachments: &document.attachments,
        now: now(),
    })?;
    match outcome {
        CreateOutcome::Created(record) => {
            tracing::info!(order = %number, "order created");
            Ok((StatusCode::CREATED, Json(record)).into_response())
        }
        CreateOutcome::Existing(record) => Ok((StatusCode::OK, Json(record)).into_response()),
        CreateOutcome::KeyReused => Err(ApiError::new(ProblemCode::IdempotencyKeyReused)),
        CreateOutcome::NumberTaken => Err(ApiError::new(ProblemCode::NumberTaken)),
    }
}

async fn get_order(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let number = path(number)?;
    let record = service
        .storage()
        .order(&number)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok(Json(record).into_response())
}

fn attachment_response(status: AttachmentStatusV1) -> Response {
    let offset = status.received;
    let mut response = Json(status).into_response();
    response
        .headers_mut()
        .insert(headers::UPLOAD_OFFSET, HeaderValue::from(offset));
    response
}

async fn attachment_status(
    State(service): State<Service>,
    at: Result<Path<(String, u32)>, PathRejection>,
) -> ApiResult<Response> {
    let (number, position) = path(at)?;
    let status = service
        .storage()
        .attachment(&number, position)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok(attachment_response(status))
}

async fn put_attachment(
    State(service): State<Service>,
    at: Result<Path<(String, u32)>, PathRejection>,
    offset: Result<Query<OffsetQuery>, QueryRejection>,
    request_headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (number, position) = path(at)?;
    let OffsetQuery { offset } = query(offset)?;
    let declared = request_headers
        .get(headers::SHA256)
        .and_then(|v| v.to_str().ok())
        .filter(|d| hex::is_sha256(d))
        .ok_or_else(|| {
            let mut p = Problem::new(ProblemCode::InvalidField)
                .with_detail("the SHA-256 header is missing or not lower-case hex");
            p.field = Some("header:sha-256".to_owned());
            ApiError::from(Box::new(p))
        })?
        .to_owned();
    let current = service
        .storage()
        .attachment(&number, position)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    if offset != current.received {
        let mut e = ApiError::detail(ProblemCode::OffsetMismatch, "resume from Upload-Offset");
        e.offset = Some(current.received);
        return Err(e);
    }
    let room = usize::try_from(current.size.saturating_sub(offset)).unwrap_or(usize::MAX);
    // Read the part; keep whatever arrived if the connection breaks.
    let mut body = body;
    let mut bytes = Vec::new();
    let mut broken = false;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    if bytes.len() + data.len() > room {
                        return Err(ApiError::new(ProblemCode::AttachmentTooLarge));
                    }
                    bytes.extend_from_slice(&data);
                }
            }
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    let outcome = service
        .storage()
        .append(&number, position, offset, &declared, &bytes)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    if broken {
        tracing::info!(order = %number, position, kept = bytes.len(), "attachment part cut; kept what arrived");
        return Err(ApiError::detail(
            ProblemCode::MalformedBody,
            "the body was cut",
        ));
    }
    match outcome {
        AppendOutcome::Appended(status) => Ok(attachment_response(status)),
        AppendOutcome::OffsetMismatch(held) => {
            let mut e = ApiError::new(ProblemCode::OffsetMismatch);
            e.offset = Some(held);
            Err(e)
        }
        AppendOutcome::TooLarge => Err(ApiError::new(ProblemCode::AttachmentTooLarge)),
        AppendOutcome::DigestMismatch => Err(ApiError::new(ProblemCode::DigestMismatch)),
        AppendOutcome::DigestConflict => {
            let mut p = Problem::new(ProblemCode::InvalidField)
                .with_detail("the SHA-256 header is not the digest the order announced");
            p.field = Some("header:sha-256".to_owned());
            Err(Box::new(p).into())
        }
    }
}

async fn submit(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let number = path(number)?;
    match service.storage().submit(&number, now())? {
        None => Err(ApiError::new(ProblemCode::NotFound)),
        Some(SubmitOutcome::Incomplete) => Err(ApiError::new(ProblemCode::AttachmentsIncomplete)),
        Some(SubmitOutcome::Submitted(record)) => Ok(Json(record).into_response()),
    }
}

/// The most entries one feed page holds.
const FEED_LIMIT_MAX: u32 = 500;

/// `GET /v1/feed`: the entries of the calling kiosk's orders (all of them
/// for [`Caller::Local`], a development machine).
async fn feed(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<FeedQuery>, QueryRejection>,
) -> ApiResult<Json<FeedPageV1>> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=FEED_LIMIT_MAX).contains(&limit) {
        return Err(ApiError::field("limit", "limit is 1 to 500"));
    }
    if i64::try_from(q.cursor).is_err() {
        return Err(ApiError::field("cursor", "cursor is beyond any entry"));
    }
    let kiosk = match &caller {
        Caller::Kiosk(code) => Some(code.to_string()),
        _ => None,
    };
    let entries = service.storage().feed(q.cursor, limit, kiosk.as_deref())?;
    let next_cursor = entries.last().map_or(q.cursor, |e| e.seq);
    Ok(Json(FeedPageV1 {
        entries,
        next_cursor,
    }))
}

pub(crate) async fn review(
    service: &Service,
    number: &str,
    to: StatusV1,
    reason: Option<&str>,
) -> ApiResult<Response> {
    match service.storage().transition(number, to, reason, now())? {
        None => Err(ApiError::new(ProblemCode::NotFound)),
        Some(TransitionOutcome::Illegal) => Err(ApiError::new(ProblemCode::IllegalTransition)),
        Some(TransitionOutcome::Done(record)) => {
            tracing::info!(order = %number, status = to.as_str(), "order reviewed");
            tell_the_handler(service, number, to, reason)?;
            Ok(Json(record).into_response())
        }
    }
}

/// An application's review outcome, by SMS (the simulator) to the
/// handler's mobile. Other steps are followed at the kiosk or on /track.
fn tell_the_handler(
    service: &Service,
    number: &str,
    to: StatusV1,
    reason: Option<&str>,
) -> ApiResult<()> {
    let text = match (to, reason) {
        (StatusV1::AwaitingPayment, _) => format!(
            "【CA】您的数字证书及电子印章申请（订单号{number}）已审核通过，请凭订单号和手机号到自助终端“查询订单”缴费。"
        ),
        (StatusV1::Rejected, Some(reason)) => format!(
            "【CA】您的数字证书及电子印章申请（订单号{number}）审核未通过：{reason}。请修改后重新提交，或到服务大厅咨询。"
        ),
        _ => return Ok(()),
    };
    let document = service.storage().order_document(number)?;
    let mobile = document
        .and_then(|json| serde_json::from_str::<kiosk_sync_wire::order::OrderV1>(&json).ok())
        .and_then(|doc| match doc.details {
            kiosk_sync_wire::order::DetailsV1::Application(a) => Some(a.handler_mobile),
            kiosk_sync_wire::order::DetailsV1::Renewal(_) => None,
        });
    if let Some(mobile) = mobile {
        service
            .storage()
            .send_sms_notice(&mobile, "review", &text, now())?;
    }
    Ok(())
}

async fn approve(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<NoFields>, ApiError>,
) -> ApiResult<Response> {
    json_body(body)?;
    let number = path(number)?;
    review(&service, &number, StatusV1::AwaitingPayment, None).await
}

async fn reject(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<RejectV1>, ApiError>,
) -> ApiResult<Response> {
    let number = path(number)?;
    let RejectV1 { reason } = json_body(body)?;
    let reason = checked_reason(&reason)?;
    review(&service, &number, StatusV1::Rejected, Some(reason)).await
}

/// A rejection's reason: 1 to 200 characters once trimmed.
pub(crate) fn checked_reason(reason: &str) -> ApiResult<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::field(
            "reason",
            "a reason of 1 to 200 characters is required",
        ));
    }
    Ok(reason)
}

/// A request the CA may sign: it parses, its signature verifies, and its
/// key is one the CA's key policy allows.
pub(crate) fn checked_request(service: &Service, csr: &[u8]) -> ApiResult<()> {
    let key = kiosk_x509::verify_request(csr)
        .map_err(|e| ApiError::detail(ProblemCode::InvalidRequest, &e.to_string()))?;
    if service.options().key_policy.contains(&key) {
        Ok(())
    } else {
        Err(ApiError::detail(
            ProblemCode::InvalidRequest,
            &format!("the CA does not certify {key} keys"),
        ))
    }
}

pub(crate) fn unhex(field: &str, text: &str) -> ApiResult<Vec<u8>> {
    hex::decode(text).filter(|b| !b.is_empty()).ok_or_else(|| {
        let mut p =
            Problem::new(ProblemCode::InvalidField).with_detail(format!("{field} is not hex"));
        p.field = Some(field.to_owned());
        Box::new(p).into()
    })
}

async fn renew(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<RenewalRequestV1>, ApiError>,
) -> ApiResult<Json<RenewalIssuedV1>> {
    let number = path(number)?;
    let request = json_body(body)?;
    match service.storage().lifecycle(&number)? {
        None => return Err(ApiError::new(ProblemCode::NotFound)),
        Some(Lifecycle::Renewal) => {}
        Some(_) => {
            return Err(ApiError::detail(
                ProblemCode::IllegalTransition,
                "the order is not a renewal",
            ));
        }
    }
    // The CA issues only for a paid order (the kiosk pays first by QR, or
    // staff recorded a counter payment), paid at the CA's own price: the
    // amount of a payment opened before the order arrived was the
    // kiosk's word.
    let Some(paid) = service.storage().paid_payment(&number)? else {
        return Err(ApiError::detail(
            ProblemCode::PaymentRequired,
            "the order has no paid payment",
        ));
    };
    let price = service.options().catalogue.renewal_price_fen;
    if paid.amount_fen < price {
        return Err(ApiError::detail(
            ProblemCode::PaymentRequired,
            &format!(
                "the order is paid {} fen; a renewal costs {price} fen",
                paid.amount_fen
            ),
        ));
    }
    let paid_at = paid.paid_at.unwrap_or_else(now);
    // The certificate the order renews, and only it, proves possession.
    let renews = renewed_serial(&service, &number)?;
    if request.attempt == 0 {
        return Err(ApiError::field("attempt", "attempts start at 1"));
    }
    let csr = unhex("request_der_hex", &request.request_der_hex)?;
    let proof = kiosk_x509::ProofOfPossession {
        old_certificate_der: unhex(
            "proof.old_certificate_der_hex",
            &request.proof.old_certificate_der_hex,
        )?,
        signature: unhex("proof.signature_hex", &request.proof.signature_hex)?,
        algorithm: match request.proof.algorithm {
            KeyAlgorithmV1::EcP256 => KeyAlgorithm::EcP256,
            KeyAlgorithmV1::Rsa { bits } => KeyAlgorithm::Rsa { bits },
        },
    };
    let attempt = request.attempt;
    let (stored, fresh) = issue_once(&service, &number, attempt, &csr, || {
        checked_request(&service, &csr)?;
        kiosk_x509::verify_proof(&csr, &proof)
            .map_err(|e| ApiError::detail(ProblemCode::ProofRejected, &e.to_string()))?;
        // The checks the CA answers `POST /v1/renewals/check` with, the
        // window as it stood when the customer paid (a paid renewal
        // finished later, at this kiosk or another, is not refused for the
        // time it took).
        let renewability::Renewable { verified, issuer } = renewability::check_old_certificate(
            &service,
            &proof.old_certificate_der,
            paid_at.min(now()),
        )?
        .map_err(renewability::Refusal::into_problem)?;
        if normalise_serial(&verified.serial_hex).as_deref() != Some(renews.as_str()) {
            return Err(ApiError::detail(
                ProblemCode::ProofRejected,
                "the proof is made with another certificate than the one the order renews",
            ));
        }
        // One renewal per certificate: once another order renewed it, it
        // is superseded (its holder renews the new one).
        if let Some(refusal) = renewability::renewed_by_another(&service, &renews, Some(&number))? {
            return Err(refusal.into_problem());
        }
        issuer
            .issue(&csr, service.inner.options.validity_days, Profile::Customer)
            .map_err(|e| ApiError::detail(ProblemCode::InvalidRequest, &e.to_string()))
    })
    .await?;
    if fresh {
        tracing::info!(order = %number, attempt, "renewal issued");
        carry_holder(
            &service,
            &proof.old_certificate_der,
            &stored.certificate_der,
        );
    }
    Ok(Json(RenewalIssuedV1 {
        number,
        attempt,
        certificate_der_hex: hex::encode(&stored.certificate_der),
        intermediates_der_hex: Vec::new(),
    }))
}

/// The document of order `number` as the CA stored it (`None`: no such
/// order); one it cannot read back is a fault of its storage.
pub(crate) fn stored_document(service: &Service, number: &str) -> ApiResult<Option<OrderV1>> {
    service
        .storage()
        .order_document(number)?
        .map(|d| {
            serde_json::from_str(&d).map_err(|e| {
                StorageError::Corrupt(format!("order {number}'s document: {e}")).into()
            })
        })
        .transpose()
}

/// The serial (normalised) of the certificate renewal order `number`
/// renews, from the order's document.
fn renewed_serial(service: &Service, number: &str) -> ApiResult<String> {
    let document =
        stored_document(service, number)?.ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    let serial = match document.details {
        kiosk_sync_wire::order::DetailsV1::Renewal(d) => {
            normalise_serial(&d.certificate_serial_hex)
        }
        kiosk_sync_wire::order::DetailsV1::Application(_) => None,
    };
    serial.ok_or_else(|| {
        StorageError::Corrupt(format!("renewal order {number}: its certificate serial")).into()
    })
}

/// One issuance per (order, attempt), checked and kept atomically: the
/// certificate kept for it when this very request (by SHA-256) was answered
/// before, `renewal_conflict` for another request, else what `issue` makes
/// (after its checks), kept (the first one kept wins). With whether it was
/// issued now. A renewal's and an on-site pickup's.
pub(crate) async fn issue_once(
    service: &Service,
    number: &str,
    attempt: u32,
    csr: &[u8],
    issue: impl FnOnce() -> ApiResult<Vec<u8>>,
) -> ApiResult<(StoredRenewal, bool)> {
    let request_sha256 = hex::encode(&Sha256::digest(csr));
    let _one = service.inner.renewals.lock().await;
    if let Some(stored) = service.storage().renewal(number, attempt)? {
        return if stored.request_sha256 == request_sha256 {
            Ok((stored, false))
        } else {
            Err(ApiError::new(ProblemCode::RenewalConflict))
        };
    }
    let der = issue()?;
    service.inner.issued.fetch_add(1, Ordering::SeqCst);
    let kept = service.storage().insert_renewal(
        number,
        attempt,
        &StoredRenewal {
            request_sha256,
            certificate_der: der,
        },
        now(),
    )?;
    Ok((kept, true))
}
