//! A new mobile number when the old one is lost (spec §3.1.3): the kiosk
//! uploads its photographs of the business licence (with the unit's seal)
//! and of the handler's ID document (`PUT
//! /v1/accounts/mobile-reviews/captures/{sha256}`, JPEG, content-addressed,
//! kept with the uploading kiosk's code), then sends a request naming them
//! by reference (`sha256:<hex>`, only its own) with a code that proves the
//! new number reaches the customer; staff see both photographs and approve
//! or reject it on the back office page, and approving sets the mobile on
//! file. A kiosk holds at most `review_captures_per_kiosk` photographs no
//! request names, each removed `review_capture_ttl` after its upload
//! unless a request names it (checked at every upload and request). Logs
//! never carry the USCC, the numbers or anything of a photograph.

use super::CSRF_FIELD;
use super::JsonBody;
use super::accounts::{check_sms_code, duration};
use super::admin_page::{done, local};
use super::html::escape;
use super::payments::rfc3339;
use super::{ApiError, ApiResult, checked_reason, json_body, now, path};
use crate::Service;
use crate::access::Caller;
use crate::storage::{
    CaptureKind, CreateReviewOutcome, DecideOutcome, NewReviewCapture, PutCaptureOutcome,
    StoredMobileReview,
};
use axum::body::Body;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use http_body_util::BodyExt;
use kiosk_sync_wire::account::{
    MobileReviewRequestV1, MobileReviewV1, REVIEW_CAPTURE_MAX_BYTES, REVIEW_CAPTURE_MEDIA_TYPE,
    ReviewCaptureV1, capture_digest, capture_reference, looks_like_jpeg,
};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::problem::ProblemCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Who uploads and requests: the calling kiosk's code, or `local` (plain
/// HTTP on loopback, development). The access table lets no one else in.
fn kiosk_of(caller: &Caller) -> ApiResult<String> {
    match caller {
        Caller::Kiosk(code) => Ok(code.to_string()),
        Caller::Local => Ok("local".to_owned()),
        Caller::Staff(_) | Caller::Anonymous => Err(ApiError::new(ProblemCode::Forbidden)),
    }
}

/// Captures no request names, uploaded before this, are removed.
fn unreferenced_since(service: &Service) -> ApiResult<time::OffsetDateTime> {
    Ok(now() - duration(service.options().accounts.review_capture_ttl)?)
}

/// Whether the request's `Content-Type` is `image/jpeg` (parameters and
/// case aside).
fn is_jpeg_media_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(REVIEW_CAPTURE_MEDIA_TYPE))
}

fn too_large() -> ApiError {
    ApiError::detail(
        ProblemCode::AttachmentTooLarge,
        "a review capture has at most 1 MiB",
    )
}

/// The body, refused as soon as it exceeds `max` bytes.
async fn read_at_most(body: Body, max: usize) -> ApiResult<Vec<u8>> {
    let mut body = body;
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| ApiError::detail(ProblemCode::MalformedBody, "the body was cut"))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// `PUT /v1/accounts/mobile-reviews/captures/{sha256}`: one photograph
/// for a review request, the JPEG's bytes whose SHA-256 the path names.
/// 201 with its reference when kept now, 200 with the same when this
/// kiosk had uploaded it before (nothing changes). Refused: a path that is
/// not 64 lower-case hex digits (422 `invalid_field`, `sha256`), another
/// media type (415), more than 1 MiB (413 `attachment_too_large`; up to
/// 2 MiB declared is read first so the sender hears it), bytes
/// that do not start as a JPEG (422 `invalid_field`, `body`) or do not
/// hash to the path (422 `digest_mismatch`), a kiosk holding too many
/// captures no request names (429 `too_many_requests`, `Retry-After`
/// until its oldest is removed).
pub(super) async fn put_capture(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    digest: Result<Path<String>, PathRejection>,
    request_headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&caller)?;
    let digest = path(digest)?;
    if !hex::is_sha256(&digest) {
        return Err(ApiError::field(
            "sha256",
            "the path names a capture by its SHA-256 in 64 lower-case hex digits",
        ));
    }
    if !is_jpeg_media_type(&request_headers) {
        return Err(ApiError::detail(
            ProblemCode::UnsupportedMediaType,
            "a review capture is sent as image/jpeg",
        ));
    }
    let declared = request_headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > REVIEW_CAPTURE_MAX_BYTES as u64) {
        if n <= 2 * REVIEW_CAPTURE_MAX_BYTES as u64 {
            // A modest overrun is read and dropped, so the sender hears the
            // 413 instead of a connection closed under its upload.
            let _ = read_at_most(body, 2 * REVIEW_CAPTURE_MAX_BYTES).await;
        }
        return Err(too_large());
    }
    let bytes = read_at_most(body, REVIEW_CAPTURE_MAX_BYTES).await?;
    if !looks_like_jpeg(&bytes) {
        return Err(ApiError::field("body", "a review capture is a JPEG image"));
    }
    if hex::encode(&Sha256::digest(&bytes)) != digest {
        return Err(ApiError::detail(
            ProblemCode::DigestMismatch,
            "the body's SHA-256 is not the path's",
        ));
    }
    let options = service.options().accounts;
    let ttl = duration(options.review_capture_ttl)?;
    let at = now();
    let outcome = service.storage().put_review_capture(&NewReviewCapture {
        kiosk: &kiosk,
        sha256: &digest,
        bytes: &bytes,
        now: at,
        max_unreferenced: options.review_captures_per_kiosk,
        unreferenced_since: at - ttl,
    })?;
    let answer = ReviewCaptureV1 {
        reference: capture_reference(&digest),
        size: bytes.len() as u64,
    };
    match outcome {
        PutCaptureOutcome::Stored => {
            tracing::info!(kiosk = %kiosk, size = bytes.len(), "review capture stored");
            Ok((StatusCode::CREATED, Json(answer)).into_response())
        }
        PutCaptureOutcome::Existing => Ok((StatusCode::OK, Json(answer)).into_response()),
        PutCaptureOutcome::TooMany { oldest } => {
            tracing::info!(kiosk = %kiosk, "review capture refused: too many unreferenced");
            let wait = (oldest + ttl - at)
                .whole_seconds()
                .clamp(1, i64::from(u32::MAX));
            Err(ApiError::detail(
                ProblemCode::TooManyRequests,
                "too many captures no review request names yet",
            )
            .retry_after(u32::try_from(wait).unwrap_or(u32::MAX)))
        }
    }
}

