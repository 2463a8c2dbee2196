//! A PNG picture of a decoded receipt, as a 203 dpi printer would lay it out:
//! one pixel per dot, font A cells of 12×24 dots, QR codes module for module.
//!
//! Text is drawn with the 8×8 bitmap font of the `font8x8` crate (ASCII and
//! Latin-1, so `¥` shows). Chinese characters are drawn from the CJK outline
//! font the screens use (WenQuanYi Micro Hei, `ui/fonts/`), embedded: its
//! bytes are read-only pages of the program file, mapped as glyphs are
//! looked up, never a heap copy (reading the 5 MB file into memory and
//! keeping it cost every kiosk that kept previews 5 MiB for good). A
//! character the font lacks is drawn as an outlined box of its true width;
//! the text is still checked through [`decode`](crate::decode).
//!
//! Integer arithmetic, except the one function that rasterises an outline.

use crate::decode::{Decoded, Item, Line, Qr};
use crate::encode::char_columns;
use crate::profile::PrinterProfile;
use font8x8::legacy::{BASIC_LEGACY, LATIN_LEGACY};
use image::{ExtendedColorType, ImageEncoder, codecs::png::PngEncoder};
use kiosk_domain::ports::printer::Align;
use std::sync::OnceLock;

/// The screens' CJK font (its licence: `ui/fonts/wqy-microhei.COPYRIGHT`).
static CJK_FONT: &[u8] = include_bytes!("../../../ui/fonts/wqy-microhei.ttc");

/// The embedded CJK font, its tables located once per process.
fn cjk_font() -> Option<&'static ab_glyph::FontRef<'static>> {
    static FONT: OnceLock<Option<ab_glyph::FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| ab_glyph::FontRef::try_from_slice_and_index(CJK_FONT, 0).ok())
        .as_ref()
}

/// Width and height of a font A cell, in dots.
const CELL_W: u32 = 12;
const CELL_H: u32 = 24;
/// Default line spacing (`ESC 2`): 30 dots for a 24-dot font.
const LINE_GAP: u32 = 6;
const MARGIN: u32 = 16;
const INK: u8 = 0;
const PAPER: u8 = 255;

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("QR payload cannot be drawn: {0}")]
    Qr(String),
    #[error("PNG: {0}")]
    Png(#[from] image::ImageError),
}

/// A grey-scale picture: `width × height` bytes, 0 is ink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Picture {
    fn new(width: u32) -> Self {
        Self {
            width,
            height: 0,
            pixels: Vec::new(),
        }
    }

    fn grow_to(&mut self, height: u32) {
        if height > self.height {
            self.height = height;
            self.pixels
                .resize(to_usize(self.width) * to_usize(height), PAPER);
        }
    }

    fn dot(&mut self, x: u32, y: u32) {
        if x < self.width {
            self.grow_to(y + 1);
            let i = to_usize(y) * to_usize(self.width) + to_usize(x);
            if let Some(p) = self.pixels.get_mut(i) {
                *p = INK;
            }
        }
    }

    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.dot(xx, yy);
            }
        }
    }

    /// The ink at (x, y), for tests.
    #[must_use]
    pub fn is_ink(&self, x: u32, y: u32) -> bool {
        let i = to_usize(y) * to_usize(self.width) + to_usize(x);
        self.pixels.get(i) == Some(&INK)
    }
}

fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Lays `decoded` out on `profile`'s paper (plus a margin on each side).
///
/// # Errors
/// A QR payload that cannot be made into a QR code.
pub fn render(decoded: &Decoded, profile: &PrinterProfile) -> Result<Picture, PreviewError> {
    let mut pic = Picture::new(profile.dots + 2 * MARGIN);
    let mut y = MARGIN;
    for item in &decoded.items {
        match item {
            Item::Line(line) => y = draw_line(&mut pic, line, profile, y),
            Item::Qr(qr) => y = draw_qr(&mut pic, qr, profile, y)?,
            Item::Feed(n) => y += u32::from(*n) * (CELL_H + LINE_GAP),
            Item::Cut => {
                // A dashed line where the paper is cut.
                y += 8;
                let mut x = 0;
                while x < pic.width {
                    pic.fill(x, y, 8, 2);
                    x += 16;
                }
                y += 2 + 8;
            }
            Item::StatusQuery(_) => {}
        }
        pic.grow_to(y);
    }
    pic.grow_to(y + MARGIN);
    Ok(pic)
}

