//! `kioskctl update status|install PATH|URL`: the kiosk's A/B system updates,
//! through RAUC (`rauc status --output-format=json`, `rauc install`).
//!
//! RAUC does the work and the checks (signature, whole-payload verification
//! before any slot is touched, boot counting); this module only runs it and
//! says what happened in a technician's words. `KIOSK_RAUC` names another
//! `rauc` binary (tests).

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;

/// The `rauc` program: `$KIOSK_RAUC`, else `rauc` from `PATH`.
fn rauc_program() -> OsString {
    std::env::var_os("KIOSK_RAUC")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| OsString::from("rauc"))
}

fn not_installed(program: &OsString) -> anyhow::Error {
    anyhow::anyhow!(
        "`{}` is not installed here: `kioskctl update` works on a kiosk built from \
         image/ (RAUC is part of it); on another machine install the `rauc` package",
        Path::new(program).display()
    )
}

/// One root slot as a technician needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    /// RAUC's slot name, e.g. `rootfs.0`.
    pub name: String,
    /// The boot name, `A` or `B`.
    pub bootname: Option<String>,
    pub device: Option<String>,
    /// `booted`, `inactive` or `active` (RAUC's words).
    pub state: Option<String>,
    /// `good` or `bad`: whether the boot loader will (still) start it.
    pub boot_status: Option<String>,
    /// The version of the bundle last installed into it.
    pub version: Option<String>,
    pub installed: Option<String>,
    /// RAUC's result of the last installation into this slot.
    pub install_status: Option<String>,
}

/// `kioskctl update status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub compatible: Option<String>,
    /// Boot name of the running slot.
    pub booted: Option<String>,
    /// The slot the next boot starts (RAUC's slot name).
    pub next_boot: Option<String>,
    pub slots: Vec<Slot>,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses `rauc status --detailed --output-format=json`.
pub fn parse_status(json: &str) -> Result<Status> {
    let v: Value = serde_json::from_str(json).context("rauc status printed no valid JSON")?;
    let mut slots = Vec::new();
    if let Some(list) = v.get("slots").and_then(Value::as_array) {
        // RAUC lists each slot as a one-key object: {"rootfs.0": {...}}.
        for entry in list {
            let Some(map) = entry.as_object() else {
                continue;
            };
            for (name, s) in map {
                slots.push(Slot {
                    name: name.clone(),
                    bootname: text(s, &["bootname"]),
                    device: text(s, &["device"]),
                    state: text(s, &["state"]),
                    boot_status: text(s, &["boot_status"]),
                    version: text(s, &["slot_status", "bundle", "version"]),
                    installed: text(s, &["slot_status", "installed", "timestamp"]),
                    install_status: text(s, &["slot_status", "status"]),
                });
            }
        }
    }
    slots.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Status {
        compatible: text(&v, &["compatible"]),
        booted: text(&v, &["booted"]),
        next_boot: text(&v, &["boot_primary"]),
        slots,
    })
}

fn run_rauc(program: &OsString, args: &[&str]) -> Result<Output> {
    match Command::new(program).args(args).output() {
        Ok(output) => Ok(output),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(not_installed(program)),
        Err(e) => Err(e).with_context(|| format!("could not run {}", Path::new(program).display())),
    }
}

/// `kioskctl update status`: both slots, which one runs and which boots next.
pub fn status() -> Result<Status> {
    status_with(&rauc_program())
}

