//! Invoices: issued once per paid order; issuing moves the order to 已开票
//! when its status table allows it (a renewal or application that is
//! complete), so the kiosk's feed shows it. Each invoice has its page
//! (`GET /invoices/{invoice_number}`), the link 查询订单 shows as a QR code.

use super::payments::rfc3339;
use super::{ApiError, ApiResult, JsonBody, NoFields, json_body, now, path_order};
use crate::Service;
use crate::storage::{InvoiceOutcome, StoredInvoice, TransitionOutcome};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::invoice::IssuedInvoiceV1;
use kiosk_sync_wire::problem::ProblemCode;

fn invoice_v1(i: &StoredInvoice) -> ApiResult<IssuedInvoiceV1> {
    Ok(IssuedInvoiceV1 {
        order_number: i.number.clone(),
        invoice_number: i.invoice_number.clone(),
        amount_fen: i.amount_fen,
        title: i.title.clone(),
        taxpayer_id: i.taxpayer_id.clone(),
        issued_at: rfc3339(i.issued_at)?,
    })
}

/// `POST /v1/admin/orders/{number}/invoice`.
pub(crate) async fn issue(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<NoFields>, ApiError>,
) -> ApiResult<Response> {
    json_body(body)?;
    let number = path_order(number)?;
    let at = now();
    let candidate = format!(
        "INV{:04}{:02}{:02}{}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        crate::random::hex(6)?.to_uppercase()
    );
    let (status, invoice) =
        match service
            .storage()
            .issue_invoice(number.as_str(), &candidate, at)?
        {
            InvoiceOutcome::Issued(i) => (StatusCode::CREATED, i),
            InvoiceOutcome::Existing(i) => (StatusCode::OK, i),
            InvoiceOutcome::UnknownOrder => return Err(ApiError::new(ProblemCode::NotFound)),
            InvoiceOutcome::NotPaid => {
                return Err(ApiError::detail(
                    ProblemCode::PaymentRequired,
                    "an invoice is issued for a paid order only",
                ));
            }
        };
    // Also on a repeat: the step may have been cut off after the invoice.
    match service
        .storage()
        .transition(number.as_str(), StatusV1::Invoiced, None, at)?
    {
        Some(TransitionOutcome::Done(_)) => {
            tracing::info!(order = %number, "order invoiced");
        }
        Some(TransitionOutcome::Illegal) | None => {}
    }
    Ok((status, Json(invoice_v1(&invoice)?)).into_response())
}

/// `GET /v1/orders/{number}/invoice`.
pub(crate) async fn show(
    State(service): State<Service>,
    number: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<IssuedInvoiceV1>> {
    let number = path_order(number)?;
    let invoice = service
        .storage()
        .invoice(number.as_str())?
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))?;
    Ok(Json(invoice_v1(&invoice)?))
}

/// The address of an invoice's page, for a QR code.
pub(crate) fn invoice_url(base: &str, invoice: &StoredInvoice) -> String {
    format!("{base}/invoices/{}", invoice.invoice_number)
}

/// `GET /invoices/{invoice_number}`: the electronic invoice as a page.
///
/// Who may call: anyone holding the invoice number, which the invoice
/// itself carries (its random part makes it unguessable); the page shows
/// what the invoice shows: the unit's title and taxpayer ID, the amount.
pub(crate) async fn page(
    State(service): State<Service>,
    invoice_number: Result<Path<String>, PathRejection>,
) -> Response {
    let not_found = || {
        super::html::page(
            StatusCode::NOT_FOUND,
            "电子发票",
            "<h1>电子发票</h1><p class=\"err\">未找到该发票。</p>",
        )
    };
    let Ok(Path(wanted)) = invoice_number else {
        return not_found();
    };
    let well_formed = wanted.len() <= 40 && wanted.bytes().all(|c| c.is_ascii_alphanumeric());
    let found = if well_formed {
        service.storage().invoice_by_number(&wanted).ok().flatten()
    } else {
        None
    };
    let Some(invoice) = found else {
        return not_found();
    };
    let escape = super::html::escape;
    let body = format!(
        "<h1>电子发票</h1>\
         <p>发票号码：<span id=\"invoice\">{}</span></p>\
         <p>订单号：{}</p><p>发票抬头：{}</p><p>纳税人识别号：{}</p>\
         <p>金额：<span id=\"amount\">{}</span></p><p>开票日期：{}</p>",
        escape(&invoice.invoice_number),
        escape(&invoice.number),
        escape(&invoice.title),
        escape(&invoice.taxpayer_id),
        kiosk_domain::money::Fen(invoice.amount_fen),
        invoice.issued_at.date(),
    );
    super::html::page(StatusCode::OK, "电子发票", &body)
}