/// [`render`], encoded as PNG.
///
/// # Errors
/// As [`render`], or the PNG encoder fails.
pub fn render_png(decoded: &Decoded, profile: &PrinterProfile) -> Result<Vec<u8>, PreviewError> {
    let pic = render(decoded, profile)?;
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(
        &pic.pixels,
        pic.width,
        pic.height,
        ExtendedColorType::L8,
    )?;
    Ok(png)
}

fn draw_line(pic: &mut Picture, line: &Line, profile: &PrinterProfile, y: u32) -> u32 {
    let w = u32::from(line.width);
    let h = u32::from(line.height);
    let text_w: u32 = line
        .text
        .chars()
        .map(|c| u32::try_from(char_columns(c)).unwrap_or(2) * CELL_W * w)
        .sum();
    let free = profile.dots.saturating_sub(text_w);
    let mut x = MARGIN
        + match line.align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
    for c in line.text.chars() {
        let columns = u32::try_from(char_columns(c)).unwrap_or(2);
        let cell_w = columns * CELL_W * w;
        if x + cell_w > MARGIN + profile.dots {
            break;
        }
        if columns == 2 {
            let drawn = cjk_font().is_some_and(|font| {
                draw_outline(pic, font, c, x, y, cell_w, CELL_H * h, line.bold)
            });
            if !drawn {
                draw_box(pic, x, y, cell_w, CELL_H * h, line.bold);
            }
        } else {
            draw_glyph(pic, c, x, y, w, h, line.bold);
        }
        x += cell_w;
    }
    y + CELL_H * h + LINE_GAP
}

/// An 8×8 glyph in a 12×24 cell: 1 dot wide and 2 dots tall per font pixel,
/// times the size multipliers; bold doubles each stroke one dot to the right.
fn draw_glyph(pic: &mut Picture, c: char, x: u32, y: u32, w: u32, h: u32, bold: bool) {
    let code = u32::from(c);
    let glyph = match code {
        0x20..=0x7e => BASIC_LEGACY.get(to_usize(code)),
        0xa0..=0xff => LATIN_LEGACY.get(to_usize(code - 0xa0)),
        _ => BASIC_LEGACY.get(usize::from(b'?')),
    };
    let Some(glyph) = glyph else { return };
    let (x0, y0) = (x + 2 * w, y + 4 * h);
    for (row, bits) in (0u32..).zip(glyph.iter()) {
        for col in 0..8u32 {
            if bits & (1 << col) != 0 {
                let px = x0 + col * w;
                let py = y0 + row * 2 * h;
                pic.fill(px, py, w + u32::from(bold), 2 * h);
            }
        }
    }
}

/// A character of an outline font in a `w × h` cell, dots where the
/// outline covers at least half a dot; `false` if the font lacks it.
#[allow(
    clippy::float_arithmetic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::too_many_arguments,
    reason = "outline fonts are rasterised in floating point; every result is a whole dot in the cell"
)]
fn draw_outline(
    pic: &mut Picture,
    font: &ab_glyph::FontRef<'static>,
    c: char,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    bold: bool,
) -> bool {
    use ab_glyph::{Font, PxScale, ScaleFont, point};
    let id = font.glyph_id(c);
    if id.0 == 0 {
        return false;
    }
    // A little smaller than the cell, as printer fonts leave a margin; a
    // double-height or double-width cell stretches the glyph, as printers do.
    let scale = PxScale {
        x: w as f32 * 0.9,
        y: h as f32 * 0.9,
    };
    let scaled = font.as_scaled(scale);
    let left = x as f32 + w as f32 * 0.05;
    let baseline = y as f32
        + h as f32 * 0.05
        + scaled.ascent() * scale.y / (scaled.ascent() - scaled.descent());
    let Some(outline) =
        font.outline_glyph(id.with_scale_and_position(scale, point(left, baseline)))
    else {
        return false;
    };
    let bounds = outline.px_bounds();
    let (ox, oy) = (bounds.min.x.max(0.0) as u32, bounds.min.y.max(0.0) as u32);
    let thick = 1 + u32::from(bold);
    outline.draw(|gx, gy, coverage| {
        if coverage >= 0.5 {
            pic.fill(ox + gx, oy + gy, thick, 1);
        }
    });
    true
}

