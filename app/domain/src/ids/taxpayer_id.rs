//! Taxpayer identification numbers (纳税人识别号), as printed on invoices.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Uscc, UsccError};
use super::{first_bad_position, fold_input, lookalike_hint, mask, org_code, uscc};
use crate::lang::{Lang, Localized};

/// Length of the pre-2015 form: admin division (6) + organisation code (9).
const LEGACY_ORG_LEN: usize = 6 + org_code::CODE_LEN;

/// Lengths of the forms issued to individuals: a 15- or 18-character ID
/// number followed by two digits.
const INDIVIDUAL_LENS: [usize; 2] = [17, 20];

/// A taxpayer identification number (纳税人识别号).
///
/// Accepted forms, after trimming and upper-casing:
/// - **18 characters**: a unified social credit code, the form on every
///   licence issued since 2015; it must pass every [`Uscc`] check.
/// - **15 characters**: the older form, a 6-digit administrative division
///   followed by a 9-character GB 11714 organisation code that must pass
///   its check.
/// - **17 or 20 characters** of `0`–`9`/`A`–`Z`: forms issued to
///   individuals (an ID number plus two digits). These carry no check
///   character of their own, so only the characters are checked.
///
/// Anything else is refused.
///
/// ```
/// use kiosk_domain::ids::TaxpayerId;
/// let tax_id: TaxpayerId = "91110108551385082Q".parse()?;
/// assert!(tax_id.is_uscc());
/// let legacy: TaxpayerId = "110108551385082".parse()?;
/// assert!(!legacy.is_uscc());
/// # Ok::<(), kiosk_domain::ids::TaxpayerIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxpayerId(String);

/// Why a taxpayer ID was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxpayerIdError {
    /// Nothing was entered.
    #[error("Please enter the taxpayer ID.")]
    Empty,
    /// A length no form of taxpayer ID has.
    #[error(
        "A taxpayer ID usually has 18 characters, the same as the unified social credit code; you entered {len}. Please check your business licence or tax registration certificate."
    )]
    Length {
        /// How many characters were entered.
        len: usize,
    },
    /// A character that cannot appear at that position.
    #[error(
        "Character {position} ({found}) of the taxpayer ID is not valid. {}Please check your business licence or tax registration certificate.",
        lookalike_hint(.found, Lang::En)
    )]
    BadChar {
        /// 1-based position of the offending character.
        position: usize,
        /// The character found there, after upper-casing.
        found: char,
    },
    /// The region code part is not six digits.
    #[error(
        "The region code in the taxpayer ID must be 6 digits. Please check your business licence or tax registration certificate."
    )]
    BadAdminDivision,
    /// The embedded organisation code fails its check.
    #[error(
        "The organisation code inside the taxpayer ID does not add up; a character may be mistyped. Please check your business licence or tax registration certificate."
    )]
    BadOrgCode,
    /// An 18-character taxpayer ID whose last character does not match.
    #[error(
        "The taxpayer ID does not add up; a character may be mistyped. Please check it against your business licence."
    )]
    BadCheck,
}

impl Localized for TaxpayerIdError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty => "请输入纳税人识别号".to_owned(),
                Self::Length { len } => format!(
                    "纳税人识别号一般为18位（与统一社会信用代码相同），您输入了{len}位，请核对营业执照或税务登记证"
                ),
                Self::BadChar { position, found } => format!(
                    "纳税人识别号第{position}位“{found}”有误，{}请核对营业执照或税务登记证",
                    lookalike_hint(found, Lang::ZhCn)
                ),
                Self::BadAdminDivision => {
                    "纳税人识别号中的地区代码应为6位数字，请核对营业执照或税务登记证".to_owned()
                }
                Self::BadOrgCode => {
                    "纳税人识别号有误，可能输错了某一位，请核对营业执照或税务登记证".to_owned()
                }
                Self::BadCheck => {
                    "纳税人识别号有误，可能输错了某一位，请对照营业执照逐位核对".to_owned()
                }
            },
        }
    }
}

