//! 费用支付: order number, amount, the QR code to pay and the time left.
#![forbid(unsafe_code)]

use kiosk_domain::flow::renewal::PaymentQr;
use kiosk_domain::order::Order;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub order_number: String,
    pub amount: String,
    /// The text to encode as the QR code (`None` until the CA answers).
    pub qr_payload: Option<String>,
    /// Seconds left to pay; `None` without a QR code.
    pub remaining: Option<u32>,
    pub offline: bool,
}

#[must_use]
pub fn payment_view(
    order: &Order,
    qr: Option<&PaymentQr>,
    ca_online: bool,
    now: OffsetDateTime,
) -> PaymentView {
    PaymentView {
        order_number: order.number.to_string(),
        amount: order.amount.to_string(),
        qr_payload: qr.map(|q| q.payload.clone()),
        remaining: qr.map(|q| remaining(q.expires_at, now)),
        offline: !ca_online,
    }
}

/// Whole seconds until `expires_at` (zero once passed).
#[must_use]
pub fn remaining(expires_at: OffsetDateTime, now: OffsetDateTime) -> u32 {
    u32::try_from((expires_at - now).whole_seconds().max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;
    use time::macros::datetime;

    #[test]
    fn payment_view_counts_down_and_waits_for_the_qr() {
        let order = fixtures::renewal_order(1);
        let now = fixtures::step_context().now;
        let v = payment_view(&order, None, true, now);
        assert_eq!(
            (v.qr_payload, v.remaining, v.amount.as_str()),
            (None, None, "¥300.00")
        );
        let qr = PaymentQr {
            payment_id: "p1".into(),
            payload: "pay://x".into(),
            expires_at: datetime!(2026-11-23 10:14:05 UTC),
        };
        let v = payment_view(&order, Some(&qr), false, now);
        assert_eq!(v.remaining, Some(14 * 60 + 5));
        assert_eq!(v.qr_payload.as_deref(), Some("pay://x"));
        assert!(v.offline);
        assert_eq!(
            remaining(
                datetime!(2026-11-23 09:00 UTC),
                datetime!(2026-11-23 10:00 UTC)
            ),
            0
        );
    }
}
