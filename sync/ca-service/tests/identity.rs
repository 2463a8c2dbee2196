//! The identity simulator over real HTTP: a reference photo per ID number,
//! 一致 for the same picture re-encoded, 不一致 for another, nothing to
//! compare with for an unknown number; demo only.
#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::Options;
use common::*;
use image::{ImageFormat, RgbImage};
use kiosk_domain::fixtures;
use kiosk_sync_wire::identity::{IdentityAnswerV1, IdentityCheckV1, IdentityResultV1};
use kiosk_sync_wire::problem::ProblemCode;
use std::io::Cursor;

/// A picture with structure: a bright disc at (`cx`, `cy`) on a gradient.
fn picture(cx: i64, cy: i64, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(240, 240, |x, y| {
        let (dx, dy) = (i64::from(x) - cx, i64::from(y) - cy);
        let v = if dx * dx + dy * dy < 3600 {
            230
        } else {
            u8::try_from((x + y) / 4).unwrap()
        };
        image::Rgb([v, v, v])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

async fn put_reference(ca: &Running, resident_id: &str, photo: Vec<u8>) -> u16 {
    ca.http
        .put(ca.url(&format!("/v1/admin/identity/{resident_id}")))
        .header("content-type", "application/octet-stream")
        .body(photo)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn check(ca: &Running, resident_id: &str, photo: &[u8]) -> reqwest::Response {
    let check = IdentityCheckV1::new(
        &"李四".parse().unwrap(),
        &resident_id.parse().unwrap(),
        photo,
    );
    ca.post_json(
        "/v1/identity/checks",
        &serde_json::to_value(&check).unwrap(),
    )
    .await
}

async fn verdict(ca: &Running, resident_id: &str, photo: &[u8]) -> IdentityResultV1 {
    let r = check(ca, resident_id, photo).await;
    assert_eq!(r.status(), 200);
    r.json::<IdentityAnswerV1>().await.unwrap().result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_match_no_match_and_no_reference() {
    let ca = start(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let id = fixtures::RESIDENT_ID;
    assert_eq!(
        put_reference(&ca, id, picture(80, 100, ImageFormat::Png)).await,
        200
    );
    assert_eq!(
        verdict(&ca, id, &picture(80, 100, ImageFormat::Jpeg)).await,
        IdentityResultV1::Match
    );
    assert_eq!(
        verdict(&ca, id, &picture(170, 60, ImageFormat::Jpeg)).await,
        IdentityResultV1::NoMatch
    );
    assert_eq!(
        verdict(
            &ca,
            "110101199003070011",
            &picture(80, 100, ImageFormat::Jpeg)
        )
        .await,
        IdentityResultV1::NoReference
    );
    // What is not a photo, or not an ID number, is a clear 422.
    let (status, problem) = problem(check(&ca, id, b"not a photo").await).await;
    assert_eq!(
        (status, problem.field.as_deref()),
        (422, Some("photo_jpeg_hex"))
    );
    assert_eq!(put_reference(&ca, id, b"not a photo".to_vec()).await, 422);
    assert_eq!(
        put_reference(&ca, "12345", picture(1, 1, ImageFormat::Png)).await,
        422
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_demo_there_is_no_identity_service() {
    let ca = start(Options::default()).await;
    let id = fixtures::RESIDENT_ID;
    assert_eq!(
        put_reference(&ca, id, picture(80, 100, ImageFormat::Png)).await,
        404
    );
    let (status, problem) =
        problem(check(&ca, id, &picture(80, 100, ImageFormat::Jpeg)).await).await;
    assert_eq!((status, problem.code), (404, ProblemCode::NotFound));
}
