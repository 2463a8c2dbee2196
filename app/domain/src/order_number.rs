//! Order numbers made on the kiosk without the network, unique across
//! kiosks, and easy to read aloud over the phone.
//!
//! Format, 14 symbols of [`USCC_ALPHABET`] (no I, O, S, V or Z, so nothing
//! is mistaken for 1, 0, 5, U or 2):
//!
//! | symbols | meaning                                                     |
//! |---------|-------------------------------------------------------------|
//! | 1–3     | [`KioskCode`]: letters only, unique per kiosk               |
//! | 4–9     | the kiosk's local date, `YYMMDD`, 2000–2099                 |
//! | 10–13   | per-kiosk, per-day sequence number in base 31 (0..31⁴)      |
//! | 14      | check symbol                                                |
//!
//! Uniqueness needs no coordination: kiosk codes are unique, and each kiosk
//! numbers its own orders per day. The caller supplies the date and the
//! sequence number; this crate reads no clock and keeps no counter.
//!
//! # The check symbol
//!
//! Give symbol `i` (1-based, left to right, `i` = 1..13) the weight
//! `3^i mod 31`, and choose the check symbol `c` so that
//! `c + Σ vᵢ·3^i ≡ 0 (mod 31)`, i.e. the check symbol has weight `3^0 = 1`.
//! Because 3 is a primitive root modulo the prime 31, the 14 weights
//! `3^0..3^13` are distinct and non-zero. Then:
//!
//! - a single substitution of `a` by `b` changes the sum by `w·(b − a)`,
//!   non-zero mod 31 because 31 is prime and neither factor is a multiple
//!   of it;
//! - swapping differing symbols `a` and `b` at positions with weights `w₁`,
//!   `w₂` — adjacent or not — changes the sum by `(w₁ − w₂)·(b − a)`,
//!   non-zero for the same reason, since the weights are distinct.
//!
//! So every single-symbol typo and every transposition is caught.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::ids::{USCC_ALPHABET, alphabet_value};
use crate::lang::{Lang, Localized};

/// Symbols in a kiosk code.
const KIOSK_LEN: usize = 3;

/// Symbols in an order number.
const LEN: usize = 14;

/// Symbols in the sequence number.
const SEQ_LEN: usize = 4;

/// Number of symbols, the base of the sequence number and the check modulus.
const BASE: u32 = 31;

/// One more than the largest sequence number: 31⁴ = 923,521 orders per
/// kiosk per day.
pub const SEQ_LIMIT: u32 = BASE * BASE * BASE * BASE;

// Where each part sits in the 14 symbols.
const KIOSK: std::ops::Range<usize> = 0..KIOSK_LEN;
const DATE: std::ops::Range<usize> = KIOSK_LEN..KIOSK_LEN + 6;
const SEQ: std::ops::Range<usize> = DATE.end..DATE.end + SEQ_LEN;
const CHECK: usize = LEN - 1;

/// The first year of the century the two-digit year counts in.
const CENTURY: i32 = 2000;

/// Views bytes known to be ASCII (all symbols come from [`USCC_ALPHABET`])
/// as text.
fn ascii(bytes: &[u8]) -> &str {
    // Cannot fail for ASCII; the default only exists to avoid a panic path.
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn is_kiosk_letter(symbol: u8) -> bool {
    symbol.is_ascii_uppercase() && alphabet_value(symbol).is_some()
}

/// The code that makes a kiosk's order numbers its own: three letters of
/// [`USCC_ALPHABET`] (21 letters, so 9,261 kiosks), assigned when the kiosk
/// is provisioned and never reused.
///
/// ```
/// use kiosk_domain::order_number::KioskCode;
/// let kiosk: KioskCode = "axt".parse()?;
/// assert_eq!(kiosk.as_str(), "AXT");
/// # Ok::<(), kiosk_domain::order_number::KioskCodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KioskCode([u8; KIOSK_LEN]);

/// Why a kiosk code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KioskCodeError {
    /// Not 3 characters long.
    #[error(
        "A kiosk code is 3 letters; {len} characters were given. Please check this kiosk's settings."
    )]
    Length {
        /// How many characters were given.
        len: usize,
    },
    /// Not one of the 21 letters allowed.
    #[error(
        "Character {position} ({found}) of the kiosk code is not allowed: use letters other than I, O, S, V and Z. Please check this kiosk's settings."
    )]
    BadChar {
        /// 1-based position of the offending character.
        position: usize,
        /// The character found there, after upper-casing.
        found: char,
    },
}

