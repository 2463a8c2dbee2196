//! [`Pkcs11KeyWriter`]: the domain's [`KeyWriter`] over PKCS#11 modules.
//!
//! One session per inserted key is kept open; a verified PIN leaves that
//! session (and so the token) logged in until [`KeyWriter::logout`], until
//! the key is pulled out, or until the writer is dropped (which logs out).

use crate::discovery::{self, SlotToken};
use crate::error::{Result, TokenError};
use crate::module::{self, Module, ModuleProblem};
use crate::pin::{self, PinFlags};
use crate::profile::{self, TokenProfile};
use crate::read::{self, ReadOutcome};
use crate::token_info::{self, Freshness};
use crate::{abandoned, algorithm, keygen, object, sign, write};
use cryptoki::error::RvError;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::Session;
use cryptoki::slot::Slot;
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::key_writer::{
    CertificateReader, InsertedKey, KeyAlgorithm, KeyId, KeyPairStatus, KeyRef, KeyTag, KeyWriter,
    Pin, PublicKeyInfo, RetirePolicy, UnblockOutcome,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// What the writer needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct WriterConfig {
    /// PKCS#11 modules to load (empty: the defaults; `KIOSK_PKCS11_MODULES`
    /// overrides either).
    pub modules: Vec<PathBuf>,
    /// Key models (empty: [`profile::default_profiles`]).
    pub profiles: Vec<TokenProfile>,
}

/// A key's session, kept open between calls.
struct Held {
    module: usize,
    slot: u64,
    session: Session,
}

/// Everything an operation on one key gets.
struct Ctx<'a> {
    session: &'a Session,
    profile: &'a TokenProfile,
    module: &'a Module,
    slot: Slot,
}

/// How the private key of a pair is protected (read from the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyProtection {
    pub sensitive: bool,
    pub extractable: bool,
    pub token: bool,
    /// `CKA_VALUE` (the private key material) could be read: must be false.
    pub value_readable: bool,
}

/// The key writer over PKCS#11.
pub struct Pkcs11KeyWriter {
    // Field order matters: sessions close before their modules finalise.
    held: BTreeMap<String, Held>,
    modules: Vec<Module>,
    problems: Vec<ModuleProblem>,
    profiles: Vec<TokenProfile>,
    reader: Option<Box<dyn CertificateReader + Send>>,
}

