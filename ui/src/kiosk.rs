//! [`KioskUi`]: the window and its adapters, as the composition root drives it.
#![forbid(unsafe_code)]

use crate::events::UiEvent;
use crate::screens::app::view::{Notice, StatusView};
use crate::screens::pin::entry::PinEntry;
use crate::screens::renewal::view::ViewContext;
use crate::screens::{app, apply, help, lookup, payment, pin, renewal};
use crate::{AppAdapter, AppWindow, Screen, Theme};
use kiosk_domain::flow::account::AccountState;
use kiosk_domain::flow::application::ApplicationState;
use kiosk_domain::flow::lookup::LookupState;
use kiosk_domain::flow::pickup::PickupState;
use kiosk_domain::flow::renewal::RenewalState;
use kiosk_domain::lang::Lang;
use kiosk_domain::order::application::Catalogue;
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::Frame;
use slint::ComponentHandle;
use std::cell::RefCell;
use std::rc::Rc;

type Handler = Box<dyn FnMut(UiEvent)>;

/// What the adapters share: the handler, the language, the PIN digits and
/// the flow states shown (what 确认并提交 confirms; whether the lookup's
/// camera reading is new).
#[derive(Default)]
pub(crate) struct Shared {
    handler: RefCell<Option<Handler>>,
    pub(crate) lang: RefCell<Lang>,
    pub(crate) pin: RefCell<PinEntry>,
    pub(crate) shown: RefCell<Shown>,
    /// 确认并提交 was pressed: unfinished fields say so too.
    pub(crate) confirm_reveal: std::cell::Cell<bool>,
    /// The application's screens: what they show and what was typed.
    pub(crate) apply: RefCell<crate::screens::apply::ApplyShown>,
}

#[derive(Default)]
pub(crate) struct Shown {
    pub(crate) renewal: Option<RenewalState>,
    pub(crate) lookup: Option<LookupState>,
    pub(crate) account: Option<AccountState>,
    /// 变更手机号's documents as converted for the screen (kind, which
    /// picture), so that each is converted once.
    pub(crate) account_previews: Vec<(AttachmentKind, usize, slint::Image)>,
}

impl Shared {
    /// Hands an event to the composition root. An event raised while the
    /// handler runs (it should not happen) is dropped rather than panicking.
    pub(crate) fn emit(&self, event: UiEvent) {
        if let Ok(mut handler) = self.handler.try_borrow_mut()
            && let Some(handler) = handler.as_mut()
        {
            handler(event);
        }
    }

    pub(crate) fn lang(&self) -> Lang {
        *self.lang.borrow()
    }
}

/// The kiosk's window and its adapters.
pub struct KioskUi {
    window: AppWindow,
    shared: Rc<Shared>,
}

impl std::fmt::Debug for KioskUi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskUi")
            .field("lang", &self.shared.lang())
            .finish()
    }
}

impl KioskUi {
    /// Creates the window (not shown yet) with every adapter connected.
    ///
    /// # Errors
    /// When the platform cannot create a window.
    pub fn new() -> Result<Self, slint::PlatformError> {
        let window = AppWindow::new()?;
        let shared = Rc::new(Shared::default());
        crate::screens::connect(&window, &shared);
        Ok(Self { window, shared })
    }

    #[must_use]
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// The one handler of every [`UiEvent`] (replaces an earlier one).
    pub fn on_event(&self, handler: impl FnMut(UiEvent) + 'static) {
        *self.shared.handler.borrow_mut() = Some(Box::new(handler));
    }

    #[must_use]
    pub fn lang(&self) -> Lang {
        self.shared.lang()
    }

    /// Switches the language of everything shown.
    pub fn set_lang(&self, lang: Lang) {
        app::set_lang(&self.window, &self.shared, lang);
    }

    /// 长辈模式 on or off.
    pub fn set_large_mode(&self, on: bool) {
        self.window.global::<Theme>().set_large(on);
    }

    #[must_use]
    pub fn large_mode(&self) -> bool {
        self.window.global::<Theme>().get_large()
    }

    /// Shows the screen of a renewal state; `key_in` says whether the
    /// customer's key is still in the writer. (`ctx.lang` is not needed: the
    /// screens speak the window's language.)
    pub fn show_renewal(&self, state: &RenewalState, ctx: &ViewContext, key_in: bool) {
        renewal::show(&self.window, &self.shared, state, ctx, key_in);
    }

    /// Shows the status strip.
    pub fn set_status(&self, status: &StatusView) {
        app::show_status(&self.window, status);
    }

    /// Shows the idle warning with the seconds left, or hides it.
    pub fn show_idle_warning(&self, seconds_left: Option<u32>) {
        app::show_idle_warning(&self.window, seconds_left);
    }