impl Localized for KioskCodeError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Length { len } => {
                    format!("机器编号应为3个字母，现为{len}个字符，请检查本机设置")
                }
                Self::BadChar { position, found } => format!(
                    "机器编号第{position}位“{found}”不可用，只能用字母且不含I、O、S、V、Z，请检查本机设置"
                ),
            },
        }
    }
}

impl KioskCode {
    /// The three upper-case letters.
    pub fn as_str(&self) -> &str {
        ascii(&self.0)
    }
}

impl FromStr for KioskCode {
    type Err = KioskCodeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let code = input.trim().to_ascii_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != KIOSK_LEN {
            return Err(KioskCodeError::Length { len: chars.len() });
        }
        let mut symbols = [0; KIOSK_LEN];
        for (i, (&c, symbol)) in chars.iter().zip(&mut symbols).enumerate() {
            match u8::try_from(c) {
                Ok(b) if is_kiosk_letter(b) => *symbol = b,
                _ => {
                    return Err(KioskCodeError::BadChar {
                        position: i + 1,
                        found: c,
                    });
                }
            }
        }
        Ok(Self(symbols))
    }
}

impl TryFrom<String> for KioskCode {
    type Error = KioskCodeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<KioskCode> for String {
    fn from(value: KioskCode) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for KioskCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order number such as `AXT2503140012N`; see the [module
/// documentation](self) for the format and why the check symbol catches
/// every single typo and transposition.
///
/// Ordering follows kiosk code, then date, then sequence number, because
/// the alphabet is in ASCII order.
///
/// ```
/// use kiosk_domain::order_number::{KioskCode, OrderNumber};
/// use time::macros::date;
/// let kiosk: KioskCode = "AXT".parse()?;
/// let number = OrderNumber::new(&kiosk, date!(2025-03-14), 33)?;
/// assert_eq!(number.as_str(), "AXT2503140012N");
/// assert_eq!("axt-250314-0012-n".parse::<OrderNumber>()?, number);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber {
    symbols: [u8; LEN],
    kiosk: KioskCode,
    date: Date,
    seq: u32,
}

/// Why an order number could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderNumberError {
    /// Making a number: today's sequence numbers are used up.
    #[error("This kiosk cannot take any more orders today. Please go to a staffed counter.")]
    SeqOutOfRange {
        /// The sequence number asked for.
        seq: u32,
    },
    /// Making a number: the date is outside 2000–2099, so the kiosk's clock
    /// is wrong.
    #[error("This kiosk's date is set wrongly. Please ask a member of staff for help.")]
    YearOutOfRange {
        /// The year of the date given.
        year: i32,
    },
    /// Reading a number: nothing was entered.
    #[error("Please enter the order number printed on your receipt.")]
    Empty,
    /// Reading a number: not 14 characters long.
    #[error(
        "An order number has 14 characters; you entered {len}. Please check the order number on your receipt."
    )]
    Length {
        /// How many characters were entered, ignoring spaces and hyphens.
        len: usize,
    },
    /// Reading a number: a character that never appears in order numbers.
    #[error(
        "Character {position} ({found}) of the order number is not valid. {}Please check the order number on your receipt.",
        crate::ids::lookalike_hint(.found, Lang::En)
    )]
    BadChar {
        /// 1-based position of the offending character, ignoring spaces
        /// and hyphens.
        position: usize,
        /// The character found there, after upper-casing.
        found: char,
    },
    /// Reading a number: the check symbol does not match, or the number
    /// could never have been issued.
    #[error(
        "This order number is not right; a character may be mistyped. Please check the order number on your receipt."
    )]
    Invalid,
}

