//! What a token says about itself (`CK_TOKEN_INFO`): label, serial, model,
//! manufacturer and flags, even when `cryptoki` cannot convert all of it.
//!
//! **Why this module exists.** `cryptoki` 0.12's `Pkcs11::get_token_info`
//! converts the whole `CK_TOKEN_INFO` and fails as a whole when one field
//! does not convert. With `CKF_CLOCK_ON_TOKEN` set it parses `utcTime` as
//! `YYYYMMDDhhmmss` digits; opencryptoki 3.8's soft token writes
//! `hh:mm:ss\0` there, so the call fails ("Error parsing string as
//! integer") and the label, serial and flags go with it. Worse,
//! `get_slots_with_initialized_token` calls it for every slot and so loses
//! *every* token of such a module. A token must not disappear because of
//! one field the kiosk never reads.
//!
//! **What was considered.** 0.12.1 is the newest `cryptoki` release, and
//! its main branch still converts `utcTime` the same way, so there is
//! nothing to upgrade to. `cryptoki` exposes no raw `CK_TOKEN_INFO` and no
//! function list; `cryptoki-sys` only has `unsafe` entry points, and the
//! workspace forbids `unsafe_code` (this crate keeps that). The `pkcs11`
//! crate (0.5, unmaintained since 2020) returns the raw struct, but only
//! after its own `C_Initialize`, and passes a dangling pointer when given
//! initialise arguments. Vendoring a patched `cryptoki` would put `unsafe`
//! code into the workspace.
//!
//! **What we do.** Discovery lists slots with `get_slots_with_token` and reads
//! each token on its own ([`read`]). When `cryptoki` fails with a conversion
//! error (not a PKCS#11 return value), the same `C_GetTokenInfo` is made by
//! OpenSC's `pkcs11-tool --list-token-slots` in a child process and its
//! listing parsed ([`parse_listing`]): label, manufacturer, model, serial
//! and the flags. The result is kept per slot while the token stays in it
//! (discovery polls twice a second), except for the flags, which PIN
//! checks read afresh ([`Freshness::Now`]). Without `pkcs11-tool` (OpenSC's
//! `opensc` package) the token is still listed, with the slot's description
//! and manufacturer, a serial made from the module and slot, and flags
//! assumed (initialised, login required): the customer's renewal can still
//! go on, only the PIN's warning flags are unknown.

use crate::error::{Result, TokenError, rv};
use crate::module::Module;
use cryptoki::slot::{Slot, TokenInfo};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The program that reads `CK_TOKEN_INFO` when `cryptoki` cannot (OpenSC).
pub const HELPER: &str = "pkcs11-tool";

/// How long the helper may take before it is killed.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// `CKF_CLOCK_ON_TOKEN`: the flag whose `utcTime` trips `cryptoki`.
const CKF_CLOCK_ON_TOKEN: u64 = 0x40;

/// The token flags the kiosk cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenFlags {
    pub token_initialized: bool,
    pub user_pin_initialized: bool,
    pub login_required: bool,
    pub clock_on_token: bool,
    pub user_pin_count_low: bool,
    pub user_pin_final_try: bool,
    pub user_pin_locked: bool,
    pub user_pin_to_be_changed: bool,
}

/// Where a token's description came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoSource {
    /// `cryptoki` converted `CK_TOKEN_INFO` (the usual case).
    Cryptoki,
    /// `cryptoki` could not; [`HELPER`] read it.
    Helper,
    /// Neither could: the slot's description only; serial made up, flags
    /// assumed.
    SlotOnly,
}

/// A token's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    pub label: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub flags: TokenFlags,
    pub source: InfoSource,
}

impl From<&TokenInfo> for TokenFacts {
    fn from(info: &TokenInfo) -> Self {
        Self {
            label: info.label().trim().to_owned(),
            manufacturer: info.manufacturer_id().trim().to_owned(),
            model: info.model().trim().to_owned(),
            serial: info.serial_number().trim().to_owned(),
            flags: TokenFlags {
                token_initialized: info.token_initialized(),
                user_pin_initialized: info.user_pin_initialized(),
                login_required: info.login_required(),
                clock_on_token: info.clock_on_token(),
                user_pin_count_low: info.user_pin_count_low(),
                user_pin_final_try: info.user_pin_final_try(),
                user_pin_locked: info.user_pin_locked(),
                user_pin_to_be_changed: info.user_pin_to_be_changed(),
            },
            source: InfoSource::Cryptoki,
        }
    }
}

