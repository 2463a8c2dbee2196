//! Synthetic pictures for the camera tests and the bench: text pages drawn
//! with an 8x8 bitmap font, "photographed" onto a dark stand with
//! perspective, uneven light and sensor noise; and simple image edits.
#![allow(dead_code, reason = "each test file uses a part")]

use font8x8::legacy::BASIC_LEGACY;
use kiosk_camera::geometry::{Homography, Point, Quad, rect_quad, warp};
use kiosk_domain::ports::camera::Frame;

/// A tiny deterministic generator (64-bit LCG), so pictures are the same on every run.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from(self.0 >> 33).unwrap_or(0)
    }
    pub fn below(&mut self, n: u32) -> u32 {
        self.next() % n.max(1)
    }
}

pub const PAPER: [u8; 3] = [242, 240, 233];
pub const INK: [u8; 3] = [25, 25, 35];
pub const STAMP: [u8; 3] = [200, 30, 35];

pub fn blank(width: u32, height: u32, colour: [u8; 3]) -> Frame {
    let n = width as usize * height as usize;
    Frame {
        width,
        height,
        pixels: colour.iter().copied().cycle().take(n * 3).collect(),
    }
}

pub fn fill_rect(f: &mut Frame, x: u32, y: u32, w: u32, h: u32, colour: [u8; 3]) {
    for yy in y..(y + h).min(f.height) {
        for xx in x..(x + w).min(f.width) {
            let i = (yy as usize * f.width as usize + xx as usize) * 3;
            f.pixels[i..i + 3].copy_from_slice(&colour);
        }
    }
}

/// Draws `text` with the 8x8 font, each font pixel `scale` x `scale`.
pub fn draw_text(f: &mut Frame, x: u32, y: u32, scale: u32, text: &str, colour: [u8; 3]) {
    for (k, ch) in text.chars().enumerate() {
        let Some(glyph) = BASIC_LEGACY.get(u32::from(ch) as usize) else {
            continue;
        };
        let gx = x + u32::try_from(k).unwrap_or(0) * 8 * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8u32 {
                if bits >> col & 1 == 1 {
                    let row = u32::try_from(row).unwrap_or(0);
                    fill_rect(f, gx + col * scale, y + row * scale, scale, scale, colour);
                }
            }
        }
    }
}

/// A page like a business licence or a filled-in form: a title, lines of
/// small random text (glyphs 8 px wide at `scale`), table rules, and a red
/// round stamp.
pub fn text_page(width: u32, height: u32, scale: u32, seed: u64) -> Frame {
    let mut rng = Lcg(seed);
    let mut f = blank(width, height, PAPER);
    let margin = width / 12;
    draw_text(&mut f, margin, height / 20, scale * 3, "CERTIFICATE", INK);
    let line_h = 12 * scale;
    let cols = (width - 2 * margin) / (8 * scale);
    let mut y = height / 20 + 40 * scale;
    let mut line = 0;
    while y + line_h < height - height / 12 {
        if line % 9 == 8 {
            fill_rect(
                &mut f,
                margin,
                y + line_h / 2,
                width - 2 * margin,
                scale.max(1),
                INK,
            );
        } else {
            let len = cols - rng.below(cols / 3);
            let text: String = (0..len)
                .map(|_| {
                    let c = rng.below(95);
                    if c < 15 {
                        ' '
                    } else {
                        char::from(b' ' + u8::try_from(c).unwrap_or(1))
                    }
                })
                .collect();
            draw_text(&mut f, margin, y, scale, &text, INK);
        }
        y += line_h;
        line += 1;
    }
    stamp(&mut f, width * 2 / 3, height * 3 / 4, width / 8, scale);
    f
}

fn stamp(f: &mut Frame, cx: u32, cy: u32, r: u32, scale: u32) {
    let (cx, cy, r) = (i64::from(cx), i64::from(cy), i64::from(r));
    let thick = i64::from(4 * scale);
    for y in (cy - r).max(0)..(cy + r).min(i64::from(f.height)) {
        for x in (cx - r).max(0)..(cx + r).min(i64::from(f.width)) {
            let d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            if d2 <= r * r && d2 >= (r - thick) * (r - thick) {
                let i = usize::try_from((y * i64::from(f.width) + x) * 3).unwrap_or(0);
                f.pixels[i..i + 3].copy_from_slice(&STAMP);
            }
        }
    }
    let x0 = u32::try_from(cx - r / 2).unwrap_or(0);
    let y0 = u32::try_from(cy - 4 * i64::from(scale)).unwrap_or(0);
    draw_text(f, x0, y0, scale, "SEAL", STAMP);
}

