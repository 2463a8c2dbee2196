//! Document capture for attachments (business licence, stamped form, ID
//! cards): find the page in the frame, straighten it, and compress it to a
//! JPEG of at most [`MAX_ATTACHMENT_BYTES`] whose small text stays legible.
//!
//! - **Finding the page.** The page is a light quadrilateral on the darker
//!   capture stand. On a copy shrunk to about 512 px: Otsu's threshold on the
//!   luminance, the largest 4-connected light component, and its four
//!   extreme points (smallest and largest x+y, x-y) as corners.
//! - **Straightening.** A homography from an upright rectangle (the size of
//!   the page's longer edges) onto those corners, sampled bilinearly.
//! - **Compression.** The highest JPEG quality that fits (binary search over
//!   quality 40..=92); only when even quality 40 does not fit, the page is
//!   scaled down in steps of 1/8 and searched again.
//! - **Legibility.** The result is decoded, scaled back to the straightened
//!   page's size and compared with it: the mean SSIM of the luminance over
//!   the 8x8 windows that hold text or lines (windows whose variance in the
//!   original is at least [`TEXT_WINDOW_MIN_VARIANCE`]; blank paper, where
//!   JPEG trivially scores well, does not count) must be at least
//!   [`MIN_TEXT_SSIM_MILLI`] / 1000.

use crate::geometry::{Homography, Point, Quad, rect_quad, warp};
use crate::pixels::{resize, rgb_to_luma, shrink_frame};
use kiosk_domain::order::attachment::{
    Attachment, AttachmentError, AttachmentKind, MAX_ATTACHMENT_BYTES,
};
use kiosk_domain::ports::camera::Frame;

/// The legibility bar: mean text-window SSIM x 1000.
///
/// 0.90 on text windows (not the whole page): in our generated pages, JPEG
/// quality 40 or more at the page's own resolution scores 0.95 and above,
/// while the damage that makes 7-pixel glyphs hard to read (scaling the page
/// to half size and back, or JPEG quality 10) scores below 0.85. 0.90 sits
/// between the two, with room for camera noise.
pub const MIN_TEXT_SSIM_MILLI: u32 = 900;

/// A window counts as text when its luminance variance in the uncompressed
/// page is at least this (sensor noise on blank paper is well below; a
/// dark stroke across a window is far above).
pub const TEXT_WINDOW_MIN_VARIANCE: u64 = 200;

const QUALITY_MIN: u8 = 40;
const QUALITY_MAX: u8 = 92;

/// How a document is captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentOptions {
    /// Size limit of the JPEG.
    pub max_bytes: usize,
    /// Legibility bar, SSIM x 1000 (see [`MIN_TEXT_SSIM_MILLI`]).
    pub min_ssim_milli: u32,
    /// The straightened page's longer side is at most this (A4 at 300 dpi).
    pub max_long_side: u32,
    /// The page is looked for on a copy whose longer side is this.
    pub detect_side: u32,
}

impl Default for DocumentOptions {
    fn default() -> Self {
        Self {
            max_bytes: MAX_ATTACHMENT_BYTES,
            min_ssim_milli: MIN_TEXT_SSIM_MILLI,
            max_long_side: 3508,
            detect_side: 512,
        }
    }
}

/// Why a document could not be captured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    #[error("the frame's pixel buffer does not match its size")]
    BadFrame,
    #[error("JPEG encoding failed: {0}")]
    Encode(String),
    #[error("the compressed page cannot be decoded again: {0}")]
    Decode(String),
    #[error("the page does not fit in {max_bytes} bytes even at reduced size")]
    TooLarge { max_bytes: usize },
    #[error("compressed, the text would not stay legible (SSIM {ssim_milli}/1000)")]
    Illegible { ssim_milli: u32 },
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
}

impl kiosk_domain::lang::Localized for DocumentError {
    fn message(&self, lang: kiosk_domain::lang::Lang) -> String {
        use kiosk_domain::lang::Lang;
        match (self, lang) {
            (Self::Attachment(e), _) => e.message(lang),
            (_, Lang::En) => match self {
                Self::TooLarge { .. } | Self::Illegible { .. } => {
                    "The photo is not clear enough. Please hold the document flat, in good light, and take it again.".to_owned()
                }
                _ => "The photo could not be processed. Please take it again.".to_owned(),
            },
            (Self::TooLarge { .. } | Self::Illegible { .. }, Lang::ZhCn) => {
                "照片不够清晰，请将材料放平、光线充足后重新拍摄".to_owned()
            }
            (_, Lang::ZhCn) => "照片处理失败，请重新拍摄".to_owned(),
        }
    }
}

