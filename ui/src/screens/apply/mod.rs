//! 申请证书及印章: which of the application's screens shows its flow's
//! state, the agreement, and what every page shares (第N步, 上一步). The
//! form pages, the documents, the identity check and the review have their
//! own adapters beside this one.
#![forbid(unsafe_code)]

use crate::events::{ApplicationInput, UiEvent};
use crate::kiosk::Shared;
use crate::screens::apply_form::view::FormMemory;
use crate::screens::vocabulary::{int, receipt_state};
use crate::screens::{apply_form, capture, identity, pin, review, viewfinder};
use crate::{AgreementAdapter, AppAdapter, AppWindow, ApplyAdapter, ReviewAdapter, Screen};
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::{ApplicationEvent, ApplicationState, Draft, Page};
use kiosk_domain::order::application::Catalogue;
use kiosk_domain::order::attachment::AttachmentKind;
use slint::ComponentHandle;
use std::rc::Rc;

/// What the application's screens show and remember in this session.
#[derive(Debug, Default)]
pub(crate) struct ApplyShown {
    pub(crate) session: Option<SessionId>,
    pub(crate) draft: Option<Draft>,
    pub(crate) catalogue: Option<Catalogue>,
    /// The form page shown, and whether its unfinished fields speak (the
    /// customer pressed 下一步 on it).
    pub(crate) page: Option<Page>,
    pub(crate) reveal: bool,
    pub(crate) memory: FormMemory,
    /// The document preview shown (kind, size, which picture), so that it
    /// is converted once.
    pub(crate) preview: Option<(AttachmentKind, u32, u32, usize)>,
    /// The capture whose live view shows (its frames are dropped otherwise).
    pub(crate) live: Option<AttachmentKind>,
}

/// Hands a customer's step to the flow.
pub(crate) fn step(shared: &Shared, event: ApplicationEvent) {
    shared.emit(UiEvent::Application(ApplicationInput::Step(Box::new(
        event,
    ))));
}

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let s = Rc::clone(shared);
    window
        .global::<ApplyAdapter>()
        .on_back(move || step(&s, ApplicationEvent::Back));
    let s = Rc::clone(shared);
    window
        .global::<ApplyAdapter>()
        .on_continue_draft(move || step(&s, ApplicationEvent::ContinueDraft));
    let agreement = window.global::<AgreementAdapter>();
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    agreement.on_read_to_end(move || {
        // Once: the flow remembers it.
        if let Some(w) = weak.upgrade()
            && !w.global::<AgreementAdapter>().get_read()
        {
            w.global::<AgreementAdapter>().set_read(true);
            step(&s, ApplicationEvent::AgreementScrolledToEnd);
        }
    });
    let s = Rc::clone(shared);
    agreement.on_accept(move || step(&s, ApplicationEvent::AgreementAccepted));
    apply_form::connect(window, shared);
    capture::connect(window, shared);
    identity::connect(window, shared);
    viewfinder::connect(window, shared);
    review::connect(window, shared);
}

/// Shows the application as its flow stands.
pub(crate) fn show(
    window: &AppWindow,
    shared: &Shared,
    state: &ApplicationState,
    catalogue: &Catalogue,
) {
    let app = window.global::<AppAdapter>();
    {
        let mut shown = shared.apply.borrow_mut();
        if shown.session != state.session() {
            *shown = ApplyShown {
                session: state.session(),
                ..ApplyShown::default()
            };
        }
        shown.catalogue = Some(catalogue.clone());
    }
    viewfinder::show(window, shared, state);
    match state {
        ApplicationState::Home => {
            if is_application(app.get_screen()) {
                app.set_screen(Screen::Home);
            }
        }
        ApplicationState::Filling { page, draft, .. } => {
            shared.apply.borrow_mut().draft = Some((**draft).clone());
            let a = window.global::<ApplyAdapter>();
            a.set_step(int(page.index() + 1));
            a.set_steps(int(Page::ORDER.len()));
            let screen = match page {
                _ if draft.interrupted => Screen::ApplyResume,
                Page::Agreement => {
                    let g = window.global::<AgreementAdapter>();
                    g.set_text(catalogue.agreement.text.as_str().into());
                    g.set_version(catalogue.agreement.version.as_str().into());
                    g.set_read(draft.agreement_scrolled);
                    Screen::ApplyAgreement
                }
                Page::Attachments => {
                    capture::show(window, draft);
                    Screen::ApplyCapture
                }
                Page::IdentityCheck if draft.staff_check.is_some() => {
                    if let Some(pad) = identity::view::staff_pad(draft) {
                        pin::show(window, &pad, shared.pin.borrow().len());
                    }
                    Screen::Pin
                }
                Page::FaceConsent | Page::IdentityCheck => {
                    // The staff key's digits, if its pad was closed.
                    pin::clear(window, shared);
                    identity::show(window, draft, *page == Page::FaceConsent);
                    Screen::ApplyIdentity
                }
                Page::Review => {
                    review::show(window, draft, false);
                    Screen::ApplyReview
                }
                form => {
                    apply_form::show(window, shared, *form);
                    Screen::ApplyForm
                }
            };
            if screen != Screen::ApplyForm {
                shared.apply.borrow_mut().page = None;
            }
            app.set_screen(screen);
        }
        ApplicationState::Submitting { draft, .. } => {
            review::show(window, draft, true);
            app.set_screen(Screen::ApplyReview);
        }
        ApplicationState::Submitted { order, receipt, .. } => {
            let r = window.global::<ReviewAdapter>();
            r.set_order_number(order.to_string().into());
            r.set_receipt(receipt_state(*receipt));
            app.set_screen(Screen::ApplySubmitted);
        }
    }
}

fn is_application(screen: Screen) -> bool {
    matches!(
        screen,
        Screen::ApplyResume
            | Screen::ApplyAgreement
            | Screen::ApplyForm
            | Screen::ApplyCapture
            | Screen::ApplyIdentity
            | Screen::ApplyReview
            | Screen::ApplySubmitted
    )
}

/// Forgets the session's application: what was typed, chosen or shown.
pub(crate) fn clear(window: &AppWindow, shared: &Shared) {
    *shared.apply.borrow_mut() = ApplyShown::default();
    viewfinder::clear(window);
    apply_form::clear(window);
    capture::show_preview(window, shared, None);
    window.global::<AgreementAdapter>().set_read(false);
    review::clear(window);
}
