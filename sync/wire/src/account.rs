//! Enterprise accounts (spec §3.4), online only: the USCC is the login
//! name. Register (with an SMS code, purpose `register`), sign in for a
//! session token, forgot password (SMS code to the mobile on file, purpose
//! `reset_password`, then the customer's own new password: never a fixed
//! default), change password, change mobile (SMS code to the *new* number,
//! purpose `change_mobile`), a request for review by the CA when the old
//! number is lost, and the unit's information.
//!
//! The password rules ([`check_password`]) are the domain's, so that the
//! kiosk checks them as the customer types and the CA applies the very same
//! function.
//! Passwords travel as [`Password`], whose `Debug` never shows them.
//!
//! A route that needs a session takes `Authorization: Bearer <token>`.
//! The SMS code goes straight to the route that needs it: the kiosk does not
//! call `/v1/sms/verify` first (that would use the code up).

use crate::order::parse;
use crate::problem::Problem;
use kiosk_domain::ids::{MobileNumber, Uscc};
use kiosk_domain::lang::{Lang, Localized};
use kiosk_domain::order::text::UnitName;
use serde::{Deserialize, Serialize};

pub use kiosk_domain::account::{
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, PasswordError, check_new_password, check_password,
};

/// A password as it travels: serialised as a plain string, but `Debug`
/// prints `Password(****)`, so `tracing::debug!(?request)` is safe.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text, for the password hash only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

fn password_problem(field: &str, e: PasswordError) -> Box<Problem> {
    Box::new(Problem::invalid_field(field, &e))
}

fn rules(field: &str, password: &Password, uscc: &str) -> Result<(), Box<Problem>> {
    check_password(password.expose(), uscc).map_err(|e| password_problem(field, e))
}

/// A password that is only checked against its hash: present and bounded
/// (the rules may have changed since it was set).
fn bounded(field: &str, password: &Password) -> Result<(), Box<Problem>> {
    match password.expose().chars().count() {
        0 => Err(password_problem(field, PasswordError::TooShort)),
        n if n > PASSWORD_MAX_CHARS => Err(password_problem(field, PasswordError::TooLong)),
        _ => Ok(()),
    }
}

/// A 6-digit SMS code (the same rule as `/v1/sms/verify`).
fn sms_code<'a>(field: &str, code: &'a str) -> Result<&'a str, Box<Problem>> {
    let code = code.trim();
    if kiosk_domain::account::is_sms_code(code) {
        Ok(code)
    } else {
        Err(Box::new(Problem::invalid_field(
            field,
            &AccountFieldError::SmsCode,
        )))
    }
}

/// How a review request names a capture the kiosk uploaded: this prefix
/// and the capture's SHA-256 in lower-case hex (`sha256:<64 hex>`).
pub const CAPTURE_PREFIX: &str = "sha256:";

/// The most bytes one review capture may have (`PUT
/// /v1/accounts/mobile-reviews/captures/{sha256}`): 1 MiB, the size of a
/// document the kiosk's camera makes at most.
pub const REVIEW_CAPTURE_MAX_BYTES: usize = 1 << 20;

/// The media type of a review capture: a JPEG photograph.
pub const REVIEW_CAPTURE_MEDIA_TYPE: &str = "image/jpeg";

/// Whether `bytes` start as a JPEG file does (SOI and a marker: `FF D8 FF`).
#[must_use]
pub fn looks_like_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// The reference of the capture whose SHA-256 is `sha256_hex` (lower-case
/// hex): `sha256:<hex>`.
#[must_use]
pub fn capture_reference(sha256_hex: &str) -> String {
    format!("{CAPTURE_PREFIX}{sha256_hex}")
}

/// The SHA-256 (lower-case hex) a capture reference names; `None` if the
/// text is not `sha256:` and 64 lower-case hex digits.
#[must_use]
pub fn capture_digest(reference: &str) -> Option<&str> {
    reference
        .strip_prefix(CAPTURE_PREFIX)
        .filter(|hex| crate::hex::is_sha256(hex))
}

