//! Amounts of money in integer fen (分, 1/100 yuan).
//!
//! Floats never touch money: 0.1 + 0.2 is not 0.3 in binary floating point,
//! and a receipt that is off by one fen is a complaint. Every operation is
//! integer arithmetic and checked, so an overflow is an error the caller
//! sees rather than a wrapped or saturated amount.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::lang::{Lang, Localized};

/// Fen per yuan.
const FEN_PER_YUAN: i64 = 100;

/// An amount of money in fen. Negative amounts are allowed (refunds,
/// differences) but never parsed from customer input.
///
/// Serialised as the bare integer number of fen.
///
/// ```
/// use kiosk_domain::money::Fen;
/// let price = Fen::from_yuan_fen(1234, 50).unwrap();
/// assert_eq!(price, Fen(123_450));
/// assert_eq!(price.to_string(), "¥1234.50");
/// assert_eq!("¥1234.5".parse::<Fen>(), Ok(price));
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// No money.
    pub const ZERO: Fen = Fen(0);

    /// `yuan` yuan and `fen` fen, or `None` if `fen` is 100 or more (which
    /// is almost certainly a mix-up of units rather than an intent).
    pub const fn from_yuan_fen(yuan: u32, fen: u8) -> Option<Fen> {
        if fen >= 100 {
            return None;
        }
        // Both fit comfortably: u32::MAX * 100 + 99 is far below i64::MAX.
        Some(Fen(yuan as i64 * FEN_PER_YUAN + fen as i64))
    }

    /// The sum, or `None` on overflow.
    pub const fn checked_add(self, other: Fen) -> Option<Fen> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Fen(sum)),
            None => None,
        }
    }

    /// The difference, or `None` on overflow.
    pub const fn checked_sub(self, other: Fen) -> Option<Fen> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Fen(difference)),
            None => None,
        }
    }

    /// The amount times `quantity`, or `None` on overflow.
    pub const fn checked_mul(self, quantity: u32) -> Option<Fen> {
        match self.0.checked_mul(quantity as i64) {
            Some(product) => Some(Fen(product)),
            None => None,
        }
    }

    /// The total of `amounts`, or `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Fen>) -> Option<Fen> {
        amounts
            .into_iter()
            .try_fold(Fen::ZERO, |total, amount| total.checked_add(amount))
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Fen {
    /// `¥1234.50`; negative amounts as `-¥12.50`. No thousands separators,
    /// so the output always parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.is_negative() { "-" } else { "" };
        // unsigned_abs, because -i64::MIN does not fit in an i64.
        let magnitude = self.0.unsigned_abs();
        let per_yuan = FEN_PER_YUAN.unsigned_abs();
        write!(
            f,
            "{sign}¥{}.{:02}",
            magnitude / per_yuan,
            magnitude % per_yuan
        )
    }
}

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseFenError {
    /// Nothing was entered.
    #[error("Please enter an amount.")]
    Empty,
    /// Not digits with an optional `¥` and decimal point.
    #[error("This is not an amount. Please enter it like 12.50.")]
    Format,
    /// More than two digits after the decimal point.
    #[error(
        "An amount has at most two digits after the decimal point. Please enter it like 12.50."
    )]
    TooManyDecimals,
    /// A minus sign.
    #[error("The amount cannot be negative. Please enter it like 12.50.")]
    Negative,
    /// Too large to represent.
    #[error("This amount is too large. Please check it.")]
    TooLarge,
}

impl Localized for ParseFenError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty => "请输入金额".to_owned(),
                Self::Format => "金额格式不对，请按 12.50 这样的格式输入".to_owned(),
                Self::TooManyDecimals => {
                    "金额最多精确到分（小数点后两位），请按 12.50 这样的格式输入".to_owned()
                }
                Self::Negative => "金额不能为负数，请按 12.50 这样的格式输入".to_owned(),
                Self::TooLarge => "金额太大，请核对".to_owned(),
            },
        }
    }
}

