//! The payment provider's simulator: the page the QR code opens on the
//! customer's phone (`GET /pay/{id}`) and its 确认支付 button, a plain form
//! (`POST /pay/{id}`). Paying twice is harmless: the second answer shows the
//! first payment. Paying too late changes nothing and says so.

use super::html::{escape, page};
use super::payments::is_payment_id;
use super::{ApiResult, now, path};
use crate::Service;
use crate::storage::{PayOutcome, StoredPayment};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_domain::money::Fen;

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "支付",
        "<h1>未找到该支付</h1><p class=\"err\">请返回自助终端重新扫码。</p>",
    )
}

fn summary(p: &StoredPayment) -> String {
    format!(
        "<p>订单号：<span id=\"order\">{}</span></p>\
         <p class=\"amount\">金额：<span id=\"amount\">{} 元</span></p>",
        escape(&p.number),
        escape(Fen(p.amount_fen).to_string().trim_start_matches('¥')),
    )
}

fn paid_page(p: &StoredPayment) -> Response {
    let reference = p.reference.as_deref().unwrap_or_default();
    page(
        StatusCode::OK,
        "支付成功",
        &format!(
            "<h1>支付成功</h1>{}<p class=\"msg\" id=\"status\">已支付，交易参考号 {}。\
             请回到自助终端继续办理。</p>",
            summary(p),
            escape(reference)
        ),
    )
}

fn expired_page(p: &StoredPayment) -> Response {
    page(
        StatusCode::CONFLICT,
        "支付已超时",
        &format!(
            "<h1>支付已超时</h1>{}<p class=\"err\" id=\"status\">该支付已过期，未扣款。\
             请回到自助终端重新发起支付。</p>",
            summary(p)
        ),
    )
}

/// `GET /pay/{id}`.
fn page_of(service: &Service, id: &str) -> ApiResult<Response> {
    if !is_payment_id(id) {
        return Ok(not_found());
    }
    let Some(p) = service.storage().payment(id)? else {
        return Ok(not_found());
    };
    if p.is_paid() {
        return Ok(paid_page(&p));
    }
    if p.is_expired(now()) {
        return Ok(expired_page(&p));
    }
    Ok(page(
        StatusCode::OK,
        "确认支付",
        &format!(
            "<h1>聚合支付（模拟）</h1>{}\
             <form method=\"post\" action=\"/pay/{}\"><button type=\"submit\" id=\"pay\">确认支付</button></form>\
             <p>这是CA参考服务的支付模拟页面，不会产生真实扣款。</p>",
            summary(&p),
            escape(&p.id)
        ),
    ))
}

pub(crate) async fn show(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    super::demo_only(&service)?;
    let id = path(id)?;
    page_of(&service, &id)
}

/// `POST /pay/{id}`: the customer confirms.
pub(crate) async fn pay(
    State(service): State<Service>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    super::demo_only(&service)?;
    let id = path(id)?;
    if !is_payment_id(&id) {
        return Ok(not_found());
    }
    let reference = format!("SIM-{}", crate::random::hex(8)?.to_uppercase());
    Ok(match service.storage().pay(&id, &reference, now())? {
        None => not_found(),
        Some(PayOutcome::Paid(p)) => {
            tracing::info!(order = %p.number, payment = %p.id, "QR payment paid (simulator)");
            paid_page(&p)
        }
        Some(PayOutcome::Expired(p)) => expired_page(&p),
        Some(PayOutcome::OrderPaidElsewhere(p)) => page(
            StatusCode::CONFLICT,
            "订单已支付",
            &format!(
                "<h1>订单已支付</h1>{}<p class=\"err\" id=\"status\">该订单已通过其他方式支付，\
                 本次未扣款。</p>",
                summary(&p)
            ),
        ),
    })
}
