//! Reading the QR code on a receipt (the order-follow URL), with `rqrr` on
//! the frame's luminance.

use crate::pixels::rgb_to_luma;
use kiosk_domain::ports::camera::Frame;

/// The payloads of every QR code that decodes in `frame`, in the order found.
/// Codes that are found but do not decode (partly hidden, blurred) are left out.
#[must_use]
pub fn decode_qr(frame: &Frame) -> Vec<String> {
    if !frame.is_consistent() {
        return Vec::new();
    }
    let luma = rgb_to_luma(&frame.pixels);
    let w = frame.width as usize;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, frame.height as usize, |x, y| {
        luma[y * w + x]
    });
    img.detect_grids()
        .into_iter()
        .filter_map(|grid| match grid.decode() {
            Ok((_, text)) => Some(text),
            Err(e) => {
                tracing::debug!(error = %e, "a QR code was found but did not decode");
                None
            }
        })
        .collect()
}
