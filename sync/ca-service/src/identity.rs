//! The identity simulator's comparison: not face recognition, a stand-in
//! for the public-security service a real CA asks. It says 一致 when the
//! photo is, perceptually, the one it holds for the ID number (the same
//! picture re-encoded or rescaled), 不一致 otherwise, so the kiosk's 检验
//! shows a real answer in demonstrations and tests.

use image::imageops::FilterType;

/// The most bits two difference hashes may differ in and still be the same
/// picture (of 64): JPEG re-encoding and scaling move a few.
const SAME: u32 = 10;

/// Why a photo cannot be compared.
#[derive(Debug, thiserror::Error)]
#[error("not a readable image: {0}")]
pub struct Unreadable(#[from] image::ImageError);

/// The 64-bit difference hash of an image: its grey levels on a 9×8 grid,
/// one bit per horizontal neighbour pair (is the left one brighter).
///
/// # Errors
/// The bytes are not a PNG or JPEG image.
pub fn difference_hash(photo: &[u8]) -> Result<u64, Unreadable> {
    let grey = image::load_from_memory(photo)?.to_luma8();
    let small = image::imageops::resize(&grey, 9, 8, FilterType::Triangle);
    let mut hash = 0_u64;
    for y in 0..8 {
        for x in 0..8 {
            let left = small.get_pixel(x, y).0[0];
            let right = small.get_pixel(x + 1, y).0[0];
            hash = (hash << 1) | u64::from(left > right);
        }
    }
    Ok(hash)
}

/// Whether `photo` shows what `reference` shows.
///
/// # Errors
/// Either is not a readable image.
pub fn same_picture(photo: &[u8], reference: &[u8]) -> Result<bool, Unreadable> {
    let distance = (difference_hash(photo)? ^ difference_hash(reference)?).count_ones();
    Ok(distance <= SAME)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};
    use std::io::Cursor;

    fn encoded(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A picture with structure: bright blocks where `pattern`'s bits are
    /// set, on a gradient.
    fn picture(pattern: u16) -> RgbImage {
        RgbImage::from_fn(240, 240, |x, y| {
            let block = (y / 60) * 4 + x / 60;
            let v = if pattern >> block & 1 == 1 {
                220
            } else {
                u8::try_from((x + y) / 4).unwrap()
            };
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn the_same_picture_reencoded_and_scaled_is_the_same_and_another_is_not() {
        let reference = encoded(&picture(0b1010_0110_1001_0101), ImageFormat::Png);
        let photo = encoded(&picture(0b1010_0110_1001_0101), ImageFormat::Jpeg);
        let scaled = image::imageops::resize(
            &picture(0b1010_0110_1001_0101),
            120,
            120,
            FilterType::Triangle,
        );
        assert!(same_picture(&photo, &reference).unwrap());
        assert!(same_picture(&encoded(&scaled, ImageFormat::Jpeg), &reference).unwrap());
        let other = encoded(&picture(0b0101_1001_0110_1010), ImageFormat::Jpeg);
        assert!(!same_picture(&other, &reference).unwrap());
        assert!(same_picture(b"not an image", &reference).is_err());
    }
}
