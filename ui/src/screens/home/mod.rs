//! 首页: the four services. (申请证书及印章 shows the apply-at-counter
//! screen: the application's screens are not on the kiosk yet.)
#![forbid(unsafe_code)]

use crate::events::{LookupInput, RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppAdapter, AppWindow, HomeAdapter, Screen};
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let home = window.global::<HomeAdapter>();
    let s = Rc::clone(shared);
    home.on_renew(move || s.emit(UiEvent::Renewal(RenewalInput::Start)));
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    home.on_apply(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::ApplyAtCounter);
        }
        s.emit(UiEvent::AwayFromHome);
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    home.on_lookup(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Lookup);
        }
        s.emit(UiEvent::Lookup(LookupInput::Open));
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    home.on_help(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Help);
        }
        s.emit(UiEvent::AwayFromHome);
    });
}
