//! The flow thread: one loop for every flow.
//!
//! Each flow is a [`FlowSlot`] (its driver, its executor and how its screens
//! show it; see [`crate::slot`]). The loop knows none of them by name: it
//! hands each customer action to the slots until one takes it, brings the
//! answers of slow effects (CA calls, the camera) back to the slot that
//! started them, and tells every slot with a customer in it what happens to
//! the kiosk as a whole ([`Signal`]: home, idle, the key, the network).
//!
//! Nothing here blocks: slow work runs on the sync runtime or a thread of
//! its own ([`Answers`]) and comes back as a [`Command::Answer`]. The loop
//! sleeps until the next deadline any part asks for (a flow's timer or
//! retry, the idle countdown, the key watch, the link check), measured on
//! the [`Clock`] it is given, so a test drives it on a manual clock.

use crate::clock::Clock;
use crate::link::Link;
use crate::staff_call::{self, StaffDesk};
use crate::ui_port::{UiSender, UiUpdate};
use kiosk_domain::clock::ClockFloor;
use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::driver::{Signal, Ticket};
use kiosk_domain::flow::idle::{IdleAction, IdleTimer};
use kiosk_domain::flow::staff_call::{CallFailure, CallView};
use kiosk_domain::money::Fen;
use kiosk_domain::renewal_window::{RenewalTerms, RenewalWindow};
use kiosk_sync_client::SyncState;
use kiosk_ui::UiEvent;
use kiosk_ui::view_model::{Device, StatusView};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What reaches the flow thread.
pub enum Command {
    /// A customer's action on the screen.
    Ui(UiEvent),
    /// The answer of an effect that ran elsewhere.
    Answer(Answer),
    /// What the device checks found (printer, camera).
    Devices(Vec<(Device, Option<bool>)>),
    /// Shut down after the current step (the journals already hold it).
    Stop,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("flow", &self.flow)
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ui(e) => f.debug_tuple("Ui").field(e).finish(),
            Self::Answer(a) => a.fmt(f),
            Self::Devices(d) => f.debug_tuple("Devices").field(d).finish(),
            Self::Stop => f.write_str("Stop"),
        }
    }
}

/// The answer of an effect started elsewhere: for flow `flow`, run `ticket`;
/// `event` is what that flow's executor completes (see
/// [`crate::slot::FlowExecutor::finish`]).
pub struct Answer {
    pub flow: &'static str,
    pub ticket: Ticket,
    pub event: Box<dyn Any + Send>,
}

/// Runs the slow part of an effect off the flow thread and sends its answer
/// back as a [`Command::Answer`].
#[derive(Debug, Clone)]
pub struct Answers {
    tx: Sender<Command>,
    runtime: tokio::runtime::Handle,
}

impl Answers {
    #[must_use]
    pub fn new(tx: Sender<Command>, runtime: tokio::runtime::Handle) -> Self {
        Self { tx, runtime }
    }