/// A JPEG that fits, and what it cost.
#[derive(Clone, PartialEq, Eq)]
pub struct Compressed {
    pub jpeg: Vec<u8>,
    pub quality: u8,
    pub width: u32,
    pub height: u32,
    /// Text-window SSIM against the uncompressed image, x 1000.
    pub ssim_milli: u32,
}

impl std::fmt::Debug for Compressed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressed")
            .field("bytes", &self.jpeg.len())
            .field("quality", &self.quality)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("ssim_milli", &self.ssim_milli)
            .finish()
    }
}

/// A captured document, ready to be stored with the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCapture {
    pub attachment: Attachment,
    /// Where the page was found in the frame; `None` when no page stood out
    /// and the whole frame was taken.
    pub corners: Option<Quad>,
    pub quality: u8,
    pub width: u32,
    pub height: u32,
    pub ssim_milli: u32,
}

/// Finds the page, straightens it and compresses it into an attachment.
pub fn capture_document(
    frame: &Frame,
    kind: AttachmentKind,
    options: &DocumentOptions,
) -> Result<DocumentCapture, DocumentError> {
    if !frame.is_consistent() {
        return Err(DocumentError::BadFrame);
    }
    let corners = find_page(frame, options.detect_side);
    let page = match &corners {
        Some(quad) => rectify(frame, quad, options.max_long_side).ok_or(DocumentError::BadFrame)?,
        None => fit_long_side(frame, options.max_long_side),
    };
    let c = compress(&page, options)?;
    Ok(DocumentCapture {
        attachment: Attachment::new(kind, c.jpeg)?,
        corners,
        quality: c.quality,
        width: c.width,
        height: c.height,
        ssim_milli: c.ssim_milli,
    })
}

/// `frame` resized (bilinear) to `width x height`.
#[must_use]
pub fn resize_frame(frame: &Frame, width: u32, height: u32) -> Frame {
    Frame {
        width,
        height,
        pixels: resize(
            &frame.pixels,
            frame.width as usize,
            frame.height as usize,
            3,
            width as usize,
            height as usize,
        ),
    }
}

/// `frame` scaled down (never up) so that its longer side is at most
/// `max_long_side` pixels, keeping its proportions.
#[must_use]
pub fn fit_long_side(frame: &Frame, max_long_side: u32) -> Frame {
    shrink_frame(frame, max_long_side).0
}

/// The page's corners in `frame` (top-left, top-right, bottom-right,
/// bottom-left), or `None` when no light region of at least a sixth of the
/// frame stands out from a darker surround.
#[must_use]
pub fn find_page(frame: &Frame, detect_side: u32) -> Option<Quad> {
    if !frame.is_consistent() {
        return None;
    }
    let (small, num, den) = shrink_frame(frame, detect_side.max(64));
    let (w, h) = (small.width as usize, small.height as usize);
    let luma = rgb_to_luma(&small.pixels);
    let t = otsu(&luma);
    let mask: Vec<bool> = luma.iter().map(|&v| v > t).collect();
    let component = largest_component(&mask, w, h)?;
    if component.len() * 6 < w * h {
        return None;
    }
    // A "page" touching all four borders is the whole frame, not a page on a stand.
    let (mut left, mut right, mut top, mut bottom) = (false, false, false, false);
    let mut ext = [
        (i64::MAX, 0usize, 0usize),
        (i64::MIN, 0, 0),
        (i64::MIN, 0, 0),
        (i64::MIN, 0, 0),
    ];
    for &idx in &component {
        let (x, y) = (idx % w, idx / w);
        left |= x == 0;
        right |= x == w - 1;
        top |= y == 0;
        bottom |= y == h - 1;
        let (xi, yi) = (i64::try_from(x).ok()?, i64::try_from(y).ok()?);
        // top-left: min x+y; top-right: max x-y; bottom-right: max x+y; bottom-left: max y-x.
        let keys = [xi + yi, xi - yi, xi + yi, yi - xi];
        if keys[0] < ext[0].0 {
            ext[0] = (keys[0], x, y);
        }
        for k in 1..4 {
            if keys[k] > ext[k].0 {
                ext[k] = (keys[k], x, y);
            }
        }
    }
    if left && right && top && bottom {
        return None;
    }
    // Pixel (x, y) covers [x, x+1) x [y, y+1): take the outer corner of each extreme pixel.
    let offsets = [(0, 0), (1, 0), (1, 1), (0, 1)];
    let scale = |v: usize| -> Option<i32> {
        let v = u64::try_from(v).ok()? * u64::from(num) / u64::from(den);
        i32::try_from(v).ok()
    };
    let mut quad = [Point::default(); 4];
    for k in 0..4 {
        let (_, x, y) = ext[k];
        quad[k] = Point::new(scale(x + offsets[k].0)?, scale(y + offsets[k].1)?);
    }
    Some(quad)
}

