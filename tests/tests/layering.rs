//! The layering rules of ARCHITECTURE.md, checked against the real manifests:
//! a crate that breaks them fails this test, not a code review.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Crate {
    name: String,
    /// Path of the crate's folder relative to the workspace root, e.g. `app/store`.
    dir: String,
    /// Names of workspace crates it depends on (normal and build dependencies).
    workspace_deps: Vec<String>,
    /// Names of every dependency it declares (normal and build).
    all_deps: Vec<String>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn crates() -> Vec<Crate> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = workspace_root();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            let dir = manifest
                .parent()
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let deps: Vec<&Value> = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null() || d["kind"] == "build")
                .collect();
            Crate {
                name: p["name"].as_str().unwrap().to_owned(),
                dir,
                workspace_deps: deps
                    .iter()
                    .filter(|d| d["path"].is_string())
                    .map(|d| d["name"].as_str().unwrap().to_owned())
                    .collect(),
                all_deps: deps
                    .iter()
                    .map(|d| d["name"].as_str().unwrap().to_owned())
                    .collect(),
            }
        })
        .collect()
}

/// The adapter layer a crate belongs to, by its folder. The reference CA
/// service is not part of the kiosk: it is the other side of the protocol,
/// a program of its own that may use any library crate (it signs with the
/// same X.509 code the key writer checks with).
fn layer(dir: &str) -> Option<&'static str> {
    match dir {
        "sync/ca-service" => None,
        "app/store" => Some("store"),
        d if d.starts_with("drivers/") => Some("drivers"),
        d if d.starts_with("sync/") => Some("sync"),
        d if d.starts_with("ui/") || d == "ui" => Some("ui"),
        _ => None,
    }
}

#[test]
fn the_domain_depends_on_no_workspace_crate_and_does_no_io() {
    let all = crates();
    let domain = all.iter().find(|c| c.name == "kiosk-domain").unwrap();
    assert_eq!(domain.dir, "app/domain");
    assert!(
        domain.workspace_deps.is_empty(),
        "{:?}",
        domain.workspace_deps
    );
    const IO_CRATES: [&str; 16] = [
        "rusqlite",
        "tokio",
        "reqwest",
        "hyper",
        "axum",
        "rustls",
        "slint",
        "cryptoki",
        "escpos",
        "serialport",
        "nokhwa",
        "rusb",
        "tracing",
        "getrandom",
        "rand",
        "std-fs",
    ];
    for dep in &domain.all_deps {
        assert!(
            !IO_CRATES.contains(&dep.as_str()),
            "the domain must not depend on {dep}"
        );
    }
}

#[test]
fn adapters_depend_on_the_domain_and_never_on_each_other() {
    let all = crates();
    for krate in &all {
        let Some(own) = layer(&krate.dir) else {
            continue;
        };
        for dep in &krate.workspace_deps {
            let target = all.iter().find(|c| &c.name == dep).unwrap();
            let ok = target.name == "kiosk-domain" || layer(&target.dir) == Some(own);
            assert!(
                ok,
                "{} ({own}) must not depend on {} ({})",
                krate.name, target.name, target.dir
            );
        }
    }
}