/// The placeholder for a Chinese character: an outlined square.
fn draw_box(pic: &mut Picture, x: u32, y: u32, w: u32, h: u32, bold: bool) {
    let t = 1 + u32::from(bold);
    let (x0, y0, bw, bh) = (x + 2, y + 2, w.saturating_sub(4), h.saturating_sub(4));
    pic.fill(x0, y0, bw, t);
    pic.fill(x0, y0 + bh.saturating_sub(t), bw, t);
    pic.fill(x0, y0, t, bh);
    pic.fill(x0 + bw.saturating_sub(t), y0, t, bh);
}

fn draw_qr(
    pic: &mut Picture,
    qr: &Qr,
    profile: &PrinterProfile,
    y: u32,
) -> Result<u32, PreviewError> {
    let level = match qr.level {
        'L' => qrcode::EcLevel::L,
        'M' => qrcode::EcLevel::M,
        'Q' => qrcode::EcLevel::Q,
        _ => qrcode::EcLevel::H,
    };
    let code = qrcode::QrCode::with_error_correction_level(qr.payload.as_bytes(), level)
        .map_err(|e| PreviewError::Qr(e.to_string()))?;
    let modules = u32::try_from(code.width()).map_err(|e| PreviewError::Qr(e.to_string()))?;
    let m = u32::from(qr.module);
    let size = modules * m;
    let x0 = MARGIN + profile.dots.saturating_sub(size) / 2;
    let y0 = y + 4 * m;
    for (i, color) in (0u32..).zip(code.to_colors()) {
        if color == qrcode::Color::Dark {
            pic.fill(x0 + (i % modules) * m, y0 + (i / modules) * m, m, m);
        }
    }
    Ok(y0 + size + 4 * m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    #[test]
    fn draws_text_boxes_and_a_real_qr() {
        let bytes = b"\x1b@\x1c&\x1ba\x01ABC\xca\xfd\n\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x04\x1d(k\x03\x001E1\x1d(k\x07\x001P0abcd\x1d(k\x03\x001Q0\x1bd\x02\x1dVA\x00";
        let decoded = decode(bytes).unwrap();
        let profile = PrinterProfile::mm58();
        let pic = render(&decoded, &profile).unwrap();
        assert_eq!(pic.width, 384 + 2 * MARGIN);
        assert_eq!(pic.pixels.len(), to_usize(pic.width * pic.height));
        // The QR's top-left finder pattern is solid in its corner module.
        let code = qrcode::QrCode::with_error_correction_level("abcd", qrcode::EcLevel::M).unwrap();
        let size = u32::try_from(code.width()).unwrap() * 4;
        let qr_x = MARGIN + (384 - size) / 2;
        let qr_y = MARGIN + CELL_H + LINE_GAP + 16;
        assert!(pic.is_ink(qr_x, qr_y));
        assert!(pic.is_ink(qr_x + 3, qr_y + 3));
        assert!(!pic.is_ink(qr_x - 1, qr_y));
        let png = render_png(&decoded, &profile).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn chinese_is_drawn_as_glyphs_from_the_embedded_font() {
        assert!(cjk_font().is_some(), "the embedded font parses");
        // "数" alone on a line, left-aligned: its cell is 24x24 dots at the margin.
        let decoded = decode(b"\x1b@\x1c&\xca\xfd\n").unwrap();
        let pic = render(&decoded, &PrinterProfile::mm58()).unwrap();
        let ink: Vec<(u32, u32)> = (MARGIN..MARGIN + 24)
            .flat_map(|x| (MARGIN..MARGIN + 24).map(move |y| (x, y)))
            .filter(|&(x, y)| pic.is_ink(x, y))
            .collect();
        // A glyph, not a box: inked dots in its middle, not only on its edges,
        // and far fewer than a filled cell.
        assert!(ink.len() > 40, "{} dots", ink.len());
        assert!(ink.len() < 24 * 24 / 2, "{} dots", ink.len());
        assert!(
            ink.iter()
                .any(|&(x, y)| (MARGIN + 8..MARGIN + 16).contains(&x)
                    && (MARGIN + 8..MARGIN + 16).contains(&y))
        );
    }
}
