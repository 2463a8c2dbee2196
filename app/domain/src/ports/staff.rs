//! Who a member of staff is, proven by their own staff key: a PKCS#11
//! token holding a certificate from the staff CA configured on the kiosk.
//! No shared staff PIN: the key's own PIN opens it, and the key signs a
//! fresh challenge that its certificate's public key must verify.
//!
//! [`sign_in`] is the whole proof over the two ports it needs (the key
//! writer the staff key is inserted into, and [`StaffCredentials`], the
//! X.509 checks, implemented with the X.509 crate in the composition root).
//! It works offline: nothing is asked of the CA.

use crate::flow::renewal::PinOutcome;
use crate::ports::key_writer::{InsertedKey, KeyRef, KeyWriter, Pin, TokenCertificate};
use crate::ports::{DeviceError, DeviceErrorKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What a staff certificate allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Counter staff: staff mode.
    Staff,
    /// A technician (the technician screen).
    Technician,
}

/// A member of staff, as their certificate names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// The certificate's serial, upper-case hex.
    pub certificate_serial: String,
    /// The certificate subject's common name.
    pub name: String,
    pub roles: Vec<StaffRole>,
}

/// Why a certificate is not a staff credential here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialRefusal {
    /// Not from the staff CA (or not a certificate this kiosk can read).
    NotTrusted,
    /// From the staff CA, but without a staff role.
    NoStaffRole,
    /// Outside its validity (expired, or not valid yet).
    OutOfDate,
    /// On the staff CA's revocation list.
    Revoked,
}

/// The X.509 checks a staff sign-in needs.
pub trait StaffCredentials {
    /// Whether `certificate_der` is a staff certificate at `now`: it chains
    /// to the staff CA, is valid, names a role and is not revoked.
    ///
    /// # Errors
    /// Why it is not.
    fn check(
        &self,
        certificate_der: &[u8],
        now: OffsetDateTime,
    ) -> Result<StaffMember, CredentialRefusal>;

    /// Whether `signature` (as the token returned it) was made over
    /// `digest` by the key of `certificate_der`.
    fn signed_by(&self, certificate_der: &[u8], digest: &[u8; 32], signature: &[u8]) -> bool;
}

/// Where the staff CA's revocation lists come from when online: the CA
/// publishes them to its kiosks.
pub trait StaffRevocationSource: Clone + Send + Sync + 'static {
    /// The lists (DER), not yet verified; empty when the CA publishes none.
    ///
    /// # Errors
    /// The CA could not be asked.
    fn staff_revocation_lists(
        &self,
    ) -> impl std::future::Future<Output = Result<Vec<Vec<u8>>, crate::ports::ca::CaError>> + Send;
}

/// Why a sign-in did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInRefusal {
    /// No key is inserted.
    NoKey,
    /// A key is inserted, but it holds no certificate of the staff CA.
    NotAStaffKey,
    /// The certificate is not (or no longer) a staff credential.
    Credential(CredentialRefusal),
    /// The key's PIN is wrong (or locked).
    Pin(PinOutcome),
    /// The key's signature over the challenge did not verify: not the
    /// certificate's key.
    BadSignature,
    /// The key did not answer (pulled out, a fault).
    KeyFailed,
}

/// A staff member signed in, with the key that proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub member: StaffMember,
    pub key: KeyRef,
}

/// Whether `key` is a member of staff's key (it holds a certificate of the
/// staff CA, valid or not): never offered to a customer as theirs.
#[must_use]
pub fn is_staff_key<C: StaffCredentials + ?Sized>(
    key: &InsertedKey,
    credentials: &C,
    now: OffsetDateTime,
) -> bool {
    key.certificates.iter().any(|c| {
        !matches!(
            credentials.check(&c.der, now),
            Err(CredentialRefusal::NotTrusted)
        )
    })
}

/// The customer's key among those inserted: the first that is not a
/// member of staff's key (with no staff CA configured, the first). A staff
/// key left in the writer is never read, written or tried with a
/// customer's PIN.
#[must_use]
pub fn customer_key<'k, C: StaffCredentials + ?Sized>(
    keys: &'k [InsertedKey],
    staff: Option<&C>,
    now: OffsetDateTime,
) -> Option<&'k InsertedKey> {
    keys.iter()
        .find(|key| staff.is_none_or(|staff| !is_staff_key(key, staff, now)))
}

/// The bytes the staff key signs: SHA-256 over a fixed context and the
/// challenge, so that the signature means nothing anywhere else.
#[must_use]
pub fn challenge_digest(challenge: &[u8; 32]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"kiosk staff sign-in v1\0");
    hash.update(challenge);
    hash.finalize().into()
}

