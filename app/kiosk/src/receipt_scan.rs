//! 查询订单 by the receipt's QR code: the camera looks until a QR code
//! that names an order number appears, or gives up after a while.
//!
//! The receipt's QR code holds the follow-up address with the order number
//! at its end (`ports::printer::receipt_for`); a bare order number is also
//! accepted (a code printed by an older kiosk).

use kiosk_config::CameraSource;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::camera::FrameSource;
use std::time::{Duration, Instant};

/// Why no order number came from the camera.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("this kiosk has no camera")]
    NoCamera,
    #[error("the camera failed: {0}")]
    Camera(String),
    #[error("no receipt QR code seen")]
    NothingSeen,
}

/// The order number in a QR payload, if it holds one.
#[must_use]
pub fn order_in(payload: &str, follow_url_base: &str) -> Option<OrderNumber> {
    let payload = payload.trim();
    let tail = payload.strip_prefix(follow_url_base).unwrap_or_else(|| {
        // Not our address form: the last path or query segment.
        payload.rsplit(['=', '/']).next().unwrap_or(payload)
    });
    tail.parse().ok()
}

/// Reads frames until one shows a receipt's QR code, for at most `limit`.
///
/// # Errors
/// The camera failed, or nothing readable was seen in time.
pub fn scan<S: FrameSource>(
    source: &mut S,
    follow_url_base: &str,
    limit: Duration,
) -> Result<OrderNumber, ScanError> {
    let start = Instant::now();
    loop {
        let frame = source
            .next_frame()
            .map_err(|e| ScanError::Camera(e.to_string()))?;
        let found = kiosk_camera::qr::decode_qr(&frame)
            .iter()
            .find_map(|payload| order_in(payload, follow_url_base));
        if let Some(number) = found {
            return Ok(number);
        }
        if start.elapsed() >= limit {
            return Err(ScanError::NothingSeen);
        }
    }
}

/// Opens the configured camera and scans (camera frames arrive at the
/// camera's pace; image files are read in a loop).
///
/// # Errors
/// No camera, it failed, or nothing was seen.
pub fn scan_with(
    source: &CameraSource,
    follow_url_base: &str,
    limit: Duration,
) -> Result<OrderNumber, ScanError> {
    match source {
        CameraSource::None => Err(ScanError::NoCamera),
        CameraSource::Files(dir) => {
            let mut files = kiosk_camera::file_source::FileSource::open(dir)
                .map_err(|e| ScanError::Camera(e.to_string()))?;
            scan(&mut files, follow_url_base, limit)
        }
        CameraSource::V4l(index) => {
            let mut camera = kiosk_camera::nokhwa_source::NokhwaSource::open(*index, (1280, 720))
                .map_err(|e| ScanError::Camera(e.to_string()))?;
            scan(&mut camera, follow_url_base, limit)
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    const BASE: &str = "https://ca.example.cn/track?order=";

    #[test]
    fn order_numbers_are_found_in_our_address_and_bare() {
        let number = fixtures::order_number(7);
        let text = number.to_string();
        assert_eq!(order_in(&format!("{BASE}{text}"), BASE), Some(number));
        assert_eq!(order_in(&text, BASE), Some(number));
        assert_eq!(
            order_in(&format!("https://other.example/o/{text}"), BASE),
            Some(number)
        );
        assert_eq!(order_in("https://pay.example/abc", BASE), None);
        // One character changed: the check character refuses it.
        let mut wrong = text.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(order_in(&wrong, BASE), None);
    }

    #[test]
    fn a_receipt_photo_is_read_and_a_blank_one_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let number = fixtures::order_number(3);
        let receipt = dir.path().join("receipt.png");
        write_qr_png(&receipt, &format!("{BASE}{number}"));
        let found = scan_with(&CameraSource::Files(receipt), BASE, Duration::from_secs(2));
        assert_eq!(found, Ok(number));

        let blank = dir.path().join("blank.png");
        let white = image::RgbImage::from_pixel(64, 64, image::Rgb([255, 255, 255]));
        white.save(&blank).unwrap();
        let none = scan_with(&CameraSource::Files(blank), BASE, Duration::from_millis(50));
        assert_eq!(none, Err(ScanError::NothingSeen));
        assert_eq!(
            scan_with(&CameraSource::None, BASE, Duration::ZERO),
            Err(ScanError::NoCamera)
        );
    }

    /// A QR code as a photo would show it: 6 px per module, quiet zone.
    fn write_qr_png(path: &std::path::Path, payload: &str) {
        let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        let (scale, quiet) = (6, 4);
        let side = u32::try_from((modules + 2 * quiet) * scale).unwrap();
        let img = image::RgbImage::from_fn(side, side, |x, y| {
            let (mx, my) = (x as usize / scale, y as usize / scale);
            let dark = mx >= quiet
                && my >= quiet
                && mx < quiet + modules
                && my < quiet + modules
                && colors[(my - quiet) * modules + (mx - quiet)] == qrcode::Color::Dark;
            if dark {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        img.save(path).unwrap();
    }
}
