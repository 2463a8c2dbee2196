//! 上传附件: 拍摄 asks the flow for a capture of that document.
#![forbid(unsafe_code)]

pub mod view;

use crate::kiosk::Shared;
use crate::screens::apply::step;
use crate::{AppWindow, CaptureAdapter};
use kiosk_domain::flow::application::{ApplicationEvent, Draft};
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;
use view::capture_view;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<CaptureAdapter>();
    let s = Rc::clone(shared);
    a.on_capture(move |index| {
        let kind = {
            let shown = s.apply.borrow();
            let kinds = shown
                .draft
                .as_ref()
                .map(|d| capture_view(d).kinds)
                .unwrap_or_default();
            usize::try_from(index)
                .ok()
                .and_then(|i| kinds.get(i).copied())
        };
        if let Some(kind) = kind {
            step(&s, ApplicationEvent::CaptureRequested(kind));
        }
    });
    let s = Rc::clone(shared);
    a.on_next(move || step(&s, ApplicationEvent::AttachmentsDone));
}

pub(crate) fn show(window: &AppWindow, draft: &Draft) {
    let view = capture_view(draft);
    let a = window.global::<CaptureAdapter>();
    a.set_documents(ModelRc::new(VecModel::from(view.documents)));
    a.set_busy(view.busy);
    a.set_all_done(view.all_done);
}

/// Whether the kiosk has a camera to take documents with.
pub(crate) fn set_camera(window: &AppWindow, present: bool) {
    window.global::<CaptureAdapter>().set_no_camera(!present);
}
