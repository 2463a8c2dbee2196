//! The order status lifecycle of spec §3.3, as an explicit transition table.
//!
//! The CA is the authority on status: the kiosk applies what the CA reports,
//! and its own steps (submitting, recording a payment it saw confirmed) only
//! along the same table. An illegal transition is an error, never silently
//! applied.

use crate::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// An order's status, in the CA's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    /// 待审核: submitted, waiting for the CA's review (applications only).
    PendingReview,
    /// 审核通过/待支付: approved (or, for a renewal, created) and waiting for payment.
    AwaitingPayment,
    /// 审核未通过: rejected by the reviewer; the reason is kept on the order.
    Rejected,
    /// 正在受理: paid; the CA is making the certificate.
    InProgress,
    /// 已制证: the certificate is issued.
    CertificateMade,
    /// 已邮寄: mailed to the customer (pickup by mail only).
    Mailed,
    /// 已完成: in the customer's hands (written onto their key, or delivered).
    Completed,
    /// 已开票: the invoice is issued.
    Invoiced,
    /// 已取消: cancelled (unpaid too long, or withdrawn).
    Cancelled,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 9] = [
        Self::PendingReview,
        Self::AwaitingPayment,
        Self::Rejected,
        Self::InProgress,
        Self::CertificateMade,
        Self::Mailed,
        Self::Completed,
        Self::Invoiced,
        Self::Cancelled,
    ];

    /// The CA's own words, shown to customers.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::PendingReview, Lang::ZhCn) => "待审核",
            (Self::AwaitingPayment, Lang::ZhCn) => "审核通过/待支付",
            (Self::Rejected, Lang::ZhCn) => "审核未通过",
            (Self::InProgress, Lang::ZhCn) => "正在受理",
            (Self::CertificateMade, Lang::ZhCn) => "已制证",
            (Self::Mailed, Lang::ZhCn) => "已邮寄",
            (Self::Completed, Lang::ZhCn) => "已完成",
            (Self::Invoiced, Lang::ZhCn) => "已开票",
            (Self::Cancelled, Lang::ZhCn) => "已取消",
            (Self::PendingReview, Lang::En) => "Pending review",
            (Self::AwaitingPayment, Lang::En) => "Approved, awaiting payment",
            (Self::Rejected, Lang::En) => "Not approved",
            (Self::InProgress, Lang::En) => "In progress",
            (Self::CertificateMade, Lang::En) => "Certificate issued",
            (Self::Mailed, Lang::En) => "Mailed",
            (Self::Completed, Lang::En) => "Completed",
            (Self::Invoiced, Lang::En) => "Invoiced",
            (Self::Cancelled, Lang::En) => "Cancelled",
        }
    }

    /// A status no event moves the order out of.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Invoiced | Self::Cancelled)
    }
}

/// Which lifecycle an order follows: the steps differ between a renewal, an
/// application picked up by mail and one picked up at the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lifecycle {
    /// Renewal of a certificate on a USB key: no review, paid at once.
    Renewal,
    /// New certificate and e-seals, delivered by courier.
    ApplicationByMail,
    /// New certificate and e-seals, written onto a blank key at the hall.
    ApplicationOnSite,
}

use Lifecycle::{ApplicationByMail as Mail, ApplicationOnSite as OnSite, Renewal};
use OrderStatus::*;

/// The whole table: `(lifecycle, from, to)`. Anything not listed is illegal.
const TRANSITIONS: &[(Lifecycle, OrderStatus, OrderStatus)] = &[
    // Review (applications only). A rejected order may be corrected and resubmitted.
    (Mail, PendingReview, AwaitingPayment),
    (Mail, PendingReview, Rejected),
    (Mail, PendingReview, Cancelled),
    (Mail, Rejected, PendingReview),
    (Mail, Rejected, Cancelled),
    (OnSite, PendingReview, AwaitingPayment),
    (OnSite, PendingReview, Rejected),
    (OnSite, PendingReview, Cancelled),
    (OnSite, Rejected, PendingReview),
    (OnSite, Rejected, Cancelled),
    // Payment, or cancellation of an order left unpaid.
    (Renewal, AwaitingPayment, InProgress),
    (Renewal, AwaitingPayment, Cancelled),
    (Mail, AwaitingPayment, InProgress),
    (Mail, AwaitingPayment, Cancelled),
    (OnSite, AwaitingPayment, InProgress),
    (OnSite, AwaitingPayment, Cancelled),
    // Issuance.
    (Renewal, InProgress, CertificateMade),
    (Mail, InProgress, CertificateMade),
    (OnSite, InProgress, CertificateMade),
    // Delivery: onto the key (renewal, on site) or by courier.
    (Renewal, CertificateMade, Completed),
    (OnSite, CertificateMade, Completed),
    (Mail, CertificateMade, Mailed),
    (Mail, Mailed, Completed),
    // Invoice. A mailed order may be invoiced before delivery is confirmed.
    (Renewal, Completed, Invoiced),
    (OnSite, Completed, Invoiced),
    (Mail, Completed, Invoiced),
    (Mail, Mailed, Invoiced),
];

/// The status an order of this lifecycle starts in once it exists.
#[must_use]
pub fn initial_status(lifecycle: Lifecycle) -> OrderStatus {
    match lifecycle {
        Lifecycle::Renewal => AwaitingPayment,
        Lifecycle::ApplicationByMail | Lifecycle::ApplicationOnSite => PendingReview,
    }
}

/// Whether one step `from -> to` is in the table.
#[must_use]
pub fn is_allowed(lifecycle: Lifecycle, from: OrderStatus, to: OrderStatus) -> bool {
    TRANSITIONS
        .iter()
        .any(|&(l, f, t)| l == lifecycle && f == from && t == to)
}

