//! `cargo bench -p kiosk-camera`: document compression of a 12-megapixel
//! page photo and face detection speed at 640x480. Prints figures for
//! BENCHMARKS.md.
#![allow(
    clippy::unwrap_used,
    reason = "a bench: a failure should stop it loudly"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use kiosk_camera::document::{DocumentOptions, capture_document};
use kiosk_camera::face::FaceDetector;
use kiosk_domain::order::attachment::AttachmentKind;
use std::time::{Duration, Instant};
use support::*;

fn main() {
    // 1. A 4000x3000 photo of a page of small text.
    let (w, h) = (4000, 3000);
    let page = text_page(2300, 2650, 2, 11);
    let photo = photograph(&page, w, h, &skewed_quad(w, h), 6, 12);
    let options = DocumentOptions::default();
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let c = capture_document(&photo, AttachmentKind::BusinessLicence, &options).unwrap();
        best = best.min(t.elapsed());
        last = Some(c);
    }
    let c = last.unwrap();
    // Where the time goes, each part once more.
    let t = Instant::now();
    let quad = kiosk_camera::document::find_page(&photo, options.detect_side).unwrap();
    let t_find = t.elapsed();
    let t = Instant::now();
    let straight = kiosk_camera::document::rectify(&photo, &quad, options.max_long_side).unwrap();
    let t_rectify = t.elapsed();
    let t = Instant::now();
    let jpeg = kiosk_camera::document::encode_jpeg(&straight, c.quality).unwrap();
    let t_encode = t.elapsed();
    let t = Instant::now();
    let reference: Vec<u8> = straight
        .pixels
        .chunks(3)
        .map(|p| {
            let y = (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8;
            u8::try_from(y).unwrap_or(u8::MAX)
        })
        .collect();
    kiosk_camera::document::compare_with(&jpeg, &reference, straight.width, straight.height)
        .unwrap();
    let t_ssim = t.elapsed();
    let sizes: Vec<String> = [40u8, 48, 56, 60, 64, 68, 76, 84, 92]
        .iter()
        .map(|&q| {
            format!(
                "{q}:{}",
                kiosk_camera::document::encode_jpeg(&straight, q)
                    .unwrap()
                    .len()
                    / 1000
            )
        })
        .collect();
    println!("sizes kB by quality: {}", sizes.join(" "));
    println!(
        "parts: find page {} ms, straighten {} ms, one JPEG encode {} ms, decode + text SSIM {} ms",
        t_find.as_millis(),
        t_rectify.as_millis(),
        t_encode.as_millis(),
        t_ssim.as_millis()
    );
    println!(
        "document 4000x3000 -> {}x{} JPEG: {} ms (best of 3), {} bytes (limit {}), quality {}, text SSIM {}.{:03}",
        c.width,
        c.height,
        best.as_millis(),
        c.attachment.bytes().len(),
        options.max_bytes,
        c.quality,
        c.ssim_milli / 1000,
        c.ssim_milli % 1000
    );

    // 2. Face detection on 640x480 frames (the fixture pasted into a grey frame).
    let mut frame = blank(640, 480, [120, 120, 120]);
    paste(&mut frame, &crop(&astronaut(), 62, 0, 400, 400), 120, 40);
    let mut detector = FaceDetector::new().unwrap();
    let runs = 20u32;
    let t = Instant::now();
    let mut found = 0;
    for _ in 0..runs {
        found += detector.check(&frame).faces.len();
    }
    let elapsed = t.elapsed();
    let per_frame_us = elapsed.as_micros() / u128::from(runs);
    println!(
        "face check 640x480: {} us per frame, {} frames/s ({} faces in {runs} frames)",
        per_frame_us,
        1_000_000 / per_frame_us.max(1),
        found
    );
}
