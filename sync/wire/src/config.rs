//! `GET /v1/config`: what the kiosk needs from the CA's configuration: the
//! renewal price, the projects (证书用途) it accepts applications for with
//! their prices, and the current application agreement. Prices are integer
//! fen. The kiosk records the agreement version the customer accepted.

use serde::{Deserialize, Serialize};

/// The answer of `GET /v1/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigV1 {
    pub renewal_price_fen: i64,
    pub projects: Vec<ProjectV1>,
    pub agreement: AgreementV1,
    /// How long a QR payment may be paid, in seconds.
    pub payment_expiry_secs: u64,
}

/// A project the CA accepts applications for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectV1 {
    /// The code an order carries (`details.project_code`).
    pub code: String,
    /// e.g. 煤炭交易中心证书应用.
    pub name: String,
    /// The certificate itself.
    pub price_fen: i64,
    /// Each electronic seal.
    pub seal_price_fen: i64,
}

/// The application agreement (申请协议) the customer must read and accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementV1 {
    /// Changes whenever the text changes, e.g. `2026-01`.
    pub version: String,
    /// Plain text, zh-CN, paragraphs separated by blank lines.
    pub text: String,
}
