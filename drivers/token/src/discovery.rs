//! Which keys are inserted, and a polling watcher for insertion and removal.

use crate::error::{Result, TokenError};
use crate::module::Module;
use crate::token_info::{self, Freshness, InfoSource, TokenFlags};
use cryptoki::slot::Slot;
use kiosk_domain::ports::key_writer::KeyRef;
use std::time::Duration;

/// A token in a slot of a loaded module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotToken {
    /// Index into the loaded modules.
    pub module: usize,
    pub slot: u64,
    pub key: KeyRef,
    /// The token's flags when it was listed (PIN checks read them again).
    pub flags: TokenFlags,
    /// Where its description came from: not `Cryptoki` means `cryptoki`
    /// could not convert the token's info (see [`crate::token_info`]).
    pub source: InfoSource,
}

impl SlotToken {
    pub(crate) fn slot(&self) -> Result<Slot> {
        Slot::try_from(self.slot).map_err(|_| TokenError::Malformed("slot id"))
    }

    /// The same token in the same slot (flags may differ).
    #[must_use]
    pub fn same_as(&self, other: &Self) -> bool {
        self.module == other.module && self.slot == other.slot && self.key == other.key
    }
}

/// Every slot with an initialised token present, over all modules (a blank
/// token cannot hold a certificate). A module that fails to list its slots
/// is logged and skipped.
///
/// Slots are listed with `get_slots_with_token` and each token is read on
/// its own ([`token_info::read`]), not with `cryptoki`'s
/// `get_slots_with_initialized_token`: that one fails for the whole module
/// when one token's info does not convert, and a token whose info does not
/// fully convert is still listed, with what could be read.
#[must_use]
pub fn tokens(modules: &[Module]) -> Vec<SlotToken> {
    let mut out = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        let slots = match module.ctx().get_slots_with_token() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(module = %module.path().display(), error = %e, "slot list failed");
                continue;
            }
        };
        let present: Vec<u64> = slots.iter().map(Slot::id).collect();
        module.retain_facts(&present);
        for slot in slots {
            match token_info::read(module, slot, Freshness::Identity) {
                Ok(facts) if facts.flags.token_initialized => out.push(SlotToken {
                    module: index,
                    slot: slot.id(),
                    key: KeyRef {
                        label: facts.label,
                        serial: facts.serial,
                        model: facts.model,
                        manufacturer: facts.manufacturer,
                    },
                    flags: facts.flags,
                    source: facts.source,
                }),
                // A blank token: nothing to renew on it.
                Ok(_) => {}
                // The token went away between the two calls: not inserted.
                Err(e) => tracing::debug!(slot = slot.id(), error = %e, "token info failed"),
            }
        }
    }
    out
}

/// The slot holding this key now (looked up by serial and label, never by
/// slot number: numbers change).
///
/// # Errors
/// [`TokenError::NotInserted`] when no slot holds it.
pub fn find(modules: &[Module], key: &KeyRef) -> Result<SlotToken> {
    tokens(modules)
        .into_iter()
        .find(|t| t.key.serial == key.serial && t.key.label == key.label)
        .ok_or_else(|| TokenError::NotInserted {
            serial: key.serial.clone(),
        })
}

/// What changed between two polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEvent {
    Inserted(KeyRef),
    Removed(KeyRef),
}

/// The changes from `old` to `new`: removals first, then insertions. A key
/// swapped for another in the same slot is a removal and an insertion; a
/// change of flags alone (a wrong PIN) is no change.
#[must_use]
pub fn diff(old: &[SlotToken], new: &[SlotToken]) -> Vec<TokenEvent> {
    let removed = old
        .iter()
        .filter(|t| !new.iter().any(|n| n.same_as(t)))
        .map(|t| TokenEvent::Removed(t.key.clone()));
    let inserted = new
        .iter()
        .filter(|t| !old.iter().any(|o| o.same_as(t)))
        .map(|t| TokenEvent::Inserted(t.key.clone()));
    removed.chain(inserted).collect()
}

/// Polls the slot lists and reports what changed. Call [`Watcher::poll`]
/// every [`Watcher::INTERVAL`] (PKCS#11 slot events are not reliable across
/// modules, polling is).
#[derive(Debug, Default)]
pub struct Watcher {
    known: Vec<SlotToken>,
}

impl Watcher {
    /// How often to poll (at most one second, so a pulled key shows at once).
    pub const INTERVAL: Duration = Duration::from_millis(500);

    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Lists the slots now and reports the changes since the last poll.
    pub fn poll(&mut self, modules: &[Module]) -> Vec<TokenEvent> {
        self.update(tokens(modules))
    }

    /// Takes a slot list (from [`tokens`]) and reports the changes.
    pub fn update(&mut self, now: Vec<SlotToken>) -> Vec<TokenEvent> {
        let events = diff(&self.known, &now);
        for e in &events {
            tracing::info!(event = ?e, "key change");
        }
        self.known = now;
        events
    }

    /// The keys seen at the last poll.
    #[must_use]
    pub fn known(&self) -> &[SlotToken] {
        &self.known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(slot: u64, serial: &str) -> SlotToken {
        SlotToken {
            module: 0,
            slot,
            key: KeyRef {
                label: format!("L{serial}"),
                serial: serial.to_owned(),
                model: "M".into(),
                manufacturer: "X".into(),
            },
            flags: TokenFlags::default(),
            source: InfoSource::Cryptoki,
        }
    }

    #[test]
    fn watcher_reports_insertions_removals_and_swaps() {
        let mut w = Watcher::new();
        assert_eq!(w.update(vec![]), vec![]);
        assert_eq!(
            w.update(vec![tok(1, "a")]),
            vec![TokenEvent::Inserted(tok(1, "a").key)]
        );
        // Nothing changed: nothing reported.
        assert_eq!(w.update(vec![tok(1, "a")]), vec![]);
        // Second key in.
        assert_eq!(
            w.update(vec![tok(1, "a"), tok(2, "b")]),
            vec![TokenEvent::Inserted(tok(2, "b").key)]
        );
        // Order of the list does not matter.
        assert_eq!(w.update(vec![tok(2, "b"), tok(1, "a")]), vec![]);
        // Nor do the flags (a wrong PIN sets COUNT_LOW).
        let mut low = tok(1, "a");
        low.flags.user_pin_count_low = true;
        assert_eq!(w.update(vec![tok(2, "b"), low]), vec![]);
        // Swap in slot 1.
        assert_eq!(
            w.update(vec![tok(2, "b"), tok(1, "c")]),
            vec![
                TokenEvent::Removed(tok(1, "a").key),
                TokenEvent::Inserted(tok(1, "c").key)
            ]
        );
        // Same key moved to a new slot number (re-enumeration).
        assert_eq!(
            w.update(vec![tok(2, "b"), tok(9, "c")]),
            vec![
                TokenEvent::Removed(tok(1, "c").key),
                TokenEvent::Inserted(tok(9, "c").key)
            ]
        );
        assert_eq!(
            w.update(vec![]),
            vec![
                TokenEvent::Removed(tok(2, "b").key),
                TokenEvent::Removed(tok(9, "c").key)
            ]
        );
        assert!(w.known().is_empty());
    }
}
