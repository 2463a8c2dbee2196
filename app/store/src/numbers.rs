//! Order numbers: a durable counter per kiosk and local day.
//!
//! The counter row is updated in the same transaction that inserts the
//! order, so a number is used exactly when its order is committed: a crash
//! before the commit hands the same number out again, to the retried order,
//! and a committed number is never handed out twice.

use crate::error::StoreError;
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use rusqlite::{Connection, params};
use time::Date;
use time::macros::format_description;

/// Takes the next number of `kiosk` on `local_date`. Must run inside the
/// transaction that stores the order.
pub(crate) fn allocate(
    conn: &Connection,
    kiosk: &KioskCode,
    local_date: Date,
) -> Result<OrderNumber, StoreError> {
    let day = local_date
        .format(format_description!("[year]-[month]-[day]"))
        .map_err(|_| StoreError::corrupt(format!("date {local_date}")))?;
    // Sequence numbers count from 0, as `OrderNumber::new` expects.
    let seq: i64 = conn.query_row(
        "INSERT INTO order_counters (kiosk, day, next_seq) VALUES (?1, ?2, 1)
         ON CONFLICT (kiosk, day) DO UPDATE SET next_seq = next_seq + 1
         RETURNING next_seq - 1",
        params![kiosk.as_str(), day],
        |row| row.get(0),
    )?;
    let seq =
        u32::try_from(seq).map_err(|_| StoreError::corrupt(format!("order counter {seq}")))?;
    Ok(OrderNumber::new(kiosk, local_date, seq)?)
}
