//! 现场领取 in the runtime: its executor (the blank key's work on the
//! blocking pool behind the key writer's lock, the CA on the sync runtime)
//! and its binding to the screens. The flow's state is the install's
//! journal: what the CA issued is kept in it before the write starts.

use crate::devices::SharedWriter;
use crate::receipts::Receipts;
use crate::renewal::{ca_failure, logout_all, random_u64};
use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::driver::{Executor, Flow, Journal, Ran, Saved, Ticket};
use kiosk_domain::flow::pickup::{
    Job, KeyCheck, PickupEffect, PickupEvent, PickupFlow, PickupState,
};
use kiosk_domain::flow::renewal::{InstallAction, InstallFailure, PinOutcome};
use kiosk_domain::ports::DeviceError;
use kiosk_domain::ports::ca::CaPort;
use kiosk_domain::ports::key_writer::{InsertedKey, KeyTag, KeyWriter, Pin};
use kiosk_domain::ports::printer::{PickupSlip, PrintOutcome, pickup_receipt};
use kiosk_domain::ports::staff::{StaffCredentials, customer_key};
use kiosk_domain::ports::store::OrderStore;
use kiosk_token::onsite::{self, EsealObject};
use kiosk_token::renew::{self, RenewError, Trust};
use kiosk_ui::{PickupInput, UiEvent};
use std::any::Any;
use std::sync::Arc;

/// 现场领取's executor.
pub struct PickupExecutor<K, C, S> {
    store: S,
    writer: SharedWriter<K>,
    ca: Option<C>,
    /// Trust anchors for the certificates the CA issues.
    roots: Arc<Vec<Vec<u8>>>,
    clock: Arc<dyn crate::clock::Clock>,
    answers: Answers,
    /// The pad's PIN, for the `VerifyPin` that follows (never stored).
    pin: Option<Pin>,
    notices: Vec<Notice>,
    receipts: Receipts,
    blank: BlankKey,
}

/// Which inserted key is the one handed over: never a member of staff's
/// key left in the writer (it is not read, written, or tried with the
/// blank key's PIN).
#[derive(Clone)]
struct BlankKey {
    staff: Option<Arc<dyn StaffCredentials + Send + Sync>>,
    clock: Arc<dyn crate::clock::Clock>,
}

impl BlankKey {
    fn find<K: KeyWriter>(&self, writer: &mut K) -> Result<Option<InsertedKey>, K::Error> {
        let keys = writer.keys()?;
        Ok(customer_key(&keys, self.staff.as_deref(), self.clock.wall()).cloned())
    }

    /// The key, if one is in and the writer answers.
    fn key<K: KeyWriter>(&self, writer: &mut K) -> Option<kiosk_domain::ports::key_writer::KeyRef> {
        self.find(writer).ok().flatten().map(|k| k.key)
    }
}

impl<K, C, S> std::fmt::Debug for PickupExecutor<K, C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PickupExecutor")
            .field("pin", &self.pin.as_ref().map(|_| "****"))
            .finish_non_exhaustive()
    }
}

impl<K, C, S> PickupExecutor<K, C, S>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
{
    #[must_use]
    pub fn new(
        store: S,
        writer: SharedWriter<K>,
        ca: Option<C>,
        roots: Vec<Vec<u8>>,
        clock: Arc<dyn crate::clock::Clock>,
        answers: Answers,
        receipts: Receipts,
    ) -> Self {
        Self {
            store,
            writer,
            ca,
            roots: Arc::new(roots),
            answers,
            pin: None,
            notices: Vec::new(),
            receipts,
            blank: BlankKey {
                staff: None,
                clock: Arc::clone(&clock),
            },
            clock,
        }
    }

    /// Staff keys (their certificates from this staff CA) are never taken
    /// for the blank key handed over.
    #[must_use]
    pub fn leaving_out_staff_keys(
        mut self,
        staff: Option<Arc<dyn StaffCredentials + Send + Sync>>,
    ) -> Self {
        self.blank.staff = staff;
        self
    }

    /// The PIN typed on the pad, for the next `VerifyPin`.
    pub fn hand_over_pin(&mut self, pin: Pin) {
        self.pin = Some(pin);
    }

    fn later<W>(&self, ticket: Ticket, work: W) -> Ran<PickupEvent>
    where
        W: FnOnce() -> PickupEvent + Send + 'static,
    {
        self.answers
            .spawn_blocking(PickupFlow::NAME, ticket, move || Some(work()));
        Ran::Started
    }

