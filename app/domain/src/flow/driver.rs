//! The effect loop every flow runs in, written once so that each composition
//! root gets the crash-safety rule right: **save the new state together with
//! the effects still to run, before running any of them; take each effect off
//! the journal in the same write that records what its answer did.** After a
//! power cut the runtime loads the journal and re-runs what is pending, which
//! is safe because every effect is idempotent (keyed by session, order and
//! step).
//!
//! Like `quinn-proto`, the driver does no IO and reads no clock: inputs come
//! with the instant they happen at ([`Driver::handle`],
//! [`Driver::handle_answer`], [`Driver::handle_timeout`]), and it says when it
//! next wants to be woken ([`Driver::poll_timeout`]): to run a failed effect
//! again, or to fire the flow's own timer (a payment poll, say). The
//! [`Journal`] and the [`Executor`] are the adapter's.
//!
//! Effects run one at a time, in order. An effect either answers at once
//! ([`Ran::Answered`], e.g. the store created the order) or is started
//! elsewhere ([`Ran::Started`], e.g. a call to the CA) and answers later
//! through [`Driver::handle_answer`] with the [`Ticket`] it was given. While
//! it runs, the flow still takes events (the customer leaves, the key is
//! pulled, the idle timer expires); when one of them ends the session the
//! effect belonged to, its answer is dropped when it comes.

use super::{SessionId, Step, StepContext};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Something that happens to the kiosk as a whole, which each flow may
/// react to in its own way ([`Flow::signal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// 返回首页, from any screen.
    GoHome,
    /// Nobody touched the screen for the idle time and its warning.
    IdleTimeout,
    /// A USB key was inserted into the key writer.
    KeyInserted,
    /// The USB key was pulled out.
    KeyRemoved,
    /// The CA answered (or stopped answering).
    Network { online: bool },
    /// The kiosk started again (power cut, crash) and the flow resumed from
    /// its journal.
    Restarted,
}

/// A flow's own timer: after `after` without another step, `event` is fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer<E> {
    pub after: Duration,
    pub event: E,
}

/// A flow as the driver sees it.
pub trait Flow {
    type State: Clone;
    type Event;
    type Effect: Clone;
    /// The flow's name in the journal and the logs.
    const NAME: &'static str;
    /// The journal record's format version: raised when the state changes
    /// shape, so that an old record is never misread.
    const FORMAT: u32;
    /// Whether the flow locks itself when left untouched (staff mode), so
    /// that the kiosk's idle timer, which is for customers, does not run
    /// while it is open.
    const OWN_IDLE_LOCK: bool = false;
    /// The state with no customer in it.
    fn home() -> Self::State;
    /// The flow's pure step function.
    fn step(
        state: Self::State,
        event: Self::Event,
        ctx: &StepContext,
    ) -> Step<Self::State, Self::Effect>;
    /// The customer session the state belongs to (`None` at home).
    fn session(state: &Self::State) -> Option<SessionId>;
    /// The event a kiosk-wide signal is for this flow (`None`: not its business).
    fn signal(signal: Signal) -> Option<Self::Event>;
    /// The flow's timer in this state, if it waits for something by polling.
    fn timer(state: &Self::State, ctx: &StepContext) -> Option<Timer<Self::Event>>;
    /// Whether `effect`, running elsewhere, still matters once the flow is
    /// in `state`. When it does not, it leaves the journal and its answer
    /// is dropped, so the effects after it need not wait for it (a key
    /// pulled mid-request: the PIN for the resumed install is checked at
    /// once, not after the CA answered). Effects of a session that ended
    /// never matter, whatever this says.
    fn keeps_running(effect: &Self::Effect, state: &Self::State) -> bool {
        let _ = (effect, state);
        true
    }
}

/// What is saved after every step: the state and the effects not yet done
/// (the first of them may be running).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved<S, E> {
    pub state: S,
    pub pending: Vec<E>,
}

/// Durable storage for one flow's [`Saved`] record (the store, in the kiosk).
pub trait Journal<S, E> {
    type Error;
    /// Replaces the saved record; must be durable when it returns.
    fn save(&mut self, saved: &Saved<S, E>) -> Result<(), Self::Error>;
}

/// Names one run of an effect, so that its late answer finds its way back
/// (and an answer for a run that no longer matters is recognised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(pub u64);

