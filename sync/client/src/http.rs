//! The CA's routes as async calls, and how each failure is to be treated.

use crate::body;
use kiosk_sync_wire::attachment::AttachmentStatusV1;
use kiosk_sync_wire::feed::FeedPageV1;
use kiosk_sync_wire::order::{OrderRecordV1, OrderV1};
use kiosk_sync_wire::problem::{Problem, ProblemCode};
use kiosk_sync_wire::renewal::{RenewalIssuedV1, RenewalRequestV1};
use kiosk_sync_wire::{headers, paths};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::time::Duration;
use time::OffsetDateTime;

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No answer: connection refused or cut, timeout.
    #[error("transport: {0}")]
    Transport(String),
    /// The CA answered with an error status.
    #[error("HTTP {status}: {}", problem.as_ref().map_or("(no problem document)", |p| p.code.as_str()))]
    Status {
        status: u16,
        problem: Option<Box<Problem>>,
        retry_after: Option<Duration>,
        /// `Upload-Offset`, when the CA sent one.
        offset: Option<u64>,
    },
    /// A success status with a body that is not what the protocol says.
    #[error("the answer is not valid: {0}")]
    Invalid(String),
}

/// What to do after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Try again later, not before `not_before` if the CA said so.
    Retry {
        code: String,
        not_before: Option<Duration>,
    },
    /// The CA refused for good: set the order aside with this code.
    Refused { code: String },
}

impl CallError {
    /// Transient: no answer, 408, 409, 425, 429, 5xx, or a problem code
    /// the protocol marks transient. Anything else from the CA is permanent.
    #[must_use]
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Transport(_) => Disposition::Retry {
                code: "transport".to_owned(),
                not_before: None,
            },
            Self::Invalid(_) => Disposition::Retry {
                code: "invalid_answer".to_owned(),
                not_before: None,
            },
            Self::Status {
                status,
                problem,
                retry_after,
                ..
            } => {
                let code = problem
                    .as_ref()
                    .map_or_else(|| format!("http_{status}"), |p| p.code.as_str().to_owned());
                let transient = matches!(status, 408 | 409 | 425 | 429 | 500..=599)
                    || problem.as_ref().is_some_and(|p| p.code.is_transient());
                if transient {
                    Disposition::Retry {
                        code,
                        not_before: *retry_after,
                    }
                } else {
                    Disposition::Refused { code }
                }
            }
        }
    }

    /// The problem code, if the CA sent a problem document.
    #[must_use]
    pub fn code(&self) -> Option<ProblemCode> {
        match self {
            Self::Status {
                problem: Some(p), ..
            } => Some(p.code),
            _ => None,
        }
    }

    /// Whether the CA answered at all.
    #[must_use]
    pub fn reached_ca(&self) -> bool {
        !matches!(self, Self::Transport(_))
    }
}

/// What [`CaClient::probe`] learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The CA's clock, from its `Date` header (`None` if it sent none).
    pub server_time: Option<OffsetDateTime>,
}

/// An HTTP date (`Mon, 23 Nov 2026 20:05:00 GMT`, RFC 9110's preferred form).
fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// Mutual TLS settings of the kiosk: whom it trusts, and who it is.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// The CA certificate(s), PEM, that may sign the CA service's server
    /// certificate. Only these are trusted: no platform or built-in roots.
    pub roots_pem: Vec<u8>,
    /// The kiosk's device certificate (then any intermediates) and its
    /// private key (PKCS#8, PKCS#1 or SEC1), PEM, concatenated.
    pub identity_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The identity holds the device's private key: never printed.
        f.debug_struct("TlsSettings")
            .field("roots_pem", &format_args!("{} bytes", self.roots_pem.len()))
            .field("identity_pem", &"(redacted)")
            .finish()
    }
}

/// The CA's API over HTTP (mutual TLS: [`CaClient::with_tls`]).
#[derive(Debug, Clone)]
pub struct CaClient {
    pub(crate) http: reqwest::Client,
    base: String,
}

fn transport(e: &reqwest::Error) -> CallError {
    CallError::Transport(transport_kind(e).to_owned())
}

/// The kind of a transport failure. The error's text may carry the URL (an
/// order number): only the kind is kept.
pub(crate) fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() {
        "body"
    } else {
        "request"
    }
}

