//! The camera, as the flows need it: a [`FrameSource`] that hands out RGB
//! frames, what the kiosk knows about a camera ([`CameraInfo`]), and the
//! words the face-capture screen says to the customer ([`FaceGuidance`]).
//!
//! No IO and no image processing here: the driver finds faces, pages and QR
//! codes; the domain only names the outcomes.

use super::DeviceError;
use crate::lang::{Lang, Localized};

/// One picture from a camera or a file: `width * height` pixels, 3 bytes
/// each (RGB, 8 bits per channel), row by row from the top left.
///
/// Its `Debug` shows the size only: a frame may hold a face or an ID card.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("pixels", &self.pixels.len())
            .finish()
    }
}

/// A frame whose pixel buffer does not match its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {width}x{height} RGB frame needs {expected} bytes, got {actual}")]
pub struct FrameSizeError {
    pub width: u32,
    pub height: u32,
    pub expected: u64,
    pub actual: u64,
}

impl Frame {
    /// A frame, checked: `pixels` must hold exactly `width * height * 3` bytes
    /// and neither side may be zero.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self, FrameSizeError> {
        let expected = u64::from(width) * u64::from(height) * 3;
        let actual = pixels.len() as u64;
        if expected == 0 || expected != actual {
            return Err(FrameSizeError {
                width,
                height,
                expected,
                actual,
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Whether the buffer matches the size (the fields are public, so a
    /// frame built by hand may not).
    #[must_use]
    pub fn is_consistent(&self) -> bool {
        let expected = u64::from(self.width) * u64::from(self.height) * 3;
        expected != 0 && expected == self.pixels.len() as u64
    }
}

/// Something that produces frames: a camera, or image files in tests and the
/// demo.
pub trait FrameSource {
    type Error: DeviceError;

    /// The next frame. A camera blocks until one is ready.
    fn next_frame(&mut self) -> Result<Frame, Self::Error>;
}

/// A camera the kiosk can open, as the technician's tools list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraInfo {
    /// The index to open it by (`/dev/video<index>` on Linux).
    pub index: u32,
    /// The name the device reports.
    pub name: String,
    /// The formats it offers, e.g. `"MJPEG 1920x1080@30"`.
    pub formats: Vec<String>,
}

/// What the face-capture screen tells the customer, judged on one frame.
///
/// The driver checks in this order: too dark, no face, more than one face,
/// off centre, too far, too close, blurred; `Good` when none applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaceGuidance {
    /// No face in the frame.
    NoFace,
    /// The face is too small: the customer should come closer.
    TooFar,
    /// The face is too large: the customer should step back.
    TooClose,
    /// The face is away from the centre. `dx` and `dy` are the offset of the
    /// face's centre from the frame's centre, in percent of the frame's width
    /// and height (positive: to the right of / below the centre, as the
    /// camera sees it; the screen may mirror it).
    OffCentre { dx: i32, dy: i32 },
    /// The picture is too dark.
    TooDark,
    /// The picture is not sharp (the customer moved, or the lens is dirty).
    Blurred,
    /// More than one face: only the applicant should be in the picture.
    MoreThanOneFace,
    /// A face that can be used.
    Good,
}

impl FaceGuidance {
    /// Whether the frame can be taken as the face capture.
    #[must_use]
    pub fn is_good(self) -> bool {
        matches!(self, Self::Good)
    }
}

impl Localized for FaceGuidance {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::NoFace => (
                "请正对摄像头，将脸部移到框内",
                "Please look at the camera and move your face into the frame.",
            ),
            Self::TooFar => ("请靠近一些", "Please come a little closer."),
            Self::TooClose => ("请稍微后退一些", "Please step back a little."),
            Self::OffCentre { .. } => ("请将脸部移到框内", "Please move your face into the frame."),
            Self::TooDark => (
                "光线太暗，请面向亮处",
                "It is too dark. Please face the light.",
            ),
            Self::Blurred => ("请保持不动", "Please hold still."),
            Self::MoreThanOneFace => (
                "请只留一人在镜头前",
                "Only one person in front of the camera, please.",
            ),
            Self::Good => ("很好，请保持不动", "Good. Please hold still."),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_checks_its_size_and_hides_pixels_in_debug() {
        let frame = Frame::new(2, 1, vec![7; 6]).unwrap();
        assert!(frame.is_consistent());
        assert_eq!(
            format!("{frame:?}"),
            "Frame { width: 2, height: 1, pixels: 6 }"
        );
        assert_eq!(
            Frame::new(2, 2, vec![0; 6]),
            Err(FrameSizeError {
                width: 2,
                height: 2,
                expected: 12,
                actual: 6
            })
        );
        assert!(Frame::new(0, 5, Vec::new()).is_err());
    }

    #[test]
    fn every_guidance_speaks_both_languages() {
        let all = [
            FaceGuidance::NoFace,
            FaceGuidance::TooFar,
            FaceGuidance::TooClose,
            FaceGuidance::OffCentre { dx: 20, dy: -5 },
            FaceGuidance::TooDark,
            FaceGuidance::Blurred,
            FaceGuidance::MoreThanOneFace,
            FaceGuidance::Good,
        ];
        for g in all {
            for lang in Lang::ALL {
                assert!(!g.message(lang).is_empty());
            }
            assert!(!g.message(Lang::ZhCn).is_ascii());
            assert_eq!(g.is_good(), g == FaceGuidance::Good);
        }
        assert_eq!(FaceGuidance::TooFar.message(Lang::ZhCn), "请靠近一些");
        assert_eq!(
            FaceGuidance::TooDark.message(Lang::ZhCn),
            "光线太暗，请面向亮处"
        );
    }
}
