//! The kiosk's production runtime without its screen, driven through one
//! renewal by a scripted customer ([`kiosk_tests::script`]), on the real
//! ports (the store, the PKCS#11 key, the reference CA over HTTP, the
//! printer) wrapped to inject the faults a test asks for. Restarted on the
//! same directory, it resumes from the store's journals as the kiosk does.
//!
//! Usage: `kiosk_runner DIR`, with `DIR/kiosk.toml` the kiosk's
//! configuration, and in the environment:
//! - `SOFTHSM2_CONF` / `KIOSK_PKCS11_MODULES`: the token;
//! - `TEST_PIN`: what the customer types on the PIN pad;
//! - `KILL_BEFORE_RECORDING=STEP`: abort right before the journal records
//!   that install step (`KeyPairGenerated`, `RequestSent`...): the step ran,
//!   the kiosk never knew (a power cut); once per DIR;
//! - `KILL_AFTER_ISSUING=1`: abort as soon as the CA answered a renewal,
//!   once per DIR;
//! - `FAIL_ONCE=METHOD`: that key-writer method fails once (a token error);
//! - `KIOSK_LOG`: the tracing filter (the PIN test runs it at `trace`).
//!
//! Prints `at STATE` for each renewal screen, `pending FAILURE` for each
//! install that stopped, and `done ORDER` at 完成更新.

use anyhow::{Context, Result};
use kiosk::clock::SystemClock;
use kiosk::wiring::{Ports, ports};
use kiosk_config::Config;
use kiosk_domain::fixtures;
use kiosk_domain::order::OrderDetails;
use kiosk_tests::faults::{FaultyCa, FaultyStore, FaultyWriter};
use kiosk_tests::script::{Headless, Outcome, RenewalCustomer};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KIOSK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let dir = PathBuf::from(std::env::args().nth(1).context("usage: kiosk_runner DIR")?);
    let config = Config::load(Some(&dir.join("kiosk.toml")))?;
    let pin = std::env::var("TEST_PIN").context("TEST_PIN")?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());

    let real = ports(&config)?;
    let mut ca = real.ca.map(FaultyCa::new);
    if env("KILL_AFTER_ISSUING").is_some() {
        let marker = dir.join("killed-after-issuing");
        ca = ca.map(|ca| ca.killing_after_issuing(marker));
    }
    let kill = env("KILL_BEFORE_RECORDING").map(|step| {
        let marker = dir.join(format!("killed-before-{step}"));
        (step, marker)
    });
    let faulty = Ports {
        store: FaultyStore::new(real.store, kill),
        writer: FaultyWriter::new(real.writer, env("FAIL_ONCE")),
        ca,
        printer: real.printer,
    };
    let mut kiosk = Headless::start(&config, faulty, Arc::new(SystemClock))?;

    let OrderDetails::Renewal(details) = fixtures::renewal_order(1).details else {
        anyhow::bail!("the fixture is not a renewal");
    };
    let mut customer = RenewalCustomer::new(&pin, (details.contact, details.invoice));
    let start = Instant::now();
    let mut printed = 0;
    loop {
        for line in kiosk.shown.log.iter().skip(printed) {
            if let Some(state) = line.strip_prefix("renewal ") {
                println!("at {state}");
            }
        }
        printed = kiosk.shown.log.len();
        let state = kiosk
            .shown
            .renewal
            .clone()
            .unwrap_or(kiosk_domain::flow::renewal::RenewalState::Home);
        let failures = customer.failures.len();
        let (event, outcome) = customer.act(&state)?;
        for failure in customer.failures.iter().skip(failures) {
            println!("pending {failure}");
        }
        if let Outcome::Done(order) = outcome {
            println!("done {order}");
            kiosk.stop();
            return Ok(());
        }
        if let Some(event) = event {
            kiosk.send(event);
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(120),
            "no renewal within 2 minutes; last screens: {:?}",
            kiosk.shown.log.iter().rev().take(8).collect::<Vec<_>>()
        );
        kiosk.next(Duration::from_millis(100));
    }
}
