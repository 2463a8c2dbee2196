//! Keys that live on the customer's token, and how their raw signatures are
//! turned into X.509 signature encodings.

use sha2::{Digest, Sha256};

use crate::algorithm::{KeyAlgorithm, OID_ECDSA_WITH_SHA256, OID_SHA256_WITH_RSA};

/// A private key that never leaves the token: the kiosk hands it a SHA-256
/// digest and gets a raw signature back.
///
/// The token hashes nothing. What `sign_digest` must return, per algorithm:
///
/// - **RSA (PKCS #1 v1.5):** the implementation wraps the digest with
///   [`digest_info_sha256`] (51 bytes: the DER `DigestInfo` for SHA-256) and
///   signs those 51 bytes with the raw `CKM_RSA_PKCS` mechanism. It returns
///   the signature as the token gives it: exactly modulus-length bytes (256
///   for RSA-2048). We build the `DigestInfo` here rather than using
///   `CKM_SHA256_RSA_PKCS` because every PKCS #11 token has `CKM_RSA_PKCS`,
///   while hash-and-sign mechanisms vary, and they would hash the digest again.
/// - **P-256:** the implementation signs the 32-byte digest with `CKM_ECDSA`
///   and returns the token's raw output, `r || s`, 64 bytes, each half
///   big-endian and left-padded to 32 bytes (PKCS #11's format). This crate
///   converts it to the DER `SEQUENCE { INTEGER r, INTEGER s }` X.509 needs.
/// - **SM2:** not supported yet; see the crate documentation.
pub trait RemoteSigner {
    /// The kind of key (must agree with [`public_key_spki_der`](Self::public_key_spki_der)).
    fn algorithm(&self) -> KeyAlgorithm;
    /// The public key as DER `SubjectPublicKeyInfo` (not the raw EC point or
    /// PKCS #1 key: build the SPKI from `CKA_EC_POINT` / modulus + exponent).
    fn public_key_spki_der(&self) -> Vec<u8>;
    /// Signs a SHA-256 digest; see the trait documentation for the encoding.
    fn sign_digest(&self, sha256_digest: &[u8; 32]) -> Result<Vec<u8>, SignerError>;
}

/// Why the token did not sign (reported by the token driver).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    #[error("the key's PIN has not been verified in this session")]
    NotLoggedIn,
    #[error("the key does not offer the signing mechanism needed: {0}")]
    Unsupported(String),
    #[error("the key refused to sign: {0}")]
    Token(String),
}

/// Why a signature could not be made in the encoding X.509 needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error("{0} keys are not supported yet (SM2 needs the token vendor's mechanism and SM3)")]
    Unsupported(KeyAlgorithm),
    #[error(
        "the key returned a {got}-byte signature; a {algorithm} signature has {expected} bytes"
    )]
    WrongLength {
        algorithm: KeyAlgorithm,
        expected: usize,
        got: usize,
    },
    #[error("the key returned an ECDSA signature with r or s out of range")]
    InvalidEcdsa,
}

/// DER prefix of `DigestInfo { AlgorithmIdentifier { id-sha256, NULL },
/// OCTET STRING (32 bytes) }` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The DER `DigestInfo` for a SHA-256 digest: the 51 bytes an RSA token
/// signs with `CKM_RSA_PKCS`.
pub fn digest_info_sha256(digest: &[u8; 32]) -> [u8; 51] {
    let mut out = [0u8; 51];
    out[..19].copy_from_slice(&SHA256_DIGEST_INFO_PREFIX);
    out[19..].copy_from_slice(digest);
    out
}

/// An X.509 signature algorithm we can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    RsaSha256,
    EcdsaSha256,
}

impl SignatureAlgorithm {
    pub(crate) fn for_key(key: &KeyAlgorithm) -> Result<Self, SignatureError> {
        match key {
            KeyAlgorithm::Rsa { .. } => Ok(Self::RsaSha256),
            KeyAlgorithm::EcP256 => Ok(Self::EcdsaSha256),
            KeyAlgorithm::Sm2 | KeyAlgorithm::Other(_) => {
                Err(SignatureError::Unsupported(key.clone()))
            }
        }
    }