/// A reference to a capture the kiosk uploaded: `sha256:` and the
/// capture's SHA-256 in 64 lower-case hex digits (see [`capture_digest`]).
/// Whether the calling kiosk did upload it, the CA checks.
fn capture_ref<'a>(field: &str, text: &'a str) -> Result<&'a str, Box<Problem>> {
    if capture_digest(text).is_some() {
        Ok(text)
    } else {
        Err(Box::new(Problem::invalid_field(
            field,
            &AccountFieldError::Capture,
        )))
    }
}

/// The body of `POST /v1/accounts` (register). The kiosk has checked the
/// two password entries with [`check_new_password`]; the CA gets one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterV1 {
    pub unit_name: String,
    /// The login name.
    pub uscc: String,
    pub password: Password,
    pub mobile: String,
    /// The code sent for purpose `register` to `mobile`.
    pub sms_code: String,
}

/// A registration, every field checked.
#[derive(Debug, Clone)]
pub struct ValidRegister<'a> {
    pub unit_name: UnitName,
    pub uscc: Uscc,
    pub mobile: MobileNumber,
    pub sms_code: &'a str,
}

impl RegisterV1 {
    /// Each field with the domain's rules, the password with
    /// [`check_password`].
    pub fn validate(&self) -> Result<ValidRegister<'_>, Box<Problem>> {
        let unit_name = parse::<UnitName>("unit_name", &self.unit_name)?;
        let uscc = parse::<Uscc>("uscc", &self.uscc)?;
        rules("password", &self.password, uscc.as_str())?;
        Ok(ValidRegister {
            unit_name,
            uscc,
            mobile: parse("mobile", &self.mobile)?,
            sms_code: sms_code("sms_code", &self.sms_code)?,
        })
    }
}

/// The body of `POST /v1/accounts/session` (sign in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInV1 {
    pub uscc: String,
    pub password: Password,
}

impl SignInV1 {
    /// The USCC; the password is only bounded.
    pub fn validate(&self) -> Result<Uscc, Box<Problem>> {
        let uscc = parse::<Uscc>("uscc", &self.uscc)?;
        bounded("password", &self.password)?;
        Ok(uscc)
    }
}

/// The answer of a sign in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionV1 {
    /// Sent back as `Authorization: Bearer <token>`; 256 random bits in hex.
    pub token: String,
    /// The session ends after this many seconds without a call.
    pub idle_timeout_secs: u32,
    /// RFC 3339: the session ends then at the latest, however busy.
    pub expires_at: String,
}

impl std::fmt::Debug for SessionV1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionV1")
            .field("token", &"****")
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The body of `POST /v1/accounts/password-reset` (forgot password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordV1 {
    pub uscc: String,
    /// The mobile on file.
    pub mobile: String,
    /// The code sent for purpose `reset_password` to `mobile`.
    pub sms_code: String,
    pub new_password: Password,
}

impl ResetPasswordV1 {
    pub fn validate(&self) -> Result<(Uscc, MobileNumber, &str), Box<Problem>> {
        let uscc = parse::<Uscc>("uscc", &self.uscc)?;
        let mobile = parse("mobile", &self.mobile)?;
        let code = sms_code("sms_code", &self.sms_code)?;
        rules("new_password", &self.new_password, uscc.as_str())?;
        Ok((uscc, mobile, code))
    }
}

/// The body of `POST /v1/accounts/me/password` (signed in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordV1 {
    pub old_password: Password,
    pub new_password: Password,
}

impl ChangePasswordV1 {
    /// The new password against the rules for the signed-in `uscc`.
    pub fn validate(&self, uscc: &Uscc) -> Result<(), Box<Problem>> {
        bounded("old_password", &self.old_password)?;
        rules("new_password", &self.new_password, uscc.as_str())
    }
}

/// The body of `POST /v1/accounts/me/mobile` (signed in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeMobileV1 {
    pub new_mobile: String,
    /// The code sent for purpose `change_mobile` to `new_mobile`.
    pub sms_code: String,
}

impl ChangeMobileV1 {
    pub fn validate(&self) -> Result<(MobileNumber, &str), Box<Problem>> {
        Ok((
            parse("new_mobile", &self.new_mobile)?,
            sms_code("sms_code", &self.sms_code)?,
        ))
    }
}

