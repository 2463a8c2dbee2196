//! Which kind of key a certificate or token key is, read from its SPKI.

use serde::{Deserialize, Serialize};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// rsaEncryption (PKCS #1).
pub(crate) const OID_RSA: &str = "1.2.840.113549.1.1.1";
/// id-ecPublicKey (RFC 5480).
pub(crate) const OID_EC: &str = "1.2.840.10045.2.1";
/// prime256v1 / secp256r1, the named curve parameter of a P-256 key.
pub(crate) const OID_P256: &str = "1.2.840.10045.3.1.7";
/// sm2 curve (GM/T 0006), the named curve parameter of an SM2 key.
pub(crate) const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";
/// sha256WithRSAEncryption.
pub(crate) const OID_SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// ecdsa-with-SHA256.
pub(crate) const OID_ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
/// SM2-with-SM3 (GM/T 0006); recognised so errors can name it.
pub(crate) const OID_SM2_WITH_SM3: &str = "1.2.156.10197.1.501";

/// The kind of a key, as far as the kiosk cares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// RSA with a modulus of `bits` bits.
    Rsa { bits: u32 },
    /// ECDSA on NIST P-256.
    EcP256,
    /// SM2 (GB/T 32918), Chinese national algorithm; recognised, not
    /// supported yet (see the crate documentation).
    Sm2,
    /// Anything else, named by its algorithm OID (and curve OID, if any).
    Other(String),
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "RSA-{bits}"),
            Self::EcP256 => f.write_str("ECDSA P-256"),
            Self::Sm2 => f.write_str("SM2"),
            Self::Other(oid) => write!(f, "unknown algorithm {oid}"),
        }
    }
}

impl KeyAlgorithm {
    /// Classifies a parsed SPKI. Never fails: what it cannot name becomes
    /// `Other`, so listing a token's certificates shows odd keys instead of
    /// hiding them.
    pub(crate) fn of_spki(spki: &SubjectPublicKeyInfo<'_>) -> Self {
        let alg = spki.algorithm.algorithm.to_id_string();
        if alg == OID_RSA {
            return match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Self::Rsa {
                    bits: modulus_bits(rsa.modulus),
                },
                _ => Self::Other(alg),
            };
        }
        if alg == OID_EC {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .unwrap_or_default();
            return match curve.as_str() {
                OID_P256 => Self::EcP256,
                OID_SM2_CURVE => Self::Sm2,
                _ => Self::Other(format!("{alg} {curve}")),
            };
        }
        Self::Other(alg)
    }

    /// Classifies SPKI DER; `None` if it does not parse.
    pub(crate) fn of_spki_der(spki_der: &[u8]) -> Option<Self> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(spki_der).ok()?;
        rest.is_empty().then(|| Self::of_spki(&spki))
    }
}

/// Bits in a big-endian unsigned integer (leading zero bytes ignored).
fn modulus_bits(modulus: &[u8]) -> u32 {
    let mut bytes = modulus.iter().skip_while(|b| **b == 0);
    let Some(first) = bytes.next() else {
        return 0;
    };
    let rest = u32::try_from(bytes.count()).unwrap_or(u32::MAX / 8);
    rest * 8 + (8 - first.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_modulus_bits_ignoring_the_sign_byte() {
        let mut modulus = vec![0x00, 0xC1];
        modulus.extend([0u8; 255]);
        assert_eq!(modulus_bits(&modulus), 2048);
        assert_eq!(modulus_bits(&[0x01, 0x00]), 9);
        assert_eq!(modulus_bits(&[]), 0);
    }
}
