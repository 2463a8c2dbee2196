//! Face detection (SeetaFace's frontal model through `rustface`, built into
//! the binary) and the guidance the face-capture screen shows.
//!
//! Frames are shrunk so their longer side is at most [`WORK_SIDE`] before
//! detection; faces are reported in the frame's own coordinates.

use crate::pixels::{mean, rgb_to_luma, shrink_frame};
use kiosk_domain::ports::camera::{FaceGuidance, Frame};
use rustface::{Detector, ImageData};

/// SeetaFace frontal face model v1.0 (BSD-2-Clause, see `model/README.md`).
static MODEL: &[u8] = include_bytes!("../model/seeta_fd_frontal_v1.0.bin");

/// Longer side of the copy faces are looked for in.
pub const WORK_SIDE: u32 = 640;
/// Smallest face looked for, in pixels of the working copy.
pub const MIN_FACE_SIZE: u32 = 40;
/// The detector's score threshold.
pub const SCORE_THRESHOLD: f64 = 2.0;
/// Mean luminance (0..=255) below which the picture, or the face in it, is too dark.
pub const DARK_MEAN_LUMA: u32 = 60;
/// Face width below this percentage of the frame's width: too far.
pub const TOO_FAR_PERCENT: u32 = 20;
/// Face width above this percentage of the frame's width: too close.
pub const TOO_CLOSE_PERCENT: u32 = 60;
/// Face centre further than this percentage of the frame's width (or
/// height) from the centre: off centre.
pub const OFF_CENTRE_PERCENT: i32 = 15;
/// Variance of the Laplacian over the face (working copy) below this: blurred.
pub const MIN_SHARPNESS: u32 = 100;
/// A second face counts only if it is at least this percentage of the
/// largest face's width (a passer-by far behind does not).
pub const OTHER_FACE_MIN_PERCENT: u32 = 60;

/// A face found in a frame, in the frame's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The detector's confidence (higher is surer; found faces score at
    /// least [`SCORE_THRESHOLD`]).
    pub score: f64,
}

/// The verdict on one frame, with the measurements behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCheck {
    pub guidance: FaceGuidance,
    /// Faces found, largest first.
    pub faces: Vec<FaceBox>,
    /// Mean luminance of the whole frame.
    pub mean_luma: u32,
    /// Variance of the Laplacian over the largest face (0 without a face).
    pub sharpness: u32,
}

/// Why the detector could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the built-in face model cannot be read: {0}")]
pub struct FaceModelError(#[from] std::io::Error);

/// A face detector with the kiosk's settings.
pub struct FaceDetector {
    detector: Box<dyn Detector>,
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDetector").finish_non_exhaustive()
    }
}

impl FaceDetector {
    /// Loads the built-in model (about 1.2 MB, parsed in a few milliseconds).
    pub fn new() -> Result<Self, FaceModelError> {
        let model = rustface::read_model(std::io::Cursor::new(MODEL))?;
        let mut detector = rustface::create_detector_with_model(model);
        detector.set_min_face_size(MIN_FACE_SIZE);
        detector.set_score_thresh(SCORE_THRESHOLD);
        detector.set_pyramid_scale_factor(0.8);
        detector.set_slide_window_step(4, 4);
        Ok(Self { detector })
    }

    /// The faces in `frame`, largest first.
    pub fn detect(&mut self, frame: &Frame) -> Vec<FaceBox> {
        self.detect_on_work_copy(frame).0
    }

    fn detect_on_work_copy(
        &mut self,
        frame: &Frame,
    ) -> (Vec<FaceBox>, Vec<u8>, u32, u32, u32, u32) {
        if !frame.is_consistent() {
            return (Vec::new(), Vec::new(), 0, 0, 1, 1);
        }
        let (small, num, den) = shrink_frame(frame, WORK_SIDE);
        let luma = rgb_to_luma(&small.pixels);
        if small.width < MIN_FACE_SIZE || small.height < MIN_FACE_SIZE {
            return (Vec::new(), luma, small.width, small.height, num, den);
        }
        let found = self
            .detector
            .detect(&ImageData::new(&luma, small.width, small.height));
        let up = |v: i64| -> u32 {
            let v = v.max(0) * i64::from(num) / i64::from(den);
            u32::try_from(v).unwrap_or(u32::MAX)
        };
        let mut faces: Vec<FaceBox> = found
            .iter()
            .map(|f| {
                let b = f.bbox();
                FaceBox {
                    x: up(i64::from(b.x())),
                    y: up(i64::from(b.y())),
                    width: up(i64::from(b.width())),
                    height: up(i64::from(b.height())),
                    score: f.score(),
                }
            })
            .collect();
        faces.sort_by_key(|f| std::cmp::Reverse(f.width));
        (faces, luma, small.width, small.height, num, den)
    }

