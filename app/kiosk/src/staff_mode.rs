//! Staff mode in the runtime: its executor (the staff key's proof, a
//! counter payment's signature and a customer key's unblock on the key
//! writer, off the flow thread; the signed payment to the CA; the audit
//! log in the store; the technician screen's diagnostics, those of
//! `kioskctl doctor` with the key writer's line from the writer held here,
//! and its test page through the receipt printer) and its binding to the
//! screens. The PINs typed are held here, each for the one effect that
//! uses it, never stored.

use crate::clock::Clock;
use crate::devices::SharedWriter;
use crate::receipts::Receipts;
use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::driver::{Executor, Flow, Journal, Ran, Saved, Ticket};
use kiosk_domain::flow::staff::{
    CounterOutcome, PAYABLE_LIST, PayableRow, PinSlot, QUEUE_LIST, REPRINT_LIST, ReprintRow, Staff,
    StaffEffect, StaffEvent, StaffSettings, StaffState, TechEvent, UnblockProblem, pin_slot,
};
use kiosk_domain::ports::ca::CaPort;
use kiosk_domain::ports::counter::{sign_counter_payment, sign_order_cancel};
use kiosk_domain::ports::key_writer::{KeyRef, KeyWriter, Pin};
use kiosk_domain::ports::printer::marked_as_reprint;
use kiosk_domain::ports::staff::{StaffCredentials, sign_in};
use kiosk_domain::ports::store::OrderStore;
use kiosk_ui::{StaffInput, TechnicianInput, UiEvent};
use std::any::Any;
use std::sync::Arc;

/// The PINs typed for staff mode, each until its effect takes it.
#[derive(Default)]
struct HeldPins {
    staff_key: Option<Pin>,
    so: Option<Pin>,
    new: Option<Pin>,
    repeat: Option<Pin>,
}

/// Staff mode's executor.
pub struct StaffExecutor<K, S, C> {
    store: S,
    /// Where counter payments go (`None`: no CA configured).
    ca: Option<C>,
    writer: SharedWriter<K>,
    receipts: Receipts,
    credentials: Arc<dyn StaffCredentials + Send + Sync>,
    answers: Answers,
    clock: Arc<dyn Clock>,
    /// What the technician screen's diagnostics and test page read.
    config: Arc<kiosk_config::Config>,
    /// The camera's live view for 摄像头预览 (`None`: no camera configured
    /// for it).
    viewfinder: Option<crate::viewfinder::Viewfinder>,
    pins: HeldPins,
    notices: Vec<Notice>,
}

impl<K, S, C> std::fmt::Debug for StaffExecutor<K, S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffExecutor").finish_non_exhaustive()
    }
}

