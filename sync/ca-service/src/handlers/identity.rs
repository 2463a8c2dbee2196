//! 实人认证: the identity simulator (demo only; 404 otherwise, so a CA that
//! runs no identity service tells the kiosk so and the check travels with
//! the order to the reviewers).
//!
//! Who may call: `POST /v1/identity/checks`, a kiosk, with a face the
//! customer agreed to send; `PUT /v1/admin/identity/{resident_id}`, staff
//! setting up a demonstration (the reference photo the simulator holds).
//! Nothing personal reaches the log: only the verdict.

use super::JsonBody;
use super::{ApiError, ApiResult, json_body, now, path};
use crate::Service;
use crate::identity::same_picture;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use kiosk_domain::ids::ResidentId;
use kiosk_sync_wire::identity::{
    IdentityAnswerV1, IdentityCheckV1, IdentityResultV1, MAX_PHOTO_BYTES,
};
use kiosk_sync_wire::problem::Problem;

fn unreadable(field: &str) -> ApiError {
    ApiError::field(field, "not a readable PNG or JPEG image")
}

/// `POST /v1/identity/checks`.
pub(super) async fn check(
    State(service): State<Service>,
    body: Result<JsonBody<IdentityCheckV1>, ApiError>,
) -> ApiResult<Json<IdentityAnswerV1>> {
    super::demo_only(&service)?;
    let check = json_body(body)?.validate()?;
    let result = match service
        .storage()
        .identity_reference(check.resident_id.as_str())?
    {
        None => IdentityResultV1::NoReference,
        Some(reference) => match same_picture(&check.photo, &reference) {
            Ok(true) => IdentityResultV1::Match,
            Ok(false) => IdentityResultV1::NoMatch,
            Err(_) => return Err(unreadable("photo_jpeg_hex")),
        },
    };
    tracing::info!(?result, "identity check (simulator)");
    Ok(Json(IdentityAnswerV1 { result }))
}

/// `PUT /v1/admin/identity/{resident_id}`: the body is the photo.
pub(super) async fn put_reference(
    State(service): State<Service>,
    resident_id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    super::demo_only(&service)?;
    let resident_id: ResidentId = path(resident_id)?
        .parse()
        .map_err(|e| Box::new(Problem::invalid_field("resident_id", &e)))?;
    let photo = body.map_err(|_| unreadable("photo"))?;
    if photo.is_empty() || photo.len() > MAX_PHOTO_BYTES {
        return Err(ApiError::field("photo", "a photo of 1 byte to 1 MiB"));
    }
    crate::identity::difference_hash(&photo).map_err(|_| unreadable("photo"))?;
    service
        .storage()
        .put_identity_reference(resident_id.as_str(), &photo, now())?;
    Ok(Json(serde_json::json!({})))
}
