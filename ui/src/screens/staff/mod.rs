//! 工作人员: staff mode's menu, and the PIN pad for its sign-in and unblock
//! (the renewal's pad, with staff mode's reasons).
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{StaffInput, UiEvent};
use crate::kiosk::Shared;
use crate::screens::pin;
use crate::{AppAdapter, AppWindow, Screen, StaffAdapter, StaffPage};
use kiosk_domain::flow::staff::StaffState;
use kiosk_domain::ports::counter::CounterMethod;
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;
use view::{StaffScreen, staff_view};

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<StaffAdapter>();
    let s = Rc::clone(shared);
    a.on_open(move || s.emit(UiEvent::Staff(StaffInput::Open)));
    let s = Rc::clone(shared);
    a.on_unblock(move || s.emit(UiEvent::Staff(StaffInput::StartUnblock)));
    let s = Rc::clone(shared);
    a.on_menu(move || s.emit(UiEvent::Staff(StaffInput::Menu)));
    let s = Rc::clone(shared);
    a.on_sign_out(move || s.emit(UiEvent::Staff(StaffInput::SignOut)));
    let s = Rc::clone(shared);
    a.on_queue(move || s.emit(UiEvent::Staff(StaffInput::StartQueue)));
    let s = Rc::clone(shared);
    a.on_retry(move |number| {
        // The screen lists only numbers the store gave it.
        if let Ok(number) = number.as_str().parse() {
            s.emit(UiEvent::Staff(StaffInput::RetryUpload(number)));
        }
    });
    let s = Rc::clone(shared);
    a.on_counter(move || s.emit(UiEvent::Staff(StaffInput::StartCounter)));
    let s = Rc::clone(shared);
    a.on_choose_counter(move |number| {
        // The screen lists only numbers the store gave it.
        if let Ok(number) = number.as_str().parse() {
            s.emit(UiEvent::Staff(StaffInput::ChooseCounter(number)));
        }
    });
    let s = Rc::clone(shared);
    a.on_confirm_counter(move |bank, reference| {
        s.emit(UiEvent::Staff(StaffInput::ConfirmCounter {
            method: if bank {
                CounterMethod::BankTransfer
            } else {
                CounterMethod::Counter
            },
            reference: reference.to_string(),
        }));
    });
    let s = Rc::clone(shared);
    a.on_cancel_counter(move || s.emit(UiEvent::Staff(StaffInput::CancelCounter)));
    let s = Rc::clone(shared);
    a.on_cancel_order(move |number| {
        // The screen lists only numbers the store gave it.
        if let Ok(number) = number.as_str().parse() {
            s.emit(UiEvent::Staff(StaffInput::CancelOrder(number)));
        }
    });
    let s = Rc::clone(shared);
    a.on_confirm_cancel_order(move || s.emit(UiEvent::Staff(StaffInput::ConfirmCancelOrder)));
    let s = Rc::clone(shared);
    a.on_reprints(move || s.emit(UiEvent::Staff(StaffInput::StartReprint)));
    let s = Rc::clone(shared);
    a.on_reprint(move |number| {
        // The screen lists only numbers the store gave it.
        if let Ok(number) = number.as_str().parse() {
            s.emit(UiEvent::Staff(StaffInput::Reprint(number)));
        }
    });
}

pub(crate) fn show(window: &AppWindow, shared: &Shared, state: &StaffState) {
    let screen = match staff_view(state) {
        // Locked: the other flows say what to show.
        StaffScreen::Home => return,
        StaffScreen::Technician(v) => {
            pin::clear(window, shared);
            crate::screens::technician::show(window, &v);
            return;
        }
        StaffScreen::Pin(v) => {
            pin::show(window, &v, shared.pin.borrow().len());
            Screen::Pin
        }
        StaffScreen::Menu(v) => {
            pin::clear(window, shared);
            let a = window.global::<StaffAdapter>();
            a.set_member(v.member.as_str().into());
            a.set_may_unblock(v.may_unblock);
            a.set_page(v.page);
            a.set_lock_minutes(v.lock_minutes);
            a.set_orders(ModelRc::new(VecModel::from(v.reprint.orders)));
            a.set_listing(v.reprint.listing);
            a.set_printing(v.reprint.printing.as_str().into());
            a.set_last_order(v.reprint.last_order.as_str().into());
            a.set_last_receipt(v.reprint.last_receipt);
            a.set_uploads(ModelRc::new(VecModel::from(v.queue.uploads)));
            a.set_queue_listing(v.queue.listing);
            a.set_retrying(v.queue.retrying.as_str().into());
            a.set_last_retried(v.queue.last_retried.as_str().into());
            a.set_last_waiting(v.queue.last_waiting);
            a.set_payables(ModelRc::new(VecModel::from(v.counter.orders)));
            a.set_payables_listing(v.counter.listing);
            a.set_counter_order(v.counter.order.as_str().into());
            a.set_counter_amount(v.counter.amount.as_str().into());
            a.set_counter_reference_missing(v.counter.reference_missing);
            a.set_counter_last_order(v.counter.last_order.as_str().into());
            a.set_counter_said(v.counter.said);
            Screen::Staff
        }
    };
    window.global::<AppAdapter>().set_screen(screen);
}

/// Forgets who was signed in.
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<StaffAdapter>();
    a.set_member("".into());
    a.set_may_unblock(false);
    a.set_page(StaffPage::Menu);
    a.set_orders(ModelRc::default());
    a.set_printing("".into());
    a.set_last_order("".into());
    a.set_uploads(ModelRc::default());
    a.set_retrying("".into());
    a.set_last_retried("".into());
    a.set_payables(ModelRc::default());
    a.set_counter_order("".into());
    a.set_counter_last_order("".into());
    a.set_counter_said(crate::CounterSaid::None);
    a.set_counter_bank(false);
    a.set_counter_reference("".into());
}
