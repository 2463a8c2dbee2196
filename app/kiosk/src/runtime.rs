//! The flow thread: the one place where the renewal flow steps.
//!
//! It owns the driver (which journals every state before its effects run)
//! and the effects' world, takes the customer's actions from the screen
//! thread over a channel, and sends back what the screens must show. Ticks
//! (every 250 ms) drive the idle timer, payment polling, the key watch and
//! the status strip.

use crate::idle::{IdleAction, IdleTimer};
use crate::renewal_io::{FLOW, FORMAT, Notice, RenewalIo};
use crate::ui_port::{UiSender, UiUpdate};
use kiosk_domain::clock::ClockFloor;
use kiosk_domain::flow::driver::{Driver, Renewal, Saved};
use kiosk_domain::flow::renewal::{InstallFailure, RenewalEvent, RenewalState};
use kiosk_domain::flow::{SessionId, StepContext};
use kiosk_domain::money::Fen;
use kiosk_domain::order::renewal::{CertificateSummary, Contact, InvoiceInfo};
use kiosk_domain::renewal_window::RenewalWindow;
use kiosk_sync_client::SyncState;
use kiosk_ui::UiEvent;
use kiosk_ui::view_model::{Device, StatusView};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What the screen thread sends.
#[derive(Debug)]
pub enum Command {
    Ui(UiEvent),
    /// Shut down after the current step (the journal already holds it).
    Stop,
}

/// The rules' inputs that do not change per step.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub floor: ClockFloor,
    pub window: RenewalWindow,
    pub renewal_price: Fen,
}

/// Where the contact and invoice details on file come from (the CA's
/// record of the certificate's holder). `None`: not known here.
pub trait ContactsOnFile: Send {
    fn lookup(&self, certificate: &CertificateSummary) -> Option<(Contact, InvoiceInfo)>;
}

/// The flow thread's state.
pub struct FlowRuntime {
    driver: Driver<Renewal>,
    io: RenewalIo,
    rules: Rules,
    idle: IdleTimer,
    ui: UiSender,
    sync: Option<watch::Receiver<SyncState>>,
    contacts: Option<Box<dyn ContactsOnFile>>,
    /// The details shown on 确认信息 and sent with `InfoConfirmed`.
    prefill: Option<(Contact, InvoiceInfo)>,
    payment_poll: Duration,
    next_payment_poll: Instant,
    next_key_check: Instant,
    next_redraw: Instant,
    next_purge: Instant,
    retention: time::Duration,
    key_in: bool,
    last_status: Option<StatusView>,
    last_online: Option<bool>,
    devices: Vec<(Device, bool)>,
    scanner: Option<Scanner>,
    /// A screen outside the flow is open (查询订单, 帮助中心): it may hold
    /// what the customer typed, so the idle timer runs there too.
    away_from_home: bool,
    /// When to run a failed effect again.
    retry_at: Option<Instant>,
}

/// How long a failed effect waits before it runs again.
const EFFECT_RETRY: Duration = Duration::from_secs(3);

/// The camera for 查询订单 and what the receipts' QR codes start with.
#[derive(Debug, Clone)]
pub struct Scanner {
    pub camera: kiosk_config::CameraSource,
    pub follow_url_base: String,
    /// How long the camera looks before giving up.
    pub limit: Duration,
}

impl std::fmt::Debug for FlowRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowRuntime")
            .field("state", &crate::state_name(self.driver.state()))
            .finish_non_exhaustive()
    }
}

/// The kiosk's own fault: the flow cannot go on (store broken).
#[derive(Debug, thiserror::Error)]
#[error("the renewal flow stopped: {0}")]
pub struct FlowFault(String);