/// Signs a member of staff in with the key in the writer: the first key
/// holding a staff certificate (checked before the PIN, so a customer's key
/// costs no PIN try), its PIN, then its signature over `challenge` (fresh
/// for each sign-in, from the caller's random source) verified with the
/// certificate. The key is logged out again whatever happened: staff mode
/// needs the proof, not the login.
///
/// # Errors
/// Why the member of staff is not signed in.
pub fn sign_in<K: KeyWriter, C: StaffCredentials + ?Sized>(
    writer: &mut K,
    credentials: &C,
    pin: Pin,
    challenge: &[u8; 32],
    now: OffsetDateTime,
) -> Result<SignedIn, SignInRefusal> {
    let keys = writer.keys().map_err(|e| key_failed(&e))?;
    if keys.is_empty() {
        return Err(SignInRefusal::NoKey);
    }
    let mut refusal = None;
    let mut found = None;
    'keys: for inserted in &keys {
        for certificate in &inserted.certificates {
            match credentials.check(&certificate.der, now) {
                Ok(member) => {
                    found = Some((inserted.key.clone(), certificate, member));
                    break 'keys;
                }
                // A certificate of another CA says nothing; one of the
                // staff CA that fails says why.
                Err(CredentialRefusal::NotTrusted) => {}
                Err(other) => refusal = refusal.or(Some(other)),
            }
        }
    }
    let Some((key, certificate, member)) = found else {
        return Err(refusal.map_or(SignInRefusal::NotAStaffKey, SignInRefusal::Credential));
    };
    let proven = prove(writer, credentials, &key, certificate, pin, challenge);
    // A key that cannot log out was pulled: nothing stays open on it.
    let _ = writer.logout(&key);
    proven.map(|()| SignedIn { member, key })
}

fn prove<K: KeyWriter, C: StaffCredentials + ?Sized>(
    writer: &mut K,
    credentials: &C,
    key: &KeyRef,
    certificate: &TokenCertificate,
    pin: Pin,
    challenge: &[u8; 32],
) -> Result<(), SignInRefusal> {
    match writer.verify_pin(key, pin).map_err(|e| key_failed(&e))? {
        PinOutcome::Verified => {}
        other => return Err(SignInRefusal::Pin(other)),
    }
    let digest = challenge_digest(challenge);
    let signature = writer
        .sign_digest(key, &certificate.key_id, &digest)
        .map_err(|e| key_failed(&e))?;
    if credentials.signed_by(&certificate.der, &digest, &signature) {
        Ok(())
    } else {
        Err(SignInRefusal::BadSignature)
    }
}

pub(crate) fn key_failed<E: DeviceError>(e: &E) -> SignInRefusal {
    match e.kind() {
        DeviceErrorKind::PinLocked => SignInRefusal::Pin(PinOutcome::Locked),
        DeviceErrorKind::Absent | DeviceErrorKind::TokenRemoved => SignInRefusal::NoKey,
        _ => SignInRefusal::KeyFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::key_writer::{KeyId, KeyPairStatus};

    /// Trusts as staff certificates the DER that starts with `staff`.
    struct StaffCa;

    impl StaffCredentials for StaffCa {
        fn check(&self, der: &[u8], _: OffsetDateTime) -> Result<StaffMember, CredentialRefusal> {
            if der.starts_with(b"staff") {
                // Expired, say: still a staff key, never the customer's.
                Err(CredentialRefusal::OutOfDate)
            } else {
                Err(CredentialRefusal::NotTrusted)
            }
        }
        fn signed_by(&self, _: &[u8], _: &[u8; 32], _: &[u8]) -> bool {
            false
        }
    }

    fn key(label: &str, certificates: &[&[u8]]) -> InsertedKey {
        InsertedKey {
            key: KeyRef {
                label: label.to_owned(),
                serial: label.to_owned(),
                model: "SoftHSM v2".to_owned(),
                manufacturer: "SoftHSM project".to_owned(),
            },
            certificates: certificates
                .iter()
                .map(|der| TokenCertificate {
                    key_id: KeyId(vec![1]),
                    label: "cert".to_owned(),
                    der: der.to_vec(),
                    has_key_pair: true,
                    key_pair: KeyPairStatus::Present,
                    summary: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_staff_key_inserted_first_is_never_the_customers() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let keys = [key("STAFF", &[b"staff cert"]), key("BLANK", &[])];
        let picked = customer_key(&keys, Some(&StaffCa), now).map(|k| k.key.label.as_str());
        assert_eq!(picked, Some("BLANK"));
        // Only a staff key in: no customer's key.
        assert!(customer_key(&keys[..1], Some(&StaffCa), now).is_none());
        // No staff CA configured: the first key, whatever it holds.
        let picked = customer_key(&keys, None::<&StaffCa>, now).map(|k| k.key.label.as_str());
        assert_eq!(picked, Some("STAFF"));
        // A customer's certificate that is not the staff CA's is theirs.
        let keys = [
            key("CUSTOMER", &[b"customer cert"]),
            key("STAFF", &[b"staff"]),
        ];
        let picked = customer_key(&keys, Some(&StaffCa), now).map(|k| k.key.label.as_str());
        assert_eq!(picked, Some("CUSTOMER"));
    }
}
