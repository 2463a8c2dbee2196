//! Identifiers customers type or present, parsed into types that cannot hold
//! invalid values.
//!
//! Every type here follows the same shape: `FromStr` forgives what people
//! naturally type (surrounding spaces, lower case, full-width characters from a
//! Chinese input method) and then checks every rule, including check
//! characters; `as_str()` and `Display` give the normalised form; serde goes
//! through `String` and re-validates, so a stored or received value cannot
//! smuggle in something the parser would refuse; `masked()` gives the form
//! safe to show on screens and print on receipts.

mod email;
mod mobile;
mod org_code;
mod resident_id;
mod taxpayer_id;
mod uscc;

pub use email::{Email, EmailError};
pub use mobile::{MobileNumber, MobileNumberError};
pub use resident_id::{ResidentId, ResidentIdError};
pub use taxpayer_id::{TaxpayerId, TaxpayerIdError};
pub use uscc::{Uscc, UsccError};

use crate::lang::Lang;

/// The 31 symbols of GB 32100-2015 (unified social credit code), in value
/// order: the symbol at index `v` has value `v`.
///
/// The standard leaves out I, O, S, V and Z because they are easily confused
/// with 1, 0, 5, U and 2. Order numbers reuse the set for the same reason:
/// they are read aloud and typed back.
pub const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The value of `symbol` in [`USCC_ALPHABET`], if it is one of the symbols.
pub(crate) fn alphabet_value(symbol: u8) -> Option<u32> {
    USCC_ALPHABET
        .iter()
        .position(|&s| s == symbol)
        .and_then(|v| u32::try_from(v).ok())
}

/// The symbol a customer probably meant when they typed one of the five
/// letters [`USCC_ALPHABET`] (and order numbers) leave out, for hints in error
/// messages and on screens.
#[must_use]
pub fn lookalike_in_alphabet(found: char) -> Option<char> {
    match found.to_ascii_uppercase() {
        'I' => Some('1'),
        'O' => Some('0'),
        'S' => Some('5'),
        'V' => Some('U'),
        'Z' => Some('2'),
        _ => None,
    }
}

/// A hint naming the symbol the customer probably meant, or nothing if
/// `found` is not one of the left-out letters. Ends in a space (English) or
/// punctuation (Chinese) so it slots in before "please check".
pub(crate) fn lookalike_hint(found: &char, lang: Lang) -> String {
    match (lookalike_in_alphabet(*found), lang) {
        (None, _) => String::new(),
        (Some(meant), Lang::En) => {
            format!("The letter {found} never appears here; did you mean {meant}? ")
        }
        (Some(meant), Lang::ZhCn) => format!("这里不会出现字母{found}，是否应为“{meant}”？"),
    }
}

/// Trims `input` and folds full-width forms to ASCII.
///
/// Chinese input methods often leave full-width mode on, producing `１２３`
/// or `＠`; the customer sees nothing wrong, so refusing them would only
/// confuse.
pub(crate) fn fold_input(input: &str) -> String {
    input.trim().chars().map(to_half_width).collect()
}

fn to_half_width(c: char) -> char {
    const FULL_WIDTH_OFFSET: u32 = 0xFEE0;
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - FULL_WIDTH_OFFSET).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Shows the first `keep_front` and last `keep_back` characters of `value`,
/// replacing each one in between with `*`, so the shape stays recognisable
/// to its owner without disclosing it to onlookers.
pub(crate) fn mask(value: &str, keep_front: usize, keep_back: usize) -> String {
    let len = value.chars().count();
    value
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_front || i + keep_back >= len {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The 1-based position of the first character of `chars` failing `ok`.
pub(crate) fn first_bad_position(
    chars: &[char],
    ok: impl Fn(usize, char) -> bool,
) -> Option<usize> {
    chars
        .iter()
        .enumerate()
        .find(|&(i, &c)| !ok(i, c))
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::lang::{Lang, Localized};
    use std::fmt::Display;

    /// Checks an error speaks both languages: English matches `Display`, and
    /// the Chinese text really is Chinese rather than a copy of the English.
    pub(crate) fn assert_localized<E: Localized + Display>(error: &E) {
        let en = error.message(Lang::En);
        let zh = error.message(Lang::ZhCn);
        assert_eq!(en, error.to_string());
        assert!(!en.is_empty());
        // Catches full-width punctuation copied over from the Chinese text.
        assert!(en.is_ascii(), "non-ASCII in {en:?}");
        assert!(
            zh.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
            "no Chinese in {zh:?}"
        );
        assert!(
            zh.contains('请'),
            "Chinese message should say what to do: {zh:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_31_distinct_symbols_in_ascending_order() {
        assert!(USCC_ALPHABET.windows(2).all(|w| w[0] < w[1]));
        for confusable in *b"IOSVZ" {
            assert_eq!(alphabet_value(confusable), None);
        }
    }

    #[test]
    fn alphabet_value_is_the_index() {
        for (i, &s) in USCC_ALPHABET.iter().enumerate() {
            assert_eq!(alphabet_value(s), Some(u32::try_from(i).unwrap()));
        }
        assert_eq!(alphabet_value(b'a'), None);
    }

    #[test]
    fn fold_input_trims_and_folds_full_width() {
        assert_eq!(fold_input("\u{3000} １２ａＢ＠ｘ．ｃｎ \n"), "12aB@x.cn");
        assert_eq!(fold_input("a\u{3000}b"), "a b");
    }

    #[test]
    fn mask_keeps_ends_only() {
        assert_eq!(mask("13812345678", 3, 4), "138****5678");
        assert_eq!(mask("abc", 3, 4), "abc");
        assert_eq!(mask("", 3, 4), "");
    }

    #[test]
    fn first_bad_position_is_one_based() {
        let chars: Vec<char> = "12a4".chars().collect();
        assert_eq!(
            first_bad_position(&chars, |_, c| c.is_ascii_digit()),
            Some(3)
        );
        assert_eq!(first_bad_position(&chars, |_, _| true), None);
    }
}
