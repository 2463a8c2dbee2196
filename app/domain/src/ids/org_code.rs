//! The GB 11714 organisation code check.
//!
//! Organisation codes predate the unified social credit code and live on
//! inside it (positions 9–17) and inside old 15-character taxpayer IDs, so
//! the check is shared rather than exposed as a type of its own: no customer
//! is asked for a bare organisation code any more.
//!
//! An organisation code is 8 body characters (`0`–`9`, `A`–`Z`, valued
//! 0–35) followed by one check character. With weights 3, 7, 9, 10, 5, 8, 4, 2
//! the check value is `11 - (sum mod 11)`, written `X` for 10 and `0` for 11.

/// Weights applied to the 8 body characters, left to right.
const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Number of body characters before the check character.
pub(crate) const BODY_LEN: usize = 8;

/// Length of a full organisation code (body and check character).
pub(crate) const CODE_LEN: usize = BODY_LEN + 1;

fn body_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// The check character for an upper-case 8-character `body`, or `None` if
/// `body` has the wrong length or a character outside `0`–`9`/`A`–`Z`.
pub(crate) fn check_char(body: &[u8]) -> Option<u8> {
    if body.len() != BODY_LEN {
        return None;
    }
    let mut sum = 0;
    for (&c, weight) in body.iter().zip(WEIGHTS) {
        sum += body_value(c)? * weight;
    }
    match 11 - sum % 11 {
        10 => Some(b'X'),
        11 => Some(b'0'),
        // 1..=9, so the cast cannot truncate.
        digit => u8::try_from(digit).ok().map(|d| b'0' + d),
    }
}

/// Whether `code` (9 upper-case characters, no hyphen) is a valid
/// organisation code.
pub(crate) fn is_valid(code: &[u8]) -> bool {
    match code.split_last() {
        Some((&check, body)) => check_char(body) == Some(check),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_real_organisation_code() {
        // Printed as 55138508-2 on the certificate.
        assert!(is_valid(b"551385082"));
        assert_eq!(check_char(b"55138508"), Some(b'2'));
    }

    #[test]
    fn writes_ten_as_x_and_eleven_as_zero() {
        // 6 * 2 = 12 ≡ 1 (mod 11), so the check value is 10.
        assert_eq!(check_char(b"00000006"), Some(b'X'));
        assert!(is_valid(b"00000006X"));
        // A sum of 0 gives a check value of 11.
        assert_eq!(check_char(b"00000000"), Some(b'0'));
        assert!(is_valid(b"000000000"));
    }

    #[test]
    fn letters_count_from_ten() {
        // A = 10: 10 * 3 = 30 ≡ 8, check value 3.
        assert_eq!(check_char(b"A0000000"), Some(b'3'));
        // Z = 35: 35 * 3 = 105 ≡ 6, check value 5.
        assert_eq!(check_char(b"Z0000000"), Some(b'5'));
    }

    #[test]
    fn rejects_wrong_check_character_length_and_alphabet() {
        assert!(!is_valid(b"551385083"));
        assert!(!is_valid(b"55138508"));
        assert!(!is_valid(b"5513850822"));
        assert!(!is_valid(b""));
        assert_eq!(check_char(b"5513850a"), None);
        assert_eq!(check_char(b"5513850-"), None);
    }

    proptest! {
        #[test]
        fn detects_any_single_digit_substitution(
            body in "[0-9]{8}",
            position in 0..CODE_LEN,
            replacement in 0u8..10,
        ) {
            let mut code = body.into_bytes();
            code.push(check_char(&code).unwrap());
            prop_assert!(is_valid(&code));
            let replacement = b'0' + replacement;
            prop_assume!(code[position] != replacement);
            code[position] = replacement;
            prop_assert!(!is_valid(&code));
        }
    }
}
