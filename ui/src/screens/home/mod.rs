//! 首页: the four services, and 企业账户.
#![forbid(unsafe_code)]

use crate::events::{AccountInput, ApplicationInput, LookupInput, RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppAdapter, AppWindow, HomeAdapter, Screen};
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let home = window.global::<HomeAdapter>();
    let s = Rc::clone(shared);
    home.on_renew(move || s.emit(UiEvent::Renewal(RenewalInput::Start)));
    let s = Rc::clone(shared);
    home.on_apply(move || s.emit(UiEvent::Application(ApplicationInput::Start)));
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    home.on_lookup(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Lookup);
        }
        s.emit(UiEvent::Lookup(LookupInput::Open));
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    home.on_account(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Account);
        }
        s.emit(UiEvent::Account(AccountInput::Open));
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    home.on_help(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Help);
        }
        s.emit(UiEvent::AwayFromHome);
    });
}
