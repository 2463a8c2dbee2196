//! The kiosk's camera: frames from a real camera through `nokhwa` (V4L2 on
//! Linux) or from image files, behind the domain's
//! [`FrameSource`](kiosk_domain::ports::camera::FrameSource); and what the
//! kiosk does with them:
//!
//! - [`document`]: find a page in the frame, straighten it and compress it to
//!   a JPEG attachment of at most 1 MiB whose text stays legible (SSIM);
//! - [`face`]: detect faces (SeetaFace through `rustface`, model built in) and
//!   tell the customer how to stand ([`FaceGuidance`](kiosk_domain::ports::camera::FaceGuidance));
//! - [`qr`]: read the QR code on a receipt.
//!
//! Image maths is integer or fixed point; the few places that need floating
//! point (the homography solve, SSIM) say so where they do it.

pub mod document;
mod error;
pub mod face;
pub mod file_source;
pub mod geometry;
pub mod nokhwa_source;
mod pixels;
pub mod qr;
pub mod sample;

pub use error::CameraError;
pub use file_source::FileSource;
pub use nokhwa_source::{NokhwaSource, list_cameras};
pub use pixels::luma;
