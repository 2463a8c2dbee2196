//! Request bodies as JSON, read the way the OpenAPI document (3.1, JSON
//! Schema 2020-12) defines them: an integer is a number without a
//! fraction, so `2.0` is the integer 2 as much as `2` is. serde reads
//! `2.0` only into a float: a body that does not read into its type and
//! may hold such a number is read as a JSON value, its integral numbers
//! made integers, and read again. A number with a fraction, or beyond what
//! a double holds exactly (2^53), stays a float and is refused where an
//! integer is expected.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use kiosk_sync_wire::problem::ProblemCode;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

/// A JSON request body of type `T`: another media type is a 415
/// `unsupported_media_type`, any other fault a 400 `malformed_body` that
/// never quotes the body.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

/// The body of a staff action that takes no fields: `{}`. Required all the
/// same: a cross-site page can post an empty body or a form without a
/// preflight, never JSON.
#[derive(Debug)]
pub(crate) struct NoFields;

impl<'de> serde::Deserialize<'de> for NoFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // An object with no member; serde would also read `[]` as an
        // empty struct.
        let map = serde_json::Map::<String, Value>::deserialize(d)?;
        if map.is_empty() {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom("no fields are taken"))
        }
    }
}

/// The largest integer a double holds exactly.
const EXACT: f64 = 9_007_199_254_740_992.0;

fn malformed(why: &str) -> ApiError {
    ApiError::detail(
        ProblemCode::MalformedBody,
        &format!("the body is not the expected JSON ({why})"),
    )
}

/// `application/json` or `application/<something>+json`, any parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|s| s.ends_with("+json"))
}

/// Integral floats made integers, everywhere in `value`.
fn integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() <= EXACT
            {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "integral and within 2^53: exact"
                )]
                let i = f as i64;
                *n = Number::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers),
        Value::Object(map) => map.values_mut().for_each(integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        if !json {
            return Err(ApiError::detail(
                ProblemCode::UnsupportedMediaType,
                "the body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|r| malformed(&format!("HTTP {}", r.status())))?;
        // Straight into its type, as almost every body is; only a body
        // that may hold a number written with a fraction or an exponent
        // is read again through a JSON value (memory: a value per item).
        let typed = serde_json::from_slice::<T>(&bytes);
        let maybe_float = || bytes.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
        match typed {
            Ok(body) => return Ok(JsonBody(body)),
            Err(e) if e.is_syntax() || e.is_eof() => return Err(malformed("not JSON")),
            Err(_) if !maybe_float() => {
                return Err(malformed(
                    "a field is missing, unknown or of the wrong type",
                ));
            }
            Err(_) => {}
        }
        let mut value: Value = serde_json::from_slice(&bytes).map_err(|_| malformed("not JSON"))?;
        integers(&mut value);
        // serde's message may quote the body: only its category is told.
        T::deserialize(value)
            .map(JsonBody)
            .map_err(|_| malformed("a field is missing, unknown or of the wrong type"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_floats_are_integers_and_others_stay_floats() {
        let mut v = json!({"a": 2.0, "b": [1.5, -3.0, 1e300], "c": {"d": 9007199254740992.0}});
        integers(&mut v);
        assert!(v["a"].is_i64());
        assert_eq!(v["a"], 2);
        assert!(v["b"][0].is_f64());
        assert_eq!(v["b"][1], -3);
        assert!(v["b"][2].is_f64(), "beyond 2^53: not exact, stays a float");
        assert!(v["c"]["d"].is_i64());
    }

    #[test]
    fn no_fields_is_the_empty_object_only() {
        assert!(serde_json::from_str::<NoFields>("{}").is_ok());
        assert!(serde_json::from_str::<NoFields>("[]").is_err());
        assert!(serde_json::from_str::<NoFields>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<NoFields>("null").is_err());
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("application/jsonx"));
    }
}