/// Otsu's threshold: the grey level that best splits the histogram in two.
fn otsu(luma: &[u8]) -> u8 {
    let mut hist = [0u64; 256];
    for &v in luma {
        hist[usize::from(v)] += 1;
    }
    let total: u64 = luma.len() as u64;
    let sum_all: u64 = hist.iter().enumerate().map(|(i, &c)| i as u64 * c).sum();
    let (mut w0, mut sum0) = (0u64, 0u64);
    let (mut best, mut best_t) = (0u128, 128u8);
    for (t, &c) in hist.iter().enumerate() {
        w0 += c;
        sum0 += t as u64 * c;
        let w1 = total - w0;
        if w0 == 0 || w1 == 0 {
            continue;
        }
        // Between-class variance times (w0 * w1 * total^2), compared without division:
        // (sum0 * w1 - sum1 * w0)^2 / (w0 * w1)
        let sum1 = sum_all - sum0;
        let diff = i128::from(sum0) * i128::from(w1) - i128::from(sum1) * i128::from(w0);
        let score = u128::try_from(diff * diff).unwrap_or(0) / (u128::from(w0) * u128::from(w1));
        if score > best {
            best = score;
            best_t = u8::try_from(t).unwrap_or(u8::MAX);
        }
    }
    best_t
}

/// The pixels (as indices) of the largest 4-connected `true` region.
fn largest_component(mask: &[bool], w: usize, h: usize) -> Option<Vec<usize>> {
    let mut seen = vec![false; mask.len()];
    let mut best: Vec<usize> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        let mut comp = Vec::new();
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            comp.push(i);
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        if comp.len() > best.len() {
            best = comp;
        }
    }
    (!best.is_empty()).then_some(best)
}

/// The page inside `quad`, as an upright rectangle as large as the quad's
/// longer edges (scaled down to `max_long_side`).
#[must_use]
pub fn rectify(frame: &Frame, quad: &Quad, max_long_side: u32) -> Option<Frame> {
    let [tl, tr, br, bl] = *quad;
    let mut w = u64::from(tl.distance(tr).max(bl.distance(br)).max(1));
    let mut h = u64::from(tl.distance(bl).max(tr.distance(br)).max(1));
    let long = w.max(h);
    let max = u64::from(max_long_side.max(1));
    if long > max {
        w = (w * max / long).max(1);
        h = (h * max / long).max(1);
    }
    let (w, h) = (u32::try_from(w).ok()?, u32::try_from(h).ok()?);
    let map = Homography::map_quad(&rect_quad(w, h), quad)?;
    Some(warp(frame, &map, w, h, [255, 255, 255]))
}

/// Encodes `image` as a baseline JPEG at `quality` (1..=100), with the
/// `image` crate's encoder (4:2:0 chroma, standard Huffman tables).
pub fn encode_jpeg(image: &Frame, quality: u8) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            &image.pixels,
            image.width,
            image.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| DocumentError::Encode(e.to_string()))?;
    Ok(out)
}

