//! Runs one renewal to its end against the real store and the simulated key
//! and CA, resuming from the store's journal when restarted. `tests/flow_resume.rs`
//! kills it with SIGKILL at random moments and checks what it left behind.
//!
//! Usage: `renewal_runner DIR`. Prints `at RANK STATE` each time a state has
//! been saved, and `done ORDER` at the end.

use anyhow::{Context, Result};
use kiosk_domain::fixtures;
use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::driver::{Driver, Executor, Journal, Renewal, Saved};
use kiosk_domain::flow::renewal::{
    Candidate, Environment, InstallAction, PinOutcome, RenewalEffect, RenewalEvent, RenewalState,
};
use kiosk_domain::order::OrderDetails;
use kiosk_domain::order::renewal::InstallStep;
use kiosk_store::Store;
use kiosk_tests::customer::{self, Next};
use kiosk_tests::renewal_sim::SimWorld;
use std::io::Write;
use std::path::PathBuf;

const FLOW: &str = "renewal";
const FORMAT: u32 = 1;

fn ctx() -> StepContext {
    fixtures::step_context()
}

struct Io {
    store: Store,
    sim: PathBuf,
}

impl Journal<RenewalState, RenewalEffect> for Io {
    type Error = kiosk_store::StoreError;
    fn save(&mut self, saved: &Saved<RenewalState, RenewalEffect>) -> Result<(), Self::Error> {
        self.store
            .save_flow_state(FLOW, FORMAT, saved.state.session(), saved)
    }
}

impl Executor<RenewalEffect, RenewalEvent> for Io {
    type Error = anyhow::Error;
    fn run(&mut self, effect: &RenewalEffect) -> Result<Option<RenewalEvent>> {
        let now = ctx().now;
        Ok(match effect {
            RenewalEffect::CheckEnvironment { .. } => {
                let sim = SimWorld::load(&self.sim)?;
                let mut certificate = fixtures::certificate();
                if sim.old_certificate_retired {
                    certificate.serial_hex = "NEW".to_owned();
                    certificate.not_after += time::Duration::days(365);
                }
                let open_order = self.store.open_renewal_for(&certificate.serial_hex)?;
                Some(RenewalEvent::EnvironmentChecked(Environment::Ready {
                    candidates: vec![Candidate {
                        certificate,
                        open_order,
                    }],
                    ca_online: true,
                }))
            }
            RenewalEffect::VerifyPin { .. } => Some(RenewalEvent::PinChecked(PinOutcome::Verified)),
            RenewalEffect::CreateOrder { .. }
            | RenewalEffect::SaveOrder(_)
            | RenewalEffect::CreatePayment { .. } => {
                kiosk_tests::store_effects::run(&mut self.store, effect, now)?.flatten()
            }
            RenewalEffect::Install {
                order,
                attempt,
                action,
            } => {
                let mut sim = SimWorld::load(&self.sim)?;
                let order = order.as_str();
                match action {
                    InstallAction::GenerateKeyPair => sim.generate_key(order, *attempt),
                    InstallAction::RequestCertificate => sim.issue(order, *attempt),
                    InstallAction::VerifyCertificate => {}
                    InstallAction::WriteCertificate => sim.write_certificate(order, *attempt),
                    InstallAction::RetireOldCertificate => sim.retire_old(order),
                }
                sim.save(&self.sim)?;
                Some(RenewalEvent::InstallActionDone(*action))
            }
            RenewalEffect::RemoveAbandonedKeys {
                order,
                keep_attempt,
            } => {
                let mut sim = SimWorld::load(&self.sim)?;
                sim.remove_abandoned(order.as_str(), *keep_attempt);
                sim.save(&self.sim)?;
                None
            }
            RenewalEffect::PrintReceipt { .. }
            | RenewalEffect::RemindToTakeKey
            | RenewalEffect::WipeSession => None,
        })
    }
}

/// How far along a state is; a restarted run never starts lower than the
/// last rank a killed run printed.
fn rank(state: &RenewalState) -> u32 {
    match state {
        RenewalState::Home => 0,
        RenewalState::CheckingEnvironment { .. } | RenewalState::Blocked { .. } => 1,
        RenewalState::ChoosingCertificate { .. } => 2,
        RenewalState::EnteringPin { .. } | RenewalState::PinLocked { .. } => 3,
        RenewalState::VerifyingPin { .. } => 4,
        RenewalState::ConfirmingInfo { .. } => 5,
        RenewalState::CreatingOrder { .. } => 6,
        RenewalState::Paying { .. } => 7,
        RenewalState::Installing { order, .. } | RenewalState::InstallPending { order, .. } => {
            let step = match &order.details {
                OrderDetails::Renewal(d) => d.install.step,
                OrderDetails::Application(_) => InstallStep::NotStarted,
            };
            8 + step as u32
        }
        RenewalState::Done { .. } => 20,
    }
}

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: renewal_runner DIR")?,
    );
    let mut io = Io {
        store: Store::open(&dir.join("store/kiosk.db"), &dir.join("keys/store.key"))?,
        sim: dir.join("sim.json"),
    };
    let saved = io.store.load_flow_state(FLOW, FORMAT)?.unwrap_or(Saved {
        state: RenewalState::Home,
        pending: Vec::new(),
    });
    let mut driver = Driver::<Renewal>::new(saved);
    let mut out = std::io::stdout().lock();
    writeln!(out, "at {} resumed", rank(driver.state()))?;
    out.flush()?;
    driver
        .resume(&ctx(), &mut io)
        .map_err(|e| anyhow::anyhow!("resume failed: {e:?}"))?;
    loop {
        let state = driver.state().clone();
        writeln!(out, "at {} {}", rank(&state), customer::name(&state))?;
        out.flush()?;
        let event = match customer::next(&state, |order| {
            // The customer pays the QR once; after a restart the kiosk
            // learns from the CA that it was paid (a poll, here).
            let mut sim = SimWorld::load(&io.sim)?;
            if !sim.is_paid(order.number.as_str()) {
                sim.charge(order.number.as_str());
                sim.save(&io.sim)?;
            }
            Ok(())
        })? {
            Next::Event(event) => event,
            Next::Done(order) => {
                writeln!(out, "done {order}")?;
                return Ok(());
            }
        };
        driver
            .handle(event, &ctx(), &mut io)
            .map_err(|e| anyhow::anyhow!("step failed: {e:?}"))?;
    }
}
