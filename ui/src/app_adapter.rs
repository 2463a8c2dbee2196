//! The window as a whole: the event sink, the status strip, language,
//! 长辈模式, the idle warning, and which screen shows which view model.
#![forbid(unsafe_code)]

use crate::help_content::FaqCategory;
use crate::pin_entry::PinEntry;
use crate::view_model::{self, RenewalView, StatusView, ViewContext};
use crate::{AppAdapter, AppWindow, DeviceRow, Screen, Theme};
use kiosk_domain::flow::application::{ApplicationEvent, ApplicationState};
use kiosk_domain::flow::lookup::LookupState;
use kiosk_domain::flow::renewal::RenewalState;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::lang::Lang;
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::key_writer::Pin;
use slint::{ComponentHandle, ModelRc, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

/// What the customer did, for the composition root: kiosk-wide actions,
/// and each flow's own ([`RenewalInput`], [`LookupInput`],
/// [`ApplicationInput`]).
#[derive(Debug)]
pub enum UiEvent {
    /// 返回首页 from any screen.
    GoHome,
    /// A screen outside the flows was opened (帮助中心, 申请 at the counter):
    /// the idle timer runs there too.
    AwayFromHome,
    CallStaff,
    /// The customer answered the idle warning.
    StillHere,
    LanguageChanged(Lang),
    /// 长辈模式 on or off (the runtime lengthens idle times when on).
    LargeModeChanged(bool),
    Renewal(RenewalInput),
    Lookup(LookupInput),
    Application(ApplicationInput),
}

/// The renewal's screens.
#[derive(Debug)]
pub enum RenewalInput {
    /// 更新证书 on the home screen.
    Start,
    /// 重新检测.
    Retry,
    ChooseCertificate(usize),
    /// OK on the PIN pad: the PIN goes to the token's adapter.
    Pin(Pin),
    /// 确认并提交 on 确认信息, with the details shown.
    ConfirmInfo(Box<(Contact, InvoiceInfo)>),
    /// 返回修改 on 确认信息.
    Back,
    PayAtCounter,
    /// 重新安装 on 异常恢复.
    Reinstall,
    /// 完成 on 完成更新 or the counter slip.
    Finish,
}

/// 查询订单's screen.
#[derive(Debug)]
pub enum LookupInput {
    Open,
    /// 扫描凭条二维码.
    Scan,
    /// 查询, with the form checked.
    Find {
        number: OrderNumber,
        mobile: MobileNumber,
    },
}

/// The application's screens.
#[derive(Debug)]
pub enum ApplicationInput {
    /// 申请证书及印章 on the home screen.
    Start,
    /// A customer's step (the runtime refuses anything a device, the store
    /// or the CA must say).
    Step(Box<ApplicationEvent>),
}

type Handler = Box<dyn FnMut(UiEvent)>;

/// What the adapters share: the handler, the language, the PIN digits and
/// what is shown (to redraw it in another language).
#[derive(Default)]
pub(crate) struct Shared {
    handler: RefCell<Option<Handler>>,
    pub(crate) lang: RefCell<Lang>,
    pub(crate) pin: RefCell<PinEntry>,
    pub(crate) shown: RefCell<Shown>,
}

#[derive(Default)]
pub(crate) struct Shown {
    pub(crate) renewal: Option<(RenewalState, ViewContext, bool)>,
    lookup: Option<LookupState>,
    status: Option<StatusView>,
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
        connect(&window, &shared);
        crate::home_adapter::connect(&window, &shared);
        crate::environment_adapter::connect(&window, &shared);
        crate::certificates_adapter::connect(&window, &shared);
        crate::pin_adapter::connect(&window, &shared);
        crate::confirm_adapter::connect(&window, &shared);
        crate::payment_adapter::connect(&window, &shared);
        crate::install_adapter::connect(&window, &shared);
        crate::lookup_adapter::connect(&window, &shared);
        crate::help_adapter::connect(&window, &shared);
        crate::help_adapter::show(&window, FaqCategory::Certificate, Lang::ZhCn);
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

    /// Switches the language of everything shown, fixed texts included.
    pub fn set_lang(&self, lang: Lang) {
        set_lang(&self.window, &self.shared, lang);
    }

    /// 长辈模式 on or off.
    pub fn set_large_mode(&self, on: bool) {
        self.window.global::<Theme>().set_large(on);
    }

    #[must_use]
    pub fn large_mode(&self) -> bool {
        self.window.global::<Theme>().get_large()
    }

    /// Shows the screen of a renewal state. `ctx.lang` is replaced by the
    /// language the customer chose; `key_in` says whether their key is still
    /// in the writer.
    pub fn show_renewal(&self, state: &RenewalState, ctx: &ViewContext, key_in: bool) {
        let ctx = ViewContext {
            lang: self.lang(),
            ..*ctx
        };
        let view = view_model::renewal_view(state, &ctx, key_in);
        if !matches!(view, RenewalView::Pin(_)) {
            self.shared.pin.borrow_mut().clear();
            crate::pin_adapter::show_entered(&self.window, 0);
        }
        show_renewal_view(&self.window, &self.shared, &view);
        self.shared.shown.borrow_mut().renewal = Some((state.clone(), ctx, key_in));
    }

    /// Shows the status strip.
    pub fn set_status(&self, status: &StatusView) {
        show_status(&self.window, status, self.lang());
        self.shared.shown.borrow_mut().status = Some(status.clone());
    }

    /// Shows the idle warning with the seconds left, or hides it.
    pub fn show_idle_warning(&self, seconds_left: Option<u32>) {
        let app = self.window.global::<AppAdapter>();
        app.set_idle_warning(seconds_left.is_some());
        app.set_idle_seconds(seconds_left.map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)));
    }

    /// The CA's download page for drivers and controls, shown as a QR code
    /// in 帮助中心 (empty: the card is hidden).
    pub fn set_downloads_url(&self, url: &str) {
        crate::help_adapter::set_downloads(&self.window, url);
    }

    /// Shows a message above the status strip (`None` clears it): something
    /// the customer must know now, e.g. that their key is still in.
    pub fn show_notice(&self, notice: Option<view_model::Notice>) {
        let text = notice.map_or_else(String::new, |n| view_model::notice_text(n, self.lang()));
        self.window
            .global::<AppAdapter>()
            .set_notice(text.as_str().into());
    }

    /// Shows 查询订单 as its flow stands.
    pub fn show_lookup(&self, state: &LookupState) {
        let before = self.shared.shown.borrow_mut().lookup.replace(state.clone());
        crate::lookup_adapter::show(&self.window, state, before.as_ref(), self.lang());
    }

    /// Shows the application as its flow stands. Its screens are not on the
    /// kiosk yet: 申请证书及印章 sends customers to the counter (see
    /// `home_adapter`), and an application resumed from the journal shows
    /// the same, with the way home (which ends it).
    pub fn show_application(&self, state: &ApplicationState) {
        if !matches!(state, ApplicationState::Home) {
            self.window
                .global::<AppAdapter>()
                .set_screen(Screen::ApplyAtCounter);
        }
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

fn wipe(window: &AppWindow, shared: &Shared) {
    shared.pin.borrow_mut().clear();
    crate::pin_adapter::show_entered(window, 0);
    crate::lookup_adapter::clear(window);
    crate::payment_adapter::clear(window);
    shared.shown.borrow_mut().renewal = None;
    shared.shown.borrow_mut().lookup = None;
    let app = window.global::<AppAdapter>();
    app.set_staff_called(false);
    app.set_idle_warning(false);
    app.set_notice("".into());
    app.set_screen(Screen::Home);
}

fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let app = window.global::<AppAdapter>();
    let weak = window.as_weak();
    let s = Rc::clone(shared);
    app.on_go_home(move || {
        if let Some(w) = weak.upgrade() {
            wipe(&w, &s);
        }
        s.emit(UiEvent::GoHome);
    });
    let s = Rc::clone(shared);
    app.on_large_mode_changed(move |on| s.emit(UiEvent::LargeModeChanged(on)));
    let weak = window.as_weak();
    let s = Rc::clone(shared);
    app.on_toggle_language(move || {
        if let Some(w) = weak.upgrade() {
            let lang = match s.lang() {
                Lang::ZhCn => Lang::En,
                Lang::En => Lang::ZhCn,
            };
            set_lang(&w, &s, lang);
            s.emit(UiEvent::LanguageChanged(lang));
        }
    });
    let s = Rc::clone(shared);
    let weak = window.as_weak();
    app.on_still_here(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_idle_warning(false);
        }
        s.emit(UiEvent::StillHere);
    });
    let s = Rc::clone(shared);
    let weak = window.as_weak();
    app.on_call_staff(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_staff_called(true);
        }
        s.emit(UiEvent::CallStaff);
    });
}

