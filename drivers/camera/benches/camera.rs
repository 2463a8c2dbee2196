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
