//! Reading the certificates on a key, paired with their keys by `CKA_ID`.

use crate::der;
use crate::error::Result;
use crate::object::{find_class, get_bytes, get_label};
use crate::write::SUPERSEDED_PREFIX;
use cryptoki::object::{AttributeType, ObjectClass};
use cryptoki::session::Session;
use kiosk_domain::ports::key_writer::{CertificateReader, KeyId, TokenCertificate};
use std::collections::BTreeSet;

/// What [`certificates`] found, including what it had to skip.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadOutcome {
    pub certificates: Vec<TokenCertificate>,
    /// Labels of certificates skipped as malformed or unreadable.
    pub skipped: Vec<String>,
}

/// The `CKA_ID`s of every key object of a class.
///
/// # Errors
/// The token failed.
pub fn key_ids(session: &Session, class: ObjectClass) -> Result<BTreeSet<Vec<u8>>> {
    let mut ids = BTreeSet::new();
    for handle in find_class(session, class)? {
        if let Some(id) = get_bytes(session, handle, AttributeType::Id)? {
            ids.insert(id);
        }
    }
    Ok(ids)
}

/// Every certificate that is not retired, paired with a key by `CKA_ID` (the
/// private key once logged in; before that its public key). A certificate
/// that is not DER X.509, or that the reader cannot summarise, is reported
/// and skipped.
///
/// # Errors
/// The token failed.
pub fn certificates(
    session: &Session,
    reader: Option<&dyn CertificateReader>,
) -> Result<ReadOutcome> {
    let private = key_ids(session, ObjectClass::PRIVATE_KEY)?;
    let public = key_ids(session, ObjectClass::PUBLIC_KEY)?;
    let mut out = ReadOutcome::default();
    for handle in find_class(session, ObjectClass::CERTIFICATE)? {
        let label = get_label(session, handle)?;
        if label.starts_with(SUPERSEDED_PREFIX) {
            continue;
        }
        let id = KeyId(get_bytes(session, handle, AttributeType::Id)?.unwrap_or_default());
        let Some(der) = get_bytes(session, handle, AttributeType::Value)? else {
            tracing::warn!(label = %label, "certificate without a value skipped");
            out.skipped.push(label);
            continue;
        };
        if der::certificate_fields(&der).is_none() {
            tracing::warn!(label = %label, key_id = %id.to_hex(), "malformed certificate skipped");
            out.skipped.push(label);
            continue;
        }
        let summary = match reader {
            Some(r) => match r.summarize(&der, &id) {
                Some(s) => Some(s),
                None => {
                    tracing::warn!(label = %label, key_id = %id.to_hex(), "unreadable certificate skipped");
                    out.skipped.push(label);
                    continue;
                }
            },
            None => None,
        };
        out.certificates.push(TokenCertificate {
            has_key_pair: private.contains(&id.0) || public.contains(&id.0),
            key_id: id,
            label,
            der,
            summary,
        });
    }
    Ok(out)
}