fn set_lang(window: &AppWindow, shared: &Shared, lang: Lang) {
    *shared.lang.borrow_mut() = lang;
    // "" selects the original texts (zh-CN); "en" the bundled English.
    let tag = match lang {
        Lang::ZhCn => "",
        Lang::En => "en",
    };
    // Fails only if no translation was bundled: then the texts stay zh-CN.
    let _ = slint::select_bundled_translation(tag);
    window.global::<AppAdapter>().set_english(lang == Lang::En);
    // Redraw what came from view models in the new language.
    let shown = shared.shown.borrow();
    if let Some((state, ctx, key_in)) = &shown.renewal {
        let ctx = ViewContext { lang, ..*ctx };
        let view = view_model::renewal_view(state, &ctx, *key_in);
        show_renewal_view(window, shared, &view);
    }
    if let Some(status) = &shown.status {
        show_status(window, status, lang);
    }
    crate::help_adapter::redraw(window, lang);
}

fn show_status(window: &AppWindow, status: &StatusView, lang: Lang) {
    let app = window.global::<AppAdapter>();
    app.set_online(status.online);
    app.set_queue(i32::try_from(status.queue).unwrap_or(i32::MAX));
    let rows: Vec<DeviceRow> = status
        .devices
        .iter()
        .map(|(d, health)| DeviceRow {
            name: view_model::device_name(*d, lang).into(),
            state: match health {
                None => 0,
                Some(true) => 1,
                Some(false) => 2,
            },
        })
        .collect();
    app.set_devices(ModelRc::new(VecModel::from(rows)));
}

