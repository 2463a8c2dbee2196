//! Proof that the customer holds the OLD key: the old key signs the renewal
//! request, and the CA checks that signature with the old certificate.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::algorithm::KeyAlgorithm;
use crate::public_key::{PublicKey, PublicKeyError, same_key};
use crate::signer::{RemoteSigner, SignatureError, sign_sha256};
use crate::summary::{CertError, parse as parse_certificate};

/// The old key's signature over the renewal request, sent with it.
///
/// `signature` is over SHA-256 of the request's complete DER, encoded like
/// an X.509 signature: PKCS #1 v1.5 for RSA, DER `ECDSA-Sig-Value` for P-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfPossession {
    pub old_certificate_der: Vec<u8>,
    pub signature: Vec<u8>,
    pub algorithm: KeyAlgorithm,
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PossessionError {
    #[error("the old certificate cannot be read: {0}")]
    Certificate(#[from] CertError),
    #[error("the old certificate's key cannot be used: {0}")]
    PublicKey(PublicKeyError),
    #[error("the key used is not the old certificate's key")]
    KeyNotInCertificate,
    #[error("signing with the old key failed: {0}")]
    Signature(#[from] SignatureError),
    #[error("the proof says {claimed} but the old certificate holds a {actual} key")]
    AlgorithmMismatch {
        claimed: KeyAlgorithm,
        actual: KeyAlgorithm,
    },
    #[error("the request is not a valid PKCS #10 request")]
    MalformedRequest,
    #[error("the request's subject is not the old certificate's subject")]
    SubjectMismatch,
    #[error("the old key's signature over the request does not verify")]
    BadSignature,
}

/// Has `old_key` sign the request. Checks first that `old_key` is the key of
/// `old_cert_der`, so a wrong key slot is reported here and not by the CA.
pub fn prove(
    request_der: &[u8],
    old_key: &dyn RemoteSigner,
    old_cert_der: &[u8],
) -> Result<ProofOfPossession, PossessionError> {
    let cert = parse_certificate(old_cert_der)?;
    let matches = same_key(cert.public_key().raw, &old_key.public_key_spki_der())
        .map_err(PossessionError::PublicKey)?;
    if !matches {
        return Err(PossessionError::KeyNotInCertificate);
    }
    let (_, signature) = sign_sha256(old_key, request_der)?;
    Ok(ProofOfPossession {
        old_certificate_der: old_cert_der.to_vec(),
        signature,
        algorithm: old_key.algorithm(),
    })
}

/// The CA's check: the proof's signature verifies with the old
/// certificate's key, and the request asks for the old certificate's subject
/// (otherwise a customer could renew into someone else's name). It does not
/// check the old certificate's chain or validity: that is the CA's policy.
pub fn verify_proof(request_der: &[u8], proof: &ProofOfPossession) -> Result<(), PossessionError> {
    let cert = parse_certificate(&proof.old_certificate_der)?;
    let key =
        PublicKey::from_spki_der(cert.public_key().raw).map_err(PossessionError::PublicKey)?;
    if key.algorithm() != proof.algorithm {
        return Err(PossessionError::AlgorithmMismatch {
            claimed: proof.algorithm.clone(),
            actual: key.algorithm(),
        });
    }
    let request = crate::request::parse(request_der).ok_or(PossessionError::MalformedRequest)?;
    if request.certification_request_info.subject.as_raw() != cert.subject().as_raw() {
        return Err(PossessionError::SubjectMismatch);
    }
    let digest: [u8; 32] = Sha256::digest(request_der).into();
    key.verify_digest(&digest, &proof.signature)
        .map_err(|_| PossessionError::BadSignature)
}
