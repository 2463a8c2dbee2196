//! Small helpers over PKCS#11 objects.

use crate::error::{Result, TokenError};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState};

/// The byte value of a byte-valued attribute.
#[must_use]
pub fn bytes_of(attr: &Attribute) -> Option<&[u8]> {
    match attr {
        Attribute::Id(v)
        | Attribute::Label(v)
        | Attribute::Value(v)
        | Attribute::Modulus(v)
        | Attribute::PublicExponent(v)
        | Attribute::EcPoint(v)
        | Attribute::EcParams(v)
        | Attribute::Subject(v)
        | Attribute::Issuer(v)
        | Attribute::SerialNumber(v)
        | Attribute::Application(v) => Some(v),
        _ => None,
    }
}

/// One byte-valued attribute of an object (`None`: not available).
///
/// # Errors
/// The token failed.
pub fn get_bytes(
    session: &Session,
    object: ObjectHandle,
    ty: AttributeType,
) -> Result<Option<Vec<u8>>> {
    let attrs = session
        .get_attributes(object, &[ty])
        .map_err(TokenError::during("read attribute"))?;
    Ok(attrs.iter().find_map(bytes_of).map(<[u8]>::to_vec))
}

/// The label as text (lossy).
///
/// # Errors
/// The token failed.
pub fn get_label(session: &Session, object: ObjectHandle) -> Result<String> {
    Ok(get_bytes(session, object, AttributeType::Label)?
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default())
}

/// Objects of a class with this `CKA_ID`.
///
/// # Errors
/// The token failed.
pub fn find_by_id(session: &Session, class: ObjectClass, id: &[u8]) -> Result<Vec<ObjectHandle>> {
    session
        .find_objects(&[Attribute::Class(class), Attribute::Id(id.to_vec())])
        .map_err(TokenError::during("find objects"))
}

/// Every object of a class.
///
/// # Errors
/// The token failed.
pub fn find_class(session: &Session, class: ObjectClass) -> Result<Vec<ObjectHandle>> {
    session
        .find_objects(&[Attribute::Class(class)])
        .map_err(TokenError::during("find objects"))
}

/// Whether the session is logged in as the user.
///
/// # Errors
/// The token failed (or is gone).
pub fn logged_in(session: &Session) -> Result<bool> {
    let info = session
        .get_session_info()
        .map_err(TokenError::during("session info"))?;
    Ok(matches!(
        info.session_state(),
        SessionState::RoUser | SessionState::RwUser
    ))
}

/// Fails with [`TokenError::NotLoggedIn`] unless logged in.
///
/// # Errors
/// Not logged in, or the token failed.
pub fn require_login(session: &Session, op: &'static str) -> Result<()> {
    if logged_in(session)? {
        Ok(())
    } else {
        Err(TokenError::NotLoggedIn(op))
    }
}

/// A vendor mechanism without parameters.
///
/// # Errors
/// The value is not in the vendor range.
pub fn vendor_mechanism(value: u64) -> Result<Mechanism<'static>> {
    let ty = MechanismType::new_vendor_defined(value)
        .map_err(|_| TokenError::Malformed("vendor mechanism value"))?;
    Ok(Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        ty, None,
    )))
}
