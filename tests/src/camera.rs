//! What the kiosk's camera is shown in tests: a printed page of text (a
//! licence, a form, an ID card as the document capture sees them) and a
//! face, put where a `files:DIR` camera reads them.
#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed unwrap is a failed test, with its location"
)]

use kiosk_domain::ports::camera::Frame;
use std::path::Path;

/// A page of dark text lines on white paper, different for each `seed`.
pub fn text_page(seed: u32) -> Frame {
    let (w, h) = (1240_u32, 1754_u32);
    let mut pixels = vec![250_u8; usize::try_from(w * h * 3).unwrap()];
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut y = 120;
    while y + 40 < h - 120 {
        let mut x = 100;
        while x + 30 < w - 100 {
            let glyph = 14 + next() % 16;
            if next() % 7 != 0 {
                for dy in 0..28 {
                    for dx in 0..glyph {
                        if (dx + dy + next() % 3) % 4 != 0 {
                            let i = usize::try_from(((y + dy) * w + x + dx) * 3).unwrap();
                            pixels[i..i + 3].copy_from_slice(&[30, 30, 35]);
                        }
                    }
                }
            }
            x += glyph + 8;
        }
        y += 56;
    }
    Frame::new(w, h, pixels).unwrap()
}

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