impl From<UsccError> for TaxpayerIdError {
    fn from(error: UsccError) -> Self {
        match error {
            UsccError::Empty => Self::Empty,
            UsccError::Length { len } => Self::Length { len },
            UsccError::BadChar { position, found } => Self::BadChar { position, found },
            UsccError::BadAdminDivision => Self::BadAdminDivision,
            UsccError::BadOrgCode => Self::BadOrgCode,
            UsccError::BadCheck => Self::BadCheck,
        }
    }
}

fn check_alphanumeric(chars: &[char]) -> Result<(), TaxpayerIdError> {
    match first_bad_position(chars, |_, c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
        Some(position) => Err(TaxpayerIdError::BadChar {
            position,
            found: chars[position - 1],
        }),
        None => Ok(()),
    }
}

fn validate(id: &str) -> Result<(), TaxpayerIdError> {
    let chars: Vec<char> = id.chars().collect();
    match chars.len() {
        0 => Err(TaxpayerIdError::Empty),
        uscc::LEN => Ok(uscc::validate(id)?),
        LEGACY_ORG_LEN => {
            check_alphanumeric(&chars)?;
            // All ASCII now, so byte and character positions agree.
            let (division, org) = id.as_bytes().split_at(6);
            if !division.iter().all(u8::is_ascii_digit) {
                return Err(TaxpayerIdError::BadAdminDivision);
            }
            if !org_code::is_valid(org) {
                return Err(TaxpayerIdError::BadOrgCode);
            }
            Ok(())
        }
        len if INDIVIDUAL_LENS.contains(&len) => check_alphanumeric(&chars),
        len => Err(TaxpayerIdError::Length { len }),
    }
}

impl TaxpayerId {
    /// Checks an ID still being typed: only what is wrong in every form of
    /// taxpayer ID (a character that is neither a digit nor a letter).
    /// `Ok` when nothing is wrong so far; the rest is checked by parsing.
    ///
    /// # Errors
    /// The first character found wrong.
    pub fn check_typed(typed: &str) -> Result<(), TaxpayerIdError> {
        let id = fold_input(typed).to_ascii_uppercase();
        let chars: Vec<char> = id.chars().collect();
        check_alphanumeric(&chars)
    }

    /// The ID in its normalised, upper-case form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the 18-character form, i.e. a unified social credit
    /// code.
    pub fn is_uscc(&self) -> bool {
        self.0.len() == uscc::LEN
    }

    /// The ID as a unified social credit code, if it is one.
    pub fn to_uscc(&self) -> Option<Uscc> {
        self.0.parse().ok()
    }

    /// The ID with all but the first and last 4 characters hidden, for
    /// screens and receipts.
    pub fn masked(&self) -> String {
        mask(&self.0, 4, 4)
    }
}

impl From<Uscc> for TaxpayerId {
    /// A company's unified social credit code is its taxpayer ID.
    fn from(uscc: Uscc) -> Self {
        Self(uscc.into())
    }
}

impl FromStr for TaxpayerId {
    type Err = TaxpayerIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let id = fold_input(input).to_ascii_uppercase();
        validate(&id)?;
        Ok(Self(id))
    }
}

impl TryFrom<String> for TaxpayerId {
    type Error = TaxpayerIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<TaxpayerId> for String {
    fn from(value: TaxpayerId) -> Self {
        value.0
    }
}

impl fmt::Display for TaxpayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::test_support::assert_localized;
    use crate::ids::uscc::tests::valid_uscc;
    use proptest::prelude::*;

    const USCC: &str = "91110108551385082Q";
    const LEGACY: &str = "110108551385082";

    fn parse(s: &str) -> Result<TaxpayerId, TaxpayerIdError> {
        s.parse()
    }

    #[test]
    fn accepts_a_unified_social_credit_code() {
        let id = parse(" 91110108551385082q ").unwrap();
        assert_eq!(id.as_str(), USCC);
        assert!(id.is_uscc());
        assert_eq!(id.to_uscc().unwrap().as_str(), USCC);
    }

    #[test]
    fn converts_from_uscc() {
        let uscc: Uscc = USCC.parse().unwrap();
        assert_eq!(TaxpayerId::from(uscc).as_str(), USCC);
    }

