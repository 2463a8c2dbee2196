//! Enterprise accounts (spec §3.4): what the kiosk and the CA agree on.
//! The USCC is the login name; the password rules ([`check_password`]) are
//! one function, applied by the kiosk's screens as the customer types and
//! by the CA (through the wire) on every request.

use crate::ids::{MobileNumber, Uscc};
use crate::lang::{Lang, Localized};
use crate::order::text::UnitName;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// The longest: enough for any passphrase typed at a kiosk, and a bound on
/// the work a request can cause the CA's password hash.
pub const PASSWORD_MAX_CHARS: usize = 64;

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is shorter than {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    #[error("the password is longer than {PASSWORD_MAX_CHARS} characters")]
    TooLong,
    #[error("the password needs both letters and digits")]
    LettersAndDigits,
    /// Spaces, control characters or characters the kiosk's keyboard
    /// cannot type (only printable ASCII is allowed).
    #[error("the password holds characters that are not allowed")]
    Characters,
    #[error("the password is the USCC")]
    SameAsUscc,
    /// The two entries at registration (or for a new password) differ.
    #[error("the two passwords differ")]
    Mismatch,
}

impl Localized for PasswordError {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::TooShort => (
                "密码至少8位，须同时包含字母和数字",
                "The password needs at least 8 characters, with letters and digits.",
            ),
            Self::TooLong => (
                "密码不能超过64位",
                "The password may have at most 64 characters.",
            ),
            Self::LettersAndDigits => (
                "密码须同时包含字母和数字",
                "The password needs both letters and digits.",
            ),
            Self::Characters => (
                "密码只能包含字母、数字和英文符号，不能有空格",
                "The password may only hold letters, digits and symbols, without spaces.",
            ),
            Self::SameAsUscc => (
                "密码不能与统一社会信用代码相同",
                "The password must not be the unified social credit code.",
            ),
            Self::Mismatch => (
                "两次输入的密码不一致，请重新输入",
                "The two passwords are not the same. Please enter them again.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The password rules, the same on the kiosk and at the CA: 8 to 64
/// printable ASCII characters without spaces, letters and digits both, and
/// not the account's USCC (in any case).
///
/// # Errors
/// The first rule the password breaks.
pub fn check_password(password: &str, uscc: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    if !password.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PasswordError::Characters);
    }
    let letters = password.bytes().any(|b| b.is_ascii_alphabetic());
    let digits = password.bytes().any(|b| b.is_ascii_digit());
    if !(letters && digits) {
        return Err(PasswordError::LettersAndDigits);
    }
    if password.eq_ignore_ascii_case(uscc.trim()) {
        return Err(PasswordError::SameAsUscc);
    }
    Ok(())
}

/// The kiosk's check of a password typed twice, then the rules.
///
/// # Errors
/// [`PasswordError::Mismatch`], or the first rule broken.
pub fn check_new_password(password: &str, again: &str, uscc: &str) -> Result<(), PasswordError> {
    if password != again {
        return Err(PasswordError::Mismatch);
    }
    check_password(password, uscc)
}

/// Whether `code` looks like an SMS verification code: 6 ASCII digits.
#[must_use]
pub fn is_sms_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The unit an account stands for, as an application is pre-filled with
/// it (the customer may still change it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUnit {
    pub name: UnitName,
    pub uscc: Uscc,
}

/// An account's information as the CA holds it (单位主体信息). Never the
/// password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub unit: AccountUnit,
    /// 注册手机 (masked on screen).
    pub mobile: MobileNumber,
    pub registered_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rules() {
        let uscc = "91140100MA0GRXQ12X";
        assert_eq!(check_password("abc123", uscc), Err(PasswordError::TooShort));
        assert_eq!(
            check_password(&"a1".repeat(33), uscc),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_password("abcd 1234", uscc),
            Err(PasswordError::Characters)
        );
        assert_eq!(
            check_password("密码密码密码1234", uscc),
            Err(PasswordError::Characters)
        );
        assert_eq!(
            check_password("abcdefgh", uscc),
            Err(PasswordError::LettersAndDigits)
        );
        assert_eq!(
            check_password("91140100ma0grxq12x", uscc),
            Err(PasswordError::SameAsUscc)
        );
        assert_eq!(check_password("Shanxi#2026", uscc), Ok(()));
        assert_eq!(
            check_new_password("Shanxi#2026", "Shanxi#2025", uscc),
            Err(PasswordError::Mismatch)
        );
        assert_eq!(
            check_new_password("Shanxi#2026", "Shanxi#2026", uscc),
            Ok(())
        );
        assert!(is_sms_code("012345"));
        assert!(!is_sms_code("01234"));
        assert!(!is_sms_code("01234a"));
    }
}