/// The highest-quality JPEG of `image` that fits `options.max_bytes` and
/// keeps its text legible (see the module documentation).
pub fn compress(image: &Frame, options: &DocumentOptions) -> Result<Compressed, DocumentError> {
    if !image.is_consistent() {
        return Err(DocumentError::BadFrame);
    }
    let reference = rgb_to_luma(&image.pixels);
    let mut best_failure: Option<u32> = None;
    // Scales in eighths: 8/8, 7/8, ... 2/8.
    for eighths in (2..=8u32).rev() {
        let scaled = if eighths == 8 {
            image.clone()
        } else {
            let w = (image.width * eighths / 8).max(1);
            let h = (image.height * eighths / 8).max(1);
            Frame {
                width: w,
                height: h,
                pixels: resize(
                    &image.pixels,
                    image.width as usize,
                    image.height as usize,
                    3,
                    w as usize,
                    h as usize,
                ),
            }
        };
        let Some((quality, jpeg)) = highest_fitting_quality(&scaled, options.max_bytes)? else {
            continue;
        };
        let ssim_milli = compare_with(&jpeg, &reference, image.width, image.height)?;
        tracing::debug!(
            eighths,
            quality,
            bytes = jpeg.len(),
            ssim_milli,
            "document compressed"
        );
        if ssim_milli >= options.min_ssim_milli {
            return Ok(Compressed {
                jpeg,
                quality,
                width: scaled.width,
                height: scaled.height,
                ssim_milli,
            });
        }
        best_failure = Some(best_failure.map_or(ssim_milli, |b| b.max(ssim_milli)));
    }
    match best_failure {
        Some(ssim_milli) => Err(DocumentError::Illegible { ssim_milli }),
        None => Err(DocumentError::TooLarge {
            max_bytes: options.max_bytes,
        }),
    }
}

/// Where the search for the quality starts beside the top: the quality a
/// page of text at the kiosk's 2,500 px lands on within 1 MiB, so that for
/// most pages one round brackets the answer closely.
const QUALITY_FIRST_GUESS: u8 = 64;

/// The highest quality in `QUALITY_MIN..=QUALITY_MAX` whose JPEG fits;
/// `None` when even the lowest does not. JPEG sizes grow with quality, so
/// the answer is bracketed (the top and a first guess, then the bottom if
/// the guess is too large), then found by interpolating the size between
/// the bracket's ends and encoding at the guess and one above it, two
/// encodes at a time on two threads: usually two rounds instead of the
/// eight encodes of a binary search.
fn highest_fitting_quality(
    image: &Frame,
    max_bytes: usize,
) -> Result<Option<(u8, Vec<u8>)>, DocumentError> {
    let [top, first] = encode_two(image, QUALITY_MAX, QUALITY_FIRST_GUESS);
    let top = top?;
    if top.len() <= max_bytes {
        return Ok(Some((QUALITY_MAX, top)));
    }
    let first = first?;
    // Invariant: lo fits, hi does not.
    let (mut lo, mut lo_len, mut best, mut hi, mut hi_len);
    if first.len() <= max_bytes {
        (lo, lo_len, best) = (QUALITY_FIRST_GUESS, first.len(), first);
        (hi, hi_len) = (QUALITY_MAX, top.len());
    } else {
        let bottom = encode_jpeg(image, QUALITY_MIN)?;
        if bottom.len() > max_bytes {
            return Ok(None);
        }
        (lo, lo_len, best) = (QUALITY_MIN, bottom.len(), bottom);
        (hi, hi_len) = (QUALITY_FIRST_GUESS, first.len());
    }
    while hi - lo > 1 {
        let guess = interpolate(lo, lo_len, hi, hi_len, max_bytes);
        // The guess and one above it: if the guess fits and the next does
        // not, that is the answer.
        let above = (guess + 1).min(hi - 1);
        let probes = if above > guess {
            let [a, b] = encode_two(image, guess, above);
            vec![(guess, a?), (above, b?)]
        } else {
            vec![(guess, encode_jpeg(image, guess)?)]
        };
        for (quality, jpeg) in probes {
            if jpeg.len() <= max_bytes {
                if quality > lo {
                    (lo, lo_len, best) = (quality, jpeg.len(), jpeg);
                }
            } else if quality < hi {
                (hi, hi_len) = (quality, jpeg.len());
            }
        }
    }
    Ok(Some((lo, best)))
}

/// How finely a JPEG at `quality` keeps detail: the inverse of the IJG
/// encoder's quantisation scale (5000/q below 50, 200-2q from 50), x 10^6.
/// A JPEG's size grows about linearly with it, far more evenly than with
/// the quality itself (most of the growth is in the last twenty steps).
fn fineness(quality: u8) -> u64 {
    let q = u64::from(quality.clamp(1, 99));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    1_000_000 / scale.max(1)
}

/// Where between `lo` and `hi` (exclusive) the size is likely to reach
/// `max_bytes`, taking the size as linear in [`fineness`] between the two.
fn interpolate(lo: u8, lo_len: usize, hi: u8, hi_len: usize, max_bytes: usize) -> u8 {
    let (f_lo, f_hi) = (fineness(lo), fineness(hi));
    let want = u64::try_from(max_bytes.saturating_sub(lo_len)).unwrap_or(u64::MAX);
    let range = u64::try_from(hi_len.saturating_sub(lo_len))
        .unwrap_or(u64::MAX)
        .max(1);
    let target = f_lo.saturating_add(want.saturating_mul(f_hi.saturating_sub(f_lo)) / range);
    (lo + 1..hi)
        .take_while(|&q| fineness(q) <= target)
        .last()
        .unwrap_or(lo + 1)
}

