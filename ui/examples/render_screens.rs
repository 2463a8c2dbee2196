//! Renders every screen headlessly (software renderer) at 1080x1920 and
//! 1920x1080 into docs/screens/, plus some in 长辈模式 and in English.
//!
//! `cargo run -p kiosk-ui --example render-screens [-- OUT_DIR [--all] [SCENE...]]`
//!
//! With `--all`, every scene in every variant (to check that every text
//! fits, in both languages and both modes); with scene names (or their
//! number prefixes, e.g. `20`), only those scenes.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a developer tool: fail loudly"
)]

#[path = "../tests/common/scenes.rs"]
mod scenes;

use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use kiosk_domain::lang::Lang;
use kiosk_ui::KioskUi;
use slint::{ComponentHandle, PhysicalSize};
use std::path::{Path, PathBuf};

fn save(ui: &KioskUi, path: &Path) {
    slint::platform::update_timers_and_animations();
    let shot = ui.window().window().take_snapshot().expect("snapshot");
    let file = std::fs::File::create(path).expect("create png");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), shot.width(), shot.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(shot.as_bytes())
        .unwrap();
    println!("{}", path.display());
}

/// The scenes also rendered in 长辈模式 and in English for docs/screens/.
const LARGE: &[&str] = &[
    "01-home",
    "07-choose-certificate",
    "08-pin",
    "14-payment",
    "18-done",
    "21-lookup",
    "26-keyboard-chinese",
    "27-keyboard-email",
    "28-keyboard-code",
    "29-keyboard-mobile",
    "30-keyboard-resident-id",
    "33-apply-unit",
    "36-apply-documents",
    "38c-apply-live-face",
    "39-apply-review",
    "51-pickup-writing",
    "52-pickup-pending",
    "57-account-register",
    "59-account-unit",
    "61a-account-mobile-review",
    "68-staff-menu",
    "74-staff-counter-form",
];
const ENGLISH: &[&str] = &[
    "01-home",
    "06-environment-new-key-unavailable",
    "07-choose-certificate",
    "08-pin",
    "12-confirm-not-asked",
    "16-counter-paper-out",
    "20-recovery",
    "21-lookup",
    "26-keyboard-chinese",
    "29-keyboard-mobile",
    "31-apply-agreement",
    "34-apply-holders",
    "38-apply-identity",
    "38c-apply-live-face",
    "39-apply-review",
    "50-pickup-insert-key",
    "52-pickup-pending",
    "56-account-sign-in",
    "57-account-register",
    "59-account-unit",
    "61a-account-mobile-review",
    "63-keyboard-password",
    "65-help-staff-not-reached",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let out: PathBuf = args.next().map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screens"),
        PathBuf::from,
    );
    let (flags, picked): (Vec<String>, Vec<String>) = args.partition(|a| a.starts_with("--"));
    let all = flags.iter().any(|a| a == "--all");
    let wanted =
        |name: &str| picked.is_empty() || picked.iter().any(|p| name.starts_with(p.as_str()));
    std::fs::create_dir_all(&out).unwrap();
    // Slint's testing backend with its software renderer: the same pixels,
    // and a clock the scenes move (a keyboard scene taps keys).
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let ui = KioskUi::new().unwrap();
    ui.window().show().unwrap();
    let window = ui.window().window();
    let sizes = [("portrait", 1080, 1920), ("landscape", 1920, 1080)];
    let variants = [
        (Lang::ZhCn, false, "", None),
        (Lang::ZhCn, true, "-large", Some(LARGE)),
        (Lang::En, false, "-en", Some(ENGLISH)),
        (
            Lang::En,
            true,
            "-en-large",
            Some(
                &[
                    "43-lookup-payable",
                    "48-lookup-transfer-noted",
                    "52-pickup-pending",
                ][..],
            ),
        ),
    ];
    for (orient, w, h) in sizes {
        window.set_size(PhysicalSize::new(w, h));
        for (lang, large, suffix, only) in variants {
            ui.set_lang(lang);
            ui.set_large_mode(large);
            for (name, scene) in scenes::all() {
                if wanted(name) && (all || only.is_none_or(|names| names.contains(&name))) {
                    scenes::show(&ui, &scene);
                    save(&ui, &out.join(format!("{name}{suffix}-{orient}.png")));
                }
            }
        }
        ui.set_lang(Lang::ZhCn);
        ui.set_large_mode(false);
    }
}
