//! Runs one renewal to its end on a real PKCS#11 token (SoftHSM2 in tests)
//! with the real store and a local CA, resuming from the store's journal when
//! restarted. `tests/token_renewal.rs` starts it with failures injected after
//! each install step in turn and checks the token with OpenSC afterwards.
//!
//! Usage: `token_renewal DIR`, with in the environment:
//! - `SOFTHSM2_CONF` and `KIOSK_PKCS11_MODULES`: the token;
//! - `TEST_PIN`: what the customer types on the PIN pad;
//! - `KILL_AFTER=ACTION`: abort the process right after that install action
//!   ran on the token, before the flow heard of it (like a power cut);
//! - `FAIL_AT=ACTION`: report that action as failed once (a token error);
//! - `KIOSK_LOG`: tracing filter (the tests run it at `trace`).
//!
//! The CA is `DIR/ca.key` + `DIR/ca.der` (made by the test); it issues once per
//! order and attempt, like the real CA must.

use anyhow::{Context, Result, anyhow, bail};
use kiosk_domain::fixtures;
use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::driver::{Driver, Executor, Journal, Renewal, Saved};
use kiosk_domain::flow::renewal::{
    Candidate, Environment, EnvironmentProblem, InstallAction, RenewalEffect, RenewalEvent,
    RenewalState,
};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::key_writer::{
    KeyAlgorithm, KeyId, KeyRef, KeyTag, KeyWriter, Pin, RetirePolicy,
};
use kiosk_store::Store;
use kiosk_tests::customer::{self, Next};
use kiosk_token::renew::{self, OldCertificate, RenewError, Trust};
use kiosk_token::x509::X509Reader;
use kiosk_token::{Pkcs11KeyWriter, TokenError, WriterConfig};
use kiosk_x509::test_ca::{Profile, TestCa};
use std::io::Write;
use std::path::{Path, PathBuf};

const FLOW: &str = "renewal";
const FORMAT: u32 = 1;
const CA_NAME: &str = "Kiosk Test CA";

fn ctx() -> StepContext {
    // The real clock: the CA's certificates are valid from an hour ago.
    let mut ctx = fixtures::step_context();
    ctx.now = time::OffsetDateTime::now_utc();
    ctx
}

struct Io {
    store: Store,
    writer: Pkcs11KeyWriter,
    dir: PathBuf,
    kill_after: Option<String>,
    fail_at: Option<String>,
}

impl Journal<RenewalState, RenewalEffect> for Io {
    type Error = kiosk_store::StoreError;
    fn save(&mut self, saved: &Saved<RenewalState, RenewalEffect>) -> Result<(), Self::Error> {
        self.store
            .save_flow_state(FLOW, FORMAT, saved.state.session(), saved)
    }
}

impl Io {
    /// The one inserted key (the test inserts exactly one).
    fn key(&mut self) -> Result<KeyRef> {
        let keys = self.writer.keys()?;
        keys.into_iter()
            .next()
            .map(|k| k.key)
            .context("no key inserted")
    }

    fn old_certificate(&mut self, order: &Order) -> Result<OldCertificate> {
        let key_id = old_key_id(order)?;
        let keys = self.writer.keys()?;
        let der = keys
            .iter()
            .flat_map(|k| &k.certificates)
            .find(|c| c.key_id == key_id)
            .map(|c| c.der.clone())
            .context("the old certificate is not on the key")?;
        Ok(OldCertificate { key_id, der })
    }

    fn ca(&self) -> Result<TestCa> {
        let key = std::fs::read(self.dir.join("ca.key"))?;
        let cert = std::fs::read(self.dir.join("ca.der"))?;
        Ok(TestCa::restore(CA_NAME, &key, cert)?)
    }

    fn issued_path(&self, tag: &KeyTag) -> PathBuf {
        self.dir
            .join(format!("issued-{}-{}.der", tag.order, tag.attempt))
    }

