//! The token's part of each [`InstallAction`] of a renewal, over any
//! [`KeyWriter`], with `kiosk-x509` for the request and the checks.
//!
//! The CA's side (sending the request, fetching the certificate) belongs to
//! `sync/`: [`request`] hands back what to send, [`verify_and_write`] takes
//! what came back. Failures map to the flow's [`InstallFailure`].
//!
//! [`InstallAction`]: kiosk_domain::flow::renewal::InstallAction

use crate::algorithm::{self, AlgorithmRefusal};
use crate::x509::TokenSigner;
use kiosk_domain::flow::renewal::InstallFailure;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::key_writer::{
    KeyAlgorithm, KeyId, KeyPairStatus, KeyRef, KeyTag, KeyWriter, PublicKeyInfo, RetirePolicy,
};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_x509::{ProofOfPossession, VerifiedCertificate};
use time::OffsetDateTime;

/// Why an install action failed.
#[derive(Debug, thiserror::Error)]
pub enum RenewError<E: DeviceError + 'static> {
    #[error(transparent)]
    Token(E),
    /// The key pair of this attempt is not on the token.
    #[error("the key pair {0} is not on the token")]
    KeyPairMissing(String),
    /// The old certificate cannot be used for the request.
    #[error("the old certificate cannot be used: {0}")]
    OldCertificate(String),
    /// Building or signing the request failed.
    #[error("the request could not be made: {0}")]
    Request(String),
    /// The CA's certificate failed the checks: it is not written.
    #[error("the issued certificate was rejected: {0}")]
    Rejected(#[from] kiosk_x509::VerifyError),
    /// No new key pair like the old one can be made with this key.
    #[error(transparent)]
    Algorithm(#[from] AlgorithmRefusal),
    /// The old certificate's private key is not on the token (checked with
    /// the PIN verified): no proof of possession can be made.
    #[error("the private key of the old certificate ({0}) is not on the key")]
    OldKeyMissing(String),
    /// Whether the old certificate's key pair is there can only be told
    /// after the PIN.
    #[error("the old certificate's key pair can only be confirmed after the PIN")]
    OldKeyUnconfirmed,
    /// The CA's certificate names another holder than the certificate it
    /// renews: it is not written.
    #[error("the issued certificate's subject is not the renewed certificate's")]
    SubjectChanged,
}

impl<E: DeviceError + 'static> RenewError<E> {
    /// What the flow is told.
    #[must_use]
    pub fn failure(&self) -> InstallFailure {
        match self {
            Self::Token(e) if e.kind() == DeviceErrorKind::TokenRemoved => {
                InstallFailure::KeyRemoved
            }
            Self::Token(e) if e.kind() == DeviceErrorKind::Absent => InstallFailure::KeyRemoved,
            Self::Token(e) if e.kind() == DeviceErrorKind::PinRequired => {
                InstallFailure::Interrupted
            }
            Self::KeyPairMissing(_) => InstallFailure::KeyPairMissing,
            Self::Rejected(_) | Self::SubjectChanged => InstallFailure::CertificateRejected,
            Self::OldKeyUnconfirmed => InstallFailure::Interrupted,
            Self::Token(_)
            | Self::OldCertificate(_)
            | Self::Request(_)
            | Self::Algorithm(_)
            | Self::OldKeyMissing(_) => InstallFailure::TokenError,
        }
    }
}

/// The old certificate being renewed and its key on the token.
#[derive(Debug, Clone)]
pub struct OldCertificate {
    pub key_id: KeyId,
    pub der: Vec<u8>,
}

/// What is sent to the CA.
#[derive(Debug, Clone)]
pub struct RenewalRequest {
    /// PKCS#10, signed by the new key, with the old certificate's subject.
    pub csr_der: Vec<u8>,
    /// The old key's signature over the request.
    pub proof: ProofOfPossession,
}

/// `GenerateKeyPair`: the new key pair of this attempt (idempotent).
///
/// # Errors
/// The token failed.
pub fn generate<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    algorithm: KeyAlgorithm,
) -> Result<PublicKeyInfo, RenewError<W::Error>> {
    writer
        .generate_key_pair(key, tag, algorithm)
        .map_err(RenewError::Token)
}

/// Which algorithm the new key pair of a renewal of `old_der` would be on
/// this key: the old certificate's algorithm and size (RSA-2048/3072/4096,
/// P-256), if the key's model and mechanisms offer it and the kiosk can sign
/// with it. Needs no PIN; call it before payment (when listing the
/// certificates, or right after the PIN), and again at key generation
/// ([`generate_like_old`]) — it answers the same while the key is the same.
///
/// # Errors
/// [`RenewError::OldCertificate`] when the certificate cannot be read,
/// [`RenewError::Algorithm`] with the reason (e.g.
/// [`AlgorithmRefusal::AlgorithmUnavailable`] with what the key offers), or
/// the token failed.
pub fn new_key_algorithm<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    old_der: &[u8],
) -> Result<KeyAlgorithm, RenewError<W::Error>> {
    let details =
        kiosk_x509::details(old_der).map_err(|e| RenewError::OldCertificate(e.to_string()))?;
    let offered = writer.key_algorithms(key).map_err(RenewError::Token)?;
    let chosen = algorithm::choose(&details.algorithm, &offered);
    match &chosen {
        Ok(a) => {
            tracing::info!(serial = %key.serial, algorithm = ?a, "new key pair like the old one")
        }
        Err(why) => {
            tracing::warn!(serial = %key.serial, reason = %why, "no new key pair like the old one")
        }
    }
    Ok(chosen?)
}

