//! What the service keeps about invoices: one per paid order.

use super::StorageResult;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoice {
    pub number: String,
    pub invoice_number: String,
    pub amount_fen: i64,
    pub title: String,
    pub taxpayer_id: String,
    pub issued_at: OffsetDateTime,
}

/// What became of issuing an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceOutcome {
    Issued(StoredInvoice),
    /// The order's invoice was issued before: that one.
    Existing(StoredInvoice),
    UnknownOrder,
    /// The order has no paid payment.
    NotPaid,
}

pub trait InvoiceStorage {
    /// Issues the order's invoice (amount: the paid payment's; title and
    /// taxpayer ID: the order document's), unless it has one.
    fn issue_invoice(
        &self,
        number: &str,
        invoice_number: &str,
        now: OffsetDateTime,
    ) -> StorageResult<InvoiceOutcome>;
    fn invoice(&self, number: &str) -> StorageResult<Option<StoredInvoice>>;
    /// The invoice with this invoice number.
    fn invoice_by_number(&self, invoice_number: &str) -> StorageResult<Option<StoredInvoice>>;
}
