//! SMS verification codes, sent through the CA's SMS gateway (the
//! reference service simulates it and shows the messages to tests and to
//! the back office): `POST /v1/sms/codes` sends a 6-digit code,
//! `POST /v1/sms/verify` checks it.

use crate::order::parse;
use crate::problem::Problem;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// What a code is for; a code for one purpose never verifies another.
pub const PURPOSES: &[&str] = &[
    "register",
    "reset_password",
    "change_mobile",
    "order_lookup",
];

/// The body of `POST /v1/sms/codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequestV1 {
    pub mobile: String,
    /// One of [`PURPOSES`].
    pub purpose: String,
}

impl SmsCodeRequestV1 {
    /// The mobile number (the domain's rules) and the purpose.
    pub fn validate(&self) -> Result<(MobileNumber, &'static str), Box<Problem>> {
        Ok((parse("mobile", &self.mobile)?, purpose(&self.purpose)?))
    }
}

/// The answer of `POST /v1/sms/codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCodeSentV1 {
    /// RFC 3339: the code is refused after this.
    pub expires_at: String,
    /// No new code for this mobile before this many seconds.
    pub resend_after_secs: u32,
}

/// The body of `POST /v1/sms/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsVerifyV1 {
    pub mobile: String,
    pub purpose: String,
    pub code: String,
}

impl SmsVerifyV1 {
    pub fn validate(&self) -> Result<(MobileNumber, &'static str, &str), Box<Problem>> {
        let mobile = parse("mobile", &self.mobile)?;
        let purpose = purpose(&self.purpose)?;
        let code = self.code.trim();
        if !kiosk_domain::account::is_sms_code(code) {
            return Err(Box::new(Problem::invalid_field(
                "code",
                &SmsFieldError::Code,
            )));
        }
        Ok((mobile, purpose, code))
    }
}

/// The answer of a successful `POST /v1/sms/verify` (a wrong code is a
/// problem: `sms_code_wrong` or `sms_code_expired`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsVerifiedV1 {
    pub verified: bool,
}

/// A message the simulated gateway "sent" (`GET /v1/admin/sms`): for tests
/// and the back office only, never for the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessageV1 {
    pub mobile: String,
    pub purpose: String,
    pub text: String,
    /// RFC 3339.
    pub sent_at: String,
}

fn purpose(text: &str) -> Result<&'static str, Box<Problem>> {
    PURPOSES
        .iter()
        .find(|p| **p == text)
        .copied()
        .ok_or_else(|| Box::new(Problem::invalid_field("purpose", &SmsFieldError::Purpose)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SmsFieldError {
    Purpose,
    Code,
}

impl Localized for SmsFieldError {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Purpose => (
                "验证码用途不正确，请联系工作人员",
                "The purpose of the code is not valid. Please ask staff.",
            ),
            Self::Code => (
                "请输入短信中的6位数字验证码",
                "Please enter the 6-digit code from the text message.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}