/// After the PIN: the old certificate's key pair is on the token (its
/// private key can sign the proof of possession). A certificate listed
/// before the PIN as [`KeyPairStatus::ToConfirm`] is confirmed or refused
/// here.
///
/// # Errors
/// [`RenewError::OldKeyMissing`]; [`RenewError::OldKeyUnconfirmed`] when
/// the PIN was not verified; or the token failed.
pub fn confirm_old_key<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    old_key_id: &KeyId,
) -> Result<(), RenewError<W::Error>> {
    match writer
        .key_pair_status(key, old_key_id)
        .map_err(RenewError::Token)?
    {
        KeyPairStatus::Present => Ok(()),
        KeyPairStatus::ToConfirm => Err(RenewError::OldKeyUnconfirmed),
        KeyPairStatus::Missing => Err(RenewError::OldKeyMissing(old_key_id.to_hex())),
    }
}

/// Everything the key must allow before the customer pays, right after the
/// PIN was verified: the old key pair is there ([`confirm_old_key`]) and a
/// new key pair like it can be made ([`new_key_algorithm`]), which is
/// returned.
///
/// # Errors
/// As [`confirm_old_key`] and [`new_key_algorithm`].
pub fn check_before_payment<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    old: &OldCertificate,
) -> Result<KeyAlgorithm, RenewError<W::Error>> {
    confirm_old_key(writer, key, &old.key_id)?;
    new_key_algorithm(writer, key, &old.der)
}

/// `GenerateKeyPair` with the algorithm of [`new_key_algorithm`]: the key
/// pair of this attempt if it is already there (whatever made it), else a
/// new one like the old certificate's key.
///
/// # Errors
/// As [`new_key_algorithm`], or the token failed.
pub fn generate_like_old<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    old: &OldCertificate,
) -> Result<PublicKeyInfo, RenewError<W::Error>> {
    if let Some(existing) = writer.find_key_pair(key, tag).map_err(RenewError::Token)? {
        return Ok(existing);
    }
    let algorithm = new_key_algorithm(writer, key, &old.der)?;
    generate(writer, key, tag, algorithm)
}

fn key_pair<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
) -> Result<PublicKeyInfo, RenewError<W::Error>> {
    writer
        .find_key_pair(key, tag)
        .map_err(RenewError::Token)?
        .ok_or_else(|| RenewError::KeyPairMissing(tag.label()))
}

fn domain_algorithm(a: &kiosk_x509::KeyAlgorithm) -> Option<KeyAlgorithm> {
    algorithm::like_old(a).ok()
}

/// `RequestCertificate` (token part): the request with the old subject,
/// signed on the token by the new key, and the proof by the old key. Signing
/// again after a crash gives an equally valid request.
///
/// # Errors
/// The new key pair is missing, the old certificate is unusable, or the
/// token failed.
pub fn request<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    old: &OldCertificate,
) -> Result<RenewalRequest, RenewError<W::Error>> {
    let new_public = key_pair(writer, key, tag)?;
    let details =
        kiosk_x509::details(&old.der).map_err(|e| RenewError::OldCertificate(e.to_string()))?;
    let old_algorithm = domain_algorithm(&details.algorithm).ok_or_else(|| {
        RenewError::OldCertificate(format!("{} keys are not supported", details.algorithm))
    })?;
    let csr_der = {
        let signer = TokenSigner::new(writer, key.clone(), new_public);
        kiosk_x509::build_request(&details.subject_der, &signer)
            .map_err(|e| RenewError::Request(e.to_string()))?
    };
    let old_public = PublicKeyInfo {
        key_id: old.key_id.clone(),
        algorithm: old_algorithm,
        spki_der: details.spki_der,
    };
    let signer = TokenSigner::new(writer, key.clone(), old_public);
    let proof = kiosk_x509::prove(&csr_der, &signer, &old.der)
        .map_err(|e| RenewError::Request(e.to_string()))?;
    tracing::info!(tag = %tag.label(), "renewal request signed on the token");
    Ok(RenewalRequest { csr_der, proof })
}

/// The CA roots and intermediates the issued certificate must chain to.
#[derive(Debug, Clone)]
pub struct Trust<'a> {
    pub intermediates: &'a [Vec<u8>],
    pub roots: &'a [Vec<u8>],
    pub now: OffsetDateTime,
}

