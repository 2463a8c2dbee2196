//! Checking the certificate the CA returned, before anything is written to
//! the customer's token.

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use crate::name::display;
use crate::public_key::{PublicKey, PublicKeyError};
use crate::summary::parse;

/// Longest chain accepted below a root: issued certificate plus this many
/// intermediates. Real CA hierarchies have one or two.
const MAX_INTERMEDIATES: usize = 4;

/// Why an issued certificate was refused. Messages reach a technician, so
/// each names the check that failed and the certificate it failed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no CA root certificates are configured")]
    NoRoots,
    #[error("{what} is not a valid certificate: {reason}")]
    Malformed { what: String, reason: String },
    #[error("the new key's public key cannot be read: {0}")]
    ExpectedKey(PublicKeyError),
    #[error(
        "the issued certificate is for a different public key than the key generated on the token"
    )]
    KeyMismatch,
    #[error("the issued certificate is not valid before {not_before} (kiosk time {now})")]
    NotYetValid {
        not_before: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("the issued certificate expired at {not_after} (kiosk time {now})")]
    Expired {
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error(
        "no configured root or intermediate is named \"{issuer}\", the issuer of \"{subject}\""
    )]
    UnknownIssuer { subject: String, issuer: String },
    #[error("the signature on \"{subject}\" does not verify with the key of \"{issuer}\"")]
    BadSignature { subject: String, issuer: String },
    #[error("cannot check the signature on \"{subject}\": {reason}")]
    UnsupportedSignature {
        subject: String,
        reason: PublicKeyError,
    },
    #[error(
        "CA certificate \"{subject}\" is not valid at kiosk time {now} ({not_before} to {not_after})"
    )]
    CaNotValid {
        subject: String,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("intermediate \"{subject}\" is not a CA certificate (basicConstraints)")]
    NotACa { subject: String },
    /// The certificate for the customer's key is itself a CA certificate:
    /// a key that could issue certificates is never written as theirs.
    #[error("the issued certificate \"{subject}\" is a CA certificate (basicConstraints)")]
    LeafIsCa { subject: String },
    #[error("the chain has more than {MAX_INTERMEDIATES} intermediates")]
    ChainTooLong,
}

/// An issued certificate that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertificate {
    pub der: Vec<u8>,
    pub serial_hex: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The configured root it chains to.
    pub root_subject_dn: String,
    /// Intermediates used, from the issuer of `der` upwards.
    pub intermediates_used: usize,
}

/// Checks the certificate the CA issued for the new key:
/// 1. its SubjectPublicKeyInfo is the new key (`expected_spki_der`), compared
///    after re-encoding both;
/// 2. it is valid at `now`;
/// 3. it chains, through `intermediates` if needed, to one of `roots_der`,
///    every signature verifying and every CA certificate valid at `now`.
///
/// Issuers are matched by their exact subject encoding. Roots are trust
/// anchors: their own signature and extensions are not checked.
pub fn verify_issued(
    issued_der: &[u8],
    expected_spki_der: &[u8],
    intermediates: &[Vec<u8>],
    roots_der: &[Vec<u8>],
    now: OffsetDateTime,
) -> Result<VerifiedCertificate, VerifyError> {
    if roots_der.is_empty() {
        return Err(VerifyError::NoRoots);
    }
    let leaf = parse_as(issued_der, "the issued certificate")?;
    let roots = parse_all(roots_der, "root")?;
    let intermediates = parse_all(intermediates, "intermediate")?;

    check_key(&leaf, expected_spki_der)?;
    if leaf.is_ca() {
        return Err(VerifyError::LeafIsCa {
            subject: display(leaf.subject()),
        });
    }
    let (not_before, not_after) = validity(&leaf);
    if now < not_before {
        return Err(VerifyError::NotYetValid { not_before, now });
    }
    if now > not_after {
        return Err(VerifyError::Expired { not_after, now });
    }

    let (used, root) = chain_to_root(&leaf, &intermediates, &roots, now)?;
    Ok(VerifiedCertificate {
        der: issued_der.to_vec(),
        serial_hex: serial_hex(&leaf),
        not_before,
        not_after,
        root_subject_dn: display(root.subject()),
        intermediates_used: used.len(),
    })
}

/// Intermediates used (issuer first) and the root, borrowed from the parsed
/// candidates.
pub(crate) type Chain<'c, 'a> = (Vec<&'c X509Certificate<'a>>, &'c X509Certificate<'a>);

