//! rcgen's key traits over our keys: rcgen writes the certificate, the
//! signature is made by a [`RemoteSigner`] (in the reference CA, possibly an
//! HSM), never by rcgen's own crypto backend.

use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::TestCaError;
use crate::signer::sign_sha256;
use crate::{KeyAlgorithm, RemoteSigner};

/// A public key in rcgen's form. rcgen wants the raw key (the SPKI's BIT
/// STRING contents: the EC point, or the PKCS #1 RSAPublicKey), not the SPKI.
#[derive(Debug, Clone)]
pub(crate) struct RawPublicKey {
    raw: Vec<u8>,
    algorithm: &'static rcgen::SignatureAlgorithm,
}

impl RawPublicKey {
    pub(crate) fn from_spki_der(spki_der: &[u8]) -> Result<Self, TestCaError> {
        let spki = match SubjectPublicKeyInfo::from_der(spki_der) {
            Ok(([], spki)) => spki,
            _ => return Err(TestCaError::Key("unparsable public key".to_owned())),
        };
        let algorithm = match KeyAlgorithm::of_spki(&spki) {
            KeyAlgorithm::Rsa { .. } => &rcgen::PKCS_RSA_SHA256,
            KeyAlgorithm::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            other => return Err(TestCaError::Key(format!("{other} keys are not supported"))),
        };
        Ok(Self {
            raw: spki.subject_public_key.data.to_vec(),
            algorithm,
        })
    }

    pub(crate) fn is_rsa(&self) -> bool {
        self.algorithm == &rcgen::PKCS_RSA_SHA256
    }
}

impl rcgen::PublicKeyData for RawPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.algorithm
    }
}

/// A [`RemoteSigner`] as rcgen's signing key.
pub(crate) struct RcgenKey<'a> {
    signer: &'a dyn RemoteSigner,
    public: RawPublicKey,
}

impl<'a> RcgenKey<'a> {
    pub(crate) fn new(signer: &'a dyn RemoteSigner) -> Result<Self, TestCaError> {
        let public = RawPublicKey::from_spki_der(&signer.public_key_spki_der())?;
        Ok(Self { signer, public })
    }
}

impl rcgen::PublicKeyData for RcgenKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.public.der_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.public.algorithm
    }
}

impl rcgen::SigningKey for RcgenKey<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        sign_sha256(self.signer, msg)
            .map(|(_, signature)| signature)
            .map_err(|_| rcgen::Error::RemoteKeyError)
    }
}
