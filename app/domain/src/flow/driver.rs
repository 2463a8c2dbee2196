//! The effect loop every flow runs in, written once so that each composition
//! root gets the crash-safety rule right: **save the new state together with
//! the effects still to run, before running any of them; take each effect off
//! the journal in the same write that records what its answer did.** After a
//! power cut the runtime loads the
//! journal and re-runs what is pending, which is safe because every effect is
//! idempotent (keyed by session, order and step).
//!
//! The loop itself does no IO: the [`Journal`] and the [`Executor`] are the
//! adapter's (the store and the devices).

use super::{Step, StepContext};
use serde::{Deserialize, Serialize};

/// A flow as the driver sees it.
pub trait Flow {
    type State: Clone;
    type Event;
    type Effect: Clone;
    /// The flow's pure step function.
    fn step(
        state: Self::State,
        event: Self::Event,
        ctx: &StepContext,
    ) -> Step<Self::State, Self::Effect>;
}

/// The renewal flow.
#[derive(Debug)]
pub struct Renewal;

impl Flow for Renewal {
    type State = super::renewal::RenewalState;
    type Event = super::renewal::RenewalEvent;
    type Effect = super::renewal::RenewalEffect;
    fn step(
        state: Self::State,
        event: Self::Event,
        ctx: &StepContext,
    ) -> Step<Self::State, Self::Effect> {
        super::renewal::step(state, event, ctx)
    }
}

/// The application flow.
#[derive(Debug)]
pub struct Application;

impl Flow for Application {
    type State = super::application::ApplicationState;
    type Event = super::application::ApplicationEvent;
    type Effect = super::application::ApplicationEffect;
    fn step(
        state: Self::State,
        event: Self::Event,
        ctx: &StepContext,
    ) -> Step<Self::State, Self::Effect> {
        super::application::step(state, event, ctx)
    }
}

/// What is saved after every step: the state and the effects not yet run.
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

/// Runs effects on adapters. An effect may answer at once with an event
/// (e.g. the store created the order), which is stepped before the state's
/// remaining effects run; slow work (a payment, a person) answers later
/// through [`Driver::handle`].
pub trait Executor<E, V> {
    type Error;
    /// Runs one effect. Must be idempotent: it may run again after a crash.
    fn run(&mut self, effect: &E) -> Result<Option<V>, Self::Error>;
}

/// Why the driver stopped.
#[derive(Debug, thiserror::Error)]
pub enum DriverError<J, X> {
    /// The journal could not be written: nothing after it ran.
    #[error("could not save the flow state")]
    Journal(J),
    /// An effect failed; it stays pending in the journal and runs again on resume.
    #[error("an effect failed")]
    Effect(X),
}

/// The driver's error for flow `F` run by adapters `R`.
pub type DriverErrorOf<F, R> = DriverError<
    <R as Journal<<F as Flow>::State, <F as Flow>::Effect>>::Error,
    <R as Executor<<F as Flow>::Effect, <F as Flow>::Event>>::Error,
>;

/// One flow's running state with its journal.
#[derive(Debug)]
pub struct Driver<F: Flow> {
    saved: Saved<F::State, F::Effect>,
}

