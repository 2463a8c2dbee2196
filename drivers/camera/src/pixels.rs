//! Small integer pixel helpers shared by the modules.

use kiosk_domain::ports::camera::Frame;

/// A value clamped into a byte.
pub(crate) fn clamp_u8(v: i64) -> u8 {
    u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX)
}

/// The luminance of each pixel (BT.601 weights in 8-bit fixed point), row by row.
#[must_use]
pub fn luma(frame: &Frame) -> Vec<u8> {
    rgb_to_luma(&frame.pixels)
}

pub(crate) fn rgb_to_luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            let y = 77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]) + 128;
            u8::try_from(y >> 8).unwrap_or(u8::MAX)
        })
        .collect()
}

/// The mean of a byte plane (0 when empty).
pub(crate) fn mean(plane: &[u8]) -> u32 {
    let sum: u64 = plane.iter().map(|&v| u64::from(v)).sum();
    let n = plane.len().max(1) as u64;
    u32::try_from(sum / n).unwrap_or(u32::MAX)
}

/// Bilinear resize of an interleaved plane with `ch` channels, in 16.16
/// fixed point (8-bit weights). Shrinking by more than 2 first averages
/// boxes of pixels, so small detail is not aliased away.
pub(crate) fn resize(src: &[u8], w: usize, h: usize, ch: usize, nw: usize, nh: usize) -> Vec<u8> {
    if nw == 0 || nh == 0 || w == 0 || h == 0 {
        return Vec::new();
    }
    let factor = (w / nw).min(h / nh);
    if factor >= 2 {
        let (boxed, bw, bh) = box_shrink(src, w, h, ch, factor);
        return resize(&boxed, bw, bh, ch, nw, nh);
    }
    let map = |i: usize, n: usize, len: usize| -> (usize, usize, u32) {
        // Centre of output pixel i in source coordinates, 16.16.
        let s = (((2 * i + 1) * len) << 16) / (2 * n);
        let s = s.saturating_sub(1 << 15);
        let i0 = (s >> 16).min(len - 1);
        let i1 = (i0 + 1).min(len - 1);
        let f = u32::try_from((s >> 8) & 0xFF).unwrap_or(0);
        (i0, i1, f)
    };
    let xs: Vec<_> = (0..nw).map(|x| map(x, nw, w)).collect();
    let mut out = vec![0u8; nw * nh * ch];
    for y in 0..nh {
        let (y0, y1, fy) = map(y, nh, h);
        let row0 = &src[y0 * w * ch..(y0 + 1) * w * ch];
        let row1 = &src[y1 * w * ch..(y1 + 1) * w * ch];
        let dst = &mut out[y * nw * ch..(y + 1) * nw * ch];
        for (x, &(x0, x1, fx)) in xs.iter().enumerate() {
            for c in 0..ch {
                let p00 = u32::from(row0[x0 * ch + c]);
                let p01 = u32::from(row0[x1 * ch + c]);
                let p10 = u32::from(row1[x0 * ch + c]);
                let p11 = u32::from(row1[x1 * ch + c]);
                let top = p00 * (256 - fx) + p01 * fx;
                let bottom = p10 * (256 - fx) + p11 * fx;
                let v = (top * (256 - fy) + bottom * fy + (1 << 15)) >> 16;
                dst[x * ch + c] = u8::try_from(v).unwrap_or(u8::MAX);
            }
        }
    }
    out
}

/// Averages `k x k` boxes (the ragged right and bottom edge is dropped).
fn box_shrink(src: &[u8], w: usize, h: usize, ch: usize, k: usize) -> (Vec<u8>, usize, usize) {
    let (bw, bh) = (w / k, h / k);
    let mut out = vec![0u8; bw * bh * ch];
    let mut acc = vec![0u32; bw * ch];
    let area = u32::try_from(k * k).unwrap_or(u32::MAX);
    for by in 0..bh {
        acc.iter_mut().for_each(|a| *a = 0);
        for y in by * k..(by + 1) * k {
            let row = &src[y * w * ch..(y + 1) * w * ch];
            for bx in 0..bw {
                for dx in 0..k {
                    let p = (bx * k + dx) * ch;
                    for c in 0..ch {
                        acc[bx * ch + c] += u32::from(row[p + c]);
                    }
                }
            }
        }
        for (o, a) in out[by * bw * ch..(by + 1) * bw * ch].iter_mut().zip(&acc) {
            *o = u8::try_from((a + area / 2) / area).unwrap_or(u8::MAX);
        }
    }
    (out, bw, bh)
}

/// A frame scaled so that its longer side is at most `max_side`, with the
/// scale as (numerator, denominator): original = scaled * num / den.
pub(crate) fn shrink_frame(frame: &Frame, max_side: u32) -> (Frame, u32, u32) {
    let long = frame.width.max(frame.height);
    if long <= max_side || max_side == 0 {
        return (frame.clone(), 1, 1);
    }
    let nw = (u64::from(frame.width) * u64::from(max_side) / u64::from(long)).max(1);
    let nh = (u64::from(frame.height) * u64::from(max_side) / u64::from(long)).max(1);
    let (nw, nh) = (
        u32::try_from(nw).unwrap_or(1),
        u32::try_from(nh).unwrap_or(1),
    );
    let pixels = resize(
        &frame.pixels,
        frame.width as usize,
        frame.height as usize,
        3,
        nw as usize,
        nh as usize,
    );
    (
        Frame {
            width: nw,
            height: nh,
            pixels,
        },
        long,
        max_side,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_of_primaries() {
        assert_eq!(
            rgb_to_luma(&[255, 255, 255, 0, 0, 0, 255, 0, 0]),
            vec![255, 0, 77]
        );
    }

    #[test]
    fn resize_keeps_flat_and_shrinks_boxes() {
        let src = vec![100u8; 40 * 30 * 3];
        let out = resize(&src, 40, 30, 3, 13, 7);
        assert_eq!(out.len(), 13 * 7 * 3);
        assert!(out.iter().all(|&v| v == 100));
        let checker: Vec<u8> = (0..16)
            .map(|i| if (i % 4 + i / 4) % 2 == 0 { 0 } else { 200 })
            .collect();
        assert_eq!(resize(&checker, 4, 4, 1, 2, 2), vec![100; 4]);
        let up = resize(&[0, 200], 2, 1, 1, 4, 1);
        assert_eq!(up.first(), Some(&0));
        assert_eq!(up.last(), Some(&200));
    }
}
