//! Domain values in the screens' vocabulary (`ui/vocabulary.slint`), shared
//! by several screens' view models: dates, order statuses, receipts.
#![forbid(unsafe_code)]

use crate::{ReceiptState, StatusLabel};
use kiosk_domain::order::Order;
use kiosk_domain::order::status::{Lifecycle, OrderStatus};
use kiosk_domain::ports::printer::PrintOutcome;
use time::OffsetDateTime;

/// A date as every screen shows it: `YYYY-MM-DD`.
#[must_use]
pub fn date(t: OffsetDateTime) -> String {
    format!("{}", t.date())
}

/// `2026-11-23 18:00`, in the time's own offset (the hall's time).
#[must_use]
pub fn date_time(t: OffsetDateTime) -> String {
    format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
}

/// An order's status as the CA names it. A renewal waits for payment
/// without ever being reviewed, so it is 待支付, not 审核通过/待支付.
#[must_use]
pub fn status_label(order: &Order) -> StatusLabel {
    lifecycle_status(order.lifecycle(), order.status())
}

/// A status on `lifecycle`'s path, as the CA names it.
#[must_use]
pub fn lifecycle_status(lifecycle: Lifecycle, status: OrderStatus) -> StatusLabel {
    match (lifecycle, status) {
        (Lifecycle::Renewal, OrderStatus::AwaitingPayment) => StatusLabel::RenewalAwaitingPayment,
        (_, status) => status_of(status),
    }
}

pub(crate) fn status_of(status: OrderStatus) -> StatusLabel {
    match status {
        OrderStatus::PendingReview => StatusLabel::PendingReview,
        OrderStatus::AwaitingPayment => StatusLabel::AwaitingPayment,
        OrderStatus::Rejected => StatusLabel::Rejected,
        OrderStatus::InProgress => StatusLabel::InProgress,
        OrderStatus::CertificateMade => StatusLabel::CertificateMade,
        OrderStatus::Mailed => StatusLabel::Mailed,
        OrderStatus::Completed => StatusLabel::Completed,
        OrderStatus::Invoiced => StatusLabel::Invoiced,
        OrderStatus::Cancelled => StatusLabel::Cancelled,
    }
}

/// The receipt as the screens show it (`None`: still printing).
#[must_use]
pub fn receipt_state(outcome: Option<PrintOutcome>) -> ReceiptState {
    match outcome {
        None => ReceiptState::Printing,
        Some(PrintOutcome::Printed) => ReceiptState::Printed,
        Some(PrintOutcome::NoPrinter) => ReceiptState::NoPrinter,
        Some(PrintOutcome::PaperOut) => ReceiptState::PaperOut,
        Some(PrintOutcome::CoverOpen | PrintOutcome::Failed) => ReceiptState::Failed,
    }
}

/// A count for a Slint `int` property (saturating).
#[must_use]
pub fn int(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn a_renewal_awaiting_payment_was_never_reviewed() {
        let renewal = fixtures::renewal_order(1);
        assert_eq!(status_label(&renewal), StatusLabel::RenewalAwaitingPayment);
        let application = fixtures::application_order(2);
        assert_eq!(status_label(&application), StatusLabel::PendingReview);
        for status in OrderStatus::ALL {
            // Every status has its own label (none falls back to another).
            let same: Vec<_> = OrderStatus::ALL
                .iter()
                .filter(|s| status_of(**s) == status_of(status))
                .collect();
            assert_eq!(same, [&status]);
        }
    }

    #[test]
    fn printed_only_when_the_printer_said_so() {
        assert_eq!(receipt_state(None), ReceiptState::Printing);
        assert_eq!(
            receipt_state(Some(PrintOutcome::Printed)),
            ReceiptState::Printed
        );
        for failed in [
            PrintOutcome::NoPrinter,
            PrintOutcome::PaperOut,
            PrintOutcome::CoverOpen,
            PrintOutcome::Failed,
        ] {
            assert_ne!(receipt_state(Some(failed)), ReceiptState::Printed);
        }
    }
}
