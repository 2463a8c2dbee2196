//! The OS image's checks (`image/`), run by bash scripts that this module
//! starts from the workspace root:
//!
//! - `cargo xtask image-check`: the host checks, seconds, part of `cargo
//!   xtask ci` (units verified, security exposure, udev rules, no private
//!   key, the boot-loader backend, RAUC bundles signed, wrong signer and
//!   tampered payload refused): `image/tests/host-checks.sh`.
//! - `cargo xtask image-e2e [ARGS...]`: the QEMU end-to-end test, minutes,
//!   not part of `ci`: `image/tests/qemu-e2e.sh`.
//!
//! The scripts exit with status 2 when a tool is missing, after naming it and
//! its Debian package; that becomes an error saying so here.

use std::ffi::OsString;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The host checks, relative to the workspace root.
const HOST_CHECKS: &str = "image/tests/host-checks.sh";
/// The QEMU end-to-end test, relative to the workspace root.
const QEMU_E2E: &str = "image/tests/qemu-e2e.sh";

/// Exit status the scripts use for "a tool is missing".
const MISSING_TOOL: i32 = 2;

/// `cargo xtask image-check`.
pub fn check() -> Result<()> {
    run_script("image-check", HOST_CHECKS, Vec::new())
}

/// `cargo xtask image-e2e [ARGS...]`.
pub fn e2e(args: Vec<OsString>) -> Result<()> {
    run_script("image-e2e", QEMU_E2E, args)
}

fn run_script(name: &str, script: &str, args: Vec<OsString>) -> Result<()> {
    let root = super::workspace_root()?;
    let path = root.join(script);
    if !path.is_file() {
        bail!("step `{name}`: {} does not exist", path.display());
    }
    eprintln!("\n==> [{name}] bash {script}");
    let start = Instant::now();
    let status = Command::new("bash")
        .arg(&path)
        .args(&args)
        .current_dir(&root)
        .status()
        .with_context(|| format!("step `{name}` could not start bash (is it installed?)"))?;
    let elapsed = start.elapsed();
    if status.success() {
        eprintln!("<== [{name}] ok in {elapsed:.1?}");
        return Ok(());
    }
    eprintln!("<== [{name}] FAILED in {elapsed:.1?}");
    if status.code() == Some(MISSING_TOOL) {
        bail!(
            "step `{name}`: a tool is missing (named above); `bash scripts/bootstrap.sh` \
             installs the image tools, or see TECHNICIAN.md"
        );
    }
    bail!(
        "step `{name}` failed ({}): bash {script}",
        super::describe(status)
    )
}
