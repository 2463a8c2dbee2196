//! The payment QR code as a Slint image (black modules on white, quiet zone).
#![forbid(unsafe_code)]

use qrcode::{Color, EcLevel, QrCode};
use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

/// Pixels per module; the screen scales the image up without smoothing.
const SCALE: usize = 8;
const QUIET: usize = 4;

/// Renders `payload` as a QR code image; `None` if it does not fit a QR code.
#[must_use]
pub fn qr_image(payload: &str) -> Option<Image> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let side32 = u32::try_from(side).ok()?;
    let mut buffer = SharedPixelBuffer::<Rgba8Pixel>::new(side32, side32);
    let white = Rgba8Pixel::new(255, 255, 255, 255);
    let black = Rgba8Pixel::new(0, 0, 0, 255);
    for (i, px) in buffer.make_mut_slice().iter_mut().enumerate() {
        let (x, y) = ((i % side) / SCALE, (i / side) / SCALE);
        let dark = x >= QUIET
            && y >= QUIET
            && x < QUIET + modules
            && y < QUIET + modules
            && colors[(y - QUIET) * modules + (x - QUIET)] == Color::Dark;
        *px = if dark { black } else { white };
    }
    Some(Image::from_rgba8(buffer))
}