/// `VerifyCertificate`: checks the CA's certificate against the new key on
/// the token and the roots, and, for a renewal, that it names the very
/// subject of the certificate it renews (`subject_der`, byte for byte: the
/// request copied it so). Nothing is written.
///
/// # Errors
/// The new key pair is missing, or the certificate failed a check.
pub fn verify<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    issued_der: &[u8],
    trust: &Trust<'_>,
    subject_der: Option<&[u8]>,
) -> Result<VerifiedCertificate, RenewError<W::Error>> {
    let public = key_pair(writer, key, tag)?;
    let verified = kiosk_x509::verify_issued(
        issued_der,
        &public.spki_der,
        trust.intermediates,
        trust.roots,
        trust.now,
    )?;
    if let Some(expected) = subject_der {
        let issued = kiosk_x509::details(issued_der)
            .map_err(|e| RenewError::OldCertificate(e.to_string()))?;
        if issued.subject_der != expected {
            tracing::warn!(tag = %tag.label(), "the CA's certificate names another subject");
            return Err(RenewError::SubjectChanged);
        }
    }
    Ok(verified)
}

/// `WriteCertificate`: verifies again (the write must never take an
/// unchecked certificate), writes it next to the new key and reads it back.
///
/// # Errors
/// As [`verify`], or the token failed.
pub fn verify_and_write<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    tag: &KeyTag,
    issued_der: &[u8],
    trust: &Trust<'_>,
    subject_der: Option<&[u8]>,
    label: &str,
) -> Result<VerifiedCertificate, RenewError<W::Error>> {
    let verified = verify(writer, key, tag, issued_der, trust, subject_der)?;
    writer
        .write_certificate(key, &tag.key_id(), issued_der, label)
        .map_err(RenewError::Token)?;
    Ok(verified)
}

/// `RetireOldCertificate`: the last action of all. Takes only the old key's
/// id: once retired, the old certificate is no longer listed, and a re-run
/// after a power cut must still succeed.
///
/// # Errors
/// The token failed.
pub fn retire<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    old_key_id: &KeyId,
    policy: RetirePolicy,
) -> Result<(), RenewError<W::Error>> {
    writer
        .retire_certificate(key, old_key_id, policy)
        .map_err(RenewError::Token)
}

/// `RemoveAbandonedKeys`.
///
/// # Errors
/// The token failed.
pub fn remove_abandoned<W: KeyWriter>(
    writer: &mut W,
    key: &KeyRef,
    order: &OrderNumber,
    keep_attempt: u32,
) -> Result<u32, RenewError<W::Error>> {
    writer
        .remove_abandoned(key, order, keep_attempt)
        .map_err(RenewError::Token)
}

/// The certificates on a key that may be offered for renewal: readable, with
/// their key pair on the key or possibly on it (before the PIN a key pair
/// stored without a public key cannot be seen: [`KeyPairStatus::ToConfirm`],
/// confirmed after the PIN by [`confirm_old_key`]), and not superseded (a
/// renewed certificate's predecessor stays on the key by CA policy but is
/// never offered again).
#[must_use]
pub fn renewable_certificates(
    certificates: Vec<kiosk_domain::ports::key_writer::TokenCertificate>,
) -> Vec<kiosk_domain::order::renewal::CertificateSummary> {
    certificates
        .into_iter()
        .filter(|c| c.key_pair.may_renew() && !c.label.starts_with(crate::write::SUPERSEDED_PREFIX))
        .filter_map(|c| c.summary)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;
    use kiosk_domain::ports::key_writer::TokenCertificate;

    fn cert(
        label: &str,
        key_pair: KeyPairStatus,
        readable: bool,
        serial: &str,
    ) -> TokenCertificate {
        let mut summary = fixtures::certificate();
        summary.serial_hex = serial.to_owned();
        TokenCertificate {
            key_id: KeyId::from_hex("01").unwrap(),
            label: label.to_owned(),
            der: Vec::new(),
            has_key_pair: key_pair == KeyPairStatus::Present,
            key_pair,
            summary: readable.then_some(summary),
        }
    }

    #[test]
    fn only_current_readable_certificates_with_their_keys_are_offered() {
        use KeyPairStatus::{Missing, Present, ToConfirm};
        let offered = renewable_certificates(vec![
            cert("cert:TYA1", Present, true, "A1"),
            cert("superseded:old", Present, true, "B2"),
            cert("no-key", Missing, true, "C3"),
            cert("unreadable", Present, false, "D4"),
            // Private key only: seen after the PIN, offered before it.
            cert("private-only", ToConfirm, true, "E5"),
            cert("superseded:private-only", ToConfirm, true, "F6"),
        ]);
        let serials: Vec<_> = offered.iter().map(|c| c.serial_hex.as_str()).collect();
        assert_eq!(serials, ["A1", "E5"]);
    }

    #[test]
    fn failures_the_flow_is_told() {
        type E = RenewError<crate::TokenError>;
        assert_eq!(E::OldKeyUnconfirmed.failure(), InstallFailure::Interrupted);
        assert_eq!(
            E::OldKeyMissing("01".into()).failure(),
            InstallFailure::TokenError
        );
        assert_eq!(
            E::Algorithm(AlgorithmRefusal::NotSupportedByKiosk(KeyAlgorithm::Sm2)).failure(),
            InstallFailure::TokenError
        );
    }
}
