//! The page a receipt's QR code opens (`GET /track?order=N`) on the
//! customer's phone: the order number filled in, the contact mobile asked
//! (`POST /track`), then the order's status in the CA's words. Like the
//! kiosk's 查询订单, an unknown number and a wrong mobile get the same
//! answer, and nothing personal is shown: the receipt alone opens nothing.
//!
//! Who may call it: anyone (a customer's phone on the internet); it reads
//! one order's status, only with its mobile.

use super::admin_page::status;
use super::html::{escape, page};
use crate::Service;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::order_number::OrderNumber;
use kiosk_sync_wire::order::{DetailsV1, OrderV1};
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

/// The mobile an order is followed with: the renewal's contact, the
/// application's handler.
fn mobile_of(document: &str) -> Option<String> {
    let order: OrderV1 = serde_json::from_str(document).ok()?;
    Some(match order.details {
        DetailsV1::Renewal(r) => r.contact_mobile,
        DetailsV1::Application(a) => a.handler_mobile,
    })
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
    let storage = service.storage();
    let found = storage
        .order_document(number.as_str())
        .ok()
        .flatten()
        .filter(|doc| mobile_of(doc).as_deref() == Some(mobile.as_str()))
        .and_then(|_| storage.order(number.as_str()).ok().flatten());
    let Some(record) = found else {
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
