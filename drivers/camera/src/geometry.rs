//! Points, quadrilaterals and the perspective (homography) warp.
//!
//! The 3x3 homography is solved once in floating point (an 8x8 linear
//! system: there is no reasonable integer way to do it), then turned into
//! 32.32 fixed point; the per-pixel warp is integer only.

use kiosk_domain::ports::camera::Frame;

/// A point in pixel coordinates (the image's top-left corner is (0, 0), its
/// bottom-right corner is (width, height)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

impl Point {
    #[must_use]
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }

    /// Euclidean distance, rounded down.
    #[must_use]
    pub fn distance(self, other: Point) -> u32 {
        let dx = i64::from(self.x) - i64::from(other.x);
        let dy = i64::from(self.y) - i64::from(other.y);
        let sq = u64::try_from(dx * dx + dy * dy).unwrap_or(0);
        u32::try_from(sq.isqrt()).unwrap_or(u32::MAX)
    }
}

/// A quadrilateral: top-left, top-right, bottom-right, bottom-left.
pub type Quad = [Point; 4];

/// The corners of a `width x height` rectangle at the origin, as a [`Quad`].
#[must_use]
pub fn rect_quad(width: u32, height: u32) -> Quad {
    let (w, h) = (
        i32::try_from(width).unwrap_or(i32::MAX),
        i32::try_from(height).unwrap_or(i32::MAX),
    );
    [
        Point::new(0, 0),
        Point::new(w, 0),
        Point::new(w, h),
        Point::new(0, h),
    ]
}

/// A projective map of the plane, in 32.32 fixed point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Homography {
    /// Row-major 3x3 matrix, each entry times 2^32.
    m: [i64; 9],
}

impl Homography {
    /// The map that sends each corner of `from` to the same corner of `to`;
    /// `None` when either quadrilateral is degenerate.
    #[must_use]
    pub fn map_quad(from: &Quad, to: &Quad) -> Option<Self> {
        let h = solve_homography(from, to)?;
        let mut m = [0i64; 9];
        for (dst, v) in m.iter_mut().zip(h) {
            *dst = to_fixed(v)?;
        }
        Some(Self { m })
    }

    /// Where the centre of pixel (x, y) maps to, in 1/256 pixel units,
    /// relative to pixel centres (so (0, 0) is the centre of pixel (0, 0)).
    fn map_centre(&self, x: i64, y: i64) -> Option<(i64, i64)> {
        let [a, b, c, d, e, f, g, h, i] = self.m;
        // Evaluate at (x + 1/2, y + 1/2) with everything doubled.
        let (u, v) = (2 * x + 1, 2 * y + 1);
        let w = g * u + h * v + 2 * i;
        if w <= 0 {
            return None;
        }
        let sx = ((a * u + b * v + 2 * c) << 8) / w - 128;
        let sy = ((d * u + e * v + 2 * f) << 8) / w - 128;
        Some((sx, sy))
    }

    /// Maps a point (for tests and diagnostics), rounded to whole pixels.
    #[must_use]
    pub fn map_point(&self, p: Point) -> Option<Point> {
        let [a, b, c, d, e, f, g, h, i] = self.m;
        let (x, y) = (i64::from(p.x), i64::from(p.y));
        let w = g * x + h * y + i;
        if w == 0 {
            return None;
        }
        let sx = (a * x + b * y + c + w / 2) / w;
        let sy = (d * x + e * y + f + w / 2) / w;
        Some(Point::new(i32::try_from(sx).ok()?, i32::try_from(sy).ok()?))
    }
}

fn to_fixed(v: f64) -> Option<i64> {
    #[allow(
        clippy::float_arithmetic,
        reason = "scaling the solved matrix into fixed point"
    )]
    let scaled = (v * f64::from(1u32 << 16) * f64::from(1u32 << 16)).round();
    if scaled.is_finite() && scaled.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation, reason = "range checked above")]
        Some(scaled as i64)
    } else {
        None
    }
}

