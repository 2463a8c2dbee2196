//! Taps per Hanzi to type ten real unit names on the keyboard's composer,
//! counted tap by tap (the typist is `benches/typist.rs`): on a fresh
//! kiosk, and on one that has had these names typed three times before
//! (its picks learned, as in service). The figures are in BENCHMARKS.md;
//! this test keeps them from getting worse.
#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::float_arithmetic,
    reason = "a test"
)]

#[path = "../benches/typist.rs"]
mod typist;

use typist::{NAMES, Way, name, type_name};

/// Taps per Hanzi over the ten names, typed `way`.
fn round(way: Way) -> f64 {
    let (mut taps, mut hanzi) = (0, 0);
    for words in NAMES {
        let want = name(words);
        let (t, typed) = type_name(words, way);
        assert_eq!(typed, want, "{way:?}");
        taps += t;
        hanzi += want.chars().count();
    }
    taps as f64 / hanzi as f64
}

#[test]
fn ten_unit_names_cost_few_taps_per_hanzi_and_fewer_once_learned() {
    // Full pinyin first: it teaches the engine the same words the initials
    // round will pick, so initials are measured after it (as on a kiosk
    // where customers type both ways).
    let full = round(Way::FullPinyin);
    let fresh = round(Way::Initials);
    round(Way::Initials);
    let learned = round(Way::Initials);
    println!(
        "taps per Hanzi: full pinyin {full:.2}, initials {fresh:.2}, initials once learned {learned:.2}"
    );
    assert!(learned < fresh, "learning saves taps");
    assert!(learned <= 1.5, "aim: at most 1.5 taps per Hanzi");
}
