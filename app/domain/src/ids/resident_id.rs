//! The resident identity card number (居民身份证号码), GB 11643-1999.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::{first_bad_position, fold_input, mask};
use crate::lang::{Lang, Localized};

/// Length of a resident ID number.
const LEN: usize = 18;

/// Weights for positions 1–17: 2^(18-i) mod 11. They are non-zero and
/// neighbours always differ, so with a prime modulus every single
/// substitution and every adjacent transposition changes the sum.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character for each value of the weighted sum mod 11.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Characters 7–14: the date of birth as YYYYMMDD.
const BIRTH_DATE: std::ops::Range<usize> = 6..14;

/// Earliest birth year accepted; the second-generation card's holders were
/// all born after this.
const MIN_BIRTH_YEAR: i32 = 1900;

/// An 18-character resident identity card number (居民身份证号码).
///
/// Layout: address code (6 digits), date of birth (8 digits, YYYYMMDD),
/// sequence (3 digits), check character (digit or `X`, MOD 11-2). The date
/// of birth must be a real calendar date in or after 1900. The old
/// 15-digit numbers stopped being valid ID in 2013 and are refused.
///
/// Whether the date of birth lies in the future depends on today's date,
/// which this crate never reads; callers holding a clock use
/// [`ResidentId::is_born_by`].
///
/// ```
/// use kiosk_domain::ids::ResidentId;
/// let id: ResidentId = "11010519491231002x".parse()?;
/// assert_eq!(id.as_str(), "11010519491231002X");
/// assert_eq!(id.masked(), "110***********002X");
/// assert_eq!(id.birth_date(), time::macros::date!(1949-12-31));
/// # Ok::<(), kiosk_domain::ids::ResidentIdError>(())
/// ```
// Debug is written by hand below: it masks, so `?value` in a log leaks nothing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId {
    number: String,
    birth_date: Date,
}

/// Why a resident ID number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Nothing was entered.
    #[error("Please enter the number on your ID card.")]
    Empty,
    /// Not 18 characters long.
    #[error("An ID card number has 18 characters; you entered {len}. Please check your ID card.")]
    Length {
        /// How many characters were entered.
        len: usize,
    },
    /// A character that cannot appear at that position.
    #[error(
        "Character {position} of the ID card number must be {}. Please check your ID card.",
        expected_en(*.position)
    )]
    BadChar {
        /// 1-based position of the offending character.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// Characters 7–14 are not a real date in or after 1900.
    #[error(
        "The date of birth in the ID card number (characters 7 to 14) is not a real date. Please check your ID card."
    )]
    BadBirthDate,
    /// The last character does not match the others.
    #[error(
        "The ID card number does not add up; a digit may be mistyped. Please check it against your ID card."
    )]
    BadCheck,
}

fn expected_en(position: usize) -> &'static str {
    if position == LEN {
        "a digit or the letter X"
    } else {
        "a digit"
    }
}

impl Localized for ResidentIdError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty => "请输入身份证上的号码".to_owned(),
                Self::Length { len } => {
                    format!("身份证号码应为18位，您输入了{len}位，请核对身份证")
                }
                Self::BadChar { position, .. } if *position == LEN => {
                    "身份证号码最后一位应为数字或字母X，请核对身份证".to_owned()
                }
                Self::BadChar { position, .. } => {
                    format!("身份证号码第{position}位应为数字，请核对身份证")
                }
                Self::BadBirthDate => {
                    "身份证号码中的出生日期（第7至14位）有误，请核对身份证".to_owned()
                }
                Self::BadCheck => {
                    "身份证号码有误，可能输错了某一位，请对照身份证逐位核对".to_owned()
                }
            },
        }
    }
}

/// The check character for the first 17 digits, or `None` if `first17` is
/// not 17 ASCII digits.
fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != WEIGHTS.len() || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    usize::try_from(sum % 11)
        .ok()
        .and_then(|i| CHECK_CHARS.get(i))
        .copied()
}

