//! The customer's USB key (a PKCS#11 token, later perhaps an SKF device), as
//! the renewal flow needs it: which keys and certificates are inserted, the
//! PIN check, the new key pair, signing on the token, writing and retiring
//! certificates, and removing key pairs of abandoned install attempts.
//!
//! No IO here and no PKCS#11 types: drivers implement [`KeyWriter`].
//!
//! PIN handling: a [`Pin`] is built from what the PIN pad produced and handed
//! to [`KeyWriter::verify_pin`] **by value**; it is zeroed when dropped, i.e.
//! when that call returns. It has no `Clone`, no serde, and its `Debug` and
//! `Display` print `Pin(****)`. A verified PIN leaves the token logged in for
//! the install actions that follow, until [`KeyWriter::logout`] (or until the
//! key is pulled out), so the PIN itself is never kept anywhere.

use super::DeviceError;
use crate::flow::renewal::PinOutcome;
use crate::order::renewal::CertificateSummary;
use crate::order_number::OrderNumber;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{Ordering, compiler_fence};

/// Shortest and longest PIN the kiosk accepts.
pub const PIN_LEN: std::ops::RangeInclusive<usize> = 4..=16;

/// A token PIN: 4 to 16 ASCII digits or letters, zeroed on drop.
pub struct Pin(Box<[u8]>);

/// Why a typed PIN was refused before it reached the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinFormatError {
    #[error("a PIN has 4 to 16 characters")]
    Length,
    #[error("a PIN holds ASCII digits and letters only")]
    Character,
}

impl Pin {
    /// Validates and copies the typed characters.
    ///
    /// # Errors
    /// Wrong length, or a character other than an ASCII digit or letter.
    pub fn new(typed: &str) -> Result<Self, PinFormatError> {
        if !PIN_LEN.contains(&typed.len()) {
            return Err(PinFormatError::Length);
        }
        if !typed.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PinFormatError::Character);
        }
        Ok(Self(typed.as_bytes().to_vec().into_boxed_slice()))
    }

    /// The PIN's bytes, for the driver's login call only.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for Pin {
    type Err = PinFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.0.fill(0);
        // Keep the writes: the buffer is observed after the fill, and the
        // compiler may not move them past the fence.
        std::hint::black_box(&self.0);
        compiler_fence(Ordering::SeqCst);
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// Which inserted key (token) an operation is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyRef {
    pub label: String,
    pub serial: String,
    pub model: String,
    pub manufacturer: String,
}

/// The identifier shared by a key pair and its certificate on the token
/// (PKCS#11 `CKA_ID`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub Vec<u8>);

impl KeyId {
    /// Upper-case hex, as in [`CertificateSummary::key_id_hex`].
    #[must_use]
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })
    }

    /// Parses hex (either case).
    #[must_use]
    pub fn from_hex(hex: &str) -> Option<Self> {
        if !hex.len().is_multiple_of(2) {
            return None;
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .map(Self)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

/// The tag of a key pair generated for a renewal: order number and attempt.
/// Its label is `renew:<order>:<attempt>` and its `CKA_ID` the same bytes, so
/// the key pairs of abandoned attempts are found by tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyTag {
    pub order: OrderNumber,
    pub attempt: u32,
}

/// The label prefix of every renewal key.
pub const RENEWAL_TAG_PREFIX: &str = "renew:";

impl KeyTag {
    #[must_use]
    pub fn new(order: OrderNumber, attempt: u32) -> Self {
        Self { order, attempt }
    }

    /// `renew:<order>:<attempt>`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{RENEWAL_TAG_PREFIX}{}:{}", self.order, self.attempt)
    }

    /// The `CKA_ID` of the key pair (and later of its certificate).
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        KeyId(self.label().into_bytes())
    }

    /// Reads a tag back from a label (or `CKA_ID` bytes as text).
    #[must_use]
    pub fn parse(label: &str) -> Option<Self> {
        let rest = label.strip_prefix(RENEWAL_TAG_PREFIX)?;
        let (order, attempt) = rest.rsplit_once(':')?;
        if attempt.is_empty() || !attempt.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            order: order.parse().ok()?,
            attempt: attempt.parse().ok()?,
        })
    }
}

/// The algorithm of a key pair made on the token. Serde, so that a flow
/// state may hold the algorithm chosen before payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyAlgorithm {
    Rsa2048,
    EcP256,
    /// SM2 (GM/T 0003) through a vendor's mechanism, when configured.
    Sm2,
    /// RSA with a 3072-bit modulus (renewing a certificate whose key is one).
    Rsa3072,
    /// RSA with a 4096-bit modulus (renewing a certificate whose key is one).
    Rsa4096,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order a key's offer is listed.
    pub const ALL: [Self; 5] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::Sm2,
    ];

    /// The modulus length of an RSA algorithm.
    #[must_use]
    pub fn rsa_bits(self) -> Option<u32> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::EcP256 | Self::Sm2 => None,
        }
    }

    /// The RSA algorithm with this modulus length, if the kiosk makes such keys.
    #[must_use]
    pub fn rsa(bits: u32) -> Option<Self> {
        match bits {
            2048 => Some(Self::Rsa2048),
            3072 => Some(Self::Rsa3072),
            4096 => Some(Self::Rsa4096),
            _ => None,
        }
    }
}

