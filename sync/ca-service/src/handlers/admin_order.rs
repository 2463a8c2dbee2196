//! One order in the back office (`GET /admin/orders/{number}`): everything
//! the kiosk submitted (unit, handler, seal holders, invoice, pickup), each
//! attachment shown as the image it is (a face only exists here when the
//! customer consented twice: the kiosk sends it on no other terms), the
//! review buttons while it waits for review, and the next steps of its
//! lifecycle (正在受理 once paid, 已制证, 已邮寄, 已完成) as the domain's
//! transition table allows them. Staff only, like the rest of `/admin`.

use super::CSRF_FIELD;
use super::admin_page::{done_at, local, status};
use super::html::{escape, page};
use super::{ApiError, ApiResult, path};
use crate::Service;
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiosk_domain::order::status::{Lifecycle, OrderStatus, is_allowed};
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::order::{DetailsV1, OrderV1, PickupV1};
use kiosk_sync_wire::problem::ProblemCode;
use serde::Deserialize;
use std::fmt::Write as _;

fn attachment_label(kind: &str) -> String {
    match kind {
        "application_form" => "申请表（加盖公章）".to_owned(),
        "business_licence" => "营业执照".to_owned(),
        "handler_id" => "经办人身份证".to_owned(),
        "face" => "实人认证照片（客户已两次同意）".to_owned(),
        other => match other.strip_prefix("seal_holder_id:") {
            Some(n) => format!(
                "印章持有人{}的身份证",
                n.parse::<u32>().map_or(0, |n| n + 1)
            ),
            None => escape(other),
        },
    }
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = write!(out, "<tr><th>{label}</th><td>{}</td></tr>", escape(value));
}

fn details(doc: &OrderV1, out: &mut String) {
    out.push_str("<h2>申请内容</h2><table id=\"details\">");
    match &doc.details {
        DetailsV1::Renewal(r) => {
            row(out, "证书序列号", &r.certificate_serial_hex);
            row(out, "联系人", &r.contact_name);
            row(out, "联系电话", &r.contact_mobile);
            row(out, "发票抬头", &r.invoice.title);
            row(out, "纳税人识别号", &r.invoice.taxpayer_id);
            row(out, "邮箱", &r.invoice.email);
        }
        DetailsV1::Application(a) => {
            row(out, "证书用途", &a.project_code);
            row(out, "协议版本", &a.agreement_version);
            row(out, "单位名称", &a.unit_name);
            row(out, "统一社会信用代码", &a.unit_uscc);
            row(out, "单位地址", &a.unit_address);
            row(out, "经办人", &a.handler_name);
            row(out, "经办人身份证号码", &a.handler_resident_id);
            row(out, "经办人手机号码", &a.handler_mobile);
            for h in &a.seal_holders {
                let role = if h.role == "settler" {
                    "结算员"
                } else {
                    "交易员"
                };
                let numbers = format!(
                    "{}（企业编号 {}，用户编号 {}）",
                    h.name,
                    h.enterprise_number.as_deref().unwrap_or("未填"),
                    h.user_number.as_deref().unwrap_or("未填")
                );
                row(out, role, &numbers);
            }
            row(out, "发票抬头", &a.invoice.title);
            row(out, "纳税人识别号", &a.invoice.taxpayer_id);
            row(out, "邮箱", &a.invoice.email);
            match &a.pickup {
                PickupV1::Mail {
                    courier,
                    recipient,
                    phone,
                    address,
                } => {
                    row(out, "领取方式", "邮寄领取");
                    row(out, "快递", courier.as_deref().unwrap_or("由CA选择"));
                    row(out, "收件人", recipient);
                    row(out, "收件人电话", phone);
                    row(out, "邮寄地址", address);
                }
                PickupV1::OnSite => row(out, "领取方式", "现场领取"),
            }
        }
    }
    out.push_str("</table>");
}

fn attachments(number: &str, doc: &OrderV1, out: &mut String) {
    out.push_str("<h2>附件</h2>");
    if doc.attachments.is_empty() {
        out.push_str("<p>无附件。</p>");
    }
    for a in &doc.attachments {
        let label = attachment_label(&a.kind);
        let src = format!(
            "/admin/orders/{}/attachments/{}",
            escape(number),
            a.position
        );
        let _ = write!(
            out,
            "<figure id=\"attachment-{}\"><figcaption>{label}（{} KB）</figcaption>",
            a.position,
            a.size.div_ceil(1024)
        );
        if a.media_type.starts_with("image/") {
            let _ = write!(
                out,
                "<a href=\"{src}\"><img src=\"{src}\" alt=\"{label}\" style=\"max-width:40em;max-height:30em\"></a>"
            );
        } else {
            let _ = write!(out, "<a href=\"{src}\">打开</a>");
        }
        out.push_str("</figure>");
    }
}

