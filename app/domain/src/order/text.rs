//! Free-text fields a person types (names, addresses), bounded and trimmed so
//! that nothing the CA would reject, and nothing empty, can be stored.

use crate::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// Why a free-text field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but spaces was entered.
    #[error("Please fill in the {field}.")]
    Empty { field: &'static str },
    /// More characters than the field holds.
    #[error("The {field} is too long: at most {max} characters.")]
    TooLong { field: &'static str, max: usize },
    /// A control character (e.g. from a scanner) that no name contains.
    #[error("The {field} contains a character that cannot be used. Please enter it again.")]
    ControlCharacter { field: &'static str },
}

impl Localized for TextError {
    fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                Self::Empty { field } => format!("请填写{}", zh_field(field)),
                Self::TooLong { field, max } => {
                    format!("{}过长，最多{}个字", zh_field(field), max)
                }
                Self::ControlCharacter { field } => {
                    format!("{}中含有无法识别的字符，请重新输入", zh_field(field))
                }
            },
        }
    }
}

fn zh_field(field: &str) -> &'static str {
    match field {
        "name" => "姓名",
        "unit name" => "单位名称",
        "address" => "地址",
        "reference" => "编号",
        _ => "此项",
    }
}

fn validate(input: &str, field: &'static str, max: usize) -> Result<String, TextError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty { field });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter { field });
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { field, max });
    }
    Ok(trimmed.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The most characters this field holds.
            pub const MAX_CHARS: usize = $max;

            /// The trimmed text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = TextError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                validate(s, $field, $max).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = TextError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        // Names and addresses are personal data: `?value` in a log shows only
        // their length.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({} chars)", stringify!($name), self.0.chars().count())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// A person's name as on their ID card (Chinese names may carry a middle dot).
    PersonName, "name", 30
);
bounded_text!(
    /// A unit's (enterprise's) registered name, as on its business licence.
    UnitName, "unit name", 100
);
bounded_text!(
    /// A postal address.
    Address, "address", 200
);
bounded_text!(
    /// A reference the customer or staff copies from elsewhere (enterprise
    /// number, user number, payment reference).
    Reference, "reference", 64
);

impl PersonName {
    /// The name masked for a public screen or receipt: the family name stays,
    /// the rest becomes `*` (张** for 张三丰).
    #[must_use]
    pub fn masked(&self) -> String {
        let mut chars = self.0.chars();
        let first = chars.next().map(String::from).unwrap_or_default();
        first + &"*".repeat(chars.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        let name: PersonName = "  张三  ".parse().unwrap();
        assert_eq!(name.as_str(), "张三");
        assert_eq!(
            "   ".parse::<PersonName>(),
            Err(TextError::Empty { field: "name" })
        );
        assert!("张".repeat(30).parse::<PersonName>().is_ok());
        assert_eq!(
            "张".repeat(31).parse::<PersonName>(),
            Err(TextError::TooLong {
                field: "name",
                max: 30
            })
        );
        assert!("a\u{7}b".parse::<UnitName>().is_err());
    }

    #[test]
    fn debug_output_hides_the_text() {
        let name: PersonName = "张三丰".parse().unwrap();
        assert_eq!(format!("{name:?}"), "PersonName(3 chars)");
    }

    #[test]
    fn masks_all_but_the_family_name() {
        let name: PersonName = "张三丰".parse().unwrap();
        assert_eq!(name.masked(), "张**");
    }

    #[test]
    fn deserializing_revalidates() {
        assert!(serde_json::from_str::<UnitName>("\"  \"").is_err());
        let unit: UnitName = serde_json::from_str("\"山西某某煤业有限公司\"").unwrap();
        assert_eq!(unit.as_str(), "山西某某煤业有限公司");
    }

    #[test]
    fn errors_speak_chinese() {
        let err = "".parse::<UnitName>().unwrap_err();
        assert_eq!(err.message(Lang::ZhCn), "请填写单位名称");
    }
}
