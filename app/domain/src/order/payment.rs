//! Payments: how an order was paid, recorded once.

use super::text::{PersonName, Reference};
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How the customer paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// 聚合支付: WeChat, Alipay or UnionPay through the CA's aggregated QR code.
    AggregatedQr,
    /// At the counter; staff record who took it and the till reference.
    Counter { staff_id: Reference },
    /// 银行汇款 (applications only): remittance details checked by the CA's finance.
    BankTransfer { remitter: PersonName },
}

/// A payment the CA (or staff at the counter) confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub method: PaymentMethod,
    pub amount: Fen,
    /// The provider's, till's or bank's reference: the key that makes a
    /// repeated confirmation recognisable.
    pub reference: Reference,
    pub confirmed_at: OffsetDateTime,
}