/// The steps staff take by hand, as the table allows them from `from`.
/// 正在受理 is not one: the CA takes an approved application in hand when
/// its payment arrives.
fn next_steps(lifecycle: Lifecycle, from: OrderStatus) -> Vec<StatusV1> {
    [
        OrderStatus::CertificateMade,
        OrderStatus::Mailed,
        OrderStatus::Completed,
    ]
    .into_iter()
    .filter(|to| is_allowed(lifecycle, from, *to))
    .map(StatusV1::from)
    .collect()
}

/// `GET /admin/orders/{number}`.
pub(crate) async fn show(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let number = path(number)?;
    let storage = service.storage();
    let (Some(record), Some(json), Some(lifecycle)) = (
        storage.order(&number)?,
        storage.order_document(&number)?,
        storage.lifecycle(&number)?,
    ) else {
        return Err(ApiError::new(ProblemCode::NotFound));
    };
    let doc: OrderV1 = serde_json::from_str(&json).map_err(|_| {
        ApiError::detail(ProblemCode::Unavailable, "the stored order is unreadable")
    })?;
    let paid = storage.paid_payment(&number)?.is_some();
    let n = escape(&number);
    let mut body = format!(
        "<p><a href=\"/admin\">返回后台</a></p><h1>订单 {n}</h1>\
         <p>状态：<span id=\"status\">{}</span>　接收时间：{}　支付：{}</p>",
        status(record.status),
        local(record.received_at),
        if paid { "已支付" } else { "未支付" },
    );
    if let Some(reason) = storage.order_reason(&number)? {
        let _ = write!(body, "<p>不通过原因：{}</p>", escape(&reason));
    }
    let steps = next_steps(lifecycle, OrderStatus::from(record.status));
    if !steps.is_empty() {
        body.push_str("<h2>办理进度</h2>");
        for to in steps {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"/admin/orders/{n}/status\" style=\"display:inline\">{CSRF_FIELD}\
                 <input type=\"hidden\" name=\"to\" value=\"{}\">\
                 <button type=\"submit\" id=\"to-{}\">标记为：{}</button></form> ",
                to.as_str(),
                to.as_str(),
                status(to)
            );
        }
    }
    details(&doc, &mut body);
    attachments(&number, &doc, &mut body);
    Ok(page(StatusCode::OK, &format!("订单 {number}"), &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusForm {
    to: String,
}

/// `POST /admin/orders/{number}/status` (form field `to`:
/// `certificate_made`, `mailed` or `completed`).
pub(crate) async fn set_status(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    form: Result<Form<StatusForm>, FormRejection>,
) -> Response {
    let result = async {
        let number = path(number)?;
        let Form(form) = form.map_err(|_| ApiError::field("to", "the form has no status"))?;
        let to = [
            StatusV1::CertificateMade,
            StatusV1::Mailed,
            StatusV1::Completed,
        ]
        .into_iter()
        .find(|s| s.as_str() == form.to)
        .ok_or_else(|| ApiError::field("to", "not a status staff set by hand"))?;
        super::review(&service, &number, to, None).await?;
        Ok(number)
    };
    match result.await {
        Ok(number) => done_at(Ok(()), &format!("/admin/orders/{number}")),
        Err(e) => done_at(Err(e), "/admin"),
    }
}

/// `GET /admin/orders/{number}/attachments/{position}`: the bytes as
/// received, once complete, with their media type.
pub(crate) async fn attachment(
    State(service): State<Service>,
    params: Result<Path<(String, u32)>, PathRejection>,
) -> ApiResult<Response> {
    let (number, position) = path(params)?;
    let storage = service.storage();
    let doc: Option<OrderV1> = storage
        .order_document(&number)?
        .and_then(|json| serde_json::from_str(&json).ok());
    let meta = doc
        .and_then(|d| d.attachments.into_iter().find(|a| a.position == position))
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    let complete = storage
        .attachment(&number, position)?
        .is_some_and(|s| s.complete);
    let bytes = storage
        .attachment_bytes(&number, position)?
        .filter(|_| complete)
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, meta.media_type),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
