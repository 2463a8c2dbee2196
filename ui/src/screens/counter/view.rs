//! 到柜台支付: the order waits for the counter; did its slip print.
#![forbid(unsafe_code)]

use crate::ReceiptState;
use crate::screens::vocabulary::receipt_state;
use kiosk_domain::money::Fen;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::printer::PrintOutcome;

#[derive(Debug, Clone, PartialEq)]
pub struct CounterView {
    pub order_number: String,
    pub amount: String,
    pub receipt: ReceiptState,
}

#[must_use]
pub fn counter_view(order: OrderNumber, amount: Fen, receipt: Option<PrintOutcome>) -> CounterView {
    CounterView {
        order_number: order.to_string(),
        amount: amount.to_string(),
        receipt: receipt_state(receipt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn the_slip_is_printed_only_when_the_printer_said_so() {
        let number = fixtures::order_number(4);
        let v = counter_view(number, Fen(30_000), Some(PrintOutcome::PaperOut));
        assert_eq!(
            v,
            CounterView {
                order_number: number.to_string(),
                amount: "¥300.00".to_owned(),
                receipt: ReceiptState::PaperOut,
            }
        );
        assert_eq!(
            counter_view(number, Fen(30_000), None).receipt,
            ReceiptState::Printing
        );
    }
}
