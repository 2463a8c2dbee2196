//! The cryptography of the store, in one place.
//!
//! - Sealing: XChaCha20-Poly1305 with a fresh random 24-byte nonce per blob.
//!   The 192-bit nonce makes random nonces safe for any number of blobs under
//!   one key, so no nonce counter has to survive power cuts.
//! - Associated data: every blob is bound to where it belongs (order number,
//!   field, attachment position and kind, capture session and kind, flow
//!   name and format), so a blob copied to another row fails to open.
//! - Keys: the master key is never used directly. Separate keys for wrapping
//!   order keys, lookup tags, captures and flow states are derived from it
//!   with HMAC-SHA256 and a label, so no key serves two purposes.
//! - Tags: HMAC-SHA256 under the tag key, so an order can be found by mobile
//!   number or certificate serial without either being stored in clear.
//!
//! Blob layout: `[format 1][nonce 24][ciphertext + 16-byte Poly1305 tag]`.

use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Bytes in every key the store handles.
pub(crate) const KEY_LEN: usize = 32;

const NONCE_LEN: usize = 24;

const TAG_LEN: usize = 16;

/// Format byte and nonce.
const HEADER_LEN: usize = 1 + NONCE_LEN;

/// The first byte of every sealed blob; a future layout gets a new number.
const BLOB_FORMAT: u8 = 1;

/// Prefix of every piece of associated data and derivation label, so nothing
/// sealed or tagged here can be confused with another system's use of the key.
const DOMAIN: &[u8] = b"kiosk-store/v1";

/// A 32-byte secret, wiped from memory when dropped.
pub(crate) struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self(bytes)
    }

    /// A fresh key from the operating system's random source.
    pub(crate) fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
}

/// Sealing or opening failed. Carries no detail on purpose: AEAD failures
/// must not tell an attacker which part was wrong. Callers add context.
#[derive(Debug)]
pub(crate) enum CryptoFailure {
    Random(getrandom::Error),
    Aead,
}

impl CryptoFailure {
    /// The store error for a failure to seal `what`.
    pub(crate) fn sealing(self, what: impl FnOnce() -> String) -> crate::StoreError {
        match self {
            Self::Random(e) => crate::StoreError::Random(e),
            Self::Aead => crate::StoreError::Encrypt { what: what() },
        }
    }
}

/// The keys derived from the master key, one per purpose.
pub(crate) struct Keys {
    /// Wraps each order's data key.
    pub(crate) wrap: SecretKey,
    /// Keys the mobile and certificate lookup tags.
    pub(crate) tag: SecretKey,
    /// Seals captures taken before an order exists.
    pub(crate) capture: SecretKey,
    /// Seals the flows' saved states.
    pub(crate) flow: SecretKey,
    /// Keys the audit log's chain: an entry changed in the database cannot
    /// be given a matching link without the master key.
    pub(crate) audit: SecretKey,
    /// A value stored in the database that shows which master key wrote it,
    /// without revealing anything about the key.
    pub(crate) check: [u8; 32],
}

impl Keys {
    pub(crate) fn derive(master: &SecretKey) -> Self {
        Self {
            wrap: SecretKey(derive_key(master, b"wrap order keys")),
            tag: SecretKey(derive_key(master, b"lookup tags")),
            capture: SecretKey(derive_key(master, b"captures")),
            flow: SecretKey(derive_key(master, b"flow states")),
            audit: SecretKey(derive_key(master, b"audit chain")),
            check: *derive_key(master, b"key check"),
        }
    }
}