fn review_v1(r: StoredMobileReview) -> ApiResult<MobileReviewV1> {
    Ok(MobileReviewV1 {
        requested_at: rfc3339(r.requested_at)?,
        id: r.id,
        uscc: r.uscc,
        new_mobile: r.new_mobile,
        licence_capture: r.licence_capture,
        id_capture: r.id_capture,
        status: r.status,
        reason: r.reason,
    })
}

/// `POST /v1/accounts/mobile-reviews`: 202, the request awaits staff. Its
/// captures must be ones the calling kiosk uploaded (422 `invalid_field`
/// naming the field otherwise), checked before the SMS code is used up.
pub(super) async fn request(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    body: Result<JsonBody<MobileReviewRequestV1>, ApiError>,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&caller)?;
    let request = json_body(body)?;
    let valid = request.validate()?;
    for (field, reference) in [
        ("licence_capture", valid.licence_capture),
        ("id_capture", valid.id_capture),
    ] {
        let held = capture_digest(reference)
            .map(|digest| service.storage().review_capture(&kiosk, digest))
            .transpose()?
            .flatten()
            .is_some();
        if !held {
            return Err(unknown_capture(field));
        }
    }
    check_sms_code(
        &service,
        valid.new_mobile.as_str(),
        "change_mobile",
        None,
        valid.sms_code,
    )?;
    if service.storage().account(valid.uscc.as_str())?.is_none() {
        return Err(ApiError::new(ProblemCode::AccountMismatch));
    }
    let review = StoredMobileReview {
        id: crate::random::hex(16)?,
        uscc: valid.uscc.as_str().to_owned(),
        new_mobile: valid.new_mobile.as_str().to_owned(),
        licence_capture: valid.licence_capture.to_owned(),
        id_capture: valid.id_capture.to_owned(),
        kiosk: Some(kiosk),
        status: "pending".to_owned(),
        reason: None,
        requested_at: now(),
    };
    // Checked again with the insert: a capture removed meanwhile is none.
    match service
        .storage()
        .create_mobile_review(&review, unreferenced_since(&service)?)?
    {
        CreateReviewOutcome::Created => {}
        CreateReviewOutcome::UnknownCapture(kind) => return Err(unknown_capture(kind.field())),
    }
    tracing::info!(review = %review.id, "mobile review requested");
    Ok((StatusCode::ACCEPTED, Json(review_v1(review)?)).into_response())
}

fn unknown_capture(field: &str) -> ApiError {
    ApiError::field(
        field,
        "no capture of this kiosk has this reference (upload it first)",
    )
}

