//! The unified social credit code (统一社会信用代码), GB 32100-2015.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{
    USCC_ALPHABET, alphabet_value, first_bad_position, fold_input, lookalike_hint, mask, org_code,
};
use crate::lang::{Lang, Localized};

/// Length of a unified social credit code.
pub(crate) const LEN: usize = 18;

/// Registration-authority codes (position 1) the standard defines or has
/// reserved. Kept permissive on purpose: new authorities get added, and a
/// customer refused at the kiosk has nowhere else to go.
const REGISTRATION_AUTHORITIES: &[u8] = b"123456789ABCDEFGY";

/// Weights for positions 1–17: 3^(i-1) mod 31. Because 3 generates the
/// non-zero residues mod 31 these are distinct and non-zero, so any single
/// substitution and any adjacent transposition changes the sum.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Characters 3–8: the administrative division where the entity registered.
const ADMIN_DIVISION: std::ops::Range<usize> = 2..8;

/// Characters 9–17: the embedded GB 11714 organisation code.
const ORG_CODE: std::ops::Range<usize> = 8..17;

/// A unified social credit code (统一社会信用代码), the 18-character ID on
/// every business licence issued since 2015.
///
/// Layout: registration authority (1), organisation category (1),
/// administrative division (6 digits), organisation code (8 + its own check
/// character, GB 11714), check character (1); all from [`USCC_ALPHABET`].
/// Both check characters are verified. The administrative division is only
/// checked to be six digits: the official list changes every year and
/// national bodies use `100000`, while the check characters already catch
/// typing mistakes.
///
/// ```
/// use kiosk_domain::ids::Uscc;
/// let uscc: Uscc = " 91110108551385082q ".parse()?;
/// assert_eq!(uscc.as_str(), "91110108551385082Q");
/// assert_eq!(uscc.masked(), "9111**********082Q");
/// # Ok::<(), kiosk_domain::ids::UsccError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

/// Why a unified social credit code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Nothing was entered.
    #[error("Please enter the unified social credit code from your business licence.")]
    Empty,
    /// Not 18 characters long.
    #[error(
        "The unified social credit code has 18 characters; you entered {len}. Please check your business licence."
    )]
    Length {
        /// How many characters were entered.
        len: usize,
    },
    /// A character that cannot appear at that position.
    #[error(
        "Character {position} ({found}) of the unified social credit code is not valid. {}Please check your business licence.",
        lookalike_hint(.found, Lang::En)
    )]
    BadChar {
        /// 1-based position of the offending character.
        position: usize,
        /// The character found there, after upper-casing.
        found: char,
    },
    /// Characters 3–8 are not six digits.
    #[error(
        "Characters 3 to 8 of the unified social credit code must be digits. Please check your business licence."
    )]
    BadAdminDivision,
    /// Characters 9–17 fail the organisation code check.
    #[error(
        "Characters 9 to 17 of the unified social credit code do not add up; one may be mistyped. Please check your business licence."
    )]
    BadOrgCode,
    /// The last character does not match the others.
    #[error(
        "The unified social credit code does not add up; a character may be mistyped. Please check it against your business licence."
    )]
    BadCheck,
}

impl Localized for UsccError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty => "请输入营业执照上的统一社会信用代码".to_owned(),
                Self::Length { len } => {
                    format!("统一社会信用代码应为18位，您输入了{len}位，请核对营业执照")
                }
                Self::BadChar { position, found } => format!(
                    "统一社会信用代码第{position}位“{found}”有误，{}请核对营业执照",
                    lookalike_hint(found, Lang::ZhCn)
                ),
                Self::BadAdminDivision => {
                    "统一社会信用代码第3至8位应为数字，请核对营业执照".to_owned()
                }
                Self::BadOrgCode => {
                    "统一社会信用代码第9至17位有误，可能输错了某一位，请核对营业执照".to_owned()
                }
                Self::BadCheck => {
                    "统一社会信用代码有误，可能输错了某一位，请对照营业执照逐位核对".to_owned()
                }
            },
        }
    }
}

/// The check character for the first 17 characters of a code, or `None` if
/// `first17` is not 17 symbols of [`USCC_ALPHABET`].
pub(crate) fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != WEIGHTS.len() {
        return None;
    }
    let mut sum = 0;
    for (&c, weight) in first17.iter().zip(WEIGHTS) {
        sum += alphabet_value(c)? * weight;
    }
    let check = (31 - sum % 31) % 31;
    usize::try_from(check)
        .ok()
        .and_then(|i| USCC_ALPHABET.get(i))
        .copied()
}