    /// Runs `work` on the sync runtime; its output is `flow`'s event.
    pub fn spawn<E, W>(&self, flow: &'static str, ticket: Ticket, work: W)
    where
        E: Send + 'static,
        W: Future<Output = E> + Send + 'static,
    {
        let tx = self.tx.clone();
        self.runtime.spawn(async move {
            let event = work.await;
            let _ = tx.send(Command::Answer(Answer {
                flow,
                ticket,
                event: Box::new(event),
            }));
        });
    }

    /// Runs blocking `work` (a camera, say) on the runtime's blocking pool.
    pub fn spawn_blocking<E, W>(&self, flow: &'static str, ticket: Ticket, work: W)
    where
        E: Send + 'static,
        W: FnOnce() -> E + Send + 'static,
    {
        let tx = self.tx.clone();
        self.runtime.spawn_blocking(move || {
            let event = work();
            let _ = tx.send(Command::Answer(Answer {
                flow,
                ticket,
                event: Box::new(event),
            }));
        });
    }

    /// Runs `work` on the runtime, answering nobody (a probe).
    pub fn detach<W>(&self, work: W)
    where
        W: Future<Output = ()> + Send + 'static,
    {
        self.runtime.spawn(work);
    }

    /// Sends a command to the flow thread (device reports); `false` once
    /// the flow thread is gone.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }
}

/// The rules' inputs that do not change per step.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub floor: ClockFloor,
    pub window: RenewalWindow,
    pub renewal_price: Fen,
    pub payment_poll: Duration,
}

/// What a slot is given with each input.
#[derive(Debug)]
pub struct Cx {
    pub now: Instant,
    pub step: StepContext,
    pub ui: UiSender,
    /// Whether a key is in the key writer (last seen).
    pub key_in: bool,
    /// Whether this slot's screens are the ones on show.
    pub shown: bool,
}

/// One flow in the runtime: its driver, its executor, its screens.
pub trait FlowSlot: Send {
    /// The flow's name (answers are addressed by it).
    fn name(&self) -> &'static str;
    /// Whether a customer is in this flow (it is not at home).
    fn active(&self) -> bool;
    /// Runs what its journal still holds (at start).
    fn resume(&mut self, cx: &Cx);
    /// Takes a customer's action that belongs to this flow, or gives it back.
    fn on_ui(&mut self, event: UiEvent, cx: &Cx) -> Option<UiEvent>;
    /// Something happened to the kiosk as a whole.
    fn on_signal(&mut self, signal: Signal, cx: &Cx);
    /// The answer of one of its effects that ran elsewhere.
    fn on_answer(&mut self, ticket: Ticket, event: Box<dyn Any + Send>, cx: &Cx);
    /// When it next wants [`FlowSlot::on_timeout`].
    fn poll_timeout(&self) -> Option<Instant>;
    fn on_timeout(&mut self, cx: &Cx);
    /// Sends its state to the screens.
    fn show(&self, cx: &Cx);
    /// Whether a failed effect (or save) waits to be tried again.
    fn failing(&self) -> bool;
    /// How often its screen is redrawn as time passes (a countdown), if at all.
    fn redraw_every(&self) -> Option<Duration>;
    /// Whether it locks itself when untouched (staff mode): the kiosk's
    /// idle timer does not run for it.
    fn locks_itself(&self) -> bool {
        false
    }
}

/// Whether a key is in the key writer, asked without waiting: `None` when
/// the writer is busy with an operation (asked again next time), `Some(Err)`
/// when it does not answer.
pub trait KeyWatch: Send {
    fn poll(&mut self) -> Option<Result<bool, String>>;
}

/// A device whose health the status strip shows, checked off the flow thread.
pub trait DeviceCheck: Send {
    fn device(&self) -> Device;
    /// `Some(true)`: it answers; `Some(false)`: it does not; `None`: it
    /// cannot be asked (a one-way printer link).
    fn check(&mut self) -> Option<bool>;
}

/// How often the key is looked for, the CA's link looked at, and the
/// printer and camera checked.
const KEY_WATCH: Duration = Duration::from_secs(1);
const LINK_WATCH: Duration = Duration::from_secs(1);
const DEVICE_WATCH: Duration = Duration::from_secs(30);

/// The flow thread.
pub struct FlowRuntime {
    slots: Vec<Box<dyn FlowSlot>>,
    clock: Arc<dyn Clock>,
    rules: Rules,
    idle: IdleTimer,
    ui: UiSender,
    answers: Option<Answers>,
    key: Option<Box<dyn KeyWatch>>,
    key_in: bool,
    key_writer_ok: Option<bool>,
    next_key_check: Instant,
    link: Option<Link>,
    online: Option<bool>,
    next_link_check: Instant,
    sync: Option<watch::Receiver<SyncState>>,
    /// The CA's renewal price and window, when it published them: they
    /// stand in for the configured ones in [`Rules`].
    terms: Option<watch::Receiver<Option<RenewalTerms>>>,
    queue: u32,
    checks: Vec<Box<dyn DeviceCheck>>,
    devices: Vec<(Device, Option<bool>)>,
    status: Option<StatusView>,
    /// A screen outside the flows is open (帮助中心): the idle timer runs.
    away: bool,
    /// The slot on screen.
    focus: Option<usize>,
    next_redraw: Option<Instant>,
    fault_shown: bool,
    /// 呼叫工作人员 (none without a CA: a call then reaches nobody).
    staff: Option<StaffDesk>,
    /// Whether a customer's session is open (a flow, or 帮助中心).
    session: bool,
}

impl std::fmt::Debug for FlowRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowRuntime")
            .field(
                "flows",
                &self.slots.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .field("focus", &self.focus)
            .finish_non_exhaustive()
    }
}