/// Whether a description kept from an earlier read will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Identity is enough (discovery): a kept description may be used.
    Identity,
    /// The flags must be current (PIN checks).
    Now,
}

/// Describes the token in `slot`.
///
/// # Errors
/// The token is gone or the module failed (a PKCS#11 return value). A
/// conversion failure inside `cryptoki` is not an error: see the module
/// documentation.
pub fn read(module: &Module, slot: Slot, freshness: Freshness) -> Result<TokenFacts> {
    match module.ctx().get_token_info(slot) {
        Ok(info) => {
            module.forget_facts(slot.id());
            Ok(TokenFacts::from(&info))
        }
        Err(e) if rv(&e).is_some() => {
            module.forget_facts(slot.id());
            Err(TokenError::pkcs11("token info", e))
        }
        Err(e) => {
            if freshness == Freshness::Identity
                && let Some(kept) = module.kept_facts(slot.id())
            {
                return Ok(kept);
            }
            let facts = match from_helper(module.path(), slot.id()) {
                Ok(facts) => facts,
                Err(why) => {
                    tracing::warn!(
                        module = %module.path().display(),
                        slot = slot.id(),
                        problem = %why,
                        "token info read from the slot only"
                    );
                    slot_only(module, slot)
                }
            };
            if module.keep_facts(slot.id(), &facts) {
                tracing::warn!(
                    module = %module.path().display(),
                    slot = slot.id(),
                    error = %e,
                    source = ?facts.source,
                    "cryptoki could not convert the token info; read another way"
                );
            }
            Ok(facts)
        }
    }
}

/// The slot's own description, for a token nothing else could describe.
fn slot_only(module: &Module, slot: Slot) -> TokenFacts {
    let (description, manufacturer) = match module.ctx().get_slot_info(slot) {
        Ok(info) => (
            info.slot_description().trim().to_owned(),
            info.manufacturer_id().trim().to_owned(),
        ),
        Err(_) => (String::new(), String::new()),
    };
    let file = module
        .path()
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    TokenFacts {
        label: description,
        manufacturer,
        model: String::new(),
        serial: format!("unread:{file}:{}", slot.id()),
        flags: TokenFlags {
            token_initialized: true,
            user_pin_initialized: true,
            login_required: true,
            ..TokenFlags::default()
        },
        source: InfoSource::SlotOnly,
    }
}

/// Why the helper gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("{HELPER} could not be started: {0}")]
    NotStarted(std::io::Error),
    #[error("{HELPER} took longer than {0:?} and was stopped")]
    TimedOut(Duration),
    #[error("{HELPER} failed ({0})")]
    Failed(String),
    #[error("{HELPER} did not list slot {0}")]
    SlotNotListed(u64),
}

/// Runs [`HELPER`] on the module and picks this slot's token out of its
/// listing.
///
/// # Errors
/// The helper is missing, failed, hung, or did not list the slot.
pub fn from_helper(module: &Path, slot: u64) -> std::result::Result<TokenFacts, HelperError> {
    let listing = run_helper(module)?;
    parse_listing(&listing)
        .into_iter()
        .find(|(id, _)| *id == slot)
        .map(|(_, facts)| facts)
        .ok_or(HelperError::SlotNotListed(slot))
}

fn run_helper(module: &Path) -> std::result::Result<String, HelperError> {
    let mut child = Command::new(HELPER)
        .arg("--module")
        .arg(module)
        .arg("--list-token-slots")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(HelperError::NotStarted)?;
    // Read on a thread so that a long listing cannot fill the pipe and
    // block the child while we wait for it.
    let reader = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        })
    });
    let deadline = Instant::now() + HELPER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HelperError::TimedOut(HELPER_TIMEOUT));
            }
            Err(e) => return Err(HelperError::Failed(e.to_string())),
        }
    };
    let text = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    if status.success() {
        Ok(text)
    } else {
        Err(HelperError::Failed(status.to_string()))
    }
}

