//! The back office page (`GET /admin`, zh-CN, no JavaScript): the calls
//! for staff kiosks made (呼叫工作人员, `staff_calls`) at the top, orders with
//! their payment state, approve and reject (with a reason), bank-transfer
//! remittance notes to confirm, requests for a new mobile number to review
//! (`accounts_review`), the kiosks' audit logs as the CA holds them
//! (终端操作记录, `audit`), and the SMS simulator's messages. Each
//! action is a plain form POST answered with a redirect back to the page
//! (so reloading does not repeat it), or a page saying why it was refused.
//!
//! Like the `/v1/admin` API, it has no login of its own: the reference
//! service is reached on loopback or behind mutual TLS.

use super::CSRF_FIELD;
use super::html::{escape, page};
use super::{ApiError, ApiResult, checked_reason, now, path, payments, review};
use crate::Service;
use crate::storage::{RecordOutcome, StoredPayment};
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiosk_domain::money::Fen;
use kiosk_domain::order::status::Lifecycle;
use kiosk_sync_wire::feed::StatusV1;
use serde::Deserialize;
use std::fmt::Write as _;
use time::OffsetDateTime;

fn kind(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Renewal => "证书更新",
        Lifecycle::ApplicationByMail => "新办（邮寄）",
        Lifecycle::ApplicationOnSite => "新办（现场）",
    }
}

pub(super) fn status(s: StatusV1) -> &'static str {
    match s {
        StatusV1::PendingReview => "待审核",
        StatusV1::AwaitingPayment => "审核通过/待支付",
        StatusV1::Rejected => "审核未通过",
        StatusV1::InProgress => "正在受理",
        StatusV1::CertificateMade => "已制证",
        StatusV1::Mailed => "已邮寄",
        StatusV1::Completed => "已完成",
        StatusV1::Invoiced => "已开票",
        StatusV1::Cancelled => "已取消",
    }
}

fn payment_state(p: Option<&StoredPayment>, at: OffsetDateTime) -> String {
    let Some(p) = p else {
        return "未发起".to_owned();
    };
    let amount = Fen(p.amount_fen).to_string();
    let method = match p.method.as_str() {
        "qr" => "扫码",
        "counter" => "柜台",
        _ => "银行汇款",
    };
    if p.is_paid() {
        format!("已支付 {amount}（{method}）")
    } else if p.is_expired(at) {
        format!("已过期 {amount}")
    } else {
        format!("待支付 {amount}")
    }
}

pub(super) fn local(t: OffsetDateTime) -> String {
    // The back office reads Beijing time.
    let t = t.to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn orders_section(service: &Service, at: OffsetDateTime, out: &mut String) -> ApiResult<()> {
    out.push_str(
        "<h2>订单</h2><table id=\"orders\"><tr><th>订单号</th><th>类型</th><th>状态</th>\
         <th>已提交</th><th>接收时间</th><th>支付</th><th>审核</th></tr>",
    );
    for o in service.storage().orders(200)? {
        let paid = service.storage().latest_payment(&o.number)?;
        let paid = match service.storage().paid_payment(&o.number)? {
            Some(p) => Some(p),
            None => paid,
        };
        let number = escape(&o.number);
        let actions = if o.submitted && o.status == StatusV1::PendingReview {
            format!(
                "<form method=\"post\" action=\"/admin/orders/{number}/approve\">{CSRF_FIELD}\
                 <button type=\"submit\" name=\"approve\" id=\"approve-{number}\">通过</button></form>\
                 <form method=\"post\" action=\"/admin/orders/{number}/reject\">{CSRF_FIELD}\
                 <input name=\"reason\" id=\"reason-{number}\" required maxlength=\"200\" placeholder=\"不通过原因\">\
                 <button type=\"submit\" id=\"reject-{number}\">不通过</button></form>"
            )
        } else {
            o.reason.as_deref().map(escape).unwrap_or_default()
        };
        let _ = write!(
            out,
            "<tr id=\"order-{number}\"><td><a href=\"/admin/orders/{number}\">{number}</a></td><td>{}</td><td class=\"status\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{actions}</td></tr>",
            kind(o.lifecycle),
            status(o.status),
            if o.submitted {
                "是"
            } else {
                "否（附件上传中）"
            },
            local(o.received_at),
            escape(&payment_state(paid.as_ref(), at)),
        );
    }
    out.push_str("</table>");
    Ok(())
}

fn remittances_section(service: &Service, out: &mut String) -> ApiResult<()> {
    out.push_str(
        "<h2>银行汇款</h2><table id=\"remittances\"><tr><th>订单号</th><th>汇款人</th>\
         <th>银行流水号</th><th>金额</th><th>提交时间</th><th>确认</th></tr>",
    );
    for r in service.storage().remittances(200)? {
        let action = match &r.payment_id {
            Some(_) => "已确认".to_owned(),
            None => format!(
                "<form method=\"post\" action=\"/admin/remittances/{id}/confirm\">{CSRF_FIELD}\
                 <button type=\"submit\" id=\"confirm-{id}\">确认到账</button></form>",
                id = escape(&r.id)
            ),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
            escape(&r.number),
            escape(&r.payer_name),
            escape(&r.bank_reference),
            escape(&Fen(r.amount_fen).to_string()),
            local(r.received_at),
        );
    }
    out.push_str("</table>");
    Ok(())
}

fn sms_section(service: &Service, out: &mut String) -> ApiResult<()> {
    out.push_str(
        "<h2>短信（模拟网关）</h2><table id=\"sms\"><tr><th>手机号</th><th>用途</th>\
         <th>内容</th><th>发送时间</th></tr>",
    );
    for m in service.storage().sms_messages(50)? {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.mobile),
            escape(&m.purpose),
            escape(&m.text),
            local(m.sent_at),
        );
    }
    out.push_str("</table>");
    Ok(())
}

