//! The renewal request: a PKCS #10 CertificationRequest for the new key,
//! with the old certificate's subject, signed on the token.
//!
//! The request is written with `yasna` (the DER writer rcgen itself uses)
//! rather than with rcgen's `CertificateParams::serialize_request`: rcgen
//! keeps a subject as a map keyed by attribute type, which merges repeated
//! OUs, refuses multi-valued RDNs and may change string types. The CA
//! matches the renewal to the customer by the subject, so it is copied
//! byte for byte, and a CertificationRequestInfo is just four fields.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;

use crate::algorithm::KeyAlgorithm;
use crate::public_key::{PublicKey, PublicKeyError};
use crate::signer::{RemoteSigner, SignatureError, sign_sha256};

/// Why a renewal request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the old certificate's subject is not a valid DER Name")]
    MalformedSubject,
    #[error("the new key's public key cannot be used: {0}")]
    PublicKey(#[from] PublicKeyError),
    #[error("the new key says it is {claimed} but its public key is {actual}")]
    AlgorithmMismatch {
        claimed: KeyAlgorithm,
        actual: KeyAlgorithm,
    },
    #[error("signing the request on the key failed: {0}")]
    Signature(#[from] SignatureError),
    #[error("the request is not a valid PKCS #10 request")]
    MalformedRequest,
    #[error("the request's signature does not verify with the public key it carries")]
    BadRequestSignature,
    #[error(
        "the key's signature over the request does not verify with its own public key (wrong key, or wrong signature encoding from the token)"
    )]
    SelfCheckFailed,
}

/// Builds the PKCS #10 request (DER) for `new_key` with `old_subject_der`
/// (the old certificate's subject `Name`, e.g. [`crate::CertDetails::subject_der`])
/// as its subject, unchanged. It has no attributes: the CA decides the
/// profile. The signature is checked against the key before returning, so a
/// token that signs wrongly is caught here, not at the CA.
pub fn build_request(
    old_subject_der: &[u8],
    new_key: &dyn RemoteSigner,
) -> Result<Vec<u8>, RequestError> {
    if !is_name(old_subject_der) {
        return Err(RequestError::MalformedSubject);
    }
    let spki = new_key.public_key_spki_der();
    let public_key = PublicKey::from_spki_der(&spki)?;
    let claimed = new_key.algorithm();
    if claimed != public_key.algorithm() {
        return Err(RequestError::AlgorithmMismatch {
            claimed,
            actual: public_key.algorithm(),
        });
    }

    let info = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_u8(0); // version v1
            w.next().write_der(old_subject_der);
            w.next().write_der(&spki);
            // attributes [0] IMPLICIT SET OF Attribute: present, empty.
            w.next()
                .write_tagged_implicit(yasna::Tag::context(0), |w| w.write_set_of(|_| {}));
        });
    });
    let (algorithm, signature) = sign_sha256(new_key, &info)?;
    public_key
        .verify_sha256(algorithm.oid(), &info, &signature)
        .map_err(|_| RequestError::SelfCheckFailed)?;

    Ok(yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&info);
            algorithm.write_identifier(w.next());
            w.next().write_bitvec_bytes(&signature, signature.len() * 8);
        });
    }))
}

/// True when `der` is a `Name`: SEQUENCE OF SET OF SEQUENCE { OID, ANY }.
/// (x509-parser's Name parser is lenient about what sits in the sequence.)
/// Read as BER: a CA's slightly non-canonical name (e.g. an unsorted
/// multi-valued RDN) is still the name to copy, unchanged.
fn is_name(der: &[u8]) -> bool {
    yasna::parse_ber(der, |r| {
        r.read_sequence_of(|r| {
            r.read_set_of(|r| {
                r.read_sequence(|r| {
                    r.next().read_oid()?;
                    r.next().read_der()?; // the value, any type
                    Ok(())
                })
            })
        })
    })
    .is_ok()
}

/// Parses a request, refusing trailing bytes.
pub(crate) fn parse(der: &[u8]) -> Option<X509CertificationRequest<'_>> {
    match X509CertificationRequest::from_der(der) {
        Ok(([], csr)) => Some(csr),
        _ => None,
    }
}

/// The CA's first check of a request: it parses, and its signature verifies
/// with the public key it carries (the new key is on the customer's token).
/// The key's algorithm and size, for the CA's key policy.
pub fn verify_request(request_der: &[u8]) -> Result<KeyAlgorithm, RequestError> {
    let csr = parse(request_der).ok_or(RequestError::MalformedRequest)?;
    let info = &csr.certification_request_info;
    let key = PublicKey::from_spki_der(info.subject_pki.raw)?;
    key.verify_sha256(
        &csr.signature_algorithm.algorithm.to_id_string(),
        info.raw,
        &csr.signature_value.data,
    )
    .map_err(|e| match e {
        PublicKeyError::BadSignature => RequestError::BadRequestSignature,
        other => RequestError::PublicKey(other),
    })?;
    Ok(key.algorithm())
}
