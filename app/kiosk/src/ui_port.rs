//! Between the flow thread and the screen thread: updates travel over a
//! channel and are applied on the screen thread (Slint objects live there).
//!
//! The sender wakes the event loop (`invoke_from_event_loop`) after each
//! update; tests without an event loop call [`UiPort::pump`] themselves.

use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::account::AccountState;
use kiosk_domain::flow::application::ApplicationState;
use kiosk_domain::flow::lookup::LookupState;
use kiosk_domain::flow::pickup::PickupState;
use kiosk_domain::flow::renewal::RenewalState;
use kiosk_domain::flow::staff::StaffState;
use kiosk_domain::flow::staff_call::CallView;
use kiosk_domain::order::application::Catalogue;
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::Frame;
use kiosk_ui::KioskUi;
use kiosk_ui::view_model::{Notice, StatusView, ViewContext};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

/// What the screens must show.
#[derive(Debug)]
pub enum UiUpdate {
    Renewal {
        state: Box<RenewalState>,
        ctx: StepContext,
        key_in: bool,
    },
    Application {
        state: Box<ApplicationState>,
        /// The agreement and projects the screens offer.
        catalogue: Arc<Catalogue>,
        /// The last document photographed, as kept.
        preview: Option<(AttachmentKind, Arc<Frame>)>,
        ctx: StepContext,
    },
    /// A frame of the camera's live view.
    LiveFrame(Box<crate::viewfinder::LiveFrame>),
    Lookup(Box<LookupState>),
    Pickup(Box<PickupState>),
    Account {
        state: Box<AccountState>,
        /// 变更手机号's documents photographed, as held.
        previews: Vec<(AttachmentKind, Arc<Frame>)>,
    },
    Staff(Box<StaffState>),
    Status(StatusView),
    IdleWarning(Option<u32>),
    /// How the call for staff stands.
    StaffCall(CallView),
    Wipe,
    TakeYourKey,
    KeyTaken,
    /// An effect failed (the store, a device): the kiosk retries it.
    KioskFault,
    FaultCleared,
}

/// The flow thread's end.
#[derive(Debug, Clone)]
pub struct UiSender {
    tx: Sender<UiUpdate>,
    wake: bool,
}

impl UiSender {
    /// `wake`: whether an event loop runs (the real window) to be woken.
    #[must_use]
    pub fn new(tx: Sender<UiUpdate>, wake: bool) -> Self {
        Self { tx, wake }
    }

    pub fn send(&self, update: UiUpdate) {
        if self.tx.send(update).is_err() {
            return; // The screen thread is gone: shutting down.
        }
        if self.wake {
            // Fails only when the loop has quit: nothing left to show.
            let _ = slint::invoke_from_event_loop(pump_installed);
        }
    }
}

thread_local! {
    static INSTALLED: RefCell<Option<Rc<UiPort>>> = const { RefCell::new(None) };
}

/// Makes `port` the one the woken event loop pumps (screen thread only).
pub fn install(port: Rc<UiPort>) {
    INSTALLED.with(|p| *p.borrow_mut() = Some(port));
}

fn pump_installed() {
    let port = INSTALLED.with(|p| p.borrow().clone());
    if let Some(port) = port {
        port.pump();
    }
}

/// The screen thread's end.
pub struct UiPort {
    rx: Receiver<UiUpdate>,
    ui: Rc<KioskUi>,
    /// Where the keyboard's learned picks are kept, and the picks last kept.
    picks: Option<(
        std::path::PathBuf,
        std::cell::RefCell<kiosk_ui::keyboard::pinyin::Learned>,
    )>,
}

impl std::fmt::Debug for UiPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiPort").finish_non_exhaustive()
    }
}

impl UiPort {
    #[must_use]
    pub fn new(rx: Receiver<UiUpdate>, ui: Rc<KioskUi>) -> Self {
        Self {
            rx,
            ui,
            picks: None,
        }
    }

    /// Keeps the keyboard's learned picks in `path`: taught to the
    /// dictionary now, written again after a session that taught it more.
    #[must_use]
    pub fn keeping_picks_in(mut self, path: std::path::PathBuf) -> Self {
        match kiosk_ui::keyboard::memory::restore(&path) {
            Ok(count) => tracing::info!(count, "keyboard picks restored"),
            Err(error) => tracing::warn!(%error, "keyboard picks could not be read"),
        }
        let now = kiosk_ui::keyboard::memory::current();
        self.picks = Some((path, std::cell::RefCell::new(now)));
        self
    }

    /// Writes the learned picks if the session taught the keyboard any.
    fn keep_picks(&self) {
        let Some((path, kept)) = &self.picks else {
            return;
        };
        let now = kiosk_ui::keyboard::memory::current();
        if now == *kept.borrow() {
            return;
        }
        match kiosk_ui::keyboard::memory::save(path, &now) {
            Ok(count) => {
                tracing::info!(count, "keyboard picks kept");
                *kept.borrow_mut() = now;
            }
            Err(error) => tracing::warn!(%error, "keyboard picks could not be written"),
        }
    }

    /// Applies every update waiting; how many there were.
    pub fn pump(&self) -> usize {
        let mut applied = 0;
        while let Ok(update) = self.rx.try_recv() {
            self.apply(update);
            applied += 1;
        }
        applied
    }

    fn apply(&self, update: UiUpdate) {
        let before = self.ui.screen();
        self.show(update);
        let after = self.ui.screen();
        if after != before {
            // A screen's name, never what it shows: technicians follow a
            // customer's way in the log, and the footprint bench drives the
            // release binary by it.
            tracing::info!(screen = ?after, "screen");
        }
    }

    fn show(&self, update: UiUpdate) {
        let ui = &self.ui;
        match update {
            UiUpdate::Renewal { state, ctx, key_in } => {
                let view = ViewContext {
                    lang: ui.lang(),
                    flow: ctx,
                };
                ui.show_renewal(&state, &view, key_in);
            }
            UiUpdate::Application {
                state,
                catalogue,
                preview,
                ..
            } => ui.show_application(
                &state,
                &catalogue,
                preview
                    .as_ref()
                    .map(|(kind, frame)| (*kind, frame.as_ref())),
            ),
            UiUpdate::LiveFrame(live) => {
                ui.show_live_frame(live.kind, &live.frame, live.guidance);
            }
            UiUpdate::Lookup(state) => ui.show_lookup(&state),
            UiUpdate::Pickup(state) => ui.show_pickup(&state),
            UiUpdate::Account { state, previews } => ui.show_account(
                &state,
                &previews
                    .iter()
                    .map(|(kind, frame)| (*kind, frame.as_ref()))
                    .collect::<Vec<_>>(),
            ),
            UiUpdate::Staff(state) => ui.show_staff(&state),
            UiUpdate::Status(status) => ui.set_status(&status),
            UiUpdate::IdleWarning(secs) => ui.show_idle_warning(secs),
            UiUpdate::StaffCall(call) => ui.show_staff_call(call),
            UiUpdate::Wipe => {
                ui.wipe_session();
                self.keep_picks();
            }
            UiUpdate::TakeYourKey => {
                // 完成更新 says it itself: one reminder, not two.
                if ui.screen() != kiosk_ui::Screen::Done {
                    ui.show_notice(Some(Notice::TakeYourKey));
                }
            }
            UiUpdate::KeyTaken => ui.show_notice(None),
            UiUpdate::KioskFault => ui.show_notice(Some(Notice::KioskFault)),
            UiUpdate::FaultCleared => ui.show_notice(None),
        }
    }
}
