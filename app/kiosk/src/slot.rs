//! One flow in the runtime, written once for every flow: [`Slot`] holds the
//! domain's [`Driver`] and the flow's executor, and implements
//! [`FlowSlot`] for the loop. A flow adds only what is its own: its
//! executor ([`FlowExecutor`]) and its [`Binding`] (which customer actions
//! are its events, and what its screens show).

use crate::runtime::{Cx, FlowSlot};
use crate::ui_port::UiUpdate;
use kiosk_domain::flow::driver::{
    Driver, DriverError, Executor, Flow, Journal, Saved, Signal, Ticket,
};
use kiosk_domain::ports::store::{FlowRecord, OrderStore};
use kiosk_ui::UiEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::time::Duration;

/// What an executor tells the screens besides the flow's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// "请取走您的USB Key" (shown only while a key is in).
    TakeYourKey,
    /// The session is over: the screens forget what they hold.
    SessionWiped,
}

/// What [`FlowExecutor::finish`] returns.
pub type Finished<F, X> = Result<
    Option<<F as Flow>::Event>,
    <X as Executor<<F as Flow>::Effect, <F as Flow>::Event>>::Error,
>;

/// A flow's executor, as a slot runs it.
pub trait FlowExecutor<F: Flow>:
    Executor<F::Effect, F::Event> + Journal<F::State, F::Effect> + Send
{
    /// Completes, on the flow thread, the answer of an effect that ran
    /// elsewhere (e.g. keeps the CA's certificate in the store) and says
    /// what it means for the flow.
    ///
    /// # Errors
    /// The completion failed: the effect runs again later.
    fn finish(&mut self, answer: Box<dyn Any + Send>) -> Finished<F, Self>
    where
        Self: Sized;

    /// What the screens must learn since the last call.
    fn take_notices(&mut self) -> Vec<Notice>;

    /// An answer that came after its session ended (the customer left):
    /// nothing of it reaches the flow, but what it opened elsewhere may
    /// need closing (a sign-in's session at the CA).
    fn discard(&mut self, _answer: Box<dyn Any + Send>) {}
}

/// A flow's screens: which customer actions are its events, and what its
/// states look like.
pub trait Binding<F: Flow, X>: Send {
    /// The action as this flow's event, or back if it is not this flow's.
    /// May hand something to the executor first (the PIN, to the token's).
    ///
    /// # Errors
    /// The action is not this flow's: it is given back.
    fn event(&mut self, ui: UiEvent, state: &F::State, exec: &mut X) -> Result<F::Event, UiEvent>;
    /// What the screens show of `state` (with what the executor keeps for
    /// the screens, e.g. the last document photographed).
    fn view(&self, state: &F::State, exec: &X, cx: &Cx) -> UiUpdate;
    /// How often the screen of `state` is redrawn as time passes.
    fn redraw_every(&self, _state: &F::State) -> Option<Duration> {
        None
    }
}

/// The journal record a flow resumes from: the saved one, or home (nothing
/// saved, or saved in another format: the orders it refers to are in the
/// store, and a key put back in resumes them).
///
/// # Errors
/// The store cannot be read.
pub fn load_journal<F, S>(store: &S) -> Result<Saved<F::State, F::Effect>, S::Error>
where
    F: Flow,
    F::State: DeserializeOwned,
    F::Effect: DeserializeOwned,
    S: OrderStore,
{
    let home = || Saved {
        state: F::home(),
        pending: Vec::new(),
    };
    Ok(
        match store.load_flow_state::<Saved<F::State, F::Effect>>(F::NAME, F::FORMAT)? {
            FlowRecord::Saved(saved) => saved,
            FlowRecord::None => home(),
            FlowRecord::OtherFormat(found) => {
                tracing::warn!(
                    flow = F::NAME,
                    found,
                    expected = F::FORMAT,
                    "a journal of another format is not resumed; the flow starts at home"
                );
                home()
            }
        },
    )
}

/// Saves `saved` as `F`'s journal record in `store`.
///
/// # Errors
/// Not saved.
pub fn save_journal<F, S>(store: &mut S, saved: &Saved<F::State, F::Effect>) -> Result<(), S::Error>
where
    F: Flow,
    F::State: Serialize,
    F::Effect: Serialize,
    S: OrderStore,
{
    store.save_flow_state(F::NAME, F::FORMAT, F::session(&saved.state), saved)
}

/// A flow in the runtime.
pub struct Slot<F: Flow, X, B> {
    driver: Driver<F>,
    exec: X,
    binding: B,
}

impl<F: Flow, X, B> std::fmt::Debug for Slot<F, X, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("flow", &F::NAME)
            .field("waiting", &self.driver.waiting())
            .finish_non_exhaustive()
    }
}