impl Localized for OrderNumberError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::SeqOutOfRange { .. } => "本机今天的订单已满，请到人工窗口办理".to_owned(),
                Self::YearOutOfRange { .. } => "本机日期有误，请联系工作人员".to_owned(),
                Self::Empty => "请输入收据上的订单号".to_owned(),
                Self::Length { len } => {
                    format!("订单号应为14位，您输入了{len}位，请核对收据上的订单号")
                }
                Self::BadChar { position, found } => format!(
                    "订单号第{position}位“{found}”有误，{}请核对收据上的订单号",
                    crate::ids::lookalike_hint(found, Lang::ZhCn)
                ),
                Self::Invalid => "订单号有误，请核对收据上的订单号".to_owned(),
            },
        }
    }
}

/// The check symbol for the first 13 symbols, or `None` if one of them is
/// not in [`USCC_ALPHABET`].
fn check_symbol(body: &[u8]) -> Option<u8> {
    let mut sum = 0;
    let mut weight = 1;
    for &symbol in body {
        weight = weight * 3 % BASE;
        sum = (sum + alphabet_value(symbol)? * weight) % BASE;
    }
    let check = (BASE - sum) % BASE;
    usize::try_from(check)
        .ok()
        .and_then(|i| USCC_ALPHABET.get(i))
        .copied()
}

/// Writes `value` as `out.len()` ASCII decimal digits, most significant
/// first.
fn write_decimal(mut value: u32, out: &mut [u8]) {
    for digit in out.iter_mut().rev() {
        // value % 10 < 10, so the conversion cannot fail.
        *digit = b'0' + u8::try_from(value % 10).unwrap_or_default();
        value /= 10;
    }
}

