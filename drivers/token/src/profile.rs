//! Which algorithms a key model offers, and through which mechanisms.
//!
//! A [`TokenProfile`] matches tokens by manufacturer and model (substrings of
//! `CK_TOKEN_INFO`) and lists, per [`KeyAlgorithm`], how to make and use its
//! key pairs. The default set has one generic profile (RSA-2048/3072/4096
//! and P-256 through the standard mechanisms) that matches every token; what
//! a token really offers is narrowed by its mechanism list
//! ([`crate::algorithm`]).
//!
//! **Adding SM2 for a vendor's key.** Chinese keys expose SM2 through
//! vendor-defined values (`CKM_VENDOR_DEFINED | n` for key generation and
//! signing, `CKK_VENDOR_DEFINED | m` for the key type). Add a profile in
//! front of the generic one, e.g.:
//!
//! ```
//! use kiosk_token::profile::{AlgorithmProfile, KeyGen, SignWith, TokenProfile};
//! use kiosk_domain::ports::key_writer::KeyAlgorithm;
//! const CKM_VENDOR_DEFINED: u64 = 0x8000_0000;
//! const CKK_VENDOR_DEFINED: u64 = 0x8000_0000;
//! let vendor = TokenProfile {
//!     name: "ACME SM2 key".into(),
//!     manufacturer: Some("ACME".into()),
//!     model: None,
//!     algorithms: vec![AlgorithmProfile {
//!         algorithm: KeyAlgorithm::Sm2,
//!         keygen: KeyGen::VendorEc {
//!             mechanism: CKM_VENDOR_DEFINED | 0x0001_0001,
//!             key_type: CKK_VENDOR_DEFINED | 0x0001_0001,
//!             curve_oid_der: kiosk_token::profile::sm2_curve_params(),
//!         },
//!         // Raw SM2 over e = SM3(Z || M), computed on the host.
//!         sign: SignWith::Vendor { mechanism: CKM_VENDOR_DEFINED | 0x0001_0002 },
//!     }],
//! };
//! let mut profiles = vec![vendor];
//! profiles.extend(kiosk_token::profile::default_profiles());
//! ```
//!
//! The public key comes back as an EC point (`CKA_EC_POINT`) and is put into a
//! SubjectPublicKeyInfo with `id-ecPublicKey` and the curve OID given here
//! (`1.2.156.10197.1.301` for SM2, the form Chinese CAs use). Which digest
//! goes to the token (SM3 with the Z value for SM2) is the request builder's
//! business: [`crate::sign`] passes the bytes it is given to the mechanism.

use crate::der;
use kiosk_domain::ports::key_writer::KeyAlgorithm;

/// How a key model makes a key pair of one algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyGen {
    /// `CKM_RSA_PKCS_KEY_PAIR_GEN`, public exponent 65537.
    Rsa { bits: u64 },
    /// `CKM_EC_KEY_PAIR_GEN` with `CKA_EC_PARAMS` = this named curve's OID (DER).
    Ec { curve_oid_der: Vec<u8> },
    /// A vendor mechanism that makes an EC-style key pair (SM2).
    VendorEc {
        mechanism: u64,
        key_type: u64,
        curve_oid_der: Vec<u8>,
    },
}

/// How a key model signs a digest with one algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignWith {
    /// `CKM_RSA_PKCS` over a SHA-256 `DigestInfo` built on the host.
    RsaPkcsDigestInfo,
    /// `CKM_ECDSA` over the digest; raw `r || s`.
    EcdsaRaw,
    /// A vendor mechanism over the bytes given.
    Vendor { mechanism: u64 },
}

/// One algorithm of a key model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmProfile {
    pub algorithm: KeyAlgorithm,
    pub keygen: KeyGen,
    pub sign: SignWith,
}

/// A key model: which tokens it matches and what they can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenProfile {
    pub name: String,
    /// Substring of the token's manufacturer; `None` matches any.
    pub manufacturer: Option<String>,
    /// Substring of the token's model; `None` matches any.
    pub model: Option<String>,
    pub algorithms: Vec<AlgorithmProfile>,
}

impl TokenProfile {
    #[must_use]
    pub fn matches(&self, manufacturer: &str, model: &str) -> bool {
        self.manufacturer
            .as_deref()
            .is_none_or(|m| manufacturer.contains(m))
            && self.model.as_deref().is_none_or(|m| model.contains(m))
    }

    #[must_use]
    pub fn algorithm(&self, algorithm: KeyAlgorithm) -> Option<&AlgorithmProfile> {
        self.algorithms.iter().find(|a| a.algorithm == algorithm)
    }
}

/// `CKA_EC_PARAMS` of P-256.
#[must_use]
pub fn p256_curve_params() -> Vec<u8> {
    der::tlv(der::TAG_OID, der::OID_PRIME256V1)
}

/// `CKA_EC_PARAMS` of SM2.
#[must_use]
pub fn sm2_curve_params() -> Vec<u8> {
    der::tlv(der::TAG_OID, der::OID_SM2P256V1)
}

/// The standard RSA profile of this size.
#[must_use]
pub fn rsa(algorithm: KeyAlgorithm) -> Option<AlgorithmProfile> {
    Some(AlgorithmProfile {
        algorithm,
        keygen: KeyGen::Rsa {
            bits: algorithm.rsa_bits()?.into(),
        },
        sign: SignWith::RsaPkcsDigestInfo,
    })
}

/// The generic profile: RSA-2048, -3072, -4096 and P-256 on any token
/// (whether a token really offers each is read from its mechanisms, see
/// [`crate::algorithm`]).
#[must_use]
pub fn generic_profile() -> TokenProfile {
    let rsa_sizes = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];
    TokenProfile {
        name: "generic PKCS#11".to_owned(),
        manufacturer: None,
        model: None,
        algorithms: rsa_sizes
            .into_iter()
            .filter_map(rsa)
            .chain([AlgorithmProfile {
                algorithm: KeyAlgorithm::EcP256,
                keygen: KeyGen::Ec {
                    curve_oid_der: p256_curve_params(),
                },
                sign: SignWith::EcdsaRaw,
            }])
            .collect(),
    }
}

/// The profiles used when none are configured.
#[must_use]
pub fn default_profiles() -> Vec<TokenProfile> {
    vec![generic_profile()]
}

/// The first profile that matches the token.
#[must_use]
pub fn profile_for<'a>(
    profiles: &'a [TokenProfile],
    manufacturer: &str,
    model: &str,
) -> Option<&'a TokenProfile> {
    profiles.iter().find(|p| p.matches(manufacturer, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_profile_wins() {
        let vendor = TokenProfile {
            name: "acme".into(),
            manufacturer: Some("ACME".into()),
            model: Some("K3".into()),
            algorithms: vec![],
        };
        let profiles = vec![vendor, generic_profile()];
        assert_eq!(
            profile_for(&profiles, "ACME Ltd", "K3 mini").map(|p| p.name.as_str()),
            Some("acme")
        );
        assert_eq!(
            profile_for(&profiles, "ACME Ltd", "K2").map(|p| p.name.as_str()),
            Some("generic PKCS#11")
        );
        assert!(profile_for(&[], "x", "y").is_none());
        assert!(generic_profile().algorithm(KeyAlgorithm::Sm2).is_none());
        assert_eq!(
            generic_profile()
                .algorithm(KeyAlgorithm::Rsa4096)
                .map(|a| &a.keygen),
            Some(&KeyGen::Rsa { bits: 4096 })
        );
        assert_eq!(
            p256_curve_params(),
            vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
        );
    }
}