/// `page` photographed: its corners land on `quad` in a `width x height`
/// photo of a dark stand, with light falling off to one side and noise of
/// about +-`noise`.
pub fn photograph(
    page: &Frame,
    width: u32,
    height: u32,
    quad: &Quad,
    noise: u32,
    seed: u64,
) -> Frame {
    let map = Homography::map_quad(quad, &rect_quad(page.width, page.height)).unwrap();
    let mut photo = warp(page, &map, width, height, [58, 52, 48]);
    let mut rng = Lcg(seed);
    let w = photo.width as usize;
    for (i, px) in photo.pixels.chunks_exact_mut(3).enumerate() {
        let x = u32::try_from(i % w).unwrap_or(0);
        let shade = i64::from(x * 24 / width);
        for c in px.iter_mut() {
            let n = i64::from(rng.below(2 * noise + 1)) - i64::from(noise);
            *c = u8::try_from((i64::from(*c) - shade + n).clamp(0, 255)).unwrap_or(0);
        }
    }
    photo
}

/// A skewed quadrilateral for a page of `pw x ph` in a `w x h` photo.
pub fn skewed_quad(w: u32, h: u32) -> Quad {
    let (w, h) = (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0));
    [
        Point::new(w * 22 / 100, h * 6 / 100),
        Point::new(w * 76 / 100, h * 9 / 100),
        Point::new(w * 80 / 100, h * 95 / 100),
        Point::new(w * 18 / 100, h * 92 / 100),
    ]
}

/// Every channel times num/den.
pub fn scale_brightness(f: &Frame, num: u32, den: u32) -> Frame {
    Frame {
        width: f.width,
        height: f.height,
        pixels: f
            .pixels
            .iter()
            .map(|&v| u8::try_from(u32::from(v) * num / den).unwrap_or(255))
            .collect(),
    }
}

/// Box blur of radius `r`, `passes` times (near-Gaussian).
pub fn blur(f: &Frame, r: usize, passes: usize) -> Frame {
    let (w, h) = (f.width as usize, f.height as usize);
    let mut cur = f.pixels.clone();
    for _ in 0..passes {
        for horizontal in [true, false] {
            let mut next = cur.clone();
            for y in 0..h {
                for x in 0..w {
                    for c in 0..3 {
                        let (mut sum, mut n) = (0u32, 0u32);
                        for k in 0..=2 * r {
                            let (xx, yy) = if horizontal {
                                ((x + k).checked_sub(r), Some(y))
                            } else {
                                (Some(x), (y + k).checked_sub(r))
                            };
                            if let (Some(xx), Some(yy)) = (xx, yy)
                                && xx < w
                                && yy < h
                            {
                                sum += u32::from(cur[(yy * w + xx) * 3 + c]);
                                n += 1;
                            }
                        }
                        next[(y * w + x) * 3 + c] = u8::try_from(sum / n.max(1)).unwrap_or(0);
                    }
                }
            }
            cur = next;
        }
    }
    Frame {
        width: f.width,
        height: f.height,
        pixels: cur,
    }
}

/// The `w x h` part of `f` at (x, y).
pub fn crop(f: &Frame, x: u32, y: u32, w: u32, h: u32) -> Frame {
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    for yy in y..y + h {
        let start = (yy as usize * f.width as usize + x as usize) * 3;
        pixels.extend_from_slice(&f.pixels[start..start + w as usize * 3]);
    }
    Frame {
        width: w,
        height: h,
        pixels,
    }
}

/// `f` pasted onto `canvas` at (x, y).
pub fn paste(canvas: &mut Frame, f: &Frame, x: u32, y: u32) {
    for yy in 0..f.height.min(canvas.height - y) {
        let src = yy as usize * f.width as usize * 3;
        let dst = ((y + yy) as usize * canvas.width as usize + x as usize) * 3;
        let n = f.width.min(canvas.width - x) as usize * 3;
        canvas.pixels[dst..dst + n].copy_from_slice(&f.pixels[src..src + n]);
    }
}

pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn astronaut() -> Frame {
    kiosk_camera::file_source::load_frame(&fixture_path("face-astronaut-512.png")).unwrap()
}
