//! The CA as the flow thread sees it: a few blocking calls over the async
//! client, run on the runtime that also drives the outbox worker.
//!
//! The flow thread is synchronous on purpose (one effect at a time, in
//! order); it waits here for at most the client's request timeout.

use kiosk_sync_client::{CaClient, CallError};
use kiosk_sync_wire::renewal::{RenewalIssuedV1, RenewalRequestV1};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use time::OffsetDateTime;
use tokio::runtime::Handle;

/// A payment as the kiosk needs it (from the CA's `PaymentV1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInfo {
    pub id: String,
    pub status: PaymentStatus,
    pub method: PaymentKind,
    /// What the QR code encodes (the payment page's URL).
    pub qr_payload: String,
    pub expires_at: OffsetDateTime,
    /// The provider's reference once paid.
    pub reference: Option<String>,
    pub paid_at: Option<OffsetDateTime>,
}

/// How the CA says the order was (or is to be) paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    Qr,
    Counter,
    BankTransfer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid,
    Expired,
}

/// The CA, reachable or not.
#[derive(Debug, Clone)]
pub struct CaLink {
    client: CaClient,
    runtime: Handle,
    /// The outbox worker's latest view of the CA (it calls it all the time).
    online: Arc<AtomicBool>,
}

impl CaLink {
    #[must_use]
    pub fn new(client: CaClient, runtime: Handle, online: Arc<AtomicBool>) -> Self {
        Self {
            client,
            runtime,
            online,
        }
    }

    /// Whether the CA answered the worker's last call.
    #[must_use]
    pub fn online(&self) -> bool {
        self.online.load(Ordering::SeqCst)
    }

    fn note(&self, result: &Result<impl Sized, CallError>) {
        match result {
            Ok(_) | Err(CallError::Status { .. } | CallError::Invalid(_)) => {
                self.online.store(true, Ordering::SeqCst);
            }
            Err(CallError::Transport(_)) => self.online.store(false, Ordering::SeqCst),
        }
    }

    /// Asks for (or finds again) the QR payment of an order.
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub fn create_payment(&self, order: &str, amount_fen: i64) -> Result<PaymentInfo, CallError> {
        let result = self
            .runtime
            .block_on(self.client.create_payment(order, amount_fen));
        self.note(&result);
        result.and_then(|p| payment_info(&p))
    }

    /// The payment's state now.
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub fn payment(&self, id: &str) -> Result<PaymentInfo, CallError> {
        let result = self.runtime.block_on(self.client.payment(id));
        self.note(&result);
        result.and_then(|p| payment_info(&p))
    }

    /// Sends a renewal request (idempotent per order and attempt at the CA).
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub fn renew(
        &self,
        order: &str,
        request: &RenewalRequestV1,
    ) -> Result<RenewalIssuedV1, CallError> {
        let result = self.runtime.block_on(self.client.renew(order, request));
        self.note(&result);
        result
    }

    /// What the CA issued for this attempt already, if anything.
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub fn issued(&self, order: &str, attempt: u32) -> Result<Option<RenewalIssuedV1>, CallError> {
        let result = self.runtime.block_on(self.client.issued(order, attempt));
        self.note(&result);
        result
    }
}

impl crate::runtime::ContactsOnFile for CaLink {
    /// The CA's details on file for the certificate's holder; `None` when
    /// it has none, is unreachable, or sent details the domain refuses.
    fn lookup(
        &self,
        certificate: &kiosk_domain::order::renewal::CertificateSummary,
    ) -> Option<(
        kiosk_domain::order::renewal::Contact,
        kiosk_domain::order::renewal::InvoiceInfo,
    )> {
        let result = self
            .runtime
            .block_on(self.client.holder(&certificate.serial_hex));
        self.note(&result);
        match result {
            Ok(Some(holder)) => match holder.validate() {
                Ok(details) => Some(details),
                Err(problem) => {
                    tracing::warn!(field = ?problem.field, "the CA's holder details are not valid");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "holder details not fetched");
                None
            }
        }
    }
}

fn payment_info(p: &kiosk_sync_wire::payment::PaymentV1) -> Result<PaymentInfo, CallError> {
    let parse = |text: &str| {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|e| CallError::Invalid(format!("payment time {text:?}: {e}")))
    };
    use kiosk_sync_wire::payment::{
        METHOD_BANK_TRANSFER, METHOD_COUNTER, METHOD_QR, STATUS_EXPIRED, STATUS_PAID,
        STATUS_PENDING,
    };
    let status = match p.status.as_str() {
        STATUS_PENDING => PaymentStatus::Pending,
        STATUS_PAID => PaymentStatus::Paid,
        STATUS_EXPIRED => PaymentStatus::Expired,
        other => return Err(CallError::Invalid(format!("payment status {other:?}"))),
    };
    let method = match p.method.as_str() {
        METHOD_QR => PaymentKind::Qr,
        METHOD_COUNTER => PaymentKind::Counter,
        METHOD_BANK_TRANSFER => PaymentKind::BankTransfer,
        other => return Err(CallError::Invalid(format!("payment method {other:?}"))),
    };
    Ok(PaymentInfo {
        id: p.id.clone(),
        status,
        method,
        qr_payload: p.qr_payload.clone(),
        expires_at: parse(&p.expires_at)?,
        reference: p.reference.clone(),
        paid_at: p.paid_at.as_deref().map(parse).transpose()?,
    })
}
