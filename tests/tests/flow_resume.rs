//! The kiosk survives SIGKILL at any moment: the production runtime
//! (`kiosk_runner`: real store, SoftHSM2 token, the reference CA over HTTP)
//! is killed after random delays and restarted on the same files until the
//! renewal is done. Every restart resumes at the step its journal saved (a
//! PIN never survives a restart, by design: a session killed at the PIN pad
//! starts again from home), and the whole renewal ends with one order, paid
//! once, one key pair on the token, one certificate issued and written, and
//! the old certificate retired only after the new one was written.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

use kiosk_domain::order::status::OrderStatus;
use kiosk_store::Store;
use kiosk_tests::opencryptoki::{CustomerKey, Implementation, Pkcs11TestToken};
use kiosk_tests::rng::Rng;
use kiosk_tests::world::{ReferenceCa, kiosk_config};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    ranks: Vec<u32>,
    done: Option<String>,
    killed: bool,
}

/// How far along a renewal a screen is.
fn rank(state: &str) -> u32 {
    match state {
        "Home" => 0,
        "CheckingEnvironment" | "Blocked" => 1,
        "ChoosingCertificate" => 2,
        "EnteringPin" | "VerifyingPin" | "PinLocked" => 3,
        "ConfirmingInfo" => 4,
        "CreatingOrder" => 5,
        "Paying" | "PayingAtCounter" => 6,
        "Installing" | "InstallPending" => 7,
        "Done" => 8,
        other => panic!("unknown state {other}"),
    }
}

fn run_once(token: &dyn Pkcs11TestToken, dir: &Path, kill_after: Option<Duration>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk_runner"))
        .arg(dir)
        .envs(token.env())
        .env("TEST_PIN", token.pin())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut killed = false;
    if let Some(delay) = kill_after {
        let start = Instant::now();
        while start.elapsed() < delay && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
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
            .map(rank)
            .collect(),
        done: stdout
            .lines()
            .find_map(|l| l.strip_prefix("done "))
            .map(str::to_owned),
        killed,
    }
}

/// Runs one renewal to its end in `dir`, killing the runner after random
/// delays; returns the order and the number of kills.
fn renew_under_fire(token: &dyn Pkcs11TestToken, dir: &Path, rng: &mut Rng) -> (String, u32) {
    let mut kills = 0;
    let mut last_rank = 0;
    for _ in 0..60 {
        // A whole renewal takes a few seconds here: kill anywhere inside.
        let delay = Duration::from_millis(50 + rng.below(1_500));
        let run = run_once(token, dir, Some(delay));
        if let Some(first) = run.ranks.first() {
            // Resumes where the killed run had saved, never earlier; only a
            // session that had no order yet starts over from home.
            assert!(
                *first >= last_rank || last_rank <= 3,
                "resumed at rank {first}, but rank {last_rank} was shown before the kill"
            );
        }
        last_rank = run.ranks.last().copied().unwrap_or(last_rank);
        kills += u32::from(run.killed);
        if let Some(order) = run.done {
            if run.killed {
                // Killed after 完成更新 was shown: the screen follows the
                // journal's save, the effects after it (the order saved as
                // 已完成) may not have run. The journal holds them; a
                // restart runs them.
                let again = run_once(token, dir, None);
                assert_eq!(again.done.as_deref(), Some(order.as_str()));
            }
            return (order, kills);
        }
    }
    let run = run_once(token, dir, None);
    (run.done.unwrap(), kills)
}

fn check_exactly_once(token: &dyn Pkcs11TestToken, ca: &ReferenceCa, dir: &Path, order: &str) {
    let privs = token.labels("Private Key");
    assert_eq!(
        privs.iter().filter(|l| l.starts_with("renew:")).count(),
        1,
        "one key pair, none orphaned: {privs:?}"
    );
    let certs = token.labels("Certificate");
    assert_eq!(
        certs.iter().filter(|l| l.starts_with("cert:")).count(),
        1,
        "{certs:?}"
    );
    assert!(
        certs.contains(&"superseded:old-cert".to_owned()),
        "{certs:?}"
    );
    assert_eq!(ca.service.issued_count(), 1, "issued once");

    let store = Store::open(
        &dir.join("kiosk/store/kiosk.db"),
        &dir.join("kiosk/keys/store.key"),
    )
    .unwrap();
    let number = order.parse().unwrap();
    // The status is kept whether or not the personal data is: a kiosk
    // restarted after the CA acknowledged the finished order purges it at
    // once (a kill can land there).
    let summary = store.order_summary(&number).unwrap().unwrap();
    assert_eq!(summary.status, OrderStatus::Completed);
    let saved = store.load_order(&number).unwrap();
    assert!(
        saved.is_some() || (summary.acked_at.is_some() && summary.purged_at.is_some()),
        "the order is held, or purged after the CA acknowledged it"
    );
    let queued = store.queue(100).unwrap();
    let all = store.queue_stats(time::OffsetDateTime::now_utc()).unwrap();
    assert!(
        queued.len() <= 1 && all.depth <= 1,
        "one order was queued for the CA"
    );
    // The CA holds the one payment the kiosk recorded (while the kiosk
    // still holds what it recorded).
    let paid = ca.service.storage().paid_payment(order).unwrap().unwrap();
    if let Some(saved) = saved {
        assert_eq!(
            saved.payment().map(|p| p.reference.as_str().to_owned()),
            paid.reference.clone().or(Some(paid.id.clone())),
            "the kiosk recorded the CA's payment"
        );
    }
}

#[test]
fn a_renewal_killed_at_random_moments_resumes_and_finishes_exactly_once() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut kills = 0;
    let mut renewals = 0;
    let target = if cfg!(debug_assertions) { 30 } else { 100 };
    while kills < target && renewals < 40 {
        let token = Implementation::SoftHsm2(CustomerKey::EcP256).with_certificate(20);
        let tmp = tempfile::tempdir().unwrap();
        let ca = ReferenceCa::start(&tmp.path().join("ca"), Some(token.dir())).unwrap();
        kiosk_config(tmp.path(), token.as_ref(), &ca.url, "").unwrap();
        let (order, k) = renew_under_fire(token.as_ref(), tmp.path(), &mut rng);
        kills += k;
        check_exactly_once(token.as_ref(), &ca, tmp.path(), &order);
        renewals += 1;
    }
    assert!(
        kills >= target,
        "only {kills} kills in {renewals} renewals: the test proved little"
    );
    eprintln!("{renewals} renewals finished exactly once through {kills} SIGKILLs");
}