impl<F, X, B> Slot<F, X, B>
where
    F: Flow,
    X: FlowExecutor<F>,
    <X as Executor<F::Effect, F::Event>>::Error: std::fmt::Display,
    <X as Journal<F::State, F::Effect>>::Error: std::fmt::Display,
    B: Binding<F, X>,
{
    /// The flow at `saved` (see [`load_journal`]).
    pub fn new(saved: Saved<F::State, F::Effect>, exec: X, binding: B) -> Self {
        Self {
            driver: Driver::new(saved),
            exec,
            binding,
        }
    }

    /// The current state (tests).
    pub fn state(&self) -> &F::State {
        self.driver.state()
    }

    fn settle<J: std::fmt::Display, E: std::fmt::Display>(
        &mut self,
        done: Result<(), DriverError<J, E>>,
        cx: &Cx,
    ) {
        match done {
            Ok(()) => {}
            Err(DriverError::Journal(e)) => {
                tracing::error!(flow = F::NAME, error = %e, "the flow state could not be saved; trying again shortly");
            }
            Err(DriverError::Effect(e)) => {
                tracing::error!(flow = F::NAME, error = %e, "an effect failed; trying again shortly");
            }
        }
        for notice in self.exec.take_notices() {
            match notice {
                Notice::TakeYourKey if cx.key_in => cx.ui.send(UiUpdate::TakeYourKey),
                Notice::TakeYourKey => {}
                Notice::SessionWiped => cx.ui.send(UiUpdate::Wipe),
            }
        }
    }

    fn handle(&mut self, event: F::Event, cx: &Cx) {
        let mut io = Shown {
            exec: &mut self.exec,
            binding: &self.binding,
            cx,
            flow: std::marker::PhantomData,
        };
        let done = self.driver.handle(event, cx.now, &cx.step, &mut io);
        self.settle(done, cx);
    }
}

/// The executor as the driver runs it: every journaled state is also shown,
/// so that an install's progress appears step by step.
struct Shown<'a, F, X, B> {
    exec: &'a mut X,
    binding: &'a B,
    cx: &'a Cx,
    flow: std::marker::PhantomData<F>,
}

impl<F, X, B> Journal<F::State, F::Effect> for Shown<'_, F, X, B>
where
    F: Flow,
    X: FlowExecutor<F>,
    B: Binding<F, X>,
{
    type Error = <X as Journal<F::State, F::Effect>>::Error;
    fn save(&mut self, saved: &Saved<F::State, F::Effect>) -> Result<(), Self::Error> {
        self.exec.save(saved)?;
        if self.cx.shown {
            self.cx
                .ui
                .send(self.binding.view(&saved.state, self.exec, self.cx));
        }
        Ok(())
    }
}

impl<F, X, B> Executor<F::Effect, F::Event> for Shown<'_, F, X, B>
where
    F: Flow,
    X: FlowExecutor<F>,
    B: Binding<F, X>,
{
    type Error = <X as Executor<F::Effect, F::Event>>::Error;
    fn run(
        &mut self,
        effect: &F::Effect,
        ticket: Ticket,
    ) -> Result<kiosk_domain::flow::driver::Ran<F::Event>, Self::Error> {
        self.exec.run(effect, ticket)
    }
}

impl<F, X, B> FlowSlot for Slot<F, X, B>
where
    F: Flow + Send,
    F::State: Send,
    F::Event: Send + 'static,
    F::Effect: Send,
    X: FlowExecutor<F>,
    <X as Executor<F::Effect, F::Event>>::Error: std::fmt::Display,
    <X as Journal<F::State, F::Effect>>::Error: std::fmt::Display,
    B: Binding<F, X>,
{
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn active(&self) -> bool {
        F::session(self.driver.state()).is_some()
    }

    fn resume(&mut self, cx: &Cx) {
        let mut io = Shown {
            exec: &mut self.exec,
            binding: &self.binding,
            cx,
            flow: std::marker::PhantomData,
        };
        let done = self.driver.resume(cx.now, &cx.step, &mut io);
        self.settle(done, cx);
    }

    fn on_ui(&mut self, event: UiEvent, cx: &Cx) -> Option<UiEvent> {
        match self
            .binding
            .event(event, self.driver.state(), &mut self.exec)
        {
            Ok(event) => {
                self.handle(event, cx);
                None
            }
            Err(not_ours) => Some(not_ours),
        }
    }

    fn on_signal(&mut self, signal: Signal, cx: &Cx) {
        if let Some(event) = F::signal(signal) {
            self.handle(event, cx);
        }
    }

    fn on_answer(&mut self, ticket: Ticket, answer: Box<dyn Any + Send>, cx: &Cx) {
        if !self.driver.running(ticket) {
            // Its session ended: the answer no longer matters.
            self.exec.discard(answer);
            return;
        }
        let event = match self.exec.finish(answer) {
            Ok(event) => event,
            Err(e) => {
                tracing::error!(flow = F::NAME, error = %e, "an answer could not be kept; the effect runs again shortly");
                self.driver.abandon(ticket, cx.now);
                return;
            }
        };
        let mut io = Shown {
            exec: &mut self.exec,
            binding: &self.binding,
            cx,
            flow: std::marker::PhantomData,
        };
        let done = self
            .driver
            .handle_answer(ticket, event, cx.now, &cx.step, &mut io);
        self.settle(done, cx);
    }

    fn poll_timeout(&self) -> Option<std::time::Instant> {
        self.driver.poll_timeout()
    }

    fn on_timeout(&mut self, cx: &Cx) {
        let mut io = Shown {
            exec: &mut self.exec,
            binding: &self.binding,
            cx,
            flow: std::marker::PhantomData,
        };
        let done = self.driver.handle_timeout(cx.now, &cx.step, &mut io);
        self.settle(done, cx);
    }

    fn show(&self, cx: &Cx) {
        cx.ui
            .send(self.binding.view(self.driver.state(), &self.exec, cx));
    }

    fn failing(&self) -> bool {
        self.driver.failing()
    }

    fn redraw_every(&self) -> Option<Duration> {
        self.binding.redraw_every(self.driver.state())
    }

    fn locks_itself(&self) -> bool {
        F::OWN_IDLE_LOCK
    }
}