fn builder(request_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(request_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
}

impl CaClient {
    /// A PLAIN HTTP client for the CA at `base` (e.g.
    /// `http://127.0.0.1:8080`): no encryption, no authentication. For tests
    /// and development against a loopback service only; a kiosk talks to the
    /// CA through [`CaClient::with_tls`].
    pub fn new(base: &str, request_timeout: Duration) -> Result<Self, CallError> {
        let http = builder(request_timeout)
            .build()
            .map_err(|e| CallError::Invalid(format!("client: {e}")))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// A mutual-TLS client for the CA at `base` (`https://...` only): the
    /// server's certificate must chain to `tls.roots_pem` (nothing else is
    /// trusted), and the kiosk presents `tls.identity_pem`.
    pub fn with_tls(
        base: &str,
        request_timeout: Duration,
        tls: &TlsSettings,
    ) -> Result<Self, CallError> {
        let config = |what: &str, e: reqwest::Error| CallError::Invalid(format!("{what}: {e}"));
        let roots = reqwest::Certificate::from_pem_bundle(&tls.roots_pem)
            .map_err(|e| config("the CA roots", e))?;
        if roots.is_empty() {
            return Err(CallError::Invalid(
                "the CA roots: no PEM certificate found".to_owned(),
            ));
        }
        let identity = reqwest::Identity::from_pem(&tls.identity_pem)
            .map_err(|e| config("the device identity", e))?;
        let mut b = builder(request_timeout)
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .https_only(true)
            .identity(identity);
        for root in roots {
            b = b.add_root_certificate(root);
        }
        let http = b.build().map_err(|e| config("client", e))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn answer<T: DeserializeOwned>(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<(StatusCode, T), CallError> {
        let response = response.map_err(|e| transport(&e))?;
        let status = response.status();
        if status.is_success() {
            // Every answer of the protocol is JSON: anything else (an HTML
            // portal page, a proxy's error) is not read at all.
            if !body::is_json(&response) {
                return Err(CallError::Invalid(format!(
                    "HTTP {status}: the answer is not JSON (Content-Type {:?})",
                    response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("missing")
                )));
            }
            let bytes = body::read_capped(response, body::MAX_ANSWER).await?;
            let value = serde_json::from_slice(&bytes)
                .map_err(|e| CallError::Invalid(format!("HTTP {status}: {e}")))?;
            return Ok((status, value));
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        // Retry-After in seconds; an HTTP-date is not used by the CA.
        let retry_after = header(reqwest::header::RETRY_AFTER.as_str()).map(Duration::from_secs);
        let offset = header(headers::UPLOAD_OFFSET);
        // A bounded read: a broken server's huge error body is not kept,
        // and the status alone still decides what to do.
        let bytes = body::read_capped(response, body::MAX_PROBLEM)
            .await
            .unwrap_or_default();
        let problem = serde_json::from_slice::<Problem>(&bytes).ok().map(Box::new);
        Err(CallError::Status {
            status: status.as_u16(),
            problem,
            retry_after,
            offset,
        })
    }

    /// Is the CA there, and what time does it say it is? (`GET /openapi.json`
    /// and its `Date` header): for the technician's diagnostics and the
    /// kiosk's clock check.
    pub async fn probe(&self) -> Result<Probe, CallError> {
        let response = self
            .http
            .get(self.url("/openapi.json"))
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(CallError::Status {
                status: status.as_u16(),
                problem: None,
                retry_after: None,
                offset: None,
            });
        }
        let server_time = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date);
        Ok(Probe { server_time })
    }

    /// `HEAD /v1/config`: the lightest request the CA answers, to tell
    /// whether it is there (no body travels either way).
    pub async fn ping(&self) -> Result<(), CallError> {
        let response = self
            .http
            .head(self.url(paths::CONFIG))
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(CallError::Status {
            status: status.as_u16(),
            problem: None,
            retry_after: None,
            offset: None,
        })
    }

    /// `PUT /v1/orders/{number}`: `true` if this call created it.
    pub async fn put_order(
        &self,
        idempotency_key: &str,
        order: &OrderV1,
    ) -> Result<(bool, OrderRecordV1), CallError> {
        let response = self
            .http
            .put(self.url(&paths::order(&order.number)))
            .header(headers::IDEMPOTENCY_KEY, idempotency_key)
            .json(order)
            .send()
            .await;
        let (status, record) = Self::answer(response).await?;
        Ok((status == StatusCode::CREATED, record))
    }

    /// `GET /v1/orders/{number}/attachments/{position}`.
    pub async fn attachment_status(
        &self,
        number: &str,
        position: u32,
    ) -> Result<AttachmentStatusV1, CallError> {
        let response = self
            .http
            .get(self.url(&paths::attachment(number, position)))
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `PUT /v1/orders/{number}/attachments/{position}?offset=N`: `part` is
    /// the attachment's bytes from `offset` on; `sha256_hex` the whole's.
    pub async fn put_attachment_part(
        &self,
        number: &str,
        position: u32,
        offset: u64,
        sha256_hex: &str,
        part: Vec<u8>,
    ) -> Result<AttachmentStatusV1, CallError> {
        let response = self
            .http
            .put(self.url(&paths::attachment(number, position)))
            .query(&[("offset", offset)])
            .header(headers::SHA256, sha256_hex)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(part)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `POST /v1/orders/{number}/submit`.
    pub async fn submit(&self, number: &str) -> Result<OrderRecordV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::submit(number)))
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `GET /v1/feed?cursor=N`.
    pub async fn feed(&self, cursor: u64, limit: u32) -> Result<FeedPageV1, CallError> {
        let response = self
            .http
            .get(self.url(paths::FEED))
            .query(&[("cursor", cursor), ("limit", u64::from(limit))])
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `POST /v1/renewals/{number}`.
    pub async fn renew(
        &self,
        number: &str,
        request: &RenewalRequestV1,
    ) -> Result<RenewalIssuedV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::renewal(number)))
            .json(request)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `GET /v1/renewals/{number}/attempts/{attempt}`: the certificate the
    /// CA issued for that attempt, `None` if it issued none.
    pub async fn issued(
        &self,
        number: &str,
        attempt: u32,
    ) -> Result<Option<RenewalIssuedV1>, CallError> {
        let response = self
            .http
            .get(self.url(&paths::issued(number, attempt)))
            .send()
            .await;
        match Self::answer(response).await {
            Ok((_, issued)) => Ok(Some(issued)),
            Err(CallError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/renewals/open`: the paid renewals of this certificate
    /// whose install the CA has not heard finished.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn open_renewals(
        &self,
        serial_hex: &str,
    ) -> Result<kiosk_sync_wire::renewal::OpenRenewalsAnswerV1, CallError> {
        let asked = kiosk_sync_wire::renewal::OpenRenewalsV1 {
            certificate_serial_hex: serial_hex.to_owned(),
        };
        let response = self
            .http
            .post(self.url(paths::OPEN_RENEWALS))
            .json(&asked)
            .send()
            .await;
        Self::answer(response).await.map(|(_, open)| open)
    }

    /// `POST /v1/renewals/check`: may the certificate `der` (from the
    /// customer's key) be renewed now, as the CA judges it.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn renewability(
        &self,
        der: &[u8],
    ) -> Result<kiosk_sync_wire::renewal::RenewabilityV1, CallError> {
        let asked = kiosk_sync_wire::renewal::RenewabilityQueryV1 {
            certificate_der_hex: kiosk_sync_wire::hex::encode(der),
        };
        let response = self
            .http
            .post(self.url(paths::CHECK_RENEWAL))
            .json(&asked)
            .send()
            .await;
        Self::answer(response).await.map(|(_, verdict)| verdict)
    }

    /// `POST /v1/renewals/{number}/installed`: the certificate of this
    /// attempt is on the key (idempotent).
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub async fn renewal_installed(
        &self,
        number: &str,
        attempt: u32,
    ) -> Result<kiosk_sync_wire::order::OrderRecordV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::installed(number)))
            .json(&kiosk_sync_wire::renewal::InstalledV1 { attempt })
            .send()
            .await;
        Self::answer(response).await.map(|(_, record)| record)
    }
}

#[cfg(test)]
mod date_tests {
    use super::parse_http_date;

    #[test]
    fn http_dates_parse_and_garbage_does_not() {
        let t = parse_http_date("Mon, 23 Nov 2026 20:05:00 GMT").unwrap();
        assert_eq!(t, time::macros::datetime!(2026-11-23 20:05:00 UTC));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
