//! Frames from a real camera through `nokhwa` (V4L2 on Linux).
//!
//! nokhwa is built without its `decoding` feature (which would compile
//! mozjpeg with a C compiler): frames are turned into RGB here, MJPEG with
//! the `image` crate's decoder, YUYV / NV12 / grey / raw RGB and BGR with
//! integer maths.

use crate::error::CameraError;
use crate::pixels::clamp_u8;
use kiosk_domain::ports::camera::{CameraInfo, Frame, FrameSource};
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use nokhwa::{Camera, NokhwaError};

/// The cameras the system offers, with the formats each can deliver.
/// Empty when there is none (or the camera stack cannot be queried): the
/// caller shows "no camera", it is not an error.
#[must_use]
pub fn list_cameras() -> Vec<CameraInfo> {
    let infos = match nokhwa::query(ApiBackend::Auto) {
        Ok(infos) => infos,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list cameras");
            return Vec::new();
        }
    };
    infos
        .into_iter()
        .filter_map(|info| {
            let index = info.index().as_index().ok()?;
            let formats = formats_of(index).unwrap_or_default();
            Some(CameraInfo {
                index,
                name: info.human_name(),
                formats,
            })
        })
        .collect()
}

/// The formats camera `index` offers, e.g. `"MJPEG 1920x1080@30"`.
fn formats_of(index: u32) -> Result<Vec<String>, NokhwaError> {
    let mut camera = Camera::new(
        CameraIndex::Index(index),
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::None),
    )?;
    let mut formats: Vec<String> = camera
        .compatible_camera_formats()?
        .into_iter()
        .map(|f| {
            format!(
                "{} {}x{}@{}",
                f.format(),
                f.resolution().width(),
                f.resolution().height(),
                f.frame_rate()
            )
        })
        .collect();
    formats.sort();
    formats.dedup();
    Ok(formats)
}

/// An open camera, streaming.
pub struct NokhwaSource {
    index: u32,
    camera: Camera,
}

impl std::fmt::Debug for NokhwaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NokhwaSource")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl NokhwaSource {
    /// Opens camera `index` (`/dev/video<index>`) at the format closest to
    /// `width x height` MJPEG at 30 frames a second, and starts streaming.
    ///
    /// No camera there gives [`CameraError::Absent`]; a camera held by
    /// another program gives [`CameraError::Busy`].
    pub fn open(index: u32, (width, height): (u32, u32)) -> Result<Self, CameraError> {
        let wanted = CameraFormat::new(Resolution::new(width, height), FrameFormat::MJPEG, 30);
        let request = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
        let mut camera =
            Camera::new(CameraIndex::Index(index), request).map_err(|e| classify(index, &e))?;
        camera.open_stream().map_err(|e| classify(index, &e))?;
        tracing::info!(index, format = %camera.camera_format(), "camera opened");
        Ok(Self { index, camera })
    }

    /// The format the camera actually delivers.
    #[must_use]
    pub fn format(&self) -> String {
        self.camera.camera_format().to_string()
    }
}

impl Drop for NokhwaSource {
    fn drop(&mut self) {
        if let Err(e) = self.camera.stop_stream() {
            tracing::debug!(index = self.index, error = %e, "stopping the camera stream");
        }
    }
}

impl FrameSource for NokhwaSource {
    type Error = CameraError;

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let buffer = self.camera.frame().map_err(|e| classify(self.index, &e))?;
        let res = buffer.resolution();
        to_rgb(
            buffer.source_frame_format(),
            res.width(),
            res.height(),
            buffer.buffer(),
        )
    }
}

/// Sorts nokhwa's stringly errors into what the kiosk acts on.
fn classify(index: u32, e: &NokhwaError) -> CameraError {
    let detail = e.to_string();
    let lower = detail.to_lowercase();
    if lower.contains("no such file or directory")
        || lower.contains("no such device")
        || lower.contains("not found")
    {
        CameraError::Absent { index, detail }
    } else if lower.contains("busy") {
        CameraError::Busy { index, detail }
    } else {
        CameraError::Device { index, detail }
    }
}

