//! 查询订单: order number + mobile, checked here; the result masked.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{LookupInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppAdapter, AppWindow, LookupAdapter, LookupProblem, OrderSummary, Screen};
use kiosk_domain::flow::lookup::LookupState;
use slint::ComponentHandle;
use std::rc::Rc;
use view::{FormProblem, lookup_view, parse_lookup};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window.global::<LookupAdapter>().on_scan(move || {
        if let Some(w) = weak.upgrade() {
            let a = w.global::<LookupAdapter>();
            show_problem(&a, &FormProblem::default());
            a.set_scanning(true);
        }
        s.emit(UiEvent::Lookup(LookupInput::Scan));
    });
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window
        .global::<LookupAdapter>()
        .on_search(move |number, mobile| {
            let Some(w) = weak.upgrade() else { return };
            let a = w.global::<LookupAdapter>();
            show_result(&a, None);
            match parse_lookup(&number, &mobile) {
                Ok((number, mobile)) => {
                    show_problem(&a, &FormProblem::default());
                    a.set_searching(true);
                    s.emit(UiEvent::Lookup(LookupInput::Find { number, mobile }));
                }
                Err(problem) => show_problem(&a, &problem),
            }
        });
}

fn show_problem(a: &LookupAdapter<'_>, problem: &FormProblem) {
    a.set_problem(problem.problem);
    a.set_detail(problem.detail.clone());
}

fn show_result(a: &LookupAdapter<'_>, result: Option<OrderSummary>) {
    a.set_found(result.is_some());
    a.set_result(result.unwrap_or_default());
}

/// Shows 查询订单 as its flow stands: the camera's reading, the search.
pub(crate) fn show(window: &AppWindow, state: &LookupState, before: Option<&LookupState>) {
    let Some(view) = lookup_view(state, before) else {
        clear(window);
        return;
    };
    // Just opened: the flow's word puts 查询订单 on screen, also when an
    // update of the flow the customer left (sent before the tap) is applied
    // after the tile had switched screens.
    if !matches!(before, Some(LookupState::Open { .. })) {
        window.global::<AppAdapter>().set_screen(Screen::Lookup);
    }
    let a = window.global::<LookupAdapter>();
    a.set_scanning(view.scanning);
    a.set_searching(view.searching);
    if let Some(number) = &view.fill_number {
        a.set_order_number(number.as_str().into());
    }
    show_problem(&a, &view.problem);
    show_result(&a, view.result);
}

pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<LookupAdapter>();
    a.set_order_number("".into());
    a.set_mobile("".into());
    show_problem(&a, &LookupProblem::None.into());
    a.set_searching(false);
    a.set_scanning(false);
    show_result(&a, None);
}
