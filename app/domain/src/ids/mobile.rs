//! Mainland China mobile phone numbers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{fold_input, mask};
use crate::lang::{Lang, Localized};

/// Digits in a mainland mobile number, without country code.
const LEN: usize = 11;

/// A mainland China mobile number: 11 digits matching `1[3-9]\d{9}`.
///
/// Parsing accepts the ways people write their number on forms: spaces or
/// hyphens between groups, and a leading `+86`, `0086` or `86` country code.
/// The stored form is the bare 11 digits, so the same phone always compares
/// equal however it was typed.
///
/// ```
/// use kiosk_domain::ids::MobileNumber;
/// let mobile: MobileNumber = "+86 138-1234-5678".parse()?;
/// assert_eq!(mobile.as_str(), "13812345678");
/// assert_eq!(mobile.masked(), "138****5678");
/// # Ok::<(), kiosk_domain::ids::MobileNumberError>(())
/// ```
// Debug is written by hand below: it masks, so `?value` in a log leaks nothing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

/// Why a mobile number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileNumberError {
    /// Nothing was entered.
    #[error("Please enter your mobile phone number.")]
    Empty,
    /// Something other than digits, spaces, hyphens and a country code.
    #[error("A mobile number contains only digits. Please enter it again.")]
    BadChar {
        /// The first character that is not a digit.
        found: char,
    },
    /// Not 11 digits once the country code is removed.
    #[error("A mobile number has 11 digits; you entered {len}. Please check it.")]
    Length {
        /// How many digits were entered.
        len: usize,
    },
    /// 11 digits, but not a mobile number (a landline, for example).
    #[error(
        "This is not a mobile number. Please enter an 11-digit mobile number starting with 1; landlines cannot be used."
    )]
    NotMobile,
}

impl Localized for MobileNumberError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty => "请输入手机号码".to_owned(),
                Self::BadChar { .. } => "手机号码只能填数字，请重新输入".to_owned(),
                Self::Length { len } => {
                    format!("手机号码应为11位数字，您输入了{len}位，请核对")
                }
                Self::NotMobile => {
                    "这不是手机号码，请输入以1开头的11位手机号码（不能用座机号码）".to_owned()
                }
            },
        }
    }
}

/// Removes a country code, if any. A bare `86` is only taken as one when 13
/// digits remain, since no mobile number starts with 8.
fn strip_country_code(number: &str) -> &str {
    if let Some(rest) = number
        .strip_prefix("+86")
        .or_else(|| number.strip_prefix("0086"))
    {
        return rest;
    }
    match number.strip_prefix("86") {
        Some(rest) if number.len() == LEN + 2 => rest,
        _ => number,
    }
}

impl MobileNumber {
    /// The number as 11 bare digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with the middle 4 digits hidden (`138****5678`), for
    /// screens and receipts.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

impl FromStr for MobileNumber {
    type Err = MobileNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let compact: String = fold_input(input)
            .chars()
            .filter(|&c| !c.is_whitespace() && c != '-')
            .collect();
        if compact.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        let digits = strip_country_code(&compact);
        if let Some(found) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(MobileNumberError::BadChar { found });
        }
        if digits.len() != LEN {
            return Err(MobileNumberError::Length { len: digits.len() });
        }
        match digits.as_bytes() {
            [b'1', b'3'..=b'9', ..] => Ok(Self(digits.to_owned())),
            _ => Err(MobileNumberError::NotMobile),
        }
    }
}

impl TryFrom<String> for MobileNumber {
    type Error = MobileNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<MobileNumber> for String {
    fn from(value: MobileNumber) -> Self {
        value.0
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MobileNumber").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::test_support::assert_localized;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<MobileNumber, MobileNumberError> {
        s.parse()
    }

    #[test]
    fn accepts_plain_number() {
        let mobile = parse("13812345678").unwrap();
        assert_eq!(mobile.as_str(), "13812345678");
        assert_eq!(mobile.to_string(), "13812345678");
    }

    #[test]
    fn strips_separators_and_country_codes() {
        for input in [
            " 138 1234 5678 ",
            "138-1234-5678",
            "+86 13812345678",
            "+86-138-1234-5678",
            "0086 138 1234 5678",
            "86-13812345678",
            "8613812345678",
            "１３８１２３４５６７８",
            "138\u{3000}1234\u{3000}5678",
        ] {
            assert_eq!(parse(input).unwrap().as_str(), "13812345678", "{input}");
        }
    }

    #[test]
    fn masks_middle_four_digits() {
        assert_eq!(parse("13812345678").unwrap().masked(), "138****5678");
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(parse(""), Err(MobileNumberError::Empty));
        assert_eq!(parse(" - "), Err(MobileNumberError::Empty));
    }

    #[test]
    fn rejects_non_digits() {
        assert_eq!(
            parse("138l2345678"),
            Err(MobileNumberError::BadChar { found: 'l' })
        );
        assert_eq!(
            parse("138+12345678"),
            Err(MobileNumberError::BadChar { found: '+' })
        );
        assert_eq!(
            parse("(138)12345678"),
            Err(MobileNumberError::BadChar { found: '(' })
        );
    }

    #[test]
    fn rejects_wrong_digit_count() {
        assert_eq!(
            parse("1381234567"),
            Err(MobileNumberError::Length { len: 10 })
        );
        assert_eq!(
            parse("138123456789"),
            Err(MobileNumberError::Length { len: 12 })
        );
        // "86" without 13 digits in all is not a country code.
        assert_eq!(parse("86138123456"), Err(MobileNumberError::NotMobile));
        assert_eq!(
            parse("+861381234567"),
            Err(MobileNumberError::Length { len: 10 })
        );
    }

    #[test]
    fn rejects_numbers_that_are_not_mobile() {
        for input in ["01012345678", "12012345678", "11012345678", "23812345678"] {
            assert_eq!(parse(input), Err(MobileNumberError::NotMobile), "{input}");
        }
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let mobile = parse("13812345678").unwrap();
        let json = serde_json::to_string(&mobile).unwrap();
        assert_eq!(json, "\"13812345678\"");
        assert_eq!(serde_json::from_str::<MobileNumber>(&json).unwrap(), mobile);
        assert!(serde_json::from_str::<MobileNumber>("\"12812345678\"").is_err());
    }

    #[test]
    fn errors_speak_both_languages() {
        for error in [
            MobileNumberError::Empty,
            MobileNumberError::BadChar { found: 'a' },
            MobileNumberError::Length { len: 10 },
            MobileNumberError::NotMobile,
        ] {
            assert_localized(&error);
        }
    }

    proptest! {
        #[test]
        fn accepts_exactly_the_mobile_pattern(digits in "[0-9]{11}") {
            let second = digits.as_bytes()[1];
            let expected = digits.starts_with('1') && (b'3'..=b'9').contains(&second);
            prop_assert_eq!(parse(&digits).is_ok(), expected);
        }

        #[test]
        fn formatting_does_not_change_the_number(
            number in "1[3-9][0-9]{9}",
            prefix in proptest::sample::select(vec!["", "+86", "+86 ", "0086", "86-"]),
        ) {
            let grouped = format!("{prefix}{} {}-{}", &number[..3], &number[3..7], &number[7..]);
            prop_assert_eq!(String::from(parse(&grouped).unwrap()), number);
        }
    }
}
