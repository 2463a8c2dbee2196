//! How long a receipt takes to become ESC/POS bytes, and to become a PNG
//! preview (encode → decode → render → PNG). Median over N runs; run with
//! `cargo bench -p kiosk-printer --bench render`.
#![allow(clippy::unwrap_used, reason = "a bench")]

use kiosk_domain::fixtures;
use kiosk_domain::lang::Lang;
use kiosk_domain::ports::printer::{ReceiptContext, receipt_for};
use kiosk_printer::PrinterProfile;
use kiosk_printer::decode::decode;
use kiosk_printer::encode::encode;
use kiosk_printer::preview::render_png;
use std::hint::black_box;
use std::time::{Duration, Instant};

const RUNS: usize = 200;

fn median(mut f: impl FnMut()) -> Duration {
    f(); // warm up
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let ctx = ReceiptContext {
        kiosk_id: "TYA-01".to_owned(),
        printed_at: fixtures::step_context().now,
        hotline: "0351-0000000".to_owned(),
        follow_url_base: "https://ca.example.cn/track?order=".to_owned(),
        lang: Lang::ZhCn,
    };
    println!("kiosk-printer render bench, median of {RUNS} runs");
    for (name, order) in [
        ("renewal", fixtures::renewal_order(1)),
        ("application", fixtures::application_order(2)),
    ] {
        for profile in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
            let receipt = receipt_for(&order, &ctx);
            let bytes = encode(&receipt, &profile).unwrap();
            let png = render_png(&decode(&bytes).unwrap(), &profile).unwrap();
            let t_receipt = median(|| {
                black_box(receipt_for(black_box(&order), &ctx));
            });
            let t_encode = median(|| {
                black_box(encode(black_box(&receipt), &profile).unwrap());
            });
            let t_decode = median(|| {
                black_box(decode(black_box(&bytes)).unwrap());
            });
            let t_preview = median(|| {
                let decoded = decode(black_box(&bytes)).unwrap();
                black_box(render_png(&decoded, &profile).unwrap());
            });
            println!(
                "{name:<11} {:<4}  receipt_for {:>9.1?}  encode {:>9.1?} ({} B)  decode {:>9.1?}  preview PNG {:>9.1?} ({} B)",
                profile.name,
                t_receipt,
                t_encode,
                bytes.len(),
                t_decode,
                t_preview,
                png.len()
            );
        }
    }
}
