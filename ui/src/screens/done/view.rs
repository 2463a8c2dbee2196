//! 完成更新: the new certificate's expiry, the receipt, the key reminder.
#![forbid(unsafe_code)]

use crate::ReceiptState;
use crate::screens::vocabulary::{date, receipt_state};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::printer::PrintOutcome;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct DoneView {
    pub order_number: String,
    /// The new certificate's expiry, `YYYY-MM-DD` (empty when not known).
    pub valid_until: String,
    pub receipt: ReceiptState,
    /// Whether to show 请取走您的USB Key.
    pub key_in: bool,
}

#[must_use]
pub fn done_view(
    order: OrderNumber,
    valid_until: Option<OffsetDateTime>,
    receipt: Option<PrintOutcome>,
    key_in: bool,
) -> DoneView {
    DoneView {
        order_number: order.to_string(),
        valid_until: valid_until.map(date).unwrap_or_default(),
        receipt: receipt_state(receipt),
        key_in,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;
    use time::macros::datetime;

    #[test]
    fn done_says_until_when_and_whether_the_receipt_printed() {
        let number = fixtures::order_number(1);
        let v = done_view(
            number,
            Some(datetime!(2027-12-10 00:00 UTC)),
            Some(PrintOutcome::Printed),
            false,
        );
        assert_eq!(
            (v.valid_until.as_str(), v.receipt, v.key_in),
            ("2027-12-10", ReceiptState::Printed, false)
        );
        let v = done_view(number, None, Some(PrintOutcome::PaperOut), true);
        assert_eq!(
            (v.valid_until.as_str(), v.receipt, v.key_in),
            ("", ReceiptState::PaperOut, true)
        );
    }
}