/// The body of `POST /v1/accounts/mobile-reviews`: the old number is lost,
/// so the CA's staff decide from the business licence (with the unit's
/// seal) and the handler's ID document the kiosk photographed. The kiosk
/// first uploads each photograph (`PUT
/// /v1/accounts/mobile-reviews/captures/{sha256}`, a JPEG of at most
/// [`REVIEW_CAPTURE_MAX_BYTES`]) and names it here by its reference
/// ([`capture_reference`]); a capture another kiosk uploaded, or one not
/// referenced within a day of its upload (then removed), is refused
/// (`invalid_field` naming the field). No session is needed (a customer
/// who lost the number may have forgotten the password too); the code
/// proves the new number reaches the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MobileReviewRequestV1 {
    pub uscc: String,
    pub new_mobile: String,
    /// The code sent for purpose `change_mobile` to `new_mobile`.
    pub sms_code: String,
    /// The business licence photograph (with the unit's seal):
    /// `sha256:<64 lower-case hex>`, the SHA-256 of a capture this kiosk
    /// uploaded.
    pub licence_capture: String,
    /// The handler's ID document photograph: `sha256:<64 lower-case hex>`,
    /// the SHA-256 of a capture this kiosk uploaded.
    pub id_capture: String,
}

/// A review request, every field checked.
#[derive(Debug, Clone)]
pub struct ValidMobileReview<'a> {
    pub uscc: Uscc,
    pub new_mobile: MobileNumber,
    pub sms_code: &'a str,
    /// `sha256:<hex>` ([`capture_digest`] gives the digest).
    pub licence_capture: &'a str,
    /// `sha256:<hex>`.
    pub id_capture: &'a str,
}

impl MobileReviewRequestV1 {
    pub fn validate(&self) -> Result<ValidMobileReview<'_>, Box<Problem>> {
        Ok(ValidMobileReview {
            uscc: parse("uscc", &self.uscc)?,
            new_mobile: parse("new_mobile", &self.new_mobile)?,
            sms_code: sms_code("sms_code", &self.sms_code)?,
            licence_capture: capture_ref("licence_capture", &self.licence_capture)?,
            id_capture: capture_ref("id_capture", &self.id_capture)?,
        })
    }
}

/// A review request as the CA keeps it (`202` answer of the request; the
/// back office's list at `GET /v1/admin/mobile-reviews`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileReviewV1 {
    pub id: String,
    pub uscc: String,
    pub new_mobile: String,
    /// The business licence capture's reference (`sha256:<hex>`; staff
    /// see it at `GET /admin/mobile-reviews/{id}/captures/licence`).
    pub licence_capture: String,
    /// The ID document capture's reference (`sha256:<hex>`; staff see it
    /// at `GET /admin/mobile-reviews/{id}/captures/id`).
    pub id_capture: String,
    /// `pending`, `approved` (the mobile on file is now `new_mobile`) or
    /// `rejected` (see `reason`).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// RFC 3339.
    pub requested_at: String,
}

/// The answer of `PUT /v1/accounts/mobile-reviews/captures/{sha256}`
/// (201 when the CA stored it now, 200 when this kiosk had uploaded the
/// same bytes before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCaptureV1 {
    /// What a review request names it by: `sha256:<hex>`.
    pub reference: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The unit's information (`GET /v1/accounts/me`, and the answer of
/// register and change mobile). Never holds the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountV1 {
    pub unit_name: String,
    pub uscc: String,
    /// The mobile on file (the kiosk masks it on screen).
    pub mobile: String,
    /// RFC 3339.
    pub registered_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccountFieldError {
    SmsCode,
    Capture,
}

