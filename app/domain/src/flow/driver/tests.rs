//! The driver on a small flow of its own: a customer asks something that is
//! answered elsewhere (`Ask`, started) and notes it (`Note`, answered at
//! once); while waiting, the flow polls on its timer.

use super::*;
use crate::fixtures;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Home,
    Waiting {
        session: SessionId,
        polls: u32,
    },
    Answered {
        session: SessionId,
        answer: u32,
    },
    /// The customer gave up waiting (same session): Ask no longer matters.
    Cancelled {
        session: SessionId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Start(SessionId),
    Answer(u32),
    Poll,
    Noted,
    Cancel,
    GoHome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Ask(SessionId),
    Note,
}

struct Toy;

impl Flow for Toy {
    type State = State;
    type Event = Event;
    type Effect = Effect;
    const NAME: &'static str = "toy";
    const FORMAT: u32 = 1;
    fn home() -> State {
        State::Home
    }
    fn step(state: State, event: Event, _: &StepContext) -> Step<State, Effect> {
        match (state, event) {
            (State::Home, Event::Start(session)) => Step::with(
                State::Waiting { session, polls: 0 },
                vec![Effect::Ask(session), Effect::Note],
            ),
            (State::Waiting { session, .. }, Event::Answer(answer)) => {
                Step::to(State::Answered { session, answer })
            }
            (State::Waiting { session, polls }, Event::Poll) => Step::to(State::Waiting {
                session,
                polls: polls + 1,
            }),
            (State::Waiting { session, .. }, Event::Cancel) => {
                Step::to(State::Cancelled { session })
            }
            (_, Event::GoHome) => Step::to(State::Home),
            (state, _) => Step::to(state),
        }
    }
    fn session(state: &State) -> Option<SessionId> {
        match state {
            State::Home => None,
            State::Waiting { session, .. }
            | State::Answered { session, .. }
            | State::Cancelled { session } => Some(*session),
        }
    }
    fn signal(signal: Signal) -> Option<Event> {
        (signal == Signal::GoHome).then_some(Event::GoHome)
    }
    fn timer(state: &State, _: &StepContext) -> Option<Timer<Event>> {
        matches!(state, State::Waiting { .. }).then_some(Timer {
            after: Duration::from_secs(2),
            event: Event::Poll,
        })
    }
    fn keeps_running(effect: &Effect, state: &State) -> bool {
        !matches!((effect, state), (Effect::Ask(_), State::Cancelled { .. }))
    }
}

/// Keeps every save; `Ask` is started (or fails while `fail` > 0), `Note`
/// answers at once.
#[derive(Default)]
struct Io {
    saves: Vec<Saved<State, Effect>>,
    fail: usize,
    fail_saves: usize,
    started: Vec<(Effect, Ticket)>,
    ran: Vec<Effect>,
}

impl Journal<State, Effect> for Io {
    type Error = &'static str;
    fn save(&mut self, saved: &Saved<State, Effect>) -> Result<(), &'static str> {
        if self.fail_saves > 0 {
            self.fail_saves -= 1;
            return Err("disk full");
        }
        self.saves.push(saved.clone());
        Ok(())
    }
}

impl Executor<Effect, Event> for Io {
    type Error = &'static str;
    fn run(&mut self, effect: &Effect, ticket: Ticket) -> Result<Ran<Event>, &'static str> {
        if self.fail > 0 {
            self.fail -= 1;
            return Err("device busy");
        }
        self.ran.push(effect.clone());
        Ok(match effect {
            Effect::Ask(_) => {
                self.started.push((effect.clone(), ticket));
                Ran::Started
            }
            Effect::Note => Ran::Answered(Some(Event::Noted)),
        })
    }
}

fn ctx() -> StepContext {
    fixtures::step_context()
}

const S: SessionId = SessionId(1);

#[test]
fn the_state_is_saved_with_its_effects_before_they_run() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    assert_eq!(
        io.saves[0].state,
        State::Waiting {
            session: S,
            polls: 0
        }
    );
    assert_eq!(io.saves[0].pending, vec![Effect::Ask(S), Effect::Note]);
    // Ask runs elsewhere: it stays first in the journal, Note waits behind it.
    assert!(driver.waiting());
    assert_eq!(io.ran, vec![Effect::Ask(S)]);
    assert_eq!(driver.pending(), &[Effect::Ask(S), Effect::Note]);
}

