//! The renewal flow's screens: shows a state on the screen its view model
//! picks ([`view::renewal_view`]).
#![forbid(unsafe_code)]

pub mod view;

use crate::kiosk::Shared;
use crate::screens::{
    certificates, confirm, counter, done, environment, install, payment, pin, recovery,
};
use crate::{AppAdapter, AppWindow, Screen};
use kiosk_domain::flow::renewal::RenewalState;
use slint::ComponentHandle;
use view::{RenewalView, ViewContext, renewal_view};

pub(crate) fn show(
    window: &AppWindow,
    shared: &Shared,
    state: &RenewalState,
    ctx: &ViewContext,
    key_in: bool,
) {
    let view = renewal_view(state, ctx, key_in);
    if !matches!(view, RenewalView::Pin(_)) {
        // Digits typed for an earlier PIN screen never count for a later one.
        pin::clear(window, shared);
    }
    if matches!(view, RenewalView::Home | RenewalView::Checking) {
        // A new customer finds the form empty.
        confirm::clear(window, shared);
    }
    let screen = match &view {
        RenewalView::Home => Screen::Home,
        RenewalView::Checking => Screen::Checking,
        RenewalView::Blocked(v) => {
            environment::show(window, v);
            Screen::Blocked
        }
        RenewalView::Certificates(v) => {
            certificates::show(window, v);
            Screen::Certificates
        }
        RenewalView::Pin(v) => {
            pin::show(window, v, shared.pin.borrow().len());
            Screen::Pin
        }
        RenewalView::PinLocked => Screen::PinLocked,
        RenewalView::Confirm(v) => {
            confirm::show(window, shared, v);
            Screen::Confirm
        }
        RenewalView::Payment(v) => {
            payment::show(window, v);
            Screen::Payment
        }
        RenewalView::Counter(v) => {
            counter::show(window, v);
            Screen::Counter
        }
        RenewalView::Installing(v) => {
            install::show(window, v);
            Screen::Installing
        }
        RenewalView::Recovery(v) => {
            recovery::show(window, v);
            Screen::Recovery
        }
        RenewalView::Done(v) => {
            done::show(window, v);
            Screen::Done
        }
    };
    window.global::<AppAdapter>().set_screen(screen);
    shared.shown.borrow_mut().renewal = Some(state.clone());
}
