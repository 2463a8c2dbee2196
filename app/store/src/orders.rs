//! Orders: created once per session, saved after each change, found by
//! number (with the customer's mobile) or by the certificate being renewed.
//!
//! The whole [`Order`] is the personal payload, sealed with the order's own
//! data key. The clear columns repeat only what is not personal and is needed
//! without the key: status, times, amount, kind, and the session key.

use crate::codec::{opt_time_from_db, status_from_db, status_to_db, time_from_db, time_to_db};
use crate::crypto::{self, Keys, SecretKey};
use crate::error::StoreError;
use crate::{Result, Store, attachments, numbers, outbox};
use kiosk_domain::flow::SessionId;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::money::Fen;
use kiosk_domain::order::attachment::Attachment;
use kiosk_domain::order::renewal::RenewalDetails;
use kiosk_domain::order::status::OrderStatus;
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::{Date, OffsetDateTime};
use zeroize::Zeroizing;

/// Which flow made the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    Renewal,
    Application,
}

impl OrderKind {
    #[must_use]
    pub fn of(order: &Order) -> Self {
        match order.details {
            OrderDetails::Renewal(_) => Self::Renewal,
            OrderDetails::Application(_) => Self::Application,
        }
    }

    pub(crate) fn to_db(self) -> &'static str {
        match self {
            Self::Renewal => "renewal",
            Self::Application => "application",
        }
    }

    fn from_db(name: &str) -> Result<Self> {
        match name {
            "renewal" => Ok(Self::Renewal),
            "application" => Ok(Self::Application),
            other => Err(StoreError::corrupt(format!("order kind {other:?}"))),
        }
    }
}

/// What the store knows about an order without its personal data: all that
/// remains of a purged order, enough to show its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    pub number: OrderNumber,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub amount: Fen,
    /// When the CA acknowledged the upload.
    pub acked_at: Option<OffsetDateTime>,
    /// When the personal data was purged; `None` while it is still held.
    pub purged_at: Option<OffsetDateTime>,
}

/// Statuses in which a renewal needs nothing more from the kiosk.
const RENEWAL_CLOSED: [OrderStatus; 3] = [
    OrderStatus::Completed,
    OrderStatus::Invoiced,
    OrderStatus::Cancelled,
];

impl Store {
    /// Creates the order of a renewal session (the flow's `CreateOrder`
    /// effect): `create_order` keyed by the session, numbered on the local
    /// date of `now`, so that the effect re-run after a crash finds the same
    /// order. The kiosk and the test executors share this one key scheme.
    pub fn create_renewal_order(
        &mut self,
        session: SessionId,
        kiosk: &KioskCode,
        now: OffsetDateTime,
        amount: Fen,
        details: &RenewalDetails,
    ) -> Result<Order> {
        self.create_order(
            &format!("renewal-{}", session.0),
            kiosk,
            now.date(),
            |number| Order::new(number, now, amount, OrderDetails::Renewal(details.clone())),
            &[],
        )
    }

