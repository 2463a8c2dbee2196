//! Between the flow thread and the screen thread: updates travel over a
//! channel and are applied on the screen thread (Slint objects live there).
//!
//! The sender wakes the event loop (`invoke_from_event_loop`) after each
//! update; tests without an event loop call [`UiPort::pump`] themselves.

use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::renewal::RenewalState;
use kiosk_domain::order::Order;
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_ui::KioskUi;
use kiosk_ui::view_model::{Notice, StatusView, ViewContext};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender};

/// What the screens must show.
#[derive(Debug)]
pub enum UiUpdate {
    Renewal {
        state: Box<RenewalState>,
        ctx: StepContext,
        key_in: bool,
        /// The contact and invoice details on file, for 确认信息.
        prefill: Option<Box<(Contact, InvoiceInfo)>>,
    },
    /// A state the driver just journaled while it runs effects (install
    /// progress): shown with the last context.
    Progress(Box<RenewalState>),
    Status(StatusView),
    IdleWarning(Option<u32>),
    /// What the camera read on 查询订单.
    Scanned(Result<kiosk_domain::order_number::OrderNumber, crate::receipt_scan::ScanError>),
    /// The lookup's answer (`None`: no order with that number and mobile).
    Lookup(Option<Box<Order>>),
    /// The store could not answer the lookup (not "no such order").
    LookupFailed,
    Wipe,
    TakeYourKey,
    KeyTaken,
    PrinterFailed,
    ContactsMissing,
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
    /// The context and key presence of the last full update.
    last: RefCell<Option<(StepContext, bool)>>,
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
            last: RefCell::new(None),
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
        let ui = &self.ui;
        match update {
            UiUpdate::Renewal {
                state,
                ctx,
                key_in,
                prefill,
            } => {
                let view = ViewContext {
                    lang: ui.lang(),
                    flow: ctx,
                };
                ui.show_renewal(&state, &view, key_in);
                *self.last.borrow_mut() = Some((ctx, key_in));
                if let (RenewalState::ConfirmingInfo { certificate, .. }, Some(prefill)) =
                    (state.as_ref(), prefill)
                {
                    let (contact, invoice) = prefill.as_ref();
                    ui.show_confirm_details(certificate, contact, invoice, ctx.renewal_price);
                }
            }
            UiUpdate::Progress(state) => {
                if let Some((ctx, key_in)) = *self.last.borrow() {
                    let view = ViewContext {
                        lang: ui.lang(),
                        flow: ctx,
                    };
                    ui.show_renewal(&state, &view, key_in);
                }
            }
            UiUpdate::Status(status) => ui.set_status(&status),
            UiUpdate::IdleWarning(secs) => ui.show_idle_warning(secs),
            UiUpdate::Lookup(found) => {
                let lang = ui.lang();
                let missing = kiosk_domain::lang::Localized::message(&LookupMiss, lang);
                ui.show_lookup_result(found.as_deref().ok_or(missing));
            }
            UiUpdate::Scanned(found) => {
                let lang = ui.lang();
                ui.show_scan_result(found.as_ref().map_err(|e| scan_message(e, lang)));
            }
            UiUpdate::LookupFailed => {
                let message = kiosk_ui::view_model::notice_text(Notice::KioskFault, ui.lang());
                ui.show_lookup_result(Err(message));
            }
            UiUpdate::Wipe => ui.wipe_session(),
            UiUpdate::TakeYourKey => ui.show_notice(Some(Notice::TakeYourKey)),
            UiUpdate::KeyTaken => ui.show_notice(None),
            UiUpdate::PrinterFailed => ui.show_notice(Some(Notice::PrinterFailed)),
            UiUpdate::ContactsMissing => ui.show_notice(Some(Notice::ContactsMissing)),
            UiUpdate::KioskFault => ui.show_notice(Some(Notice::KioskFault)),
            UiUpdate::FaultCleared => ui.show_notice(None),
        }
    }
}

/// Why the camera read no order number, in the customer's words.
fn scan_message(e: &crate::receipt_scan::ScanError, lang: kiosk_domain::lang::Lang) -> String {
    use crate::receipt_scan::ScanError;
    use kiosk_domain::lang::Lang;
    match (e, lang) {
        (ScanError::NoCamera | ScanError::Camera(_), Lang::ZhCn) => {
            "摄像头暂不可用，请手动输入订单号码".to_owned()
        }
        (ScanError::NoCamera | ScanError::Camera(_), Lang::En) => {
            "The camera is not available: please type the order number".to_owned()
        }
        (ScanError::NothingSeen, Lang::ZhCn) => {
            "未识别到凭条二维码：请将二维码对准摄像头后重试，或手动输入订单号码".to_owned()
        }
        (ScanError::NothingSeen, Lang::En) => {
            "No slip QR code seen: hold it up to the camera and try again, or type the order number"
                .to_owned()
        }
    }
}

/// The lookup found nothing: the same answer for an unknown number and a
/// wrong mobile, so that the form cannot be used to probe order numbers.
struct LookupMiss;

impl kiosk_domain::lang::Localized for LookupMiss {
    fn message(&self, lang: kiosk_domain::lang::Lang) -> String {
        match lang {
            kiosk_domain::lang::Lang::ZhCn => {
                "未找到订单：请核对订单号和手机号，或到柜台查询".to_owned()
            }
            kiosk_domain::lang::Lang::En => {
                "No order found: check the order number and mobile, or ask at the counter"
                    .to_owned()
            }
        }
    }
}