/// Whether `to` can be reached from `from` by one or more steps of the table.
///
/// The CA's status feed may skip states the kiosk never saw while it was
/// offline (待审核 straight to 已制证); such a jump is accepted only if a legal
/// path exists, so a feed can never move an order backwards or sideways.
#[must_use]
pub fn is_reachable(lifecycle: Lifecycle, from: OrderStatus, to: OrderStatus) -> bool {
    let mut seen = vec![from];
    let mut frontier = vec![from];
    while let Some(at) = frontier.pop() {
        for &(l, f, t) in TRANSITIONS {
            if l == lifecycle && f == at && !seen.contains(&t) {
                if t == to {
                    return true;
                }
                seen.push(t);
                frontier.push(t);
            }
        }
    }
    false
}

/// What a status the CA reports means for an order in `current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// The status the order has already.
    Same,
    /// Ahead of the order along the table: applied.
    Forward,
    /// A status the order has already passed (the kiosk moved on by
    /// itself, e.g. a renewal it finished installing, and the CA's news
    /// arrives late): old news, nothing changes.
    Behind,
    /// Neither: the table does not lead there.
    Illegal,
}

/// Reads a reported status against the current one: forward first (the
/// table has a cycle: 审核未通过 → 待审核 → 审核未通过), then behind.
#[must_use]
pub fn report(lifecycle: Lifecycle, current: OrderStatus, reported: OrderStatus) -> Report {
    if current == reported {
        Report::Same
    } else if is_reachable(lifecycle, current, reported) {
        Report::Forward
    } else if is_reachable(lifecycle, reported, current) {
        Report::Behind
    } else {
        Report::Illegal
    }
}

/// A status change that the table does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order in status {from:?} cannot move to {to:?} ({lifecycle:?})")]
pub struct IllegalTransition {
    pub lifecycle: Lifecycle,
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl Localized for IllegalTransition {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => format!(
                "订单当前状态为“{}”，不能变为“{}”，请联系工作人员",
                self.from.label(lang),
                self.to.label(lang)
            ),
            Lang::En => format!(
                "This order is \"{}\" and cannot become \"{}\". Please ask staff.",
                self.from.label(lang),
                self.to.label(lang)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFECYCLES: [Lifecycle; 3] = [Renewal, Mail, OnSite];

    #[test]
    fn the_happy_paths_are_legal_step_by_step() {
        let paths: [(Lifecycle, &[OrderStatus]); 3] = [
            (
                Renewal,
                &[
                    AwaitingPayment,
                    InProgress,
                    CertificateMade,
                    Completed,
                    Invoiced,
                ],
            ),
            (
                Mail,
                &[
                    PendingReview,
                    AwaitingPayment,
                    InProgress,
                    CertificateMade,
                    Mailed,
                    Completed,
                    Invoiced,
                ],
            ),
            (
                OnSite,
                &[
                    PendingReview,
                    AwaitingPayment,
                    InProgress,
                    CertificateMade,
                    Completed,
                    Invoiced,
                ],
            ),
        ];
        for (lifecycle, path) in paths {
            assert_eq!(initial_status(lifecycle), path[0]);
            for pair in path.windows(2) {
                assert!(
                    is_allowed(lifecycle, pair[0], pair[1]),
                    "{lifecycle:?} {pair:?}"
                );
            }
        }
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for lifecycle in LIFECYCLES {
            for from in OrderStatus::ALL.into_iter().filter(|s| s.is_final()) {
                for to in OrderStatus::ALL {
                    assert!(
                        !is_allowed(lifecycle, from, to),
                        "{lifecycle:?} {from:?}->{to:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn illegal_steps_are_refused() {
        // Paid renewals are never un-paid, renewals are never reviewed or mailed.
        assert!(!is_allowed(Renewal, InProgress, AwaitingPayment));
        assert!(!is_allowed(Renewal, AwaitingPayment, PendingReview));
        assert!(!is_allowed(Renewal, CertificateMade, Mailed));
        // On-site orders are never mailed; nothing skips payment.
        assert!(!is_allowed(OnSite, CertificateMade, Mailed));
        assert!(!is_allowed(Mail, PendingReview, InProgress));
        // A paid order is not cancelled by the kiosk (a refund is the CA's business).
        assert!(!is_allowed(Mail, InProgress, Cancelled));
        // No self-loops: "moving" to the same status is not a transition.
        for lifecycle in LIFECYCLES {
            for s in OrderStatus::ALL {
                assert!(!is_allowed(lifecycle, s, s));
            }
        }
    }

    #[test]
    fn a_feed_may_skip_states_but_never_go_back() {
        assert!(is_reachable(Mail, PendingReview, CertificateMade));
        assert!(is_reachable(Mail, PendingReview, Invoiced));
        assert!(!is_reachable(Mail, CertificateMade, AwaitingPayment));
        assert!(!is_reachable(Renewal, Completed, InProgress));
        assert!(!is_reachable(OnSite, Cancelled, PendingReview));
    }

    #[test]
    fn every_status_is_labelled_in_the_cas_words() {
        let zh: Vec<_> = OrderStatus::ALL
            .iter()
            .map(|s| s.label(Lang::ZhCn))
            .collect();
        assert_eq!(
            zh,
            [
                "待审核",
                "审核通过/待支付",
                "审核未通过",
                "正在受理",
                "已制证",
                "已邮寄",
                "已完成",
                "已开票",
                "已取消"
            ]
        );
    }
}
