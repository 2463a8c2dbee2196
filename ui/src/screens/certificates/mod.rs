//! 选择证书.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{RenewalInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppWindow, CertificatesAdapter};
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;
use view::CertificatesView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window.global::<CertificatesAdapter>().on_choose(move |i| {
        if let Ok(i) = usize::try_from(i) {
            s.emit(UiEvent::Renewal(RenewalInput::ChooseCertificate(i)));
        }
    });
}

pub(crate) fn show(window: &AppWindow, view: &CertificatesView) {
    let adapter = window.global::<CertificatesAdapter>();
    adapter.set_rows(ModelRc::new(VecModel::from(view.items.clone())));
    adapter.set_offline(view.offline);
}
