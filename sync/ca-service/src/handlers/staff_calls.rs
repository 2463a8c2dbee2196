//! 呼叫工作人员 (`kiosk_sync_wire::staff_call`): a kiosk makes a call for
//! staff, looks at it and withdraws it (its own calls only:
//! `Who::OwnKiosk`); staff list the calls and acknowledge one (the API,
//! and the back office's section and form). The CA's clock stamps the call.
//!
//! A kiosk's answer says whether a member of staff is coming, never who:
//! the name is kept for the back office. Logs carry the kiosk code and the
//! call's random id only.

use super::CSRF_FIELD;
use super::admin_page::{done, local};
use super::html::{escape, page};
use super::payments::rfc3339;
use super::{ApiError, ApiResult, JsonBody, NoFields, json_body, now, path};
use crate::Service;
use crate::access::Caller;
use crate::storage::{NewStaffCall, PutCallOutcome, StoredStaffCall};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_domain::flow::staff_call::{CallId, CallScreen, CallStatus};
use kiosk_domain::order_number::KioskCode;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::staff_call::{StaffCallStateV1, StaffCallV1, state_name};
use std::fmt::Write as _;
use time::OffsetDateTime;

/// At most this many open calls per kiosk: a kiosk in a loop cannot fill
/// the back office.
const MAX_OPEN_PER_KIOSK: u32 = 5;
/// Counted over the calls of this last while (older open calls were left by
/// a kiosk that lost power: listed for staff, no longer counted).
const COUNTED_FOR: time::Duration = time::Duration::minutes(30);

/// `Retry-After` of a call over the limit: staff work through the open
/// ones meanwhile.
const RETRY_AFTER_SECS: u32 = 30;

/// Staff see the calls acknowledged this recently (someone is on the way).
const ACKNOWLEDGED_SHOWN: time::Duration = time::Duration::HOUR;

/// The most calls the list holds.
const LIST_LIMIT: u32 = 200;