/// Walks from `cert` up to one of `roots`, every signature verifying and
/// every CA certificate valid at `now`: the intermediates used (`cert`'s
/// issuer first) and the root.
pub(crate) fn chain_to_root<'c, 'a>(
    cert: &X509Certificate<'_>,
    intermediates: &'c [X509Certificate<'a>],
    roots: &'c [X509Certificate<'a>],
    now: OffsetDateTime,
) -> Result<Chain<'c, 'a>, VerifyError> {
    let mut chain = Vec::new();
    let mut current: &X509Certificate<'_> = cert;
    for _ in 0..=MAX_INTERMEDIATES {
        if let Some(root) = signer_among(current, roots)? {
            check_ca_validity(root, now)?;
            return Ok((chain, root));
        }
        let Some(next) = signer_among(current, intermediates)? else {
            return Err(VerifyError::UnknownIssuer {
                subject: display(current.subject()),
                issuer: display(current.issuer()),
            });
        };
        check_ca_validity(next, now)?;
        if !next.is_ca() {
            return Err(VerifyError::NotACa {
                subject: display(next.subject()),
            });
        }
        chain.push(next);
        current = next;
    }
    Err(VerifyError::ChainTooLong)
}

/// The serial number as upper-case hex without leading zeros.
pub(crate) fn serial_hex(cert: &X509Certificate<'_>) -> String {
    cert.serial.to_str_radix(16).to_uppercase()
}

pub(crate) fn parse_as<'a>(der: &'a [u8], what: &str) -> Result<X509Certificate<'a>, VerifyError> {
    parse(der).map_err(|e| VerifyError::Malformed {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn parse_all<'a>(
    ders: &'a [Vec<u8>],
    kind: &str,
) -> Result<Vec<X509Certificate<'a>>, VerifyError> {
    ders.iter()
        .enumerate()
        .map(|(i, der)| parse_as(der, &format!("{kind} certificate #{}", i + 1)))
        .collect()
}

fn check_key(leaf: &X509Certificate<'_>, expected_spki_der: &[u8]) -> Result<(), VerifyError> {
    let expected = PublicKey::from_spki_der(expected_spki_der)
        .and_then(|k| k.canonical_spki_der())
        .map_err(VerifyError::ExpectedKey)?;
    // A leaf key we cannot even read is certainly not the new key.
    let actual = PublicKey::from_spki_der(leaf.public_key().raw)
        .and_then(|k| k.canonical_spki_der())
        .map_err(|_| VerifyError::KeyMismatch)?;
    if actual == expected {
        Ok(())
    } else {
        Err(VerifyError::KeyMismatch)
    }
}

pub(crate) fn validity(cert: &X509Certificate<'_>) -> (OffsetDateTime, OffsetDateTime) {
    let v = cert.validity();
    (v.not_before.to_datetime(), v.not_after.to_datetime())
}

/// The candidate named as `cert`'s issuer whose key verifies its signature.
/// `None` when no candidate has the issuer's name; an error when some do but
/// none verifies.
fn signer_among<'c, 'a>(
    cert: &X509Certificate<'_>,
    candidates: &'c [X509Certificate<'a>],
) -> Result<Option<&'c X509Certificate<'a>>, VerifyError> {
    let mut failure = None;
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    for candidate in candidates
        .iter()
        .filter(|c| c.subject().as_raw() == cert.issuer().as_raw())
    {
        let result = PublicKey::from_spki_der(candidate.public_key().raw).and_then(|key| {
            key.verify_sha256(
                &sig_oid,
                cert.tbs_certificate.as_ref(),
                &cert.signature_value.data,
            )
        });
        match result {
            Ok(()) => return Ok(Some(candidate)),
            Err(PublicKeyError::BadSignature) => {
                failure = Some(VerifyError::BadSignature {
                    subject: display(cert.subject()),
                    issuer: display(candidate.subject()),
                });
            }
            Err(reason) => {
                failure = failure.or(Some(VerifyError::UnsupportedSignature {
                    subject: display(cert.subject()),
                    reason,
                }));
            }
        }
    }
    failure.map_or(Ok(None), Err)
}

fn check_ca_validity(ca: &X509Certificate<'_>, now: OffsetDateTime) -> Result<(), VerifyError> {
    let (not_before, not_after) = validity(ca);
    if now < not_before || now > not_after {
        return Err(VerifyError::CaNotValid {
            subject: display(ca.subject()),
            not_before,
            not_after,
            now,
        });
    }
    Ok(())
}