    /// Work whose answer the flow need not hear.
    fn quietly<W>(&self, ticket: Ticket, work: W) -> Ran<PickupEvent>
    where
        W: FnOnce() + Send + 'static,
    {
        self.answers
            .spawn_blocking(PickupFlow::NAME, ticket, move || -> Option<PickupEvent> {
                work();
                None
            });
        Ran::Started
    }
}

impl<K, C, S: OrderStore> Journal<PickupState, PickupEffect> for PickupExecutor<K, C, S> {
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<PickupState, PickupEffect>) -> Result<(), S::Error> {
        save_journal::<PickupFlow, S>(&mut self.store, saved)
    }
}

/// The label of the certificate written for `order`.
fn certificate_label(order: &kiosk_domain::order_number::OrderNumber) -> String {
    format!("cert:{order}")
}

/// A blank key (no certificate but this order's) that can make a key pair
/// the kiosk signs with.
fn check_key<K: KeyWriter>(
    blank: &BlankKey,
    writer: &mut K,
    order: &kiosk_domain::order_number::OrderNumber,
) -> KeyCheck {
    let inserted = match blank.find(writer) {
        Ok(Some(inserted)) => inserted,
        Ok(None) => return KeyCheck::NoKey,
        Err(e) => {
            tracing::warn!(error = %e, "key writer failed");
            return KeyCheck::NoKey;
        }
    };
    let ours = certificate_label(order);
    if inserted.certificates.iter().any(|c| c.label != ours) {
        return KeyCheck::NotBlank;
    }
    match writer.key_algorithms(&inserted.key) {
        Ok(offered) if onsite::choose_algorithm(&offered).is_some() => KeyCheck::Usable,
        Ok(offered) => {
            tracing::warn!(
                ?offered,
                "the blank key makes no key pair the kiosk signs with"
            );
            KeyCheck::Unsupported
        }
        Err(e) => {
            tracing::warn!(error = %e, "the blank key's algorithms");
            KeyCheck::Unsupported
        }
    }
}

fn failed<E: DeviceError + 'static>(action: InstallAction, e: &RenewError<E>) -> PickupEvent {
    tracing::warn!(?action, error = %e, "on-site write failed");
    PickupEvent::Failed(e.failure())
}

impl<K, C, S> PickupExecutor<K, C, S>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
{
    fn install(&self, ticket: Ticket, job: &Job, action: InstallAction) -> Ran<PickupEvent> {
        let order = job.order.number;
        let tag = KeyTag::new(order, job.progress.attempt);
        let (writer, blank) = (self.writer.clone(), self.blank.clone());
        match action {
            InstallAction::GenerateKeyPair => self.later(ticket, move || {
                let mut w = writer.lock();
                let Some(key) = blank.key(&mut *w) else {
                    return PickupEvent::Failed(InstallFailure::KeyRemoved);
                };
                let algorithm = match w.key_algorithms(&key) {
                    Ok(offered) => onsite::choose_algorithm(&offered),
                    Err(e) => return failed(action, &RenewError::Token(e)),
                };
                let Some(algorithm) = algorithm else {
                    return PickupEvent::Failed(InstallFailure::TokenError);
                };
                match w.generate_key_pair(&key, &tag, algorithm) {
                    Ok(_) => PickupEvent::ActionDone(action),
                    Err(e) => failed(action, &RenewError::Token(e)),
                }
            }),
            InstallAction::RequestCertificate => {
                let Some(ca) = self.ca.clone() else {
                    return Ran::Answered(Some(PickupEvent::Failed(InstallFailure::Offline)));
                };
                let (mobile, unit_name, uscc) = (
                    job.mobile.clone(),
                    job.order.unit_name.clone(),
                    job.order.uscc.clone(),
                );
                self.answers.spawn(PickupFlow::NAME, ticket, async move {
                    Some(request(ca, writer, blank, tag, mobile, unit_name, uscc).await)
                });
                Ran::Started
            }
            InstallAction::VerifyCertificate | InstallAction::WriteCertificate => {
                let Some(issued) = job.issued.clone() else {
                    // Nothing kept: the request step asks the CA again.
                    return Ran::Answered(Some(PickupEvent::Failed(InstallFailure::Offline)));
                };
                let roots = Arc::clone(&self.roots);
                let now = self.clock.wall();
                self.later(ticket, move || {
                    let mut w = writer.lock();
                    let Some(key) = blank.key(&mut *w) else {
                        return PickupEvent::Failed(InstallFailure::KeyRemoved);
                    };
                    let trust = Trust {
                        intermediates: &[],
                        roots: &roots,
                        now,
                    };
                    let done = if action == InstallAction::VerifyCertificate {
                        renew::verify(&mut *w, &key, &tag, &issued.certificate_der, &trust, None)
                            .map(|_| ())
                    } else {
                        let seals: Vec<EsealObject> = issued
                            .seals
                            .iter()
                            .map(|s| EsealObject {
                                label: s.label.clone(),
                                value: s.value.clone(),
                            })
                            .collect();
                        onsite::install(
                            &mut *w,
                            &key,
                            &tag,
                            &issued.certificate_der,
                            &trust,
                            &certificate_label(&order),
                            &seals,
                        )
                        .map(|_| ())
                    };
                    match done {
                        Ok(()) => PickupEvent::ActionDone(action),
                        Err(e) => failed(action, &e),
                    }
                })
            }
            // Nothing to retire on a blank key.
            InstallAction::RetireOldCertificate => {
                Ran::Answered(Some(PickupEvent::ActionDone(action)))
            }
        }
    }
}

