//! The page a receipt's QR code opens (`GET /track?order=N`) on the
//! customer's phone: the order number filled in, the contact mobile asked
//! (`POST /track`), then the order's status in the CA's words. Like the
//! kiosk's 查询订单, an unknown number and a wrong mobile get the same
//! answer, and nothing personal is shown: the receipt alone opens nothing.
//!
//! Who may call it: anyone (a customer's phone on the internet); it reads
//! one order's status, only with its mobile.
//!
//! `POST /v1/orders/lookup` is the same question from a kiosk's 查询订单 (any
//! kiosk of the CA: a customer follows an order wherever they are), answered
//! as JSON: the status, the amount and the dates, nothing personal.

use super::JsonBody;
use super::admin_page::status;
use super::html::{escape, page};
use super::{ApiError, ApiResult, json_body};
use crate::Service;
use crate::storage::Storage;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Form, Json};
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::order_number::OrderNumber;
use kiosk_sync_wire::lookup::{LookupV1, OrderSummaryV1};
use kiosk_sync_wire::order::{DetailsV1, OrderRecordV1, OrderV1};
use kiosk_sync_wire::problem::ProblemCode;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct Ask {
    #[serde(default)]
    order: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Lookup {
    order: String,
    mobile: String,
}

fn form(order: &str, note: &str) -> String {
    format!(
        "<h1>订单查询</h1>{note}<form method=\"post\" action=\"/track\">\
         <p><label>订单号 <input name=\"order\" id=\"order\" value=\"{}\" maxlength=\"20\"></label></p>\
         <p><label>联系手机号 <input name=\"mobile\" id=\"mobile\" inputmode=\"numeric\" maxlength=\"11\"></label></p>\
         <p><button type=\"submit\" id=\"find\">查询</button></p></form>\
         <p>请输入办理时留下的手机号码。</p>",
        escape(order)
    )
}

/// `GET /track?order=N`: the form, with the receipt's order number.
pub(super) async fn show(query: Result<Query<Ask>, QueryRejection>) -> Response {
    let order = query.map(|Query(q)| q.order).unwrap_or_default();
    let order: String = order
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect();
    page(StatusCode::OK, "订单查询", &form(&order, ""))
}

/// The order with this number, when `mobile` is the one it is followed
/// with: its document and the CA's record.
pub(super) fn matching(
    storage: &dyn Storage,
    number: &OrderNumber,
    mobile: &MobileNumber,
) -> Option<(OrderV1, OrderRecordV1)> {
    let document: OrderV1 = storage
        .order_document(number.as_str())
        .ok()
        .flatten()
        .and_then(|doc| serde_json::from_str(&doc).ok())?;
    let followed_with = match &document.details {
        DetailsV1::Renewal(r) => &r.contact_mobile,
        DetailsV1::Application(a) => &a.handler_mobile,
    };
    if followed_with != mobile.as_str() {
        return None;
    }
    let record = storage.order(number.as_str()).ok().flatten()?;
    Some((document, record))
}

/// `POST /v1/orders/lookup`: a kiosk's 查询订单.
pub(super) async fn lookup(
    State(service): State<Service>,
    request_headers: axum::http::HeaderMap,
    body: Result<JsonBody<LookupV1>, ApiError>,
) -> ApiResult<Json<OrderSummaryV1>> {
    let (number, mobile) = json_body(body)?.validate()?;
    let storage = service.storage();
    let miss = || ApiError::new(ProblemCode::NotFound);
    let (document, record) = matching(storage, &number, &mobile).ok_or_else(miss)?;
    let lifecycle = storage.lifecycle(number.as_str())?.ok_or_else(miss)?;
    let reason = storage.order_reason(number.as_str())?;
    let invoice_url = match storage.invoice(number.as_str())? {
        Some(invoice) => Some(super::invoices::invoice_url(
            &super::payments::public_base(&service, &request_headers)?,
            &invoice,
        )),
        None => None,
    };
    Ok(Json(OrderSummaryV1 {
        number: record.number,
        lifecycle: lifecycle.into(),
        status: record.status,
        reason,
        amount_fen: document.amount_fen,
        created_at: document.created_at,
        invoice_url,
    }))
}

/// `POST /track`: the status, when the number and the mobile match.
pub(super) async fn find(
    State(service): State<Service>,
    form_data: Result<Form<Lookup>, FormRejection>,
) -> Response {
    let Ok(Form(lookup)) = form_data else {
        return page(
            StatusCode::BAD_REQUEST,
            "订单查询",
            &form("", "<p class=\"err\">请填写订单号和手机号。</p>"),
        );
    };
    let entered = lookup.order.trim().to_ascii_uppercase();
    let miss = || {
        page(
            StatusCode::OK,
            "订单查询",
            &form(
                &entered,
                "<p class=\"err\" id=\"status\">未找到订单：请核对订单号和手机号，或致电服务热线。</p>",
            ),
        )
    };
    let (Ok(number), Ok(mobile)) = (
        entered.parse::<OrderNumber>(),
        lookup.mobile.trim().parse::<MobileNumber>(),
    ) else {
        return miss();
    };
    let Some((_, record)) = matching(service.storage(), &number, &mobile) else {
        return miss();
    };
    page(
        StatusCode::OK,
        "订单查询",
        &format!(
            "<h1>订单查询</h1><p>订单号：<span id=\"order\">{}</span></p>\
             <p class=\"msg\">订单状态：<span id=\"status\">{}</span></p>\
             <p>如有疑问请致电服务热线或到服务大厅咨询。</p>",
            escape(number.as_str()),
            escape(status(record.status))
        ),
    )
}
