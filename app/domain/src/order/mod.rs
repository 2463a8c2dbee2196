//! The order model for both flows, and the rules that change an order.
//!
//! An order only changes through its methods, each of which checks the status
//! table ([`status`]) and the payment rule (an order is paid at most once).

pub mod application;
pub mod attachment;
pub mod identity;
pub mod payment;
pub mod renewal;
pub mod status;
pub mod text;

use crate::lang::{Lang, Localized};
use crate::money::Fen;
use crate::order_number::OrderNumber;
use application::{ApplicationDetails, Pickup};
use payment::Payment;
use renewal::RenewalDetails;
use serde::{Deserialize, Serialize};
use status::{IllegalTransition, Lifecycle, OrderStatus};
use time::OffsetDateTime;

/// What the order is for.
#[allow(
    clippy::large_enum_variant,
    reason = "a kiosk holds a handful of orders at a time; boxing would only add noise"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderDetails {
    Renewal(RenewalDetails),
    Application(ApplicationDetails),
}

/// One order, as the kiosk knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub number: OrderNumber,
    pub created_at: OffsetDateTime,
    status: OrderStatus,
    /// The reviewer's reason when the status is 审核未通过.
    rejection_reason: Option<String>,
    pub amount: Fen,
    payment: Option<Payment>,
    pub details: OrderDetails,
}

impl Order {
    /// A new order in its lifecycle's first status.
    #[must_use]
    pub fn new(
        number: OrderNumber,
        created_at: OffsetDateTime,
        amount: Fen,
        details: OrderDetails,
    ) -> Self {
        let lifecycle = lifecycle_of(&details);
        Self {
            number,
            created_at,
            status: status::initial_status(lifecycle),
            rejection_reason: None,
            amount,
            payment: None,
            details,
        }
    }

    #[must_use]
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// The status as the customer is told it: the CA's words, except that a
    /// renewal, which is never reviewed, is 待支付 rather than 审核通过/待支付.
    #[must_use]
    pub fn status_label(&self, lang: Lang) -> &'static str {
        match (self.lifecycle(), self.status, lang) {
            (Lifecycle::Renewal, OrderStatus::AwaitingPayment, Lang::ZhCn) => "待支付",
            (Lifecycle::Renewal, OrderStatus::AwaitingPayment, Lang::En) => "Awaiting payment",
            (_, status, lang) => status.label(lang),
        }
    }

    #[must_use]
    pub fn rejection_reason(&self) -> Option<&str> {
        self.rejection_reason.as_deref()
    }

    #[must_use]
    pub fn payment(&self) -> Option<&Payment> {
        self.payment.as_ref()
    }

    /// Which lifecycle the order follows.
    #[must_use]
    pub fn lifecycle(&self) -> Lifecycle {
        lifecycle_of(&self.details)
    }

    /// One step of the status table, taken by the kiosk itself.
    pub fn transition(&mut self, to: OrderStatus) -> Result<(), OrderError> {
        if to == OrderStatus::InProgress {
            // Only a recorded payment makes an order 正在受理.
            return Err(OrderError::NotPaid);
        }
        self.step_to(to)
    }

    fn step_to(&mut self, to: OrderStatus) -> Result<(), OrderError> {
        if !status::is_allowed(self.lifecycle(), self.status, to) {
            return Err(self.illegal(to).into());
        }
        if to != OrderStatus::Rejected {
            self.rejection_reason = None;
        }
        self.status = to;
        Ok(())
    }

    fn illegal(&self, to: OrderStatus) -> IllegalTransition {
        IllegalTransition {
            lifecycle: self.lifecycle(),
            from: self.status,
            to,
        }
    }

    /// Applies a status reported by the CA, the authority on status.
    ///
    /// Returns whether anything changed. Hearing the current status again is
    /// not an error (feeds repeat), nor is a status the order has passed
    /// already (late news); a jump over states the kiosk missed is
    /// accepted along legal paths only.
    pub fn apply_ca_status(
        &mut self,
        to: OrderStatus,
        rejection_reason: Option<String>,
    ) -> Result<bool, OrderError> {
        match status::report(self.lifecycle(), self.status, to) {
            status::Report::Same | status::Report::Behind => return Ok(false),
            status::Report::Illegal => return Err(self.illegal(to).into()),
            status::Report::Forward => {}
        }
        self.rejection_reason = match to {
            OrderStatus::Rejected => rejection_reason,
            _ => None,
        };
        self.status = to;
        Ok(true)
    }

    /// Records a confirmed payment and moves the order to 正在受理.
    ///
    /// An order is paid at most once: hearing the same confirmation again (same
    /// reference) is accepted and changes nothing, a different payment for an
    /// order already paid is refused.
    pub fn record_payment(&mut self, payment: Payment) -> Result<bool, OrderError> {
        if let Some(existing) = &self.payment {
            return if existing.reference == payment.reference {
                Ok(false)
            } else {
                Err(OrderError::AlreadyPaid)
            };
        }
        if payment.amount != self.amount {
            return Err(OrderError::WrongAmount {
                expected: self.amount,
                got: payment.amount,
            });
        }
        if matches!(
            (&self.details, &payment.method),
            (
                OrderDetails::Renewal(_),
                payment::PaymentMethod::BankTransfer { .. }
            )
        ) {
            // Seed 001: bank transfer is not offered for renewals.
            return Err(OrderError::MethodNotOffered);
        }
        // The CA may have moved the order on already (paid at the counter,
        // 正在受理 heard through its feed before the payment itself).
        if self.status != OrderStatus::InProgress {
            self.step_to(OrderStatus::InProgress)?;
        }
        self.payment = Some(payment);
        Ok(true)
    }
}

fn lifecycle_of(details: &OrderDetails) -> Lifecycle {
    match details {
        OrderDetails::Renewal(_) => Lifecycle::Renewal,
        OrderDetails::Application(app) => match app.pickup {
            Pickup::Mail { .. } => Lifecycle::ApplicationByMail,
            Pickup::OnSite => Lifecycle::ApplicationOnSite,
        },
    }
}

/// Why an order refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    #[error("the order is already paid")]
    AlreadyPaid,
    #[error("the order is not paid yet")]
    NotPaid,
    #[error("the payment of {got} does not match the amount due, {expected}")]
    WrongAmount { expected: Fen, got: Fen },
    #[error("this payment method is not offered for this order")]
    MethodNotOffered,
}

impl Localized for OrderError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::IllegalTransition(e), _) => e.message(lang),
            (_, Lang::En) => self.to_string(),
            (Self::AlreadyPaid, Lang::ZhCn) => "该订单已支付，无需重复支付".to_owned(),
            (Self::NotPaid, Lang::ZhCn) => "该订单尚未支付".to_owned(),
            (Self::WrongAmount { expected, got }, Lang::ZhCn) => {
                format!("支付金额{got}与应付金额{expected}不符，请联系工作人员")
            }
            (Self::MethodNotOffered, Lang::ZhCn) => {
                "该业务不支持此支付方式，请选择扫码支付或到柜台支付".to_owned()
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