fn read_decimal(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// Reads `YYMMDD` as a date in 2000–2099.
fn read_date(yymmdd: &[u8]) -> Option<Date> {
    let yy = i32::try_from(read_decimal(yymmdd.get(0..2)?)?).ok()?;
    let month = Month::try_from(u8::try_from(read_decimal(yymmdd.get(2..4)?)?).ok()?).ok()?;
    let day = u8::try_from(read_decimal(yymmdd.get(4..6)?)?).ok()?;
    Date::from_calendar_date(CENTURY + yy, month, day).ok()
}

impl OrderNumber {
    /// The order number for the `seq`-th order (counting from 0) taken on
    /// `kiosk` on its local date `date`.
    ///
    /// Fails if `seq` is [`SEQ_LIMIT`] or more, or if `date` is outside
    /// 2000–2099 (which means the kiosk's clock is wrong).
    pub fn new(kiosk: &KioskCode, date: Date, seq: u32) -> Result<OrderNumber, OrderNumberError> {
        let year = date.year();
        if !(CENTURY..CENTURY + 100).contains(&year) {
            return Err(OrderNumberError::YearOutOfRange { year });
        }
        if seq >= SEQ_LIMIT {
            return Err(OrderNumberError::SeqOutOfRange { seq });
        }
        let mut symbols = [0; LEN];
        symbols[KIOSK].copy_from_slice(&kiosk.0);
        let yy = year.abs_diff(CENTURY);
        let yymmdd = (yy * 100 + u32::from(u8::from(date.month()))) * 100 + u32::from(date.day());
        write_decimal(yymmdd, &mut symbols[DATE]);
        let mut rest = seq;
        for symbol in symbols[SEQ].iter_mut().rev() {
            // rest % BASE always indexes the alphabet; the fallback is unreachable.
            *symbol = usize::try_from(rest % BASE)
                .ok()
                .and_then(|v| USCC_ALPHABET.get(v))
                .copied()
                .unwrap_or(b'0');
            rest /= BASE;
        }
        symbols[CHECK] = check_symbol(&symbols[..CHECK]).ok_or(OrderNumberError::Invalid)?;
        Ok(Self {
            symbols,
            kiosk: *kiosk,
            date,
            seq,
        })
    }

    /// The kiosk that issued the number.
    pub fn kiosk(&self) -> KioskCode {
        self.kiosk
    }

    /// The kiosk's local date when the number was issued.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The number's place in that kiosk's orders that day, from 0.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The 14 symbols, upper case, no separators.
    pub fn as_str(&self) -> &str {
        ascii(&self.symbols)
    }

    /// Reads a number that has passed the check symbol into its parts, or
    /// `None` if it could never have been issued (digits in the kiosk code,
    /// letters or an impossible date in the date).
    fn from_symbols(symbols: [u8; LEN]) -> Option<Self> {
        let mut kiosk = [0; KIOSK_LEN];
        kiosk.copy_from_slice(&symbols[KIOSK]);
        if !kiosk.iter().all(|&s| is_kiosk_letter(s)) {
            return None;
        }
        let date = read_date(&symbols[DATE])?;
        let seq = symbols[SEQ]
            .iter()
            .try_fold(0, |acc, &s| Some(acc * BASE + alphabet_value(s)?))?;
        Some(Self {
            symbols,
            kiosk: KioskCode(kiosk),
            date,
            seq,
        })
    }
}

/// Undoes what people do when copying a number from a receipt or hearing it
/// read out: spaces and hyphens between groups, lower case, and the letters
/// O and I, which never appear, for the digits 0 and 1.
fn normalise(input: &str) -> Vec<char> {
    crate::ids::fold_input(input)
        .chars()
        .filter(|&c| !c.is_whitespace() && c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' => '1',
            upper => upper,
        })
        .collect()
}

impl FromStr for OrderNumber {
    type Err = OrderNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let chars = normalise(input);
        if chars.is_empty() {
            return Err(OrderNumberError::Empty);
        }
        if chars.len() != LEN {
            return Err(OrderNumberError::Length { len: chars.len() });
        }
        let mut symbols = [0; LEN];
        for (i, (&c, symbol)) in chars.iter().zip(&mut symbols).enumerate() {
            match u8::try_from(c) {
                Ok(b) if alphabet_value(b).is_some() => *symbol = b,
                _ => {
                    return Err(OrderNumberError::BadChar {
                        position: i + 1,
                        found: c,
                    });
                }
            }
        }
        if check_symbol(&symbols[..CHECK]) != Some(symbols[CHECK]) {
            return Err(OrderNumberError::Invalid);
        }
        Self::from_symbols(symbols).ok_or(OrderNumberError::Invalid)
    }
}