fn hmac(key: &[u8; KEY_LEN], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    // HMAC pads a key shorter than the hash's 64-byte block with zeros
    // (RFC 2104), so padding it here gives the same MAC through the
    // infallible constructor: no error path for a failure that cannot happen.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..KEY_LEN].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(block.as_ref().into());
    mac.update(&associated_data(parts));
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn derive_key(master: &SecretKey, label: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    hmac(master.expose(), &[b"derive", label])
}

/// Unambiguous associated data: the domain, then each part prefixed with its
/// length, so ("ab", "c") and ("a", "bc") never collide.
pub(crate) fn associated_data(parts: &[&[u8]]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(DOMAIN.len() + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    out.extend_from_slice(DOMAIN);
    for part in parts {
        // Parts are short labels and identifiers; a part over 4 GiB cannot occur.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// Seals `plaintext` under `key`, bound to `aad`.
pub(crate) fn seal(
    key: &SecretKey,
    plaintext: &[u8],
    aad: &[&[u8]],
) -> Result<Vec<u8>, CryptoFailure> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(CryptoFailure::Random)?;
    // Encrypted in place, inside the blob: one allocation and one copy per
    // blob. With 1 MB attachments, every extra buffer is 256 fresh pages to
    // fault in, which showed up as a third of the enqueue time.
    let mut blob = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    blob.push(BLOB_FORMAT);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(plaintext);
    let sealed = key.cipher().encrypt_in_place_detached(
        XNonce::from_slice(&nonce),
        &associated_data(aad),
        &mut blob[HEADER_LEN..],
    );
    match sealed {
        Ok(tag) => {
            blob.extend_from_slice(&tag);
            Ok(blob)
        }
        Err(_) => {
            // The buffer still holds the plaintext.
            blob.zeroize();
            Err(CryptoFailure::Aead)
        }
    }
}

/// Opens a blob made by [`seal`] with the same key and associated data.
pub(crate) fn open(
    key: &SecretKey,
    blob: &[u8],
    aad: &[&[u8]],
) -> Result<Zeroizing<Vec<u8>>, CryptoFailure> {
    let (&format, rest) = blob.split_first().ok_or(CryptoFailure::Aead)?;
    if format != BLOB_FORMAT || rest.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoFailure::Aead);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    key.cipher()
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &associated_data(aad),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoFailure::Aead)
}

/// Wraps an order's data key under the wrap key, bound to the order number.
pub(crate) fn wrap_key(
    wrap: &SecretKey,
    data_key: &SecretKey,
    number: &str,
) -> Result<Vec<u8>, CryptoFailure> {
    seal(wrap, data_key.expose(), &[b"order key", number.as_bytes()])
}

/// Unwraps what [`wrap_key`] made for the same order.
pub(crate) fn unwrap_key(
    wrap: &SecretKey,
    wrapped: &[u8],
    number: &str,
) -> Result<SecretKey, CryptoFailure> {
    let bytes = open(wrap, wrapped, &[b"order key", number.as_bytes()])?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(CryptoFailure::Aead);
    }
    key.copy_from_slice(&bytes);
    Ok(SecretKey(key))
}

/// A lookup tag: HMAC of `value` under the tag key, separated by `kind`.
pub(crate) fn tag(tag_key: &SecretKey, kind: &str, value: &str) -> Vec<u8> {
    hmac(
        tag_key.expose(),
        &[b"tag", kind.as_bytes(), value.as_bytes()],
    )
    .to_vec()
}

/// Entry `seq`'s link in the audit chain: HMAC under the audit key of the
/// previous link, the sequence number and the entry's text.
pub(crate) fn audit_link(
    audit_key: &SecretKey,
    prev: &[u8; 32],
    seq: u64,
    entry: &str,
) -> [u8; 32] {
    *hmac(
        audit_key.expose(),
        &[b"audit", prev, &seq.to_be_bytes(), entry.as_bytes()],
    )
}

/// SHA-256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey(Zeroizing::new([byte; KEY_LEN]))
    }

    #[test]
    fn sealed_blobs_open_only_with_the_same_key_and_associated_data() {
        let k = key(1);
        let blob = seal(&k, b"secret", &[b"a", b"b"]).unwrap();
        assert_eq!(blob.len(), HEADER_LEN + 6 + TAG_LEN);
        assert_eq!(
            open(&k, &blob, &[b"a", b"b"]).unwrap().as_slice(),
            b"secret"
        );
        assert!(open(&key(2), &blob, &[b"a", b"b"]).is_err());
        assert!(open(&k, &blob, &[b"ab", b""]).is_err());
        assert!(open(&k, &blob, &[b"a", b"c"]).is_err());
        let mut flipped = blob.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(open(&k, &flipped, &[b"a", b"b"]).is_err());
        assert!(open(&k, &[], &[]).is_err());
        assert!(open(&k, &blob[..HEADER_LEN + 3], &[b"a", b"b"]).is_err());
    }

    #[test]
    fn nonces_are_fresh_per_blob() {
        let k = key(1);
        assert_ne!(seal(&k, b"x", &[]).unwrap(), seal(&k, b"x", &[]).unwrap());
    }

    #[test]
    fn wrapped_keys_are_bound_to_their_order() {
        let wrap = key(3);
        let data = SecretKey::random().unwrap();
        let wrapped = wrap_key(&wrap, &data, "TYA2611230001X").unwrap();
        let back = unwrap_key(&wrap, &wrapped, "TYA2611230001X").unwrap();
        assert_eq!(back.expose(), data.expose());
        assert!(unwrap_key(&wrap, &wrapped, "TYA2611230002X").is_err());
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let keys = Keys::derive(&key(7));
        let all = [
            keys.wrap.expose(),
            keys.tag.expose(),
            keys.capture.expose(),
            keys.flow.expose(),
            keys.audit.expose(),
            &keys.check,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(
            tag(&keys.tag, "mobile", "138"),
            tag(&keys.tag, "serial", "138")
        );
    }

    #[test]
    fn padded_hmac_key_is_the_same_key() {
        let key = [0x0bu8; KEY_LEN];
        let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        reference.update(&associated_data(&[b"x"]));
        let expected: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(*hmac(&key, &[b"x"]), expected);
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
