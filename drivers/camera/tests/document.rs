#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use kiosk_camera::document::{
    DocumentOptions, MIN_TEXT_SSIM_MILLI, capture_document, compare_with, encode_jpeg, find_page,
    rectify, text_ssim_milli,
};
use kiosk_camera::geometry::Point;
use kiosk_camera::luma;
use kiosk_domain::order::attachment::{AttachmentKind, MAX_ATTACHMENT_BYTES, MediaType};
use kiosk_domain::ports::camera::Frame;
use std::time::Instant;
use support::*;

fn assert_near(found: &[Point; 4], wanted: &[Point; 4], tolerance: u32) {
    for k in 0..4 {
        assert!(
            found[k].distance(wanted[k]) <= tolerance,
            "corner {k}: found {:?}, wanted {:?}",
            found[k],
            wanted[k]
        );
    }
}

#[test]
fn finds_and_straightens_a_skewed_page() {
    let page = text_page(560, 760, 1, 1);
    let quad = skewed_quad(1000, 800);
    let photo = photograph(&page, 1000, 800, &quad, 6, 2);
    let found = find_page(&photo, 512).unwrap();
    assert_near(&found, &quad, 8);

    // Straightened, the page matches the original closely (its text included).
    let straight = rectify(&photo, &found, 4000).unwrap();
    let original = kiosk_camera::document::resize_frame(&page, straight.width, straight.height);
    let ssim = text_ssim_milli(
        &luma(&original),
        &luma(&straight),
        straight.width as usize,
        straight.height as usize,
    );
    println!(
        "straightened {}x{}, SSIM {ssim}",
        straight.width, straight.height
    );
    assert!(ssim >= 500, "{ssim}");
}

#[test]
fn small_capture_becomes_a_jpeg_attachment() {
    let page = text_page(560, 760, 1, 3);
    let quad = skewed_quad(1000, 800);
    let photo = photograph(&page, 1000, 800, &quad, 6, 4);
    let c = capture_document(
        &photo,
        AttachmentKind::BusinessLicence,
        &DocumentOptions::default(),
    )
    .unwrap();
    assert!(c.corners.is_some());
    assert_eq!(c.attachment.kind(), AttachmentKind::BusinessLicence);
    assert_eq!(
        MediaType::sniff(c.attachment.bytes()),
        Some(MediaType::Jpeg)
    );
    assert!(c.attachment.bytes().len() <= MAX_ATTACHMENT_BYTES);
    // Small enough to fit at the highest quality tried.
    assert_eq!(c.quality, 92, "{c:?}");
    assert!(c.ssim_milli >= MIN_TEXT_SSIM_MILLI, "{c:?}");
    // A limit of 60 kB forces a lower quality, still legible or refused.
    let tight = DocumentOptions {
        max_bytes: 60_000,
        ..DocumentOptions::default()
    };
    match capture_document(&photo, AttachmentKind::BusinessLicence, &tight) {
        Ok(c) => {
            println!("60 kB: {c:?}");
            assert!(c.attachment.bytes().len() <= 60_000);
            assert!(c.ssim_milli >= MIN_TEXT_SSIM_MILLI);
        }
        Err(e) => println!("60 kB: refused: {e}"),
    }
}

#[test]
fn frame_without_a_stand_is_taken_whole() {
    let page = text_page(600, 800, 1, 5);
    assert!(find_page(&page, 512).is_none());
    let c = capture_document(
        &page,
        AttachmentKind::ApplicationForm,
        &DocumentOptions::default(),
    )
    .unwrap();
    assert!(c.corners.is_none());
    assert_eq!((c.width, c.height), (600, 800));
}

/// The criterion tells readable from unreadable: JPEG at quality 40 keeps
/// small text above the bar; quality 5, or half resolution, does not.
#[test]
fn legibility_criterion_separates_good_from_damaged() {
    let page = text_page(700, 900, 1, 9);
    let reference = luma(&page);
    let at = |q: u8| compare_with(&encode_jpeg(&page, q).unwrap(), &reference, 700, 900).unwrap();
    let (q40, q75, q5) = (at(40), at(75), at(5));
    let half = kiosk_camera::document::resize_frame(&page, 350, 450);
    let half = compare_with(&encode_jpeg(&half, 92).unwrap(), &reference, 700, 900).unwrap();
    println!("SSIM q75 {q75}, q40 {q40}, q5 {q5}, half size {half}");
    assert!(q75 >= MIN_TEXT_SSIM_MILLI && q40 >= MIN_TEXT_SSIM_MILLI);
    assert!(q5 < MIN_TEXT_SSIM_MILLI && half < MIN_TEXT_SSIM_MILLI);
}

/// A 12-megapixel photo of a page of small text ends at most 1 MiB and
/// legible.
#[test]
fn twelve_megapixel_photo_fits_one_mebibyte_and_stays_legible() {
    let (w, h) = (4000, 3000);
    let t = Instant::now();
    let page = text_page(2300, 2650, 2, 11);
    let quad = skewed_quad(w, h);
    let photo: Frame = photograph(&page, w, h, &quad, 6, 12);
    println!("generated in {:?}", t.elapsed());
    let t = Instant::now();
    let c = capture_document(
        &photo,
        AttachmentKind::BusinessLicence,
        &DocumentOptions::default(),
    )
    .unwrap();
    println!("captured in {:?}: {c:?}", t.elapsed());
    assert_near(&c.corners.unwrap(), &quad, 20);
    assert!(c.attachment.bytes().len() <= MAX_ATTACHMENT_BYTES);
    assert_eq!(
        MediaType::sniff(c.attachment.bytes()),
        Some(MediaType::Jpeg)
    );
    assert!(c.ssim_milli >= MIN_TEXT_SSIM_MILLI, "{c:?}");
}

/// Colours come back from the JPEG at every quality the search may pick.
#[test]
fn jpeg_colours_survive() {
    let page = blank(64, 48, PAPER);
    for q in [40u8, 60, 75, 89, 90, 92] {
        let jpeg = encode_jpeg(&page, q).unwrap();
        let back = kiosk_camera::file_source::decode_frame(&jpeg).unwrap();
        for (a, b) in back.pixels.iter().zip(&page.pixels) {
            assert!(a.abs_diff(*b) <= 4, "quality {q}: {a} vs {b}");
        }
    }
}