/// Whether `c` may stand at 0-based index `i` of a code.
fn allowed(i: usize, c: char) -> bool {
    u8::try_from(c).is_ok_and(|b| {
        let set: &[u8] = if i == 0 {
            REGISTRATION_AUTHORITIES
        } else {
            USCC_ALPHABET
        };
        set.contains(&b)
    })
}

/// Validates an already folded and upper-cased code.
pub(crate) fn validate(code: &str) -> Result<(), UsccError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.is_empty() {
        return Err(UsccError::Empty);
    }
    if chars.len() != LEN {
        return Err(UsccError::Length { len: chars.len() });
    }
    if let Some(position) = first_bad_position(&chars, allowed) {
        let found = chars[position - 1];
        return Err(UsccError::BadChar { position, found });
    }
    // Every character is now ASCII, so byte and character positions agree.
    let bytes = code.as_bytes();
    if !bytes[ADMIN_DIVISION].iter().all(u8::is_ascii_digit) {
        return Err(UsccError::BadAdminDivision);
    }
    if !org_code::is_valid(&bytes[ORG_CODE]) {
        return Err(UsccError::BadOrgCode);
    }
    if check_char(&bytes[..LEN - 1]) != Some(bytes[LEN - 1]) {
        return Err(UsccError::BadCheck);
    }
    Ok(())
}

impl Uscc {
    /// Checks a code still being typed, character by character: a
    /// character its position never holds (with the lookalike it probably
    /// stands for), a letter among the region digits. `Ok` when nothing is
    /// wrong so far; the length and the sums are checked by parsing.
    ///
    /// # Errors
    /// The first character found wrong.
    pub fn check_typed(typed: &str) -> Result<(), UsccError> {
        let code = fold_input(typed).to_ascii_uppercase();
        let chars: Vec<char> = code.chars().take(LEN).collect();
        if let Some(position) = first_bad_position(&chars, allowed) {
            let found = chars[position - 1];
            return Err(UsccError::BadChar { position, found });
        }
        if chars
            .iter()
            .enumerate()
            .any(|(i, c)| ADMIN_DIVISION.contains(&i) && !c.is_ascii_digit())
        {
            return Err(UsccError::BadAdminDivision);
        }
        Ok(())
    }

    /// The code in its normalised form: 18 upper-case characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit administrative division code (characters 3–8).
    pub fn admin_division(&self) -> &str {
        &self.0[ADMIN_DIVISION]
    }

    /// The embedded 9-character organisation code (characters 9–17).
    pub fn org_code(&self) -> &str {
        &self.0[ORG_CODE]
    }

    /// The code with all but the first and last 4 characters hidden, for
    /// screens and receipts.
    pub fn masked(&self) -> String {
        mask(&self.0, 4, 4)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let code = fold_input(input).to_ascii_uppercase();
        validate(&code)?;
        Ok(Self(code))
    }
}

