//! 查询订单 in the runtime: its executor (the camera reading a receipt's QR
//! code on the blocking pool, the store searched on the flow thread) and
//! its binding to the screens.

use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use kiosk_config::CameraSource;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::driver::{Executor, Flow, Journal, Ran, Saved, Ticket};
use kiosk_domain::flow::lookup::{Lookup, LookupEffect, LookupEvent, LookupState};
use kiosk_domain::ports::store::OrderStore;
use kiosk_ui::{LookupInput, UiEvent};
use std::any::Any;
use std::time::Duration;

/// How long the camera looks for a receipt's QR code.
pub const SCAN_LIMIT: Duration = Duration::from_secs(15);

/// 查询订单's executor.
pub struct LookupExecutor<S> {
    store: S,
    camera: CameraSource,
    follow_url_base: String,
    answers: Answers,
    notices: Vec<Notice>,
}

impl<S> std::fmt::Debug for LookupExecutor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupExecutor").finish_non_exhaustive()
    }
}

impl<S: OrderStore> LookupExecutor<S> {
    #[must_use]
    pub fn new(store: S, camera: CameraSource, follow_url_base: String, answers: Answers) -> Self {
        Self {
            store,
            camera,
            follow_url_base,
            answers,
            notices: Vec::new(),
        }
    }
}

impl<S: OrderStore> Journal<LookupState, LookupEffect> for LookupExecutor<S> {
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<LookupState, LookupEffect>) -> Result<(), S::Error> {
        save_journal::<Lookup, S>(&mut self.store, saved)
    }
}

impl<S: OrderStore> Executor<LookupEffect, LookupEvent> for LookupExecutor<S> {
    type Error = std::convert::Infallible;

    fn run(
        &mut self,
        effect: &LookupEffect,
        ticket: Ticket,
    ) -> Result<Ran<LookupEvent>, Self::Error> {
        Ok(match effect {
            LookupEffect::ScanReceipt { .. } => {
                let camera = self.camera.clone();
                let base = self.follow_url_base.clone();
                self.answers.spawn_blocking(Lookup::NAME, ticket, move || {
                    let read = crate::devices::scan_receipt(&camera, &base, SCAN_LIMIT);
                    if let Err(e) = &read {
                        tracing::info!(reason = ?e, "no receipt read");
                    }
                    LookupEvent::Scanned(read)
                });
                Ran::Started
            }
            LookupEffect::FindOrder { number, mobile } => {
                Ran::Answered(Some(match self.store.find_order(number, mobile) {
                    Ok(found) => LookupEvent::Searched(found.map(Box::new)),
                    Err(e) => {
                        tracing::error!(error = %e, "lookup failed in the store");
                        LookupEvent::SearchFailed
                    }
                }))
            }
            LookupEffect::WipeSession => {
                self.notices.push(Notice::SessionWiped);
                Ran::Answered(None)
            }
        })
    }
}

impl<S: OrderStore + Send> FlowExecutor<Lookup> for LookupExecutor<S> {
    fn finish(
        &mut self,
        answer: Box<dyn Any + Send>,
    ) -> Result<Option<LookupEvent>, std::convert::Infallible> {
        Ok(answer.downcast::<LookupEvent>().ok().map(|e| *e))
    }

    fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }
}

/// 查询订单's screens.
#[derive(Debug, Default)]
pub struct LookupBinding;

impl<S: OrderStore + Send> Binding<Lookup, LookupExecutor<S>> for LookupBinding {
    fn event(
        &mut self,
        ui: UiEvent,
        _state: &LookupState,
        _exec: &mut LookupExecutor<S>,
    ) -> Result<LookupEvent, UiEvent> {
        let UiEvent::Lookup(input) = ui else {
            return Err(ui);
        };
        Ok(match input {
            LookupInput::Open => LookupEvent::Open(SessionId(crate::renewal::random_u64())),
            LookupInput::Scan => LookupEvent::Scan,
            LookupInput::Find { number, mobile } => LookupEvent::Find { number, mobile },
        })
    }

    fn view(&self, state: &LookupState, _exec: &LookupExecutor<S>, _cx: &Cx) -> UiUpdate {
        UiUpdate::Lookup(Box::new(state.clone()))
    }
}
