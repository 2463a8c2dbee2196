//! A synthetic document, for demonstrations and tests where no camera
//! looks at a real one: a sheet of paper with lines of dark "text", the way
//! the document capture sees a licence, a form or an ID card.

use kiosk_domain::ports::camera::Frame;

/// A page of dark text lines on white paper (A4 at 150 dpi), different for
/// each `seed`.
#[must_use]
pub fn text_page(seed: u32) -> Frame {
    const W: u32 = 1240;
    const H: u32 = 1754;
    let index = |x: u32, y: u32| usize::try_from((y * W + x) * 3).unwrap_or(0);
    let mut pixels = vec![250_u8; index(0, H)];
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut y = 120;
    while y + 40 < H - 120 {
        let mut x = 100;
        while x + 30 < W - 100 {
            let glyph = 14 + next() % 16;
            if next() % 7 != 0 {
                for dy in 0..28 {
                    for dx in 0..glyph {
                        if (dx + dy + next() % 3) % 4 != 0 {
                            let i = index(x + dx, y + dy);
                            if let Some(px) = pixels.get_mut(i..i + 3) {
                                px.copy_from_slice(&[30, 30, 35]);
                            }
                        }
                    }
                }
            }
            x += glyph + 8;
        }
        y += 56;
    }
    // W x H x 3 bytes, by construction.
    Frame {
        width: W,
        height: H,
        pixels,
    }
}
