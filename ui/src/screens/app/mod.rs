//! The window as a whole (`AppAdapter`): header (language, 长辈模式, home),
//! the status strip, the notice above it, the idle warning, 呼叫工作人员.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::UiEvent;
use crate::kiosk::{Shared, wipe};
use crate::{AppAdapter, AppWindow};
use kiosk_domain::flow::staff_call::CallView;
use kiosk_domain::lang::Lang;
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;
use view::{Notice, StatusView};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let app = window.global::<AppAdapter>();
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    app.on_go_home(move || {
        if let Some(w) = weak.upgrade() {
            wipe(&w, &s);
        }
        s.emit(UiEvent::GoHome);
    });
    let s = Rc::clone(shared);
    app.on_large_mode_changed(move |on| s.emit(UiEvent::LargeModeChanged(on)));
    let (s, weak) = (Rc::clone(shared), window.as_weak());
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
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    app.on_still_here(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_idle_warning(false);
        }
        s.emit(UiEvent::StillHere);
    });
    // The call goes to the runtime with the screen it was made on; what the
    // notice says comes back from it (`show_staff_call`), never from here.
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    app.on_call_staff(move || {
        if let Some(w) = weak.upgrade() {
            let screen = view::call_screen(w.global::<AppAdapter>().get_screen());
            s.emit(UiEvent::CallStaff(screen));
        }
    });
}

pub(crate) fn show_staff_call(window: &AppWindow, call: CallView) {
    window
        .global::<AppAdapter>()
        .set_staff_call(view::staff_call(call));
}

/// Switches the language. Every text is an `@tr` in the `.slint` files, so
/// selecting the bundled translation redraws them all, those chosen by the
/// view models' enums included; Rust holds no text to redraw.
pub(crate) fn set_lang(window: &AppWindow, shared: &Shared, lang: Lang) {
    *shared.lang.borrow_mut() = lang;
    // "" selects the original texts (zh-CN); "en" the bundled English.
    let tag = match lang {
        Lang::ZhCn => "",
        Lang::En => "en",
    };
    // Fails only if no translation was bundled: then the texts stay zh-CN.
    let _ = slint::select_bundled_translation(tag);
    window.global::<AppAdapter>().set_english(lang == Lang::En);
}

pub(crate) fn show_status(window: &AppWindow, status: &StatusView) {
    let v = view::strip_view(status);
    let app = window.global::<AppAdapter>();
    app.set_online(v.online);
    app.set_queue(v.queue);
    app.set_devices(ModelRc::new(VecModel::from(v.devices)));
}

pub(crate) fn show_notice(window: &AppWindow, notice: Option<Notice>) {
    window
        .global::<AppAdapter>()
        .set_notice(view::notice_message(notice));
}

pub(crate) fn show_idle_warning(window: &AppWindow, seconds_left: Option<u32>) {
    let app = window.global::<AppAdapter>();
    app.set_idle_warning(seconds_left.is_some());
    app.set_idle_seconds(seconds_left.map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)));
}
