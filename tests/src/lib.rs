//! Workspace-level tests: the store under SIGKILL, personal data at rest, and
//! the layering rules of ARCHITECTURE.md. The tests live in `tests/`; the
//! binaries they drive in `src/bin/`.

pub mod customer;
pub mod renewal_sim;
pub mod report;
pub mod rng;
pub mod softhsm;
pub mod store_effects;
