//! A new mobile number when the old one is lost: the kiosk sends a request
//! with the references of its business licence and ID captures (and a code
//! that proves the new number reaches the customer); staff approve or
//! reject it on the back office page, and approving sets the mobile on
//! file. Logs never carry the USCC or the numbers.

use super::CSRF_FIELD;
use super::JsonBody;
use super::accounts::check_sms_code;
use super::admin_page::{done, local};
use super::html::escape;
use super::payments::rfc3339;
use super::{ApiError, ApiResult, checked_reason, json_body, now, path};
use crate::Service;
use crate::storage::{DecideOutcome, StoredMobileReview};
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use kiosk_sync_wire::account::{MobileReviewRequestV1, MobileReviewV1};
use kiosk_sync_wire::problem::ProblemCode;
use serde::Deserialize;
use std::fmt::Write as _;

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

/// `POST /v1/accounts/mobile-reviews`: 202, the request awaits staff.
pub(super) async fn request(
    State(service): State<Service>,
    body: Result<JsonBody<MobileReviewRequestV1>, ApiError>,
) -> ApiResult<Response> {
    let request = json_body(body)?;
    let valid = request.validate()?;
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
        status: "pending".to_owned(),
        reason: None,
        requested_at: now(),
    };
    service.storage().create_mobile_review(&review)?;
    tracing::info!(review = %review.id, "mobile review requested");
    Ok((StatusCode::ACCEPTED, Json(review_v1(review)?)).into_response())
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
            escape(&r.licence_capture),
            escape(&r.id_capture),
            local(r.requested_at),
            status(&r.status),
        );
    }
    out.push_str("</table>");
    Ok(())
}
