//! Certificate holders' contact and invoice details on file: read by the
//! kiosk for 确认信息, set by staff (and by the demo when it issues).

use super::JsonBody;
use super::{ApiError, ApiResult, json_body, now, path};
use crate::Service;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use kiosk_sync_wire::holder::{HolderV1, normalise_serial};
use kiosk_sync_wire::problem::{Problem, ProblemCode};

fn serial(p: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    let raw = path(p)?;
    normalise_serial(&raw).ok_or_else(|| {
        let mut problem =
            Problem::new(ProblemCode::InvalidField).with_detail("a serial number is hex digits");
        problem.field = Some("serial".to_owned());
        Box::new(problem).into()
    })
}

/// `GET /v1/certificates/{serial}/holder`.
pub(crate) async fn show(
    State(service): State<Service>,
    serial_path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<HolderV1>> {
    let serial = serial(serial_path)?;
    service
        .storage()
        .holder(&serial)?
        .map(Json)
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

/// `PUT /v1/admin/certificates/{serial}/holder`: answers with what it kept.
pub(crate) async fn put(
    State(service): State<Service>,
    serial_path: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<HolderV1>, ApiError>,
) -> ApiResult<Json<HolderV1>> {
    let serial = serial(serial_path)?;
    let holder = json_body(body)?;
    holder.validate()?;
    service.storage().put_holder(&serial, &holder, now())?;
    tracing::info!(serial, "holder details set");
    Ok(Json(holder))
}