/// What running an effect did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran<V> {
    /// Done; with the event it answers, if any.
    Answered(Option<V>),
    /// Started elsewhere: the answer comes later through
    /// [`Driver::handle_answer`] with the run's [`Ticket`].
    Started,
}

/// Runs effects on adapters.
pub trait Executor<E, V> {
    type Error;
    /// Runs (or starts) one effect. Must be idempotent: it may run again
    /// after a crash, or after its answer was lost.
    fn run(&mut self, effect: &E, ticket: Ticket) -> Result<Ran<V>, Self::Error>;
}

/// Why the driver stopped short.
#[derive(Debug, thiserror::Error)]
pub enum DriverError<J, X> {
    /// The journal could not be written: nothing after it ran.
    #[error("could not save the flow state")]
    Journal(J),
    /// An effect failed; it stays pending in the journal and runs again.
    #[error("an effect failed")]
    Effect(X),
}

/// The driver's error for flow `F` run by adapters `R`.
pub type DriverErrorOf<F, R> = DriverError<
    <R as Journal<<F as Flow>::State, <F as Flow>::Effect>>::Error,
    <R as Executor<<F as Flow>::Effect, <F as Flow>::Event>>::Error,
>;

/// How long a failed effect (or a failed save) waits before it runs again:
/// doubled after each failure in a row, up to [`RETRY_CAP`].
pub const RETRY_FIRST: Duration = Duration::from_secs(3);
pub const RETRY_CAP: Duration = Duration::from_secs(30);

/// One flow's running state with its journal.
#[derive(Debug)]
pub struct Driver<F: Flow> {
    saved: Saved<F::State, F::Effect>,
    /// The first pending effect runs elsewhere; its answer carries this.
    running: Option<Ticket>,
    next_ticket: u64,
    /// When to run a failed effect (or save) again, and how many failed in a row.
    retry_at: Option<Instant>,
    failures: u32,
    /// The flow's own timer, armed after every step.
    timer: Option<(Instant, F::Event)>,
}

impl<F: Flow> Driver<F> {
    /// Starts from a saved record (after a restart) or from a fresh state.
    /// Nothing runs until [`Self::resume`].
    pub fn new(saved: Saved<F::State, F::Effect>) -> Self {
        Self {
            saved,
            running: None,
            next_ticket: 1,
            retry_at: None,
            failures: 0,
            timer: None,
        }
    }

    /// A driver at home.
    pub fn at_home() -> Self {
        Self::new(Saved {
            state: F::home(),
            pending: Vec::new(),
        })
    }

    /// The current state.
    pub fn state(&self) -> &F::State {
        &self.saved.state
    }

    /// Effects saved but not yet done (the first may be running).
    pub fn pending(&self) -> &[F::Effect] {
        &self.saved.pending
    }

    /// Whether an effect runs elsewhere and its answer is awaited.
    pub fn waiting(&self) -> bool {
        self.running.is_some()
    }

    /// Whether a failed effect (or save) waits to be tried again.
    pub fn failing(&self) -> bool {
        self.retry_at.is_some()
    }

