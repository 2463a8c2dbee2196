//! 查询订单 in the runtime: its executor (the camera reading a receipt's QR
//! code on the blocking pool, the CA asked on the sync runtime, the store
//! searched on the flow thread) and its binding to the screens.

use crate::clock::Clock;
use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use kiosk_config::CameraSource;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::driver::{Executor, Flow, Journal, Ran, Saved, Ticket};
use kiosk_domain::flow::lookup::{CaAnswer, Lookup, LookupEffect, LookupEvent, LookupState};
use kiosk_domain::money::Fen;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::ca::{CaError, CaPort, PaymentAnswer, PaymentInfo};
use kiosk_domain::ports::store::OrderStore;
use kiosk_ui::{LookupInput, UiEvent};
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

/// How long the camera looks for a receipt's QR code.
pub const SCAN_LIMIT: Duration = Duration::from_secs(15);

/// 查询订单's executor.
pub struct LookupExecutor<S, C> {
    store: S,
    /// `None`: this kiosk has no CA configured.
    ca: Option<C>,
    camera: CameraSource,
    follow_url_base: String,
    answers: Answers,
    clock: Arc<dyn Clock>,
    notices: Vec<Notice>,
}

impl<S, C> std::fmt::Debug for LookupExecutor<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupExecutor").finish_non_exhaustive()
    }
}

impl<S: OrderStore, C> LookupExecutor<S, C> {
    #[must_use]
    pub fn new(
        store: S,
        ca: Option<C>,
        camera: CameraSource,
        follow_url_base: String,
        answers: Answers,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            ca,
            camera,
            follow_url_base,
            answers,
            clock,
            notices: Vec::new(),
        }
    }
}

impl<S: OrderStore, C> Journal<LookupState, LookupEffect> for LookupExecutor<S, C> {
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<LookupState, LookupEffect>) -> Result<(), S::Error> {
        save_journal::<Lookup, S>(&mut self.store, saved)
    }
}

impl<S: OrderStore, C: CaPort> Executor<LookupEffect, LookupEvent> for LookupExecutor<S, C> {
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
            LookupEffect::AskCa { number, mobile } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(LookupEvent::CaAnswered(
                        CaAnswer::NotAsked,
                    ))));
                };
                let (number, mobile) = (*number, mobile.clone());
                self.answers.spawn(Lookup::NAME, ticket, async move {
                    LookupEvent::CaAnswered(match ca.lookup(number, &mobile).await {
                        Ok(Some(order)) => CaAnswer::Found(Box::new(order)),
                        Ok(None) => CaAnswer::NoSuchOrder,
                        Err(e) => {
                            tracing::info!(error = %e, "the CA was not asked about an order");
                            CaAnswer::NotAsked
                        }
                    })
                });
                Ran::Started
            }
            LookupEffect::OpenPayment { number, amount } => {
                self.payment(ticket, *number, *amount, None)
            }
            LookupEffect::CheckPayment {
                number,
                amount,
                payment_id,
            } => self.payment(ticket, *number, *amount, Some(payment_id.clone())),
            LookupEffect::NoteRemittance {
                number,
                amount,
                payer,
                reference,
            } => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(LookupEvent::RemittanceAnswered(false))));
                };
                let (number, amount) = (*number, *amount);
                let (payer, reference) = (payer.clone(), reference.clone());
                self.answers.spawn(Lookup::NAME, ticket, async move {
                    let noted = ca.note_remittance(number, amount, &payer, &reference).await;
                    if let Err(e) = &noted {
                        tracing::info!(order = %number, error = %e, "the bank transfer was not noted");
                    }
                    LookupEvent::RemittanceAnswered(noted.is_ok())
                });
                Ran::Started
            }
            LookupEffect::SearchKiosk { number, mobile } => {
                let found = self
                    .store
                    .find_order(number, mobile)
                    .and_then(|order| Ok((order, self.store.heard_from_ca()?)));
                Ran::Answered(Some(match found {
                    Ok((order, heard_at)) => LookupEvent::Searched {
                        order: order.map(Box::new),
                        heard_at,
                    },
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

impl<S, C: CaPort> LookupExecutor<S, C> {
    /// Opens (`payment_id` `None`) or checks the order's QR payment at the
    /// CA; its answer in the domain's words.
    fn payment(
        &self,
        ticket: Ticket,
        number: OrderNumber,
        amount: Fen,
        payment_id: Option<String>,
    ) -> Ran<LookupEvent> {
        let Some(ca) = self.ca.clone() else {
            return Ran::Answered(Some(LookupEvent::PaymentAnswered(None)));
        };
        let clock = Arc::clone(&self.clock);
        self.answers.spawn(Lookup::NAME, ticket, async move {
            let found: Result<PaymentInfo, CaError> = match &payment_id {
                None => ca.create_payment(number, amount).await,
                Some(id) => ca.payment(id).await,
            };
            LookupEvent::PaymentAnswered(match found {
                Ok(info) => {
                    let answer = info.answer(number, amount, clock.wall());
                    if let PaymentAnswer::Unusable(e) = &answer {
                        tracing::warn!(order = %number, error = %e, "a payment the kiosk cannot record");
                    }
                    Some(answer)
                }
                Err(e) => {
                    tracing::info!(order = %number, error = %e, "the CA was not asked about a payment");
                    None
                }
            })
        });
        Ran::Started
    }
}

impl<S: OrderStore + Send, C: CaPort> FlowExecutor<Lookup> for LookupExecutor<S, C> {
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

impl<S: OrderStore + Send, C: CaPort> Binding<Lookup, LookupExecutor<S, C>> for LookupBinding {
    fn event(
        &mut self,
        ui: UiEvent,
        _state: &LookupState,
        _exec: &mut LookupExecutor<S, C>,
    ) -> Result<LookupEvent, UiEvent> {
        let UiEvent::Lookup(input) = ui else {
            return Err(ui);
        };
        Ok(match input {
            LookupInput::Open => LookupEvent::Open(SessionId(crate::renewal::random_u64())),
            LookupInput::Scan => LookupEvent::Scan,
            LookupInput::Find { number, mobile } => LookupEvent::Find { number, mobile },
            LookupInput::Pay => LookupEvent::Pay,
            LookupInput::StopPaying => LookupEvent::StopPaying,
            LookupInput::ChooseTransfer => LookupEvent::ChooseTransfer,
            LookupInput::Remit { payer, reference } => LookupEvent::Remit { payer, reference },
        })
    }

    fn view(&self, state: &LookupState, _exec: &LookupExecutor<S, C>, _cx: &Cx) -> UiUpdate {
        UiUpdate::Lookup(Box::new(state.clone()))
    }
}
