//! Which keys are inserted, and a polling watcher for insertion and removal.

use crate::error::{Result, TokenError};
use crate::module::Module;
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
}

impl SlotToken {
    pub(crate) fn slot(&self) -> Result<Slot> {
        Slot::try_from(self.slot).map_err(|_| TokenError::Malformed("slot id"))
    }
}

/// Every slot with an initialised token present, over all modules (a blank
/// token cannot hold a certificate). A module that fails to
/// list its slots is logged and skipped.
#[must_use]
pub fn tokens(modules: &[Module]) -> Vec<SlotToken> {
    let mut out = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        let slots = match module.ctx().get_slots_with_initialized_token() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(module = %module.path().display(), error = %e, "slot list failed");
                continue;
            }
        };
        for slot in slots {
            match module.ctx().get_token_info(slot) {
                Ok(info) => out.push(SlotToken {
                    module: index,
                    slot: slot.id(),
                    key: KeyRef {
                        label: info.label().trim().to_owned(),
                        serial: info.serial_number().trim().to_owned(),
                        model: info.model().trim().to_owned(),
                        manufacturer: info.manufacturer_id().trim().to_owned(),
                    },
                }),
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
/// swapped for another in the same slot is a removal and an insertion.
#[must_use]
pub fn diff(old: &[SlotToken], new: &[SlotToken]) -> Vec<TokenEvent> {
    let removed = old
        .iter()
        .filter(|t| !new.contains(t))
        .map(|t| TokenEvent::Removed(t.key.clone()));
    let inserted = new
        .iter()
        .filter(|t| !old.contains(t))
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
