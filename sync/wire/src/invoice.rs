//! The electronic invoice (电子发票) of a paid order: the back office (or
//! the CA's billing) issues it with `POST /v1/admin/orders/{number}/invoice`
//! (staff listener), the kiosk shows it with `GET /v1/orders/{number}/invoice`. Issuing twice gives the same invoice. The
//! title and taxpayer ID are the ones the customer entered on the order.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedInvoiceV1 {
    pub order_number: String,
    /// The CA's invoice number, e.g. `INV20261123…`.
    pub invoice_number: String,
    pub amount_fen: i64,
    /// 发票抬头: the unit's name.
    pub title: String,
    /// 纳税人识别号.
    pub taxpayer_id: String,
    /// RFC 3339.
    pub issued_at: String,
}
