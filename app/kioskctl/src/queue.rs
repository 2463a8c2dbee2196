//! `kioskctl queue list|show|retry`: the orders still to reach the CA, as a
//! technician or clerk needs them. Numbers, times, statuses and error codes
//! only: no names, ID numbers or phone numbers.

use anyhow::{Context, Result};
use kiosk_domain::lang::Lang;
use kiosk_domain::order_number::OrderNumber;
use kiosk_store::{OutboxEntry, Store};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most entries `list` shows.
const LIST_LIMIT: usize = 1000;

/// One upload in the queue.
#[derive(Debug, Serialize)]
pub struct QueueEntry {
    pub order: String,
    pub kind: String,
    /// The order's status in the CA's words.
    pub status: String,
    pub created_at: String,
    pub attempts: u32,
    /// `due`, `waiting` (a retry later) or `set_aside` (refused by the CA).
    pub state: &'static str,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn entry(store: &Store, e: OutboxEntry, now: OffsetDateTime) -> Result<QueueEntry> {
    let summary = store
        .order_summary(&e.number)?
        .with_context(|| format!("order {} is queued but not stored", e.number))?;
    let set_aside = e
        .last_error
        .as_deref()
        .is_some_and(|c| c.starts_with("set_aside:"));
    Ok(QueueEntry {
        order: e.number.to_string(),
        kind: format!("{:?}", summary.kind).to_lowercase(),
        status: summary.status.label(Lang::ZhCn).to_owned(),
        created_at: rfc3339(e.created_at),
        attempts: e.attempts,
        state: if set_aside {
            "set_aside"
        } else if e.next_attempt_at <= now {
            "due"
        } else {
            "waiting"
        },
        next_attempt_at: rfc3339(e.next_attempt_at),
        last_error: e.last_error,
    })
}

/// Every upload not yet acknowledged, oldest first.
pub fn list(store: &Store, now: OffsetDateTime) -> Result<Vec<QueueEntry>> {
    store
        .queue(LIST_LIMIT)?
        .into_iter()
        .map(|e| entry(store, e, now))
        .collect()
}

/// One order's upload (an error if it is not waiting to be sent).
pub fn show(store: &Store, number: &str, now: OffsetDateTime) -> Result<QueueEntry> {
    let number = order_number(number)?;
    let found = store
        .queue(LIST_LIMIT)?
        .into_iter()
        .find(|e| e.number == number)
        .with_context(|| {
            format!("order {number} is not waiting to be sent (sent already, or unknown)")
        })?;
    entry(store, found, now)
}

/// `number` as an order number.
pub fn order_number(number: &str) -> Result<OrderNumber> {
    number
        .parse()
        .map_err(|e| anyhow::anyhow!("{number:?} is not an order number: {e}"))
}

/// Makes the upload due now (after staff fixed what the CA refused): what
/// to tell the technician.
pub fn retry(store: &mut Store, number: &OrderNumber, now: OffsetDateTime) -> Result<String> {
    Ok(if store.retry_now(number, now)? {
        format!("order {number} will be sent at the next attempt\n")
    } else {
        format!("order {number} has already reached the CA\n")
    })
}

/// The list as a technician reads it.
pub fn render(entries: &[QueueEntry]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("queue empty: every order has reached the CA\n");
    }
    for e in entries {
        let _ = writeln!(
            out,
            "{} {:<11} {:<9} tries {:<3} next {} {}",
            e.order,
            e.kind,
            e.state,
            e.attempts,
            e.next_attempt_at,
            e.last_error.as_deref().unwrap_or("")
        );
    }
    out
}
