//! 首页: the four services.
#![forbid(unsafe_code)]

use crate::app_adapter::{LookupInput, RenewalInput, Shared, UiEvent};
use crate::{AppAdapter, AppWindow, HomeAdapter, Screen};
use slint::ComponentHandle;
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let home = window.global::<HomeAdapter>();
    let s = Rc::clone(shared);
    home.on_renew(move || s.emit(UiEvent::Renewal(RenewalInput::Start)));
    let s = Rc::clone(shared);
    let weak = window.as_weak();
    home.on_apply(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::ApplyAtCounter);
        }
        s.emit(UiEvent::AwayFromHome);
    });
    let s = Rc::clone(shared);
    let weak = window.as_weak();
    home.on_lookup(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Lookup);
        }
        s.emit(UiEvent::Lookup(LookupInput::Open));
    });
    let s = Rc::clone(shared);
    let weak = window.as_weak();
    home.on_help(move || {
        if let Some(w) = weak.upgrade() {
            w.global::<AppAdapter>().set_screen(Screen::Help);
        }
        s.emit(UiEvent::AwayFromHome);
    });
}
