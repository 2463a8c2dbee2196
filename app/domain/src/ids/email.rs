//! E-mail addresses, for sending certificates and invoices.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::fold_input;
use crate::lang::{Lang, Localized};

/// Longest address that fits in an SMTP path.
const MAX_LEN: usize = 254;

/// Longest local part SMTP allows.
const MAX_LOCAL_LEN: usize = 64;

/// Longest DNS label.
const MAX_LABEL_LEN: usize = 63;

/// An e-mail address, checked pragmatically rather than by the full RFC 5322
/// grammar: the aim is to catch typing mistakes at the kiosk, not to accept
/// every address a mail server could.
///
/// Rules: at most 254 characters; exactly one `@`; a local part of 1 to 64
/// printable ASCII characters without spaces; a domain of at least two
/// dot-separated labels, each 1 to 63 letters, digits or hyphens and not
/// starting or ending with a hyphen, the last (the top-level domain) at
/// least two letters. The domain is stored in lower case because it is
/// case-insensitive; the local part is kept as typed because, strictly, it
/// is not.
///
/// ```
/// use kiosk_domain::ids::Email;
/// let email: Email = " Zhang.San@Example.COM ".parse()?;
/// assert_eq!(email.as_str(), "Zhang.San@example.com");
/// assert_eq!(email.masked(), "Z***@example.com");
/// # Ok::<(), kiosk_domain::ids::EmailError>(())
/// ```
// Debug is written by hand below: it masks, so `?value` in a log leaks nothing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    address: String,
    /// Byte index of the `@` in `address`.
    at: usize,
}

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was entered.
    #[error("Please enter your e-mail address.")]
    Empty,
    /// Longer than 254 characters.
    #[error("This e-mail address is too long. Please check it.")]
    TooLong,
    /// No `@`, or more than one.
    #[error("An e-mail address has exactly one @, like zhang@example.com. Please check it.")]
    AtSign,
    /// The part before the `@` is empty, too long or has spaces or symbols
    /// that cannot be typed on a plain keyboard.
    #[error("The part of the e-mail address before the @ is not valid. Please check it.")]
    BadLocalPart,
    /// The part after the `@` is not a domain name.
    #[error(
        "The part of the e-mail address after the @ is not valid; it should look like example.com. Please check it."
    )]
    BadDomain,
}

impl Localized for EmailError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty => "请输入电子邮箱地址".to_owned(),
                Self::TooLong => "电子邮箱地址太长，请核对".to_owned(),
                Self::AtSign => {
                    "电子邮箱地址中应有且只有一个“@”，例如 zhang@example.com，请核对".to_owned()
                }
                Self::BadLocalPart => "电子邮箱地址“@”前面的部分有误，请核对".to_owned(),
                Self::BadDomain => {
                    "电子邮箱地址“@”后面的部分有误，应像 example.com 这样，请核对".to_owned()
                }
            },
        }
    }
}

fn is_valid_local_part(local: &str) -> bool {
    (1..=MAX_LOCAL_LEN).contains(&local.len()) && local.bytes().all(|b| b.is_ascii_graphic())
}