impl fmt::Debug for Pkcs11KeyWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11KeyWriter")
            .field("modules", &self.modules)
            .field("problems", &self.problems)
            .field("open_sessions", &self.held.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Pkcs11KeyWriter {
    /// Loads the configured modules (missing ones are reported, see
    /// [`Self::module_problems`]).
    ///
    /// # Errors
    /// [`TokenError::NoModule`] when none could be loaded.
    pub fn open(config: WriterConfig) -> Result<Self> {
        let paths = module::module_paths(&config.modules);
        let loaded = module::load_all(&paths);
        if loaded.loaded.is_empty() {
            return Err(TokenError::NoModule(paths));
        }
        Ok(Self {
            held: BTreeMap::new(),
            modules: loaded.loaded,
            problems: loaded.problems,
            profiles: if config.profiles.is_empty() {
                profile::default_profiles()
            } else {
                config.profiles
            },
            reader: None,
        })
    }

    /// Summarise certificates with this reader (the X.509 crate's).
    #[must_use]
    pub fn with_reader(mut self, reader: Box<dyn CertificateReader + Send>) -> Self {
        self.reader = Some(reader);
        self
    }

    /// Modules that are configured but could not be loaded.
    #[must_use]
    pub fn module_problems(&self) -> &[ModuleProblem] {
        &self.problems
    }

    /// The loaded modules (for a [`discovery::Watcher`]).
    #[must_use]
    pub fn modules(&self) -> &[Module] {
        &self.modules
    }

    /// Every inserted key, with its module and slot.
    #[must_use]
    pub fn tokens(&self) -> Vec<SlotToken> {
        discovery::tokens(&self.modules)
    }

    /// The first inserted key with this label.
    ///
    /// # Errors
    /// [`TokenError::NotInserted`].
    pub fn key_by_label(&self, label: &str) -> Result<KeyRef> {
        self.tokens()
            .into_iter()
            .map(|t| t.key)
            .find(|k| k.label == label)
            .ok_or_else(|| TokenError::NotInserted {
                serial: format!("(label {label})"),
            })
    }

    /// Runs `op` on the key's session, opening one if needed. A session of a
    /// key that was pulled out is dropped.
    fn with_session<T>(
        &mut self,
        key: &KeyRef,
        op: impl FnOnce(&Ctx<'_>) -> Result<T>,
    ) -> Result<T> {
        let profile = profile::profile_for(&self.profiles, &key.manufacturer, &key.model)
            .ok_or_else(|| TokenError::Unsupported {
                model: format!("{} {}", key.manufacturer, key.model),
                what: "any configured profile".to_owned(),
            })?;
        let stale = self
            .held
            .get(&key.serial)
            .is_some_and(|h| h.session.get_session_info().is_err());
        if stale {
            tracing::info!(serial = %key.serial, "session of a removed key dropped");
            self.held.remove(&key.serial);
        }
        if !self.held.contains_key(&key.serial) {
            let found = discovery::find(&self.modules, key)?;
            let module = self
                .modules
                .get(found.module)
                .ok_or(TokenError::Malformed("module index"))?;
            let session = module
                .ctx()
                .open_rw_session(found.slot()?)
                .map_err(TokenError::during("open session"))?;
            self.held.insert(
                key.serial.clone(),
                Held {
                    module: found.module,
                    slot: found.slot,
                    session,
                },
            );
        }
        let held = self
            .held
            .get(&key.serial)
            .ok_or(TokenError::Malformed("session table"))?;
        let module = self
            .modules
            .get(held.module)
            .ok_or(TokenError::Malformed("module index"))?;
        let ctx = Ctx {
            session: &held.session,
            profile,
            module,
            slot: Slot::try_from(held.slot).map_err(|_| TokenError::Malformed("slot id"))?,
        };
        let result = op(&ctx);
        if let Err(TokenError::Removed(_)) = &result {
            self.held.remove(&key.serial);
        }
        result
    }

    /// The user-PIN flags the token reports now.
    ///
    /// # Errors
    /// Key gone or the token failed.
    pub fn pin_flags(&mut self, key: &KeyRef) -> Result<PinFlags> {
        self.with_session(key, |c| read_flags(c.module, c.slot))
    }

    /// Runs `f` on the key's open session (for diagnostics and tests; the
    /// install goes through [`KeyWriter`]).
    ///
    /// # Errors
    /// Key gone, or what `f` returns.
    pub fn with_raw_session<T>(
        &mut self,
        key: &KeyRef,
        f: impl FnOnce(&Session) -> Result<T>,
    ) -> Result<T> {
        self.with_session(key, |c| f(c.session))
    }

    /// The certificates of one key, with what was skipped.
    ///
    /// # Errors
    /// Key gone or the token failed.
    pub fn certificates(&mut self, key: &KeyRef) -> Result<ReadOutcome> {
        let reader = self.reader.take();
        let result = self.with_session(key, |c| {
            read::certificates(
                c.session,
                reader.as_deref().map(|r| r as &dyn CertificateReader),
            )
        });
        self.reader = reader;
        result
    }

    /// Reads back a data object.
    ///
    /// # Errors
    /// Key gone or the token failed.
    pub fn read_data_object(&mut self, key: &KeyRef, label: &str) -> Result<Option<Vec<u8>>> {
        self.with_session(key, |c| write::read_data_object(c.session, label))
    }

    /// How the private key `id` is protected (needs the verified PIN).
    ///
    /// # Errors
    /// Not logged in, no such key, or the token failed.
    pub fn key_protection(&mut self, key: &KeyRef, id: &KeyId) -> Result<KeyProtection> {
        self.with_session(key, |c| {
            object::require_login(c.session, "reading key attributes")?;
            let handle = *object::find_by_id(c.session, ObjectClass::PRIVATE_KEY, &id.0)?
                .first()
                .ok_or_else(|| TokenError::NoSuchKey {
                    what: "private key",
                    id_hex: id.to_hex(),
                })?;
            let attrs = c
                .session
                .get_attributes(
                    handle,
                    &[
                        AttributeType::Sensitive,
                        AttributeType::Extractable,
                        AttributeType::Token,
                    ],
                )
                .map_err(TokenError::during("read key attributes"))?;
            let flag = |want: AttributeType| {
                attrs.iter().any(|a| {
                    matches!(
                        (a, want),
                        (Attribute::Sensitive(true), AttributeType::Sensitive)
                            | (Attribute::Extractable(true), AttributeType::Extractable)
                            | (Attribute::Token(true), AttributeType::Token)
                    )
                })
            };
            let value_readable = matches!(
                c.session.get_attributes(
                    handle,
                    &[AttributeType::Value, AttributeType::PrivateExponent]
                ),
                Ok(v) if !v.is_empty()
            );
            Ok(KeyProtection {
                sensitive: flag(AttributeType::Sensitive),
                extractable: flag(AttributeType::Extractable),
                token: flag(AttributeType::Token),
                value_readable,
            })
        })
    }
}

impl Drop for Pkcs11KeyWriter {
    fn drop(&mut self) {
        for (serial, held) in std::mem::take(&mut self.held) {
            if let Ok(true) = object::logged_in(&held.session)
                && let Err(e) = held.session.logout()
            {
                tracing::debug!(serial = %serial, error = %e, "logout on drop failed");
            }
        }
    }
}

fn read_flags(module: &Module, slot: Slot) -> Result<PinFlags> {
    let facts = token_info::read(module, slot, Freshness::Now)?;
    Ok(PinFlags::from(&facts.flags))
}

impl KeyWriter for Pkcs11KeyWriter {
    type Error = TokenError;

    fn keys(&mut self) -> Result<Vec<InsertedKey>> {
        let mut out = Vec::new();
        for token in self.tokens() {
            match self.certificates(&token.key) {
                Ok(read) => out.push(InsertedKey {
                    key: token.key,
                    certificates: read.certificates,
                }),
                // Pulled out while we read: it is simply not there.
                Err(TokenError::Removed(_) | TokenError::NotInserted { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    fn verify_pin(&mut self, key: &KeyRef, pin: Pin) -> Result<PinOutcome> {
        let outcome = self.with_session(key, |c| {
            pin::login(c.session, &pin, || read_flags(c.module, c.slot))
        });
        drop(pin);
        let outcome = match outcome {
            Err(TokenError::PinLocked) => PinOutcome::Locked,
            other => other?,
        };
        tracing::info!(serial = %key.serial, ?outcome, "PIN checked");
        Ok(outcome)
    }

    fn unblock_pin(&mut self, key: &KeyRef, so_pin: Pin, new_pin: Pin) -> Result<UnblockOutcome> {
        let outcome = self.with_session(key, |c| pin::unblock(c.session, &so_pin, &new_pin));
        drop(so_pin);
        drop(new_pin);
        // The session's user login (if any) ended with the SO's.
        self.held.remove(&key.serial);
        let outcome = outcome?;
        tracing::info!(serial = %key.serial, ?outcome, "user PIN unblock");
        Ok(outcome)
    }

    fn logout(&mut self, key: &KeyRef) -> Result<()> {
        if let Some(held) = self.held.remove(&key.serial) {
            match held.session.logout() {
                Ok(()) => {}
                Err(e) if matches!(crate::error::rv(&e), Some(RvError::UserNotLoggedIn)) => {}
                Err(e) => match TokenError::pkcs11("logout", e) {
                    // Pulled out: the token forgot the login itself.
                    TokenError::Removed(_) => {}
                    other => return Err(other),
                },
            }
        }
        Ok(())
    }

    fn generate_key_pair(
        &mut self,
        key: &KeyRef,
        tag: &KeyTag,
        algorithm: KeyAlgorithm,
    ) -> Result<PublicKeyInfo> {
        self.with_session(key, |c| {
            let alg = c
                .profile
                .algorithm(algorithm)
                .ok_or_else(|| TokenError::Unsupported {
                    model: c.profile.name.clone(),
                    what: format!("{algorithm:?}"),
                })?;
            keygen::generate(c.session, c.profile, tag, alg)
        })
    }

    fn find_key_pair(&mut self, key: &KeyRef, tag: &KeyTag) -> Result<Option<PublicKeyInfo>> {
        self.with_session(key, |c| {
            keygen::find_key_pair(c.session, c.profile, &tag.key_id())
        })
    }

    fn sign_digest(&mut self, key: &KeyRef, key_id: &KeyId, digest: &[u8; 32]) -> Result<Vec<u8>> {
        self.with_session(key, |c| {
            sign::sign_digest(c.session, c.profile, key_id, digest)
        })
    }

    fn write_certificate(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        der: &[u8],
        label: &str,
    ) -> Result<()> {
        self.with_session(key, |c| {
            write::write_certificate(c.session, key_id, der, label)
        })
    }

    fn retire_certificate(
        &mut self,
        key: &KeyRef,
        key_id: &KeyId,
        policy: RetirePolicy,
    ) -> Result<()> {
        self.with_session(key, |c| {
            write::retire_certificate(c.session, key_id, policy)
        })
        .map(|_| ())
    }

    fn remove_abandoned(
        &mut self,
        key: &KeyRef,
        order: &OrderNumber,
        keep_attempt: u32,
    ) -> Result<u32> {
        self.with_session(key, |c| {
            abandoned::remove_abandoned(c.session, order, keep_attempt)
        })
    }

    fn write_data_object(&mut self, key: &KeyRef, label: &str, value: &[u8]) -> Result<()> {
        self.with_session(key, |c| write::write_data_object(c.session, label, value))
    }

    fn key_pair_status(&mut self, key: &KeyRef, key_id: &KeyId) -> Result<KeyPairStatus> {
        self.with_session(key, |c| read::key_pair_status(c.session, key_id))
    }

    fn key_algorithms(&mut self, key: &KeyRef) -> Result<Vec<KeyAlgorithm>> {
        self.with_session(key, |c| {
            let table =
                algorithm::read_mechanisms(c.module, c.slot, &algorithm::needed(c.profile))?;
            let offered = algorithm::offered(c.profile, &table);
            tracing::debug!(serial = %key.serial, profile = %c.profile.name, ?offered, "key algorithms");
            Ok(offered)
        })
    }
}