impl TryFrom<String> for Uscc {
    type Error = UsccError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Uscc> for String {
    fn from(value: Uscc) -> Self {
        value.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::test_support::assert_localized;
    use proptest::prelude::*;
    use proptest::sample::select;

    proptest! {
        #[test]
        fn every_beginning_of_a_valid_code_passes_as_typed(code in valid_uscc()) {
            for end in 0..=code.len() {
                prop_assert_eq!(Uscc::check_typed(&code[..end]), Ok(()));
            }
        }
    }

    #[test]
    fn a_wrong_character_is_found_while_typing() {
        assert_eq!(
            Uscc::check_typed("9111010855138O"),
            Err(UsccError::BadChar {
                position: 14,
                found: 'O'
            })
        );
        assert_eq!(Uscc::check_typed("91A1"), Err(UsccError::BadAdminDivision));
    }

    const REAL: &str = "91110108551385082Q";

    /// Any valid code: random parts, both check characters computed.
    pub(crate) fn valid_uscc() -> impl Strategy<Value = String> {
        (
            select(REGISTRATION_AUTHORITIES),
            select(USCC_ALPHABET.as_slice()),
            proptest::collection::vec(select(b"0123456789".as_slice()), 6),
            proptest::collection::vec(select(USCC_ALPHABET.as_slice()), 8),
        )
            .prop_map(|(authority, category, division, org_body)| {
                let mut code = vec![authority, category];
                code.extend(division);
                code.extend(&org_body);
                code.push(org_code::check_char(&org_body).unwrap());
                code.push(check_char(&code).unwrap());
                String::from_utf8(code).unwrap()
            })
    }

    fn parse(s: &str) -> Result<Uscc, UsccError> {
        s.parse()
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn accepts_a_real_code() {
        let uscc = parse(REAL).unwrap();
        assert_eq!(uscc.as_str(), REAL);
        assert_eq!(uscc.to_string(), REAL);
        assert_eq!(uscc.admin_division(), "110108");
        assert_eq!(uscc.org_code(), "551385082");
    }

    #[test]
    fn normalises_case_spaces_and_full_width() {
        assert_eq!(parse(" 91110108551385082q\t").unwrap().as_str(), REAL);
        assert_eq!(
            parse("９１１１０１０８５５１３８５０８２Ｑ")
                .unwrap()
                .as_str(),
            REAL
        );
    }

    #[test]
    fn masks_all_but_first_and_last_four() {
        assert_eq!(parse(REAL).unwrap().masked(), "9111**********082Q");
    }

    #[test]
    fn rejects_empty_input() {
        assert_eq!(parse("  "), Err(UsccError::Empty));
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(parse(&REAL[..17]), Err(UsccError::Length { len: 17 }));
        assert_eq!(
            parse(&format!("{REAL}0")),
            Err(UsccError::Length { len: 19 })
        );
        // Counts characters, not bytes.
        assert_eq!(parse("统一社会信用代码"), Err(UsccError::Length { len: 8 }));
    }

    #[test]
    fn rejects_letters_outside_the_alphabet_with_position() {
        assert_eq!(
            parse("91110108551385O82Q"),
            Err(UsccError::BadChar {
                position: 15,
                found: 'O'
            })
        );
        assert_eq!(
            parse("91110108-51385082Q"),
            Err(UsccError::BadChar {
                position: 9,
                found: '-'
            })
        );
        assert_eq!(
            parse("9111010855138508２é"),
            Err(UsccError::BadChar {
                position: 18,
                found: 'é'
            })
        );
    }

    #[test]
    fn rejects_unknown_registration_authority() {
        // '0' and 'H' are in the alphabet but name no authority.
        for first in ['0', 'H'] {
            let code = format!("{first}{}", &REAL[1..]);
            assert_eq!(
                parse(&code),
                Err(UsccError::BadChar {
                    position: 1,
                    found: first
                })
            );
        }
    }

    #[test]
    fn rejects_letters_in_admin_division() {
        assert_eq!(
            parse("9111A108551385082Q"),
            Err(UsccError::BadAdminDivision)
        );
    }

    #[test]
    fn rejects_bad_embedded_org_code() {
        assert_eq!(parse("91110108551385083Q"), Err(UsccError::BadOrgCode));
    }

    #[test]
    fn rejects_bad_check_character() {
        assert_eq!(parse("91110108551385082R"), Err(UsccError::BadCheck));
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let uscc = parse(REAL).unwrap();
        let json = serde_json::to_string(&uscc).unwrap();
        assert_eq!(json, format!("\"{REAL}\""));
        assert_eq!(serde_json::from_str::<Uscc>(&json).unwrap(), uscc);
        assert!(serde_json::from_str::<Uscc>("\"91110108551385082R\"").is_err());
    }

    #[test]
    fn errors_speak_both_languages() {
        let errors = [
            UsccError::Empty,
            UsccError::Length { len: 17 },
            UsccError::BadChar {
                position: 3,
                found: 'O',
            },
            UsccError::BadChar {
                position: 3,
                found: '-',
            },
            UsccError::BadAdminDivision,
            UsccError::BadOrgCode,
            UsccError::BadCheck,
        ];
        for error in &errors {
            assert_localized(error);
        }
        assert_eq!(
            UsccError::Length { len: 17 }.message(Lang::ZhCn),
            "统一社会信用代码应为18位，您输入了17位，请核对营业执照"
        );
    }

    #[test]
    fn hints_at_the_symbol_a_confusable_letter_stands_for() {
        let error = UsccError::BadChar {
            position: 15,
            found: 'O',
        };
        assert!(error.message(Lang::ZhCn).contains("是否应为“0”"));
        assert!(error.message(Lang::En).contains("did you mean 0?"));
    }

    proptest! {
        #[test]
        fn generated_codes_are_valid(code in valid_uscc()) {
            prop_assert_eq!(parse(&code).map(String::from), Ok(code));
        }

        #[test]
        fn rejects_any_single_substitution(
            code in valid_uscc(),
            position in 0..LEN,
            replacement in select(USCC_ALPHABET.as_slice()),
        ) {
            let mut bytes = code.into_bytes();
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            prop_assert!(parse(&String::from_utf8(bytes).unwrap()).is_err());
        }

        #[test]
        fn rejects_any_adjacent_transposition(code in valid_uscc(), position in 0..LEN - 1) {
            let mut bytes = code.into_bytes();
            prop_assume!(bytes[position] != bytes[position + 1]);
            bytes.swap(position, position + 1);
            prop_assert!(parse(&String::from_utf8(bytes).unwrap()).is_err());
        }
    }
}
