#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use kiosk_camera::qr::decode_qr;
use kiosk_domain::ports::camera::Frame;
use support::*;

/// A QR code of `payload`, `scale` px per module, with a 4-module quiet zone.
fn qr_image(payload: &str, scale: u32) -> Frame {
    let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
    let modules = u32::try_from(code.width()).unwrap();
    let colours = code.to_colors();
    let side = (modules + 8) * scale;
    let mut f = blank(side, side, [255, 255, 255]);
    for (i, c) in colours.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let i = u32::try_from(i).unwrap();
            let (x, y) = (i % modules + 4, i / modules + 4);
            fill_rect(&mut f, x * scale, y * scale, scale, scale, [0, 0, 0]);
        }
    }
    f
}

#[test]
fn reads_the_order_follow_url_from_a_noisy_receipt_photo() {
    let url = "https://ca.example.cn/follow?o=KS0012025061100037X";
    let mut frame = blank(640, 480, [170, 160, 150]);
    // A receipt with text around the code.
    fill_rect(&mut frame, 150, 20, 340, 440, [245, 245, 240]);
    draw_text(
        &mut frame,
        170,
        40,
        1,
        "ORDER KS0012025061100037X",
        [20, 20, 20],
    );
    paste(&mut frame, &qr_image(url, 5), 200, 120);
    let noisy = photograph(
        &frame,
        640,
        480,
        &kiosk_camera::geometry::rect_quad(640, 480),
        12,
        3,
    );
    assert_eq!(decode_qr(&noisy), vec![url.to_owned()]);
}

#[test]
fn no_code_gives_nothing() {
    assert!(decode_qr(&text_page(320, 240, 1, 4)).is_empty());
    assert!(
        decode_qr(&Frame {
            width: 4,
            height: 4,
            pixels: vec![]
        })
        .is_empty()
    );
}