/// Two JPEG encodes of `image` at once, on two threads.
fn encode_two(image: &Frame, a: u8, b: u8) -> [Result<Vec<u8>, DocumentError>; 2] {
    std::thread::scope(|scope| {
        let other = scope.spawn(|| encode_jpeg(image, b));
        let first = encode_jpeg(image, a);
        let second = other.join().unwrap_or_else(|_| {
            Err(DocumentError::Encode(
                "the encoder thread failed".to_owned(),
            ))
        });
        [first, second]
    })
}

/// Decodes `jpeg`, scales it to `width x height` and returns its text SSIM
/// against `reference` (luminance of that size), x 1000.
pub fn compare_with(
    jpeg: &[u8],
    reference: &[u8],
    width: u32,
    height: u32,
) -> Result<u32, DocumentError> {
    let decoded = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .map_err(|e| DocumentError::Decode(e.to_string()))?
        .into_luma8();
    let (dw, dh) = (decoded.width(), decoded.height());
    let mut luma = decoded.into_raw();
    if (dw, dh) != (width, height) {
        luma = resize(
            &luma,
            dw as usize,
            dh as usize,
            1,
            width as usize,
            height as usize,
        );
    }
    Ok(text_ssim_milli(
        reference,
        &luma,
        width as usize,
        height as usize,
    ))
}

/// Integer sums over one 8x8 window of two planes.
#[derive(Debug, Clone, Copy, Default)]
struct WindowSums {
    x: u64,
    y: u64,
    xx: u64,
    yy: u64,
    xy: u64,
}

const WINDOW: usize = 8;
const STRIDE: usize = 4;

/// Mean SSIM x 1000 of `test` against `reference` (both `w x h`
/// luminance) over the 8x8 windows (every 4 px) that hold text in the
/// reference; over all windows when none does.
#[must_use]
pub fn text_ssim_milli(reference: &[u8], test: &[u8], w: usize, h: usize) -> u32 {
    if w < WINDOW || h < WINDOW || reference.len() < w * h || test.len() < w * h {
        return 0;
    }
    let n = (WINDOW * WINDOW) as u64;
    let mut text = Vec::new();
    let mut all = Vec::new();
    for y0 in (0..=h - WINDOW).step_by(STRIDE) {
        for x0 in (0..=w - WINDOW).step_by(STRIDE) {
            let mut s = WindowSums::default();
            for y in y0..y0 + WINDOW {
                let row = y * w;
                for x in x0..x0 + WINDOW {
                    let (a, b) = (u64::from(reference[row + x]), u64::from(test[row + x]));
                    s.x += a;
                    s.y += b;
                    s.xx += a * a;
                    s.yy += b * b;
                    s.xy += a * b;
                }
            }
            // n^2 * variance = n * sum(x^2) - sum(x)^2
            let var_n2 = (n * s.xx).saturating_sub(s.x * s.x);
            if var_n2 >= TEXT_WINDOW_MIN_VARIANCE * n * n {
                text.push(s);
            } else if text.is_empty() {
                all.push(s);
            }
        }
    }
    if text.is_empty() {
        mean_ssim_milli(&all)
    } else {
        mean_ssim_milli(&text)
    }
}

