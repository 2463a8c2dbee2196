//! Which screen shows a renewal state, with that screen's view model.
#![forbid(unsafe_code)]

use crate::screens::certificates::view::{CertificatesView, certificates_view};
use crate::screens::confirm::view::{ConfirmView, confirm_view, submitted_view};
use crate::screens::counter::view::{CounterView, counter_view};
use crate::screens::done::view::{DoneView, done_view};
use crate::screens::environment::view::{BlockedView, blocked_view};
use crate::screens::install::view::{InstallView, install_view};
use crate::screens::payment::view::{PaymentView, payment_view};
use crate::screens::pin::view::{PinView, pin_view};
use crate::screens::recovery::view::{RecoveryView, recovery_view};
use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::renewal::RenewalState;
use kiosk_domain::lang::Lang;

/// What a view needs besides the state: the flow's context (now, clock
/// floor, renewal window, price).
#[derive(Debug, Clone, Copy)]
pub struct ViewContext {
    /// The customer's language. Not needed by any view model (the screens
    /// choose every text in the window's language); kept for callers.
    pub lang: Lang,
    pub flow: StepContext,
}

/// The renewal flow's state as one of its screens.
#[derive(Debug, Clone, PartialEq)]
pub enum RenewalView {
    Home,
    Checking,
    Blocked(BlockedView),
    Certificates(CertificatesView),
    Pin(PinView),
    PinLocked,
    Confirm(ConfirmView),
    Payment(PaymentView),
    Counter(CounterView),
    Installing(InstallView),
    Recovery(RecoveryView),
    Done(DoneView),
}

/// The screen for a renewal state. `key_in` tells whether the customer's key
/// is still in the writer (for the reminder on 完成更新).
#[must_use]
pub fn renewal_view(state: &RenewalState, ctx: &ViewContext, key_in: bool) -> RenewalView {
    let flow = &ctx.flow;
    match state {
        RenewalState::Home => RenewalView::Home,
        RenewalState::CheckingEnvironment { .. } => RenewalView::Checking,
        RenewalState::Blocked { problem, .. } => RenewalView::Blocked(blocked_view(*problem)),
        RenewalState::ChoosingCertificate {
            candidates,
            ca_online,
            ..
        } => RenewalView::Certificates(certificates_view(candidates, *ca_online, flow)),
        RenewalState::EnteringPin { purpose, last, .. } => {
            RenewalView::Pin(pin_view(purpose, *last, false))
        }
        RenewalState::VerifyingPin { purpose, .. } => {
            RenewalView::Pin(pin_view(purpose, None, true))
        }
        RenewalState::PinLocked { .. } => RenewalView::PinLocked,
        RenewalState::ConfirmingInfo {
            certificate,
            on_file,
            ..
        } => RenewalView::Confirm(confirm_view(certificate, on_file, flow.renewal_price)),
        RenewalState::CreatingOrder {
            certificate,
            contact,
            invoice,
            ..
        } => RenewalView::Confirm(submitted_view(
            certificate,
            contact,
            invoice,
            flow.renewal_price,
        )),
        RenewalState::Paying {
            order,
            qr,
            ca_online,
            ..
        } => RenewalView::Payment(payment_view(order, qr.as_ref(), *ca_online, flow.now)),
        RenewalState::PayingAtCounter {
            order,
            amount,
            receipt,
            ..
        } => RenewalView::Counter(counter_view(*order, *amount, *receipt)),
        RenewalState::Installing { order, .. } => RenewalView::Installing(install_view(order)),
        RenewalState::InstallPending { order, failure, .. } => {
            RenewalView::Recovery(recovery_view(order, *failure))
        }
        RenewalState::Done {
            order,
            valid_until,
            receipt,
            ..
        } => RenewalView::Done(done_view(*order, *valid_until, *receipt, key_in)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReceiptState;
    use kiosk_domain::fixtures;
    use kiosk_domain::flow::SessionId;
    use kiosk_domain::ports::printer::PrintOutcome;

    fn ctx() -> ViewContext {
        ViewContext {
            lang: Lang::ZhCn,
            flow: fixtures::step_context(),
        }
    }

    #[test]
    fn every_state_maps_to_a_screen_and_done_reminds_to_take_the_key() {
        let v = renewal_view(
            &RenewalState::Done {
                session: SessionId(1),
                order: fixtures::order_number(1),
                valid_until: None,
                receipt: None,
            },
            &ctx(),
            true,
        );
        assert!(matches!(
            v,
            RenewalView::Done(DoneView {
                key_in: true,
                receipt: ReceiptState::Printing,
                ..
            })
        ));
        let v = renewal_view(&RenewalState::Home, &ctx(), false);
        assert_eq!(v, RenewalView::Home);
        let v = renewal_view(
            &RenewalState::PayingAtCounter {
                session: SessionId(1),
                order: fixtures::order_number(2),
                amount: kiosk_domain::money::Fen(30_000),
                receipt: Some(PrintOutcome::Printed),
            },
            &ctx(),
            true,
        );
        assert!(matches!(
            v,
            RenewalView::Counter(CounterView {
                receipt: ReceiptState::Printed,
                ..
            })
        ));
    }

    #[test]
    fn the_views_speak_no_language() {
        // The same state in either language is the same view: every text is
        // chosen on the screen, in the window's language.
        let state = RenewalState::Blocked {
            session: SessionId(1),
            problem: kiosk_domain::flow::renewal::EnvironmentProblem::NoKey,
        };
        let en = ViewContext {
            lang: Lang::En,
            ..ctx()
        };
        assert_eq!(
            renewal_view(&state, &ctx(), true),
            renewal_view(&state, &en, true)
        );
    }
}