    /// One install action on the token (and the CA). `Ok(Err(failure))` is
    /// a failure the flow handles; `Err` a fault of the test harness.
    fn install(
        &mut self,
        order: OrderNumber,
        attempt: u32,
        action: InstallAction,
    ) -> Result<RenewalEvent> {
        let tag = KeyTag::new(order, attempt);
        let name = format!("{action:?}");
        if self.fail_at.as_deref() == Some(name.as_str()) && once(&self.dir, &name)? {
            return Ok(RenewalEvent::InstallFailed(
                kiosk_domain::flow::renewal::InstallFailure::TokenError,
            ));
        }
        let order_record = self
            .store
            .load_order(&order)?
            .context("order not in the store")?;
        let key = self.key()?;
        let roots = [self.ca()?.root_der()];
        let trust = Trust {
            intermediates: &[],
            roots: &roots,
            now: time::OffsetDateTime::now_utc(),
        };
        let done: Result<(), RenewError<TokenError>> = match action {
            InstallAction::GenerateKeyPair => {
                renew::generate(&mut self.writer, &key, &tag, KeyAlgorithm::EcP256).map(|_| ())
            }
            InstallAction::RequestCertificate => {
                let old = self.old_certificate(&order_record)?;
                let request = renew::request(&mut self.writer, &key, &tag, &old);
                match request {
                    Ok(request) => {
                        // The CA: check the proof, issue once per order and attempt.
                        kiosk_x509::verify_proof(&request.csr_der, &request.proof)?;
                        let path = self.issued_path(&tag);
                        if !path.exists() {
                            let der = self.ca()?.issue(&request.csr_der, 365, Profile::Customer)?;
                            write_atomically(&path, &der)?;
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            InstallAction::VerifyCertificate => {
                let der = std::fs::read(self.issued_path(&tag))?;
                renew::verify(&mut self.writer, &key, &tag, &der, &trust).map(|_| ())
            }
            InstallAction::WriteCertificate => {
                let der = std::fs::read(self.issued_path(&tag))?;
                renew::verify_and_write(
                    &mut self.writer,
                    &key,
                    &tag,
                    &der,
                    &trust,
                    &format!("cert:{order}"),
                )
                .map(|_| ())
            }
            InstallAction::RetireOldCertificate => {
                let old_key_id = old_key_id(&order_record)?;
                renew::retire(&mut self.writer, &key, &old_key_id, RetirePolicy::Keep)
            }
        };
        if let Err(e) = done {
            return Ok(RenewalEvent::InstallFailed(e.failure()));
        }
        if self.kill_after.as_deref() == Some(name.as_str())
            && once(&self.dir, &format!("kill-{name}"))?
        {
            // A power cut right after the token did the work, before the
            // flow recorded it.
            std::process::abort();
        }
        Ok(RenewalEvent::InstallActionDone(action))
    }
}

/// The `CKA_ID` of the certificate a renewal order renews.
fn old_key_id(order: &Order) -> Result<KeyId> {
    let OrderDetails::Renewal(details) = &order.details else {
        bail!("not a renewal");
    };
    KeyId::from_hex(&details.old_certificate.key_id_hex).context("bad key id on the order")
}

/// True the first time it is asked for `what` in `dir` (a marker file).
fn once(dir: &Path, what: &str) -> Result<bool> {
    let marker = dir.join(format!("injected-{what}"));
    if marker.exists() {
        return Ok(false);
    }
    write_atomically(&marker, b"")?;
    Ok(true)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

impl Executor<RenewalEffect, RenewalEvent> for Io {
    type Error = anyhow::Error;
    fn run(&mut self, effect: &RenewalEffect) -> Result<Option<RenewalEvent>> {
        let now = ctx().now;
        Ok(match effect {
            RenewalEffect::CheckEnvironment { .. } => {
                let keys = self.writer.keys()?;
                let Some(inserted) = keys.into_iter().next() else {
                    return Ok(Some(RenewalEvent::EnvironmentChecked(
                        Environment::Problem(EnvironmentProblem::NoKey),
                    )));
                };
                let mut candidates = Vec::new();
                for certificate in renew::renewable_certificates(inserted.certificates) {
                    let open_order = self.store.open_renewal_for(&certificate.serial_hex)?;
                    candidates.push(Candidate {
                        certificate,
                        open_order,
                    });
                }
                Some(RenewalEvent::EnvironmentChecked(Environment::Ready {
                    candidates,
                    ca_online: true,
                }))
            }
            RenewalEffect::VerifyPin { .. } => {
                let key = self.key()?;
                // What the PIN pad hands over; consumed (and zeroed) by the call.
                let pin = Pin::new(&std::env::var("TEST_PIN")?)?;
                Some(RenewalEvent::PinChecked(self.writer.verify_pin(&key, pin)?))
            }
            RenewalEffect::CreateOrder { .. }
            | RenewalEffect::SaveOrder(_)
            | RenewalEffect::CreatePayment { .. } => {
                kiosk_tests::store_effects::run(&mut self.store, effect, now)?.flatten()
            }
            RenewalEffect::Install {
                order,
                attempt,
                action,
            } => Some(self.install(*order, *attempt, *action)?),
            RenewalEffect::RemoveAbandonedKeys {
                order,
                keep_attempt,
            } => {
                let key = self.key()?;
                if let Err(e) =
                    renew::remove_abandoned(&mut self.writer, &key, order, *keep_attempt)
                {
                    return Ok(Some(RenewalEvent::InstallFailed(e.failure())));
                }
                None
            }
            RenewalEffect::PrintReceipt { .. }
            | RenewalEffect::RemindToTakeKey
            | RenewalEffect::WipeSession => None,
        })
    }
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KIOSK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: token_renewal DIR")?,
    );
    let writer = Pkcs11KeyWriter::open(WriterConfig::default())?.with_reader(Box::new(X509Reader));
    let mut io = Io {
        store: Store::open(&dir.join("store/kiosk.db"), &dir.join("keys/store.key"))?,
        writer,
        dir: dir.clone(),
        kill_after: std::env::var("KILL_AFTER").ok(),
        fail_at: std::env::var("FAIL_AT").ok(),
    };
    let saved = io.store.load_flow_state(FLOW, FORMAT)?.unwrap_or(Saved {
        state: RenewalState::Home,
        pending: Vec::new(),
    });
    let mut driver = Driver::<Renewal>::new(saved);
    let mut out = std::io::stdout().lock();
    driver
        .resume(&ctx(), &mut io)
        .map_err(|e| anyhow!("resume failed: {e:?}"))?;
    for _ in 0..200 {
        let state = driver.state().clone();
        writeln!(out, "at {}", customer::name(&state))?;
        out.flush()?;
        if let RenewalState::InstallPending { failure, .. } = &state {
            writeln!(out, "pending {failure:?}")?;
        }
        let event = match customer::next(&state, |_| Ok(()))? {
            Next::Event(event) => event,
            Next::Done(order) => {
                writeln!(out, "done {order}")?;
                return Ok(());
            }
        };
        driver
            .handle(event, &ctx(), &mut io)
            .map_err(|e| anyhow!("step failed: {e:?}"))?;
    }
    bail!("the renewal did not finish in 200 steps")
}
