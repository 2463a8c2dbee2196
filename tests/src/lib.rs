//! Workspace-level tests: the store under SIGKILL, personal data at rest,
//! the kiosk's production runtime driven by a scripted customer over real
//! and fault-injecting ports, and the layering rules of ARCHITECTURE.md. The
//! tests live in `tests/`; the binaries they drive in `src/bin/`.

pub mod camera;
pub mod faults;
pub mod opencryptoki;
pub mod report;
pub mod rng;
pub mod script;
pub mod softhsm;
pub mod world;
