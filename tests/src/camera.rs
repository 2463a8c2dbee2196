//! What the kiosk's camera is shown in tests: a printed page of text (a
//! licence, a form, an ID card as the document capture sees them; the
//! camera crate's sample) and a face, put where a `files:DIR` camera reads
//! them.
#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed unwrap is a failed test, with its location"
)]

use kiosk_domain::ports::camera::Frame;
use std::path::Path;

pub use kiosk_camera::sample::text_page;

/// The face fixture (`drivers/camera/tests/fixtures`), cropped so that the face sits in the middle.
pub fn face() -> Frame {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../drivers/camera/tests/fixtures/face-astronaut-512.png");
    let photo = kiosk_camera::file_source::load_frame(&path).unwrap();
    let (x0, y0, side) = (102_u32, 0_u32, 240_u32);
    let mut pixels = Vec::with_capacity(usize::try_from(side * side * 3).unwrap());
    for y in y0..y0 + side {
        let start = usize::try_from((y * photo.width + x0) * 3).unwrap();
        pixels.extend_from_slice(&photo.pixels[start..start + usize::try_from(side * 3).unwrap()]);
    }
    Frame::new(side, side, pixels).unwrap()
}

/// Puts `frame` before the camera (the only image in its directory).
pub fn show_camera(dir: &Path, frame: &Frame) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let jpeg = kiosk_camera::document::encode_jpeg(frame, 92).unwrap();
    std::fs::write(dir.join("shot.jpg"), jpeg).unwrap();
}
