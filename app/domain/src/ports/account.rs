//! The CA's enterprise-account service (spec §3.4), online only. The kiosk
//! keeps no account: a session token lives in the adapter's memory for as
//! long as the customer is signed in, and passwords and SMS codes only pass
//! through ([`Secret`]: never printed, never serialised, zeroed on drop).

use crate::account::AccountInfo;
use crate::ids::{MobileNumber, Uscc};
use crate::order::attachment::Attachment;
use crate::order::text::UnitName;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::atomic::{Ordering, compiler_fence};

/// A password or an SMS code as typed. `Debug` prints `****`; there is no
/// `Serialize`, so no journal or log can hold it.
pub struct Secret(Box<[u8]>);

impl Secret {
    #[must_use]
    pub fn new(typed: &str) -> Self {
        Self(typed.as_bytes().to_vec().into_boxed_slice())
    }

    /// The text, for the request to the CA only.
    #[must_use]
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&self.0);
        compiler_fence(Ordering::SeqCst);
    }
}

/// A signed-in session at the CA: its token, for the adapter only.
pub struct AccountSession(Secret);

impl AccountSession {
    #[must_use]
    pub fn new(token: &str) -> Self {
        Self(Secret::new(token))
    }

    #[must_use]
    pub fn token(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Debug for AccountSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountSession(****)")
    }
}

/// What an SMS code is for; a code for one purpose never does another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodePurpose {
    Register,
    ResetPassword,
    ChangeMobile,
}

/// Why the CA said no, in the words the screens need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountRefusal {
    /// Wrong USCC or password (one answer for both).
    SignInFailed,
    /// Too many failed sign-ins; again after this many seconds (if said).
    Locked {
        retry_after_secs: Option<u32>,
    },
    /// An account with this USCC exists already.
    AccountExists,
    CodeWrong,
    /// The code expired, was used, or none was sent.
    CodeExpired,
    /// A new code for this mobile only after this many seconds.
    TooSoon {
        retry_after_secs: Option<u32>,
    },
    /// The mobile is not the one on file for this USCC.
    MobileNotOnFile,
    /// The current password given to change it is wrong.
    PasswordWrong,
    /// The session ended at the CA (idle, expired, signed out elsewhere).
    SessionEnded,
    /// A field the CA does not accept (the kiosk checks first, so this is
    /// a rule that changed at the CA): its name in the protocol.
    Invalid {
        field: Option<String>,
    },
    /// Anything else the CA refused.
    Other,
}

/// A call that did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// No answer, or the CA cannot serve now: the account service is
    /// offline for the customer.
    #[error("the CA cannot be reached: {0}")]
    Unreachable(String),
    #[error("the CA refused: {0:?}")]
    Refused(AccountRefusal),
    /// The CA answered something the kiosk cannot use.
    #[error("the CA's answer is not usable: {0}")]
    Invalid(String),
}

/// A registration as typed (the password's second entry was checked on
/// the screen).
#[derive(Debug)]
pub struct Registration<'a> {
    pub unit_name: &'a UnitName,
    pub uscc: &'a Uscc,
    pub mobile: &'a MobileNumber,
    pub password: &'a Secret,
    pub code: &'a Secret,
}

/// 变更手机号 when the mobile on file is lost: the new number, the code sent
/// to it, and the documents the CA's staff decide from.
#[derive(Debug)]
pub struct MobileReview<'a> {
    pub uscc: &'a Uscc,
    pub new_mobile: &'a MobileNumber,
    pub code: &'a Secret,
    /// 营业执照（加盖公章）.
    pub licence: &'a Attachment,
    /// 办理人身份证.
    pub handler_id: &'a Attachment,
}

/// The CA's account service.
pub trait AccountPort: Clone + Send + Sync + 'static {
    /// Sends a 6-digit code to `mobile`, for registering or resetting the
    /// password of the unit `uscc` where the purpose is one of those;
    /// answers how many seconds before another may be sent.
    fn send_code(
        &self,
        mobile: &MobileNumber,
        purpose: CodePurpose,
        uscc: Option<&Uscc>,
    ) -> impl Future<Output = Result<u32, AccountError>> + Send;

    fn register(
        &self,
        registration: Registration<'_>,
    ) -> impl Future<Output = Result<AccountInfo, AccountError>> + Send;

    fn sign_in(
        &self,
        uscc: &Uscc,
        password: &Secret,
    ) -> impl Future<Output = Result<AccountSession, AccountError>> + Send;

    fn sign_out(
        &self,
        session: &AccountSession,
    ) -> impl Future<Output = Result<(), AccountError>> + Send;

    /// Forgot password: the code sent to the mobile on file, then the
    /// customer's own new password.
    fn reset_password(
        &self,
        uscc: &Uscc,
        mobile: &MobileNumber,
        code: &Secret,
        new_password: &Secret,
    ) -> impl Future<Output = Result<(), AccountError>> + Send;

    fn change_password(
        &self,
        session: &AccountSession,
        uscc: &Uscc,
        old_password: &Secret,
        new_password: &Secret,
    ) -> impl Future<Output = Result<(), AccountError>> + Send;

    /// Change mobile: the code was sent to the new number.
    fn change_mobile(
        &self,
        session: &AccountSession,
        new_mobile: &MobileNumber,
        code: &Secret,
    ) -> impl Future<Output = Result<AccountInfo, AccountError>> + Send;

    /// Sends the documents and asks the CA's staff for the new mobile;
    /// answers once the CA keeps the request.
    fn request_mobile_review(
        &self,
        review: MobileReview<'_>,
    ) -> impl Future<Output = Result<(), AccountError>> + Send;

    /// 单位主体信息.
    fn unit_info(
        &self,
        session: &AccountSession,
    ) -> impl Future<Output = Result<AccountInfo, AccountError>> + Send;
}