impl TryFrom<String> for OrderNumber {
    type Error = OrderNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<OrderNumber> for String {
    fn from(value: OrderNumber) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::test_support::assert_localized;
    use proptest::prelude::*;
    use proptest::sample::select;
    use time::macros::date;

    const KIOSK_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRTUWXY";

    fn kiosk(code: &str) -> KioskCode {
        code.parse().unwrap()
    }

    fn parse(s: &str) -> Result<OrderNumber, OrderNumberError> {
        s.parse()
    }

    /// Appends the check symbol to 13 symbols, valid or not.
    fn with_check(body: &str) -> String {
        let check = char::from(check_symbol(body.as_bytes()).unwrap());
        format!("{body}{check}")
    }

    fn any_kiosk() -> impl Strategy<Value = KioskCode> {
        proptest::array::uniform3(select(KIOSK_LETTERS)).prop_map(KioskCode)
    }

    fn any_date() -> impl Strategy<Value = Date> {
        let first = date!(2000 - 01 - 01).to_julian_day();
        let last = date!(2099 - 12 - 31).to_julian_day();
        (first..=last).prop_map(|day| Date::from_julian_day(day).unwrap())
    }

    fn any_order_number() -> impl Strategy<Value = OrderNumber> {
        (any_kiosk(), any_date(), 0..SEQ_LIMIT)
            .prop_map(|(k, d, s)| OrderNumber::new(&k, d, s).unwrap())
    }

    fn reparse(symbols: Vec<u8>) -> Result<OrderNumber, OrderNumberError> {
        parse(&String::from_utf8(symbols).unwrap())
    }

    #[test]
    fn weights_are_distinct_and_non_zero() {
        let weights: Vec<u32> = (0..LEN)
            .scan(1, |w, _| {
                let current = *w;
                *w = *w * 3 % BASE;
                Some(current)
            })
            .collect();
        assert!(weights.iter().all(|&w| w != 0));
        let mut sorted = weights.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), LEN);
    }

    #[test]
    fn lays_out_kiosk_date_sequence_and_check() {
        let number = OrderNumber::new(&kiosk("AXT"), date!(2025 - 03 - 14), 33).unwrap();
        // 33 = 1·31 + 2 → "0012".
        assert_eq!(&number.as_str()[..13], "AXT2503140012");
        assert_eq!(number.as_str().len(), LEN);
        assert_eq!(number.kiosk(), kiosk("AXT"));
        assert_eq!(number.date(), date!(2025 - 03 - 14));
        assert_eq!(number.seq(), 33);
        assert_eq!(number.to_string(), number.as_str());
    }

    #[test]
    fn computes_the_check_symbol_by_hand() {
        // Values 10,29,26, 2,5,0,3,1,4, 0,0,1,2 with weights 3^1..3^13 mod 31
        // (3,9,27,19,26,16,17,20,29,25,13,8,24) sum to 1404 ≡ 9 (mod 31),
        // so the check value is 22, the symbol N.
        assert_eq!(check_symbol(b"AXT2503140012"), Some(b'N'));
        assert_eq!(
            OrderNumber::new(&kiosk("AXT"), date!(2025 - 03 - 14), 33)
                .unwrap()
                .as_str(),
            "AXT2503140012N"
        );
    }

    #[test]
    fn sequence_uses_all_four_base_31_symbols() {
        let k = kiosk("ABC");
        let day = date!(2030 - 12 - 31);
        let first = OrderNumber::new(&k, day, 0).unwrap();
        assert_eq!(&first.as_str()[SEQ], "0000");
        let last = OrderNumber::new(&k, day, SEQ_LIMIT - 1).unwrap();
        assert_eq!(&last.as_str()[SEQ], "YYYY");
        assert_eq!(
            OrderNumber::new(&k, day, SEQ_LIMIT),
            Err(OrderNumberError::SeqOutOfRange { seq: SEQ_LIMIT })
        );
    }

    #[test]
    fn only_accepts_this_century() {
        let k = kiosk("ABC");
        assert!(OrderNumber::new(&k, date!(2000 - 01 - 01), 0).is_ok());
        assert!(OrderNumber::new(&k, date!(2099 - 12 - 31), 0).is_ok());
        assert_eq!(
            OrderNumber::new(&k, date!(1999 - 12 - 31), 0),
            Err(OrderNumberError::YearOutOfRange { year: 1999 })
        );
        assert_eq!(
            OrderNumber::new(&k, date!(2100 - 01 - 01), 0),
            Err(OrderNumberError::YearOutOfRange { year: 2100 })
        );
    }

    #[test]
    fn orders_by_kiosk_then_date_then_sequence() {
        let a = kiosk("ABC");
        let b = kiosk("ABD");
        let early = date!(2025 - 01 - 01);
        let late = date!(2025 - 01 - 02);
        let n = |k, d, s| OrderNumber::new(k, d, s).unwrap();
        assert!(n(&a, early, 30) < n(&a, early, 31));
        assert!(n(&a, early, SEQ_LIMIT - 1) < n(&a, late, 0));
        assert!(n(&a, late, 0) < n(&b, early, 0));
    }

    #[test]
    fn forgives_case_separators_and_o_i_for_zero_one() {
        let number = OrderNumber::new(&kiosk("AXT"), date!(2011 - 10 - 01), 100).unwrap();
        let text = number.as_str();
        assert_eq!(text, "AXT1110010037U");
        for input in [
            "axt1110010037u",
            " AXT-111001-0037-U ",
            "AXT 111001 0037 U",
            "AXT  IIIOOI OO37 U",
            "axt111oo10037u",
        ] {
            assert_eq!(parse(input), Ok(number), "{input}");
        }
    }

    #[test]
    fn rejects_empty_and_wrong_length() {
        assert_eq!(parse(" - "), Err(OrderNumberError::Empty));
        assert_eq!(
            parse("AXT1110010037"),
            Err(OrderNumberError::Length { len: 13 })
        );
        assert_eq!(
            parse("AXT1110010037UU"),
            Err(OrderNumberError::Length { len: 15 })
        );
    }

    #[test]
    fn rejects_symbols_outside_the_alphabet() {
        assert_eq!(
            parse("AXS1110010037U"),
            Err(OrderNumberError::BadChar {
                position: 3,
                found: 'S'
            })
        );
        assert_eq!(
            parse("AXT11100100_7U"),
            Err(OrderNumberError::BadChar {
                position: 12,
                found: '_'
            })
        );
    }

    #[test]
    fn rejects_bad_check_symbol() {
        assert_eq!(parse("AXT1110010037T"), Err(OrderNumberError::Invalid));
    }

    #[test]
    fn rejects_numbers_that_were_never_issued_even_with_a_good_check() {
        for body in [
            "1XT1110010039", // digit in the kiosk code
            "AXTA110010039", // letter in the date
            "AXT1102300039", // 30 February
            "AXT1113010039", // month 13
        ] {
            assert_eq!(
                parse(&with_check(body)),
                Err(OrderNumberError::Invalid),
                "{body}"
            );
        }
    }

    #[test]
    fn kiosk_code_is_three_allowed_letters() {
        assert_eq!(kiosk(" axt ").as_str(), "AXT");
        assert_eq!(
            "AB".parse::<KioskCode>(),
            Err(KioskCodeError::Length { len: 2 })
        );
        assert_eq!(
            "ABCD".parse::<KioskCode>(),
            Err(KioskCodeError::Length { len: 4 })
        );
        assert_eq!(
            "A1C".parse::<KioskCode>(),
            Err(KioskCodeError::BadChar {
                position: 2,
                found: '1'
            })
        );
        for letter in ['I', 'O', 'S', 'V', 'Z'] {
            assert_eq!(
                format!("AB{letter}").parse::<KioskCode>(),
                Err(KioskCodeError::BadChar {
                    position: 3,
                    found: letter
                })
            );
        }
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let number = OrderNumber::new(&kiosk("AXT"), date!(2011 - 10 - 01), 100).unwrap();
        let json = serde_json::to_string(&number).unwrap();
        assert_eq!(json, "\"AXT1110010037U\"");
        assert_eq!(serde_json::from_str::<OrderNumber>(&json).unwrap(), number);
        assert!(serde_json::from_str::<OrderNumber>("\"AXT1110010037T\"").is_err());

        let k = kiosk("AXT");
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"AXT\"");
        assert_eq!(serde_json::from_str::<KioskCode>("\"AXT\"").unwrap(), k);
        assert!(serde_json::from_str::<KioskCode>("\"AZ1\"").is_err());
    }

    #[test]
    fn errors_speak_both_languages() {
        for error in [
            OrderNumberError::SeqOutOfRange { seq: SEQ_LIMIT },
            OrderNumberError::YearOutOfRange { year: 2100 },
            OrderNumberError::Empty,
            OrderNumberError::Length { len: 13 },
            OrderNumberError::BadChar {
                position: 3,
                found: 'S',
            },
            OrderNumberError::Invalid,
        ] {
            assert_localized(&error);
        }
        assert_eq!(
            OrderNumberError::Invalid.message(Lang::ZhCn),
            "订单号有误，请核对收据上的订单号"
        );
        for error in [
            KioskCodeError::Length { len: 2 },
            KioskCodeError::BadChar {
                position: 1,
                found: '1',
            },
        ] {
            assert_localized(&error);
        }
    }

    proptest! {
        #[test]
        fn new_and_parse_round_trip(k in any_kiosk(), d in any_date(), s in 0..SEQ_LIMIT) {
            let number = OrderNumber::new(&k, d, s).unwrap();
            let parsed = parse(number.as_str()).unwrap();
            prop_assert_eq!(parsed, number);
            prop_assert_eq!(parsed.kiosk(), k);
            prop_assert_eq!(parsed.date(), d);
            prop_assert_eq!(parsed.seq(), s);
        }

        #[test]
        fn survives_how_people_copy_it(number in any_order_number()) {
            let text = number.as_str();
            let grouped = format!(" {}-{} {}-{} ", &text[KIOSK], &text[DATE], &text[SEQ], &text[CHECK..]);
            let sloppy: String = grouped
                .chars()
                .map(|c| match c {
                    '0' => 'o',
                    '1' => 'I',
                    other => other.to_ascii_lowercase(),
                })
                .collect();
            prop_assert_eq!(parse(&sloppy), Ok(number));
        }

        #[test]
        fn rejects_every_single_substitution(
            number in any_order_number(),
            position in 0..LEN,
            replacement in select(USCC_ALPHABET.as_slice()),
        ) {
            let mut symbols = number.as_str().as_bytes().to_vec();
            prop_assume!(symbols[position] != replacement);
            symbols[position] = replacement;
            prop_assert!(reparse(symbols).is_err());
        }

        #[test]
        fn rejects_every_adjacent_transposition(number in any_order_number(), position in 0..LEN - 1) {
            let mut symbols = number.as_str().as_bytes().to_vec();
            prop_assume!(symbols[position] != symbols[position + 1]);
            symbols.swap(position, position + 1);
            prop_assert!(reparse(symbols).is_err());
        }

        #[test]
        fn rejects_every_transposition_of_two_differing_symbols(
            number in any_order_number(),
            i in 0..LEN,
            j in 0..LEN,
        ) {
            let mut symbols = number.as_str().as_bytes().to_vec();
            prop_assume!(symbols[i] != symbols[j]);
            symbols.swap(i, j);
            prop_assert_eq!(reparse(symbols), Err(OrderNumberError::Invalid));
        }

        #[test]
        fn different_kiosks_never_share_a_number(
            a in any_kiosk(),
            b in any_kiosk(),
            day_a in any_date(),
            day_b in any_date(),
            seq_a in 0..SEQ_LIMIT,
            seq_b in 0..SEQ_LIMIT,
        ) {
            prop_assume!(a != b);
            let na = OrderNumber::new(&a, day_a, seq_a).unwrap();
            let nb = OrderNumber::new(&b, day_b, seq_b).unwrap();
            prop_assert_ne!(na.as_str(), nb.as_str());
        }

        #[test]
        fn same_kiosk_same_day_different_seq_differ(
            k in any_kiosk(),
            d in any_date(),
            s1 in 0..SEQ_LIMIT,
            s2 in 0..SEQ_LIMIT,
        ) {
            prop_assume!(s1 != s2);
            prop_assert_ne!(OrderNumber::new(&k, d, s1).unwrap(), OrderNumber::new(&k, d, s2).unwrap());
        }
    }
}