    #[test]
    fn eighteen_characters_must_pass_every_uscc_check() {
        assert_eq!(parse("91110108551385082R"), Err(TaxpayerIdError::BadCheck));
        assert_eq!(
            parse("91110108551385083Q"),
            Err(TaxpayerIdError::BadOrgCode)
        );
        assert_eq!(
            parse("9111A108551385082Q"),
            Err(TaxpayerIdError::BadAdminDivision)
        );
        assert_eq!(
            parse("9111010855138508IQ"),
            Err(TaxpayerIdError::BadChar {
                position: 17,
                found: 'I'
            })
        );
    }

    #[test]
    fn accepts_the_legacy_organisation_form() {
        let id = parse(LEGACY).unwrap();
        assert_eq!(id.as_str(), LEGACY);
        assert!(!id.is_uscc());
        assert_eq!(id.to_uscc(), None);
    }

    #[test]
    fn legacy_form_checks_division_and_organisation_code() {
        assert_eq!(
            parse("11010A551385082"),
            Err(TaxpayerIdError::BadAdminDivision)
        );
        assert_eq!(parse("110108551385083"), Err(TaxpayerIdError::BadOrgCode));
        assert_eq!(
            parse("110108-51385082"),
            Err(TaxpayerIdError::BadChar {
                position: 7,
                found: '-'
            })
        );
    }

    #[test]
    fn accepts_individual_forms_of_alphanumerics() {
        for id in [
            "11010519491231002",
            "11010519491231002X01",
            "abcdefghijklmnopq",
        ] {
            let parsed = parse(id).unwrap();
            assert_eq!(parsed.as_str(), id.to_ascii_uppercase());
            assert!(!parsed.is_uscc());
        }
        assert_eq!(
            parse("1101051949123100_X01"),
            Err(TaxpayerIdError::BadChar {
                position: 17,
                found: '_'
            })
        );
    }

    #[test]
    fn rejects_other_lengths() {
        assert_eq!(parse(""), Err(TaxpayerIdError::Empty));
        for len in [1, 14, 16, 19, 21] {
            assert_eq!(
                parse(&"1".repeat(len)),
                Err(TaxpayerIdError::Length { len })
            );
        }
    }

    #[test]
    fn masks_all_but_first_and_last_four() {
        assert_eq!(parse(USCC).unwrap().masked(), "9111**********082Q");
        assert_eq!(parse(LEGACY).unwrap().masked(), "1101*******5082");
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let id = parse(LEGACY).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{LEGACY}\""));
        assert_eq!(serde_json::from_str::<TaxpayerId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<TaxpayerId>("\"110108551385083\"").is_err());
    }

    #[test]
    fn errors_speak_both_languages() {
        for error in [
            TaxpayerIdError::Empty,
            TaxpayerIdError::Length { len: 16 },
            TaxpayerIdError::BadChar {
                position: 2,
                found: 'O',
            },
            TaxpayerIdError::BadAdminDivision,
            TaxpayerIdError::BadOrgCode,
            TaxpayerIdError::BadCheck,
        ] {
            assert_localized(&error);
        }
    }

    proptest! {
        #[test]
        fn any_valid_uscc_is_a_taxpayer_id(code in valid_uscc()) {
            let id = parse(&code).unwrap();
            prop_assert!(id.is_uscc());
            prop_assert_eq!(id.to_uscc().map(String::from), Some(code));
        }

        #[test]
        fn only_known_lengths_are_accepted(id in "[0-9A-Z]{1,30}") {
            let len = id.len();
            if !(INDIVIDUAL_LENS.contains(&len) || len == LEGACY_ORG_LEN || len == uscc::LEN) {
                prop_assert_eq!(parse(&id), Err(TaxpayerIdError::Length { len }));
            }
        }

        #[test]
        fn legacy_form_detects_digit_substitutions_in_the_org_code(
            division in "[0-9]{6}",
            body in "[0-9]{8}",
            position in 6..LEGACY_ORG_LEN,
            replacement in 0u8..10,
        ) {
            let check = char::from(org_code::check_char(body.as_bytes()).unwrap());
            let mut bytes = format!("{division}{body}{check}").into_bytes();
            prop_assert!(parse(std::str::from_utf8(&bytes).unwrap()).is_ok());
            let replacement = b'0' + replacement;
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            prop_assert_eq!(
                parse(std::str::from_utf8(&bytes).unwrap()),
                Err(TaxpayerIdError::BadOrgCode)
            );
        }
    }
}