impl FlowRuntime {
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>, rules: Rules, idle: IdleTimer, ui: UiSender) -> Self {
        let now = clock.now();
        Self {
            slots: Vec::new(),
            clock,
            rules,
            idle,
            ui,
            answers: None,
            key: None,
            key_in: false,
            key_writer_ok: None,
            next_key_check: now,
            link: None,
            online: None,
            next_link_check: now,
            sync: None,
            terms: None,
            queue: 0,
            checks: Vec::new(),
            devices: Vec::new(),
            status: None,
            away: false,
            focus: None,
            next_redraw: None,
            fault_shown: false,
            staff: None,
            session: false,
        }
    }

    /// Adds a flow.
    #[must_use]
    pub fn with_flow(mut self, slot: Box<dyn FlowSlot>) -> Self {
        self.slots.push(slot);
        self
    }

    /// Where slow work runs (device checks, link probes).
    #[must_use]
    pub fn with_answers(mut self, answers: Answers) -> Self {
        self.answers = Some(answers);
        self
    }

    /// The key writer's presence watch.
    #[must_use]
    pub fn with_key_watch(mut self, key: Box<dyn KeyWatch>) -> Self {
        self.key = Some(key);
        self
    }

    /// The CA link whose last exchanges say online or offline.
    #[must_use]
    pub fn with_link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }

    /// Where calls for staff are made.
    #[must_use]
    pub fn with_staff_desk(mut self, desk: StaffDesk) -> Self {
        self.staff = Some(desk);
        self
    }

    /// The outbox worker's state (the queue on the status strip).
    #[must_use]
    pub fn with_sync(mut self, sync: watch::Receiver<SyncState>) -> Self {
        self.sync = Some(sync);
        self
    }

    /// The CA's renewal terms as the kiosk last had them (the catalogue's
    /// refresh updates them).
    #[must_use]
    pub fn with_terms(mut self, terms: watch::Receiver<Option<RenewalTerms>>) -> Self {
        self.terms = Some(terms);
        self
    }

    /// A device checked for the status strip.
    #[must_use]
    pub fn with_device_check(mut self, check: Box<dyn DeviceCheck>) -> Self {
        self.devices.push((check.device(), None));
        self.checks.push(check);
        self
    }

    /// The rules of this step: the CA's renewal terms when the kiosk has
    /// them, so that it never takes money for a renewal the CA refuses.
    fn step_context(&self) -> StepContext {
        let terms = self.terms.as_ref().and_then(|t| *t.borrow());
        StepContext {
            now: self.clock.wall(),
            floor: self.rules.floor,
            window: terms.map_or(self.rules.window, |t| t.window),
            renewal_price: terms.map_or(self.rules.renewal_price, |t| t.price),
            payment_poll: self.rules.payment_poll,
        }
    }

    /// The context for slot `i`.
    fn cx(&self, i: usize) -> Cx {
        Cx {
            now: self.clock.now(),
            step: self.step_context(),
            ui: self.ui.clone(),
            key_in: self.key_in,
            shown: self.focus.is_none_or(|f| f == i),
        }
    }

    /// Runs until `Stop` or the screen thread is gone.
    pub fn run(mut self, commands: &Receiver<Command>) {
        self.start();
        loop {
            let deadline = self.poll_timeout();
            match self.clock.recv(commands, deadline) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Command::Ui(event)) => self.on_ui(event),
                Ok(Command::Answer(answer)) => self.on_answer(answer),
                Ok(Command::Devices(found)) => self.on_devices(found),
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.on_timeout();
            self.after();
        }
    }

    /// Resumes every flow from its journal.
    fn start(&mut self) {
        self.watch_devices();
        self.check_key();
        for i in 0..self.slots.len() {
            let cx = self.cx(i);
            if let Some(slot) = self.slots.get_mut(i) {
                slot.resume(&cx);
                if slot.active() {
                    slot.on_signal(Signal::Restarted, &cx);
                    self.focus = Some(i);
                }
            }
        }
        if let Some(i) = self.focus {
            self.show(i);
        }
        self.after();
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let mut deadlines = vec![self.next_key_check, self.next_link_check];
        deadlines.extend(self.idle.poll_timeout());
        deadlines.extend(self.next_redraw);
        deadlines.extend(self.staff.as_ref().and_then(StaffDesk::poll_timeout));
        deadlines.extend(self.slots.iter().filter_map(|s| s.poll_timeout()));
        deadlines.into_iter().min()
    }

    fn on_ui(&mut self, event: UiEvent) {
        let now = self.clock.now();
        self.idle.touch(now);
        let event = match event {
            UiEvent::GoHome => {
                self.away = false;
                self.signal(Signal::GoHome);
                self.end_staff_call();
                return;
            }
            UiEvent::StillHere => {
                self.ui.send(UiUpdate::IdleWarning(None));
                return;
            }
            UiEvent::LargeModeChanged(on) => {
                self.idle.set_large_mode(on);
                return;
            }
            UiEvent::AwayFromHome => {
                self.away = true;
                return;
            }
            UiEvent::LanguageChanged(_) => return,
            UiEvent::CallStaff(screen) => {
                match (&mut self.staff, &self.answers) {
                    (Some(desk), Some(answers)) => desk.press(screen, answers),
                    _ => {
                        // No CA to call at: the screen sends them to the counter.
                        tracing::info!(
                            screen = screen.as_str(),
                            "call for staff: no CA configured"
                        );
                        self.ui.send(UiUpdate::StaffCall(CallView::NotDelivered(
                            CallFailure::Refused,
                        )));
                        return;
                    }
                }
                self.show_staff_call();
                return;
            }
            other => other,
        };
        let mut event = Some(event);
        for i in 0..self.slots.len() {
            let Some(e) = event.take() else {
                break;
            };
            let cx = self.cx(i);
            let Some(slot) = self.slots.get_mut(i) else {
                break;
            };
            event = slot.on_ui(e, &cx);
            if event.is_none() {
                if slot.active() {
                    // A flow opened from 帮助中心 (staff mode): it is on show.
                    self.away = false;
                    self.focus = Some(i);
                }
                self.show(i);
            }
        }
        if let Some(unclaimed) = event {
            tracing::warn!(event = ?unclaimed, "no flow took this action");
        }
    }

    fn on_answer(&mut self, answer: Answer) {
        if answer.flow == staff_call::FLOW {
            let now = self.clock.now();
            if let (Some(desk), Some(answers)) = (&mut self.staff, &self.answers) {
                desk.on_answer(answer.event, now, answers);
            }
            self.show_staff_call();
            return;
        }
        let Some(i) = self.slots.iter().position(|s| s.name() == answer.flow) else {
            tracing::warn!(flow = answer.flow, "an answer for no flow");
            return;
        };
        let cx = self.cx(i);
        if let Some(slot) = self.slots.get_mut(i) {
            slot.on_answer(answer.ticket, answer.event, &cx);
        }
        self.show(i);
    }

    fn on_devices(&mut self, found: Vec<(Device, Option<bool>)>) {
        for (device, health) in found {
            if let Some(entry) = self.devices.iter_mut().find(|(d, _)| *d == device) {
                entry.1 = health;
            }
        }
    }

    /// Tells every flow with a customer in it.
    fn signal(&mut self, signal: Signal) {
        for i in 0..self.slots.len() {
            let cx = self.cx(i);
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if slot.active() {
                slot.on_signal(signal, &cx);
                self.show(i);
            }
        }
    }

    fn show(&mut self, i: usize) {
        let cx = self.cx(i);
        if self.focus == Some(i)
            && let Some(slot) = self.slots.get(i)
        {
            slot.show(&cx);
        }
    }

    fn on_timeout(&mut self) {
        let now = self.clock.now();
        match self.idle.tick(now) {
            IdleAction::Nothing => {}
            IdleAction::Warn(secs) => self.ui.send(UiUpdate::IdleWarning(Some(secs))),
            IdleAction::Expire => {
                tracing::info!("idle: session wiped");
                self.ui.send(UiUpdate::IdleWarning(None));
                self.away = false;
                self.signal(Signal::IdleTimeout);
                self.end_staff_call();
                self.ui.send(UiUpdate::Wipe);
            }
        }
        for i in 0..self.slots.len() {
            let cx = self.cx(i);
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if slot.poll_timeout().is_some_and(|at| at <= now) {
                slot.on_timeout(&cx);
                self.show(i);
            }
        }
        if let (Some(desk), Some(answers)) = (&mut self.staff, &self.answers)
            && desk.poll_timeout().is_some_and(|at| at <= now)
        {
            desk.on_timeout(now, answers);
            self.show_staff_call();
        }
        if now >= self.next_key_check {
            self.next_key_check = now + KEY_WATCH;
            self.check_key();
        }
        if now >= self.next_link_check {
            self.next_link_check = now + LINK_WATCH;
            self.check_link(now);
        }
        if self.next_redraw.is_some_and(|at| at <= now)
            && let Some(i) = self.focus
        {
            self.show(i);
        }
    }

    /// Key in or out: the flows hear of it, and the reminder goes when the
    /// key is taken.
    fn check_key(&mut self) {
        let Some(key) = &mut self.key else {
            return;
        };
        let Some(found) = key.poll() else {
            return; // The writer is busy with an operation.
        };
        self.key_writer_ok = Some(found.is_ok());
        let present = found.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "key writer not answering");
            false
        });
        if present == self.key_in {
            return;
        }
        self.key_in = present;
        tracing::info!(
            present,
            "key writer: key {}",
            if present { "inserted" } else { "taken out" }
        );
        if !present {
            self.ui.send(UiUpdate::KeyTaken);
        }
        self.signal(if present {
            Signal::KeyInserted
        } else {
            Signal::KeyRemoved
        });
    }

    /// The CA's link: online from its last exchange; a light probe when
    /// nothing was exchanged for a while.
    fn check_link(&mut self, now: Instant) {
        let Some(link) = &self.link else {
            return;
        };
        if link.wants_probe(now)
            && let Some(answers) = &self.answers
        {
            link.probe(answers, now);
        }
        let online = link.online();
        if online.is_some() && online != self.online {
            self.online = online;
            tracing::info!(online = ?online, "CA link");
            if let Some(online) = online {
                self.signal(Signal::Network { online });
                if online && let Some(desk) = &mut self.staff {
                    desk.back_online(now);
                }
            }
        }
    }

    /// Printer and camera, asked every [`DEVICE_WATCH`] on a thread of
    /// their own (a printer link may take seconds to answer); the findings
    /// come back as [`Command::Devices`].
    fn watch_devices(&mut self) {
        let Some(answers) = self.answers.clone() else {
            return;
        };
        let mut checks = std::mem::take(&mut self.checks);
        if checks.is_empty() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("kiosk-devices".to_owned())
            .spawn(move || {
                loop {
                    let found = checks.iter_mut().map(|c| (c.device(), c.check())).collect();
                    if !answers.send(Command::Devices(found)) {
                        return; // The flow thread is gone.
                    }
                    std::thread::sleep(DEVICE_WATCH);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no thread for the device checks");
        }
    }

    /// After every input: the idle timer, the fault notice, the status strip.
    fn after(&mut self) {
        let now = self.clock.now();
        if let Some(i) = self.focus
            && !self.slots.get(i).is_some_and(|s| s.active())
        {
            self.focus = self.slots.iter().position(|s| s.active());
            if let Some(j) = self.focus {
                self.show(j);
            }
        }
        let open = self.away || self.slots.iter().any(|s| s.active());
        // Staff mode locks itself; the customers' idle timer is not for it.
        let customer = self.away || self.slots.iter().any(|s| s.active() && !s.locks_itself());
        self.idle.arm(customer, now);
        if self.session && !open {
            // The customer is done (or gone): staff need not come.
            self.end_staff_call();
        }
        self.session = open;
        let failing = self.slots.iter().any(|s| s.failing());
        if failing != self.fault_shown {
            self.fault_shown = failing;
            self.ui.send(if failing {
                UiUpdate::KioskFault
            } else {
                UiUpdate::FaultCleared
            });
        }
        self.next_redraw = self
            .focus
            .and_then(|i| self.slots.get(i))
            .and_then(|s| s.redraw_every())
            .map(|every| {
                self.next_redraw
                    .filter(|at| *at > now)
                    .unwrap_or(now + every)
            });
        self.follow_sync();
        let mut devices = self.devices.clone();
        if self.key.is_some() {
            devices.insert(0, (Device::KeyWriter, self.key_writer_ok));
        }
        let status = StatusView {
            online: self.online == Some(true),
            queue: self.queue,
            devices,
        };
        if self.status.as_ref() != Some(&status) {
            self.ui.send(UiUpdate::Status(status.clone()));
            self.status = Some(status);
        }
    }

    /// The session ended: a call for staff is withdrawn, its notice goes.
    fn end_staff_call(&mut self) {
        if let (Some(desk), Some(answers)) = (&mut self.staff, &self.answers) {
            desk.end_session(answers);
            self.show_staff_call();
        }
    }

    /// Shows how the call stands; while it is under way or delivered the
    /// customer waits as told, and the idle timer waits with them.
    fn show_staff_call(&mut self) {
        if let Some(desk) = &self.staff {
            let view = desk.view();
            self.idle.set_waiting_for_staff(matches!(
                view,
                CallView::Calling | CallView::Delivered | CallView::Acknowledged
            ));
            self.ui.send(UiUpdate::StaffCall(view));
        }
    }

    fn follow_sync(&mut self) {
        let Some(sync) = &mut self.sync else {
            return;
        };
        if sync.has_changed().unwrap_or(false) {
            let state = sync.borrow_and_update();
            self.queue = u32::try_from(state.queue_depth).unwrap_or(u32::MAX);
        }
    }
}