/// The path's kiosk code and call id, each in its one spelling (upper-case
/// code, 16 lower-case hex digits): any other text names no call (404).
fn path_call(p: Result<Path<(String, String)>, PathRejection>) -> ApiResult<(KioskCode, CallId)> {
    let (kiosk, call) = path(p)?;
    let code = kiosk
        .parse::<KioskCode>()
        .ok()
        .filter(|c| c.as_str() == kiosk);
    let id = call
        .parse::<CallId>()
        .ok()
        .filter(|id| id.to_string() == call);
    code.zip(id)
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

/// A call as a kiosk (or the staff API) reads it: no staff name.
fn state_v1(call: &StoredStaffCall) -> ApiResult<StaffCallStateV1> {
    Ok(StaffCallStateV1 {
        kiosk: call.kiosk.clone(),
        call: call.call.clone(),
        screen: call.screen.clone(),
        state: state_name(call.status).to_owned(),
        received_at: rfc3339(call.received_at)?,
        acknowledged_at: call.acknowledged_at.map(rfc3339).transpose()?,
    })
}

fn known(call: Option<StoredStaffCall>) -> ApiResult<StoredStaffCall> {
    call.ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

/// `PUT /v1/kiosks/{kiosk}/staff-calls/{call}`: 201 with the new call; the
/// same call again 200 as it is now; the id with another screen 409; a
/// kiosk with [`MAX_OPEN_PER_KIOSK`] open calls 429.
pub(super) async fn put(
    State(service): State<Service>,
    params: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<StaffCallV1>, ApiError>,
) -> ApiResult<Response> {
    let (kiosk, call) = path_call(params)?;
    let screen = json_body(body)?.validate()?;
    let id = call.to_string();
    let now = now();
    let new = NewStaffCall {
        kiosk: kiosk.as_str(),
        call: &id,
        screen: screen.as_str(),
        now,
        max_open: MAX_OPEN_PER_KIOSK,
        counted_since: now - COUNTED_FOR,
    };
    match service.storage().put_staff_call(&new)? {
        PutCallOutcome::Created(made) => {
            tracing::info!(kiosk = %kiosk, call = %id, screen = screen.as_str(), "staff call made");
            Ok((StatusCode::CREATED, Json(state_v1(&made)?)).into_response())
        }
        PutCallOutcome::Existing(held) => Ok(Json(state_v1(&held)?).into_response()),
        PutCallOutcome::ScreenConflict => Err(ApiError::detail(
            ProblemCode::StaffCallConflict,
            "this call id was used for another screen",
        )),
        PutCallOutcome::TooManyOpen => {
            tracing::warn!(kiosk = %kiosk, "a staff call over the open-call limit");
            Err(ApiError::detail(
                ProblemCode::TooManyRequests,
                "this kiosk has too many open staff calls",
            )
            .retry_after(RETRY_AFTER_SECS))
        }
    }
}

/// `GET /v1/kiosks/{kiosk}/staff-calls/{call}`.
pub(super) async fn show(
    State(service): State<Service>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<StaffCallStateV1>> {
    let (kiosk, call) = path_call(params)?;
    let held = known(
        service
            .storage()
            .staff_call(kiosk.as_str(), &call.to_string())?,
    )?;
    Ok(Json(state_v1(&held)?))
}

/// `POST /v1/kiosks/{kiosk}/staff-calls/{call}/withdraw` (body `{}`).
pub(super) async fn withdraw(
    State(service): State<Service>,
    params: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<NoFields>, ApiError>,
) -> ApiResult<Json<StaffCallStateV1>> {
    let (kiosk, call) = path_call(params)?;
    json_body(body)?;
    let id = call.to_string();
    let held = known(
        service
            .storage()
            .withdraw_staff_call(kiosk.as_str(), &id, now())?,
    )?;
    tracing::info!(kiosk = %kiosk, call = %id, "staff call withdrawn");
    Ok(Json(state_v1(&held)?))
}

/// `GET /v1/admin/staff-calls`: the calls not withdrawn, open ones first,
/// then those acknowledged within the hour, oldest first.
pub(super) async fn list(State(service): State<Service>) -> ApiResult<Json<Vec<StaffCallStateV1>>> {
    let calls = service
        .storage()
        .staff_calls(now() - ACKNOWLEDGED_SHOWN, LIST_LIMIT)?;
    Ok(Json(
        calls.iter().map(state_v1).collect::<ApiResult<Vec<_>>>()?,
    ))
}

/// Who is coming, as the back office shows it: the staff certificate's
/// name, or `local` (this machine, plain HTTP).
fn staff_name(caller: &Caller) -> String {
    match caller {
        Caller::Staff(name) => name.clone(),
        other => other.label(),
    }
}

fn acknowledge(
    service: &Service,
    caller: &Caller,
    kiosk: KioskCode,
    call: CallId,
) -> ApiResult<StoredStaffCall> {
    let id = call.to_string();
    let held = known(service.storage().acknowledge_staff_call(
        kiosk.as_str(),
        &id,
        &staff_name(caller),
        now(),
    )?)?;
    tracing::info!(kiosk = %kiosk, call = %id, "staff call acknowledged");
    Ok(held)
}

/// `POST /v1/admin/staff-calls/{kiosk}/{call}/acknowledge` (body `{}`):
/// the call as it is now (a withdrawn one stays withdrawn: the customer
/// left).
pub(super) async fn acknowledge_api(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<NoFields>, ApiError>,
) -> ApiResult<Json<StaffCallStateV1>> {
    let (kiosk, call) = path_call(params)?;
    json_body(body)?;
    let held = acknowledge(&service, &caller, kiosk, call)?;
    Ok(Json(state_v1(&held)?))
}

/// `POST /admin/staff-calls/{kiosk}/{call}/acknowledge`: back to the page;
/// a call withdrawn meanwhile gets a page that says the customer left.
pub(super) async fn acknowledge_form(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let held =
        path_call(params).and_then(|(kiosk, call)| acknowledge(&service, &caller, kiosk, call));
    match held {
        Ok(call) if call.status == CallStatus::Withdrawn => page(
            StatusCode::OK,
            "呼叫已撤回",
            &format!(
                "<h1>呼叫已撤回</h1><p class=\"msg\" id=\"withdrawn\">顾客已离开，终端 {} 的呼叫已撤回，无需前往。</p>\
                 <p><a href=\"/admin\">返回后台</a></p>",
                escape(&call.kiosk)
            ),
        ),
        other => done(other.map(|_| ())),
    }
}

/// Where the customer is, in the back office's words.
fn screen_label(screen: &str) -> &'static str {
    match CallScreen::parse(screen) {
        Some(CallScreen::Home) => "首页",
        Some(CallScreen::Help) => "帮助中心",
        Some(CallScreen::KeyCheck) => "环境检测",
        Some(CallScreen::Renewal) => "证书更新",
        Some(CallScreen::Pin) => "输入PIN码",
        Some(CallScreen::PinLocked) => "PIN码已锁定",
        Some(CallScreen::Payment) => "支付",
        Some(CallScreen::Install) => "证书写入/异常恢复",
        Some(CallScreen::Lookup) => "查询订单",
        Some(CallScreen::Application) => "申请证书及印章",
        Some(CallScreen::Pickup) => "现场领取",
        Some(CallScreen::Account) => "企业账户",
        None => "未知页面",
    }
}

/// The back office's section 呼叫工作人员: the calls not withdrawn, with a
/// button for the open ones.
pub(super) fn section(service: &Service, at: OffsetDateTime, out: &mut String) -> ApiResult<()> {
    let calls = service
        .storage()
        .staff_calls(at - ACKNOWLEDGED_SHOWN, LIST_LIMIT)?;
    out.push_str("<h2>呼叫工作人员</h2>");
    if calls.is_empty() {
        out.push_str("<p id=\"staff-calls-none\">暂无呼叫</p>");
        return Ok(());
    }
    out.push_str(
        "<table id=\"staff-calls\"><tr><th>终端</th><th>所在页面</th><th>呼叫时间</th>\
         <th>状态</th></tr>",
    );
    for c in &calls {
        let kiosk = escape(&c.kiosk);
        let call = escape(&c.call);
        let waited = (at - c.received_at).whole_minutes().max(0);
        let state = match c.status {
            CallStatus::Open => format!(
                "待处理<form method=\"post\" action=\"/admin/staff-calls/{kiosk}/{call}/acknowledge\">\
                 {CSRF_FIELD}<button type=\"submit\" id=\"ack-call-{kiosk}-{call}\">前往处理</button></form>"
            ),
            _ => format!(
                "已由 {} 前往处理",
                escape(c.acknowledged_by.as_deref().unwrap_or_default())
            ),
        };
        let _ = write!(
            out,
            "<tr id=\"call-{kiosk}-{call}\"><td>{kiosk}</td><td>{}</td>\
             <td>{}（已等待 {waited} 分钟）</td><td class=\"status\">{state}</td></tr>",
            screen_label(&c.screen),
            local(c.received_at),
        );
    }
    out.push_str("</table>");
    Ok(())
}
