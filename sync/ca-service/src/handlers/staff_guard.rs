//! The staff listener's guard, in front of its routes: a `Host` allow-list
//! (a web page on another site cannot reach the back office through a name
//! that resolves to it: DNS rebinding) and a CSRF token in every back-office
//! form (a page in a clerk's browser cannot post to it, although the
//! browser would present the clerk's certificate).
//!
//! - Allowed hosts: IP literals, `localhost`, and the names given with
//!   `--staff-host`. Any other `Host` is 403 `forbidden`.
//! - The token is HMAC-SHA-256, under a key drawn when the service starts,
//!   of the member of staff the connection's certificate names: one clerk's
//!   token is useless to another, and all are void after a restart (reload
//!   the page). Pages carry it where they wrote [`CSRF_FIELD`]; every `POST`
//!   to `/admin/…` must send it back as the form field `csrf`, else 403
//!   `forbidden`.
//! - Every other write to the staff listener (the staff API) must be sent
//!   as `application/json` or `application/octet-stream`, even one without
//!   a body: a web page can make a browser send those to another site only
//!   after a CORS preflight, which the service never grants, while a plain
//!   cross-site form (urlencoded, multipart, text) is refused.

use super::ApiError;
use crate::Service;
use crate::access::Caller;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use kiosk_sync_wire::problem::ProblemCode;
use sha2::Sha256;

/// The hidden form field a back-office form carries its token in; the
/// guard writes the token in on the way out.
pub(crate) const CSRF_FIELD: &str = "<input type=\"hidden\" name=\"csrf\" value=\"@csrf@\">";

/// Where [`CSRF_FIELD`] takes the token.
const PLACEHOLDER: &str = "@csrf@";

/// A back-office form is small; a page may be long (200 orders).
const FORM_LIMIT: usize = 64 * 1024;
const PAGE_LIMIT: usize = 16 * 1024 * 1024;

/// The guard (see the module).
pub(crate) async fn guard(
    State(service): State<Service>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !host_allowed(host, &service.options().staff_hosts) {
        tracing::warn!("a request to the staff listener for another host");
        return ApiError::detail(ProblemCode::Forbidden, "this host is not served").into_response();
    }
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or(Caller::Anonymous);
    let Some(token) = service.csrf_token(&caller) else {
        return ApiError::new(ProblemCode::Unavailable).into_response();
    };
    let write = !matches!(*request.method(), Method::GET | Method::HEAD);
    let staff_api = write
        && !request.uri().path().starts_with("/admin/")
        && crate::access::route_for(request.method().as_str(), request.uri().path())
            .is_some_and(|r| r.who == crate::access::Who::Staff);
    if staff_api && !api_media(&request) {
        tracing::warn!(
            path = request.uri().path(),
            "a staff API write not sent as JSON"
        );
        return ApiError::detail(
            ProblemCode::UnsupportedMediaType,
            "a staff API request must be sent as application/json or application/octet-stream",
        )
        .into_response();
    }
    let request = if request.method() == Method::POST && request.uri().path().starts_with("/admin/")
    {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
            return ApiError::new(ProblemCode::MalformedBody).into_response();
        };
        if !carries(&bytes, &token) {
            tracing::warn!(
                path = parts.uri.path(),
                "a back-office form without its CSRF token"
            );
            return ApiError::detail(
                ProblemCode::Forbidden,
                "the form's CSRF token is missing or wrong: reload the page",
            )
            .into_response();
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, PAGE_LIMIT).await else {
        return ApiError::new(ProblemCode::Unavailable).into_response();
    };
    // The whole field is replaced, never the bare placeholder: text a
    // customer typed is escaped (no `<`, no `"`), so it cannot match.
    let page = String::from_utf8_lossy(&bytes)
        .replace(CSRF_FIELD, &CSRF_FIELD.replace(PLACEHOLDER, &token));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// Whether a staff API write says it is JSON or raw bytes (media types a
/// cross-site page cannot send without a preflight).
fn api_media(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split(';').next())
        .map(str::trim)
        .is_some_and(|t| {
            t.eq_ignore_ascii_case("application/json")
                || t.eq_ignore_ascii_case("application/octet-stream")
        })
}

/// `Host` (with or without a port) is an IP literal, `localhost`, or one
/// of `allowed` (case-insensitive).
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = if let Some(v6) = host.strip_prefix('[') {
        return v6
            .split_once(']')
            .is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok());
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    !name.is_empty()
        && (name.eq_ignore_ascii_case("localhost")
            || name.parse::<std::net::Ipv4Addr>().is_ok()
            || allowed.iter().any(|a| a.eq_ignore_ascii_case(name)))
}

/// The CSRF token of `caller` (lower-case hex), under `key`.
pub(crate) fn token(key: &[u8; 32], caller: &Caller) -> Option<String> {
    let who = match caller {
        Caller::Staff(name) => format!("staff:{name}"),
        other => other.label(),
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(who.as_bytes());
    Some(kiosk_sync_wire::hex::encode(&mac.finalize().into_bytes()))
}

/// Whether the form `body` has the field `csrf=token` (compared in
/// constant time).
fn carries(body: &[u8], token: &str) -> bool {
    body.split(|b| *b == b'&')
        .filter_map(|pair| pair.strip_prefix(b"csrf="))
        .any(|sent| {
            sent.len() == token.len()
                && sent
                    .iter()
                    .zip(token.as_bytes())
                    .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_ip_literals_localhost_or_named() {
        let named = vec!["ca-office.example.cn".to_owned()];
        for ok in [
            "127.0.0.1:8444",
            "10.0.0.5",
            "[::1]:8444",
            "localhost:8444",
            "CA-Office.example.cn:443",
        ] {
            assert!(host_allowed(ok, &named), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "ca-office.example.cn.evil.example",
            "[not-ip]:1",
            ":8444",
        ] {
            assert!(!host_allowed(bad, &named), "{bad}");
        }
    }

    #[test]
    fn a_form_carries_its_token_or_not() {
        assert!(carries(b"reason=x&csrf=abc", "abc"));
        assert!(carries(b"csrf=abc", "abc"));
        assert!(!carries(b"reason=x", "abc"));
        assert!(!carries(b"csrf=abd", "abc"));
        assert!(!carries(b"csrf=ab", "abc"));
        assert!(!carries(b"xcsrf=abc", "abc"));
    }
}
