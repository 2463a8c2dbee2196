//! The renewal flow survives SIGKILL at any moment: a restarted kiosk resumes
//! at the last step it saved, and the whole renewal ends with one order, one
//! payment, one key pair and the new certificate installed before the old one
//! was retired.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use kiosk_store::Store;
use kiosk_tests::renewal_sim::SimWorld;
use kiosk_tests::rng::Rng;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Run {
    ranks: Vec<u32>,
    done: bool,
    killed: bool,
}

fn run_once(dir: &std::path::Path, kill_after: Option<Duration>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_renewal_runner"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut killed = false;
    if let Some(delay) = kill_after {
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            kill(
                Pid::from_raw(i32::try_from(child.id()).unwrap()),
                Signal::SIGKILL,
            )
            .unwrap();
            killed = true;
        }
    }
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    if !killed {
        assert!(status.success(), "runner failed: {stderr}\n{stdout}");
    }
    Run {
        ranks: stdout
            .lines()
            .filter_map(|l| l.strip_prefix("at "))
            .filter_map(|l| l.split(' ').next()?.parse().ok())
            .collect(),
        done: stdout.lines().any(|l| l.starts_with("done ")),
        killed,
    }
}

/// Runs one renewal to its end in `dir`, killing the runner after random
/// delays; returns the number of kills.
fn renew_under_fire(dir: &std::path::Path, rng: &mut Rng) -> u32 {
    let mut kills = 0;
    let mut last_rank = 0;
    for _ in 0..200 {
        // A whole renewal takes about 40 ms: kill anywhere inside that.
        let delay = Duration::from_micros(500 + rng.below(30_000));
        let run = run_once(dir, Some(delay));
        if let Some(first) = run.ranks.first() {
            // Resumes where the killed run had saved, never earlier.
            assert!(
                *first >= last_rank,
                "resumed at rank {first}, but rank {last_rank} was saved before the kill"
            );
        }
        last_rank = run.ranks.last().copied().unwrap_or(last_rank);
        kills += u32::from(run.killed);
        if run.done {
            return kills;
        }
    }
    assert!(run_once(dir, None).done);
    kills
}

fn check_exactly_once(dir: &std::path::Path) {
    let sim = SimWorld::load(&dir.join("sim.json")).unwrap();
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    assert_eq!(
        sim.charges.len(),
        1,
        "one order was paid: {:?}",
        sim.charges
    );
    assert_eq!(sim.charges.values().sum::<u32>(), 1, "paid once");
    assert_eq!(
        sim.keys.len(),
        1,
        "one key pair, none orphaned: {:?}",
        sim.keys
    );
    assert_eq!(sim.issued.len(), 1);
    assert_eq!(sim.written.len(), 1);
    assert!(sim.old_certificate_retired);

    let store = Store::open(&dir.join("store/kiosk.db"), &dir.join("keys/store.key")).unwrap();
    let order_number = sim.charges.keys().next().unwrap().parse().unwrap();
    let order = store.load_order(&order_number).unwrap().unwrap();
    assert_eq!(
        order.status(),
        kiosk_domain::order::status::OrderStatus::Completed
    );
    assert!(order.payment().is_some());
    let stats = store
        .queue_stats(time::macros::datetime!(2026-11-23 11:00 UTC))
        .unwrap();
    assert_eq!(stats.depth, 1, "exactly one order was queued for the CA");
}

#[test]
fn a_renewal_killed_at_random_moments_resumes_and_finishes_exactly_once() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut kills = 0;
    let mut renewals = 0;
    while kills < 100 && renewals < 200 {
        let dir = tempfile::tempdir().unwrap();
        kills += renew_under_fire(dir.path(), &mut rng);
        check_exactly_once(dir.path());
        renewals += 1;
    }
    assert!(
        kills >= 100,
        "only {kills} kills in {renewals} renewals: the test proved little"
    );
    eprintln!("{renewals} renewals finished exactly once through {kills} SIGKILLs");
}
