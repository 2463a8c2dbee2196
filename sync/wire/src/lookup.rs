//! 查询订单 at the CA (`POST /v1/orders/lookup`): a customer at any kiosk
//! finds an order by its number and the mobile it is followed with (the
//! renewal's contact, the application's handler), also one the kiosk that
//! took it has long purged. An unknown number and a wrong mobile get the
//! same 404, and the answer carries nothing personal: the status, the amount
//! and the dates only. A `POST`, so the mobile is never in a URL or a log.

use crate::feed::StatusV1;
use crate::problem::{Problem, ProblemCode};
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::money::Fen;
use kiosk_domain::order::status::Lifecycle;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::ca::OrderAtCa;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The body of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupV1 {
    pub number: String,
    pub mobile: String,
}

impl LookupV1 {
    #[must_use]
    pub fn new(number: &OrderNumber, mobile: &MobileNumber) -> Self {
        Self {
            number: number.as_str().to_owned(),
            mobile: mobile.as_str().to_owned(),
        }
    }

    /// The number and the mobile, each checked.
    ///
    /// # Errors
    /// Either does not parse: the same `not_found` as a miss, so a
    /// malformed guess learns nothing more than a wrong one.
    pub fn validate(&self) -> Result<(OrderNumber, MobileNumber), Box<Problem>> {
        let number = self
            .number
            .trim()
            .to_ascii_uppercase()
            .parse::<OrderNumber>();
        let mobile = self.mobile.trim().parse::<MobileNumber>();
        match (number, mobile) {
            (Ok(n), Ok(m)) => Ok((n, m)),
            _ => Err(Box::new(Problem::new(ProblemCode::NotFound))),
        }
    }
}

/// Which path an order's status follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleV1 {
    Renewal,
    ApplicationByMail,
    ApplicationOnSite,
}

impl From<Lifecycle> for LifecycleV1 {
    fn from(l: Lifecycle) -> Self {
        match l {
            Lifecycle::Renewal => Self::Renewal,
            Lifecycle::ApplicationByMail => Self::ApplicationByMail,
            Lifecycle::ApplicationOnSite => Self::ApplicationOnSite,
        }
    }
}

impl From<LifecycleV1> for Lifecycle {
    fn from(l: LifecycleV1) -> Self {
        match l {
            LifecycleV1::Renewal => Self::Renewal,
            LifecycleV1::ApplicationByMail => Self::ApplicationByMail,
            LifecycleV1::ApplicationOnSite => Self::ApplicationOnSite,
        }
    }
}

/// The answer: the order as the CA has it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSummaryV1 {
    pub number: String,
    pub lifecycle: LifecycleV1,
    pub status: StatusV1,
    /// The reviewer's reason, when 审核未通过.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub amount_fen: i64,
    /// When the kiosk created it (the kiosk's clock).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The invoice's page, once issued (已开票), for a QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_url: Option<String>,
}

impl OrderSummaryV1 {
    /// The summary in the domain's words.
    ///
    /// # Errors
    /// An order number that does not parse, or a negative amount.
    pub fn into_domain(self) -> Result<OrderAtCa, String> {
        let number = self
            .number
            .parse::<OrderNumber>()
            .map_err(|e| format!("order number: {e}"))?;
        if self.amount_fen < 0 {
            return Err("negative amount".to_owned());
        }
        Ok(OrderAtCa {
            number,
            lifecycle: self.lifecycle.into(),
            status: self.status.into(),
            reason: self.reason,
            amount: Fen(self.amount_fen),
            created_at: self.created_at,
            invoice_url: self.invoice_url,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn a_malformed_guess_is_a_miss_like_any_other() {
        let good = LookupV1::new(
            &fixtures::order_number(3),
            &fixtures::MOBILE.parse().unwrap(),
        );
        assert!(good.validate().is_ok());
        let lower = LookupV1 {
            number: good.number.to_lowercase(),
            ..good.clone()
        };
        assert_eq!(lower.validate().unwrap().0, fixtures::order_number(3));
        for bad in [
            LookupV1 {
                number: "x".into(),
                ..good.clone()
            },
            LookupV1 {
                mobile: "12".into(),
                ..good
            },
        ] {
            assert_eq!(bad.validate().unwrap_err().code, ProblemCode::NotFound);
        }
    }

    #[test]
    fn a_summary_reads_back_as_the_domain_has_it() {
        let summary = OrderSummaryV1 {
            number: fixtures::order_number(2).to_string(),
            lifecycle: LifecycleV1::ApplicationOnSite,
            status: StatusV1::Rejected,
            reason: Some("材料不清晰".into()),
            amount_fen: 50_000,
            created_at: fixtures::step_context().now,
            invoice_url: None,
        };
        let json = serde_json::to_string(&summary).unwrap();
        let back: OrderSummaryV1 = serde_json::from_str(&json).unwrap();
        let at_ca = back.into_domain().unwrap();
        assert_eq!(at_ca.lifecycle, Lifecycle::ApplicationOnSite);
        assert_eq!(at_ca.amount, Fen(50_000));
        assert_eq!(at_ca.reason.as_deref(), Some("材料不清晰"));
    }
}
