#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use kiosk_camera::face::{FaceDetector, TOO_FAR_PERCENT};
use kiosk_domain::ports::camera::{FaceGuidance, Frame};
use support::*;

/// The fixture cropped around its face so the face sits in the middle.
fn centred(photo: &Frame) -> Frame {
    crop(photo, 102, 0, 240, 240)
}

#[test]
fn finds_the_astronauts_face_where_it_is() {
    let mut d = FaceDetector::new().unwrap();
    let photo = astronaut();
    let faces = d.detect(&photo);
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = faces[0];
    assert!(f.x.abs_diff(173) <= 12 && f.y.abs_diff(68) <= 12, "{f:?}");
    assert!(f.width.abs_diff(99) <= 20, "{f:?}");
    assert!(f.score >= 2.0, "{f:?}");
    // The face is in the upper part of the portrait: the customer is told to move.
    let check = d.check(&photo);
    let FaceGuidance::OffCentre { dx, dy } = check.guidance else {
        panic!("{check:?}");
    };
    assert!(dx.abs() <= 15 && dy < -15, "{check:?}");
}

#[test]
fn centred_sharp_face_is_good_and_blurred_one_is_not() {
    let mut d = FaceDetector::new().unwrap();
    let good = centred(&astronaut());
    let check = d.check(&good);
    println!("good: {check:?}");
    assert_eq!(check.guidance, FaceGuidance::Good, "{check:?}");

    let soft = blur(&good, 2, 2);
    let check_soft = d.check(&soft);
    println!("blurred: {check_soft:?}");
    assert_eq!(check_soft.guidance, FaceGuidance::Blurred, "{check_soft:?}");
    assert!(check_soft.sharpness < check.sharpness / 4);

    // best_frame takes the sharp good frame among blurred and dark ones.
    let dark = scale_brightness(&good, 1, 5);
    let (i, best) = d.best_frame(&[soft, good.clone(), dark]).unwrap();
    assert_eq!(i, 1);
    assert!(best.guidance.is_good());
    assert!(d.best_frame(&[blur(&good, 2, 2)]).is_none());
}

#[test]
fn darkened_photo_is_too_dark() {
    let mut d = FaceDetector::new().unwrap();
    let check = d.check(&scale_brightness(&centred(&astronaut()), 1, 5));
    assert_eq!(check.guidance, FaceGuidance::TooDark, "{check:?}");
}

#[test]
fn small_face_in_a_large_frame_is_too_far() {
    let mut d = FaceDetector::new().unwrap();
    let mut canvas = blank(1024, 768, [120, 120, 120]);
    // The face's centre lands on the canvas's centre.
    paste(&mut canvas, &astronaut(), 290, 267);
    let check = d.check(&canvas);
    assert_eq!(check.faces.len(), 1, "{check:?}");
    assert!(check.faces[0].width * 100 / 1024 < TOO_FAR_PERCENT);
    assert_eq!(check.guidance, FaceGuidance::TooFar, "{check:?}");
}

#[test]
fn face_filling_the_frame_is_too_close() {
    let mut d = FaceDetector::new().unwrap();
    let close = crop(&astronaut(), 158, 53, 130, 130);
    let check = d.check(&close);
    println!("close: {check:?}");
    assert_eq!(check.guidance, FaceGuidance::TooClose, "{check:?}");
}

#[test]
fn two_people_are_more_than_one_face() {
    let mut d = FaceDetector::new().unwrap();
    let one = centred(&astronaut());
    let mut two = blank(480, 240, [0, 0, 0]);
    paste(&mut two, &one, 0, 0);
    paste(&mut two, &one, 240, 0);
    let check = d.check(&two);
    assert_eq!(check.guidance, FaceGuidance::MoreThanOneFace, "{check:?}");
}

#[test]
fn a_text_page_has_no_face() {
    let mut d = FaceDetector::new().unwrap();
    let page = text_page(480, 640, 1, 7);
    let check = d.check(&page);
    assert!(check.faces.is_empty(), "{check:?}");
    assert_eq!(check.guidance, FaceGuidance::NoFace);
}