    /// When the driver next wants [`Self::handle_timeout`]: to retry a
    /// failure, or else for the flow's timer (which waits while an effect
    /// runs or a failure waits).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.retry_at.is_some() {
            return self.retry_at;
        }
        self.timer
            .as_ref()
            .filter(|_| self.running.is_none())
            .map(|(at, _)| *at)
    }

    /// Runs what the journal holds (after a restart) and arms the timer.
    pub fn resume<R>(
        &mut self,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        self.arm(now, ctx);
        self.drain(now, ctx, io)
    }

    /// Feeds one event: step, save, then run what is pending.
    ///
    /// The event is stepped at once, even while an effect runs elsewhere or
    /// a failed one waits: the customer can always leave, and the idle timer
    /// always wipes. The effects still pending run first, in order.
    pub fn handle<R>(
        &mut self,
        event: F::Event,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        let step = F::step(self.saved.state.clone(), event, ctx);
        let mut pending = self.saved.pending.clone();
        pending.extend(step.effects);
        self.commit(
            Saved {
                state: step.state,
                pending,
            },
            now,
            ctx,
            io,
        )?;
        if self.retry_at.is_some() {
            // A failed effect waits for its retry; the new ones wait behind it.
            return Ok(());
        }
        self.drain(now, ctx, io)
    }

    /// Whether `ticket` names the effect running elsewhere now (its answer
    /// still matters).
    pub fn running(&self, ticket: Ticket) -> bool {
        self.running == Some(ticket)
    }

    /// The answer of an effect that was [`Ran::Started`] (`None`: it is
    /// done and has nothing to say). An answer whose run no longer matters
    /// (its session ended) is dropped.
    pub fn handle_answer<R>(
        &mut self,
        ticket: Ticket,
        answer: Option<F::Event>,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        if self.running != Some(ticket) {
            return Ok(());
        }
        self.running = None;
        self.failures = 0;
        self.complete_first(answer, now, ctx, io)?;
        self.drain(now, ctx, io)
    }

    /// The effect running elsewhere came back without an answer that could
    /// be kept: it stays pending and runs again at the next retry.
    pub fn abandon(&mut self, ticket: Ticket, now: Instant) {
        if self.running == Some(ticket) {
            self.running = None;
            self.fail(now);
        }
    }

    /// Retries a failure, or fires the flow's timer, when their time came.
    pub fn handle_timeout<R>(
        &mut self,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        if self.retry_at.is_some_and(|at| at <= now) {
            self.retry_at = None;
            self.drain(now, ctx, io)?;
        }
        let due = self.running.is_none()
            && self.retry_at.is_none()
            && self.timer.as_ref().is_some_and(|(at, _)| *at <= now);
        if due && let Some((_, event)) = self.timer.take() {
            self.handle(event, now, ctx, io)?;
        }
        Ok(())
    }

    fn new_ticket(&mut self) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        ticket
    }

    fn fail(&mut self, now: Instant) {
        let shift = self.failures.min(4);
        self.failures = self.failures.saturating_add(1);
        let delay = RETRY_FIRST.saturating_mul(1 << shift).min(RETRY_CAP);
        self.retry_at = Some(now + delay);
    }

    /// Saves `next` and makes it current. When it ends the session of an
    /// effect that runs elsewhere, that effect leaves the journal with it
    /// and its answer will be dropped.
    fn commit<R>(
        &mut self,
        mut next: Saved<F::State, F::Effect>,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        let abandon = self.running.is_some()
            && (F::session(&next.state) != F::session(&self.saved.state)
                || next
                    .pending
                    .first()
                    .is_some_and(|running| !F::keeps_running(running, &next.state)));
        if abandon && !next.pending.is_empty() {
            next.pending.remove(0);
        }
        if let Err(e) = io.save(&next) {
            self.fail(now);
            // The state stays what it was: its timer too (a poll lost with
            // the failed save is asked again).
            self.arm(now, ctx);
            return Err(DriverError::Journal(e));
        }
        if abandon {
            self.running = None;
        }
        self.saved = next;
        self.arm(now, ctx);
        Ok(())
    }

    /// Takes the first pending effect off the journal in the same write
    /// that records what its answer did.
    fn complete_first<R>(
        &mut self,
        answer: Option<F::Event>,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        let rest = self.saved.pending.get(1..).unwrap_or_default().to_vec();
        let next = match answer {
            None => Saved {
                state: self.saved.state.clone(),
                pending: rest,
            },
            Some(event) => {
                let step = F::step(self.saved.state.clone(), event, ctx);
                let mut pending = rest;
                pending.extend(step.effects);
                Saved {
                    state: step.state,
                    pending,
                }
            }
        };
        self.commit(next, now, ctx, io)
    }

    fn drain<R>(
        &mut self,
        now: Instant,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        while self.running.is_none() {
            let Some(effect) = self.saved.pending.first().cloned() else {
                return Ok(());
            };
            let ticket = self.new_ticket();
            match io.run(&effect, ticket) {
                Err(e) => {
                    self.fail(now);
                    return Err(DriverError::Effect(e));
                }
                Ok(Ran::Started) => {
                    self.failures = 0;
                    self.running = Some(ticket);
                }
                Ok(Ran::Answered(answer)) => {
                    self.failures = 0;
                    self.complete_first(answer, now, ctx, io)?;
                }
            }
        }
        Ok(())
    }

    fn arm(&mut self, now: Instant, ctx: &StepContext) {
        self.timer = F::timer(&self.saved.state, ctx).map(|t| (now + t.after, t.event));
    }
}

#[cfg(test)]
mod tests;
