//! The CA's status feed applied to stored orders, exactly once.

use super::*;
use kiosk_domain::order::status::OrderStatus;
use kiosk_domain::ports::outbox::{StatusApplied, StatusUpdate};

fn update(order: &Order, status: OrderStatus, reason: Option<&str>) -> StatusUpdate {
    StatusUpdate {
        number: order.number,
        status,
        reason: reason.map(str::to_owned),
    }
}

#[test]
fn feed_entries_apply_once_along_the_status_table() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "f", at(0));
    assert_eq!(store.feed_cursor().unwrap(), 0);

    let rejected = update(&order, OrderStatus::Rejected, Some("营业执照不清晰"));
    assert_eq!(
        store.apply_ca_status(&rejected, 1, at(1)).unwrap(),
        StatusApplied::Changed
    );
    let stored = store.load_order(&order.number).unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Rejected);
    assert_eq!(stored.rejection_reason(), Some("营业执照不清晰"));
    assert_eq!(store.feed_cursor().unwrap(), 1);

    // The same entry read again (a crash before the next page): nothing changes.
    assert_eq!(
        store.apply_ca_status(&rejected, 1, at(2)).unwrap(),
        StatusApplied::Unchanged
    );

    // Corrected and approved (the feed may skip the resubmission): applied.
    let approved = update(&order, OrderStatus::AwaitingPayment, None);
    assert_eq!(
        store.apply_ca_status(&approved, 2, at(3)).unwrap(),
        StatusApplied::Changed
    );
    // A status the order has passed already is late news: nothing changes.
    let back = update(&order, OrderStatus::PendingReview, None);
    assert_eq!(
        store.apply_ca_status(&back, 3, at(3)).unwrap(),
        StatusApplied::Unchanged
    );
    assert_eq!(
        store.load_order(&order.number).unwrap().unwrap().status(),
        OrderStatus::AwaitingPayment
    );
    // Cancelled, then 正在受理: no path of the table leads there (nor back):
    // refused, the order kept, the cursor moves on.
    let cancelled = update(&order, OrderStatus::Cancelled, None);
    assert_eq!(
        store.apply_ca_status(&cancelled, 4, at(3)).unwrap(),
        StatusApplied::Changed
    );
    let sideways = update(&order, OrderStatus::InProgress, None);
    assert_eq!(
        store.apply_ca_status(&sideways, 5, at(3)).unwrap(),
        StatusApplied::Refused
    );
    assert_eq!(
        store.load_order(&order.number).unwrap().unwrap().status(),
        OrderStatus::Cancelled
    );
    assert_eq!(store.feed_cursor().unwrap(), 5);

    // Another kiosk's order.
    let stranger = StatusUpdate {
        number: kiosk_domain::fixtures::order_number(999),
        status: OrderStatus::AwaitingPayment,
        reason: None,
    };
    assert_eq!(
        store.apply_ca_status(&stranger, 6, at(4)).unwrap(),
        StatusApplied::UnknownOrder
    );
    assert_eq!(store.feed_cursor().unwrap(), 6);
}

#[test]
fn a_purged_order_still_follows_its_status() {
    let env = Env::new();
    let mut store = env.open();
    let order = create_application(&mut store, "p", at(0));
    store.mark_acknowledged(&order.number, at(1)).unwrap();
    store.purge(at(2), Duration::days(30)).unwrap();
    let approved = update(&order, OrderStatus::AwaitingPayment, None);
    assert_eq!(
        store.apply_ca_status(&approved, 1, at(3)).unwrap(),
        StatusApplied::Changed
    );
    assert_eq!(
        store.order_summary(&order.number).unwrap().unwrap().status,
        OrderStatus::AwaitingPayment
    );
    let back = update(&order, OrderStatus::PendingReview, None);
    assert_eq!(
        store.apply_ca_status(&back, 2, at(4)).unwrap(),
        StatusApplied::Unchanged,
        "late news"
    );
    let cancelled = update(&order, OrderStatus::Cancelled, None);
    assert_eq!(
        store.apply_ca_status(&cancelled, 3, at(4)).unwrap(),
        StatusApplied::Changed
    );
    let sideways = update(&order, OrderStatus::InProgress, None);
    assert_eq!(
        store.apply_ca_status(&sideways, 4, at(4)).unwrap(),
        StatusApplied::Refused
    );
}

#[test]
fn the_store_remembers_when_the_feed_was_last_read_through() {
    let env = Env::new();
    let mut store = env.open();
    assert_eq!(store.heard_from_ca().unwrap(), None, "never heard");
    store.feed_read(at(5)).unwrap();
    store.feed_read(at(9)).unwrap();
    drop(store);
    let store = env.open();
    assert_eq!(
        store.heard_from_ca().unwrap(),
        Some(at(9)),
        "kept over a restart"
    );
}
