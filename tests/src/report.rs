//! How the test binaries report to the test that drives them: one line on
//! stdout per fact, flushed at once (the test may SIGKILL the binary right
//! after reading it), and SHA-256 digests as lowercase hex.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;

/// SHA-256 of `bytes`, 64 lowercase hex digits.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Prints `line` and flushes it before returning.
///
/// # Errors
/// stdout is gone (the test stopped reading).
pub fn say(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}
