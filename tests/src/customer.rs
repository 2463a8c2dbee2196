//! A cooperative customer at the renewal screens, for the runners that drive
//! the renewal flow end to end: each state gets the answer a customer who
//! wants their certificate renewed would give.

use anyhow::{Result, bail};
use kiosk_domain::fixtures;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::renewal::{RenewalEvent, RenewalState};
use kiosk_domain::order::payment::{Payment, PaymentMethod};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::OrderNumber;

/// What the customer does next.
#[derive(Debug)]
pub enum Next {
    /// Press, type or pay: this event.
    Event(RenewalEvent),
    /// The renewal is done.
    Done(OrderNumber),
}

/// The customer's answer to `state`. `pay` is called when the QR code is
/// shown, to take the money the way the runner's world does.
///
/// # Errors
/// The flow waits on something a customer cannot give (a device answer that
/// never came), or `pay` failed.
pub fn next(state: &RenewalState, pay: impl FnOnce(&Order) -> Result<()>) -> Result<Next> {
    Ok(Next::Event(match state {
        RenewalState::Home => RenewalEvent::Start(SessionId(session_id())),
        RenewalState::ChoosingCertificate { candidates, .. } if candidates.is_empty() => {
            bail!("no renewable certificate on the key")
        }
        RenewalState::ChoosingCertificate { .. } => RenewalEvent::CertificateChosen(0),
        RenewalState::EnteringPin { .. } => RenewalEvent::PinSubmitted,
        RenewalState::ConfirmingInfo { .. } => {
            let OrderDetails::Renewal(d) = fixtures::renewal_order(1).details else {
                bail!("fixture is not a renewal");
            };
            RenewalEvent::InfoConfirmed {
                contact: d.contact,
                invoice: d.invoice,
            }
        }
        RenewalState::Paying {
            order, qr: Some(_), ..
        } => {
            pay(order)?;
            RenewalEvent::PaymentConfirmed(Payment {
                method: PaymentMethod::AggregatedQr,
                amount: order.amount,
                reference: format!("PAY-{}", order.number).parse()?,
                confirmed_at: time::OffsetDateTime::now_utc(),
            })
        }
        RenewalState::Paying { qr: None, .. } => RenewalEvent::NetworkChanged { online: true },
        RenewalState::InstallPending { .. } => RenewalEvent::Retry,
        RenewalState::Done { order, .. } => return Ok(Next::Done(*order)),
        other => bail!("stuck in {} with nothing pending", name(other)),
    }))
}

/// The state's variant name, for progress lines (no personal data).
#[must_use]
pub fn name(state: &RenewalState) -> String {
    format!("{state:?}")
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A fresh session id (nanoseconds since the epoch: distinct across restarts).
fn session_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    u64::try_from(nanos % u128::from(u64::MAX)).unwrap_or(1)
}
