//! Loading the PKCS#11 modules of the key models the kiosk supports.
//!
//! The list comes from the configuration (defaults: SoftHSM2 and OpenSC);
//! `KIOSK_PKCS11_MODULES` (colon-separated paths) overrides it. A module that
//! is missing or fails to load is reported and skipped, not fatal.

use crate::token_info::TokenFacts;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The environment variable that overrides the configured module list.
pub const MODULES_ENV: &str = "KIOSK_PKCS11_MODULES";

/// The modules tried when nothing is configured.
pub const DEFAULT_MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
];

/// The module paths to load: `KIOSK_PKCS11_MODULES` if set and not empty,
/// else `configured` if not empty, else [`DEFAULT_MODULES`].
#[must_use]
pub fn module_paths(configured: &[PathBuf]) -> Vec<PathBuf> {
    let env = std::env::var_os(MODULES_ENV);
    paths_from(env.as_deref().and_then(|v| v.to_str()), configured)
}

fn paths_from(env: Option<&str>, configured: &[PathBuf]) -> Vec<PathBuf> {
    if let Some(list) = env {
        let paths: Vec<PathBuf> = list
            .split(':')
            .filter(|p| !p.trim().is_empty())
            .map(|p| PathBuf::from(p.trim()))
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    if configured.is_empty() {
        DEFAULT_MODULES.iter().map(PathBuf::from).collect()
    } else {
        configured.to_vec()
    }
}

/// A loaded and initialised PKCS#11 module.
pub struct Module {
    path: PathBuf,
    ctx: Pkcs11,
    /// We called `C_Initialize` (so we call `C_Finalize` on drop).
    owns_init: bool,
    /// Descriptions of tokens `cryptoki` could not convert, by slot id, kept
    /// while the token stays (see [`crate::token_info`]).
    kept: Mutex<BTreeMap<u64, TokenFacts>>,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module").field("path", &self.path).finish()
    }
}

impl Module {
    /// Loads and initialises one module.
    ///
    /// # Errors
    /// The file is missing or is not a PKCS#11 module.
    pub fn load(path: &Path) -> Result<Self, ModuleProblem> {
        if !path.exists() {
            return Err(ModuleProblem::Missing(path.to_path_buf()));
        }
        let failed = |e: cryptoki::error::Error| ModuleProblem::Failed {
            path: path.to_path_buf(),
            error: e.to_string(),
        };
        let ctx = Pkcs11::new(path).map_err(failed)?;
        let owns_init = match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        {
            Ok(()) => true,
            Err(e) if crate::error::rv(&e) == Some(RvError::CryptokiAlreadyInitialized) => false,
            Err(e) => return Err(failed(e)),
        };
        tracing::info!(module = %path.display(), "PKCS#11 module loaded");
        Ok(Self {
            path: path.to_path_buf(),
            ctx,
            owns_init,
            kept: Mutex::new(BTreeMap::new()),
        })
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn ctx(&self) -> &Pkcs11 {
        &self.ctx
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, TokenFacts>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The description kept for the token in this slot.
    pub(crate) fn kept_facts(&self, slot: u64) -> Option<TokenFacts> {
        self.kept().get(&slot).cloned()
    }

    /// Keeps a description; true when the token is new to the slot (or its
    /// identity changed), false when only its flags did.
    pub(crate) fn keep_facts(&self, slot: u64, facts: &TokenFacts) -> bool {
        let before = self.kept().insert(slot, facts.clone());
        before.is_none_or(|b| {
            (&b.label, &b.serial, &b.model, &b.manufacturer, b.source)
                != (
                    &facts.label,
                    &facts.serial,
                    &facts.model,
                    &facts.manufacturer,
                    facts.source,
                )
        })
    }

    /// Forgets the description of this slot (its token went or reads normally).
    pub(crate) fn forget_facts(&self, slot: u64) {
        self.kept().remove(&slot);
    }

    /// Forgets the descriptions of slots no longer holding a token.
    pub(crate) fn retain_facts(&self, present: &[u64]) {
        self.kept().retain(|slot, _| present.contains(slot));
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        if self.owns_init
            && let Err(e) = self.ctx.clone().finalize()
        {
            tracing::warn!(module = %self.path.display(), error = %e, "C_Finalize failed");
        }
    }
}

/// A module that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModuleProblem {
    #[error("PKCS#11 module {0:?} is not installed")]
    Missing(PathBuf),
    #[error("PKCS#11 module {path:?} failed to load: {error}")]
    Failed { path: PathBuf, error: String },
}

/// What loading the module list gave.
#[derive(Debug, Default)]
pub struct Modules {
    pub loaded: Vec<Module>,
    pub problems: Vec<ModuleProblem>,
}

/// Loads every module of the list; problems are logged and kept.
#[must_use]
pub fn load_all(paths: &[PathBuf]) -> Modules {
    let mut out = Modules::default();
    for path in paths {
        match Module::load(path) {
            Ok(m) => out.loaded.push(m),
            Err(p) => {
                tracing::warn!(problem = %p, "PKCS#11 module skipped");
                out.problems.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_configuration_and_defaults_fill_in() {
        let configured = vec![PathBuf::from("/opt/vendor/lib.so")];
        assert_eq!(
            paths_from(Some("/a.so: /b.so::"), &configured),
            vec![PathBuf::from("/a.so"), PathBuf::from("/b.so")]
        );
        assert_eq!(paths_from(Some(""), &configured), configured);
        assert_eq!(paths_from(None, &configured), configured);
        assert_eq!(paths_from(None, &[]).len(), 2);
    }

    #[test]
    fn a_missing_module_is_reported_not_fatal() {
        let modules = load_all(&[PathBuf::from("/nonexistent/pkcs11.so")]);
        assert!(modules.loaded.is_empty());
        assert_eq!(
            modules.problems,
            vec![ModuleProblem::Missing(PathBuf::from(
                "/nonexistent/pkcs11.so"
            ))]
        );
    }
}