    pub(crate) fn oid(self) -> &'static str {
        match self {
            Self::RsaSha256 => OID_SHA256_WITH_RSA,
            Self::EcdsaSha256 => OID_ECDSA_WITH_SHA256,
        }
    }

    /// Writes the `AlgorithmIdentifier`: RSA with explicit NULL parameters
    /// (RFC 4055), ECDSA with none (RFC 5758).
    pub(crate) fn write_identifier(self, writer: yasna::DERWriter<'_>) {
        writer.write_sequence(|w| {
            let oid = match self {
                Self::RsaSha256 => &[1, 2, 840, 113_549, 1, 1, 11][..],
                Self::EcdsaSha256 => &[1, 2, 840, 10_045, 4, 3, 2][..],
            };
            w.next()
                .write_oid(&yasna::models::ObjectIdentifier::from_slice(oid));
            if self == Self::RsaSha256 {
                w.next().write_null();
            }
        });
    }
}

/// Has `signer` sign SHA-256 of `message` and returns the signature in its
/// X.509 encoding (PKCS #1 v1.5 bytes, or DER `ECDSA-Sig-Value`).
pub(crate) fn sign_sha256(
    signer: &dyn RemoteSigner,
    message: &[u8],
) -> Result<(SignatureAlgorithm, Vec<u8>), SignatureError> {
    let key = signer.algorithm();
    let algorithm = SignatureAlgorithm::for_key(&key)?;
    let digest: [u8; 32] = Sha256::digest(message).into();
    let raw = signer.sign_digest(&digest)?;
    let encoded = match (&key, algorithm) {
        (KeyAlgorithm::Rsa { bits }, _) => {
            let expected = usize::try_from(bits.div_ceil(8)).unwrap_or(usize::MAX);
            check_length(&key, expected, &raw)?;
            raw
        }
        _ => {
            check_length(&key, 64, &raw)?;
            ecdsa_raw_to_der(&raw)?
        }
    };
    Ok((algorithm, encoded))
}

fn check_length(key: &KeyAlgorithm, expected: usize, raw: &[u8]) -> Result<(), SignatureError> {
    if raw.len() == expected {
        Ok(())
    } else {
        Err(SignatureError::WrongLength {
            algorithm: key.clone(),
            expected,
            got: raw.len(),
        })
    }
}

/// PKCS #11 `r || s` (64 bytes) to DER `SEQUENCE { INTEGER r, INTEGER s }`.
/// `p256` strips leading zeros and adds the 0x00 a set top bit needs, and
/// refuses r or s of zero or not below the group order.
pub(crate) fn ecdsa_raw_to_der(raw: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let signature =
        p256::ecdsa::Signature::from_slice(raw).map_err(|_| SignatureError::InvalidEcdsa)?;
    Ok(signature.to_der().as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "tests: a failed unwrap is a failed test"
    )]
    use super::*;

    #[test]
    fn digest_info_is_the_rfc_8017_prefix_and_the_digest() {
        let info = digest_info_sha256(&[0xAB; 32]);
        assert_eq!(info[..2], [0x30, 0x31]);
        assert_eq!(info.len(), 2 + 0x31);
        assert_eq!(info[19..], [0xAB; 32]);
    }

    #[test]
    fn ecdsa_der_pads_a_set_top_bit_and_strips_leading_zeros() {
        // r = 0x80 00 .. 01 (top bit set: needs a 0x00 sign byte),
        // s = 0x00 00 7F .. (two leading zero bytes: stripped).
        let mut raw = [0u8; 64];
        raw[0] = 0x80;
        raw[31] = 0x01;
        raw[34] = 0x7F;
        raw[63] = 0x05;
        let der = ecdsa_raw_to_der(&raw).unwrap();
        // SEQUENCE, INTEGER r: 33 bytes starting 00 80.
        assert_eq!(der[0], 0x30);
        assert_eq!(der[2..6], [0x02, 33, 0x00, 0x80]);
        let s = &der[2 + 2 + 33..];
        // INTEGER s: 30 bytes, starting 7F.
        assert_eq!(s[..3], [0x02, 30, 0x7F]);
        assert_eq!(usize::from(der[1]), der.len() - 2);
    }

    #[test]
    fn ecdsa_rejects_zero_halves() {
        assert_eq!(
            ecdsa_raw_to_der(&[0u8; 64]),
            Err(SignatureError::InvalidEcdsa)
        );
    }
}