    /// The CA's download page for drivers and controls, shown as a QR code
    /// in 帮助中心 (empty: the card is hidden).
    pub fn set_downloads_url(&self, url: &str) {
        help::set_downloads(&self.window, url);
    }

    /// Shows a message above the status strip (`None` clears it): something
    /// the customer must know now, e.g. that their key is still in.
    pub fn show_notice(&self, notice: Option<Notice>) {
        app::show_notice(&self.window, notice);
    }

    /// Shows how the call for staff stands (the notice beside 呼叫工作人员).
    pub fn show_staff_call(&self, call: kiosk_domain::flow::staff_call::CallView) {
        app::show_staff_call(&self.window, call);
    }

    /// Where the service counter is, for a call that did not get through
    /// (`""`: not set).
    pub fn set_counter_location(&self, place: &str) {
        self.window
            .global::<AppAdapter>()
            .set_counter_location(place.into());
    }

    /// Shows 现场领取 as its flow stands (nothing at home).
    pub fn show_pickup(&self, state: &PickupState) {
        crate::screens::pickup::show(&self.window, &self.shared, state);
    }

    /// Shows 企业账户 as its flow stands, with 变更手机号's documents as
    /// held (`previews`).
    pub fn show_account(&self, state: &AccountState, previews: &[(AttachmentKind, &Frame)]) {
        let before = self
            .shared
            .shown
            .borrow_mut()
            .account
            .replace(state.clone());
        crate::screens::account::show(&self.window, &self.shared, state, before.as_ref(), previews);
    }

    /// Whether 帮助中心 offers 工作人员登录 (staff mode is configured).
    pub fn set_staff_mode(&self, on: bool) {
        self.window
            .global::<crate::StaffAdapter>()
            .set_available(on);
    }

    /// Shows staff mode as it stands.
    pub fn show_staff(&self, state: &kiosk_domain::flow::staff::StaffState) {
        crate::screens::staff::show(&self.window, &self.shared, state);
    }

    /// Shows 查询订单 as its flow stands.
    pub fn show_lookup(&self, state: &LookupState) {
        let before = self.shared.shown.borrow_mut().lookup.replace(state.clone());
        lookup::show(&self.window, state, before.as_ref());
    }

    /// Shows the application as its flow stands, offering `catalogue`'s
    /// agreement and projects, with the last document photographed as it
    /// was kept (`preview`).
    pub fn show_application(
        &self,
        state: &ApplicationState,
        catalogue: &Catalogue,
        preview: Option<(AttachmentKind, &Frame)>,
    ) {
        apply::show(&self.window, &self.shared, state, catalogue);
        crate::screens::capture::show_preview(&self.window, &self.shared, preview);
    }

    /// A frame of the camera's live view for `kind`, with what the face
    /// check said of it (dropped unless that live view is open).
    pub fn show_live_frame(
        &self,
        kind: AttachmentKind,
        frame: &Frame,
        guidance: Option<kiosk_domain::ports::camera::FaceGuidance>,
    ) {
        // The technician screen's 摄像头预览, or else a capture's live view.
        if !crate::screens::technician::show_frame(&self.window, frame) {
            crate::screens::viewfinder::show_frame(
                &self.window,
                &self.shared,
                kind,
                frame,
                guidance,
            );
        }
    }

    /// Whether the kiosk has a camera for the application's documents.
    pub fn set_camera(&self, present: bool) {
        crate::screens::capture::set_camera(&self.window, present);
    }

    /// Wipes everything the customer entered or was shown and goes home:
    /// PIN digits, lookup form and result, staff call, idle warning.
    pub fn wipe_session(&self) {
        wipe(&self.window, &self.shared);
    }

    /// The screen currently shown.
    #[must_use]
    pub fn screen(&self) -> Screen {
        self.window.global::<AppAdapter>().get_screen()
    }

    /// Moves to a screen that needs no flow state (home, lookup, help).
    pub fn show_screen(&self, screen: Screen) {
        self.window.global::<AppAdapter>().set_screen(screen);
    }
}

/// Forgets the session: what was typed, shown or asked for; then home.
pub(crate) fn wipe(window: &AppWindow, shared: &Shared) {
    window.invoke_drop_focus();
    pin::clear(window, shared);
    lookup::clear(window);
    crate::screens::account::clear(window);
    crate::screens::staff::clear(window);
    crate::screens::technician::clear(window);
    crate::screens::confirm::clear(window, shared);
    crate::keyboard::clear(window);
    payment::clear(window);
    apply::clear(window, shared);
    *shared.shown.borrow_mut() = Shown::default();
    let app = window.global::<AppAdapter>();
    app.set_staff_call(crate::StaffCall::None);
    app.set_idle_warning(false);
    app::show_notice(window, None);
    app.set_screen(Screen::Home);
}