/// Every crate and the workspace crates it may depend on (normal and build
/// dependencies; tests and benches may use more). A crate missing here, or
/// a dependency not listed for it, fails: the map is decided, not grown.
const ALLOWED: &[(&str, &[&str])] = &[
    // The domain: nothing.
    ("kiosk-domain", &[]),
    // Adapters: the domain, and a library of their own folder.
    ("kiosk-store", &["kiosk-domain"]),
    ("kiosk-camera", &["kiosk-domain"]),
    ("kiosk-printer", &["kiosk-domain"]),
    ("kiosk-x509", &["kiosk-domain"]),
    ("kiosk-token", &["kiosk-domain", "kiosk-x509"]),
    ("kiosk-sync-wire", &["kiosk-domain"]),
    ("kiosk-sync-client", &["kiosk-domain", "kiosk-sync-wire"]),
    ("kiosk-ui", &["kiosk-domain"]),
    // The configuration only parses: the domain's types, no driver.
    ("kiosk-config", &["kiosk-domain"]),
    // The diagnostics both composition roots run (kioskctl doctor, the
    // technician screen): the configuration, the store and the devices it
    // checks, the CA link it probes; used by composition roots only.
    (
        "kiosk-diagnostics",
        &[
            "kiosk-domain",
            "kiosk-config",
            "kiosk-store",
            "kiosk-camera",
            "kiosk-printer",
            "kiosk-x509",
            "kiosk-sync-client",
        ],
    ),
    // Composition roots: the kiosk wires everything but the protocol's wire
    // format (the CA is a port; sync/client speaks the wire).
    (
        "kiosk",
        &[
            "kiosk-domain",
            "kiosk-config",
            "kiosk-diagnostics",
            "kiosk-store",
            "kiosk-camera",
            "kiosk-printer",
            "kiosk-token",
            "kiosk-x509",
            "kiosk-sync-client",
            "kiosk-ui",
        ],
    ),
    (
        "kioskctl",
        &[
            "kiosk-domain",
            "kiosk-config",
            "kiosk-diagnostics",
            "kiosk-store",
            "kiosk-camera",
            "kiosk-printer",
            "kiosk-token",
            "kiosk-x509",
            "kiosk-sync-client",
        ],
    ),
    // The other side of the protocol.
    (
        "ca-service",
        &["kiosk-domain", "kiosk-sync-wire", "kiosk-x509"],
    ),
    // Workspace-level tests drive the production runtime and the CA.
    (
        "kiosk-tests",
        &[
            "kiosk",
            "kiosk-domain",
            "kiosk-config",
            "kiosk-store",
            "kiosk-camera",
            "kiosk-token",
            "kiosk-x509",
            "kiosk-sync-client",
            "kiosk-ui",
            "ca-service",
        ],
    ),
    ("xtask", &[]),
];

#[test]
fn every_crate_depends_only_on_what_its_allow_list_names() {
    let all = crates();
    for krate in &all {
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == krate.name) else {
            panic!("{} is not in the layering allow-list", krate.name);
        };
        for dep in &krate.workspace_deps {
            assert!(
                allowed.contains(&dep.as_str()),
                "{} must not depend on {dep} (allowed: {allowed:?})",
                krate.name
            );
        }
    }
    for (name, _) in ALLOWED {
        assert!(
            all.iter().any(|c| c.name == *name),
            "the allow-list names {name}, which is not a workspace crate"
        );
    }
}

#[test]
fn the_configuration_pulls_in_no_device_library() {
    // `cargo tree -p kiosk-config`: parsing a model list and a URI needs no
    // PKCS#11, USB, serial, camera or window library.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "kiosk-config",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    for device in [
        "cryptoki",
        "rusb",
        "libusb1-sys",
        "serialport",
        "nokhwa",
        "slint",
        "escpos",
    ] {
        assert!(
            !tree.lines().any(|l| l.starts_with(&format!("{device} "))),
            "kiosk-config pulls in {device}"
        );
    }
}

#[test]
fn architecture_md_maps_every_crate() {
    let doc = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap();
    for krate in crates() {
        assert!(
            doc.contains(&format!("`{}`", krate.dir)),
            "ARCHITECTURE.md does not map `{}` ({})",
            krate.dir,
            krate.name
        );
    }
}

#[test]
fn nothing_reads_the_shared_folder() {
    // A user's clone has no ../shared: nothing may build, run or test from it.
    let root = workspace_root();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') && name != ".ci" && name != ".cargo"
                || name == "target"
                || name == "var"
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("rs" | "toml" | "sh")
            ) || path.ends_with(".ci/run")
            {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let needle = ["..", "/shared/"].concat();
                assert!(!text.contains(&needle), "{} reads {needle}", path.display());
            }
        }
    }
}
