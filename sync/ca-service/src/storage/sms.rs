//! What the SMS gateway simulator keeps: the codes it sent (with their
//! tries left) and the messages, for tests and the back office.

use super::StorageResult;
use time::OffsetDateTime;

/// A code to send, unless the last one for this mobile is too recent.
#[derive(Debug, Clone)]
pub struct NewSmsCode<'a> {
    pub mobile: &'a str,
    pub purpose: &'a str,
    pub code: &'a str,
    /// The message as the customer receives it.
    pub text: &'a str,
    pub now: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub tries: u32,
    /// No second code for the same mobile (any purpose) before this.
    pub min_interval: time::Duration,
    /// At most this many codes to the same mobile in 24 hours.
    pub daily_cap: u32,
    /// A code for one unit's account (registering, resetting its
    /// password): it verifies only for this USCC.
    pub uscc: Option<&'a str>,
    /// For a unit's code to a mobile that is not the one on file: at most
    /// this many such codes per USCC within the window. The mobile on file
    /// is never held back by it, so a stranger cannot lock the holder out.
    pub unit_cap: Option<UnitCap>,
}

/// Codes per unit to mobiles other than the one on file.
#[derive(Debug, Clone, Copy)]
pub struct UnitCap {
    pub max: u32,
    pub window: time::Duration,
}

/// What became of sending a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// The last code went out too recently: wait this many seconds.
    TooSoon {
        wait_secs: u32,
    },
    /// The mobile had its day's codes: the oldest of them leaves the 24
    /// hours in this many seconds.
    DailyCapReached {
        wait_secs: u32,
    },
    /// The unit had its codes to other mobiles for the window: the oldest
    /// of them leaves it in this many seconds.
    UnitCapReached {
        wait_secs: u32,
    },
}

/// What became of checking a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Right: the code is used up.
    Verified,
    Wrong {
        tries_left: u32,
    },
    /// No code, expired, used, or no tries left.
    NoValidCode,
}

/// A message the gateway sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSms {
    pub mobile: String,
    pub purpose: String,
    pub text: String,
    pub sent_at: OffsetDateTime,
}

/// The SMS gateway simulator's storage.
pub trait SmsStorage {
    /// Sends a message that tells the customer something (no code).
    fn send_sms_notice(
        &self,
        mobile: &str,
        purpose: &str,
        text: &str,
        now: OffsetDateTime,
    ) -> StorageResult<()>;
    fn send_sms_code(&self, code: &NewSmsCode<'_>) -> StorageResult<SendOutcome>;
    /// Checks the latest code for (mobile, purpose); a unit's code only
    /// for its own `uscc`.
    fn verify_sms_code(
        &self,
        mobile: &str,
        purpose: &str,
        uscc: Option<&str>,
        code: &str,
        now: OffsetDateTime,
    ) -> StorageResult<VerifyOutcome>;
    /// The latest `limit` messages, newest first.
    fn sms_messages(&self, limit: u32) -> StorageResult<Vec<StoredSms>>;
}
