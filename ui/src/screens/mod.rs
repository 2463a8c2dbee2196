//! One folder per screen: `mod.rs` is its adapter (connects the screen's
//! Slint global to [`UiEvent`](crate::UiEvent)s and sets what its view model
//! says), `view.rs` its view model (a pure function of domain values into
//! the screens' vocabulary, `ui/vocabulary.slint`, tested without a window).
//! Screens without domain values (home, help) have no view model.
#![forbid(unsafe_code)]

pub mod account;
pub mod app;
pub mod apply;
pub mod apply_form;
pub mod capture;
pub mod certificates;
pub mod confirm;
pub mod counter;
pub mod done;
pub mod environment;
pub mod fields;
pub mod help;
pub mod home;
pub mod identity;
pub mod install;
pub mod lookup;
pub mod payment;
pub mod pickup;
pub mod pin;
pub mod recovery;
pub mod renewal;
pub mod review;
pub mod staff;
pub mod technician;
pub mod viewfinder;
pub mod vocabulary;

use crate::AppWindow;
use crate::kiosk::Shared;
use std::rc::Rc;

/// Connects every screen's callbacks.
pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    app::connect(window, shared);
    home::connect(window, shared);
    environment::connect(window, shared);
    certificates::connect(window, shared);
    pin::connect(window, shared);
    confirm::connect(window, shared);
    payment::connect(window, shared);
    counter::connect(window, shared);
    recovery::connect(window, shared);
    done::connect(window, shared);
    lookup::connect(window, shared);
    pickup::connect(window, shared);
    apply::connect(window, shared);
    account::connect(window, shared);
    staff::connect(window, shared);
    technician::connect(window, shared);
    crate::keyboard::connect(window);
}