/// Reads a run of ASCII digits as a number; `None` if any is not a digit.
fn digits_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn parse_birth_date(yyyymmdd: &[u8]) -> Option<Date> {
    let year = i32::try_from(digits_value(yyyymmdd.get(0..4)?)?).ok()?;
    let month = u8::try_from(digits_value(yyyymmdd.get(4..6)?)?).ok()?;
    let day = u8::try_from(digits_value(yyyymmdd.get(6..8)?)?).ok()?;
    if year < MIN_BIRTH_YEAR {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Whether `c` may stand at 0-based index `i` of a number.
fn allowed(i: usize, c: char) -> bool {
    c.is_ascii_digit() || (i == LEN - 1 && c == 'X')
}

impl ResidentId {
    /// Checks a number still being typed: a digit at each of the first 17
    /// positions, a digit or X at the 18th. `Ok` when nothing is wrong so
    /// far; the length, the date and the check digit are checked by parsing.
    ///
    /// # Errors
    /// The first character found wrong.
    pub fn check_typed(typed: &str) -> Result<(), ResidentIdError> {
        let number = fold_input(typed).to_ascii_uppercase();
        let chars: Vec<char> = number.chars().take(LEN).collect();
        match first_bad_position(&chars, allowed) {
            Some(position) => Err(ResidentIdError::BadChar {
                position,
                found: chars[position - 1],
            }),
            None => Ok(()),
        }
    }

    /// The number in its normalised form: 18 characters, check `X` in upper
    /// case.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The date of birth encoded in characters 7–14.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Whether the holder was born on or before `today`. A number whose date
    /// of birth is still to come is fake or mistyped; the caller supplies
    /// `today` because this crate reads no clock.
    pub fn is_born_by(&self, today: Date) -> bool {
        self.birth_date <= today
    }

    /// The number with all but the first 3 and last 4 characters hidden, for
    /// screens and receipts.
    pub fn masked(&self) -> String {
        mask(&self.number, 3, 4)
    }
}

impl FromStr for ResidentId {
    type Err = ResidentIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let number = fold_input(input).to_ascii_uppercase();
        let chars: Vec<char> = number.chars().collect();
        if chars.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        if chars.len() != LEN {
            return Err(ResidentIdError::Length { len: chars.len() });
        }
        if let Some(position) = first_bad_position(&chars, allowed) {
            let found = chars[position - 1];
            return Err(ResidentIdError::BadChar { position, found });
        }
        // Every character is now ASCII, so byte and character positions agree.
        let bytes = number.as_bytes();
        let birth_date =
            parse_birth_date(&bytes[BIRTH_DATE]).ok_or(ResidentIdError::BadBirthDate)?;
        if check_char(&bytes[..LEN - 1]) != Some(bytes[LEN - 1]) {
            return Err(ResidentIdError::BadCheck);
        }
        Ok(Self { number, birth_date })
    }
}

impl TryFrom<String> for ResidentId {
    type Error = ResidentIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ResidentId> for String {
    fn from(value: ResidentId) -> Self {
        value.number
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

impl std::fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_checked_as_it_is_typed() {
        let real = "11010519491231002X";
        for end in 0..=real.len() {
            assert_eq!(ResidentId::check_typed(&real[..end]), Ok(()));
        }
        assert_eq!(
            ResidentId::check_typed("110105X"),
            Err(ResidentIdError::BadChar {
                position: 7,
                found: 'X'
            })
        );
    }
    use crate::ids::test_support::assert_localized;
    use proptest::prelude::*;
    use proptest::sample::select;
    use time::macros::date;

    /// The worked example from GB 11643-1999.
    const SAMPLE: &str = "11010519491231002X";

    fn parse(s: &str) -> Result<ResidentId, ResidentIdError> {
        s.parse()
    }

    /// Completes 17 digits with their check character.
    fn with_check(first17: &str) -> String {
        let check = char::from(check_char(first17.as_bytes()).unwrap());
        format!("{first17}{check}")
    }

    fn valid_resident_id() -> impl Strategy<Value = (String, Date)> {
        let first = date!(1900 - 01 - 01).to_julian_day();
        let last = date!(2099 - 12 - 31).to_julian_day();
        ("[0-9]{6}", first..=last, "[0-9]{3}").prop_map(|(address, day, sequence)| {
            let birth = Date::from_julian_day(day).unwrap();
            let first17 = format!(
                "{address}{:04}{:02}{:02}{sequence}",
                birth.year(),
                u8::from(birth.month()),
                birth.day()
            );
            (with_check(&first17), birth)
        })
    }

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, weight) in WEIGHTS.into_iter().enumerate() {
            let exponent = u32::try_from(LEN - 1 - i).unwrap();
            assert_eq!(weight, 2u32.pow(exponent) % 11);
        }
    }

    #[test]
    fn accepts_the_standard_sample() {
        let id = parse(SAMPLE).unwrap();
        assert_eq!(id.as_str(), SAMPLE);
        assert_eq!(id.to_string(), SAMPLE);
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
    }

    #[test]
    fn accepts_lower_case_x_and_surrounding_spaces() {
        assert_eq!(parse(" 11010519491231002x\n").unwrap().as_str(), SAMPLE);
    }

    #[test]
    fn masks_all_but_first_three_and_last_four() {
        assert_eq!(parse(SAMPLE).unwrap().masked(), "110***********002X");
    }

    #[test]
    fn rejects_empty_and_wrong_length() {
        assert_eq!(parse(""), Err(ResidentIdError::Empty));
        // A first-generation 15-digit number.
        assert_eq!(
            parse("110105491231002"),
            Err(ResidentIdError::Length { len: 15 })
        );
        assert_eq!(
            parse("11010519491231002X0"),
            Err(ResidentIdError::Length { len: 19 })
        );
    }

    #[test]
    fn rejects_x_anywhere_but_last_and_other_letters() {
        assert_eq!(
            parse("1101051949123100X2"),
            Err(ResidentIdError::BadChar {
                position: 17,
                found: 'X'
            })
        );
        assert_eq!(
            parse("11010519491231002A"),
            Err(ResidentIdError::BadChar {
                position: 18,
                found: 'A'
            })
        );
    }

    #[test]
    fn rejects_impossible_birth_dates() {
        for first17 in [
            "11010518991231002", // before 1900
            "11010519000229002", // 1900 was not a leap year
            "11010519491301002", // month 13
            "11010519490001002", // month 0
            "11010519490431002", // 31 April
            "11010519490100002", // day 0
        ] {
            assert_eq!(
                parse(&with_check(first17)),
                Err(ResidentIdError::BadBirthDate),
                "{first17}"
            );
        }
        let leap_day = parse(&with_check("11010520000229002")).unwrap();
        assert_eq!(leap_day.birth_date(), date!(2000 - 02 - 29));
    }

    #[test]
    fn rejects_bad_check_character() {
        assert_eq!(parse("110105194912310020"), Err(ResidentIdError::BadCheck));
    }

    #[test]
    fn born_by_includes_the_birthday_itself() {
        let id = parse(SAMPLE).unwrap();
        assert!(id.is_born_by(date!(1949 - 12 - 31)));
        assert!(id.is_born_by(date!(2030 - 01 - 01)));
        assert!(!id.is_born_by(date!(1949 - 12 - 30)));
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let id = parse(SAMPLE).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{SAMPLE}\""));
        assert_eq!(serde_json::from_str::<ResidentId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ResidentId>("\"110105194912310020\"").is_err());
    }

    #[test]
    fn errors_speak_both_languages() {
        let errors = [
            ResidentIdError::Empty,
            ResidentIdError::Length { len: 15 },
            ResidentIdError::BadChar {
                position: 3,
                found: 'A',
            },
            ResidentIdError::BadChar {
                position: 18,
                found: 'A',
            },
            ResidentIdError::BadBirthDate,
            ResidentIdError::BadCheck,
        ];
        for error in &errors {
            assert_localized(error);
        }
        assert!(errors[3].message(Lang::ZhCn).contains("字母X"));
        assert!(errors[3].message(Lang::En).contains("letter X"));
    }

    proptest! {
        #[test]
        fn generated_numbers_parse_with_their_birth_date((number, birth) in valid_resident_id()) {
            let id = parse(&number).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert!(id.is_born_by(birth));
            prop_assert!(!id.is_born_by(birth.previous_day().unwrap()));
        }

        #[test]
        fn rejects_any_single_substitution(
            (number, _) in valid_resident_id(),
            position in 0..LEN,
            replacement in select(b"0123456789X".as_slice()),
        ) {
            let mut bytes = number.into_bytes();
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            prop_assert!(parse(&String::from_utf8(bytes).unwrap()).is_err());
        }

        #[test]
        fn rejects_any_adjacent_transposition(
            (number, _) in valid_resident_id(),
            position in 0..LEN - 1,
        ) {
            let mut bytes = number.into_bytes();
            prop_assume!(bytes[position] != bytes[position + 1]);
            bytes.swap(position, position + 1);
            prop_assert!(parse(&String::from_utf8(bytes).unwrap()).is_err());
        }
    }
}