/// The tokens in a `pkcs11-tool --list-token-slots` listing, by slot id
/// (the hexadecimal number in `Slot N (0x3): ...`). Uninitialised tokens
/// are listed with `token_initialized` false.
#[must_use]
pub fn parse_listing(listing: &str) -> Vec<(u64, TokenFacts)> {
    let mut out: Vec<(u64, TokenFacts)> = Vec::new();
    for line in listing.lines() {
        if let Some(id) = slot_id_of(line) {
            out.push((
                id,
                TokenFacts {
                    label: String::new(),
                    manufacturer: String::new(),
                    model: String::new(),
                    serial: String::new(),
                    flags: TokenFlags::default(),
                    source: InfoSource::Helper,
                },
            ));
            continue;
        }
        let Some((_, facts)) = out.last_mut() else {
            continue;
        };
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        match key.trim() {
            "token label" => facts.label = value,
            "token manufacturer" => facts.manufacturer = value,
            "token model" => facts.model = value,
            "serial num" => facts.serial = value,
            "token flags" => facts.flags = parse_flags(&value),
            _ => {}
        }
    }
    out
}

/// `Slot 0 (0x3): Linux` → 3.
fn slot_id_of(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("Slot ")?;
    let open = rest.find("(0x")?;
    let hex = rest.get(open + 3..)?;
    let close = hex.find(')')?;
    u64::from_str_radix(hex.get(..close)?, 16).ok()
}

/// OpenSC's names of the token flags, comma-separated; flags it has no name
/// for come as `other flags=0x..`.
fn parse_flags(text: &str) -> TokenFlags {
    let mut flags = TokenFlags::default();
    for item in text.split(',').map(str::trim) {
        match item {
            "token initialized" => flags.token_initialized = true,
            "PIN initialized" => flags.user_pin_initialized = true,
            "login required" => flags.login_required = true,
            "user PIN count low" => flags.user_pin_count_low = true,
            "final user PIN try" => flags.user_pin_final_try = true,
            "user PIN locked" => flags.user_pin_locked = true,
            "user PIN to be changed" => flags.user_pin_to_be_changed = true,
            other => {
                if let Some(bits) = other
                    .strip_prefix("other flags=0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                {
                    flags.clock_on_token |= bits & CKF_CLOCK_ON_TOKEN != 0;
                }
            }
        }
    }
    flags
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    /// `pkcs11-tool --list-token-slots` (OpenSC 0.23) on opencryptoki 3.8
    /// with a second, blank slot added by hand.
    const LISTING: &str = "Available slots:
Slot 0 (0x3): Linux
  token label        : KIOSK-OCK
  token manufacturer : IBM Corp.
  token model        : IBM SoftTok
  token flags        : login required, rng, token initialized, PIN initialized, user PIN count low, final user PIN try, other flags=0x40
  hardware version   : 1.0
  firmware version   : 1.0
  serial num         : 123
  pin min/max        : 4/8
Slot 1 (0x1c): Other
  token state:   uninitialized
";

    #[test]
    fn the_helpers_listing_is_parsed() {
        let tokens = parse_listing(LISTING);
        assert_eq!(tokens.len(), 2);
        let (id, facts) = &tokens[0];
        assert_eq!(*id, 3);
        assert_eq!(facts.label, "KIOSK-OCK");
        assert_eq!(facts.manufacturer, "IBM Corp.");
        assert_eq!(facts.model, "IBM SoftTok");
        assert_eq!(facts.serial, "123");
        assert_eq!(facts.source, InfoSource::Helper);
        assert_eq!(
            facts.flags,
            TokenFlags {
                token_initialized: true,
                user_pin_initialized: true,
                login_required: true,
                clock_on_token: true,
                user_pin_count_low: true,
                user_pin_final_try: true,
                user_pin_locked: false,
                user_pin_to_be_changed: false,
            }
        );
        let (id, blank) = &tokens[1];
        assert_eq!(*id, 0x1c);
        assert!(!blank.flags.token_initialized);
        assert_eq!(parse_listing("garbage\n: x\nSlot x (0xZZ)"), vec![]);
    }

    #[test]
    fn flags_named_and_unnamed() {
        let f = parse_flags("user PIN locked, user PIN to be changed, other flags=0x41");
        assert!(f.user_pin_locked && f.user_pin_to_be_changed && f.clock_on_token);
        assert!(!f.token_initialized);
        assert_eq!(parse_flags(""), TokenFlags::default());
    }

    #[test]
    fn a_missing_helper_is_an_error_not_a_panic() {
        let err = from_helper(Path::new("/nonexistent/module.so"), 0).unwrap_err();
        // Either OpenSC is missing here, or it ran and failed on the module.
        assert!(
            matches!(err, HelperError::NotStarted(_) | HelperError::Failed(_)),
            "{err}"
        );
    }
}