/// The `kind` photograph of review request `id`, for staff: `image/jpeg`,
/// never cached, never sniffed as anything else.
fn capture_answer(service: &Service, id: &str, kind: CaptureKind) -> ApiResult<Response> {
    let bytes = service
        .storage()
        .mobile_review_capture(id, kind)?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, REVIEW_CAPTURE_MEDIA_TYPE),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /admin/mobile-reviews/{id}/captures/licence` (staff).
pub(super) async fn licence_capture(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    capture_answer(&service, &path(id)?, CaptureKind::Licence)
}

/// `GET /admin/mobile-reviews/{id}/captures/id` (staff).
pub(super) async fn id_capture(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    capture_answer(&service, &path(id)?, CaptureKind::Id)
}

/// `GET /v1/admin/mobile-reviews`: the latest requests, newest first.
pub(super) async fn list(State(service): State<Service>) -> ApiResult<Json<Vec<MobileReviewV1>>> {
    let mut out = Vec::new();
    for r in service.storage().mobile_reviews(200)? {
        out.push(review_v1(r)?);
    }
    Ok(Json(out))
}

fn decide(service: &Service, id: &str, approve: bool, reason: Option<&str>) -> ApiResult<()> {
    match service
        .storage()
        .decide_mobile_review(id, approve, reason, now())?
    {
        None => Err(ApiError::new(ProblemCode::NotFound)),
        Some(DecideOutcome::NotPending) => Err(ApiError::detail(
            ProblemCode::IllegalTransition,
            "the request was decided before",
        )),
        Some(DecideOutcome::Decided(_)) => {
            tracing::info!(review = %id, approve, "mobile review decided");
            Ok(())
        }
    }
}

/// `POST /admin/mobile-reviews/{id}/approve`.
pub(super) async fn approve(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    done(path(id).and_then(|id| decide(&service, &id, true, None)))
}

#[derive(Debug, Deserialize)]
pub(super) struct RejectForm {
    reason: String,
}

/// `POST /admin/mobile-reviews/{id}/reject` (form field `reason`).
pub(super) async fn reject(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<RejectForm>, FormRejection>,
) -> Response {
    let result = (|| {
        let id = path(id)?;
        let Form(form) = form.map_err(|_| ApiError::field("reason", "the form has no reason"))?;
        let reason = checked_reason(&form.reason)?;
        decide(&service, &id, false, Some(reason))
    })();
    done(result)
}

fn status(s: &str) -> &'static str {
    match s {
        "pending" => "待审核",
        "approved" => "已通过（手机号已更换）",
        _ => "未通过",
    }
}

/// A review's photograph as a thumbnail linking to the full image, as the
/// order pages show attachments; a request made before captures were
/// uploaded has none to show.
fn thumbnail(r: &StoredMobileReview, kind: CaptureKind) -> String {
    let (slug, label) = match kind {
        CaptureKind::Licence => ("licence", "营业执照"),
        CaptureKind::Id => ("id", "身份证件"),
    };
    if r.kiosk.is_none() {
        return "（无图像）".to_owned();
    }
    let id = escape(&r.id);
    let src = format!("/admin/mobile-reviews/{id}/captures/{slug}");
    format!(
        "<a href=\"{src}\"><img src=\"{src}\" id=\"review-{id}-{slug}\" \
         alt=\"{label}\" style=\"max-width:240px;max-height:240px\"></a>"
    )
}

/// The back office's table of review requests.
pub(super) fn section(service: &Service, out: &mut String) -> ApiResult<()> {
    out.push_str(
        "<h2>更换手机号审核（原手机号遗失）</h2><table id=\"mobile-reviews\"><tr>\
         <th>统一社会信用代码</th><th>新手机号</th><th>营业执照</th><th>身份证件</th>\
         <th>申请时间</th><th>状态</th><th>审核</th></tr>",
    );
    for r in service.storage().mobile_reviews(100)? {
        let id = escape(&r.id);
        let action = if r.status == "pending" {
            format!(
                "<form method=\"post\" action=\"/admin/mobile-reviews/{id}/approve\">{CSRF_FIELD}\
                 <button type=\"submit\" id=\"approve-review-{id}\">通过</button></form>\
                 <form method=\"post\" action=\"/admin/mobile-reviews/{id}/reject\">{CSRF_FIELD}\
                 <input name=\"reason\" id=\"reason-review-{id}\" required maxlength=\"200\" placeholder=\"不通过原因\">\
                 <button type=\"submit\" id=\"reject-review-{id}\">不通过</button></form>"
            )
        } else {
            r.reason.as_deref().map(escape).unwrap_or_default()
        };
        let _ = write!(
            out,
            "<tr id=\"review-{id}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"status\">{}</td><td>{action}</td></tr>",
            escape(&r.uscc),
            escape(&r.new_mobile),
            thumbnail(&r, CaptureKind::Licence),
            thumbnail(&r, CaptureKind::Id),
            local(r.requested_at),
            status(&r.status),
        );
    }
    out.push_str("</table>");
    Ok(())
}
