//! The two languages every customer-facing message exists in.
//!
//! Errors carry no text of their own beyond the English [`Display`](std::fmt::Display)
//! used in logs; the screen asks [`Localized::message`] for the customer's
//! language, so adding a message means writing it in both languages at once.

use serde::{Deserialize, Serialize};

/// A language the kiosk can speak to the customer in.
///
/// Serialised as its BCP 47 tag (`"zh-CN"`, `"en"`) so stored settings and
/// UI payloads read naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese, the language most customers use; the default.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Every supported language, for tests and language pickers.
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag, e.g. for the HTML `lang` attribute.
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Something that can explain itself to a customer in their language.
///
/// Implementors write for an elderly customer standing at the kiosk: plain
/// words, no jargon, and say what to do next.
pub trait Localized {
    /// The message to show the customer in `lang`.
    fn message(&self, lang: Lang) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_simplified_chinese() {
        assert_eq!(Lang::default(), Lang::ZhCn);
    }

    #[test]
    fn serialises_as_language_tag() {
        for lang in Lang::ALL {
            let json = serde_json::to_string(&lang).unwrap();
            assert_eq!(json, format!("\"{}\"", lang.tag()));
            assert_eq!(serde_json::from_str::<Lang>(&json).unwrap(), lang);
        }
    }

    #[test]
    fn rejects_unknown_language() {
        assert!(serde_json::from_str::<Lang>("\"fr\"").is_err());
    }
}
