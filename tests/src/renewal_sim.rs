//! A simulated USB key and CA for driving the renewal flow end to end against
//! the real store, while the token and CA drivers are still to come. Their
//! state is a JSON file replaced atomically, so it survives SIGKILL like a
//! real token and a real CA would. Like the real adapters must, every action
//! is idempotent: it looks at what already exists before it does anything.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// A key pair on the simulated token, tagged with its order and attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimKey {
    pub order: String,
    pub attempt: u32,
}

/// What the simulated token and CA hold.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SimWorld {
    pub keys: Vec<SimKey>,
    /// Orders the CA issued a certificate for (at most one each).
    pub issued: Vec<String>,
    /// Orders whose new certificate is written on the token.
    pub written: Vec<String>,
    pub old_certificate_retired: bool,
    /// Money taken from the customer, per order.
    pub charges: BTreeMap<String, u32>,
    /// Broken rules; a correct kiosk leaves this empty.
    pub violations: Vec<String>,
}

impl SimWorld {
    /// Loads the world, or an empty one if the file does not exist yet.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).context("sim world is corrupt"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).context("cannot read sim world"),
        }
    }

    /// Replaces the file atomically and durably (write, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&serde_json::to_vec(self)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Generates the key pair for (order, attempt) unless it exists.
    pub fn generate_key(&mut self, order: &str, attempt: u32) {
        let key = SimKey {
            order: order.to_owned(),
            attempt,
        };
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    /// Removes key pairs of this order's other attempts.
    pub fn remove_abandoned(&mut self, order: &str, keep_attempt: u32) {
        self.keys
            .retain(|k| k.order != order || k.attempt == keep_attempt);
    }

    /// The CA issues once per order, for a key that exists.
    pub fn issue(&mut self, order: &str, attempt: u32) {
        if !self.has_key(order, attempt) {
            self.violations
                .push(format!("certificate requested for {order} without its key"));
        }
        if !self.issued.iter().any(|o| o == order) {
            self.issued.push(order.to_owned());
        }
    }

    pub fn write_certificate(&mut self, order: &str, attempt: u32) {
        if !self.issued.iter().any(|o| o == order) || !self.has_key(order, attempt) {
            self.violations.push(format!(
                "certificate of {order} written before it was issued or without its key"
            ));
        }
        if !self.written.iter().any(|o| o == order) {
            self.written.push(order.to_owned());
        }
    }

    pub fn retire_old(&mut self, order: &str) {
        if !self.written.iter().any(|o| o == order) {
            self.violations
                .push("old certificate retired before the new one was written".to_owned());
        }
        self.old_certificate_retired = true;
    }

    /// The customer pays the QR: money is taken.
    pub fn charge(&mut self, order: &str) {
        *self.charges.entry(order.to_owned()).or_default() += 1;
    }

    pub fn is_paid(&self, order: &str) -> bool {
        self.charges.get(order).is_some_and(|n| *n > 0)
    }

    fn has_key(&self, order: &str, attempt: u32) -> bool {
        self.keys
            .iter()
            .any(|k| k.order == order && k.attempt == attempt)
    }
}
