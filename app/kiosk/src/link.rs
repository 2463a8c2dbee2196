//! Whether the CA is there, from what really happened: every call a flow
//! makes through [`Observed`] records whether the CA answered, and when
//! nothing was exchanged for a while the runtime sends a light probe. The
//! status strip and the flows' `NetworkChanged` come from this, so a
//! reachable CA shows 在线 within a second of start, and an unreachable one
//! 离线 as soon as a call fails.

use crate::clock::Clock;
use crate::runtime::Answers;
use kiosk_domain::account::AccountInfo;
use kiosk_domain::flow::staff_call::{CallFailure, CallOutcome, StaffCall};
use kiosk_domain::ids::{MobileNumber, ResidentId, Uscc};
use kiosk_domain::money::Fen;
use kiosk_domain::order::application::Catalogue;
use kiosk_domain::order::text::PersonName;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::account::{
    AccountError, AccountPort, AccountSession, CodePurpose, MobileReview, Registration, Secret,
};
use kiosk_domain::ports::ca::{
    CaError, CaPort, FaceVerdict, IssuedCertificate, OnFile, OnSiteIssued, OpenRenewal, OrderAtCa,
    PaymentInfo, PickupAtCa, Renewability, RenewalRequest,
};
use kiosk_domain::ports::staff::StaffRevocationSource;
use kiosk_domain::ports::staff_call::StaffCallPort;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long the link may stay quiet before a probe asks.
const QUIET: Duration = Duration::from_secs(10);
/// How long a probe may wait for its answer: a CA that accepts connections
/// and never answers is offline, not online for as long as a request's
/// own timeout (a minute).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct State {
    online: Option<bool>,
    last: Option<Instant>,
    probing: bool,
}

type Probe =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), CaError>> + Send>> + Send + Sync>;

/// The CA link's health, shared by the runtime and every [`Observed`] clone.
#[derive(Clone)]
pub struct Link {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    probe: Probe,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("online", &self.online())
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Wraps `ca` so that its calls are observed; the link to watch.
    pub fn observe<C: CaPort>(ca: C, clock: Arc<dyn Clock>) -> (Observed<C>, Link) {
        let prober = ca.clone();
        let probe: Probe = Arc::new(move || {
            let ca = prober.clone();
            Box::pin(async move { ca.probe().await })
        });
        let link = Link {
            state: Arc::new(Mutex::new(State::default())),
            clock,
            probe,
        };
        (
            Observed {
                inner: ca,
                link: link.clone(),
            },
            link,
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Online from the last exchange; `None` before the first.
    #[must_use]
    pub fn online(&self) -> Option<bool> {
        self.lock().online
    }

    /// Whether the CA answered the last exchange.
    #[must_use]
    pub fn is_online(&self) -> bool {
        self.online() == Some(true)
    }

    /// A call got no answer within its own deadline (the CA hangs): offline.
    pub fn unanswered(&self) {
        self.record(false);
    }

    fn record(&self, reached: bool) {
        let now = self.clock.now();
        let mut state = self.lock();
        state.online = Some(reached);
        state.last = Some(now);
    }

    /// Whether nothing was exchanged for a while (and no probe is out).
    #[must_use]
    pub fn wants_probe(&self, now: Instant) -> bool {
        let state = self.lock();
        !state.probing
            && state
                .last
                .is_none_or(|t| now.saturating_duration_since(t) >= QUIET)
    }

    /// Sends a light probe on the sync runtime; its outcome is recorded.
    pub fn probe(&self, answers: &Answers, _now: Instant) {
        self.lock().probing = true;
        let link = self.clone();
        let call = (self.probe)();
        answers.detach(async move {
            let reached = match tokio::time::timeout(PROBE_TIMEOUT, call).await {
                Ok(outcome) => outcome.as_ref().is_ok() || outcome.is_err_and(|e| e.reached_ca()),
                Err(_) => false,
            };
            link.record(reached);
            link.lock().probing = false;
        });
    }

    fn observe_outcome<T>(&self, outcome: &Result<T, CaError>) {
        self.record(match outcome {
            Ok(_) => true,
            Err(e) => e.reached_ca(),
        });
    }
}

/// A CA port whose every call is recorded on its [`Link`].
#[derive(Clone)]
pub struct Observed<C> {
    inner: C,
    link: Link,
}

impl<C> std::fmt::Debug for Observed<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observed")
            .field("link", &self.link)
            .finish()
    }
}