/// `GET /admin`.
pub(crate) async fn show(State(service): State<Service>) -> ApiResult<Response> {
    let at = now();
    let mut body = String::from("<h1>CA后台（参考服务）</h1>");
    super::staff_calls::section(&service, at, &mut body)?;
    orders_section(&service, at, &mut body)?;
    remittances_section(&service, &mut body)?;
    super::accounts_review::section(&service, &mut body)?;
    super::audit::section(&service, &mut body)?;
    // The simulated gateway's outbox: a real gateway's codes are nobody's
    // to read.
    if service.options().demo {
        sms_section(&service, &mut body)?;
    }
    Ok(page(StatusCode::OK, "CA后台", &body))
}

/// After an action: back to the page (303, so a reload does not repeat it),
/// or a page with the refusal in the customer's words.
pub(super) fn done(result: ApiResult<()>) -> Response {
    done_at(result, "/admin")
}

/// The same, back to the page at `location`.
pub(super) fn done_at(result: ApiResult<()>, location: &str) -> Response {
    match result {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, location.to_owned())],
        )
            .into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.problem.status).unwrap_or(StatusCode::BAD_REQUEST);
            page(
                status,
                "操作未完成",
                &format!(
                    "<h1>操作未完成</h1><p class=\"err\" id=\"error\">{}</p>\
                     <p><a href=\"/admin\">返回后台</a></p>",
                    escape(&e.problem.message_zh_cn)
                ),
            )
        }
    }
}

/// `POST /admin/orders/{number}/approve`.
pub(crate) async fn approve(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
) -> Response {
    let result = async {
        let number = path(number)?;
        review(&service, &number, StatusV1::AwaitingPayment, None).await?;
        Ok(())
    };
    done(result.await)
}

#[derive(Debug, Deserialize)]
pub(crate) struct RejectForm {
    reason: String,
}

/// `POST /admin/orders/{number}/reject` (form field `reason`).
pub(crate) async fn reject(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    form: Result<Form<RejectForm>, FormRejection>,
) -> Response {
    let result = async {
        let number = path(number)?;
        let Form(form) = form.map_err(|_| ApiError::field("reason", "the form has no reason"))?;
        let reason = checked_reason(&form.reason)?;
        review(&service, &number, StatusV1::Rejected, Some(reason)).await?;
        Ok(())
    };
    done(result.await)
}

/// `POST /admin/remittances/{id}/confirm`.
pub(crate) async fn confirm_remittance(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let result = (|| {
        let id = path(id)?;
        match payments::confirm(&service, &id)? {
            RecordOutcome::Recorded(_) | RecordOutcome::Existing(_) => Ok(()),
            RecordOutcome::ReferenceConflict => Err(ApiError::detail(
                kiosk_sync_wire::problem::ProblemCode::AmountMismatch,
                "the bank reference was recorded for another payment",
            )),
            RecordOutcome::AlreadyPaid(_) => Err(ApiError::new(
                kiosk_sync_wire::problem::ProblemCode::AlreadyPaid,
            )),
            RecordOutcome::OrderCancelled => Err(payments::order_cancelled()),
        }
    })();
    done(result)
}