/// `RequestCertificate` on site: the CA's earlier answer for this attempt
/// (a new request would be a new CSR, which it refuses), else the unit's
/// request signed on the blank key with this attempt's key pair.
async fn request<K, C>(
    ca: C,
    writer: SharedWriter<K>,
    blank: BlankKey,
    tag: KeyTag,
    mobile: kiosk_domain::ids::MobileNumber,
    unit_name: kiosk_domain::order::text::UnitName,
    uscc: kiosk_domain::ids::Uscc,
) -> PickupEvent
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
{
    let (order, attempt) = (tag.order, tag.attempt);
    // The CA's earlier answer for this attempt first: a new
    // request would be a new CSR, which it refuses.
    match ca.issued_on_site(order, attempt).await {
        Ok(Some(issued)) => return PickupEvent::Issued(Box::new(issued)),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(order = %order, error = %e, "the CA was not asked for an earlier answer");
            return PickupEvent::Failed(ca_failure(&e));
        }
    }
    let signed = tokio::task::spawn_blocking(move || {
        let mut w = writer.lock();
        let Some(key) = blank.key(&mut *w) else {
            return Err(InstallFailure::KeyRemoved);
        };
        let algorithm = w
            .find_key_pair(&key, &tag)
            .ok()
            .flatten()
            .map(|p| p.algorithm);
        let Some(algorithm) = algorithm else {
            return Err(InstallFailure::KeyPairMissing);
        };
        onsite::prepare(&mut *w, &key, &tag, algorithm, unit_name.as_str(), &uscc).map_err(|e| {
            tracing::warn!(error = %e, "the unit's request was not made");
            e.failure()
        })
    })
    .await;
    let csr = match signed {
        Ok(Ok(csr)) => csr,
        Ok(Err(failure)) => return PickupEvent::Failed(failure),
        Err(e) => {
            tracing::error!(error = %e, "the key task failed");
            return PickupEvent::Failed(InstallFailure::TokenError);
        }
    };
    match ca.issue_on_site(order, &mobile, attempt, csr).await {
        Ok(issued) => PickupEvent::Issued(Box::new(issued)),
        Err(e) => {
            tracing::warn!(order = %order, error = %e, "not issued on site");
            PickupEvent::Failed(ca_failure(&e))
        }
    }
}

impl<K, C, S> Executor<PickupEffect, PickupEvent> for PickupExecutor<K, C, S>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore,
{
    type Error = std::convert::Infallible;