/// Whether a certificate's key pair is on the token. Private keys are
/// invisible until the PIN is verified, so before that a key pair without a
/// public-key object cannot be seen at all: it is [`Self::ToConfirm`], not
/// missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyPairStatus {
    /// Seen: the private key (once the PIN was verified) or, before that,
    /// the public key with the same `CKA_ID`.
    Present,
    /// Nothing with this `CKA_ID` is visible before the PIN: only a login
    /// can tell (see [`KeyWriter::key_pair_status`]).
    ToConfirm,
    /// No private key with this `CKA_ID`, with the PIN verified.
    Missing,
}

impl KeyPairStatus {
    /// The certificate may be offered for renewal (its key pair is there or
    /// may be, which the PIN will tell).
    #[must_use]
    pub fn may_renew(self) -> bool {
        !matches!(self, Self::Missing)
    }
}

/// A public key read from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    pub key_id: KeyId,
    pub algorithm: KeyAlgorithm,
    /// `SubjectPublicKeyInfo`, DER.
    pub spki_der: Vec<u8>,
}

/// A certificate found on the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCertificate {
    pub key_id: KeyId,
    pub label: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// A key with the same `CKA_ID` is on the token (the private key once
    /// the PIN was verified; before that, its public key). The same as
    /// `key_pair == KeyPairStatus::Present`; kept for existing readers, use
    /// [`Self::key_pair`], which tells "not visible before the PIN" apart
    /// from "missing".
    pub has_key_pair: bool,
    /// Whether the key pair is there, missing, or to be confirmed after the
    /// PIN.
    pub key_pair: KeyPairStatus,
    /// What the customer is shown, when the driver was given a certificate
    /// reader (certificates it cannot read are skipped and reported).
    pub summary: Option<CertificateSummary>,
}

/// An inserted key and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertedKey {
    pub key: KeyRef,
    pub certificates: Vec<TokenCertificate>,
}

/// What happens to the old certificate once the new one is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetirePolicy {
    /// Keep it, relabelled `superseded:<label>`.
    #[default]
    Keep,
    /// Delete it (the CA's policy may ask for this).
    Delete,
}

/// Turns a certificate into what the customer is shown (implemented with the
/// X.509 crate in the composition root; drivers only call it).
pub trait CertificateReader {
    /// `None` when the certificate cannot be read.
    fn summarize(&self, der: &[u8], key_id: &KeyId) -> Option<CertificateSummary>;
}

/// What became of unblocking a key's user PIN with its SO PIN (staff, at
/// the kiosk, where the configuration allows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnblockOutcome {
    /// The user PIN is the new one and works again.
    Unblocked,
    /// The SO PIN is wrong; the key may lock it after more tries.
    SoPinWrong,
    /// The SO PIN is locked too: only the key's vendor can help.
    SoPinLocked,
    /// The key refused the new PIN (its length or characters).
    NewPinRefused,
}

/// The customer's USB key. Every method is idempotent, so a re-run effect
/// after a power cut does no harm.
pub trait KeyWriter {
    type Error: DeviceError;

    /// The inserted keys and their certificates.
    ///
    /// # Errors
    /// The key writer does not work.
    fn keys(&mut self) -> Result<Vec<InsertedKey>, Self::Error>;

    /// Checks the PIN (user PIN only). On `Verified` the key stays logged in
    /// for the install actions until [`Self::logout`]. The PIN is consumed
    /// and zeroed when the call returns.
    ///
    /// # Errors
    /// The key is gone or refused the call.
    fn verify_pin(&mut self, key: &KeyRef, pin: Pin) -> Result<PinOutcome, Self::Error>;

    /// Sets a new user PIN on a key whose PIN is locked (or forgotten),
    /// as its security officer: `C_Login` as SO with `so_pin`, then
    /// `C_InitPIN` with `new_pin`. Both PINs are consumed and zeroed. Any
    /// user login the writer held on this key ends.
    ///
    /// # Errors
    /// The key is gone or refused the call otherwise.
    fn unblock_pin(
        &mut self,
        key: &KeyRef,
        so_pin: Pin,
        new_pin: Pin,
    ) -> Result<UnblockOutcome, Self::Error>;

    /// Ends the login of [`Self::verify_pin`] (idempotent).
    ///
    /// # Errors
    /// The key refused the call.
    fn logout(&mut self, key: &KeyRef) -> Result<(), Self::Error>;

    /// Generates the key pair for this tag on the token, or returns the one
    /// that already has it.
    ///
    /// # Errors
    /// Not logged in, key gone, algorithm not offered by this key model.
    fn generate_key_pair(
        &mut self,
        key: &KeyRef,
        tag: &KeyTag,
        algorithm: KeyAlgorithm,
    ) -> Result<PublicKeyInfo, Self::Error>;

    /// The key pair of this tag, if it is on the token.
    ///
    /// # Errors
    /// Key gone or refused.
    fn find_key_pair(
        &mut self,
        key: &KeyRef,
        tag: &KeyTag,
    ) -> Result<Option<PublicKeyInfo>, Self::Error>;

