//! The seams to `kiosk-x509`: on-token keys as its [`RemoteSigner`], and its
//! certificate summaries as the port's [`CertificateReader`].

use kiosk_domain::order::renewal::CertificateSummary;
use kiosk_domain::ports::DeviceError;
use kiosk_domain::ports::key_writer::{
    CertificateReader, KeyAlgorithm, KeyId, KeyRef, KeyWriter, PublicKeyInfo,
};
use kiosk_x509::{RemoteSigner, SignerError};
use std::cell::RefCell;

/// Summarises certificates with [`kiosk_x509::summarize`].
#[derive(Debug, Clone, Copy, Default)]
pub struct X509Reader;

impl CertificateReader for X509Reader {
    fn summarize(&self, der: &[u8], key_id: &KeyId) -> Option<CertificateSummary> {
        match kiosk_x509::summarize(der, &key_id.to_hex()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, key_id = %key_id.to_hex(), "certificate not readable");
                None
            }
        }
    }
}

/// The X.509 crate's name for a key algorithm.
#[must_use]
pub fn x509_algorithm(algorithm: KeyAlgorithm) -> kiosk_x509::KeyAlgorithm {
    match algorithm {
        KeyAlgorithm::Rsa2048 => kiosk_x509::KeyAlgorithm::Rsa { bits: 2048 },
        KeyAlgorithm::Rsa3072 => kiosk_x509::KeyAlgorithm::Rsa { bits: 3072 },
        KeyAlgorithm::Rsa4096 => kiosk_x509::KeyAlgorithm::Rsa { bits: 4096 },
        KeyAlgorithm::EcP256 => kiosk_x509::KeyAlgorithm::EcP256,
        KeyAlgorithm::Sm2 => kiosk_x509::KeyAlgorithm::Sm2,
    }
}

/// A key pair on the token, signing through any [`KeyWriter`].
pub struct TokenSigner<'a, W: KeyWriter> {
    writer: RefCell<&'a mut W>,
    key: KeyRef,
    public: PublicKeyInfo,
}

impl<W: KeyWriter> std::fmt::Debug for TokenSigner<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("key", &self.key)
            .field("key_id", &self.public.key_id)
            .finish_non_exhaustive()
    }
}

impl<'a, W: KeyWriter> TokenSigner<'a, W> {
    pub fn new(writer: &'a mut W, key: KeyRef, public: PublicKeyInfo) -> Self {
        Self {
            writer: RefCell::new(writer),
            key,
            public,
        }
    }
}

impl<W: KeyWriter> RemoteSigner for TokenSigner<'_, W> {
    fn algorithm(&self) -> kiosk_x509::KeyAlgorithm {
        x509_algorithm(self.public.algorithm)
    }

    fn public_key_spki_der(&self) -> Vec<u8> {
        self.public.spki_der.clone()
    }

    fn sign_digest(&self, sha256_digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        let mut writer = self
            .writer
            .try_borrow_mut()
            .map_err(|_| SignerError::Token("signer re-entered".to_owned()))?;
        writer
            .sign_digest(&self.key, &self.public.key_id, sha256_digest)
            .map_err(|e| match e.kind() {
                kiosk_domain::ports::DeviceErrorKind::Unsupported => {
                    SignerError::Unsupported(e.to_string())
                }
                _ if e.to_string().contains("verified PIN") => SignerError::NotLoggedIn,
                _ => SignerError::Token(e.to_string()),
            })
    }
}