    /// What the customer should do, judged on this frame. Checked in this
    /// order: too dark, no face, more than one face, off centre (first get
    /// into the frame), too far, too close, face too dark, blurred; otherwise good.
    pub fn check(&mut self, frame: &Frame) -> FaceCheck {
        let (faces, luma, ww, wh, num, den) = self.detect_on_work_copy(frame);
        let mean_luma = mean(&luma);
        let mut out = FaceCheck {
            guidance: FaceGuidance::NoFace,
            faces,
            mean_luma,
            sharpness: 0,
        };
        if mean_luma < DARK_MEAN_LUMA {
            out.guidance = FaceGuidance::TooDark;
            return out;
        }
        let Some(&face) = out.faces.first() else {
            return out;
        };
        // The face in working-copy pixels, for luminance and sharpness.
        let down =
            |v: u32| u32::try_from(u64::from(v) * u64::from(den) / u64::from(num)).unwrap_or(0);
        let (fx, fy, fw, fh) = (
            down(face.x),
            down(face.y),
            down(face.width),
            down(face.height),
        );
        out.sharpness = laplacian_variance(&luma, ww, wh, (fx, fy, fw, fh));
        let face_luma = region_mean(&luma, ww, wh, (fx, fy, fw, fh));
        let others = out
            .faces
            .iter()
            .skip(1)
            .filter(|f| f.width * 100 >= face.width * OTHER_FACE_MIN_PERCENT)
            .count();
        let width_percent = face.width * 100 / frame.width.max(1);
        let centre = |start: u32, len: u32, total: u32| -> i32 {
            let c = i64::from(start) * 2 + i64::from(len) - i64::from(total);
            i32::try_from(c * 50 / i64::from(total.max(1))).unwrap_or(0)
        };
        let dx = centre(face.x, face.width, frame.width);
        let dy = centre(face.y, face.height, frame.height);
        out.guidance = if others > 0 {
            FaceGuidance::MoreThanOneFace
        } else if dx.abs() > OFF_CENTRE_PERCENT || dy.abs() > OFF_CENTRE_PERCENT {
            FaceGuidance::OffCentre { dx, dy }
        } else if width_percent < TOO_FAR_PERCENT {
            FaceGuidance::TooFar
        } else if width_percent > TOO_CLOSE_PERCENT {
            FaceGuidance::TooClose
        } else if face_luma < DARK_MEAN_LUMA {
            FaceGuidance::TooDark
        } else if out.sharpness < MIN_SHARPNESS {
            FaceGuidance::Blurred
        } else {
            FaceGuidance::Good
        };
        out
    }

    /// The sharpest frame whose guidance is [`FaceGuidance::Good`], with its
    /// check; `None` when no frame is good.
    pub fn best_frame(&mut self, frames: &[Frame]) -> Option<(usize, FaceCheck)> {
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| (i, self.check(f)))
            .filter(|(_, c)| c.guidance.is_good())
            .max_by_key(|(_, c)| c.sharpness)
    }
}

fn clip(
    luma_w: u32,
    luma_h: u32,
    (x, y, w, h): (u32, u32, u32, u32),
) -> (usize, usize, usize, usize) {
    let x1 = x.saturating_add(w).min(luma_w) as usize;
    let y1 = y.saturating_add(h).min(luma_h) as usize;
    ((x as usize).min(x1), (y as usize).min(y1), x1, y1)
}

fn region_mean(luma: &[u8], w: u32, h: u32, rect: (u32, u32, u32, u32)) -> u32 {
    let (x0, y0, x1, y1) = clip(w, h, rect);
    let (mut sum, mut n) = (0u64, 0u64);
    for y in y0..y1 {
        for &v in &luma[y * w as usize + x0..y * w as usize + x1] {
            sum += u64::from(v);
            n += 1;
        }
    }
    u32::try_from(sum / n.max(1)).unwrap_or(0)
}

/// Variance of the 4-neighbour Laplacian inside `rect` (a standard focus
/// measure: sharp edges give large second derivatives).
#[must_use]
pub fn laplacian_variance(luma: &[u8], w: u32, h: u32, rect: (u32, u32, u32, u32)) -> u32 {
    let (x0, y0, x1, y1) = clip(w, h, rect);
    let stride = w as usize;
    let (mut sum, mut sum_sq, mut n) = (0i64, 0u64, 0u64);
    for y in y0.max(1)..y1.min(h as usize - 1) {
        for x in x0.max(1)..x1.min(stride - 1) {
            let i = y * stride + x;
            let lap = 4 * i64::from(luma[i])
                - i64::from(luma[i - 1])
                - i64::from(luma[i + 1])
                - i64::from(luma[i - stride])
                - i64::from(luma[i + stride]);
            sum += lap;
            sum_sq += lap.unsigned_abs() * lap.unsigned_abs();
            n += 1;
        }
    }
    if n == 0 {
        return 0;
    }
    let m = sum / i64::try_from(n).unwrap_or(1);
    let var = (sum_sq / n).saturating_sub(m.unsigned_abs() * m.unsigned_abs());
    u32::try_from(var).unwrap_or(u32::MAX)
}
