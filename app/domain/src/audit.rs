//! What the kiosk's audit log records: every action staff or a technician
//! takes on the kiosk (who, what, which order, when), nothing personal
//! beyond an order number. The store keeps the entries as a hash chain
//! (`kiosk_store`'s `audit_log`), so that changing or removing one breaks
//! the chain at that entry.

use crate::flow::staff::LockReason;
use crate::order_number::OrderNumber;
use crate::ports::key_writer::UnblockOutcome;
use crate::ports::printer::PrintOutcome;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A technician at the kiosk's console (`kioskctl`), by the system
    /// account they are logged in as.
    Technician { account: String },
    /// A member of staff, by their staff certificate.
    Staff {
        /// The certificate's serial, hex.
        certificate_serial: String,
        /// Its subject's common name.
        name: String,
    },
}

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditAction {
    /// An order the CA refused (or still waiting) sent again
    /// (`kioskctl queue retry`).
    QueueRetry,
    /// A member of staff signed in at the kiosk with their staff key.
    StaffSignedIn,
    /// Staff mode locked, and why.
    StaffSignedOut { why: LockReason },
    /// A customer's user PIN set anew with their key's SO PIN, and what
    /// the key answered (every try that reached the key).
    PinUnblock { outcome: UnblockOutcome },
    /// A receipt printed again (the entry names the order), and what the
    /// printer said.
    ReceiptReprinted { outcome: PrintOutcome },
    /// A payment staff took for the order, signed with their staff key
    /// and sent to the CA (the entry names the order).
    CounterPaymentSigned {
        method: crate::ports::counter::CounterMethod,
        amount_fen: i64,
        /// The till's or the bank's reference.
        reference: String,
    },
    /// What the CA made of that payment.
    CounterPaymentAnswered {
        outcome: crate::flow::staff::CounterOutcome,
    },
    /// An order waiting for its payment withdrawn by staff, signed with
    /// their staff key and sent to the CA (the entry names the order).
    OrderCancelSigned,
    /// What the CA made of that cancel.
    OrderCancelAnswered {
        outcome: crate::flow::staff::CounterOutcome,
    },
    /// An application's handler confirmed in person (实人认证 by staff
    /// instead of the face check); the order has no number yet.
    IdentityConfirmedInPerson,
    /// A technician signed in at the kiosk with their technician key (the
    /// technician screen; its sign-out is [`AuditAction::StaffSignedOut`]).
    TechnicianSignedIn,
    /// The technician screen ran the diagnostics, and whether all was well.
    DiagnosticsRun { ok: bool },
    /// The technician screen printed the test page, and what the printer
    /// said.
    TestPagePrinted { outcome: PrintOutcome },
    /// The technician screen opened the camera's live view.
    CameraPreviewOpened,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub action: AuditAction,
    /// The order it concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderNumber>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_written() {
        let entry = AuditEntry {
            at: time::macros::datetime!(2026-12-05 16:30 UTC),
            actor: Actor::Technician {
                account: "tech".to_owned(),
            },
            action: AuditAction::QueueRetry,
            order: Some(crate::fixtures::order_number(1)),
        };
        let json = serde_json::to_string(&entry).unwrap();
        assert!(
            json.contains(r#""action":{"kind":"queue_retry"}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<AuditEntry>(&json).unwrap(), entry);
    }
}
