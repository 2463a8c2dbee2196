//! Writing certificates and data objects, and retiring old certificates.

use crate::der;
use crate::error::{Result, TokenError};
use crate::object::{find_by_id, get_bytes, get_label, require_login};
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass};
use cryptoki::session::Session;
use kiosk_domain::ports::key_writer::{KeyId, RetirePolicy};

/// The label prefix of a retired (kept) certificate.
pub const SUPERSEDED_PREFIX: &str = "superseded:";

/// The `CKA_APPLICATION` of the data objects the kiosk writes.
pub const DATA_APPLICATION: &str = "kiosk";

/// Writes the certificate next to key `id` and reads it back. Does nothing if
/// a certificate with this `CKA_ID` and value is already there.
///
/// # Errors
/// Not DER X.509, not logged in, the token refused, or the read-back differs.
pub fn write_certificate(session: &Session, id: &KeyId, cert: &[u8], label: &str) -> Result<()> {
    let fields = der::certificate_fields(cert).ok_or(TokenError::BadCertificate)?;
    require_login(session, "writing a certificate")?;
    if certificate_present(session, id, cert)? {
        tracing::info!(key_id = %id.to_hex(), "certificate already on the token");
        return Ok(());
    }
    let template = vec![
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Id(id.0.clone()),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Subject(fields.subject.to_vec()),
        Attribute::Issuer(fields.issuer.to_vec()),
        Attribute::SerialNumber(fields.serial.to_vec()),
        Attribute::Value(cert.to_vec()),
    ];
    session
        .create_object(&template)
        .map_err(TokenError::during("write certificate"))?;
    if !certificate_present(session, id, cert)? {
        return Err(TokenError::Malformed("certificate read back"));
    }
    tracing::info!(key_id = %id.to_hex(), label = %label, "certificate written");
    Ok(())
}

/// A certificate with this `CKA_ID` and value is on the token.
///
/// # Errors
/// The token failed.
pub fn certificate_present(session: &Session, id: &KeyId, cert: &[u8]) -> Result<bool> {
    for handle in find_by_id(session, ObjectClass::CERTIFICATE, &id.0)? {
        if get_bytes(session, handle, AttributeType::Value)?.as_deref() == Some(cert) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Retires the certificates with `CKA_ID` `id` that are not retired yet:
/// relabels them `superseded:<label>` (keep) or deletes them. Returns how many.
///
/// # Errors
/// Not logged in, or the token refused.
pub fn retire_certificate(session: &Session, id: &KeyId, policy: RetirePolicy) -> Result<u32> {
    require_login(session, "retiring a certificate")?;
    let mut count = 0u32;
    for handle in find_by_id(session, ObjectClass::CERTIFICATE, &id.0)? {
        let label = get_label(session, handle)?;
        match policy {
            RetirePolicy::Keep if label.starts_with(SUPERSEDED_PREFIX) => continue,
            RetirePolicy::Keep => session
                .update_attributes(
                    handle,
                    &[Attribute::Label(
                        format!("{SUPERSEDED_PREFIX}{label}").into_bytes(),
                    )],
                )
                .map_err(TokenError::during("relabel certificate"))?,
            RetirePolicy::Delete => session
                .destroy_object(handle)
                .map_err(TokenError::during("delete certificate"))?,
        }
        count = count.saturating_add(1);
    }
    tracing::info!(key_id = %id.to_hex(), ?policy, count, "old certificate retired");
    Ok(count)
}

/// Writes a `CKO_DATA` object with this label (replacing one with another
/// value; nothing happens if the same value is there).
///
/// # Errors
/// Not logged in, or the token refused.
pub fn write_data_object(session: &Session, label: &str, value: &[u8]) -> Result<()> {
    require_login(session, "writing a data object")?;
    let existing = find_data(session, label)?;
    let mut same = false;
    for handle in existing {
        if !same && get_bytes(session, handle, AttributeType::Value)?.as_deref() == Some(value) {
            same = true;
            continue;
        }
        session
            .destroy_object(handle)
            .map_err(TokenError::during("replace data object"))?;
    }
    if same {
        return Ok(());
    }
    session
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Application(DATA_APPLICATION.as_bytes().to_vec()),
            Attribute::Value(value.to_vec()),
        ])
        .map_err(TokenError::during("write data object"))?;
    tracing::info!(label = %label, len = value.len(), "data object written");
    Ok(())
}

/// Reads the value of the data object with this label.
///
/// # Errors
/// The token failed.
pub fn read_data_object(session: &Session, label: &str) -> Result<Option<Vec<u8>>> {
    match find_data(session, label)?.first() {
        Some(&h) => get_bytes(session, h, AttributeType::Value),
        None => Ok(None),
    }
}

fn find_data(session: &Session, label: &str) -> Result<Vec<cryptoki::object::ObjectHandle>> {
    session
        .find_objects(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(TokenError::during("find data objects"))
}