impl<K, S, C> StaffExecutor<K, S, C>
where
    K: KeyWriter + Send + 'static,
    S: OrderStore,
{
    #[must_use]
    #[allow(
        clippy::too_many_arguments,
        reason = "the ports and settings staff mode runs on, each named once"
    )]
    pub fn new(
        store: S,
        ca: Option<C>,
        writer: SharedWriter<K>,
        receipts: Receipts,
        credentials: Arc<dyn StaffCredentials + Send + Sync>,
        answers: Answers,
        clock: Arc<dyn Clock>,
        config: Arc<kiosk_config::Config>,
    ) -> Self {
        Self {
            store,
            ca,
            writer,
            receipts,
            credentials,
            answers,
            clock,
            config,
            viewfinder: None,
            pins: HeldPins::default(),
            notices: Vec::new(),
        }
    }

    /// The technician screen's 摄像头预览 runs `viewfinder` (the kiosk's
    /// live view, which takes its turn with the camera).
    #[must_use]
    pub fn with_viewfinder(mut self, viewfinder: crate::viewfinder::Viewfinder) -> Self {
        self.viewfinder = Some(viewfinder);
        self
    }

    /// Keeps a PIN typed on the pad for the effect that uses it.
    fn hold(&mut self, slot: PinSlot, pin: Pin) {
        let held = match slot {
            PinSlot::StaffKey => &mut self.pins.staff_key,
            PinSlot::SoPin => &mut self.pins.so,
            PinSlot::NewPin => &mut self.pins.new,
            PinSlot::Repeat => &mut self.pins.repeat,
        };
        *held = Some(pin);
    }

    fn later<W>(&self, ticket: Ticket, work: W) -> Ran<StaffEvent>
    where
        W: FnOnce() -> Option<StaffEvent> + Send + 'static,
    {
        self.answers.spawn_blocking(Staff::NAME, ticket, work);
        Ran::Started
    }

    /// Runs `sign` on the staff key off the flow thread, with the staff
    /// key's PIN held for it and the wall time; back home when no PIN is
    /// held (resumed after a restart: the PIN died with the process).
    fn sign_later<W>(&mut self, ticket: Ticket, sign: W) -> Ran<StaffEvent>
    where
        W: FnOnce(
                &mut K,
                &(dyn StaffCredentials + Send + Sync),
                Pin,
                time::OffsetDateTime,
            ) -> StaffEvent
            + Send
            + 'static,
    {
        let Some(pin) = self.pins.staff_key.take() else {
            return Ran::Answered(Some(StaffEvent::GoHome));
        };
        let (writer, credentials) = (self.writer.clone(), Arc::clone(&self.credentials));
        let now = self.clock.wall();
        self.later(ticket, move || {
            Some(sign(&mut *writer.lock(), credentials.as_ref(), pin, now))
        })
    }
}

impl<K, S: OrderStore, C> Journal<StaffState, StaffEffect> for StaffExecutor<K, S, C> {
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<StaffState, StaffEffect>) -> Result<(), S::Error> {
        save_journal::<Staff, S>(&mut self.store, saved)?;
        // The camera follows each state saved: on 摄像头预览 only, and off
        // with any lock.
        if let Some(viewfinder) = &mut self.viewfinder {
            viewfinder.want(kiosk_domain::flow::staff::technician::viewfinder(
                &saved.state,
            ));
        }
        Ok(())
    }
}

