use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use std::path::PathBuf;

/// What went wrong with a camera or an image file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CameraError {
    /// There is no camera at this index (none plugged in, or unplugged).
    #[error("no camera at index {index}: {detail}")]
    Absent { index: u32, detail: String },
    /// Another program holds the camera.
    #[error("camera {index} is busy: {detail}")]
    Busy { index: u32, detail: String },
    /// The camera is there but failed (opening, streaming, reading a frame).
    #[error("camera {index} failed: {detail}")]
    Device { index: u32, detail: String },
    /// A frame arrived in a format or shape we could not turn into RGB.
    #[error("camera frame could not be decoded ({format}): {detail}")]
    Decode { format: String, detail: String },
    /// An image file could not be read or decoded.
    #[error("cannot use image file {path}: {detail}")]
    File { path: PathBuf, detail: String },
    /// A directory or list held no image files.
    #[error("no image files in {path}")]
    NoImages { path: PathBuf },
}

impl DeviceError for CameraError {
    fn kind(&self) -> DeviceErrorKind {
        match self {
            Self::Absent { .. } => DeviceErrorKind::Absent,
            Self::Busy { .. } => DeviceErrorKind::Busy,
            Self::Device { .. }
            | Self::Decode { .. }
            | Self::File { .. }
            | Self::NoImages { .. } => DeviceErrorKind::Other,
        }
    }
}
