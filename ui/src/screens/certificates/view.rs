//! 选择证书: each certificate on the key (USCC masked), whether it may be
//! renewed now, and any unfinished order for it.
#![forbid(unsafe_code)]

use crate::screens::vocabulary::{date, status_label};
use crate::{CertificateRow, OpenOrder, StatusLabel, Verdict};
use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::renewal::Candidate;
use kiosk_domain::renewal_window::RenewalVerdict;

#[derive(Debug, Clone, PartialEq)]
pub struct CertificatesView {
    pub items: Vec<CertificateRow>,
    pub offline: bool,
}

#[must_use]
pub fn certificates_view(
    candidates: &[Candidate],
    ca_online: bool,
    flow: &StepContext,
) -> CertificatesView {
    CertificatesView {
        items: candidates
            .iter()
            .map(|c| certificate_item(c, flow))
            .collect(),
        offline: !ca_online,
    }
}

/// One certificate as 选择证书 lists it.
#[must_use]
pub fn certificate_item(candidate: &Candidate, flow: &StepContext) -> CertificateRow {
    let cert = &candidate.certificate;
    let verdict = flow.window.verdict(cert.not_after, flow.now, flow.floor);
    let (verdict_kind, verdict_date) = match verdict {
        RenewalVerdict::Renewable { closes_at } => (Verdict::Renewable, date(closes_at)),
        RenewalVerdict::TooEarly { opens_at } => (Verdict::TooEarly, date(opens_at)),
        RenewalVerdict::TooLate { closed_at } => (Verdict::TooLate, date(closed_at)),
        RenewalVerdict::ClockUntrusted => (Verdict::ClockUntrusted, String::new()),
    };
    let (open_order, open_order_number, open_order_status) = match &candidate.open_order {
        Some(order) if order.payment().is_some() => (
            OpenOrder::Paid,
            order.number.to_string(),
            status_label(order),
        ),
        Some(order) => (
            OpenOrder::Unpaid,
            order.number.to_string(),
            status_label(order),
        ),
        None => (OpenOrder::None, String::new(), StatusLabel::default()),
    };
    CertificateRow {
        holder: cert.holder.as_str().into(),
        uscc: cert
            .uscc
            .as_ref()
            .map_or_else(|| "—".to_owned(), kiosk_domain::ids::Uscc::masked)
            .into(),
        issuer: cert.issuer.as_str().into(),
        serial: cert.serial_hex.to_ascii_uppercase().into(),
        not_before: date(cert.not_before).into(),
        not_after: date(cert.not_after).into(),
        verdict: verdict_kind,
        verdict_date: verdict_date.into(),
        // An open order is continued even outside the window: it was
        // created (and maybe paid) while the certificate was renewable.
        renewable: verdict.is_renewable() || candidate.open_order.is_some(),
        open_order,
        open_order_number: open_order_number.into(),
        open_order_status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;
    use time::macros::datetime;

    #[test]
    fn certificate_items_mask_the_uscc_and_explain_the_verdict() {
        let mut old = fixtures::certificate();
        old.not_after = datetime!(2025-06-01 00:00 UTC);
        let candidates = [
            Candidate {
                certificate: fixtures::certificate(),
                open_order: None,
            },
            Candidate {
                certificate: old,
                open_order: None,
            },
        ];
        let flow = fixtures::step_context();
        let view = certificates_view(&candidates, false, &flow);
        assert!(view.offline);
        let ok = &view.items[0];
        assert_eq!(ok.uscc, "9111**********082Q");
        assert!(!ok.uscc.contains(fixtures::USCC));
        assert!(ok.renewable);
        assert_eq!(
            (ok.not_before.as_str(), ok.not_after.as_str()),
            ("2025-12-10", "2026-12-10")
        );
        assert_eq!(
            (ok.verdict, ok.verdict_date.as_str()),
            (Verdict::Renewable, "2027-12-10"),
            "renewable until 365 days after expiry"
        );
        assert_eq!(ok.open_order, OpenOrder::None);
        let late = &view.items[1];
        assert!(!late.renewable, "greyed out");
        assert_eq!(
            (late.verdict, late.verdict_date.as_str()),
            (Verdict::TooLate, "2026-06-01")
        );
    }

    #[test]
    fn an_open_paid_order_makes_a_certificate_selectable_with_a_note() {
        let mut old = fixtures::certificate();
        old.not_after = datetime!(2025-06-01 00:00 UTC);
        let mut order = fixtures::renewal_order(3);
        let unpaid = certificate_item(
            &Candidate {
                certificate: old.clone(),
                open_order: Some(order.clone()),
            },
            &fixtures::step_context(),
        );
        assert!(unpaid.renewable);
        assert_eq!(
            (unpaid.open_order, unpaid.open_order_status),
            (OpenOrder::Unpaid, StatusLabel::RenewalAwaitingPayment)
        );
        order
            .record_payment(kiosk_domain::order::payment::Payment {
                method: kiosk_domain::order::payment::PaymentMethod::AggregatedQr,
                amount: order.amount,
                reference: "PAY1".parse().unwrap(),
                confirmed_at: datetime!(2026-11-23 10:05 UTC),
            })
            .unwrap();
        let item = certificate_item(
            &Candidate {
                certificate: old,
                open_order: Some(order.clone()),
            },
            &fixtures::step_context(),
        );
        assert!(item.renewable);
        assert_eq!(item.open_order, OpenOrder::Paid);
        assert_eq!(item.open_order_number, order.number.as_str());
    }
}