impl FlowRuntime {
    /// The runtime at the journal's last state (home on a new store).
    ///
    /// # Errors
    /// The journal cannot be read.
    pub fn new(
        io: RenewalIo,
        rules: Rules,
        idle: IdleTimer,
        ui: UiSender,
        payment_poll: Duration,
    ) -> Result<Self, FlowFault> {
        let saved = io
            .store
            .load_flow_state(FLOW, FORMAT)
            .map_err(|e| FlowFault(e.to_string()))?
            .unwrap_or(Saved {
                state: RenewalState::Home,
                pending: Vec::new(),
            });
        let now = Instant::now();
        Ok(Self {
            driver: Driver::new(saved),
            io,
            rules,
            idle,
            ui,
            sync: None,
            contacts: None,
            prefill: None,
            payment_poll,
            next_payment_poll: now,
            next_key_check: now,
            next_redraw: now,
            next_purge: now,
            retention: time::Duration::days(30),
            key_in: false,
            last_status: None,
            last_online: None,
            devices: Vec::new(),
            scanner: None,
            away_from_home: false,
            retry_at: None,
        })
    }

    /// Follows the outbox worker's state (status strip, online/offline).
    #[must_use]
    pub fn with_sync(mut self, sync: watch::Receiver<SyncState>) -> Self {
        self.sync = Some(sync);
        self
    }

    #[must_use]
    pub fn with_contacts(mut self, contacts: Box<dyn ContactsOnFile>) -> Self {
        self.contacts = Some(contacts);
        self
    }

