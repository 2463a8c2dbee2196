//! Renders every screen headlessly (software renderer) at 1080x1920 and
//! 1920x1080 into docs/screens/, plus some in 长辈模式 and in English.
//!
//! `cargo run -p kiosk-ui --example render-screens [-- OUT_DIR]`
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a developer tool: fail loudly"
)]

#[path = "../tests/common/scenes.rs"]
mod scenes;

use kiosk_domain::lang::Lang;
use kiosk_ui::KioskUi;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, PhysicalSize};
use std::path::{Path, PathBuf};
use std::rc::Rc;

struct Headless {
    window: Rc<MinimalSoftwareWindow>,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

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

fn main() {
    let out: PathBuf = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screens"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out).unwrap();
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless {
        window: window.clone(),
    }))
    .unwrap();
    let ui = KioskUi::new().unwrap();
    ui.window().show().unwrap();
    let sizes = [("portrait", 1080, 1920), ("landscape", 1920, 1080)];
    for (orient, w, h) in sizes {
        window.set_size(PhysicalSize::new(w, h));
        for (name, scene) in scenes::all() {
            scenes::show(&ui, &scene);
            save(&ui, &out.join(format!("{name}-{orient}.png")));
        }
        // 长辈模式.
        ui.set_large_mode(true);
        for (name, scene) in scenes::all() {
            if ["01-home", "05-choose-certificate", "06-pin", "10-payment"].contains(&name) {
                scenes::show(&ui, &scene);
                save(&ui, &out.join(format!("{name}-large-{orient}.png")));
            }
        }
        ui.set_large_mode(false);
        // English.
        ui.set_lang(Lang::En);
        for (name, scene) in scenes::all() {
            if ["01-home", "05-choose-certificate", "06-pin", "13-recovery"].contains(&name) {
                scenes::show(&ui, &scene);
                save(&ui, &out.join(format!("{name}-en-{orient}.png")));
            }
        }
        ui.set_lang(Lang::ZhCn);
    }
}