/// Whether `digits` is a non-empty run of ASCII digits.
fn is_digits(digits: &str) -> bool {
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The value of a run of ASCII digits, already checked by [`is_digits`].
fn digits_value(digits: &str) -> Result<i64, ParseFenError> {
    digits.bytes().try_fold(0i64, |acc, d| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(i64::from(d - b'0')))
            .ok_or(ParseFenError::TooLarge)
    })
}

impl FromStr for Fen {
    type Err = ParseFenError;

    /// Parses `12`, `12.3`, `12.34`, optionally prefixed with `¥` or the
    /// full-width `￥` a Chinese input method types. Exact: never goes
    /// through a float.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ParseFenError::Empty);
        }
        let number = trimmed
            .strip_prefix('¥')
            .or_else(|| trimmed.strip_prefix('￥'))
            .unwrap_or(trimmed);
        if trimmed.starts_with('-') || number.starts_with('-') {
            return Err(ParseFenError::Negative);
        }
        let (yuan, decimals) = number.split_once('.').unwrap_or((number, "00"));
        if !is_digits(yuan) || !is_digits(decimals) {
            return Err(ParseFenError::Format);
        }
        let fen = match decimals.len() {
            1 => digits_value(decimals)? * 10,
            2 => digits_value(decimals)?,
            _ => return Err(ParseFenError::TooManyDecimals),
        };
        digits_value(yuan)?
            .checked_mul(FEN_PER_YUAN)
            .and_then(|fen_of_yuan| fen_of_yuan.checked_add(fen))
            .map(Fen)
            .ok_or(ParseFenError::TooLarge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::test_support::assert_localized;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<Fen, ParseFenError> {
        s.parse()
    }

    #[test]
    fn builds_from_yuan_and_fen() {
        assert_eq!(Fen::from_yuan_fen(12, 34), Some(Fen(1234)));
        assert_eq!(Fen::from_yuan_fen(0, 99), Some(Fen(99)));
        assert_eq!(Fen::from_yuan_fen(0, 100), None);
        assert_eq!(
            Fen::from_yuan_fen(u32::MAX, 99),
            Some(Fen(i64::from(u32::MAX) * 100 + 99))
        );
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Fen(150).checked_add(Fen(50)), Some(Fen(200)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(150).checked_sub(Fen(200)), Some(Fen(-50)));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen(150).checked_mul(3), Some(Fen(450)));
        assert_eq!(Fen(150).checked_mul(0), Some(Fen::ZERO));
        assert_eq!(Fen(i64::MAX / 2 + 1).checked_mul(2), None);
        assert_eq!(Fen::checked_sum([Fen(1), Fen(2), Fen(3)]), Some(Fen(6)));
        assert_eq!(Fen::checked_sum([]), Some(Fen::ZERO));
        assert_eq!(Fen::checked_sum([Fen(i64::MAX), Fen(1)]), None);
    }

    #[test]
    fn displays_yuan_with_two_decimals() {
        assert_eq!(Fen(123_450).to_string(), "¥1234.50");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(0).to_string(), "¥0.00");
        assert_eq!(Fen(100).to_string(), "¥1.00");
        assert_eq!(Fen(-1250).to_string(), "-¥12.50");
        assert_eq!(Fen(-5).to_string(), "-¥0.05");
        assert_eq!(Fen(i64::MIN).to_string(), "-¥92233720368547758.08");
        assert_eq!(Fen(i64::MAX).to_string(), "¥92233720368547758.07");
    }

    #[test]
    fn parses_exact_amounts() {
        assert_eq!(parse("12"), Ok(Fen(1200)));
        assert_eq!(parse("12.3"), Ok(Fen(1230)));
        assert_eq!(parse("12.34"), Ok(Fen(1234)));
        assert_eq!(parse("12.05"), Ok(Fen(1205)));
        assert_eq!(parse("¥12.34"), Ok(Fen(1234)));
        assert_eq!(parse("￥12.34"), Ok(Fen(1234)));
        assert_eq!(parse(" 0.01 "), Ok(Fen(1)));
        assert_eq!(parse("007.00"), Ok(Fen(700)));
        // 0.1 + 0.2 style inputs that floats would get wrong.
        assert_eq!(parse("0.29"), Ok(Fen(29)));
        assert_eq!(parse("1.15"), Ok(Fen(115)));
        assert_eq!(parse("92233720368547758.07"), Ok(Fen(i64::MAX)));
    }

    #[test]
    fn rejects_malformed_amounts() {
        assert_eq!(parse(""), Err(ParseFenError::Empty));
        assert_eq!(parse(" "), Err(ParseFenError::Empty));
        for input in [
            "¥", "12.", ".5", "1.2.3", "1,234.50", "12 .34", "¥ 12", "+12", "12元", "1e3", "1.2x",
            "abc", "NaN",
        ] {
            assert_eq!(parse(input), Err(ParseFenError::Format), "{input}");
        }
    }

    #[test]
    fn rejects_more_than_two_decimals() {
        assert_eq!(parse("12.345"), Err(ParseFenError::TooManyDecimals));
        assert_eq!(parse("12.340"), Err(ParseFenError::TooManyDecimals));
        // Reported as precision, not as a huge number.
        assert_eq!(
            parse("1.2345678901234567890123"),
            Err(ParseFenError::TooManyDecimals)
        );
    }

    #[test]
    fn rejects_negative_amounts() {
        for input in ["-1", "-0.01", "¥-1", "-¥1"] {
            assert_eq!(parse(input), Err(ParseFenError::Negative), "{input}");
        }
    }

    #[test]
    fn rejects_overflow() {
        assert_eq!(parse("92233720368547758.08"), Err(ParseFenError::TooLarge));
        assert_eq!(parse("92233720368547759"), Err(ParseFenError::TooLarge));
        assert_eq!(
            parse("99999999999999999999999999"),
            Err(ParseFenError::TooLarge)
        );
    }

    #[test]
    fn serialises_as_bare_fen() {
        assert_eq!(serde_json::to_string(&Fen(1234)).unwrap(), "1234");
        assert_eq!(serde_json::from_str::<Fen>("-5").unwrap(), Fen(-5));
    }

    #[test]
    fn orders_by_amount() {
        assert!(Fen(-1) < Fen::ZERO);
        assert!(Fen(99) < Fen(100));
    }

    #[test]
    fn errors_speak_both_languages() {
        for error in [
            ParseFenError::Empty,
            ParseFenError::Format,
            ParseFenError::TooManyDecimals,
            ParseFenError::Negative,
            ParseFenError::TooLarge,
        ] {
            assert_localized(&error);
        }
    }

    proptest! {
        #[test]
        fn display_parses_back(fen in 0..=i64::MAX) {
            prop_assert_eq!(parse(&Fen(fen).to_string()), Ok(Fen(fen)));
        }

        #[test]
        fn yuan_fen_text_parses_exactly(yuan in 0u32.., fen in 0u8..100) {
            let expected = Fen::from_yuan_fen(yuan, fen).unwrap();
            prop_assert_eq!(parse(&format!("{yuan}.{fen:02}")), Ok(expected));
            if fen % 10 == 0 {
                prop_assert_eq!(parse(&format!("{yuan}.{}", fen / 10)), Ok(expected));
            }
            if fen == 0 {
                prop_assert_eq!(parse(&yuan.to_string()), Ok(expected));
            }
        }

        #[test]
        fn sum_matches_integer_arithmetic(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            prop_assert_eq!(Fen(a).checked_add(Fen(b)), Some(Fen(a + b)));
            prop_assert_eq!(Fen(a).checked_sub(Fen(b)), Some(Fen(a - b)));
        }
    }
}
