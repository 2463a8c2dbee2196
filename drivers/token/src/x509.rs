//! The seams to `kiosk-x509`: on-token keys as its [`RemoteSigner`], and its
//! certificate summaries as the port's [`CertificateReader`].

use kiosk_domain::order::renewal::CertificateSummary;
use kiosk_domain::ports::DeviceError;
use kiosk_domain::ports::key_writer::{
    CertificateReader, KeyAlgorithm, KeyId, KeyRef, KeyWriter, PublicKeyInfo,
};
use kiosk_domain::ports::staff::{CredentialRefusal, StaffCredentials, StaffMember, StaffRole};
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

/// Staff certificates checked with [`kiosk_x509::verify_staff_certificate`]
/// against the staff CA configured on the kiosk, with its revocation lists:
/// those configured and those last synced from the CA.
#[derive(Debug, Default)]
pub struct X509StaffCredentials {
    /// The staff CA's certificates (trust anchors).
    pub roots: Vec<Vec<u8>>,
    /// Its revocation lists as configured.
    pub revocation_lists: Vec<Vec<u8>>,
    /// Its revocation lists as the CA last published them.
    synced: std::sync::RwLock<Vec<Vec<u8>>>,
}

impl X509StaffCredentials {
    /// Takes `lists` (synced from the CA) in place of the last ones, each
    /// only if it verifies with a staff CA certificate configured here (a
    /// list that does not is left out and logged); the ones kept.
    pub fn keep_synced(&self, lists: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let kept: Vec<Vec<u8>> = lists
            .into_iter()
            .filter(|list| {
                let verifies = self
                    .roots
                    .iter()
                    .any(|root| kiosk_x509::revoked_serials(list, root).is_ok());
                if !verifies {
                    tracing::warn!("a staff revocation list from the CA does not verify: left out");
                }
                verifies
            })
            .collect();
        *self
            .synced
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = kept.clone();
        kept
    }

    /// The lists last synced (and kept).
    #[must_use]
    pub fn synced(&self) -> Vec<Vec<u8>> {
        self.synced
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl X509StaffCredentials {
    /// From files, each PEM (every certificate, or every CRL, in it) or DER
    /// (one).
    ///
    /// # Errors
    /// A file cannot be read, or holds nothing of its kind.
    pub fn from_files(
        certificates: &[std::path::PathBuf],
        revocation_lists: &[std::path::PathBuf],
    ) -> Result<Self, StaffFileError> {
        let read = |path: &std::path::PathBuf,
                    from_pem: fn(&[u8]) -> Vec<Vec<u8>>|
         -> Result<Vec<Vec<u8>>, StaffFileError> {
            let bytes = std::fs::read(path).map_err(|source| StaffFileError::Read {
                path: path.clone(),
                source,
            })?;
            let found = if bytes.starts_with(b"-----BEGIN") {
                from_pem(&bytes)
            } else {
                vec![bytes]
            };
            if found.is_empty() {
                return Err(StaffFileError::Empty(path.clone()));
            }
            Ok(found)
        };
        let mut roots = Vec::new();
        for path in certificates {
            roots.extend(read(path, kiosk_x509::certificates_from_pem)?);
        }
        let mut lists = Vec::new();
        for path in revocation_lists {
            lists.extend(read(path, kiosk_x509::revocation_lists_from_pem)?);
        }
        Ok(Self {
            roots,
            revocation_lists: lists,
            synced: std::sync::RwLock::default(),
        })
    }
}

/// A staff CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StaffFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0} holds no certificate or revocation list")]
    Empty(std::path::PathBuf),
}

impl StaffCredentials for X509StaffCredentials {
    fn check(
        &self,
        certificate_der: &[u8],
        now: time::OffsetDateTime,
    ) -> Result<StaffMember, CredentialRefusal> {
        use kiosk_x509::StaffCertError as E;
        let mut lists = self.revocation_lists.clone();
        lists.extend(self.synced());
        match kiosk_x509::verify_staff_certificate(certificate_der, &[], &self.roots, &lists, now) {
            Ok(cert) => Ok(StaffMember {
                certificate_serial: cert.serial_hex,
                name: cert.common_name,
                roles: cert
                    .roles
                    .into_iter()
                    .map(|role| match role {
                        kiosk_x509::StaffRole::Staff => StaffRole::Staff,
                        kiosk_x509::StaffRole::Technician => StaffRole::Technician,
                    })
                    .collect(),
            }),
            Err(e) => {
                let refusal = match &e {
                    E::NotYetValid { .. } | E::Expired { .. } => CredentialRefusal::OutOfDate,
                    E::Revoked { .. } => CredentialRefusal::Revoked,
                    E::NoStaffRole | E::NotForClientAuth | E::IsCa => {
                        CredentialRefusal::NoStaffRole
                    }
                    // A list that cannot be checked refuses everyone it
                    // might name: never signed in past a revocation.
                    E::BadRevocationList(_) => CredentialRefusal::Revoked,
                    E::Malformed { .. }
                    | E::NotFromStaffCa(_)
                    | E::BadSignature
                    | E::UnsupportedKey(_) => CredentialRefusal::NotTrusted,
                };
                if refusal != CredentialRefusal::NotTrusted {
                    tracing::warn!(error = %e, "staff certificate refused");
                }
                Err(refusal)
            }
        }
    }

    fn signed_by(&self, certificate_der: &[u8], digest: &[u8; 32], signature: &[u8]) -> bool {
        kiosk_x509::verify_token_signature(certificate_der, digest, signature).is_ok()
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