fn status_with(program: &OsString) -> Result<Status> {
    let output = run_rauc(program, &["status", "--detailed", "--output-format=json"])?;
    if !output.status.success() {
        bail!(
            "rauc status failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_status(&String::from_utf8_lossy(&output.stdout))
}

fn or_dash(v: Option<&str>) -> &str {
    v.unwrap_or("-")
}

/// The status as a technician reads it.
pub fn render_status(status: &Status) -> String {
    let mut out = String::new();
    let booted_slot = status
        .slots
        .iter()
        .find(|s| s.bootname.is_some() && s.bootname == status.booted);
    let next = status
        .slots
        .iter()
        .find(|s| Some(&s.name) == status.next_boot.as_ref());
    out.push_str(&format!(
        "running:    slot {} ({})\n",
        or_dash(status.booted.as_deref()),
        booted_slot.map_or("-", |s| s.name.as_str())
    ));
    out.push_str(&format!(
        "next boot:  slot {} ({})\n",
        next.map_or("-", |s| or_dash(s.bootname.as_deref())),
        or_dash(status.next_boot.as_deref())
    ));
    for s in &status.slots {
        out.push_str(&format!(
            "slot {:<2} {:<9} {:<9} boot {:<5} version {:<24} installed {}\n",
            or_dash(s.bootname.as_deref()),
            s.name,
            or_dash(s.state.as_deref()),
            or_dash(s.boot_status.as_deref()),
            or_dash(s.version.as_deref()),
            or_dash(s.installed.as_deref()),
        ));
    }
    out
}

/// `kioskctl update install PATH|URL`: installs a bundle into the other
/// slot; a URL is downloaded onto the data partition first and removed
/// afterwards. RAUC's progress goes straight to the terminal. Returns what
/// to do next.
pub fn install(source: &str) -> Result<String> {
    if crate::update_download::is_url(source) {
        let dir = std::env::var_os("KIOSK_UPDATE_DOWNLOAD_DIR").map_or_else(
            || PathBuf::from(crate::update_download::DOWNLOAD_DIR),
            PathBuf::from,
        );
        let bundle = crate::update_download::fetch(source, &dir)?;
        return install_with(&rauc_program(), bundle.path());
    }
    install_with(&rauc_program(), Path::new(source))
}

fn install_with(program: &OsString, bundle: &Path) -> Result<String> {
    let path: PathBuf = if bundle.is_absolute() {
        bundle.to_path_buf()
    } else {
        std::env::current_dir()
            .context("current directory")?
            .join(bundle)
    };
    if !path.is_file() {
        bail!("no bundle at {}", path.display());
    }
    let status = match Command::new(program).arg("install").arg(&path).status() {
        Ok(status) => status,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(not_installed(program)),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("could not run {}", Path::new(program).display()));
        }
    };
    if !status.success() {
        bail!(
            "the update was NOT installed (rauc install: {status}). A bundle with a wrong \
             signature or a damaged payload is refused before any slot is touched: the kiosk \
             keeps running and booting what it runs now. See the messages above, \
             `journalctl -u rauc` and TECHNICIAN.md"
        );
    }
    Ok(format!(
        "installed {} into the other slot; it boots once on trial at the next restart \
         (`systemctl reboot`) and is kept only if the kiosk passes its health check, \
         otherwise the kiosk returns to the current slot by itself\n",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "compatible": "ca-kiosk-x86_64", "variant": "", "booted": "B",
      "boot_primary": "rootfs.1",
      "slots": [
        {"rootfs.0": {"class": "rootfs", "device": "/dev/disk/by-partlabel/root-a",
          "type": "ext4", "bootname": "A", "state": "inactive", "parent": null,
          "mountpoint": null, "boot_status": "good",
          "slot_status": {"status": "ok"}}},
        {"rootfs.1": {"class": "rootfs", "device": "/dev/disk/by-partlabel/root-b",
          "type": "ext4", "bootname": "B", "state": "booted", "parent": null,
          "mountpoint": "/", "boot_status": "good",
          "slot_status": {"bundle": {"compatible": "ca-kiosk-x86_64", "version": "2026.11.23"},
            "installed": {"timestamp": "2026-11-23T21:40:00Z", "count": 1},
            "status": "ok"}}}
      ]
    }"#;

    #[test]
    fn parses_rauc_status_json() {
        let status = parse_status(SAMPLE).expect("sample parses");
        assert_eq!(status.booted.as_deref(), Some("B"));
        assert_eq!(status.next_boot.as_deref(), Some("rootfs.1"));
        assert_eq!(status.slots.len(), 2);
        assert_eq!(status.slots[0].bootname.as_deref(), Some("A"));
        assert_eq!(status.slots[0].version, None);
        assert_eq!(status.slots[1].version.as_deref(), Some("2026.11.23"));
        assert_eq!(status.slots[1].state.as_deref(), Some("booted"));
        let text = render_status(&status);
        assert!(text.contains("running:    slot B (rootfs.1)"), "{text}");
        assert!(text.contains("next boot:  slot B (rootfs.1)"), "{text}");
        assert!(text.contains("version 2026.11.23"), "{text}");
    }

    #[test]
    fn refuses_non_json() {
        let err = parse_status("Compatible: x").expect_err("not JSON");
        assert!(err.to_string().contains("no valid JSON"), "{err}");
    }

    #[test]
    fn absent_rauc_is_a_clear_error() {
        let absent = OsString::from("/nonexistent/rauc");
        let err = status_with(&absent).expect_err("no rauc");
        assert!(err.to_string().contains("is not installed here"), "{err}");
        let bundle = tempfile::NamedTempFile::new().expect("temp file");
        let err = install_with(&absent, bundle.path()).expect_err("no rauc");
        assert!(err.to_string().contains("is not installed here"), "{err}");
    }

    #[test]
    fn failed_install_says_nothing_changed() {
        let bundle = tempfile::NamedTempFile::new().expect("temp file");
        let err = install_with(&OsString::from("false"), bundle.path()).expect_err("false fails");
        assert!(err.to_string().contains("NOT installed"), "{err}");
    }

    #[test]
    fn missing_bundle_is_a_clear_error() {
        let err = install("/nonexistent/kiosk.raucb").expect_err("no file");
        assert!(err.to_string().contains("no bundle at"), "{err}");
    }
}