/// The SSIM formula (Wang et al. 2004, C1 = (0.01 L)^2, C2 = (0.03 L)^2,
/// L = 255), averaged over the windows.
#[allow(
    clippy::float_arithmetic,
    reason = "SSIM's ratio of variances; the window sums are integer"
)]
fn mean_ssim_milli(windows: &[WindowSums]) -> u32 {
    if windows.is_empty() {
        return 0;
    }
    let n = (WINDOW * WINDOW) as f64;
    let c1 = (0.01 * 255.0) * (0.01 * 255.0);
    let c2 = (0.03 * 255.0) * (0.03 * 255.0);
    let mut total = 0.0;
    for s in windows {
        #[allow(clippy::cast_precision_loss, reason = "window sums are far below 2^52")]
        let (sx, sy, sxx, syy, sxy) = (
            s.x as f64,
            s.y as f64,
            s.xx as f64,
            s.yy as f64,
            s.xy as f64,
        );
        let (mx, my) = (sx / n, sy / n);
        let vx = sxx / n - mx * mx;
        let vy = syy / n - my * my;
        let cov = sxy / n - mx * my;
        total +=
            ((2.0 * mx * my + c1) * (2.0 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
    #[allow(clippy::cast_precision_loss, reason = "window count is far below 2^52")]
    let mean = total / windows.len() as f64;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=1000"
    )]
    let milli = (mean * 1000.0).round().clamp(0.0, 1000.0) as u32;
    milli
}

/// Encodes any frame (e.g. a face capture) as the highest-quality JPEG that
/// fits the attachment limit, without looking for a page.
pub fn encode_attachment(
    frame: &Frame,
    kind: AttachmentKind,
    options: &DocumentOptions,
) -> Result<DocumentCapture, DocumentError> {
    let c = compress(&fit_long_side(frame, options.max_long_side), options)?;
    Ok(DocumentCapture {
        attachment: Attachment::new(kind, c.jpeg)?,
        corners: None,
        quality: c.quality,
        width: c.width,
        height: c.height,
        ssim_milli: c.ssim_milli,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_tell_the_customer_what_to_do_in_both_languages() {
        use kiosk_domain::lang::{Lang, Localized};
        let e = DocumentError::Illegible { ssim_milli: 800 };
        assert!(e.message(Lang::ZhCn).contains("重新拍摄"));
        assert!(e.message(Lang::En).contains("take it again"));
    }

    #[test]
    fn ssim_is_1000_for_identical_and_low_for_unrelated() {
        let a: Vec<u8> = (0..64 * 64)
            .map(|i| if (i / 3) % 2 == 0 { 20 } else { 230 })
            .collect();
        assert_eq!(text_ssim_milli(&a, &a, 64, 64), 1000);
        let b: Vec<u8> = a.iter().map(|&v| 250 - v).collect();
        assert!(text_ssim_milli(&a, &b, 64, 64) < 100);
    }

    /// The interpolating search finds what an encode at every quality
    /// would: the highest quality that fits, for limits that put the
    /// answer below, at and above the first guess.
    #[test]
    fn the_quality_found_is_the_highest_that_fits() {
        // Noisy text-like stripes, 400x300: sizes vary with quality.
        let (w, h) = (400u32, 300u32);
        let mut seed = 7u32;
        let pixels: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let ink = (i / 3) % 7 < 2 || (seed >> 16).is_multiple_of(11);
                let v = if ink { 30 } else { 235 };
                let v = v ^ u8::try_from((seed >> 20) % 16).unwrap_or(0);
                [v, v, v]
            })
            .collect();
        let image = Frame {
            width: w,
            height: h,
            pixels,
        };
        let sizes: Vec<(u8, usize)> = (QUALITY_MIN..=QUALITY_MAX)
            .map(|q| {
                (
                    q,
                    encode_jpeg(&image, q)
                        .map(|j| j.len())
                        .unwrap_or(usize::MAX),
                )
            })
            .collect();
        let at = |q: u8| sizes.iter().find(|(s, _)| *s == q).map_or(0, |(_, n)| *n);
        for limit in [
            at(QUALITY_MIN) - 1,
            at(QUALITY_MIN),
            at(50) + 1,
            at(QUALITY_FIRST_GUESS),
            at(70) - 1,
            at(85),
            at(QUALITY_MAX) - 1,
            at(QUALITY_MAX),
        ] {
            let want = sizes
                .iter()
                .filter(|(_, n)| *n <= limit)
                .map(|(q, _)| *q)
                .max();
            let found = highest_fitting_quality(&image, limit)
                .ok()
                .flatten()
                .map(|(q, jpeg)| {
                    assert!(jpeg.len() <= limit);
                    q
                });
            assert_eq!(found, want, "limit {limit}");
        }
    }

    #[test]
    fn otsu_splits_two_levels() {
        let mut v = vec![40u8; 100];
        v.extend([200u8; 100]);
        let t = otsu(&v);
        assert!((40..200).contains(&t), "{t}");
    }

    #[test]
    fn bad_frames_are_refused() {
        let f = Frame {
            width: 10,
            height: 10,
            pixels: vec![0; 5],
        };
        assert_eq!(
            compress(&f, &DocumentOptions::default()),
            Err(DocumentError::BadFrame)
        );
    }
}
