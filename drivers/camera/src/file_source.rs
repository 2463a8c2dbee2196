//! Frames from image files (PNG or JPEG), for tests and the demo: one image,
//! a list, or every image in a directory (sorted by name), played in a loop.

use crate::error::CameraError;
use kiosk_domain::ports::camera::{Frame, FrameSource};
use std::path::{Path, PathBuf};

/// Plays image files as camera frames, looping. Files are decoded when their
/// frame is asked for, so a bad file is reported with its path then.
#[derive(Debug, Clone)]
pub struct FileSource {
    paths: Vec<PathBuf>,
    next: usize,
}

impl FileSource {
    /// One image file, or a directory of them (`.png`, `.jpg`, `.jpeg`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CameraError> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| CameraError::File {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Self::from_paths(vec![path.to_owned()]);
        }
        let entries = std::fs::read_dir(path).map_err(|e| CameraError::File {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_image_name(p))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(CameraError::NoImages {
                path: path.to_owned(),
            });
        }
        Self::from_paths(paths)
    }

    /// These files, in this order.
    pub fn from_paths(paths: Vec<PathBuf>) -> Result<Self, CameraError> {
        if paths.is_empty() {
            return Err(CameraError::NoImages {
                path: PathBuf::new(),
            });
        }
        Ok(Self { paths, next: 0 })
    }

    /// How many files the source loops over.
    #[must_use]
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Never true: a source has at least one file.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

fn is_image_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

/// Reads one PNG or JPEG file (the type judged by content) into a frame.
pub fn load_frame(path: &Path) -> Result<Frame, CameraError> {
    let err = |detail: String| CameraError::File {
        path: path.to_owned(),
        detail,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    decode_frame(&bytes).map_err(err)
}

/// Decodes PNG or JPEG bytes into a frame.
pub fn decode_frame(bytes: &[u8]) -> Result<Frame, String> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| format!("not a readable PNG or JPEG image: {e}"))?
        .into_rgb8();
    Frame::new(img.width(), img.height(), img.into_raw()).map_err(|e| e.to_string())
}

impl FrameSource for FileSource {
    type Error = CameraError;

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let i = self.next % self.paths.len().max(1);
        self.next = (i + 1) % self.paths.len().max(1);
        let path = self.paths.get(i).ok_or(CameraError::NoImages {
            path: PathBuf::new(),
        })?;
        load_frame(path)
    }
}