    /// Signs a SHA-256 digest with the private key `key_id` (ECDSA: raw
    /// `r || s`; RSA: PKCS#1 v1.5 over the SHA-256 `DigestInfo`).
    ///
    /// # Errors
    /// Not logged in, no such key, key gone.
    fn sign_digest(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        digest: &[u8; 32],
    ) -> Result<Vec<u8>, Self::Error>;

    /// Writes a certificate next to its key (does nothing if it is there).
    ///
    /// # Errors
    /// Not logged in, key gone, token full.
    fn write_certificate(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        der: &[u8],
        label: &str,
    ) -> Result<(), Self::Error>;

    /// Retires the certificates with this `CKA_ID` that are not yet retired.
    ///
    /// # Errors
    /// Not logged in, key gone.
    fn retire_certificate(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        policy: RetirePolicy,
    ) -> Result<(), Self::Error>;

    /// Deletes the renewal key pairs (and their certificates) of `order` whose
    /// attempt is not `keep_attempt`; returns how many objects went.
    ///
    /// # Errors
    /// Not logged in, key gone.
    fn remove_abandoned(
        &mut self,
        key: &KeyRef,
        order: &OrderNumber,
        keep_attempt: u32,
    ) -> Result<u32, Self::Error>;

    /// Writes (or replaces) a data object with this label (the e-seal image).
    ///
    /// # Errors
    /// Not logged in, key gone, token full.
    fn write_data_object(
        &mut self,
        key: &KeyRef,
        label: &str,
        value: &[u8],
    ) -> Result<(), Self::Error>;

    /// Whether the key pair `key_id` (a certificate's `CKA_ID`) is on the
    /// token. Before [`Self::verify_pin`] a key pair without a public-key
    /// object is [`KeyPairStatus::ToConfirm`]; after it, `Present` or
    /// `Missing`. The default reads [`Self::keys`] (an id without a listed
    /// certificate is `Missing`); drivers may ask the token directly.
    ///
    /// # Errors
    /// Key gone or refused.
    fn key_pair_status(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
    ) -> Result<KeyPairStatus, Self::Error> {
        Ok(self
            .keys()?
            .into_iter()
            .filter(|k| k.key == *key)
            .flat_map(|k| k.certificates)
            .find(|c| c.key_id == *key_id)
            .map_or(KeyPairStatus::Missing, |c| c.key_pair))
    }

    /// The algorithms this key can make a key pair of now (its model's
    /// profile and the mechanisms the token offers; no PIN needed). The
    /// default offers nothing, so a writer that cannot tell refuses a
    /// renewal before payment instead of failing at key generation after it.
    ///
    /// # Errors
    /// Key gone or refused.
    fn key_algorithms(&mut self, key: &KeyRef) -> Result<Vec<KeyAlgorithm>, Self::Error> {
        let _ = key;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_validates_and_masks() {
        assert_eq!(Pin::new("123").err(), Some(PinFormatError::Length));
        assert_eq!(
            Pin::new("12345678901234567").err(),
            Some(PinFormatError::Length)
        );
        assert_eq!(Pin::new("12 34").err(), Some(PinFormatError::Character));
        assert_eq!(Pin::new("12３4").err(), Some(PinFormatError::Character));
        let pin = Pin::new("1234abCD").unwrap();
        assert_eq!(pin.expose(), b"1234abCD");
        assert_eq!(format!("{pin:?} {pin}"), "Pin(****) Pin(****)");
    }

    #[test]
    fn key_tag_round_trips() {
        let order: OrderNumber = crate::fixtures::order_number(7);
        let tag = KeyTag::new(order, 3);
        assert_eq!(tag.label(), format!("renew:{order}:3"));
        assert_eq!(KeyTag::parse(&tag.label()), Some(tag));
        assert_eq!(tag.key_id().0, tag.label().into_bytes());
        assert_eq!(KeyTag::parse("renew:x:1"), None);
        assert_eq!(KeyTag::parse(&format!("renew:{order}:")), None);
        assert_eq!(KeyTag::parse(&format!("other:{order}:1")), None);
    }

    #[test]
    fn rsa_sizes_round_trip() {
        for alg in KeyAlgorithm::ALL {
            if let Some(bits) = alg.rsa_bits() {
                assert_eq!(KeyAlgorithm::rsa(bits), Some(alg));
            }
        }
        assert_eq!(KeyAlgorithm::rsa(1024), None);
        assert_eq!(KeyAlgorithm::EcP256.rsa_bits(), None);
        assert!(KeyPairStatus::ToConfirm.may_renew());
        assert!(!KeyPairStatus::Missing.may_renew());
    }

    #[test]
    fn key_id_hex() {
        let id = KeyId(vec![0x01, 0xAB, 0xff]);
        assert_eq!(id.to_hex(), "01ABFF");
        assert_eq!(KeyId::from_hex("01abFF"), Some(id));
        assert_eq!(KeyId::from_hex("0"), None);
        assert_eq!(KeyId::from_hex("zz"), None);
    }
}
