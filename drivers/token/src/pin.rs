//! The user PIN: login as `CKU_USER` (never the SO), and what the token's
//! flags say after a wrong PIN.
//!
//! Nothing here logs or formats the PIN: the bytes go from [`Pin`] into a
//! zeroizing `secrecy` box for the one `C_Login` call.

use crate::error::{Result, TokenError, rv};
use crate::token_info::TokenFlags;
use cryptoki::error::RvError;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::TokenInfo;
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::ports::key_writer::{Pin, UnblockOutcome};
use secrecy::SecretBox;

/// The user-PIN flags of `CK_TOKEN_INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PinFlags {
    pub count_low: bool,
    pub final_try: bool,
    pub locked: bool,
}

impl From<&TokenFlags> for PinFlags {
    fn from(flags: &TokenFlags) -> Self {
        Self {
            count_low: flags.user_pin_count_low,
            final_try: flags.user_pin_final_try,
            locked: flags.user_pin_locked,
        }
    }
}

impl From<&TokenInfo> for PinFlags {
    fn from(info: &TokenInfo) -> Self {
        Self {
            count_low: info.user_pin_count_low(),
            final_try: info.user_pin_final_try(),
            locked: info.user_pin_locked(),
        }
    }
}

/// The outcome of a PIN the token refused, from the flags read after it.
/// PKCS#11 does not tell how many tries are left; `FINAL_TRY` means one.
#[must_use]
pub fn outcome_after_wrong(flags: PinFlags) -> PinOutcome {
    if flags.locked {
        PinOutcome::Locked
    } else if flags.final_try {
        PinOutcome::Wrong {
            tries_left: Some(1),
            final_try: true,
        }
    } else {
        PinOutcome::Wrong {
            tries_left: None,
            final_try: false,
        }
    }
}

/// Logs the session in as the user. On `Verified` the session stays logged
/// in; on any other outcome it is not.
///
/// # Errors
/// The token is gone or failed otherwise.
pub fn login(
    session: &Session,
    pin: &Pin,
    flags: impl Fn() -> Result<PinFlags>,
) -> Result<PinOutcome> {
    if flags()?.locked {
        return Ok(PinOutcome::Locked);
    }
    let secret = SecretBox::new(Box::new(pin.expose().to_vec()));
    let first = session.login_with_raw(UserType::User, &secret);
    let result = match first {
        Err(e) if rv(&e) == Some(RvError::UserAlreadyLoggedIn) => {
            // An earlier login is still active: check this PIN afresh.
            session.logout().map_err(TokenError::during("logout"))?;
            session.login_with_raw(UserType::User, &secret)
        }
        other => other,
    };
    drop(secret);
    match result {
        Ok(()) => Ok(PinOutcome::Verified),
        Err(e) => match rv(&e) {
            Some(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange) => {
                Ok(outcome_after_wrong(flags()?))
            }
            Some(RvError::PinLocked) => Ok(PinOutcome::Locked),
            _ => Err(TokenError::pkcs11("login", e)),
        },
    }
}

/// Checks the PIN and logs out again (for a check that needs no session).
///
/// # Errors
/// As [`login`].
pub fn check(
    session: &Session,
    pin: &Pin,
    flags: impl Fn() -> Result<PinFlags>,
) -> Result<PinOutcome> {
    let outcome = login(session, pin, flags)?;
    if outcome == PinOutcome::Verified {
        session.logout().map_err(TokenError::during("logout"))?;
    }
    Ok(outcome)
}

/// Sets a new user PIN as the security officer: logs any user out, logs in
/// as SO, `C_InitPIN`, logs the SO out. The token's own counters decide
/// when a wrong SO PIN locks.
///
/// # Errors
/// The token is gone or failed otherwise.
pub fn unblock(session: &Session, so_pin: &Pin, new_pin: &Pin) -> Result<UnblockOutcome> {
    match session.logout() {
        Ok(()) => {}
        Err(e) if rv(&e) == Some(RvError::UserNotLoggedIn) => {}
        Err(e) => return Err(TokenError::pkcs11("logout", e)),
    }
    let so = SecretBox::new(Box::new(so_pin.expose().to_vec()));
    let login = session.login_with_raw(UserType::So, &so);
    drop(so);
    if let Err(e) = login {
        return match rv(&e) {
            Some(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange) => {
                Ok(UnblockOutcome::SoPinWrong)
            }
            Some(RvError::PinLocked) => Ok(UnblockOutcome::SoPinLocked),
            _ => Err(TokenError::pkcs11("login as SO", e)),
        };
    }
    // A PIN is digits (`Pin` checks it), so always UTF-8.
    let new = std::str::from_utf8(new_pin.expose())
        .map(|s| cryptoki::types::AuthPin::new(s.to_owned().into()))
        .map_err(|_| TokenError::Malformed("a PIN that is not text"));
    let result = match new {
        Ok(new) => match session.init_pin(&new) {
            Ok(()) => Ok(UnblockOutcome::Unblocked),
            Err(e) => match rv(&e) {
                Some(RvError::PinLenRange | RvError::PinInvalid) => {
                    Ok(UnblockOutcome::NewPinRefused)
                }
                _ => Err(TokenError::pkcs11("init PIN", e)),
            },
        },
        Err(e) => Err(e),
    };
    match session.logout() {
        Ok(()) => {}
        Err(e) if rv(&e) == Some(RvError::UserNotLoggedIn) => {}
        Err(e) if result.is_ok() => return Err(TokenError::pkcs11("logout", e)),
        Err(_) => {}
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(count_low: bool, final_try: bool, locked: bool) -> PinFlags {
        PinFlags {
            count_low,
            final_try,
            locked,
        }
    }

    /// Flag sequences as tokens report them after consecutive wrong PINs:
    /// a typical vendor key (10 tries), and SoftHSM2 (never locks).
    #[test]
    fn recorded_flag_sequences_map_to_outcomes() {
        let vendor = [
            flags(true, false, false),
            flags(true, false, false),
            flags(true, true, false),
            flags(false, false, true),
        ];
        let outcomes: Vec<PinOutcome> = vendor.iter().copied().map(outcome_after_wrong).collect();
        assert_eq!(
            outcomes,
            vec![
                PinOutcome::Wrong {
                    tries_left: None,
                    final_try: false
                },
                PinOutcome::Wrong {
                    tries_left: None,
                    final_try: false
                },
                PinOutcome::Wrong {
                    tries_left: Some(1),
                    final_try: true
                },
                PinOutcome::Locked,
            ]
        );
        // Some tokens keep COUNT_LOW and FINAL_TRY set with LOCKED.
        assert_eq!(
            outcome_after_wrong(flags(true, true, true)),
            PinOutcome::Locked
        );
        // SoftHSM2: only COUNT_LOW, ever.
        for _ in 0..14 {
            assert!(matches!(
                outcome_after_wrong(flags(true, false, false)),
                PinOutcome::Wrong {
                    final_try: false,
                    ..
                }
            ));
        }
    }
}
