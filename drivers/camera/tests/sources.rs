#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use kiosk_camera::{CameraError, FileSource, NokhwaSource, list_cameras};
use kiosk_domain::ports::camera::FrameSource;
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use support::*;

#[test]
fn one_image_loops() {
    let mut s = FileSource::open(fixture_path("face-astronaut-512.png")).unwrap();
    assert_eq!(s.len(), 1);
    for _ in 0..3 {
        let f = s.next_frame().unwrap();
        assert_eq!((f.width, f.height), (512, 512));
        assert!(f.is_consistent());
    }
}

#[test]
fn a_directory_plays_its_images_in_name_order_and_bad_files_say_which() {
    let dir = tempfile::tempdir().unwrap();
    let png = std::fs::read(fixture_path("face-astronaut-512.png")).unwrap();
    std::fs::write(dir.path().join("b.png"), &png).unwrap();
    let small = blank(8, 6, [1, 2, 3]);
    let jpeg = kiosk_camera::document::encode_jpeg(&small, 90).unwrap();
    std::fs::write(dir.path().join("a.JPG"), &jpeg).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    std::fs::write(dir.path().join("c.png"), "garbage").unwrap();

    let mut s = FileSource::open(dir.path()).unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s.next_frame().unwrap().width, 8);
    assert_eq!(s.next_frame().unwrap().width, 512);
    let e = s.next_frame().unwrap_err();
    assert!(
        matches!(&e, CameraError::File { path, .. } if path.ends_with("c.png")),
        "{e}"
    );
    assert_eq!(e.kind(), DeviceErrorKind::Other);
    assert_eq!(s.next_frame().unwrap().width, 8, "loops back to the start");
}

#[test]
fn missing_and_empty_paths_are_clear_errors() {
    let e = FileSource::open("/nonexistent/kiosk/frames").unwrap_err();
    assert!(matches!(e, CameraError::File { .. }), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let e = FileSource::open(dir.path()).unwrap_err();
    assert!(matches!(e, CameraError::NoImages { .. }), "{e}");
}

/// On a machine without a camera (CI), listing is empty and opening says
/// "absent"; with cameras, each is listed with an index.
#[test]
fn cameras_are_listed_and_a_missing_one_is_absent() {
    let cameras = list_cameras();
    println!("{cameras:?}");
    if cameras.is_empty() {
        let e = NokhwaSource::open(0, (1280, 720)).unwrap_err();
        assert_eq!(e.kind(), DeviceErrorKind::Absent, "{e}");
    }
    let unused = cameras.iter().map(|c| c.index).max().map_or(0, |i| i + 1) + 40;
    let e = NokhwaSource::open(unused, (640, 480)).unwrap_err();
    assert_eq!(e.kind(), DeviceErrorKind::Absent, "{e}");
}