impl<K, S, C> Executor<StaffEffect, StaffEvent> for StaffExecutor<K, S, C>
where
    K: KeyWriter + Send + 'static,
    S: OrderStore,
    C: CaPort,
{
    type Error = S::Error;

    fn run(&mut self, effect: &StaffEffect, ticket: Ticket) -> Result<Ran<StaffEvent>, S::Error> {
        Ok(match effect {
            StaffEffect::SignIn { .. } => {
                let mut challenge = [0_u8; 32];
                if let Err(e) = getrandom::fill(&mut challenge) {
                    tracing::error!(error = %e, "no random challenge for a staff sign-in");
                    return Ok(Ran::Answered(Some(StaffEvent::SignInAnswered(Err(
                        kiosk_domain::ports::staff::SignInRefusal::KeyFailed,
                    )))));
                }
                self.sign_later(ticket, move |writer, credentials, pin, now| {
                    let signed = sign_in(writer, credentials, pin, &challenge, now);
                    match &signed {
                        Ok(s) => tracing::info!(certificate = %s.member.certificate_serial, "staff signed in"),
                        Err(why) => tracing::info!(?why, "staff sign-in refused"),
                    }
                    StaffEvent::SignInAnswered(signed)
                })
            }
            StaffEffect::Unblock { staff_key, .. } => {
                let (so, new, repeat) = (
                    self.pins.so.take(),
                    self.pins.new.take(),
                    self.pins.repeat.take(),
                );
                let (Some(so), Some(new), Some(repeat)) = (so, new, repeat) else {
                    return Ok(Ran::Answered(Some(StaffEvent::UnblockAnswered(Err(
                        UnblockProblem::KeyFailed,
                    )))));
                };
                if new.expose() != repeat.expose() {
                    return Ok(Ran::Answered(Some(StaffEvent::UnblockAnswered(Err(
                        UnblockProblem::PinsDiffer,
                    )))));
                }
                let (writer, staff_key) = (self.writer.clone(), staff_key.clone());
                self.later(ticket, move || {
                    Some(StaffEvent::UnblockAnswered(unblock(
                        &mut *writer.lock(),
                        &staff_key,
                        so,
                        new,
                    )))
                })
            }
            StaffEffect::CheckKey { staff_key } => {
                let (writer, staff_key) = (self.writer.clone(), staff_key.clone());
                self.later(ticket, move || {
                    let present = writer
                        .lock()
                        .keys()
                        .map(|keys| keys.iter().any(|k| k.key == staff_key));
                    match present {
                        Ok(true) => None,
                        Ok(false) => Some(StaffEvent::StaffKeyGone),
                        Err(e) => {
                            tracing::warn!(error = %e, "key writer: staff key not seen");
                            Some(StaffEvent::StaffKeyGone)
                        }
                    }
                })
            }
            StaffEffect::ListQueue => Ran::Answered(Some(StaffEvent::QueueListed(
                self.store.upload_queue(QUEUE_LIST)?,
            ))),
            StaffEffect::RetryUpload { order, .. } => {
                let waiting = self.store.retry_upload(order, self.clock.wall())?;
                tracing::info!(order = %order, waiting, "upload made due again by staff");
                Ran::Answered(Some(StaffEvent::UploadRetried(*order, waiting)))
            }
            StaffEffect::ListOrders => {
                let orders = self.store.recent_orders(REPRINT_LIST)?;
                Ran::Answered(Some(StaffEvent::OrdersListed(
                    orders.iter().map(ReprintRow::of).collect(),
                )))
            }
            StaffEffect::PrintReceipt { order, .. } => {
                let Some(held) = self.store.load_order(order)? else {
                    return Ok(Ran::Answered(Some(StaffEvent::Reprinted(*order, None))));
                };
                let settings = &self.receipts.settings;
                let receipt =
                    marked_as_reprint(settings.receipt(&held, self.clock.wall()), settings.lang);
                let (print, number) = (Arc::clone(&self.receipts.print), *order);
                self.later(ticket, move || {
                    let outcome = print(&receipt);
                    tracing::info!(order = %number, ?outcome, "receipt reprinted by staff");
                    Some(StaffEvent::Reprinted(number, Some(outcome)))
                })
            }
            StaffEffect::ListPayable => {
                let held = self.store.recent_orders(PAYABLE_LIST)?;
                Ran::Answered(Some(StaffEvent::PayableListed(PayableRow::payable(&held))))
            }
            StaffEffect::SignPayment {
                staff_key, payment, ..
            } => {
                let (staff_key, payment) = (staff_key.clone(), payment.clone());
                self.sign_later(ticket, move |writer, credentials, pin, now| {
                    let signed =
                        sign_counter_payment(writer, credentials, &staff_key, pin, payment, now);
                    if let Err(why) = &signed {
                        tracing::info!(?why, "counter payment not signed");
                    }
                    StaffEvent::CounterSigned(signed.map(Box::new))
                })
            }
            StaffEffect::SendPayment { signed, .. } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(StaffEvent::CounterAnswered(
                        CounterOutcome::Unreachable,
                    ))));
                };
                let signed = (**signed).clone();
                self.answers.spawn(Staff::NAME, ticket, async move {
                    let payment = signed.payment.clone();
                    let answer = ca.record_counter_payment(signed).await;
                    let outcome = CounterOutcome::of(&answer, &payment);
                    match &answer {
                        Ok(info) => tracing::info!(order = %payment.order, payment = %info.id, ?outcome, "counter payment sent"),
                        Err(e) => tracing::warn!(order = %payment.order, error = %e, ?outcome, "counter payment not recorded"),
                    }
                    Some(StaffEvent::CounterAnswered(outcome))
                });
                Ran::Started
            }
            StaffEffect::SignCancel {
                staff_key, cancel, ..
            } => {
                let (staff_key, cancel) = (staff_key.clone(), cancel.clone());
                self.sign_later(ticket, move |writer, credentials, pin, now| {
                    let signed =
                        sign_order_cancel(writer, credentials, &staff_key, pin, cancel, now);
                    if let Err(why) = &signed {
                        tracing::info!(?why, "order cancel not signed");
                    }
                    StaffEvent::CancelSigned(signed.map(Box::new))
                })
            }
            StaffEffect::SendCancel { signed, .. } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(StaffEvent::CancelAnswered(
                        CounterOutcome::Unreachable,
                    ))));
                };
                let signed = (**signed).clone();
                self.answers.spawn(Staff::NAME, ticket, async move {
                    let order = signed.cancel.order;
                    let answer = ca.cancel_order(signed).await;
                    let outcome = CounterOutcome::of_cancel(&answer);
                    match &answer {
                        Ok(()) => tracing::info!(order = %order, ?outcome, "order cancelled by staff"),
                        Err(e) => tracing::warn!(order = %order, error = %e, ?outcome, "order not cancelled"),
                    }
                    Some(StaffEvent::CancelAnswered(outcome))
                });
                Ran::Started
            }
            StaffEffect::Diagnose { .. } => {
                let (writer, config) = (self.writer.clone(), Arc::clone(&self.config));
                let now = self.clock.wall();
                self.later(ticket, move || {
                    // The writer this kiosk holds: a second PKCS#11
                    // context in this process would finalize its own.
                    let seen = writer
                        .lock()
                        .keys()
                        .map(|keys| kiosk_diagnostics::KeysSeen {
                            inserted: keys.len(),
                            problems: Vec::new(),
                        })
                        .map_err(|e| e.to_string());
                    let report =
                        tokio::runtime::Handle::current().block_on(kiosk_diagnostics::run(
                            &config,
                            now,
                            kiosk_diagnostics::key_writer_report(seen),
                        ));
                    tracing::info!(ok = report.ok, "diagnostics run on the technician screen");
                    Some(StaffEvent::Tech(TechEvent::Diagnosed(Box::new(report))))
                })
            }
            StaffEffect::PrintTestPage { .. } => {
                let printer = self
                    .config
                    .printer
                    .uri
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string);
                let page = kiosk_printer::test_page::test_page(
                    &printer,
                    &self.config.printer.paper.into(),
                );
                let print = Arc::clone(&self.receipts.print);
                self.later(ticket, move || {
                    // Printed only when the printer took it all.
                    let outcome = print(&page);
                    tracing::info!(?outcome, "test page on the technician screen");
                    Some(StaffEvent::Tech(TechEvent::TestPagePrinted(outcome)))
                })
            }
            StaffEffect::Audit { key, entry } => {
                self.store.append_audit(key, entry)?;
                Ran::Answered(None)
            }
            StaffEffect::Wipe => {
                self.pins = HeldPins::default();
                self.notices.push(Notice::SessionWiped);
                Ran::Answered(None)
            }
        })
    }
}

