//! Key pairs generated on the token for a renewal, tagged by order and
//! attempt. The private key is a sensitive, non-extractable token object; the
//! public key comes back as a SubjectPublicKeyInfo.

use crate::der;
use crate::error::{Result, TokenError};
use crate::object::{find_by_id, get_bytes, require_login, vendor_mechanism};
use crate::profile::{AlgorithmProfile, KeyGen, TokenProfile};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use kiosk_domain::ports::key_writer::{KeyAlgorithm, KeyId, KeyTag, PublicKeyInfo};

/// The key pair with this `CKA_ID`, if both halves are on the token (the
/// private half is only visible after the PIN).
///
/// # Errors
/// The token failed or returned an unreadable key.
pub fn find_key_pair(
    session: &Session,
    profile: &TokenProfile,
    id: &KeyId,
) -> Result<Option<PublicKeyInfo>> {
    // Private keys are invisible before login: without this check a restarted
    // kiosk would take "not logged in" for "key pair missing" and start over.
    require_login(session, "key lookup")?;
    let public = find_by_id(session, ObjectClass::PUBLIC_KEY, &id.0)?;
    let private = find_by_id(session, ObjectClass::PRIVATE_KEY, &id.0)?;
    match (public.first(), private.is_empty()) {
        (Some(&handle), false) => public_key_info(session, profile, handle, id).map(Some),
        _ => Ok(None),
    }
}

/// Generates the key pair of this tag, or returns the one already there. A
/// half (one key without the other) left by a failed generation is removed
/// first.
///
/// # Errors
/// Not logged in, the token refused, or the key came back unreadable.
pub fn generate(
    session: &Session,
    profile: &TokenProfile,
    tag: &KeyTag,
    algorithm: &AlgorithmProfile,
) -> Result<PublicKeyInfo> {
    require_login(session, "key generation")?;
    let id = tag.key_id();
    if let Some(existing) = find_key_pair(session, profile, &id)? {
        tracing::info!(tag = %tag.label(), "key pair already on the token");
        return Ok(existing);
    }
    for class in [ObjectClass::PUBLIC_KEY, ObjectClass::PRIVATE_KEY] {
        for half in find_by_id(session, class, &id.0)? {
            tracing::warn!(tag = %tag.label(), "removing half of a key pair");
            session
                .destroy_object(half)
                .map_err(TokenError::during("destroy half key pair"))?;
        }
    }
    let label = tag.label().into_bytes();
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Id(id.0.clone()),
        Attribute::Label(label.clone()),
    ];
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Id(id.0.clone()),
        Attribute::Label(label),
    ];
    let mechanism = match &algorithm.keygen {
        KeyGen::Rsa { bits } => {
            public.push(Attribute::ModulusBits((*bits).into()));
            public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
            Mechanism::RsaPkcsKeyPairGen
        }
        KeyGen::Ec { curve_oid_der } => {
            public.push(Attribute::EcParams(curve_oid_der.clone()));
            Mechanism::EccKeyPairGen
        }
        KeyGen::VendorEc {
            mechanism,
            curve_oid_der,
            ..
        } => {
            public.push(Attribute::EcParams(curve_oid_der.clone()));
            vendor_mechanism(*mechanism)?
        }
    };
    let (pub_handle, _) = session
        .generate_key_pair(&mechanism, &public, &private)
        .map_err(TokenError::during("key generation"))?;
    tracing::info!(tag = %tag.label(), algorithm = ?algorithm.algorithm, "key pair generated");
    public_key_info(session, profile, pub_handle, &id)
}

/// Reads a public key object into a SubjectPublicKeyInfo.
///
/// # Errors
/// The token failed, or the key type or curve is not one the profile knows.
pub fn public_key_info(
    session: &Session,
    profile: &TokenProfile,
    handle: ObjectHandle,
    id: &KeyId,
) -> Result<PublicKeyInfo> {
    let attrs = session
        .get_attributes(handle, &[AttributeType::KeyType])
        .map_err(TokenError::during("read key type"))?;
    let key_type = attrs
        .iter()
        .find_map(|a| match a {
            Attribute::KeyType(t) => Some(*t),
            _ => None,
        })
        .ok_or(TokenError::Malformed("key type"))?;
    if key_type == KeyType::RSA {
        let modulus = get_bytes(session, handle, AttributeType::Modulus)?
            .ok_or(TokenError::Malformed("RSA modulus"))?;
        let exponent = get_bytes(session, handle, AttributeType::PublicExponent)?
            .ok_or(TokenError::Malformed("RSA exponent"))?;
        let bits = modulus_bits(&modulus);
        let algorithm = KeyAlgorithm::rsa(bits).ok_or_else(|| TokenError::Unsupported {
            model: profile.name.clone(),
            what: format!("RSA keys of {bits} bits"),
        })?;
        return Ok(PublicKeyInfo {
            key_id: id.clone(),
            algorithm,
            spki_der: der::rsa_spki(&modulus, &exponent),
        });
    }
    let params = get_bytes(session, handle, AttributeType::EcParams)?
        .ok_or(TokenError::Malformed("EC parameters"))?;
    let point = get_bytes(session, handle, AttributeType::EcPoint)?
        .and_then(|p| der::unwrap_ec_point(&p))
        .ok_or(TokenError::Malformed("EC point"))?;
    let algorithm = profile
        .algorithms
        .iter()
        .find(|a| match &a.keygen {
            KeyGen::Ec { curve_oid_der } => key_type == KeyType::EC && *curve_oid_der == params,
            KeyGen::VendorEc {
                key_type: vendor,
                curve_oid_der,
                ..
            } => {
                (u64::from(key_type) == *vendor || key_type == KeyType::EC)
                    && *curve_oid_der == params
            }
            KeyGen::Rsa { .. } => false,
        })
        .map(|a| a.algorithm)
        .ok_or_else(|| TokenError::Unsupported {
            model: profile.name.clone(),
            what: format!("key type {key_type} with these curve parameters"),
        })?;
    Ok(PublicKeyInfo {
        key_id: id.clone(),
        algorithm,
        spki_der: der::ec_spki(&params, &point),
    })
}

/// The length in bits of an unsigned big-endian integer (leading zero bytes
/// and bits do not count).
#[must_use]
pub fn modulus_bits(modulus: &[u8]) -> u32 {
    let significant = modulus
        .iter()
        .position(|&b| b != 0)
        .map_or(&[][..], |first| &modulus[first..]);
    match significant.first() {
        None => 0,
        Some(&top) => {
            let bytes = u32::try_from(significant.len()).unwrap_or(u32::MAX / 8);
            bytes.saturating_mul(8).saturating_sub(top.leading_zeros())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_lengths() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[0x01]), 1);
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        let mut m = vec![0u8; 1];
        m.extend(vec![0xC3; 384]);
        assert_eq!(modulus_bits(&m), 3072);
        assert_eq!(
            KeyAlgorithm::rsa(modulus_bits(&[0xff; 512])),
            Some(KeyAlgorithm::Rsa4096)
        );
    }
}
