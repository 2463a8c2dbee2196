//! The protocol between the kiosk and the CA, version 1 (`/v1/...`).
//!
//! These are the wire's own types, not the domain's: the domain may change
//! its model freely, the wire changes only with a new version. Every value a
//! person typed travels as a string and is re-validated by the CA with the
//! domain's rules ([`order::OrderV1::validate`]).
//!
//! - [`order`]: the order document, `PUT /v1/orders/{number}` with an
//!   `Idempotency-Key`, and the record the CA keeps.
//! - [`attachment`]: resumable, content-hashed attachment uploads (raw bytes).
//! - [`feed`]: status changes with a cursor, and the back office's review.
//! - [`renewal`]: a PKCS #10 request with proof of possession, in; the
//!   certificate, out.
//! - [`problem`]: problem+json errors with stable codes and messages for the
//!   customer in zh-CN and English.
//!
//! The OpenAPI 3.1 document of this version is `sync/openapi.json`
//! ([`OPENAPI_JSON`]); the CA serves it at `GET /openapi.json`.

pub mod attachment;
pub mod feed;
pub mod hex;
pub mod order;
pub mod problem;
pub mod renewal;

/// The protocol version, the first segment of every path.
pub const VERSION: &str = "v1";

/// The OpenAPI 3.1 document of this protocol.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// Header names of the protocol.
pub mod headers {
    /// 128 random bits in hex, one per order, the same on every attempt.
    pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
    /// SHA-256 (lower-case hex) of the *whole* attachment, sent with every part.
    pub const SHA256: &str = "sha-256";
    /// How many bytes of an attachment the CA holds.
    pub const UPLOAD_OFFSET: &str = "upload-offset";
    /// The media type of problem documents.
    pub const PROBLEM_JSON: &str = "application/problem+json";
}

/// Paths of the protocol, as the client builds them. Order numbers are
/// upper-case letters and digits, so they need no escaping.
pub mod paths {
    /// `PUT`: create the order.
    #[must_use]
    pub fn order(number: &str) -> String {
        format!("/v1/orders/{number}")
    }
    /// `GET`/`HEAD`: the CA's offset; `PUT ?offset=N`: the bytes from there.
    #[must_use]
    pub fn attachment(number: &str, position: u32) -> String {
        format!("/v1/orders/{number}/attachments/{position}")
    }
    /// `POST`: the order is complete.
    #[must_use]
    pub fn submit(number: &str) -> String {
        format!("/v1/orders/{number}/submit")
    }
    /// `GET ?cursor=N&limit=M`: status changes after `cursor`.
    pub const FEED: &str = "/v1/feed";
    /// `POST`: a renewal request with proof of possession.
    #[must_use]
    pub fn renewal(number: &str) -> String {
        format!("/v1/renewals/{number}")
    }
    /// `POST`: the back office approves an application.
    #[must_use]
    pub fn approve(number: &str) -> String {
        format!("/v1/admin/orders/{number}/approve")
    }
    /// `POST`: the back office rejects an application, with a reason.
    #[must_use]
    pub fn reject(number: &str) -> String {
        format!("/v1/admin/orders/{number}/reject")
    }
    pub const OPENAPI: &str = "/openapi.json";
}