impl<C: CaPort> CaPort for Observed<C> {
    async fn probe(&self) -> Result<(), CaError> {
        let outcome = self.inner.probe().await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn catalogue(&self, fetched: time::OffsetDateTime) -> Result<Catalogue, CaError> {
        let outcome = self.inner.catalogue(fetched).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn lookup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<OrderAtCa>, CaError> {
        let outcome = self.inner.lookup(number, mobile).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn verify_face(
        &self,
        name: &PersonName,
        resident_id: &ResidentId,
        photo_jpeg: Vec<u8>,
    ) -> Result<FaceVerdict, CaError> {
        let outcome = self.inner.verify_face(name, resident_id, photo_jpeg).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn renewability(&self, der: Vec<u8>) -> Result<Renewability, CaError> {
        let outcome = self.inner.renewability(der).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn holder(&self, serial_hex: &str) -> Result<Option<OnFile>, CaError> {
        let outcome = self.inner.holder(serial_hex).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn create_payment(
        &self,
        order: OrderNumber,
        amount: Fen,
    ) -> Result<PaymentInfo, CaError> {
        let outcome = self.inner.create_payment(order, amount).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn payment(&self, id: &str) -> Result<PaymentInfo, CaError> {
        let outcome = self.inner.payment(id).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn record_counter_payment(
        &self,
        signed: kiosk_domain::ports::counter::SignedCounterPayment,
    ) -> Result<PaymentInfo, CaError> {
        let outcome = self.inner.record_counter_payment(signed).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn cancel_order(
        &self,
        signed: kiosk_domain::ports::counter::SignedOrderCancel,
    ) -> Result<(), CaError> {
        let outcome = self.inner.cancel_order(signed).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn note_remittance(
        &self,
        order: OrderNumber,
        amount: Fen,
        payer: &PersonName,
        reference: &kiosk_domain::order::text::Reference,
    ) -> Result<(), CaError> {
        let outcome = self
            .inner
            .note_remittance(order, amount, payer, reference)
            .await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn renew(
        &self,
        order: OrderNumber,
        request: &RenewalRequest,
    ) -> Result<IssuedCertificate, CaError> {
        let outcome = self.inner.renew(order, request).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn issued(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> Result<Option<IssuedCertificate>, CaError> {
        let outcome = self.inner.issued(order, attempt).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn open_renewals(&self, serial_hex: &str) -> Result<Vec<OpenRenewal>, CaError> {
        let outcome = self.inner.open_renewals(serial_hex).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn renewal_installed(&self, order: OrderNumber, attempt: u32) -> Result<(), CaError> {
        let outcome = self.inner.renewal_installed(order, attempt).await;
        self.link.observe_outcome(&outcome);
        outcome
    }
    async fn pickup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<PickupAtCa>, CaError> {
        let outcome = self.inner.pickup(number, mobile).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn issue_on_site(
        &self,
        order: OrderNumber,
        mobile: &MobileNumber,
        attempt: u32,
        csr_der: Vec<u8>,
    ) -> Result<OnSiteIssued, CaError> {
        let outcome = self
            .inner
            .issue_on_site(order, mobile, attempt, csr_der)
            .await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn issued_on_site(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> Result<Option<OnSiteIssued>, CaError> {
        let outcome = self.inner.issued_on_site(order, attempt).await;
        self.link.observe_outcome(&outcome);
        outcome
    }

    async fn written_on_site(&self, order: OrderNumber, attempt: u32) -> Result<(), CaError> {
        let outcome = self.inner.written_on_site(order, attempt).await;
        self.link.observe_outcome(&outcome);
        outcome
    }
}

impl Link {
    fn observe_account<T>(&self, outcome: &Result<T, AccountError>) {
        self.record(!matches!(outcome, Err(AccountError::Unreachable(_))));
    }
}

impl<C: AccountPort> AccountPort for Observed<C> {
    async fn send_code(
        &self,
        mobile: &MobileNumber,
        purpose: CodePurpose,
        uscc: Option<&Uscc>,
    ) -> Result<u32, AccountError> {
        let outcome = self.inner.send_code(mobile, purpose, uscc).await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn register(&self, registration: Registration<'_>) -> Result<AccountInfo, AccountError> {
        let outcome = self.inner.register(registration).await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn request_mobile_review(&self, review: MobileReview<'_>) -> Result<(), AccountError> {
        let outcome = self.inner.request_mobile_review(review).await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn sign_in(
        &self,
        uscc: &Uscc,
        password: &Secret,
    ) -> Result<AccountSession, AccountError> {
        let outcome = self.inner.sign_in(uscc, password).await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn sign_out(&self, session: &AccountSession) -> Result<(), AccountError> {
        let outcome = self.inner.sign_out(session).await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn reset_password(
        &self,
        uscc: &Uscc,
        mobile: &MobileNumber,
        code: &Secret,
        new_password: &Secret,
    ) -> Result<(), AccountError> {
        let outcome = self
            .inner
            .reset_password(uscc, mobile, code, new_password)
            .await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn change_password(
        &self,
        session: &AccountSession,
        uscc: &Uscc,
        old_password: &Secret,
        new_password: &Secret,
    ) -> Result<(), AccountError> {
        let outcome = self
            .inner
            .change_password(session, uscc, old_password, new_password)
            .await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn change_mobile(
        &self,
        session: &AccountSession,
        new_mobile: &MobileNumber,
        code: &Secret,
    ) -> Result<AccountInfo, AccountError> {
        let outcome = self.inner.change_mobile(session, new_mobile, code).await;
        self.link.observe_account(&outcome);
        outcome
    }

    async fn unit_info(&self, session: &AccountSession) -> Result<AccountInfo, AccountError> {
        let outcome = self.inner.unit_info(session).await;
        self.link.observe_account(&outcome);
        outcome
    }
}

impl Link {
    fn observe_call(&self, outcome: &CallOutcome) {
        self.record(!matches!(outcome, Err(CallFailure::Offline)));
    }
}

impl<C: CaPort + StaffRevocationSource> StaffRevocationSource for Observed<C> {
    async fn staff_revocation_lists(&self) -> Result<Vec<Vec<u8>>, CaError> {
        let outcome = self.inner.staff_revocation_lists().await;
        self.link.observe_outcome(&outcome);
        outcome
    }
}

impl<C: StaffCallPort> StaffCallPort for Observed<C> {
    async fn call_staff(&self, call: &StaffCall) -> CallOutcome {
        let outcome = self.inner.call_staff(call).await;
        self.link.observe_call(&outcome);
        outcome
    }

    async fn staff_call(&self, call: &StaffCall) -> CallOutcome {
        let outcome = self.inner.staff_call(call).await;
        self.link.observe_call(&outcome);
        outcome
    }

    async fn withdraw_staff_call(&self, call: &StaffCall) -> CallOutcome {
        let outcome = self.inner.withdraw_staff_call(call).await;
        self.link.observe_call(&outcome);
        outcome
    }
}
