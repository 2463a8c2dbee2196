//! 呼叫工作人员 in the runtime: the domain's [`StaffCalls`] machine, its
//! effects run through a [`StaffCallPort`] on the sync runtime, their
//! answers brought back as [`crate::runtime::Command::Answer`]s addressed
//! to [`FLOW`]. Kiosk-wide, not a flow of its own: a call is made from the
//! screens of every flow and from 帮助中心, and ends with the session.

use crate::link::Link;
use crate::runtime::Answers;
use kiosk_domain::flow::driver::Ticket;
use kiosk_domain::flow::staff_call::CallFailure;
use kiosk_domain::flow::staff_call::{
    CallEffect, CallId, CallOutcome, CallScreen, CallView, StaffCall, StaffCalls,
};
use kiosk_domain::order_number::KioskCode;
use kiosk_domain::ports::staff_call::StaffCallPort;
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The name its answers are addressed by.
pub const FLOW: &str = "staff-call";

/// How long a call (or a look at it) may wait for the CA before the screen
/// says it did not get through: a customer must not watch "正在呼叫……"
/// for the minute an upload may take, when a CA that hangs (accepts and
/// never answers) would keep it there.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(8);

type Run =
    Arc<dyn Fn(CallEffect) -> Pin<Box<dyn Future<Output = CallOutcome> + Send>> + Send + Sync>;

/// The kiosk's call for staff and the CA it is made at.
pub struct StaffDesk {
    calls: StaffCalls,
    kiosk: KioskCode,
    run: Run,
}

impl std::fmt::Debug for StaffDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffDesk")
            .field("view", &self.calls.view())
            .finish_non_exhaustive()
    }
}

impl StaffDesk {
    /// Calls made by `kiosk` at `port`; a call left unanswered past
    /// [`CALL_TIMEOUT`] tells `link` the CA is not answering.
    pub fn new<P: StaffCallPort>(kiosk: KioskCode, port: P, link: Option<Link>) -> Self {
        let run: Run = Arc::new(move |effect| {
            let port = port.clone();
            let link = link.clone();
            Box::pin(async move {
                let answer = async {
                    match effect {
                        CallEffect::Send(call) => port.call_staff(&call).await,
                        CallEffect::Check(call) => port.staff_call(&call).await,
                        CallEffect::Withdraw(call) => port.withdraw_staff_call(&call).await,
                    }
                };
                tokio::time::timeout(CALL_TIMEOUT, answer)
                    .await
                    .unwrap_or_else(|_| {
                        if let Some(link) = &link {
                            link.unanswered();
                        }
                        Err(CallFailure::Offline)
                    })
            })
        });
        Self {
            calls: StaffCalls::new(),
            kiosk,
            run,
        }
    }

    /// 呼叫工作人员 pressed on `screen`.
    pub fn press(&mut self, screen: CallScreen, answers: &Answers) {
        let call = StaffCall {
            kiosk: self.kiosk,
            id: CallId::new(crate::renewal::random_u64()),
            screen,
        };
        let effects = self.calls.press(call);
        tracing::info!(screen = screen.as_str(), "call for staff");
        self.run(effects, answers);
    }

    /// The answer of one of its effects.
    pub fn on_answer(&mut self, event: Box<dyn Any + Send>, now: Instant, answers: &Answers) {
        let Ok(answer) = event.downcast::<(CallEffect, CallOutcome)>() else {
            tracing::warn!("a staff call's answer of another kind");
            return;
        };
        let (effect, outcome) = *answer;
        let effects = match effect {
            CallEffect::Send(call) => self.calls.sent(&call, outcome, now),
            CallEffect::Check(call) => {
                self.calls.checked(&call, outcome, now);
                Vec::new()
            }
            CallEffect::Withdraw(call) => {
                if let Err(why) = outcome {
                    tracing::info!(?why, "a call for staff not withdrawn");
                }
                self.calls.withdrawn(&call, outcome, now);
                Vec::new()
            }
        };
        self.run(effects, answers);
    }

    /// The session ended: the call is withdrawn.
    pub fn end_session(&mut self, answers: &Answers) {
        let effects = self.calls.end_session();
        self.run(effects, answers);
    }

    /// The CA answers again.
    pub fn back_online(&mut self, now: Instant) {
        self.calls.back_online(now);
    }

    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls.poll_timeout()
    }

    pub fn on_timeout(&mut self, now: Instant, answers: &Answers) {
        let effects = self.calls.on_timeout(now);
        self.run(effects, answers);
    }

    /// What the screen may say.
    #[must_use]
    pub fn view(&self) -> CallView {
        self.calls.view()
    }

    fn run(&self, effects: Vec<CallEffect>, answers: &Answers) {
        for effect in effects {
            let work = (self.run)(effect);
            answers.spawn(FLOW, Ticket(0), async move { (effect, work.await) });
        }
    }
}