/// Solves for H (with h33 = 1) such that H * from[k] ~ to[k], by Gaussian
/// elimination with partial pivoting; normalised so that the largest of
/// h31, h32, h33 stays representable.
#[allow(
    clippy::float_arithmetic,
    reason = "an 8x8 linear solve, once per capture; the warp itself is fixed point"
)]
fn solve_homography(from: &Quad, to: &Quad) -> Option<[f64; 9]> {
    let mut a = [[0f64; 9]; 8];
    for k in 0..4 {
        let (x, y) = (f64::from(from[k].x), f64::from(from[k].y));
        let (u, v) = (f64::from(to[k].x), f64::from(to[k].y));
        a[2 * k] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * k + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))?;
        if a[pivot][col].abs() < 1e-9 {
            return None;
        }
        a.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let pivot_row = a[col];
                let factor = a[row][col] / pivot_row[col];
                for (v, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                    *v -= factor * p;
                }
            }
        }
    }
    let mut h = [1f64; 9];
    for (i, row) in a.iter().enumerate() {
        h[i] = row[8] / row[i];
    }
    h.iter().all(|v| v.is_finite()).then_some(h)
}

/// Renders a `width x height` frame whose pixel (x, y) is `src` sampled
/// (bilinear) where `map` sends (x, y); outside `src` it is `background`.
#[must_use]
pub fn warp(src: &Frame, map: &Homography, width: u32, height: u32, background: [u8; 3]) -> Frame {
    // The two halves of the rows on two threads (the kiosk has two cores).
    let half = i64::from(height) / 2;
    let pixels = std::thread::scope(|scope| {
        let lower = scope.spawn(|| warp_rows(src, map, width, half..i64::from(height), background));
        let mut pixels = warp_rows(src, map, width, 0..half, background);
        match lower.join() {
            Ok(rest) => pixels.extend(rest),
            // Not expected: do the lower half here instead.
            Err(_) => pixels.extend(warp_rows(
                src,
                map,
                width,
                half..i64::from(height),
                background,
            )),
        }
        pixels
    });
    Frame {
        width,
        height,
        pixels,
    }
}

/// Rows `rows` of the warped image (bilinear sampling of `src`).
fn warp_rows(
    src: &Frame,
    map: &Homography,
    width: u32,
    rows: std::ops::Range<i64>,
    background: [u8; 3],
) -> Vec<u8> {
    let (sw, sh) = (i64::from(src.width), i64::from(src.height));
    let stride = src.width as usize * 3;
    let count = usize::try_from(rows.end - rows.start).unwrap_or(0);
    let mut pixels = Vec::with_capacity(width as usize * count * 3);
    for y in rows {
        for x in 0..i64::from(width) {
            let Some((sx, sy)) = map.map_centre(x, y) else {
                pixels.extend(background);
                continue;
            };
            let (x0, y0) = (sx >> 8, sy >> 8);
            if sx < -128 || sy < -128 || x0 >= sw || y0 >= sh {
                pixels.extend(background);
                continue;
            }
            let (fx, fy) = (sx & 0xFF, sy & 0xFF);
            let cx0 = usize::try_from(x0.clamp(0, sw - 1)).unwrap_or(0);
            let cy0 = usize::try_from(y0.clamp(0, sh - 1)).unwrap_or(0);
            let cx1 = usize::try_from((x0 + 1).clamp(0, sw - 1)).unwrap_or(0);
            let cy1 = usize::try_from((y0 + 1).clamp(0, sh - 1)).unwrap_or(0);
            for c in 0..3 {
                let p = |xx: usize, yy: usize| i64::from(src.pixels[yy * stride + xx * 3 + c]);
                let top = p(cx0, cy0) * (256 - fx) + p(cx1, cy0) * fx;
                let bottom = p(cx0, cy1) * (256 - fx) + p(cx1, cy1) * fx;
                let v = (top * (256 - fy) + bottom * fy + (1 << 15)) >> 16;
                pixels.push(u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX));
            }
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_corners_onto_corners() {
        let from = rect_quad(400, 300);
        let to = [
            Point::new(120, 80),
            Point::new(900, 140),
            Point::new(860, 700),
            Point::new(60, 650),
        ];
        let h = Homography::map_quad(&from, &to).unwrap();
        for k in 0..4 {
            let p = h.map_point(from[k]).unwrap();
            assert!(p.distance(to[k]) <= 1, "{p:?} vs {:?}", to[k]);
        }
        assert!(Homography::map_quad(&from, &[Point::new(5, 5); 4]).is_none());
    }

    #[test]
    fn identity_warp_copies() {
        let src = Frame::new(3, 2, (0..18).collect()).unwrap();
        let h = Homography::map_quad(&rect_quad(3, 2), &rect_quad(3, 2)).unwrap();
        assert_eq!(warp(&src, &h, 3, 2, [0; 3]), src);
    }
}
