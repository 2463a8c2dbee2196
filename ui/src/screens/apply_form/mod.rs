//! The application's form pages: what is typed goes to the session's
//! memory and is checked at once by the domain's parsers; 下一步 hands the
//! page's values to the flow once they all parse.
#![forbid(unsafe_code)]

pub mod view;

use crate::kiosk::Shared;
use crate::screens::apply::step;
use crate::{AppWindow, ApplyFormAdapter, ApplyRow, SealRoleKind};
use kiosk_domain::flow::application::Page;
use kiosk_domain::order::application::SealRole;
use slint::{ComponentHandle, Model, ModelRc, VecModel};
use std::rc::Rc;
use view::{FormView, MAX_HOLDERS, form_page, form_view};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<ApplyFormAdapter>();
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_edited(move |index, text| {
        let Some(w) = weak.upgrade() else { return };
        let row = usize::try_from(index)
            .ok()
            .and_then(|i| w.global::<ApplyFormAdapter>().get_rows().row_data(i));
        if let Some(row) = row {
            let holder = usize::try_from(row.holder).unwrap_or(0);
            s.apply
                .borrow_mut()
                .memory
                .set_typed(row.field, holder, &text);
        }
        refresh(&w, &s);
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_choose_project(move |index| {
        let Some(w) = weak.upgrade() else { return };
        if let Ok(index) = usize::try_from(index) {
            s.apply.borrow_mut().memory.choose_project(index);
        }
        refresh(&w, &s);
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_choose_mail(move |by_mail| {
        let Some(w) = weak.upgrade() else { return };
        s.apply.borrow_mut().memory.choose_mail(by_mail);
        refresh(&w, &s);
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_add_holder(move |role| {
        let Some(w) = weak.upgrade() else { return };
        let role = match role {
            SealRoleKind::Trader => SealRole::Trader,
            SealRoleKind::Settler => SealRole::Settler,
        };
        {
            let mut shown = s.apply.borrow_mut();
            let draft = shown.draft.clone().unwrap_or_default();
            shown.memory.add_holder(&draft, role);
        }
        refresh(&w, &s);
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_remove_holder(move |index| {
        let Some(w) = weak.upgrade() else { return };
        if let Ok(index) = usize::try_from(index) {
            let mut shown = s.apply.borrow_mut();
            let draft = shown.draft.clone().unwrap_or_default();
            shown.memory.remove_holder(&draft, index);
        }
        refresh(&w, &s);
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    a.on_next(move || {
        let Some(w) = weak.upgrade() else { return };
        // Asked to go on: every field that is not right says why.
        s.apply.borrow_mut().reveal = true;
        if let Some(event) = refresh(&w, &s).and_then(|v| v.event) {
            step(&s, event);
        }
    });
    window
        .global::<ApplyFormAdapter>()
        .set_max_holders(i32::try_from(MAX_HOLDERS).unwrap_or(8));
}

/// Shows form page `page` (a page shown anew starts quiet).
pub(crate) fn show(window: &AppWindow, shared: &Shared, page: Page) {
    {
        let mut shown = shared.apply.borrow_mut();
        if shown.page != Some(page) {
            shown.page = Some(page);
            shown.reveal = false;
        }
    }
    refresh(window, shared);
}

/// Computes the page from the memory and the draft and shows it.
fn refresh(window: &AppWindow, shared: &Shared) -> Option<FormView> {
    let view = {
        let shown = shared.apply.borrow();
        let page = form_page(shown.page?)?;
        form_view(
            page,
            shown.draft.as_ref()?,
            shown.catalogue.as_ref()?,
            &shown.memory,
            shown.reveal,
        )
    };
    let a = window.global::<ApplyFormAdapter>();
    a.set_page(view.page);
    set_rows(&a, &view.rows);
    a.set_projects(ModelRc::new(VecModel::from(view.projects.clone())));
    a.set_chosen_project(view.chosen_project);
    a.set_prices_date(view.prices_date.as_str().into());
    a.set_by_mail(view.by_mail);
    a.set_attention(view.attention);
    a.set_attention_empty(view.attention_empty);
    a.set_choice_missing(view.choice_missing);
    Some(view)
}

/// Updates the rows in place when the page keeps its fields (a field
/// being typed in keeps its focus), else shows the new ones.
fn set_rows(a: &ApplyFormAdapter<'_>, rows: &[ApplyRow]) {
    let model = a.get_rows();
    let same = model.row_count() == rows.len()
        && rows.iter().enumerate().all(|(i, r)| {
            model
                .row_data(i)
                .is_some_and(|m| m.field == r.field && m.holder == r.holder)
        });
    if same {
        for (i, row) in rows.iter().enumerate() {
            if model.row_data(i).as_ref() != Some(row) {
                model.set_row_data(i, row.clone());
            }
        }
    } else {
        a.set_rows(ModelRc::new(VecModel::from(rows.to_vec())));
    }
}

pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<ApplyFormAdapter>();
    a.set_rows(ModelRc::default());
    a.set_chosen_project(-1);
}
