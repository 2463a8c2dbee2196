//! A bare Slint window, the footprint bench's anchor (BENCHMARKS.md): the
//! kiosk's Slint build (same version, features and backend) showing one
//! line of text on a full-screen 1080x1920 window, nothing else: no
//! screens, translations, embedded font, store, runtime or devices.
//!
//! `cargo build --release -p kiosk -p kiosk-ui --example bare_window` (one
//! command, so that Slint is built with the kiosk's features), then run it with
//! `SLINT_BACKEND=winit-software`.

slint::slint! {
    export component BareWindow inherits Window {
        width: 1080px;
        height: 1920px;
        background: #eef2f7;
        Text {
            text: "证书自助服务";
            font-size: 46px;
            color: rgb(23, 33, 46);
        }
    }
}

use slint::ComponentHandle;

fn main() -> Result<(), slint::PlatformError> {
    let window = BareWindow::new()?;
    // As the kiosk does: a size (an X server without a window manager
    // does not make a window full screen), then full screen.
    window
        .window()
        .set_size(slint::LogicalSize::new(1080.0, 1920.0));
    window.window().set_fullscreen(true);
    window.run()
}
