//! The driver's errors and their kinds in the domain's vocabulary.

use cryptoki::error::{Error as CkError, RvError};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use std::path::PathBuf;

/// What went wrong with the key writer or the customer's key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// None of the configured PKCS#11 modules could be loaded.
    #[error("no PKCS#11 module could be loaded (tried {0:?})")]
    NoModule(Vec<PathBuf>),
    /// The key this operation is for is not inserted.
    #[error("the key with serial {serial:?} is not inserted")]
    NotInserted { serial: String },
    /// The key was pulled out (or its session vanished) during an operation.
    #[error("the key was removed during {0}")]
    Removed(&'static str),
    /// The user PIN is locked.
    #[error("the key's PIN is locked")]
    PinLocked,
    /// A private operation was asked for before a verified PIN.
    #[error("{0} needs a verified PIN first")]
    NotLoggedIn(&'static str),
    /// The key model (or this algorithm on it) is not configured.
    #[error("key model {model:?} does not support {what}")]
    Unsupported { model: String, what: String },
    /// No key with this `CKA_ID` on the key.
    #[error("no {what} with CKA_ID {id_hex} on the key")]
    NoSuchKey { what: &'static str, id_hex: String },
    /// The key returned something we could not read.
    #[error("the key returned a malformed {0}")]
    Malformed(&'static str),
    /// The certificate to write is not a DER X.509 certificate.
    #[error("the certificate to write is not DER X.509")]
    BadCertificate,
    /// Any other PKCS#11 failure.
    #[error("{op} failed: {source}")]
    Pkcs11 {
        op: &'static str,
        #[source]
        source: CkError,
    },
}

impl TokenError {
    /// Wraps a cryptoki error, classifying the return values that mean the
    /// key is gone or locked.
    #[must_use]
    pub fn pkcs11(op: &'static str, source: CkError) -> Self {
        match rv(&source) {
            Some(
                RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::SessionClosed
                | RvError::SessionHandleInvalid
                | RvError::SlotIdInvalid,
            ) => Self::Removed(op),
            Some(RvError::PinLocked) => Self::PinLocked,
            Some(RvError::UserNotLoggedIn) => Self::NotLoggedIn(op),
            _ => Self::Pkcs11 { op, source },
        }
    }

    /// A closure for `map_err`.
    pub fn during(op: &'static str) -> impl Fn(CkError) -> Self {
        move |e| Self::pkcs11(op, e)
    }
}

/// The PKCS#11 return value inside a cryptoki error, if any.
#[must_use]
pub fn rv(error: &CkError) -> Option<RvError> {
    match error {
        CkError::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

impl DeviceError for TokenError {
    fn kind(&self) -> DeviceErrorKind {
        match self {
            Self::NotInserted { .. } => DeviceErrorKind::Absent,
            Self::Removed(_) => DeviceErrorKind::TokenRemoved,
            Self::PinLocked => DeviceErrorKind::PinLocked,
            Self::Unsupported { .. } => DeviceErrorKind::Unsupported,
            Self::Pkcs11 { source, .. }
                if matches!(
                    rv(source),
                    Some(RvError::TokenNotRecognized | RvError::MechanismInvalid)
                ) =>
            {
                DeviceErrorKind::Unsupported
            }
            Self::NotLoggedIn(_) => DeviceErrorKind::PinRequired,
            Self::NoModule(_)
            | Self::NoSuchKey { .. }
            | Self::Malformed(_)
            | Self::BadCertificate
            | Self::Pkcs11 { .. } => DeviceErrorKind::Other,
        }
    }
}

/// Shorthand.
pub type Result<T, E = TokenError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;

    #[test]
    fn return_values_map_to_kinds() {
        let e = |rv| TokenError::pkcs11("test", CkError::Pkcs11(rv, Function::Login));
        assert_eq!(
            e(RvError::DeviceRemoved).kind(),
            DeviceErrorKind::TokenRemoved
        );
        assert_eq!(
            e(RvError::TokenNotPresent).kind(),
            DeviceErrorKind::TokenRemoved
        );
        assert_eq!(
            e(RvError::SessionHandleInvalid).kind(),
            DeviceErrorKind::TokenRemoved
        );
        assert_eq!(e(RvError::PinLocked).kind(), DeviceErrorKind::PinLocked);
        assert_eq!(
            e(RvError::TokenNotRecognized).kind(),
            DeviceErrorKind::Unsupported
        );
        assert_eq!(e(RvError::GeneralError).kind(), DeviceErrorKind::Other);
        assert_eq!(
            TokenError::NotInserted { serial: "x".into() }.kind(),
            DeviceErrorKind::Absent
        );
    }
}