impl<F: Flow> Driver<F>
where
    F::State: Clone,
{
    /// Starts from a saved record (after a restart) or from a fresh state.
    pub fn new(saved: Saved<F::State, F::Effect>) -> Self {
        Self { saved }
    }

    /// The current state.
    pub fn state(&self) -> &F::State {
        &self.saved.state
    }

    /// Effects saved but not yet run (non-empty only after a crash or a failure).
    pub fn pending(&self) -> &[F::Effect] {
        &self.saved.pending
    }

    /// Runs pending effects left by a crash, then any events they answer with.
    pub fn resume<R>(&mut self, ctx: &StepContext, io: &mut R) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        self.drain(ctx, io, Vec::new())
    }

    /// Feeds one event: step, save, run the effects, feed their answers.
    pub fn handle<R>(
        &mut self,
        event: F::Event,
        ctx: &StepContext,
        io: &mut R,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        // Effects still pending from before must run before new events: the
        // state they belong to has already been left behind.
        self.drain(ctx, io, vec![event])
    }

    fn drain<R>(
        &mut self,
        ctx: &StepContext,
        io: &mut R,
        mut events: Vec<F::Event>,
    ) -> Result<(), DriverErrorOf<F, R>>
    where
        R: Journal<F::State, F::Effect> + Executor<F::Effect, F::Event>,
    {
        events.reverse(); // used as a stack: the next event on top
        loop {
            if let Some(effect) = self.saved.pending.first().cloned() {
                let answer = io.run(&effect).map_err(DriverError::Effect)?;
                let rest = self.saved.pending.split_off(1);
                // The effect leaves the journal in the same write that records
                // what its answer did: a crash either re-runs the effect (it is
                // idempotent) or finds its answer applied, never neither.
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
                io.save(&next).map_err(DriverError::Journal)?;
                self.saved = next;
                continue;
            }
            let Some(event) = events.pop() else {
                return Ok(());
            };
            let step = F::step(self.saved.state.clone(), event, ctx);
            let next = Saved {
                state: step.state,
                pending: step.effects,
            };
            io.save(&next).map_err(DriverError::Journal)?;
            self.saved = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::flow::SessionId;
    use crate::flow::renewal::{RenewalEffect, RenewalEvent, RenewalState};

    fn ctx() -> StepContext {
        fixtures::step_context()
    }

    /// Keeps every save; fails the first `fail` effect runs; records the rest.
    #[derive(Default)]
    struct Io {
        saves: Vec<Saved<RenewalState, RenewalEffect>>,
        fail: usize,
        ran: Vec<RenewalEffect>,
    }

    impl Journal<RenewalState, RenewalEffect> for Io {
        type Error = ();
        fn save(&mut self, saved: &Saved<RenewalState, RenewalEffect>) -> Result<(), ()> {
            self.saves.push(saved.clone());
            Ok(())
        }
    }

    impl Executor<RenewalEffect, RenewalEvent> for Io {
        type Error = &'static str;
        fn run(&mut self, effect: &RenewalEffect) -> Result<Option<RenewalEvent>, &'static str> {
            if self.fail > 0 {
                self.fail -= 1;
                return Err("device busy");
            }
            self.ran.push(effect.clone());
            Ok(None)
        }
    }

    fn fresh() -> Driver<Renewal> {
        Driver::new(Saved {
            state: RenewalState::Home,
            pending: Vec::new(),
        })
    }

    #[test]
    fn the_state_is_saved_with_its_effects_before_they_run() {
        let mut driver = fresh();
        let mut io = Io::default();
        driver
            .handle(RenewalEvent::Start(SessionId(1)), &ctx(), &mut io)
            .unwrap();
        let first = &io.saves[0];
        assert_eq!(
            first.state,
            RenewalState::CheckingEnvironment {
                session: SessionId(1)
            }
        );
        assert_eq!(
            first.pending,
            vec![RenewalEffect::CheckEnvironment {
                session: SessionId(1)
            }]
        );
        // Then the effect ran and was cleared from the journal.
        assert_eq!(io.ran.len(), 1);
        assert!(io.saves.last().unwrap().pending.is_empty());
    }

    #[test]
    fn a_failed_effect_stays_pending_and_runs_on_resume() {
        let mut driver = fresh();
        let mut io = Io {
            fail: 1,
            ..Io::default()
        };
        let err = driver.handle(RenewalEvent::Start(SessionId(1)), &ctx(), &mut io);
        assert!(matches!(err, Err(DriverError::Effect("device busy"))));
        assert_eq!(driver.pending().len(), 1);

        // A restart: a new driver from the last saved record.
        let mut restarted = Driver::<Renewal>::new(io.saves.last().unwrap().clone());
        restarted.resume(&ctx(), &mut io).unwrap();
        assert_eq!(
            io.ran,
            vec![RenewalEffect::CheckEnvironment {
                session: SessionId(1)
            }]
        );
        assert!(restarted.pending().is_empty());
    }
}
