//! `GET /v1/staff/crl`: the staff CA's revocation lists, for kiosks to
//! check staff certificates at sign-in ([`crate::staff_crl`]).

use super::{ApiError, ApiResult};
use crate::Service;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiosk_sync_wire::problem::ProblemCode;

/// `{"crls_der_hex": [...]}` with an `ETag`; 304 for a matching
/// `If-None-Match`; 404 `not_found` when none is configured.
pub(crate) async fn show(State(service): State<Service>, asked: HeaderMap) -> ApiResult<Response> {
    if service.staff_crls().is_none() {
        return Err(ApiError::detail(
            ProblemCode::NotFound,
            "no staff revocation list is configured",
        ));
    }
    // A changed file is read again here: off the async workers.
    let published = tokio::task::spawn_blocking(move || {
        service
            .staff_crls()
            .map(crate::staff_crl::StaffCrls::current)
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| ApiError::new(ProblemCode::Unavailable))?;
    let etag = HeaderValue::from_str(&published.etag)
        .map_err(|_| ApiError::new(ProblemCode::Unavailable))?;
    let headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if matches(&asked, &published.etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((
        headers,
        [(header::CONTENT_TYPE, "application/json")],
        published.body.clone(),
    )
        .into_response())
}

/// Whether `If-None-Match` names `etag` (weakly) or is `*`.
fn matches(asked: &HeaderMap, etag: &str) -> bool {
    asked
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_star_matches() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
            h
        };
        let tag = "\"ab12\"";
        assert!(matches(&with("\"ab12\""), tag));
        assert!(matches(&with("\"x\", W/\"ab12\""), tag));
        assert!(matches(&with("*"), tag));
        assert!(!matches(&with("\"ab1\""), tag));
        assert!(!matches(&with("ab12"), tag));
        assert!(!matches(&HeaderMap::new(), tag));
    }
}