impl Localized for AccountFieldError {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::SmsCode => (
                "请输入短信中的6位数字验证码",
                "Please enter the 6-digit code from the text message.",
            ),
            Self::Capture => (
                "证件照片未上传完整，请重新拍摄",
                "A document capture is missing. Please capture it again.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::fixtures::USCC;

    #[test]
    fn password_rules() {
        assert_eq!(check_password("abc12345", USCC), Ok(()));
        assert_eq!(check_password("Ab1!xyz9", USCC), Ok(()));
        assert_eq!(
            check_password("abc1234", USCC),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_password(&format!("a1{}", "x".repeat(63)), USCC),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_password("abcdefgh", USCC),
            Err(PasswordError::LettersAndDigits)
        );
        assert_eq!(
            check_password("12345678", USCC),
            Err(PasswordError::LettersAndDigits)
        );
        assert_eq!(
            check_password("abc 12345", USCC),
            Err(PasswordError::Characters)
        );
        assert_eq!(
            check_password("密码abc12345", USCC),
            Err(PasswordError::Characters)
        );
        assert_eq!(check_password(USCC, USCC), Err(PasswordError::SameAsUscc));
        assert_eq!(
            check_password(&USCC.to_ascii_lowercase(), USCC),
            Err(PasswordError::SameAsUscc)
        );
        assert_eq!(
            check_new_password("abc12345", "abc12346", USCC),
            Err(PasswordError::Mismatch)
        );
        assert_eq!(check_new_password("abc12345", "abc12345", USCC), Ok(()));
        assert!(!PasswordError::Mismatch.message(Lang::ZhCn).is_empty());
    }

    #[test]
    fn debug_never_shows_a_password_or_token() {
        let r = RegisterV1 {
            unit_name: "演示科技有限公司".to_owned(),
            uscc: USCC.to_owned(),
            password: Password::new("secret123"),
            mobile: "13800138000".to_owned(),
            sms_code: "123456".to_owned(),
        };
        assert!(!format!("{r:?}").contains("secret123"));
        let s = SessionV1 {
            token: "ab".repeat(32),
            idle_timeout_secs: 1800,
            expires_at: String::new(),
        };
        assert!(!format!("{s:?}").contains(&"ab".repeat(32)));
        // On the wire it is a plain string.
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["password"], "secret123");
    }

    #[test]
    fn a_capture_is_referenced_by_its_sha256() {
        let digest = "0123456789abcdef".repeat(4);
        let reference = capture_reference(&digest);
        assert_eq!(reference, format!("sha256:{digest}"));
        assert_eq!(capture_digest(&reference), Some(digest.as_str()));
        let good = MobileReviewRequestV1 {
            uscc: USCC.to_owned(),
            new_mobile: "13900139000".to_owned(),
            sms_code: "123456".to_owned(),
            licence_capture: reference.clone(),
            id_capture: reference,
        };
        assert!(good.validate().is_ok());
        for bad in [
            String::new(),
            digest.clone(),
            format!("sha256:{}", digest.to_ascii_uppercase()),
            format!("SHA256:{digest}"),
            format!("sha256:{}", &digest[1..]),
            format!("sha256:{digest}0"),
            format!(" sha256:{digest}"),
            "capture/licence-7f3a".to_owned(),
        ] {
            assert_eq!(capture_digest(&bad), None, "{bad:?}");
            let mut r = good.clone();
            r.licence_capture.clone_from(&bad);
            assert_eq!(
                r.validate().unwrap_err().field.as_deref(),
                Some("licence_capture")
            );
            let mut r = good.clone();
            r.id_capture = bad;
            assert_eq!(
                r.validate().unwrap_err().field.as_deref(),
                Some("id_capture")
            );
        }
        assert!(looks_like_jpeg(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!looks_like_jpeg(&[0xFF, 0xD8]));
        assert!(!looks_like_jpeg(b"\x89PNG"));
    }

    #[test]
    fn registration_names_each_bad_field() {
        let good = RegisterV1 {
            unit_name: "演示科技有限公司".to_owned(),
            uscc: USCC.to_owned(),
            password: Password::new("secret123"),
            mobile: "13800138000".to_owned(),
            sms_code: "123456".to_owned(),
        };
        assert!(good.validate().is_ok());
        let field = |r: RegisterV1| r.validate().unwrap_err().field.unwrap();
        let mut bad = good.clone();
        bad.uscc = "91110108551385082A".to_owned();
        assert_eq!(field(bad), "uscc");
        let mut bad = good.clone();
        bad.password = Password::new(USCC);
        assert_eq!(field(bad), "password");
        let mut bad = good.clone();
        bad.mobile = "1234".to_owned();
        assert_eq!(field(bad), "mobile");
        let mut bad = good.clone();
        bad.sms_code = "12a456".to_owned();
        assert_eq!(field(bad), "sms_code");
        let mut bad = good;
        bad.unit_name = " ".to_owned();
        assert_eq!(field(bad), "unit_name");
    }
}
