//! On-site issuance (现场领取, spec §3.2 step 6): a new certificate and the
//! e-seals delivered by the CA go onto a blank key that staff prepared (its
//! user PIN set, then verified at the kiosk).
//!
//! Two steps, each idempotent like the renewal's: [`prepare`] makes the key
//! pair on the key and the request for the unit; once the CA has issued,
//! [`install`] checks the certificate against that key and the CA roots
//! before anything is written, then writes it and each e-seal object.

use crate::renew::{RenewError, Trust};
use crate::x509::TokenSigner;
use kiosk_domain::ids::Uscc;
use kiosk_domain::ports::key_writer::{KeyAlgorithm, KeyRef, KeyTag, KeyWriter};
use kiosk_x509::VerifiedCertificate;

/// An e-seal as the CA delivers it: opaque bytes stored as a `CKO_DATA`
/// object under this label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsealObject {
    pub label: String,
    pub value: Vec<u8>,
}

/// The algorithm of a blank key's new key pair, from what the key offers
/// (`KeyWriter::key_algorithms`): ECDSA P-256, else RSA-2048, else the
/// first larger RSA; only what the kiosk can sign a request with (SM2
/// waits for the vendor's mechanism). `None`: nothing usable.
#[must_use]
pub fn choose_algorithm(offered: &[KeyAlgorithm]) -> Option<KeyAlgorithm> {
    [
        KeyAlgorithm::EcP256,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ]
    .into_iter()
    .find(|a| offered.contains(a) && crate::algorithm::kiosk_signs(*a))
}

/// The key pair for this order on the blank key (reused if it is there) and
/// the PKCS#10 request for the unit, signed on the key.
///
/// # Errors
/// Not logged in, the key refused, or the request could not be signed.
pub fn prepare<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    algorithm: KeyAlgorithm,
    unit_name: &str,
    uscc: &Uscc,
) -> Result<Vec<u8>, RenewError<W::Error>> {
    let public = writer
        .generate_key_pair(key, tag, algorithm)
        .map_err(RenewError::Token)?;
    let subject = kiosk_x509::unit_subject(unit_name, uscc);
    let signer = TokenSigner::new(writer, key.clone(), public);
    kiosk_x509::build_request(&subject, &signer).map_err(|e| RenewError::Request(e.to_string()))
}

/// Checks the issued certificate against the key pair of `tag` and the
/// roots, then writes it (label `label`) and every e-seal object. Nothing is
/// written if the check fails.
///
/// # Errors
/// The certificate was rejected, the key pair is missing, or the key failed.
pub fn install<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    issued_der: &[u8],
    trust: &Trust<'_>,
    label: &str,
    eseals: &[EsealObject],
) -> Result<VerifiedCertificate, RenewError<W::Error>> {
    let verified =
        crate::renew::verify_and_write(writer, key, tag, issued_der, trust, None, label)?;
    for eseal in eseals {
        writer
            .write_data_object(key, &eseal.label, &eseal.value)
            .map_err(RenewError::Token)?;
    }
    tracing::info!(tag = %tag.label(), eseals = eseals.len(), "issued certificate and e-seals written");
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_key_gets_p256_else_rsa_never_sm2() {
        use KeyAlgorithm::*;
        assert_eq!(choose_algorithm(&[Rsa2048, EcP256, Sm2]), Some(EcP256));
        assert_eq!(choose_algorithm(&[Sm2, Rsa4096, Rsa2048]), Some(Rsa2048));
        assert_eq!(choose_algorithm(&[Rsa3072]), Some(Rsa3072));
        assert_eq!(choose_algorithm(&[Sm2]), None);
        assert_eq!(choose_algorithm(&[]), None);
    }
}