/// Sets `new` as the user PIN of the inserted key that is not the staff
/// key, with its SO PIN.
fn unblock<K: KeyWriter>(
    writer: &mut K,
    staff_key: &KeyRef,
    so: Pin,
    new: Pin,
) -> Result<kiosk_domain::ports::key_writer::UnblockOutcome, UnblockProblem> {
    let keys = writer.keys().map_err(|e| {
        tracing::warn!(error = %e, "key writer: no keys for an unblock");
        UnblockProblem::KeyFailed
    })?;
    let Some(customer) = keys.into_iter().map(|k| k.key).find(|k| k != staff_key) else {
        return Err(UnblockProblem::NoCustomerKey);
    };
    let outcome = writer.unblock_pin(&customer, so, new).map_err(|e| {
        tracing::warn!(error = %e, "a customer's key refused the unblock");
        UnblockProblem::KeyFailed
    })?;
    tracing::info!(?outcome, "customer's PIN unblock");
    Ok(outcome)
}

impl<K, S, C> FlowExecutor<Staff> for StaffExecutor<K, S, C>
where
    K: KeyWriter + Send + 'static,
    S: OrderStore + Send,
    C: CaPort,
{
    fn finish(&mut self, answer: Box<dyn Any + Send>) -> Result<Option<StaffEvent>, S::Error> {
        Ok(answer
            .downcast::<Option<StaffEvent>>()
            .ok()
            .and_then(|e| *e))
    }

    fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }
}

