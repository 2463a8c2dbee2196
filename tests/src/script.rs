//! The kiosk without its screen, for tests: the production runtime (the
//! same [`kiosk::wiring::assemble`], slots and executors as the kiosk) on a
//! thread of its own, over whatever ports the test gives it; the test reads
//! what the screens would be shown ([`UiUpdate`]s) and acts as a customer
//! would ([`UiEvent`]s).
//!
//! [`RenewalCustomer`] is a cooperative customer at the renewal screens:
//! each new state gets the answer a customer who wants their certificate
//! renewed would give, paying through the CA's payment page as a phone
//! would.

use anyhow::{Context, Result, bail};
use kiosk::clock::Clock;
use kiosk::runtime::Command;
use kiosk::ui_port::{UiSender, UiUpdate};
use kiosk::wiring::{Ports, assemble};
use kiosk_config::Config;
use kiosk_domain::flow::application::ApplicationState;
use kiosk_domain::flow::lookup::LookupState;
use kiosk_domain::flow::renewal::{HolderLookup, RenewalState};
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::account::AccountPort;
use kiosk_domain::ports::ca::CaPort;
use kiosk_domain::ports::key_writer::{KeyWriter, Pin};
use kiosk_domain::ports::printer::ReceiptPrinter;
use kiosk_domain::ports::store::OrderStore;
use kiosk_ui::view_model::StatusView;
use kiosk_ui::{RenewalInput, UiEvent};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the screens were last told.
#[derive(Debug, Default)]
pub struct Shown {
    pub renewal: Option<RenewalState>,
    pub application: Option<ApplicationState>,
    pub lookup: Option<LookupState>,
    pub pickup: Option<kiosk_domain::flow::pickup::PickupState>,
    pub account: Option<kiosk_domain::flow::account::AccountState>,
    pub staff: Option<kiosk_domain::flow::staff::StaffState>,
    pub status: Option<StatusView>,
    /// The idle warning's seconds left, while it shows.
    pub idle_warning: Option<u32>,
    /// "请取走您的USB Key" is on screen.
    pub take_your_key: bool,
    /// The kiosk-fault notice is on screen.
    pub fault: bool,
    /// Every screen update, in order (for "what did the customer see").
    pub log: Vec<String>,
    /// How many times the session was wiped.
    pub wipes: u32,
    /// How the call for staff stands, as last shown (`None`: never shown).
    pub staff_call: Option<kiosk_domain::flow::staff_call::CallView>,
    /// Frames of the camera's live view received (not in `log`), and the
    /// last one's capture and face check.
    pub live_frames: u32,
    pub last_live: Option<(
        kiosk_domain::order::attachment::AttachmentKind,
        Option<kiosk_domain::ports::camera::FaceGuidance>,
    )>,
}

impl Shown {
    fn apply(&mut self, update: &UiUpdate) {
        if let UiUpdate::LiveFrame(live) = update {
            self.live_frames += 1;
            self.last_live = Some((live.kind, live.guidance));
            return;
        }
        self.log.push(update_name(update));
        match update {
            UiUpdate::Renewal { state, .. } => self.renewal = Some((**state).clone()),
            UiUpdate::Application { state, .. } => self.application = Some((**state).clone()),
            UiUpdate::Lookup(state) => self.lookup = Some((**state).clone()),
            UiUpdate::Pickup(state) => self.pickup = Some((**state).clone()),
            UiUpdate::Account { state, .. } => self.account = Some((**state).clone()),
            UiUpdate::Staff(state) => self.staff = Some((**state).clone()),
            UiUpdate::Status(status) => self.status = Some(status.clone()),
            UiUpdate::IdleWarning(secs) => self.idle_warning = *secs,
            UiUpdate::Wipe => {
                self.wipes += 1;
                self.take_your_key = false;
                self.idle_warning = None;
            }
            UiUpdate::TakeYourKey => self.take_your_key = true,
            UiUpdate::KeyTaken => self.take_your_key = false,
            UiUpdate::KioskFault => self.fault = true,
            UiUpdate::FaultCleared => self.fault = false,
            UiUpdate::StaffCall(call) => self.staff_call = Some(*call),
            UiUpdate::LiveFrame(_) => {}
        }
    }
}