    fn run(
        &mut self,
        effect: &PickupEffect,
        ticket: Ticket,
    ) -> Result<Ran<PickupEvent>, Self::Error> {
        Ok(match effect {
            PickupEffect::FindPickup { number, mobile } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(PickupEvent::NotAsked)));
                };
                let (number, mobile) = (*number, mobile.clone());
                self.answers.spawn(PickupFlow::NAME, ticket, async move {
                    Some(match ca.pickup(number, &mobile).await {
                        Ok(found) => PickupEvent::Found(found.map(Box::new)),
                        Err(e) => {
                            tracing::info!(error = %e, "the CA was not asked about a pickup");
                            PickupEvent::NotAsked
                        }
                    })
                });
                Ran::Started
            }
            PickupEffect::CheckKey { order } => {
                let (writer, blank) = (self.writer.clone(), self.blank.clone());
                let order = *order;
                self.later(ticket, move || {
                    PickupEvent::KeyChecked(check_key(&blank, &mut *writer.lock(), &order))
                })
            }
            PickupEffect::VerifyPin => {
                let Some(pin) = self.pin.take() else {
                    // After a restart the PIN died with the process.
                    return Ok(Ran::Answered(Some(PickupEvent::Restarted)));
                };
                let (writer, blank) = (self.writer.clone(), self.blank.clone());
                self.later(ticket, move || {
                    let mut w = writer.lock();
                    let Some(key) = blank.key(&mut *w) else {
                        return PickupEvent::KeyRemoved;
                    };
                    match w.verify_pin(&key, pin) {
                        Ok(outcome) => PickupEvent::PinChecked(outcome),
                        Err(e) => {
                            tracing::warn!(error = %e, "PIN check failed on the blank key");
                            PickupEvent::PinChecked(PinOutcome::Wrong {
                                tries_left: None,
                                final_try: false,
                            })
                        }
                    }
                })
            }
            PickupEffect::Install { job, action } => self.install(ticket, job, *action),
            PickupEffect::RemoveAbandonedKeys {
                order,
                keep_attempt,
            } => {
                let (writer, blank) = (self.writer.clone(), self.blank.clone());
                let (order, keep) = (*order, *keep_attempt);
                self.quietly(ticket, move || {
                    let mut w = writer.lock();
                    if let Some(key) = blank.key(&mut *w)
                        && let Err(e) = w.remove_abandoned(&key, &order, keep)
                    {
                        // Left for the next attempt to remove; the write goes on.
                        tracing::warn!(error = %e, "abandoned key pairs not removed");
                    }
                })
            }
            PickupEffect::ReportWritten { order, attempt } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(None));
                };
                let (order, attempt) = (*order, *attempt);
                self.answers.spawn(PickupFlow::NAME, ticket, async move {
                    match ca.written_on_site(order, attempt).await {
                        Ok(()) => tracing::info!(order = %order, "the CA heard the pickup is written"),
                        Err(e) => tracing::warn!(order = %order, error = %e, "the CA did not hear the pickup is written"),
                    }
                    None::<PickupEvent>
                });
                Ran::Started
            }
            PickupEffect::PrintReceipt(print) => {
                // What the slip says of the certificate is read from the
                // certificate written, never from the order.
                let summary = match kiosk_x509::summarize(&print.certificate_der, "") {
                    Ok(summary) => summary,
                    Err(e) => {
                        tracing::warn!(error = %e, "the written certificate is unreadable");
                        return Ok(Ran::Answered(Some(PickupEvent::ReceiptPrinted(
                            PrintOutcome::Failed,
                        ))));
                    }
                };
                let slip = PickupSlip {
                    number: print.number,
                    unit_name: print.unit_name.as_str().to_owned(),
                    seals: print.seals,
                    certificate: summary,
                };
                let receipt =
                    pickup_receipt(&slip, &self.receipts.settings.context(self.clock.wall()));
                let print = Arc::clone(&self.receipts.print);
                self.later(ticket, move || PickupEvent::ReceiptPrinted(print(&receipt)))
            }
            PickupEffect::RemindToTakeKey => {
                self.notices.push(Notice::TakeYourKey);
                Ran::Answered(None)
            }
            PickupEffect::WipeSession => {
                self.pin = None;
                self.notices.push(Notice::SessionWiped);
                let writer = self.writer.clone();
                self.quietly(ticket, move || logout_all(&mut *writer.lock()))
            }
        })
    }
}

impl<K, C, S> FlowExecutor<PickupFlow> for PickupExecutor<K, C, S>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore + Send,
{
    fn finish(
        &mut self,
        answer: Box<dyn Any + Send>,
    ) -> Result<Option<PickupEvent>, std::convert::Infallible> {
        Ok(answer
            .downcast::<Option<PickupEvent>>()
            .ok()
            .and_then(|e| *e))
    }

    fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }
}

/// 现场领取's screens.
#[derive(Debug, Default)]
pub struct PickupBinding;

impl<K, C, S> Binding<PickupFlow, PickupExecutor<K, C, S>> for PickupBinding
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort,
    S: OrderStore + Send,
{
    fn event(
        &mut self,
        ui: UiEvent,
        state: &PickupState,
        exec: &mut PickupExecutor<K, C, S>,
    ) -> Result<PickupEvent, UiEvent> {
        match ui {
            UiEvent::Pickup(PickupInput::Start { number, mobile }) => Ok(PickupEvent::Start {
                session: SessionId(random_u64()),
                number,
                mobile,
            }),
            UiEvent::Pickup(PickupInput::Retry) => Ok(PickupEvent::Retry),
            UiEvent::Pin(pin) if matches!(state, PickupState::EnteringPin { .. }) => {
                exec.hand_over_pin(pin);
                Ok(PickupEvent::PinSubmitted)
            }
            other => Err(other),
        }
    }

    fn view(&self, state: &PickupState, _exec: &PickupExecutor<K, C, S>, _cx: &Cx) -> UiUpdate {
        UiUpdate::Pickup(Box::new(state.clone()))
    }
}
