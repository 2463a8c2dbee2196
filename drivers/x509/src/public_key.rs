//! Public keys that the kiosk verifies signatures with.
//!
//! We verify with the RustCrypto crates (`rsa`, `p256`) rather than
//! x509-parser's `verify` feature (ring) because:
//! - they take a digest we computed ourselves (`verify_prehash`, PKCS #1 v1.5
//!   without a built-in prefix), which is exactly how the token signs: it is
//!   handed a digest, never the message;
//! - the same crates make the software signers of the tests, so the tests
//!   exercise the same encodings the token driver must produce;
//! - they are pure Rust: no C or assembly build on the kiosk image.
//!
//! (The `rsa` crate's advisory RUSTSEC-2023-0071 concerns timing of
//! private-key operations; the kiosk only verifies with it.)

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use crate::algorithm::{
    KeyAlgorithm, OID_ECDSA_WITH_SHA256, OID_SHA256_WITH_RSA, OID_SM2_WITH_SM3,
};
use crate::signer::digest_info_sha256;

/// Why a key could not be read or a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    #[error("the public key is not a valid {algorithm} key")]
    Malformed { algorithm: KeyAlgorithm },
    #[error("{0} keys are not supported yet")]
    Unsupported(KeyAlgorithm),
    #[error("signature algorithm {oid} does not fit a {key} key")]
    AlgorithmMismatch { oid: String, key: KeyAlgorithm },
    #[error("the signature does not verify")]
    BadSignature,
}

/// A public key we can verify SHA-256 signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Reads SubjectPublicKeyInfo DER.
    pub(crate) fn from_spki_der(spki_der: &[u8]) -> Result<Self, PublicKeyError> {
        let algorithm = KeyAlgorithm::of_spki_der(spki_der).ok_or(PublicKeyError::Malformed {
            algorithm: KeyAlgorithm::Other("unparsable SPKI".to_owned()),
        })?;
        let malformed = |_| PublicKeyError::Malformed {
            algorithm: algorithm.clone(),
        };
        match &algorithm {
            KeyAlgorithm::Rsa { .. } => rsa::RsaPublicKey::from_public_key_der(spki_der)
                .map(Self::Rsa)
                .map_err(malformed),
            KeyAlgorithm::EcP256 => p256::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                .map(Self::P256)
                .map_err(malformed),
            KeyAlgorithm::Sm2 | KeyAlgorithm::Other(_) => {
                Err(PublicKeyError::Unsupported(algorithm))
            }
        }
    }

    pub(crate) fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Self::Rsa(key) => KeyAlgorithm::Rsa {
                bits: u32::try_from(key.n().bits()).unwrap_or(u32::MAX),
            },
            Self::P256(_) => KeyAlgorithm::EcP256,
        }
    }

    /// The key re-encoded as canonical SPKI DER (RSA with NULL parameters,
    /// EC as an uncompressed point), so two encodings of one key compare
    /// equal.
    pub(crate) fn canonical_spki_der(&self) -> Result<Vec<u8>, PublicKeyError> {
        let der = match self {
            Self::Rsa(key) => key.to_public_key_der(),
            Self::P256(key) => p256::PublicKey::from(key).to_public_key_der(),
        };
        der.map(|d| d.into_vec())
            .map_err(|_| PublicKeyError::Malformed {
                algorithm: self.algorithm(),
            })
    }

    /// Verifies `signature` over SHA-256 of `message`, in the encoding the
    /// X.509 signature algorithm `sig_oid` prescribes: PKCS #1 v1.5 for
    /// sha256WithRSAEncryption, DER `ECDSA-Sig-Value` for ecdsa-with-SHA256.
    pub(crate) fn verify_sha256(
        &self,
        sig_oid: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), PublicKeyError> {
        let expected = match self {
            Self::Rsa(_) => OID_SHA256_WITH_RSA,
            Self::P256(_) => OID_ECDSA_WITH_SHA256,
        };
        if sig_oid == OID_SM2_WITH_SM3 {
            return Err(PublicKeyError::Unsupported(KeyAlgorithm::Sm2));
        }
        if sig_oid != expected {
            return Err(PublicKeyError::AlgorithmMismatch {
                oid: sig_oid.to_owned(),
                key: self.algorithm(),
            });
        }
        let digest: [u8; 32] = Sha256::digest(message).into();
        self.verify_digest(&digest, signature)
    }

    /// Verifies a signature over a SHA-256 digest, encoded as
    /// [`verify_sha256`](Self::verify_sha256) describes.
    pub(crate) fn verify_digest(
        &self,
        digest: &[u8; 32],
        signature: &[u8],
    ) -> Result<(), PublicKeyError> {
        let ok = match self {
            Self::Rsa(key) => key
                .verify(
                    rsa::Pkcs1v15Sign::new_unprefixed(),
                    &digest_info_sha256(digest),
                    signature,
                )
                .is_ok(),
            Self::P256(key) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok()),
        };
        ok.then_some(()).ok_or(PublicKeyError::BadSignature)
    }
}

/// True when two SPKI DER blobs hold the same key, whatever their encoding.
pub(crate) fn same_key(a_spki_der: &[u8], b_spki_der: &[u8]) -> Result<bool, PublicKeyError> {
    let a = PublicKey::from_spki_der(a_spki_der)?.canonical_spki_der()?;
    let b = PublicKey::from_spki_der(b_spki_der)?.canonical_spki_der()?;
    Ok(a == b)
}
