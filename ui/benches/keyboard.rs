//! The on-screen keyboard's pinyin composer: time per keystroke to compute
//! the candidates (every letter of ten unit names, typed by initials and in
//! full pinyin, letter by letter), against the engine's own whole-input
//! composition (`top_k_compositions`) on the same inputs as the anchor; and
//! the memory (PSS) the engine and its dictionary add once a name is typed.
//!
//! `cargo bench -p kiosk-ui --bench keyboard`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::float_arithmetic,
    reason = "a bench"
)]

#[path = "typist.rs"]
mod typist;

use kiosk_ui::keyboard::pinyin::Composer;
use std::hint::black_box;
use std::time::{Duration, Instant};
use typist::{NAMES, Way, type_name};

fn pss_kib() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").expect("smaps_rollup");
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("Pss line")
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// The letters a customer types for each name, both ways, as one input
/// each (the composer's limit is 30 letters: longer ones are cut).
fn inputs() -> Vec<String> {
    let mut out = Vec::new();
    for words in NAMES {
        let syllables: Vec<&str> = words.iter().flat_map(|(_, s)| s.split(' ')).collect();
        out.push(syllables.iter().filter_map(|s| s.chars().next()).collect());
        for (_, s) in words {
            out.push(s.split(' ').collect());
        }
    }
    out
}

fn main() {
    let before = pss_kib();
    // The first name typed: the engine and its dictionary come up.
    let started = Instant::now();
    let (taps, _) = type_name(NAMES[0], Way::Initials);
    let first = started.elapsed();
    let after = pss_kib();

    let inputs = inputs();
    let mut ours = Vec::new();
    let mut anchor = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let engine = inputx_pinyin::PinyinEngine::new();
    for round in 0..20 {
        for input in &inputs {
            let mut composer = Composer::default();
            for (n, letter) in input.bytes().map(char::from).enumerate() {
                let start = Instant::now();
                composer.push(letter);
                black_box(composer.candidates());
                let took = start.elapsed();
                let start = Instant::now();
                black_box(engine.dict().top_k_compositions(&input[..=n], 4));
                let base = start.elapsed();
                if round > 0 {
                    ours.push(took);
                    anchor.push(base);
                    slowest.push((took, input[..=n].to_owned()));
                }
            }
        }
    }
    ours.sort();
    anchor.sort();
    slowest.sort();
    slowest.dedup_by(|a, b| a.1 == b.1);
    let worst: Vec<String> = slowest
        .iter()
        .rev()
        .take(5)
        .map(|(t, input)| format!("{input} {t:?}"))
        .collect();
    println!(
        "kiosk-ui keyboard bench: {} keystrokes x 19 rounds",
        ours.len() / 19
    );
    println!(
        "composer per keystroke: p50 {:?}, p99 {:?}, max {:?}",
        percentile(&ours, 50),
        percentile(&ours, 99),
        ours.last().unwrap()
    );
    println!(
        "anchor (engine top_k_compositions, same inputs): p50 {:?}, p99 {:?}, max {:?}",
        percentile(&anchor, 50),
        percentile(&anchor, 99),
        anchor.last().unwrap()
    );
    println!("slowest inputs: {}", worst.join(", "));
    println!(
        "first name typed ({taps} taps): {first:?}; PSS {before} KiB -> {after} KiB (+{:.1} MiB)",
        (after.saturating_sub(before)) as f64 / 1024.0
    );
}
