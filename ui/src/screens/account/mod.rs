//! 企业账户: the pages' forms checked here before anything is sent; the
//! passwords and the code go with the request to the kiosk's adapter and
//! leave the screen once the CA answered.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{AccountInput, ApplicationInput, UiEvent};
use crate::kiosk::Shared;
use crate::{
    AccountAdapter, AccountField, AccountPage, AccountProblem, AccountSaid, AppAdapter, AppWindow,
    DocumentKind, ReviewDocument, Screen,
};
use kiosk_domain::flow::account::{AccountState, REVIEW_DOCUMENTS};
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::Frame;
use slint::{ComponentHandle, Image, ModelRc, Rgb8Pixel, SharedPixelBuffer, VecModel};
use std::rc::Rc;
use view::{FormProblem, Typed, account_view, code_request, page_of, request};

fn show_problem(a: &AccountAdapter<'_>, (problem, field): FormProblem) {
    a.set_problem(problem);
    a.set_problem_field(field);
}

/// The desk on show, if open.
fn desk(shared: &Shared) -> Option<Box<kiosk_domain::flow::account::Desk>> {
    match shared.shown.borrow().account.clone() {
        Some(AccountState::Open(desk)) => Some(desk),
        _ => None,
    }
}

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<AccountAdapter>();
    let s = Rc::clone(shared);
    a.on_show(move |page| s.emit(UiEvent::Account(AccountInput::Show(page_of(page)))));
    let s = Rc::clone(shared);
    a.on_sign_out(move || s.emit(UiEvent::Account(AccountInput::SignOut)));
    let s = Rc::clone(shared);
    a.on_accept(move || {
        s.emit(UiEvent::Account(AccountInput::AcceptCapture));
    });
    let s = Rc::clone(shared);
    a.on_capture(move |row| {
        if let Some(kind) = usize::try_from(row)
            .ok()
            .and_then(|i| REVIEW_DOCUMENTS.get(i))
        {
            s.emit(UiEvent::Account(AccountInput::Aim(*kind)));
        }
    });
    // Signed in: the application with the unit; else without an account.
    let s = Rc::clone(shared);
    a.on_apply(move || {
        let unit = desk(&s).and_then(|d| d.unit().cloned());
        s.emit(UiEvent::Application(match unit {
            Some(unit) => ApplicationInput::StartFor(unit),
            None => ApplicationInput::Start,
        }));
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_send_code(move || {
        let (Some(w), Some(desk)) = (weak.upgrade(), desk(&s)) else {
            return;
        };
        let a = w.global::<AccountAdapter>();
        let (uscc, mobile, code) = (a.get_typed_uscc(), a.get_typed_mobile(), a.get_code());
        let typed = Typed {
            uscc: &uscc,
            mobile: &mobile,
            code: &code,
            ..Typed::default()
        };
        match code_request(desk.page, &typed) {
            Ok(request) => {
                show_problem(&a, (AccountProblem::None, AccountField::None));
                s.emit(UiEvent::Account(AccountInput::Ask {
                    request,
                    secrets: crate::events::AccountSecrets::default(),
                }));
            }
            Err(problem) => show_problem(&a, problem),
        }
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_submit(move || {
        let (Some(w), Some(desk)) = (weak.upgrade(), desk(&s)) else {
            return;
        };
        let a = w.global::<AccountAdapter>();
        let texts = [
            a.get_typed_unit_name(),
            a.get_typed_uscc(),
            a.get_typed_mobile(),
            a.get_code(),
            a.get_password(),
            a.get_password_again(),
            a.get_old_password(),
        ];
        let typed = Typed {
            unit_name: &texts[0],
            uscc: &texts[1],
            mobile: &texts[2],
            code: &texts[3],
            password: &texts[4],
            password_again: &texts[5],
            old_password: &texts[6],
        };
        let signed_in = desk.unit().map(|u| &u.uscc);
        match request(desk.page, &typed, signed_in) {
            Ok((request, secrets)) => {
                show_problem(&a, (AccountProblem::None, AccountField::None));
                s.emit(UiEvent::Account(AccountInput::Ask { request, secrets }));
            }
            Err(problem) => show_problem(&a, problem),
        }
    });
}

/// A document held, as the screen draws it (converted once per picture).
fn preview(shared: &Shared, kind: AttachmentKind, frame: &Frame) -> Image {
    let key = std::ptr::from_ref(frame) as usize;
    let mut shown = shared.shown.borrow_mut();
    if let Some((_, _, image)) = shown
        .account_previews
        .iter()
        .find(|(k, p, _)| *k == kind && *p == key)
    {
        return image.clone();
    }
    let mut pixels = SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
    let n = pixels.as_bytes().len().min(frame.pixels.len());
    if let (Some(to), Some(from)) = (pixels.make_mut_bytes().get_mut(..n), frame.pixels.get(..n)) {
        to.copy_from_slice(from);
    }
    let image = Image::from_rgb8(pixels);
    shown.account_previews.retain(|(k, _, _)| *k != kind);
    shown.account_previews.push((kind, key, image.clone()));
    image
}

/// Shows 企业账户 as its flow stands, with 变更手机号's documents as held.
pub(crate) fn show(
    window: &AppWindow,
    shared: &Shared,
    state: &AccountState,
    before: Option<&AccountState>,
    previews: &[(AttachmentKind, &Frame)],
) {
    crate::screens::viewfinder::show_account(window, state, before);
    let Some(view) = account_view(state) else {
        shared.shown.borrow_mut().account_previews.clear();
        clear(window);
        return;
    };
    let app = window.global::<AppAdapter>();
    let opened = !matches!(before, Some(AccountState::Open(_)));
    if opened || app.get_screen() == Screen::Account {
        app.set_screen(Screen::Account);
    }
    let a = window.global::<AccountAdapter>();
    let before = before.and_then(account_view);
    let page_changed = before.as_ref().is_none_or(|b| b.page != view.page);
    // A request that used the passwords or the code was answered (a code
    // sent leaves the form as it is).
    let answered = before
        .as_ref()
        .is_some_and(|b| b.busy && !b.sending_code && !view.busy);
    if page_changed {
        show_problem(&a, (AccountProblem::None, AccountField::None));
    }
    // Passwords and codes leave the screen once used or the page changes;
    // the login name and the mobile stay (to sign in after registering,
    // to try another code).
    if page_changed || answered {
        a.set_password("".into());
        a.set_password_again("".into());
        a.set_old_password("".into());
        a.set_code("".into());
    }
    if page_changed && view.page == AccountPage::ChangeMobile {
        a.set_typed_mobile("".into());
    }
    a.set_page(view.page);
    a.set_busy(view.busy);
    a.set_offline(view.offline);
    a.set_said(view.said);
    a.set_said_secs(view.said_secs);
    a.set_signed_in(view.unit.is_some());
    let unit = view.unit.unwrap_or_default();
    a.set_unit_name(unit.unit_name.into());
    a.set_uscc(unit.uscc.into());
    a.set_mobile(unit.mobile.into());
    a.set_registered(unit.registered.into());
    let documents: Vec<ReviewDocument> = view
        .documents
        .iter()
        .map(|d| {
            let held = previews.iter().find(|(kind, _)| *kind == d.kind);
            ReviewDocument {
                kind: match d.kind {
                    AttachmentKind::BusinessLicence => DocumentKind::BusinessLicence,
                    _ => DocumentKind::HandlerId,
                },
                done: d.done,
                size_kb: d.size_kb,
                preview: held.map_or_else(Image::default, |(kind, frame)| {
                    preview(shared, *kind, frame)
                }),
                capturing: d.capturing,
                failed: d.failed,
            }
        })
        .collect();
    let checked = usize::try_from(view.checking)
        .ok()
        .and_then(|i| documents.get(i))
        .map(|d| d.preview.clone());
    a.set_checking_row(view.checking);
    a.set_checking_preview(checked.unwrap_or_default());
    a.set_documents(ModelRc::new(VecModel::from(documents)));
    a.set_documents_done(view.documents_done);
}

/// Forgets everything typed and shown.
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<AccountAdapter>();
    for set in [
        AccountAdapter::set_typed_unit_name,
        AccountAdapter::set_typed_uscc,
        AccountAdapter::set_typed_mobile,
        AccountAdapter::set_code,
        AccountAdapter::set_password,
        AccountAdapter::set_password_again,
        AccountAdapter::set_old_password,
        AccountAdapter::set_unit_name,
        AccountAdapter::set_uscc,
        AccountAdapter::set_mobile,
        AccountAdapter::set_registered,
    ] {
        set(&a, "".into());
    }
    a.set_page(AccountPage::SignIn);
    a.set_documents(ModelRc::default());
    a.set_documents_done(false);
    a.set_checking_row(-1);
    a.set_checking_preview(Image::default());
    a.set_signed_in(false);
    a.set_busy(false);
    a.set_offline(false);
    a.set_said(AccountSaid::None);
    a.set_said_secs(0);
    show_problem(&a, (AccountProblem::None, AccountField::None));
}
