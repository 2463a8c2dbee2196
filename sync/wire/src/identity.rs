//! 实人认证 at the CA (`POST /v1/identity/checks`): the face a customer
//! agreed to send, with the name and ID number it must belong to; the
//! identity service answers 一致, 不一致, or that it holds nothing to compare
//! with. The reference service's is a simulator (demo only) that compares
//! the photo with the one it holds for that ID number.

use crate::hex;
use crate::order::parse;
use crate::problem::Problem;
use kiosk_domain::ids::ResidentId;
use kiosk_domain::order::text::PersonName;
use kiosk_domain::ports::ca::FaceVerdict;
use serde::{Deserialize, Serialize};

/// The largest photo a check carries (the kiosk's face capture is far
/// smaller; anything bigger is not a face photo).
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;

/// The body of the request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheckV1 {
    pub name: String,
    pub resident_id: String,
    /// The JPEG, hex.
    pub photo_jpeg_hex: String,
}

impl std::fmt::Debug for IdentityCheckV1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A name, an ID number and a face: none of them in a log.
        f.debug_struct("IdentityCheckV1")
            .field("photo_bytes", &(self.photo_jpeg_hex.len() / 2))
            .finish_non_exhaustive()
    }
}

/// A check as the service reads it (`Debug` masks the person: the domain
/// types do, and the photo shows as its size).
pub struct ValidCheck {
    pub name: PersonName,
    pub resident_id: ResidentId,
    pub photo: Vec<u8>,
}

impl std::fmt::Debug for ValidCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidCheck")
            .field("name", &self.name)
            .field("resident_id", &self.resident_id)
            .field("photo_bytes", &self.photo.len())
            .finish()
    }
}

impl IdentityCheckV1 {
    #[must_use]
    pub fn new(name: &PersonName, resident_id: &ResidentId, photo: &[u8]) -> Self {
        Self {
            name: name.as_str().to_owned(),
            resident_id: resident_id.as_str().to_owned(),
            photo_jpeg_hex: hex::encode(photo),
        }
    }

    /// The name and ID number checked with the domain's rules, the photo
    /// decoded.
    ///
    /// # Errors
    /// A field that does not parse, or a photo that is not hex, empty or
    /// too big.
    pub fn validate(&self) -> Result<ValidCheck, Box<Problem>> {
        let name = parse::<PersonName>("name", &self.name)?;
        let resident_id = parse::<ResidentId>("resident_id", &self.resident_id)?;
        let photo = hex::decode(&self.photo_jpeg_hex)
            .filter(|p| !p.is_empty() && p.len() <= MAX_PHOTO_BYTES)
            .ok_or_else(|| {
                let mut p = Problem::new(crate::problem::ProblemCode::InvalidField);
                p.field = Some("photo_jpeg_hex".to_owned());
                Box::new(p)
            })?;
        Ok(ValidCheck {
            name,
            resident_id,
            photo,
        })
    }
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityResultV1 {
    Match,
    NoMatch,
    NoReference,
}

/// The body of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityAnswerV1 {
    pub result: IdentityResultV1,
}

impl From<IdentityResultV1> for FaceVerdict {
    fn from(r: IdentityResultV1) -> Self {
        match r {
            IdentityResultV1::Match => Self::Match,
            IdentityResultV1::NoMatch => Self::NoMatch,
            IdentityResultV1::NoReference => Self::NoReference,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    #[test]
    fn a_check_reads_back_and_its_debug_says_nothing_personal() {
        let name: PersonName = "李四".parse().unwrap();
        let id: ResidentId = fixtures::RESIDENT_ID.parse().unwrap();
        let check = IdentityCheckV1::new(&name, &id, &[0xFF, 0xD8, 1, 2]);
        let debug = format!("{check:?}");
        assert!(
            !debug.contains("李四") && !debug.contains(fixtures::RESIDENT_ID),
            "{debug}"
        );
        let valid = check.validate().unwrap();
        assert_eq!(valid.photo, [0xFF, 0xD8, 1, 2]);
        let empty = IdentityCheckV1 {
            photo_jpeg_hex: String::new(),
            ..check
        };
        assert_eq!(
            empty.validate().unwrap_err().field.as_deref(),
            Some("photo_jpeg_hex")
        );
    }
}