    /// How long personal data may stay after all (spec §6).
    #[must_use]
    pub fn with_retention(mut self, retention: time::Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The camera that reads receipts' QR codes on 查询订单.
    #[must_use]
    pub fn with_scanner(mut self, scanner: Scanner) -> Self {
        self.scanner = Some(scanner);
        self
    }

    /// The devices shown on the status strip.
    #[must_use]
    pub fn with_devices(mut self, devices: Vec<(Device, bool)>) -> Self {
        self.devices = devices;
        self
    }

    fn ctx(&self) -> StepContext {
        StepContext {
            now: time::OffsetDateTime::now_utc(),
            floor: self.rules.floor,
            window: self.rules.window,
            renewal_price: self.rules.renewal_price,
        }
    }

    /// Runs until `Stop` or the screen thread is gone.
    ///
    /// # Errors
    /// The store failed: the flow cannot be journaled any more.
    pub fn run(mut self, commands: &Receiver<Command>) -> Result<(), FlowFault> {
        self.resume();
        loop {
            match commands.recv_timeout(Duration::from_millis(250)) {
                Ok(Command::Ui(event)) => {
                    self.idle.touch(Instant::now());
                    self.on_ui(event);
                }
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.on_tick();
        }
    }

    /// One flow event through the driver, then the screens.
    fn step(&mut self, event: RenewalEvent) {
        let ctx = self.ctx();
        let done = self.driver.handle(event, &ctx, &mut self.io);
        self.settle(done.map_err(|e| format!("{e:?}")));
    }

    /// Runs the effects the journal still holds (at start, and to retry).
    fn resume(&mut self) {
        let ctx = self.ctx();
        let done = self.driver.resume(&ctx, &mut self.io);
        self.settle(done.map_err(|e| format!("{e:?}")));
    }

    /// After the driver ran: a failed effect (the store refused a write, a
    /// device answered nonsense) stays in the journal and is tried again in
    /// a few seconds; every effect is idempotent, so the retry creates
    /// nothing twice (an order whose fsync failed is found again by its
    /// session key). The kiosk keeps serving meanwhile.
    fn settle(&mut self, done: Result<(), String>) {
        match done {
            Err(e) => {
                tracing::error!(error = %e, "an effect failed; trying again shortly");
                self.retry_at = Some(Instant::now() + EFFECT_RETRY);
                self.ui.send(UiUpdate::KioskFault);
            }
            Ok(()) => {
                if self.retry_at.take().is_some() {
                    self.ui.send(UiUpdate::FaultCleared);
                }
            }
        }
        self.after_step();
    }

    fn after_step(&mut self) {
        let state = self.driver.state().clone();
        for notice in self.io.take_notices() {
            match notice {
                Notice::SessionWiped => {
                    self.prefill = None;
                    self.ui.send(UiUpdate::Wipe);
                }
                Notice::TakeYourKey => {
                    self.key_in = self.io.key_present();
                    if self.key_in {
                        self.ui.send(UiUpdate::TakeYourKey);
                    }
                }
                Notice::PrinterFailed => self.ui.send(UiUpdate::PrinterFailed),
            }
        }
        if matches!(state, RenewalState::Done { .. }) {
            // 完成更新 reminds the customer of their key at once.
            self.key_in = self.io.key_present();
        }
        if let RenewalState::ConfirmingInfo { certificate, .. } = &state
            && self.prefill.is_none()
        {
            self.prefill = self.contacts.as_ref().and_then(|c| c.lookup(certificate));
        }
        self.arm_idle();
        if matches!(state, RenewalState::Paying { qr: Some(_), .. }) {
            // The first poll after one interval: the customer needs time.
            self.next_payment_poll = Instant::now() + self.payment_poll;
        }
        self.show();
    }

    /// Sends the current state to the screens (also each second while the
    /// payment countdown runs).
    fn show(&mut self) {
        self.next_redraw = Instant::now() + Duration::from_secs(1);
        self.ui.send(UiUpdate::Renewal {
            state: Box::new(self.driver.state().clone()),
            ctx: self.ctx(),
            key_in: self.key_in,
            prefill: self.prefill.clone().map(Box::new),
        });
    }

    fn arm_idle(&mut self) {
        let open = self.away_from_home || !matches!(self.driver.state(), RenewalState::Home);
        self.idle.arm(open, Instant::now());
    }

    fn session(&self) -> Option<SessionId> {
        self.driver.state().session()
    }

    fn on_ui(&mut self, event: UiEvent) {
        match event {
            UiEvent::StartRenewal => {
                // A fresh random session: it keys the order's creation.
                self.step(RenewalEvent::Start(SessionId(random_u64())))
            }
            UiEvent::GoHome | UiEvent::Finish => {
                self.away_from_home = false;
                self.step(RenewalEvent::GoHome)
            }
            UiEvent::Retry | UiEvent::Reinstall => self.step(RenewalEvent::Retry),
            UiEvent::ChooseCertificate(i) => self.step(RenewalEvent::CertificateChosen(i)),
            UiEvent::PinEntered(pin) => {
                self.io.hand_over_pin(pin);
                self.step(RenewalEvent::PinSubmitted)
            }
            UiEvent::ConfirmInfo => match self.prefill.clone() {
                Some((contact, invoice)) => {
                    self.step(RenewalEvent::InfoConfirmed { contact, invoice })
                }
                None => self.ui.send(UiUpdate::ContactsMissing),
            },
            UiEvent::Back => self.step(RenewalEvent::Back),
            UiEvent::PayAtCounter => self.step(RenewalEvent::PayAtCounter),
            UiEvent::StillHere => {
                self.ui.send(UiUpdate::IdleWarning(None));
            }
            UiEvent::LargeModeChanged(on) => {
                self.idle.set_large_mode(on);
            }
            UiEvent::LookupOrder { number, mobile } => {
                match self.io.store.find_order(&number, &mobile) {
                    Ok(found) => self.ui.send(UiUpdate::Lookup(found.map(Box::new))),
                    Err(e) => {
                        tracing::error!(error = %e, "lookup failed in the store");
                        self.ui.send(UiUpdate::LookupFailed);
                    }
                }
            }
            UiEvent::ScanReceipt => {
                self.scan_receipt();
            }
            UiEvent::CallStaff => {
                // Audited without personal data: which screen asked.
                tracing::info!(state = %crate::state_name(self.driver.state()), "staff called");
            }
            UiEvent::StartApplication | UiEvent::OpenLookup | UiEvent::OpenHelp => {
                self.away_from_home = true;
                self.arm_idle();
            }
            UiEvent::LanguageChanged(_) => {}
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        if self.retry_at.is_some_and(|at| now >= at) {
            self.resume();
        }
        match self.idle.tick(now) {
            IdleAction::Nothing => {}
            IdleAction::Warn(secs) => self.ui.send(UiUpdate::IdleWarning(Some(secs))),
            IdleAction::Expire => {
                tracing::info!("idle: session wiped");
                self.ui.send(UiUpdate::IdleWarning(None));
                self.away_from_home = false;
                if matches!(self.driver.state(), RenewalState::Home) {
                    // Only a screen outside the flow was open: clear it.
                    self.ui.send(UiUpdate::Wipe);
                    self.arm_idle();
                } else {
                    self.step(RenewalEvent::IdleTimeout);
                }
            }
        }
        self.follow_sync();
        if now >= self.next_redraw
            && matches!(
                self.driver.state(),
                RenewalState::Paying { qr: Some(_), .. }
            )
        {
            self.show();
        }
        if now >= self.next_purge {
            self.next_purge = now + Duration::from_secs(3600);
            self.purge();
        }
        if now >= self.next_key_check {
            self.next_key_check = now + Duration::from_secs(1);
            self.watch_key();
        }
        if now >= self.next_payment_poll
            && let RenewalState::Paying {
                order, qr: Some(_), ..
            } = self.driver.state()
        {
            let order = order.clone();
            self.next_payment_poll = now + self.payment_poll;
            if let Some(event) = self.io.poll_payment(&order) {
                self.step(event);
            }
        }
    }

    /// Looks for a receipt's QR code on a thread of its own (a camera takes
    /// seconds; the flow keeps ticking), then shows what it read.
    fn scan_receipt(&self) {
        let ui = self.ui.clone();
        let Some(scanner) = self.scanner.clone() else {
            ui.send(UiUpdate::Scanned(Err(
                crate::receipt_scan::ScanError::NoCamera,
            )));
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("kiosk-scan".to_owned())
            .spawn(move || {
                let found = crate::receipt_scan::scan_with(
                    &scanner.camera,
                    &scanner.follow_url_base,
                    scanner.limit,
                );
                if let Err(e) = &found {
                    tracing::info!(error = %e, "no receipt read");
                }
                ui.send(UiUpdate::Scanned(found));
            });
        if spawned.is_err() {
            self.ui.send(UiUpdate::Scanned(Err(
                crate::receipt_scan::ScanError::Camera("no thread for the camera".to_owned()),
            )));
        }
    }

    /// Deletes personal data the CA acknowledged, and anything past the
    /// retention (a failure is logged and tried again in an hour).
    fn purge(&mut self) {
        match self
            .io
            .store
            .purge(time::OffsetDateTime::now_utc(), self.retention)
        {
            Ok(report) => tracing::info!(?report, "store purged"),
            Err(e) => tracing::warn!(error = %e, "purge failed"),
        }
    }

    /// Key inserted or removed: the key reminder, 环境检测 waiting for a key,
    /// and 异常恢复 when the key comes back.
    fn watch_key(&mut self) {
        let needs_watch = matches!(
            self.driver.state(),
            RenewalState::Home
                | RenewalState::Done { .. }
                | RenewalState::Blocked { .. }
                | RenewalState::InstallPending { .. }
        );
        if !needs_watch {
            return;
        }
        let was_in = self.key_in;
        self.key_in = self.io.key_present();
        if was_in == self.key_in {
            return;
        }
        if !self.key_in {
            self.ui.send(UiUpdate::KeyTaken);
        }
        match self.driver.state() {
            RenewalState::Blocked { .. } if self.key_in => self.step(RenewalEvent::Retry),
            RenewalState::InstallPending {
                failure: InstallFailure::KeyRemoved,
                ..
            } if self.key_in => self.step(RenewalEvent::Retry),
            _ => self.after_step(),
        }
    }

    fn follow_sync(&mut self) {
        let Some(sync) = &mut self.sync else {
            return;
        };
        if !sync.has_changed().unwrap_or(false) {
            return;
        }
        let state = sync.borrow_and_update().clone();
        let status = StatusView {
            online: state.online,
            queue: u32::try_from(state.queue_depth).unwrap_or(u32::MAX),
            devices: self.devices.clone(),
        };
        if self.last_status.as_ref() != Some(&status) {
            self.ui.send(UiUpdate::Status(status.clone()));
            self.last_status = Some(status);
        }
        if self.last_online != Some(state.online) {
            self.last_online = Some(state.online);
            if self.session().is_some() {
                self.step(RenewalEvent::NetworkChanged {
                    online: state.online,
                });
            }
        }
    }
}

fn random_u64() -> u64 {
    let mut bytes = [0_u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy (never seen on Linux): the clock still differs per session.
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        return u64::try_from(nanos.rem_euclid(i128::from(u64::MAX))).unwrap_or(1);
    }
    u64::from_le_bytes(bytes)
}