    /// Creates the order of a session, in one transaction with its number,
    /// its attachments and its outbox entry.
    ///
    /// Idempotent per `client_key` (the session's key): if an order with this
    /// key exists, it is returned unchanged and `build` is not called, so an
    /// effect re-run after a crash creates nothing new. Otherwise the next
    /// number of `kiosk` on `local_date` is allocated and passed to `build`,
    /// whose order must carry it.
    pub fn create_order(
        &mut self,
        client_key: &str,
        kiosk: &KioskCode,
        local_date: Date,
        build: impl FnOnce(OrderNumber) -> Order,
        attachments: &[Attachment],
    ) -> Result<Order> {
        let Store { conn, keys, .. } = self;
        // IMMEDIATE: take the write lock before reading the client key, so
        // the check and the insert cannot be split by another writer.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT number FROM orders WHERE client_key = ?1",
                [client_key],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(number) = existing {
            let number = parse_number(&number)?;
            tracing::debug!(order = %number, "order already created for this session");
            return read_order(&tx, keys, &number, None)?.ok_or(StoreError::Purged(number));
        }

        let number = numbers::allocate(&tx, kiosk, local_date)?;
        let order = build(number);
        if order.number != number {
            return Err(StoreError::NumberMismatch {
                allocated: number,
                got: order.number,
            });
        }
        let data_key = SecretKey::random().map_err(StoreError::Random)?;
        let wrapped = crypto::wrap_key(&keys.wrap, &data_key, number.as_str())
            .map_err(|e| e.sealing(|| format!("the key of order {number}")))?;
        let clear = ClearColumns::of(&order, keys)?;
        tx.execute(
            "INSERT INTO orders (number, kind, status, created_at, updated_at, amount_fen,
                                 client_key, mobile_tag, renewal_of_tag, payload)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                number.as_str(),
                clear.kind.to_db(),
                status_to_db(order.status()),
                clear.created_at,
                order.amount.0,
                client_key,
                clear.mobile_tag,
                clear.renewal_of_tag,
                seal_payload(&data_key, &order)?,
            ],
        )?;
        tx.execute(
            "INSERT INTO order_keys (number, wrapped) VALUES (?1, ?2)",
            params![number.as_str(), wrapped],
        )?;
        attachments::insert_all(&tx, &data_key, &number, attachments)?;
        outbox::enqueue(&tx, &number, order.created_at)?;
        tx.commit()?;
        tracing::info!(order = %number, kind = clear.kind.to_db(), attachments = attachments.len(), "order created");
        Ok(order)
    }

    /// Keeps an order taken at another kiosk, as the CA holds it, to be
    /// continued here (the install of a renewal paid there). The CA has it
    /// already: it gets no outbox entry and counts as acknowledged, so it is
    /// purged like any acknowledged order once finished. When the order is
    /// here already, the stored one is returned unchanged (it may have moved
    /// on since); `None` once it is purged (finished with here).
    pub fn adopt_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<Option<Order>> {
        let Store { conn, keys, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let number = order.number;
        let known: Option<bool> = tx
            .query_row(
                "SELECT purged_at IS NOT NULL FROM orders WHERE number = ?1",
                [number.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        match known {
            Some(true) => return Ok(None),
            Some(false) => return read_order(&tx, keys, &number, None),
            None => {}
        }
        let data_key = SecretKey::random().map_err(StoreError::Random)?;
        let wrapped = crypto::wrap_key(&keys.wrap, &data_key, number.as_str())
            .map_err(|e| e.sealing(|| format!("the key of order {number}")))?;
        let clear = ClearColumns::of(order, keys)?;
        let now_db = time_to_db(now)?;
        tx.execute(
            "INSERT INTO orders (number, kind, status, created_at, updated_at, amount_fen,
                                 client_key, mobile_tag, renewal_of_tag, payload, acked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?5)",
            params![
                number.as_str(),
                clear.kind.to_db(),
                status_to_db(order.status()),
                clear.created_at,
                now_db,
                order.amount.0,
                format!("adopted-{number}"),
                clear.mobile_tag,
                clear.renewal_of_tag,
                seal_payload(&data_key, order)?,
            ],
        )?;
        tx.execute(
            "INSERT INTO order_keys (number, wrapped) VALUES (?1, ?2)",
            params![number.as_str(), wrapped],
        )?;
        tx.commit()?;
        tracing::info!(order = %number, kind = clear.kind.to_db(), "order from the CA kept to continue here");
        Ok(Some(order.clone()))
    }

    /// Stores a changed order (status, payment, install progress...) and
    /// records `now` as its last update. The order must exist and not be purged.
    pub fn save_order(&mut self, order: &Order, now: OffsetDateTime) -> Result<()> {
        let Store { conn, keys, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        write_order(&tx, keys, order, now)?;
        tx.commit()?;
        tracing::debug!(order = %order.number, status = status_to_db(order.status()), "order saved");
        Ok(())
    }

    /// The order with this number; `None` if there is none, or if its
    /// personal data was purged (see [`Store::order_summary`]).
    pub fn load_order(&self, number: &OrderNumber) -> Result<Option<Order>> {
        read_order(&self.conn, &self.keys, number, None)
    }

    /// The order with this number whose contact mobile (the renewal's contact,
    /// the application's handler) is `mobile`; `None` if the number is
    /// unknown, the mobile does not match, or the order was purged.
    pub fn find_order(&self, number: &OrderNumber, mobile: &MobileNumber) -> Result<Option<Order>> {
        let tag = mobile_tag(&self.keys, mobile);
        read_order(&self.conn, &self.keys, number, Some(&tag))
    }

    /// The latest renewal order for the certificate with this serial that
    /// the kiosk has not finished with (not completed, invoiced or
    /// cancelled, and not purged): the order a customer comes back to pay or
    /// to finish installing.
    pub fn open_renewal_for(&self, serial_hex: &str) -> Result<Option<Order>> {
        let tag = serial_tag(&self.keys, serial_hex);
        let closed = RENEWAL_CLOSED.map(status_to_db);
        let number: Option<String> = self
            .conn
            .query_row(
                "SELECT number FROM orders
                 WHERE renewal_of_tag = ?1 AND kind = 'renewal' AND purged_at IS NULL
                   AND status NOT IN (?2, ?3, ?4)
                 ORDER BY created_at DESC, number DESC LIMIT 1",
                params![tag, closed[0], closed[1], closed[2]],
                |row| row.get(0),
            )
            .optional()?;
        match number {
            Some(number) => read_order(&self.conn, &self.keys, &parse_number(&number)?, None),
            None => Ok(None),
        }
    }

    /// Up to `limit` orders whose personal data is still held, latest
    /// first (补打凭条).
    pub fn recent_orders(&self, limit: usize) -> Result<Vec<Order>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut select = self.conn.prepare(
            "SELECT number FROM orders WHERE purged_at IS NULL
             ORDER BY created_at DESC, number DESC LIMIT ?1",
        )?;
        let numbers = select
            .query_map([limit], |row| row.get::<_, String>(0))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(numbers.len());
        for number in numbers {
            if let Some(order) = read_order(&self.conn, &self.keys, &parse_number(&number)?, None)?
            {
                out.push(order);
            }
        }
        Ok(out)
    }

    /// The non-personal summary of any order, purged or not.
    pub fn order_summary(&self, number: &OrderNumber) -> Result<Option<OrderSummary>> {
        let row = self
            .conn
            .query_row(
                "SELECT kind, status, created_at, updated_at, amount_fen, acked_at, purged_at
                 FROM orders WHERE number = ?1",
                [number.as_str()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                        row.get::<_, i64>(4)?,
                        row.get::<_, Option<i64>>(5)?,
                        row.get::<_, Option<i64>>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((kind, status, created_at, updated_at, amount, acked_at, purged_at)) = row else {
            return Ok(None);
        };
        Ok(Some(OrderSummary {
            number: *number,
            kind: OrderKind::from_db(&kind)?,
            status: status_from_db(&status)?,
            created_at: time_from_db(created_at)?,
            updated_at: time_from_db(updated_at)?,
            amount: Fen(amount),
            acked_at: opt_time_from_db(acked_at)?,
            purged_at: opt_time_from_db(purged_at)?,
        }))
    }
}

/// The clear columns derived from an order.
struct ClearColumns {
    kind: OrderKind,
    created_at: i64,
    mobile_tag: Vec<u8>,
    renewal_of_tag: Option<Vec<u8>>,
}

impl ClearColumns {
    fn of(order: &Order, keys: &Keys) -> Result<Self> {
        let (mobile, serial) = match &order.details {
            OrderDetails::Renewal(r) => (
                &r.contact.mobile,
                Some(r.old_certificate.serial_hex.as_str()),
            ),
            OrderDetails::Application(a) => (&a.handler.mobile, None),
        };
        Ok(Self {
            kind: OrderKind::of(order),
            created_at: time_to_db(order.created_at)?,
            mobile_tag: mobile_tag(keys, mobile),
            renewal_of_tag: serial.map(|s| serial_tag(keys, s)),
        })
    }
}

fn mobile_tag(keys: &Keys, mobile: &MobileNumber) -> Vec<u8> {
    // `as_str` is already normalised (11 bare digits) by the domain type.
    crypto::tag(&keys.tag, "mobile", mobile.as_str())
}

/// Serials are integers written in hex: case, separators and leading zeros
/// do not change which certificate is meant.
fn serial_tag(keys: &Keys, serial_hex: &str) -> Vec<u8> {
    let digits: String = serial_hex
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let trimmed = digits.trim_start_matches('0');
    let normalised = if trimmed.is_empty() { "0" } else { trimmed };
    crypto::tag(&keys.tag, "certificate serial", normalised)
}

fn payload_aad(number: &OrderNumber) -> [&[u8]; 2] {
    [b"order payload", number.as_str().as_bytes()]
}

fn seal_payload(data_key: &SecretKey, order: &Order) -> Result<Vec<u8>> {
    let json = Zeroizing::new(
        serde_json::to_vec(order).map_err(|source| StoreError::Json {
            what: "an order",
            source,
        })?,
    );
    crypto::seal(data_key, &json, &payload_aad(&order.number))
        .map_err(|e| e.sealing(|| format!("the payload of order {}", order.number)))
}

pub(crate) fn parse_number(text: &str) -> Result<OrderNumber> {
    text.parse()
        .map_err(|_| StoreError::corrupt(format!("order number {text:?}")))
}

/// The order's data key, unwrapped. Errors for an unknown or purged order.
/// Re-seals a changed order and its clear columns (inside the caller's
/// transaction). The order must exist and not be purged.
pub(crate) fn write_order(
    conn: &Connection,
    keys: &Keys,
    order: &Order,
    now: OffsetDateTime,
) -> Result<()> {
    let number = order.number;
    let data_key = data_key(conn, keys, &number)?;
    let clear = ClearColumns::of(order, keys)?;
    conn.execute(
        "UPDATE orders SET kind = ?2, status = ?3, updated_at = ?4, amount_fen = ?5,
                           mobile_tag = ?6, renewal_of_tag = ?7, payload = ?8
         WHERE number = ?1",
        params![
            number.as_str(),
            clear.kind.to_db(),
            status_to_db(order.status()),
            time_to_db(now)?,
            order.amount.0,
            clear.mobile_tag,
            clear.renewal_of_tag,
            seal_payload(&data_key, order)?,
        ],
    )?;
    Ok(())
}

pub(crate) fn data_key(conn: &Connection, keys: &Keys, number: &OrderNumber) -> Result<SecretKey> {
    let row: Option<(Option<i64>, Option<Vec<u8>>)> = conn
        .query_row(
            "SELECT o.purged_at, k.wrapped FROM orders o LEFT JOIN order_keys k USING (number)
             WHERE o.number = ?1",
            [number.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    match row {
        None => Err(StoreError::UnknownOrder(*number)),
        Some((Some(_), _)) => Err(StoreError::Purged(*number)),
        Some((None, None)) => Err(StoreError::corrupt(format!("order {number} has no key"))),
        Some((None, Some(wrapped))) => unwrap_data_key(keys, &wrapped, number),
    }
}

fn unwrap_data_key(keys: &Keys, wrapped: &[u8], number: &OrderNumber) -> Result<SecretKey> {
    crypto::unwrap_key(&keys.wrap, wrapped, number.as_str()).map_err(|_| StoreError::Decrypt {
        what: format!("the key of order {number}"),
    })
}

/// An order's sealed payload and wrapped key, each `None` when absent.
type SealedOrder = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Reads and opens an order; with `mobile_tag`, only if the tag matches.
pub(crate) fn read_order(
    conn: &Connection,
    keys: &Keys,
    number: &OrderNumber,
    mobile_tag: Option<&[u8]>,
) -> Result<Option<Order>> {
    let row: Option<SealedOrder> = conn
        .query_row(
            "SELECT o.payload, k.wrapped FROM orders o LEFT JOIN order_keys k USING (number)
             WHERE o.number = ?1 AND (?2 IS NULL OR o.mobile_tag = ?2)",
            params![number.as_str(), mobile_tag],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (payload, wrapped) = match row {
        None | Some((None, _)) => return Ok(None),
        Some((Some(payload), Some(wrapped))) => (payload, wrapped),
        Some((Some(_), None)) => {
            return Err(StoreError::corrupt(format!("order {number} has no key")));
        }
    };
    let data_key = unwrap_data_key(keys, &wrapped, number)?;
    let json = crypto::open(&data_key, &payload, &payload_aad(number)).map_err(|_| {
        StoreError::Decrypt {
            what: format!("the payload of order {number}"),
        }
    })?;
    let order: Order = serde_json::from_slice(&json).map_err(|source| StoreError::Json {
        what: "an order",
        source,
    })?;
    if order.number != *number {
        return Err(StoreError::corrupt(format!(
            "order {number} holds the payload of {}",
            order.number
        )));
    }
    Ok(Some(order))
}