/// A screen update's name and, for a flow, its state's variant (no personal
/// data: what a log line may say).
#[must_use]
pub fn update_name(update: &UiUpdate) -> String {
    let variant = |debug: String| {
        debug
            .split([' ', '{', '('])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    match update {
        UiUpdate::Renewal { state, .. } => format!("renewal {}", variant(format!("{state:?}"))),
        UiUpdate::Application { state, .. } => {
            format!("application {}", variant(format!("{state:?}")))
        }
        UiUpdate::Lookup(state) => format!("lookup {}", variant(format!("{state:?}"))),
        UiUpdate::Pickup(state) => format!("pickup {}", variant(format!("{state:?}"))),
        UiUpdate::Account { state, .. } => format!("account {}", variant(format!("{state:?}"))),
        UiUpdate::Staff(state) => format!("staff {}", variant(format!("{state:?}"))),
        UiUpdate::StaffCall(call) => format!("staff-call {call:?}"),
        other => variant(format!("{other:?}")),
    }
}

/// The production runtime without a screen.
pub struct Headless {
    commands: Sender<Command>,
    updates: Receiver<UiUpdate>,
    flow: Option<JoinHandle<()>>,
    sync: Option<kiosk::sync_task::SyncTask>,
    io: Option<tokio::runtime::Runtime>,
    pub shown: Shown,
}

impl std::fmt::Debug for Headless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Headless")
            .field("shown", &self.shown.log.last())
            .finish_non_exhaustive()
    }
}