fn show_renewal_view(window: &AppWindow, shared: &Shared, view: &RenewalView) {
    let app = window.global::<AppAdapter>();
    let screen = match view {
        RenewalView::Home => Screen::Home,
        RenewalView::Checking => Screen::Checking,
        RenewalView::Blocked(v) => {
            crate::environment_adapter::show(window, v);
            Screen::Blocked
        }
        RenewalView::Certificates(v) => {
            crate::certificates_adapter::show(window, v);
            Screen::Certificates
        }
        RenewalView::Pin(v) => {
            crate::pin_adapter::show(window, v, shared.pin.borrow().len());
            Screen::Pin
        }
        RenewalView::PinLocked => Screen::PinLocked,
        RenewalView::Confirm(v) => {
            crate::confirm_adapter::show(window, v);
            Screen::Confirm
        }
        RenewalView::Payment(v) => {
            crate::payment_adapter::show(window, v);
            Screen::Payment
        }
        RenewalView::Counter(v) => {
            crate::payment_adapter::show_counter(window, v);
            Screen::Counter
        }
        RenewalView::Installing(v) => {
            crate::install_adapter::show_installing(window, v);
            Screen::Installing
        }
        RenewalView::Recovery(v) => {
            crate::install_adapter::show_recovery(window, v);
            Screen::Recovery
        }
        RenewalView::Done(v) => {
            crate::install_adapter::show_done(window, v);
            Screen::Done
        }
    };
    app.set_screen(screen);
}