#[test]
fn a_late_answer_is_stepped_then_the_rest_runs() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    let ticket = io.started[0].1;
    // An answer with another ticket is not this run's: dropped.
    driver
        .handle_answer(
            Ticket(ticket.0 + 99),
            Some(Event::Answer(1)),
            t0,
            &ctx(),
            &mut io,
        )
        .unwrap();
    assert!(driver.waiting());
    driver
        .handle_answer(ticket, Some(Event::Answer(42)), t0, &ctx(), &mut io)
        .unwrap();
    assert_eq!(
        driver.state(),
        &State::Answered {
            session: S,
            answer: 42
        }
    );
    assert_eq!(io.ran, vec![Effect::Ask(S), Effect::Note]);
    assert!(driver.pending().is_empty());
    // The answer's step and the effect's leaving were one save.
    let answered = io
        .saves
        .iter()
        .find(|s| matches!(s.state, State::Answered { .. }))
        .unwrap();
    assert_eq!(answered.pending, vec![Effect::Note]);
}

#[test]
fn leaving_while_an_effect_runs_drops_its_answer() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    let ticket = io.started[0].1;
    // The customer leaves: handled at once, although Ask has not answered.
    driver.handle(Event::GoHome, t0, &ctx(), &mut io).unwrap();
    assert_eq!(driver.state(), &State::Home);
    assert!(!driver.waiting());
    // Ask left the journal with the session; Note still ran.
    assert!(!io.saves.last().unwrap().pending.contains(&Effect::Ask(S)));
    assert_eq!(io.ran, vec![Effect::Ask(S), Effect::Note]);
    // The late answer changes nothing, and no new session is touched by it.
    driver
        .handle(Event::Start(SessionId(2)), t0, &ctx(), &mut io)
        .unwrap();
    driver
        .handle_answer(ticket, Some(Event::Answer(7)), t0, &ctx(), &mut io)
        .unwrap();
    assert_eq!(
        driver.state(),
        &State::Waiting {
            session: SessionId(2),
            polls: 0
        }
    );
}

#[test]
fn a_started_effect_runs_again_after_a_restart() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    // Power cut before the answer: a new driver from the journal.
    let mut restarted = Driver::<Toy>::new(io.saves.last().unwrap().clone());
    let mut io2 = Io::default();
    restarted.resume(t0, &ctx(), &mut io2).unwrap();
    assert_eq!(io2.ran, vec![Effect::Ask(S)]);
    let ticket = io2.started[0].1;
    restarted
        .handle_answer(ticket, Some(Event::Answer(3)), t0, &ctx(), &mut io2)
        .unwrap();
    assert_eq!(io2.ran, vec![Effect::Ask(S), Effect::Note]);
}

#[test]
fn a_failed_effect_is_retried_on_time_with_a_growing_delay() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io {
        fail: 2,
        ..Io::default()
    };
    let err = driver.handle(Event::Start(S), t0, &ctx(), &mut io);
    assert!(matches!(err, Err(DriverError::Effect("device busy"))));
    assert_eq!(driver.pending().len(), 2);
    assert_eq!(driver.poll_timeout(), Some(t0 + RETRY_FIRST));
    // Not yet: nothing runs.
    driver
        .handle_timeout(t0 + Duration::from_secs(1), &ctx(), &mut io)
        .unwrap();
    assert!(io.ran.is_empty());
    // The retry fails again: the next one waits twice as long.
    let t1 = t0 + RETRY_FIRST;
    assert!(driver.handle_timeout(t1, &ctx(), &mut io).is_err());
    assert_eq!(driver.poll_timeout(), Some(t1 + RETRY_FIRST * 2));
    driver
        .handle_timeout(t1 + RETRY_FIRST * 2, &ctx(), &mut io)
        .unwrap();
    assert_eq!(io.ran, vec![Effect::Ask(S)]);
    assert!(!driver.failing());
}

#[test]
fn an_answer_that_cannot_be_kept_runs_the_effect_again() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    let ticket = io.started[0].1;
    assert!(driver.running(ticket));
    driver.abandon(ticket, t0);
    assert!(!driver.running(ticket));
    assert_eq!(driver.poll_timeout(), Some(t0 + RETRY_FIRST));
    driver
        .handle_timeout(t0 + RETRY_FIRST, &ctx(), &mut io)
        .unwrap();
    assert_eq!(io.ran, vec![Effect::Ask(S), Effect::Ask(S)]);
}

