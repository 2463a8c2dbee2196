//! Removing the key pairs (and any certificates) of abandoned install
//! attempts: objects whose `CKA_ID` is the tag of another attempt of the same
//! order.

use crate::error::{Result, TokenError};
use crate::object::{find_class, get_bytes, require_login};
use cryptoki::object::{AttributeType, ObjectClass};
use cryptoki::session::Session;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::key_writer::KeyTag;

/// Whether an object with this `CKA_ID` belongs to an abandoned attempt.
#[must_use]
pub fn is_abandoned(id: &[u8], order: &OrderNumber, keep_attempt: u32) -> bool {
    std::str::from_utf8(id)
        .ok()
        .and_then(KeyTag::parse)
        .is_some_and(|tag| tag.order == *order && tag.attempt != keep_attempt)
}

/// Deletes every key and certificate of `order` whose attempt is not
/// `keep_attempt`; returns how many objects were deleted.
///
/// # Errors
/// Not logged in, or the token refused.
pub fn remove_abandoned(session: &Session, order: &OrderNumber, keep_attempt: u32) -> Result<u32> {
    require_login(session, "removing abandoned keys")?;
    let mut removed = 0u32;
    for class in [
        ObjectClass::CERTIFICATE,
        ObjectClass::PRIVATE_KEY,
        ObjectClass::PUBLIC_KEY,
    ] {
        for handle in find_class(session, class)? {
            let id = get_bytes(session, handle, AttributeType::Id)?.unwrap_or_default();
            if is_abandoned(&id, order, keep_attempt) {
                session
                    .destroy_object(handle)
                    .map_err(TokenError::during("remove abandoned key"))?;
                removed = removed.saturating_add(1);
            }
        }
    }
    tracing::info!(order = %order, keep_attempt, removed, "abandoned keys removed");
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures::order_number;

    #[test]
    fn only_other_attempts_of_this_order_are_abandoned() {
        let order = order_number(1);
        let other = order_number(2);
        let id = |o: OrderNumber, a| KeyTag::new(o, a).key_id().0;
        assert!(is_abandoned(&id(order, 1), &order, 2));
        assert!(is_abandoned(&id(order, 3), &order, 2));
        assert!(!is_abandoned(&id(order, 2), &order, 2));
        assert!(!is_abandoned(&id(other, 1), &order, 2));
        assert!(!is_abandoned(b"\x01\x02", &order, 2));
        assert!(!is_abandoned(b"", &order, 2));
    }
}
