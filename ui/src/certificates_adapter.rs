//! 选择证书.
#![forbid(unsafe_code)]

use crate::app_adapter::{RenewalInput, Shared, UiEvent};
use crate::view_model::CertificatesView;
use crate::{AppWindow, CertificateRow, CertificatesAdapter};
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window.global::<CertificatesAdapter>().on_choose(move |i| {
        if let Ok(i) = usize::try_from(i) {
            s.emit(UiEvent::Renewal(RenewalInput::ChooseCertificate(i)));
        }
    });
}

pub(crate) fn show(window: &AppWindow, view: &CertificatesView) {
    let rows: Vec<CertificateRow> = view
        .items
        .iter()
        .map(|c| CertificateRow {
            holder: c.holder.as_str().into(),
            uscc: c.uscc_masked.as_str().into(),
            issuer: c.issuer.as_str().into(),
            serial: c.serial.as_str().into(),
            validity: c.validity.as_str().into(),
            verdict: c.verdict.as_str().into(),
            renewable: c.selectable,
            note: c.note.as_str().into(),
        })
        .collect();
    let adapter = window.global::<CertificatesAdapter>();
    adapter.set_rows(ModelRc::new(VecModel::from(rows)));
    adapter.set_offline(view.offline);
}