fn is_valid_label(label: &str) -> bool {
    (1..=MAX_LABEL_LEN).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels.iter().all(|label| is_valid_label(label))
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

impl Email {
    /// The address with its domain in lower case.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`, as typed.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The part after the `@`, in lower case.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }

    /// The address with the local part reduced to its first character
    /// (`z***@example.com`), for screens and receipts. The number of stars is
    /// fixed so the length of the name is not disclosed either.
    pub fn masked(&self) -> String {
        let first: String = self.local_part().chars().take(1).collect();
        format!("{first}***@{}", self.domain())
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let folded = fold_input(input);
        if folded.is_empty() {
            return Err(EmailError::Empty);
        }
        if folded.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = match folded.split_once('@') {
            Some((local, domain)) if !domain.contains('@') => (local, domain),
            _ => return Err(EmailError::AtSign),
        };
        if !is_valid_local_part(local) {
            return Err(EmailError::BadLocalPart);
        }
        if !is_valid_domain(domain) {
            return Err(EmailError::BadDomain);
        }
        Ok(Self {
            address: format!("{local}@{}", domain.to_ascii_lowercase()),
            at: local.len(),
        })
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.address
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Email").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::test_support::assert_localized;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<Email, EmailError> {
        s.parse()
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for address in [
            "zhang@example.com",
            "zhang.san+ca@mail.example.com.cn",
            "a@b.cn",
            "x_y-z!#$%&'*/=?^`{|}~@qq.com",
            "user@my-company123.com",
        ] {
            let email = parse(address).unwrap();
            assert_eq!(email.as_str(), address);
            assert_eq!(email.to_string(), address);
        }
    }

    #[test]
    fn lower_cases_domain_only() {
        let email = parse("  ZhangSan@MAIL.Example.COM\t").unwrap();
        assert_eq!(email.as_str(), "ZhangSan@mail.example.com");
        assert_eq!(email.local_part(), "ZhangSan");
        assert_eq!(email.domain(), "mail.example.com");
    }

    #[test]
    fn folds_full_width_input() {
        assert_eq!(
            parse("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ")
                .unwrap()
                .as_str(),
            "zhang@example.com"
        );
    }

    #[test]
    fn masks_local_part_with_fixed_stars() {
        assert_eq!(
            parse("zhang@example.com").unwrap().masked(),
            "z***@example.com"
        );
        assert_eq!(parse("z@example.com").unwrap().masked(), "z***@example.com");
    }

    #[test]
    fn rejects_empty_and_too_long() {
        assert_eq!(parse("  "), Err(EmailError::Empty));
        let label = "a".repeat(60);
        let domain = format!("{label}.{label}.{label}.{label}.com");
        let longest_local = 254 - 1 - domain.len();
        let fits = format!("{}@{domain}", "u".repeat(longest_local));
        assert_eq!(fits.len(), 254);
        assert!(parse(&fits).is_ok());
        let over = format!("{}@{domain}", "u".repeat(longest_local + 1));
        assert_eq!(parse(&over), Err(EmailError::TooLong));
    }

    #[test]
    fn requires_exactly_one_at_sign() {
        for address in ["zhang.example.com", "zhang@@example.com", "a@b@example.com"] {
            assert_eq!(parse(address), Err(EmailError::AtSign), "{address}");
        }
    }

    #[test]
    fn rejects_bad_local_parts() {
        let too_long = format!("{}@example.com", "a".repeat(65));
        assert!(parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
        for address in [
            "@example.com",
            "zhang san@example.com",
            "张三@example.com",
            too_long.as_str(),
        ] {
            assert_eq!(parse(address), Err(EmailError::BadLocalPart), "{address}");
        }
    }

    #[test]
    fn rejects_bad_domains() {
        let long_label = format!("zhang@{}.com", "a".repeat(64));
        assert!(parse(&format!("zhang@{}.com", "a".repeat(63))).is_ok());
        for address in [
            "zhang@",
            "zhang@localhost",
            "zhang@example.c",
            "zhang@example.c0m",
            "zhang@example.123",
            "zhang@example..com",
            "zhang@.example.com",
            "zhang@example.com.",
            "zhang@-example.com",
            "zhang@example-.com",
            "zhang@exa_mple.com",
            "zhang@例子.中国",
            long_label.as_str(),
        ] {
            assert_eq!(parse(address), Err(EmailError::BadDomain), "{address}");
        }
    }

    #[test]
    fn serde_round_trips_and_revalidates() {
        let email = parse("zhang@example.com").unwrap();
        let json = serde_json::to_string(&email).unwrap();
        assert_eq!(json, "\"zhang@example.com\"");
        assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), email);
        assert!(serde_json::from_str::<Email>("\"zhang@localhost\"").is_err());
    }

    #[test]
    fn errors_speak_both_languages() {
        for error in [
            EmailError::Empty,
            EmailError::TooLong,
            EmailError::AtSign,
            EmailError::BadLocalPart,
            EmailError::BadDomain,
        ] {
            assert_localized(&error);
        }
    }

    proptest! {
        #[test]
        fn well_formed_addresses_parse_and_round_trip(
            local in "[a-zA-Z0-9._+-]{1,64}",
            labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..4),
            tld in "[a-zA-Z]{2,6}",
        ) {
            let address = format!("{local}@{}.{tld}", labels.join("."));
            let email = parse(&address).unwrap();
            prop_assert_eq!(email.local_part(), local.as_str());
            prop_assert_eq!(email.domain(), email.domain().to_ascii_lowercase());
            prop_assert_eq!(parse(email.as_str()).unwrap(), email);
        }
    }
}
