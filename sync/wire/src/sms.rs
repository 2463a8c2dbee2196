//! SMS verification codes, sent through the CA's SMS gateway (the
//! reference service simulates it and shows the messages to tests and to
//! the back office): `POST /v1/sms/codes` sends a 6-digit code,
//! `POST /v1/sms/verify` checks it.

use crate::order::parse;
use crate::problem::Problem;
use kiosk_domain::ids::{MobileNumber, Uscc};
use kiosk_domain::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// What a code is for; a code for one purpose never verifies another.
pub const PURPOSES: &[&str] = &[
    "register",
    "reset_password",
    "change_mobile",
    "order_lookup",
];

/// The purposes whose code is for one unit's account: sent with the unit's
/// USCC, it verifies only for that USCC.
pub const UNIT_PURPOSES: &[&str] = &["register", "reset_password"];

/// The body of `POST /v1/sms/codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequestV1 {
    pub mobile: String,
    /// One of [`PURPOSES`].
    pub purpose: String,
    /// The unit's USCC: required for [`UNIT_PURPOSES`], not taken for the
    /// others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
}

impl SmsCodeRequestV1 {
    /// The mobile number (the domain's rules), the purpose, and for a
    /// unit's purpose its USCC.
    pub fn validate(&self) -> Result<(MobileNumber, &'static str, Option<Uscc>), Box<Problem>> {
        let mobile = parse("mobile", &self.mobile)?;
        let purpose = purpose(&self.purpose)?;
        Ok((mobile, purpose, unit(purpose, self.uscc.as_deref())?))
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
    /// As in [`SmsCodeRequestV1`]: a unit's code verifies for its USCC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
}

impl SmsVerifyV1 {
    pub fn validate(
        &self,
    ) -> Result<(MobileNumber, &'static str, Option<Uscc>, &str), Box<Problem>> {
        let mobile = parse("mobile", &self.mobile)?;
        let purpose = purpose(&self.purpose)?;
        let uscc = unit(purpose, self.uscc.as_deref())?;
        let code = self.code.trim();
        if !kiosk_domain::account::is_sms_code(code) {
            return Err(Box::new(Problem::invalid_field(
                "code",
                &SmsFieldError::Code,
            )));
        }
        Ok((mobile, purpose, uscc, code))
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

/// The USCC a code for `purpose` is sent and checked for: required for a
/// unit's purpose, refused for the others.
fn unit(purpose: &str, uscc: Option<&str>) -> Result<Option<Uscc>, Box<Problem>> {
    match (UNIT_PURPOSES.contains(&purpose), uscc) {
        (true, Some(uscc)) => Ok(Some(parse::<Uscc>("uscc", uscc)?)),
        (true, None) => Err(Box::new(Problem::invalid_field(
            "uscc",
            &SmsFieldError::UsccNeeded,
        ))),
        (false, None) => Ok(None),
        (false, Some(_)) => Err(Box::new(Problem::invalid_field(
            "uscc",
            &SmsFieldError::UsccNotTaken,
        ))),
    }
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
    UsccNeeded,
    UsccNotTaken,
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
            Self::UsccNeeded => (
                "请输入统一社会信用代码",
                "Please enter the unified social credit code.",
            ),
            Self::UsccNotTaken => (
                "此用途的验证码不需要统一社会信用代码",
                "A code for this purpose is not sent for a unit.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}
