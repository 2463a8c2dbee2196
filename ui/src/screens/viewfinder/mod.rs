//! The camera's live view (拍摄 on 上传附件, 开始拍摄 on 实人认证): the
//! frames the kiosk sends while the domain says the camera runs, the face
//! check's hint, 拍照 and 取消.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{AccountInput, UiEvent};
use crate::kiosk::Shared;
use crate::screens::apply::step;
use crate::{AppWindow, FaceHint, ViewfinderAdapter};
use kiosk_domain::flow::account::{self, AccountState};
use kiosk_domain::flow::application::{ApplicationEvent, ApplicationState};
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::{FaceGuidance, Frame};
use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer};
use std::rc::Rc;
use view::{ViewfinderView, account_viewfinder_view, face_hint, viewfinder_view};

/// The document 变更手机号 aims at, as last shown.
fn account_aim(shared: &Shared) -> Option<AttachmentKind> {
    shared
        .shown
        .borrow()
        .account
        .as_ref()
        .and_then(account::viewfinder)
        .map(|(_, kind)| kind)
}

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<ViewfinderAdapter>();
    let s = Rc::clone(shared);
    a.on_take(move || {
        let aimed = s.apply.borrow().draft.as_ref().and_then(|d| d.aiming);
        if let Some(kind) = aimed {
            step(&s, ApplicationEvent::CaptureRequested(kind));
        } else if let Some(kind) = account_aim(&s) {
            s.emit(UiEvent::Account(AccountInput::Capture(kind)));
        }
    });
    let s = Rc::clone(shared);
    a.on_cancel(move || {
        if account_aim(&s).is_some() {
            s.emit(UiEvent::Account(AccountInput::AimCancelled));
        } else {
            step(&s, ApplicationEvent::AimCancelled);
        }
    });
}

/// Opens or closes the live view as the application's `state` says;
/// closed, the last frame is dropped (it may show a face). A view closed
/// before and after is left alone (the account's may be open).
pub(crate) fn show(window: &AppWindow, shared: &Shared, state: &ApplicationState) {
    let view = viewfinder_view(state);
    let was = shared.apply.borrow().live;
    if was.is_none() && view.kind.is_none() {
        return;
    }
    if was != view.kind {
        clear(window);
        shared.apply.borrow_mut().live = view.kind;
    }
    set(window, &view);
}

/// The same for 变更手机号's documents (`before`: the state shown last).
pub(crate) fn show_account(
    window: &AppWindow,
    state: &AccountState,
    before: Option<&AccountState>,
) {
    let view = account_viewfinder_view(state);
    let was = before.and_then(|b| account_viewfinder_view(b).kind);
    if was.is_none() && view.kind.is_none() {
        return;
    }
    if was != view.kind {
        clear(window);
    }
    set(window, &view);
}

fn set(window: &AppWindow, view: &ViewfinderView) {
    let a = window.global::<ViewfinderAdapter>();
    a.set_open(view.kind.is_some());
    a.set_face(view.face);
    a.set_row(view.row);
    a.set_document(view.document);
    a.set_holder(view.holder);
    a.set_role(view.role);
}

/// Shows a frame of the camera's live view for `kind`, with what the face
/// check said of it; a frame for a view no longer open is dropped.
pub(crate) fn show_frame(
    window: &AppWindow,
    shared: &Shared,
    kind: AttachmentKind,
    frame: &Frame,
    guidance: Option<FaceGuidance>,
) {
    let open = shared.apply.borrow().live == Some(kind) || account_aim(shared) == Some(kind);
    if !open || !frame.is_consistent() {
        return;
    }
    let mut pixels = SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
    pixels.make_mut_bytes().copy_from_slice(&frame.pixels);
    let a = window.global::<ViewfinderAdapter>();
    a.set_frame(Image::from_rgb8(pixels));
    a.set_has_frame(true);
    a.set_hint(if kind.is_biometric() {
        face_hint(guidance)
    } else {
        FaceHint::None
    });
}

/// Closes the live view and forgets its last frame.
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<ViewfinderAdapter>();
    a.set_open(false);
    a.set_frame(Image::default());
    a.set_has_frame(false);
    a.set_hint(FaceHint::None);
}
