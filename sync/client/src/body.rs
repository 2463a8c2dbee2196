//! Reading the CA's answers with a bound: a broken or hostile server can
//! send a body of any length (or claim one), and the kiosk must neither
//! keep it all in memory nor wait for it to end.

use crate::http::CallError;

/// The largest success body read. The protocol's answers are small JSON
/// documents (an order record, a feed page of at most 100 entries, a
/// certificate chain): a few kilobytes; 1 MiB leaves room for growth.
pub(crate) const MAX_ANSWER: usize = 1024 * 1024;

/// The largest error body read (a problem document).
pub(crate) const MAX_PROBLEM: usize = 64 * 1024;

/// Whether the body is declared JSON (`application/json`,
/// `application/problem+json`, any `+json`), parameters allowed.
pub(crate) fn is_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// The whole body, or an error as soon as it is longer than `limit` bytes
/// (declared or actually sent): what was read so far is dropped, and the
/// connection with it.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, CallError> {
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    if response.content_length().is_some_and(|n| n > limit_u64) {
        return Err(too_large(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| CallError::Transport(crate::http::transport_kind(&e).to_owned()))?
    {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(limit: usize) -> CallError {
    CallError::Invalid(format!("the answer is longer than {limit} bytes"))
}