#[test]
fn a_failed_save_loses_no_effect() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    let ticket = io.started[0].1;
    // The answer cannot be saved: the effect stays pending and runs again.
    io.fail_saves = 1;
    assert!(
        driver
            .handle_answer(ticket, Some(Event::Answer(5)), t0, &ctx(), &mut io)
            .is_err()
    );
    assert_eq!(driver.pending()[0], Effect::Ask(S));
    let at = driver.poll_timeout().unwrap();
    driver.handle_timeout(at, &ctx(), &mut io).unwrap();
    assert_eq!(io.ran, vec![Effect::Ask(S), Effect::Ask(S)]);
    let ticket = io.started[1].1;
    driver
        .handle_answer(ticket, Some(Event::Answer(5)), at, &ctx(), &mut io)
        .unwrap();
    assert_eq!(
        driver.state(),
        &State::Answered {
            session: S,
            answer: 5
        }
    );
}

#[test]
fn the_flow_timer_fires_after_its_time_and_never_while_an_effect_runs() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    // Ask is running: the poll waits.
    assert_eq!(driver.poll_timeout(), None);
    driver
        .handle_timeout(t0 + Duration::from_secs(10), &ctx(), &mut io)
        .unwrap();
    assert_eq!(
        driver.state(),
        &State::Waiting {
            session: S,
            polls: 0
        }
    );
    // Drop Ask's run by pretending a restart that never starts it.
    let mut quiet = Driver::<Toy>::new(Saved {
        state: State::Waiting {
            session: S,
            polls: 0,
        },
        pending: Vec::new(),
    });
    quiet.resume(t0, &ctx(), &mut io).unwrap();
    assert_eq!(quiet.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    quiet
        .handle_timeout(t0 + Duration::from_secs(2), &ctx(), &mut io)
        .unwrap();
    assert_eq!(
        quiet.state(),
        &State::Waiting {
            session: S,
            polls: 1
        }
    );
    // Re-armed from the step that fired it.
    assert_eq!(quiet.poll_timeout(), Some(t0 + Duration::from_secs(4)));
}

#[test]
fn a_timer_event_lost_to_a_failed_save_fires_again_after_the_retry() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::new(Saved {
        state: State::Waiting {
            session: S,
            polls: 0,
        },
        pending: Vec::new(),
    });
    let mut io = Io::default();
    driver.resume(t0, &ctx(), &mut io).unwrap();
    let at = driver.poll_timeout().unwrap();
    io.fail_saves = 1;
    assert!(driver.handle_timeout(at, &ctx(), &mut io).is_err());
    assert_eq!(
        driver.state(),
        &State::Waiting {
            session: S,
            polls: 0
        }
    );
    // Failing: the retry comes first, and the lost poll is asked with it.
    let retry = driver.poll_timeout().unwrap();
    assert_eq!(retry, at + RETRY_FIRST);
    driver.handle_timeout(retry, &ctx(), &mut io).unwrap();
    assert_eq!(
        driver.state(),
        &State::Waiting {
            session: S,
            polls: 1
        }
    );
    assert!(driver.poll_timeout().is_some(), "and the timer goes on");
}

#[test]
fn an_effect_that_no_longer_matters_stops_holding_the_ones_behind_it() {
    let t0 = Instant::now();
    let mut driver = Driver::<Toy>::at_home();
    let mut io = Io::default();
    driver.handle(Event::Start(S), t0, &ctx(), &mut io).unwrap();
    let ticket = io.started[0].1;
    assert_eq!(io.ran, vec![Effect::Ask(S)], "Note waits behind Ask");
    driver.handle(Event::Cancel, t0, &ctx(), &mut io).unwrap();
    // Ask left the journal; Note ran at once, without Ask's answer.
    assert!(!driver.waiting());
    assert_eq!(io.ran, vec![Effect::Ask(S), Effect::Note]);
    assert!(!io.saves.last().unwrap().pending.contains(&Effect::Ask(S)));
    // Ask's late answer is dropped.
    driver
        .handle_answer(ticket, Some(Event::Answer(9)), t0, &ctx(), &mut io)
        .unwrap();
    assert_eq!(driver.state(), &State::Cancelled { session: S });
}