/// Turns a raw camera buffer into an RGB frame.
pub fn to_rgb(
    format: FrameFormat,
    width: u32,
    height: u32,
    raw: &[u8],
) -> Result<Frame, CameraError> {
    let n = width as usize * height as usize;
    let bad = |detail: String| CameraError::Decode {
        format: format.to_string(),
        detail,
    };
    let need = |bytes: usize| {
        if raw.len() < bytes {
            Err(bad(format!(
                "{} bytes, {bytes} needed for {width}x{height}",
                raw.len()
            )))
        } else {
            Ok(())
        }
    };
    let pixels = match format {
        FrameFormat::MJPEG => {
            let img = image::load_from_memory_with_format(raw, image::ImageFormat::Jpeg)
                .map_err(|e| bad(e.to_string()))?
                .into_rgb8();
            return Frame::new(img.width(), img.height(), img.into_raw())
                .map_err(|e| bad(e.to_string()));
        }
        FrameFormat::RAWRGB => {
            need(n * 3)?;
            raw[..n * 3].to_vec()
        }
        FrameFormat::RAWBGR => {
            need(n * 3)?;
            raw[..n * 3]
                .chunks_exact(3)
                .flat_map(|p| [p[2], p[1], p[0]])
                .collect()
        }
        FrameFormat::GRAY => {
            need(n)?;
            raw[..n].iter().flat_map(|&v| [v, v, v]).collect()
        }
        FrameFormat::YUYV => {
            need(n * 2)?;
            let mut out = Vec::with_capacity(n * 3);
            for q in raw[..n * 2].chunks_exact(4) {
                out.extend(yuv_to_rgb(q[0], q[1], q[3]));
                out.extend(yuv_to_rgb(q[2], q[1], q[3]));
            }
            out
        }
        FrameFormat::NV12 => {
            let (w, h) = (width as usize, height as usize);
            need(n + 2 * w.div_ceil(2) * h.div_ceil(2))?;
            let (ys, uv) = raw.split_at(n);
            let stride = 2 * w.div_ceil(2);
            let mut out = Vec::with_capacity(n * 3);
            for y in 0..h {
                for x in 0..w {
                    let c = (y / 2) * stride + (x / 2) * 2;
                    out.extend(yuv_to_rgb(ys[y * w + x], uv[c], uv[c + 1]));
                }
            }
            out
        }
    };
    Frame::new(width, height, pixels).map_err(|e| bad(e.to_string()))
}

/// BT.601 limited-range YCbCr to RGB, 8-bit fixed point.
fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = (i64::from(y) - 16).max(0) * 298;
    let d = i64::from(u) - 128;
    let e = i64::from(v) - 128;
    [
        clamp_u8((c + 409 * e + 128) >> 8),
        clamp_u8((c - 100 * d - 208 * e + 128) >> 8),
        clamp_u8((c + 516 * d + 128) >> 8),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::ports::{DeviceError, DeviceErrorKind};

    #[test]
    fn raw_formats_become_rgb() {
        let f = to_rgb(FrameFormat::RAWBGR, 1, 1, &[1, 2, 3]).unwrap();
        assert_eq!(f.pixels, vec![3, 2, 1]);
        let f = to_rgb(FrameFormat::GRAY, 2, 1, &[9, 200]).unwrap();
        assert_eq!(f.pixels, vec![9, 9, 9, 200, 200, 200]);
        // YUYV: white and black.
        let f = to_rgb(FrameFormat::YUYV, 2, 1, &[235, 128, 16, 128]).unwrap();
        assert_eq!(f.pixels, vec![255, 255, 255, 0, 0, 0]);
        let f = to_rgb(FrameFormat::NV12, 2, 2, &[235, 235, 16, 16, 128, 128]).unwrap();
        assert_eq!(&f.pixels[..3], &[255, 255, 255]);
        assert_eq!(&f.pixels[9..], &[0, 0, 0]);
    }

    #[test]
    fn short_and_corrupt_buffers_are_decode_errors() {
        let e = to_rgb(FrameFormat::YUYV, 4, 4, &[0; 8]).unwrap_err();
        assert!(matches!(e, CameraError::Decode { .. }), "{e}");
        assert_eq!(e.kind(), DeviceErrorKind::Other);
        let e = to_rgb(FrameFormat::MJPEG, 4, 4, b"not a jpeg").unwrap_err();
        assert!(matches!(e, CameraError::Decode { .. }), "{e}");
    }

    #[test]
    fn errors_are_classified() {
        let e = classify(
            0,
            &NokhwaError::OpenDeviceError(
                "0".into(),
                "No such file or directory (os error 2)".into(),
            ),
        );
        assert_eq!(e.kind(), DeviceErrorKind::Absent);
        let e = classify(
            1,
            &NokhwaError::OpenStreamError("Device or resource busy".into()),
        );
        assert_eq!(e.kind(), DeviceErrorKind::Busy);
        let e = classify(1, &NokhwaError::ReadFrameError("timeout".into()));
        assert_eq!(e.kind(), DeviceErrorKind::Other);
    }
}
