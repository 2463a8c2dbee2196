//! 上传附件: 拍摄 opens the camera's live view for that document (拍照
//! there asks the flow for the capture).
#![forbid(unsafe_code)]

pub mod view;

use crate::kiosk::Shared;
use crate::screens::apply::step;
use crate::screens::vocabulary::receipt_state;
use crate::{AppWindow, CaptureAdapter};
use kiosk_domain::flow::application::{ApplicationEvent, Draft};
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::Frame;
use slint::{ComponentHandle, Image, ModelRc, Rgb8Pixel, SharedPixelBuffer, VecModel};
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
            step(&s, ApplicationEvent::AimRequested(kind));
        }
    });
    let s = Rc::clone(shared);
    a.on_next(move || step(&s, ApplicationEvent::AttachmentsDone));
    let s = Rc::clone(shared);
    a.on_print_form(move || step(&s, ApplicationEvent::PrintForm));
}

pub(crate) fn show(window: &AppWindow, draft: &Draft) {
    let view = capture_view(draft);
    let a = window.global::<CaptureAdapter>();
    a.set_documents(ModelRc::new(VecModel::from(view.documents)));
    a.set_busy(view.busy);
    a.set_all_done(view.all_done);
    a.set_form_asked(draft.form_print.is_some());
    a.set_form_print(receipt_state(draft.form_print.flatten()));
}

/// Shows the last document photographed (`None`: none, or not this
/// session's any more). The picture is converted only when it changed.
pub(crate) fn show_preview(
    window: &AppWindow,
    shared: &Shared,
    preview: Option<(AttachmentKind, &Frame)>,
) {
    let a = window.global::<CaptureAdapter>();
    let mut shown = shared.apply.borrow_mut();
    let Some((kind, frame)) = preview else {
        shown.preview = None;
        a.set_preview_row(-1);
        return;
    };
    let row = shown
        .draft
        .as_ref()
        .and_then(|d| capture_view(d).kinds.iter().position(|k| *k == kind));
    let Some(row) = row else {
        a.set_preview_row(-1);
        return;
    };
    let key = (
        kind,
        frame.width,
        frame.height,
        std::ptr::from_ref(frame) as usize,
    );
    if shown.preview != Some(key) {
        let mut pixels = SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
        let n = pixels.as_bytes().len().min(frame.pixels.len());
        if let (Some(to), Some(from)) =
            (pixels.make_mut_bytes().get_mut(..n), frame.pixels.get(..n))
        {
            to.copy_from_slice(from);
        }
        a.set_preview(Image::from_rgb8(pixels));
        shown.preview = Some(key);
    }
    a.set_preview_row(i32::try_from(row).unwrap_or(-1));
}

/// Whether the kiosk has a camera to take documents with.
pub(crate) fn set_camera(window: &AppWindow, present: bool) {
    window.global::<CaptureAdapter>().set_no_camera(!present);
}