/// Staff mode's screens, with what the configuration allows.
#[derive(Debug)]
pub struct StaffBinding {
    pub settings: StaffSettings,
}

impl<K, S, C> Binding<Staff, StaffExecutor<K, S, C>> for StaffBinding
where
    K: KeyWriter + Send + 'static,
    S: OrderStore,
{
    fn event(
        &mut self,
        ui: UiEvent,
        state: &StaffState,
        exec: &mut StaffExecutor<K, S, C>,
    ) -> Result<StaffEvent, UiEvent> {
        match ui {
            UiEvent::Staff(StaffInput::Open) => Ok(StaffEvent::Open {
                session: SessionId(crate::renewal::random_u64()),
                settings: self.settings,
            }),
            UiEvent::Staff(StaffInput::StartUnblock) => Ok(StaffEvent::StartUnblock),
            UiEvent::Staff(StaffInput::Menu) => Ok(StaffEvent::Menu),
            UiEvent::Staff(StaffInput::SignOut) => Ok(StaffEvent::SignOut),
            UiEvent::Staff(StaffInput::StartReprint) => Ok(StaffEvent::StartReprint),
            UiEvent::Staff(StaffInput::StartQueue) => Ok(StaffEvent::StartQueue),
            UiEvent::Staff(StaffInput::RetryUpload(number)) => Ok(StaffEvent::RetryUpload(number)),
            UiEvent::Staff(StaffInput::Reprint(number)) => Ok(StaffEvent::Reprint(number)),
            UiEvent::Staff(StaffInput::StartCounter) => Ok(StaffEvent::StartCounter),
            UiEvent::Staff(StaffInput::ChooseCounter(number)) => {
                Ok(StaffEvent::ChooseCounter(number))
            }
            UiEvent::Staff(StaffInput::ConfirmCounter { method, reference }) => {
                Ok(StaffEvent::CounterConfirmed { method, reference })
            }
            UiEvent::Staff(StaffInput::CancelCounter) => Ok(StaffEvent::CounterCancelled),
            UiEvent::Staff(StaffInput::CancelOrder(number)) => Ok(StaffEvent::CancelChosen(number)),
            UiEvent::Staff(StaffInput::ConfirmCancelOrder) => Ok(StaffEvent::CancelConfirmed),
            UiEvent::Technician(TechnicianInput::Diagnose) => {
                Ok(StaffEvent::Tech(TechEvent::Diagnose))
            }
            UiEvent::Technician(TechnicianInput::PrintTestPage) => {
                Ok(StaffEvent::Tech(TechEvent::PrintTestPage))
            }
            UiEvent::Technician(TechnicianInput::OpenCamera) => {
                Ok(StaffEvent::Tech(TechEvent::OpenCamera))
            }
            UiEvent::Technician(TechnicianInput::CloseCamera) => {
                Ok(StaffEvent::Tech(TechEvent::CloseCamera))
            }
            UiEvent::Technician(TechnicianInput::Menu) => Ok(StaffEvent::Menu),
            UiEvent::Technician(TechnicianInput::SignOut) => Ok(StaffEvent::SignOut),
            UiEvent::Pin(pin) => match pin_slot(state) {
                Some(slot) => {
                    exec.hold(slot, pin);
                    Ok(StaffEvent::PinTyped)
                }
                None => Err(UiEvent::Pin(pin)),
            },
            other => Err(other),
        }
    }

    fn view(&self, state: &StaffState, _exec: &StaffExecutor<K, S, C>, _cx: &Cx) -> UiUpdate {
        UiUpdate::Staff(Box::new(state.clone()))
    }
}
