//! Signing a SHA-256 digest with a private key on the token: ECDSA gives raw
//! `r || s`; RSA signs the DER `DigestInfo` built here with `CKM_RSA_PKCS`.

use crate::der;
use crate::error::{Result, TokenError};
use crate::object::{find_by_id, require_login, vendor_mechanism};
use crate::profile::{KeyGen, SignWith, TokenProfile};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass};
use cryptoki::session::Session;
use kiosk_domain::ports::key_writer::KeyId;

/// Signs `digest` with the private key `id`.
///
/// # Errors
/// Not logged in, no such key, a key type the profile does not know, or the
/// token refused.
pub fn sign_digest(
    session: &Session,
    profile: &TokenProfile,
    id: &KeyId,
    digest: &[u8; 32],
) -> Result<Vec<u8>> {
    require_login(session, "signing")?;
    let key = *find_by_id(session, ObjectClass::PRIVATE_KEY, &id.0)?
        .first()
        .ok_or_else(|| TokenError::NoSuchKey {
            what: "private key",
            id_hex: id.to_hex(),
        })?;
    let key_type = session
        .get_attributes(key, &[AttributeType::KeyType])
        .map_err(TokenError::during("read key type"))?
        .iter()
        .find_map(|a| match a {
            Attribute::KeyType(t) => Some(*t),
            _ => None,
        })
        .ok_or(TokenError::Malformed("key type"))?;
    let how = if key_type == KeyType::RSA {
        SignWith::RsaPkcsDigestInfo
    } else if key_type == KeyType::EC {
        SignWith::EcdsaRaw
    } else {
        profile
            .algorithms
            .iter()
            .find_map(|a| match a.keygen {
                KeyGen::VendorEc { key_type: k, .. } if k == u64::from(key_type) => Some(a.sign),
                _ => None,
            })
            .ok_or_else(|| TokenError::Unsupported {
                model: profile.name.clone(),
                what: format!("signing with key type {key_type}"),
            })?
    };
    let signature = match how {
        SignWith::RsaPkcsDigestInfo => {
            session.sign(&Mechanism::RsaPkcs, key, &der::sha256_digest_info(digest))
        }
        SignWith::EcdsaRaw => session.sign(&Mechanism::Ecdsa, key, digest),
        SignWith::Vendor { mechanism } => session.sign(&vendor_mechanism(mechanism)?, key, digest),
    }
    .map_err(TokenError::during("signing"))?;
    tracing::debug!(key_id = %id.to_hex(), len = signature.len(), "digest signed on the token");
    Ok(signature)
}
