//! In-memory keys that behave like token keys: they get a digest and return
//! the raw signature a PKCS #11 token would.

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::pkcs8::EncodePublicKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;

use super::TestCaError;
use crate::{KeyAlgorithm, RemoteSigner, SignerError, digest_info_sha256};

/// A software key standing in for a key on a token.
#[derive(Debug, Clone)]
pub enum SoftSigner {
    P256(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl SoftSigner {
    /// A fresh random P-256 key.
    pub fn generate_p256() -> Self {
        Self::P256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    /// A P-256 key from its 32-byte secret scalar.
    pub fn p256_from_scalar(scalar: &[u8]) -> Result<Self, TestCaError> {
        p256::ecdsa::SigningKey::from_slice(scalar)
            .map(Self::P256)
            .map_err(|e| TestCaError::Key(e.to_string()))
    }

    /// The 32-byte secret scalar of a P-256 key (`None` for RSA).
    pub fn p256_scalar(&self) -> Option<Vec<u8>> {
        match self {
            Self::P256(key) => Some(key.to_bytes().to_vec()),
            Self::Rsa(_) => None,
        }
    }

    /// The private key as PKCS #8 DER (P-256 only): for test identities
    /// that a TLS client loads from PEM.
    pub fn p256_pkcs8_der(&self) -> Option<Vec<u8>> {
        use p256::pkcs8::EncodePrivateKey;
        match self {
            Self::P256(key) => p256::SecretKey::from(key)
                .to_pkcs8_der()
                .ok()
                .map(|d| d.as_bytes().to_vec()),
            Self::Rsa(_) => None,
        }
    }

    /// A fresh random RSA key of `bits` bits (slow in a debug build for
    /// large sizes: tests use it for small, refused ones).
    pub fn generate_rsa(bits: usize) -> Result<Self, TestCaError> {
        rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
            .map(|key| Self::Rsa(Box::new(key)))
            .map_err(|e| TestCaError::Key(e.to_string()))
    }

    /// An RSA key from PKCS #8 DER. (Generating RSA keys in a debug build
    /// takes seconds, so tests load fixed keys.)
    pub fn rsa_from_pkcs8_der(der: &[u8]) -> Result<Self, TestCaError> {
        rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map(|key| Self::Rsa(Box::new(key)))
            .map_err(|e| TestCaError::Key(e.to_string()))
    }
}

impl RemoteSigner for SoftSigner {
    fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Self::P256(_) => KeyAlgorithm::EcP256,
            Self::Rsa(key) => KeyAlgorithm::Rsa {
                bits: u32::try_from(key.n().bits()).unwrap_or(u32::MAX),
            },
        }
    }

    fn public_key_spki_der(&self) -> Vec<u8> {
        let der = match self {
            Self::P256(key) => p256::PublicKey::from(key.verifying_key()).to_public_key_der(),
            Self::Rsa(key) => key.to_public_key().to_public_key_der(),
        };
        der.map(|d| d.into_vec()).unwrap_or_default()
    }

    /// P-256: `r || s` like `CKM_ECDSA`; RSA: PKCS #1 v1.5 over the
    /// DigestInfo like `CKM_RSA_PKCS`.
    fn sign_digest(&self, sha256_digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        match self {
            Self::P256(key) => {
                let signature: p256::ecdsa::Signature = key
                    .sign_prehash(sha256_digest)
                    .map_err(|e| SignerError::Token(e.to_string()))?;
                Ok(signature.to_bytes().to_vec())
            }
            Self::Rsa(key) => key
                .sign(
                    rsa::Pkcs1v15Sign::new_unprefixed(),
                    &digest_info_sha256(sha256_digest),
                )
                .map_err(|e| SignerError::Token(e.to_string())),
        }
    }
}
