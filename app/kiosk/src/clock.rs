//! Time, as the runtime takes it: an instant for deadlines (monotonic), the
//! wall clock for the rules (renewal windows, order dates), and a wait on
//! the command channel that ends at the next deadline.
//!
//! The real clock is [`SystemClock`]. Tests run the whole runtime on a
//! [`ManualClock`] whose time moves only when the test says so, so an idle
//! wipe or a 40-second CA answer takes milliseconds.

use crate::runtime::Command;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The runtime's source of time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The instant deadlines are measured in.
    fn now(&self) -> Instant;
    /// The wall clock, for the rules and the records.
    fn wall(&self) -> OffsetDateTime;
    /// The next message, or `Timeout` once `deadline` has come.
    ///
    /// # Errors
    /// `Timeout` at the deadline; `Disconnected` when every sender is gone.
    fn recv(
        &self,
        rx: &Receiver<Command>,
        deadline: Option<Instant>,
    ) -> Result<Command, RecvTimeoutError>;
}

/// The machine's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn recv(
        &self,
        rx: &Receiver<Command>,
        deadline: Option<Instant>,
    ) -> Result<Command, RecvTimeoutError> {
        match deadline {
            Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        }
    }
}

/// A clock that only moves when told ([`ManualClock::advance`]); clones
/// share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<(Instant, OffsetDateTime)>>,
}

impl ManualClock {
    /// Starts at `wall` (and an arbitrary instant).
    #[must_use]
    pub fn new(wall: OffsetDateTime) -> Self {
        Self {
            inner: Arc::new(Mutex::new((Instant::now(), wall))),
        }
    }

    /// Moves both clocks forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        t.0 += by;
        t.1 += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).0
    }

    fn wall(&self) -> OffsetDateTime {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).1
    }

    /// Waits in real time only for messages; the deadline is met as soon as
    /// the test has moved the time past it.
    fn recv(
        &self,
        rx: &Receiver<Command>,
        deadline: Option<Instant>,
    ) -> Result<Command, RecvTimeoutError> {
        loop {
            if deadline.is_some_and(|at| at <= self.now()) {
                return match rx.try_recv() {
                    Ok(message) => Ok(message),
                    Err(_) => Err(RecvTimeoutError::Timeout),
                };
            }
            match rx.recv_timeout(Duration::from_millis(2)) {
                Err(RecvTimeoutError::Timeout) => {}
                other => return other,
            }
        }
    }
}
