//! The renewal effects both runners answer the same way: the store's
//! (create the order idempotently per session, save it) and the payment QR
//! (offered at once: the runners stand in for the CA's payment provider).

use anyhow::Result;
use kiosk_domain::fixtures;
use kiosk_domain::flow::renewal::{PaymentQr, RenewalEffect, RenewalEvent};
use kiosk_store::Store;
use time::OffsetDateTime;

/// Runs `effect` if it is one of these; `None` if it is not (the caller runs
/// it), `Some(answer)` if it was.
///
/// # Errors
/// The store failed.
pub fn run(
    store: &mut Store,
    effect: &RenewalEffect,
    now: OffsetDateTime,
) -> Result<Option<Option<RenewalEvent>>> {
    Ok(Some(match effect {
        RenewalEffect::CreateOrder {
            session,
            details,
            amount,
        } => {
            let order =
                store.create_renewal_order(*session, &fixtures::kiosk(), now, *amount, details)?;
            Some(RenewalEvent::OrderCreated(Box::new(order)))
        }
        RenewalEffect::SaveOrder(order) => {
            store.save_order(order, now)?;
            None
        }
        RenewalEffect::CreatePayment { order, .. } => {
            Some(RenewalEvent::PaymentOffered(PaymentQr {
                payload: format!("https://pay.invalid/{order}"),
                expires_at: now + time::Duration::minutes(15),
            }))
        }
        _ => return Ok(None),
    }))
}
