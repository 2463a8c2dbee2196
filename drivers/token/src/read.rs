//! Reading the certificates on a key, paired with their keys by `CKA_ID`.

use crate::der;
use crate::error::Result;
use crate::object::{find_by_id, find_class, get_bytes, get_label, logged_in};
use crate::write::SUPERSEDED_PREFIX;
use cryptoki::object::{AttributeType, ObjectClass};
use cryptoki::session::Session;
use kiosk_domain::ports::key_writer::{CertificateReader, KeyId, KeyPairStatus, TokenCertificate};
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

/// The key pairs a session can see, by `CKA_ID`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisibleKeys {
    /// The session is logged in: private keys are visible.
    pub logged_in: bool,
    pub private: BTreeSet<Vec<u8>>,
    pub public: BTreeSet<Vec<u8>>,
}

impl VisibleKeys {
    /// Reads what the session can see now.
    ///
    /// # Errors
    /// The token failed.
    pub fn read(session: &Session) -> Result<Self> {
        Ok(Self {
            logged_in: logged_in(session)?,
            private: key_ids(session, ObjectClass::PRIVATE_KEY)?,
            public: key_ids(session, ObjectClass::PUBLIC_KEY)?,
        })
    }

    /// Whether the key pair `id` is there. Logged in, the private key
    /// decides (a public key alone cannot sign). Before the PIN, private
    /// keys are hidden: a public key (or a private key some tokens show
    /// anyway) makes it `Present`; nothing makes it `ToConfirm`, never
    /// `Missing`, because a key pair stored without a public-key object is
    /// only visible after login.
    #[must_use]
    pub fn status(&self, id: &[u8]) -> KeyPairStatus {
        if self.private.contains(id) {
            KeyPairStatus::Present
        } else if self.logged_in {
            KeyPairStatus::Missing
        } else if self.public.contains(id) {
            KeyPairStatus::Present
        } else {
            KeyPairStatus::ToConfirm
        }
    }
}

/// Whether the key pair `id` is on the token, as far as the session can
/// see (see [`VisibleKeys::status`]).
///
/// # Errors
/// The token failed.
pub fn key_pair_status(session: &Session, id: &KeyId) -> Result<KeyPairStatus> {
    let ids = |class| -> Result<BTreeSet<Vec<u8>>> {
        Ok(if find_by_id(session, class, &id.0)?.is_empty() {
            BTreeSet::new()
        } else {
            BTreeSet::from([id.0.clone()])
        })
    };
    let keys = VisibleKeys {
        logged_in: logged_in(session)?,
        private: ids(ObjectClass::PRIVATE_KEY)?,
        public: ids(ObjectClass::PUBLIC_KEY)?,
    };
    Ok(keys.status(&id.0))
}

/// Every certificate that is not retired, paired with a key by `CKA_ID`
/// (see [`VisibleKeys::status`]). A certificate that is not DER X.509, or
/// that the reader cannot summarise, is reported and skipped.
///
/// # Errors
/// The token failed.
pub fn certificates(
    session: &Session,
    reader: Option<&dyn CertificateReader>,
) -> Result<ReadOutcome> {
    let keys = VisibleKeys::read(session)?;
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
        let key_pair = keys.status(&id.0);
        out.certificates.push(TokenCertificate {
            has_key_pair: key_pair == KeyPairStatus::Present,
            key_pair,
            key_id: id,
            label,
            der,
            summary,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&[u8]]) -> BTreeSet<Vec<u8>> {
        list.iter().map(|i| i.to_vec()).collect()
    }

    #[test]
    fn key_pair_status_before_and_after_the_pin() {
        // Before the PIN: a public key shows the pair; without one, only the
        // PIN can tell.
        let before = VisibleKeys {
            logged_in: false,
            private: ids(&[]),
            public: ids(&[b"pub"]),
        };
        assert_eq!(before.status(b"pub"), KeyPairStatus::Present);
        assert_eq!(before.status(b"private-only"), KeyPairStatus::ToConfirm);
        // After it: the private key decides.
        let after = VisibleKeys {
            logged_in: true,
            private: ids(&[b"private-only"]),
            public: ids(&[b"pub"]),
        };
        assert_eq!(after.status(b"private-only"), KeyPairStatus::Present);
        assert_eq!(after.status(b"pub"), KeyPairStatus::Missing);
        assert_eq!(after.status(b"none"), KeyPairStatus::Missing);
    }
}
