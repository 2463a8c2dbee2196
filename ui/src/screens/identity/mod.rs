//! 人脸识别授权 and 实人认证: the customer's answers to each consent, the
//! photo, and 下一步 once the check is done, queued or confirmed.
#![forbid(unsafe_code)]

pub mod view;

use crate::kiosk::Shared;
use crate::screens::apply::step;
use crate::{AppWindow, IdentityAdapter};
use kiosk_domain::flow::application::{ApplicationEvent, Draft};
use kiosk_domain::order::attachment::AttachmentKind;
use slint::ComponentHandle;
use std::rc::Rc;
use view::{handler_name, identity_stage};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<IdentityAdapter>();
    let s = Rc::clone(shared);
    a.on_consent(move |yes| step(&s, ApplicationEvent::FaceCaptureConsent(yes)));
    let s = Rc::clone(shared);
    a.on_take_photo(move || {
        step(&s, ApplicationEvent::AimRequested(AttachmentKind::Face));
    });
    let s = Rc::clone(shared);
    a.on_upload(move |yes| step(&s, ApplicationEvent::FaceUploadConsent(yes)));
    let s = Rc::clone(shared);
    a.on_next(move || step(&s, ApplicationEvent::IdentityDone));
    let s = Rc::clone(shared);
    a.on_staff_check(move || step(&s, ApplicationEvent::StaffCheckOpened));
    let s = Rc::clone(shared);
    a.on_staff_check_cancelled(move || step(&s, ApplicationEvent::StaffCheckCancelled));
}

pub(crate) fn show(window: &AppWindow, draft: &Draft, consent_page: bool) {
    let a = window.global::<IdentityAdapter>();
    a.set_consent_page(consent_page);
    a.set_stage(identity_stage(draft));
    a.set_handler_name(handler_name(draft).into());
    a.set_can_go_on(draft.identity_ready());
}