impl Headless {
    /// Assembles the runtime over `ports` as the kiosk does, and starts it.
    ///
    /// # Errors
    /// As [`assemble`].
    pub fn start<K, C, S, P>(
        config: &Config,
        ports: Ports<K, C, S, P>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self>
    where
        K: KeyWriter + Send + 'static,
        K::Error: Send + 'static,
        C: CaPort
            + AccountPort
            + kiosk_domain::ports::staff_call::StaffCallPort
            + kiosk_domain::ports::staff::StaffRevocationSource,
        S: OrderStore + Send + 'static,
        P: ReceiptPrinter + Clone + Send + 'static,
    {
        let (commands, command_rx) = mpsc::channel();
        let (update_tx, updates) = mpsc::channel();
        let parts = assemble(
            config,
            ports,
            UiSender::new(update_tx, false),
            commands.clone(),
            clock,
        )?;
        let flow = parts.flow;
        let flow = std::thread::Builder::new()
            .name("kiosk-flow".to_owned())
            .spawn(move || flow.run(&command_rx))?;
        Ok(Self {
            commands,
            updates,
            flow: Some(flow),
            sync: parts.sync,
            io: Some(parts.io),
            shown: Shown::default(),
        })
    }

    /// A customer's action.
    pub fn send(&self, event: UiEvent) {
        let _ = self.commands.send(Command::Ui(event));
    }

    /// The next screen update within `limit` (recorded in [`Self::shown`]).
    pub fn next(&mut self, limit: Duration) -> Option<UiUpdate> {
        match self.updates.recv_timeout(limit) {
            Ok(update) => {
                self.shown.apply(&update);
                Some(update)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Applies updates until `done` holds for what is shown (checked first
    /// on what is shown already).
    ///
    /// # Errors
    /// `limit` passed first (the message names the last screens).
    pub fn wait(&mut self, limit: Duration, done: impl Fn(&Shown) -> bool) -> Result<()> {
        let start = Instant::now();
        while !done(&self.shown) {
            let left = limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                let tail: Vec<_> = self.shown.log.iter().rev().take(8).rev().collect();
                bail!("waited {limit:?}; last screens: {tail:?}");
            }
            self.next(left.min(Duration::from_millis(50)));
        }
        Ok(())
    }

    /// Applies every update already sent.
    pub fn drain(&mut self) {
        while self.next(Duration::ZERO).is_some() {}
    }

    /// Stops the runtime where it is (its journals hold the last state): a
    /// power cut, as far as the flows can tell.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(flow) = self.flow.take() {
            let _ = flow.join();
        }
        drop(self.sync.take());
        if let Some(io) = self.io.take() {
            io.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Pays an aggregated-QR payment through the CA's simulator page, as the
/// customer's phone would: the page is fetched, then confirmed.
///
/// # Errors
/// The page did not answer as a payment page does.
pub fn pay(page: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let shown = client.get(page).send().await?;
        if !shown.status().is_success() {
            bail!("payment page: {}", shown.status());
        }
        let html = shown.text().await?;
        if html.contains("支付成功") {
            // Paid already (by this customer, before the kiosk restarted).
            return Ok(());
        }
        if !html.contains("确认支付") {
            bail!("not a payment page: {html}");
        }
        let paid = client.post(page).send().await?;
        if !paid.status().is_success() {
            bail!("pay: {}", paid.status());
        }
        Ok(())
    })
}

/// What the renewal customer did last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still going.
    Acting,
    /// 完成更新 for this order.
    Done(OrderNumber),
}

/// A customer who wants their certificate renewed: the PIN they type, the
/// details they give when none are on file.
#[derive(Debug)]
pub struct RenewalCustomer {
    pin: String,
    details: (Contact, InvoiceInfo),
    /// The last state acted on (a state is answered once).
    acted: Option<RenewalState>,
    paid: Option<String>,
    /// How often 重新安装 was pressed, and the failures seen.
    pub reinstalls: u32,
    pub failures: Vec<String>,
}

impl RenewalCustomer {
    #[must_use]
    pub fn new(pin: &str, details: (Contact, InvoiceInfo)) -> Self {
        Self {
            pin: pin.to_owned(),
            details,
            acted: None,
            paid: None,
            reinstalls: 0,
            failures: Vec::new(),
        }
    }

    /// The customer's answer to what the screen shows now, if any.
    ///
    /// # Errors
    /// The screen asks for something this customer cannot give (a locked
    /// PIN, a key that cannot renew), or the payment page failed.
    pub fn act(&mut self, state: &RenewalState) -> Result<(Option<UiEvent>, Outcome)> {
        if let RenewalState::Done { order, .. } = state {
            return Ok((None, Outcome::Done(*order)));
        }
        if self.acted.as_ref() == Some(state) {
            return Ok((None, Outcome::Acting));
        }
        self.acted = Some(state.clone());
        let input = match state {
            RenewalState::Home => Some(RenewalInput::Start),
            RenewalState::ChoosingCertificate { candidates, .. } if candidates.is_empty() => {
                bail!("no renewable certificate on the key")
            }
            RenewalState::ChoosingCertificate { .. } => Some(RenewalInput::ChooseCertificate(0)),
            RenewalState::EnteringPin { .. } => {
                return Ok((
                    Some(UiEvent::Pin(Pin::new(&self.pin).context("the test PIN")?)),
                    Outcome::Acting,
                ));
            }
            RenewalState::ConfirmingInfo {
                on_file: HolderLookup::Asking,
                ..
            } => None,
            RenewalState::ConfirmingInfo { on_file, .. } => {
                let (contact, invoice) = match on_file {
                    HolderLookup::Found(found) => (**found).clone(),
                    _ => self.details.clone(),
                };
                Some(RenewalInput::ConfirmInfo(Box::new((contact, invoice))))
            }
            RenewalState::Paying { qr: Some(qr), .. } => {
                if self.paid.as_deref() != Some(qr.payment_id.as_str()) {
                    pay(&qr.payload)?;
                    self.paid = Some(qr.payment_id.clone());
                }
                None
            }
            RenewalState::InstallPending { failure, .. } => {
                self.failures.push(format!("{failure:?}"));
                self.reinstalls += 1;
                Some(RenewalInput::Reinstall)
            }
            RenewalState::Blocked { problem, .. } => bail!("blocked: {problem:?}"),
            RenewalState::PinLocked { .. } => bail!("the PIN is locked"),
            RenewalState::CheckingEnvironment { .. }
            | RenewalState::VerifyingPin { .. }
            | RenewalState::CreatingOrder { .. }
            | RenewalState::Paying { qr: None, .. }
            | RenewalState::PayingAtCounter { .. }
            | RenewalState::Installing { .. }
            | RenewalState::Done { .. } => None,
        };
        Ok((input.map(UiEvent::Renewal), Outcome::Acting))
    }
}

/// Drives a renewal to 完成更新 through `kiosk`, for at most `limit`.
///
/// # Errors
/// The customer could not go on, or time ran out.
pub fn renew(
    kiosk: &mut Headless,
    customer: &mut RenewalCustomer,
    limit: Duration,
) -> Result<OrderNumber> {
    let start = Instant::now();
    loop {
        // Nothing shown yet: a kiosk at home.
        let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
        let (event, outcome) = customer.act(&state)?;
        if let Outcome::Done(order) = outcome {
            return Ok(order);
        }
        if let Some(event) = event {
            kiosk.send(event);
        }
        if start.elapsed() > limit {
            let tail: Vec<_> = kiosk.shown.log.iter().rev().take(8).rev().collect();
            bail!("no renewal within {limit:?}; last screens: {tail:?}");
        }
        kiosk.next(Duration::from_millis(100));
    }
}

/// Takes a renewal customer through `kiosk` as far as 费用支付, then to
/// 到柜台支付 (`look` sees every state on the way first): the order left
/// waiting for the counter, its amount, and what the printer said of its
/// slip.
///
/// # Errors
/// The customer could not go on, or time ran out.
pub fn pay_at_counter(
    kiosk: &mut Headless,
    customer: &mut RenewalCustomer,
    limit: Duration,
    mut look: impl FnMut(&RenewalState),
) -> Result<(
    OrderNumber,
    kiosk_domain::money::Fen,
    kiosk_domain::ports::printer::PrintOutcome,
)> {
    let start = Instant::now();
    loop {
        let state = kiosk.shown.renewal.clone().unwrap_or(RenewalState::Home);
        look(&state);
        if matches!(state, RenewalState::Paying { .. }) {
            break;
        }
        let (event, _) = customer.act(&state)?;
        if let Some(event) = event {
            kiosk.send(event);
        }
        if start.elapsed() > limit {
            bail!("no payment page within {limit:?}: {:?}", kiosk.shown.log);
        }
        kiosk.next(Duration::from_millis(100));
    }
    kiosk.send(UiEvent::Renewal(RenewalInput::PayAtCounter));
    kiosk.wait(Duration::from_secs(30), |s| {
        matches!(
            s.renewal,
            Some(RenewalState::PayingAtCounter {
                receipt: Some(_),
                ..
            })
        )
    })?;
    match kiosk.shown.renewal.clone() {
        Some(RenewalState::PayingAtCounter {
            order,
            amount,
            receipt: Some(printed),
            ..
        }) => Ok((order, amount, printed)),
        other => bail!("not waiting for the counter: {other:?}"),
    }
}

/// Whether the application shows `page`.
#[must_use]
pub fn on_page(shown: &Shown, page: kiosk_domain::flow::application::Page) -> bool {
    matches!(&shown.application, Some(ApplicationState::Filling { page: p, .. }) if *p == page)
}

/// An application customer's step, as the screens hand it over.
pub fn apply_step(kiosk: &Headless, event: kiosk_domain::flow::application::ApplicationEvent) {
    kiosk.send(UiEvent::Application(kiosk_ui::ApplicationInput::Step(
        Box::new(event),
    )));
}

/// A customer's application through the runtime from 申请证书及印章 to
/// 人脸识别授权: the fixtures' details, then the four documents held up to
/// the camera (image files in `camera`) one after the other.
///
/// # Errors
/// A page did not come within `limit`.
pub fn apply_up_to_face_consent(
    kiosk: &mut Headless,
    camera: &std::path::Path,
    limit: Duration,
) -> Result<()> {
    use crate::camera::{show_camera, text_page};
    use kiosk_domain::flow::application::{ApplicationEvent as E, Page};
    use kiosk_domain::order::attachment::AttachmentKind;

    kiosk.send(UiEvent::Application(kiosk_ui::ApplicationInput::Start));
    kiosk.wait(limit, |s| on_page(s, Page::Agreement))?;
    apply_step(kiosk, E::AgreementScrolledToEnd);
    apply_step(kiosk, E::AgreementAccepted);
    kiosk.wait(limit, |s| on_page(s, Page::Project))?;
    let d = kiosk_domain::fixtures::application_details();
    apply_step(kiosk, E::ProjectChosen(d.project));
    apply_step(kiosk, E::UnitEntered(d.unit));
    apply_step(kiosk, E::HandlerEntered(d.handler));
    apply_step(kiosk, E::SealHoldersEntered(d.seal_holders));
    apply_step(kiosk, E::InvoiceEntered(d.invoice));
    apply_step(kiosk, E::PickupChosen(d.pickup));
    kiosk.wait(limit, |s| on_page(s, Page::Attachments))?;
    let kinds = [
        AttachmentKind::ApplicationForm,
        AttachmentKind::BusinessLicence,
        AttachmentKind::HandlerId,
        AttachmentKind::SealHolderId { holder: 0 },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        show_camera(camera, &text_page(u32::try_from(i)?));
        apply_step(kiosk, E::CaptureRequested(kind));
        kiosk.wait(limit, |s| {
            matches!(&s.application, Some(ApplicationState::Filling { draft, .. })
                if draft.captures.iter().any(|c| c.kind == kind))
        })?;
    }
    apply_step(kiosk, E::AttachmentsDone);
    kiosk.wait(limit, |s| on_page(s, Page::FaceConsent))
}
