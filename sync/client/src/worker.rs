//! The outbox worker: drains due uploads through the port, one order at a
//! time (order, then each attachment from the CA's offset, then submit).

use crate::backoff::{Backoff, Jitter};
use crate::http::{CaClient, CallError, Disposition, TlsSettings};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::outbox::{
    AuditTail, Outbox, StatusApplied, StatusUpdate, Upload, UploadBody,
};
use kiosk_sync_wire::audit::{AuditEntryV1, AuditHeadV1};
use kiosk_sync_wire::order::{OrderV1, sendable};
use kiosk_sync_wire::problem::ProblemCode;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;

/// What the UI, `kioskctl queue` and `doctor` are shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    /// The CA answered the last call (whatever it answered).
    pub online: bool,
    /// Orders still to send (not set aside).
    pub queue_depth: u64,
    /// Orders the CA refused for good, waiting for staff.
    pub set_aside: u64,
    /// How long the oldest order still to send has waited.
    pub oldest_pending_age: Option<Duration>,
    /// When an order was last acknowledged.
    pub last_success: Option<OffsetDateTime>,
    /// The last error code (`transport`, `too_many_requests`...), never
    /// personal data.
    pub last_error: Option<String>,
    /// Why the audit log is no longer copied to the CA (a technician's
    /// matter: the copy stops where the kiosk's log and the CA's part).
    pub audit_problem: Option<AuditProblem>,
}

/// Why the audit log's copy to the CA stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditProblem {
    /// The kiosk's chain breaks at this entry (changed, removed, put in
    /// between): it and what follows are not sent.
    Broken { seq: u64 },
    /// The kiosk's log ends at `last`, the CA holds entries up to
    /// `ca_head`: the last ones were cut off here.
    CutOff { last: u64, ca_head: u64 },
    /// The CA refused entry `seq`: it does not continue the CA's copy (it
    /// recorded the conflict for staff).
    Conflict { seq: u64 },
    /// The CA cannot read entry `seq` (too long, or an action it does not
    /// know yet): it waits for a CA that can.
    Unsendable { seq: u64 },
}

/// The audit log's copy to the CA: whose, how far the CA's goes.
#[derive(Debug)]
struct AuditCopy {
    kiosk: KioskCode,
    /// The CA's head, once asked (asked again after a failed send).
    ca_head: Option<u64>,
    stopped: Option<AuditProblem>,
}

/// Whether the kiosk's log and the CA's copy part at the CA's head: `here`
/// is what the kiosk holds after the entry before the CA's last
/// (`audit_after(head - 1, 1)`); `None` when the CA's last entry is the
/// kiosk's, link for link (or the CA holds none).
#[must_use]
pub fn audit_parts(head: &AuditHeadV1, here: &AuditTail) -> Option<AuditProblem> {
    if head.head == 0 {
        return None;
    }
    let cut = |last| AuditProblem::CutOff {
        last,
        ca_head: head.head,
    };
    match here {
        AuditTail::Entries(entries) => match entries.first() {
            Some(e) => (Some(kiosk_sync_wire::hex::encode(&e.link)) != head.link_hex)
                .then_some(AuditProblem::Conflict { seq: head.head }),
            None => Some(cut(head.head - 1)),
        },
        AuditTail::Broken { seq } => Some(AuditProblem::Broken { seq: *seq }),
        AuditTail::EndsBefore { last } => Some(cut(*last)),
    }
}

/// Audit entries sent per call of [`Worker::copy_audit`].
const AUDIT_BATCH: usize = 50;

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The CA's base URL, e.g. `https://ca.example:8443`.
    pub base_url: String,
    /// Mutual TLS (the CA roots and the device identity). `None`: plain
    /// HTTP, for tests and loopback development only.
    pub tls: Option<TlsSettings>,
    /// Due uploads fetched per pass.
    pub batch: usize,
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
    /// The jitter's seed (`None`: from entropy).
    pub seed: Option<u64>,
    /// The longest sleep when nothing is due.
    pub idle_poll: Duration,
    /// Per request.
    pub request_timeout: Duration,
}

impl WorkerConfig {
    /// Production defaults: backoff from 1 s up to 5 min; plain HTTP until
    /// [`WorkerConfig::with_tls`] (or the `tls` field) sets mutual TLS.
    #[must_use]
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            tls: None,
            batch: 20,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 300_000,
            seed: None,
            idle_poll: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }

    /// The same, over mutual TLS.
    #[must_use]
    pub fn with_tls(mut self, tls: TlsSettings) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// The worker could not use its port or build its client.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("the outbox failed: {0}")]
    Outbox(Box<dyn std::error::Error + Send + Sync>),
    #[error("the HTTP client: {0}")]
    Client(#[from] CallError),
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub acknowledged: u32,
    pub retried: u32,
    pub set_aside: u32,
    /// The pass stopped early (CA unreachable or asking to wait) and should
    /// not be repeated before this long.
    pub pause: Option<Duration>,
}

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The outbox worker over a port `O`.
pub struct Worker<O: Outbox> {
    outbox: O,
    client: CaClient,
    config: WorkerConfig,
    backoff: Backoff,
    clock: Clock,
    state: watch::Sender<SyncState>,
    /// Consecutive passes that could not reach the CA.
    offline_passes: u32,
    /// Wakes an idle worker at once (an order was just queued).
    wake: Option<Arc<tokio::sync::Notify>>,
    /// The audit log's copy to the CA, when this worker makes it.
    audit: Option<AuditCopy>,
}

impl<O: Outbox> std::fmt::Debug for Worker<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn outbox_error<E: std::error::Error + Send + Sync + 'static>(e: E) -> WorkerError {
    WorkerError::Outbox(Box::new(e))
}

impl<O: Outbox> Worker<O> {
    /// A worker and the receiver of its state.
    pub fn new(
        outbox: O,
        config: WorkerConfig,
    ) -> Result<(Self, watch::Receiver<SyncState>), WorkerError> {
        let client = match &config.tls {
            Some(tls) => CaClient::with_tls(&config.base_url, config.request_timeout, tls)?,
            None => CaClient::new(&config.base_url, config.request_timeout)?,
        };
        let jitter = config
            .seed
            .map_or_else(Jitter::from_entropy, Jitter::seeded);
        let backoff = Backoff::new(config.backoff_base_ms, config.backoff_cap_ms, jitter);
        let (state, receiver) = watch::channel(SyncState::default());
        Ok((
            Self {
                outbox,
                client,
                config,
                backoff,
                clock: Arc::new(OffsetDateTime::now_utc),
                state,
                offline_passes: 0,
                wake: None,
                audit: None,
            },
            receiver,
        ))
    }

    /// An idle worker also wakes when `wake` is notified (the store queued
    /// an order): a customer waiting for an issuance does not wait for the
    /// next idle poll. A pause the CA asked for (`Retry-After`, backoff) is
    /// still kept in full.
    #[must_use]
    pub fn with_wake(mut self, wake: Arc<tokio::sync::Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Also copies the kiosk's audit log to the CA, entry by entry, in
    /// order, as kiosk `kiosk` (its device certificate's).
    #[must_use]
    pub fn with_audit(mut self, kiosk: KioskCode) -> Self {
        self.audit = Some(AuditCopy {
            kiosk,
            ca_head: None,
            stopped: None,
        });
        self
    }

    /// Replaces the wall clock (tests).
    #[must_use]
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The HTTP client (the same CA), e.g. to send a renewal.
    pub fn client(&self) -> &CaClient {
        &self.client
    }

    /// Gives the port back.
    pub fn into_outbox(self) -> O {
        self.outbox
    }

    fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// Drains until `shutdown` resolves, then gives the port back.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> O {
        tokio::pin!(shutdown);
        loop {
            let drained = self.drain_once().await;
            if matches!(&drained, Ok(report) if report.pause.is_none()) {
                // The CA answered: hear what became of earlier orders too.
                if let Err(e) = self.pull_feed().await {
                    tracing::warn!(error = %e, "status feed not read");
                }
                if let Err(e) = self.copy_audit().await {
                    tracing::warn!(error = %e, "audit log not copied");
                }
            }
            let (sleep, idle) = match drained {
                Ok(report) => match report.pause {
                    Some(pause) => (pause, false),
                    None if report.acknowledged + report.retried + report.set_aside > 0 => {
                        (Duration::ZERO, false)
                    }
                    None => (self.idle_sleep(), true),
                },
                Err(e) => {
                    tracing::error!(error = %e, "sync pass failed");
                    self.state
                        .send_modify(|s| s.last_error = Some("outbox".to_owned()));
                    (self.config.idle_poll, false)
                }
            };
            let wake = self.wake.clone().filter(|_| idle);
            let woken = async {
                match wake {
                    Some(wake) => wake.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut shutdown => return self.outbox,
                () = tokio::time::sleep(sleep) => {}
                () = woken => {}
            }
        }
    }

    /// Until the next upload is due, at most `idle_poll`.
    fn idle_sleep(&mut self) -> Duration {
        let now = self.now();
        let next = self
            .outbox
            .stats(now)
            .ok()
            .and_then(|s| s.next_attempt_at)
            .map(|at| (at - now).try_into().unwrap_or(Duration::ZERO));
        next.map_or(self.config.idle_poll, |d: Duration| {
            d.min(self.config.idle_poll)
        })
    }

    /// Reads the CA's status feed from where the store last applied it and
    /// applies each entry (the store moves its cursor in the same
    /// transaction). Returns how many orders changed status.
    pub async fn pull_feed(&mut self) -> Result<u32, WorkerError> {
        const PAGE: u32 = 100;
        let mut changed = 0;
        loop {
            let cursor = self.outbox.feed_cursor().map_err(outbox_error)?;
            let page = self.client.feed(cursor, PAGE).await?;
            let mut advanced = false;
            for entry in &page.entries {
                let Ok(number) = entry.number.parse::<OrderNumber>() else {
                    tracing::warn!(
                        seq = entry.seq,
                        "feed entry with an invalid order number skipped"
                    );
                    continue;
                };
                let update = StatusUpdate {
                    number,
                    status: entry.status.into(),
                    reason: entry.reason.clone(),
                };
                let applied = self
                    .outbox
                    .apply_status(&update, entry.seq, self.now())
                    .map_err(outbox_error)?;
                changed += u32::from(applied == StatusApplied::Changed);
                advanced = true;
            }
            let full = u32::try_from(page.entries.len()).unwrap_or(u32::MAX) >= PAGE;
            if !full || !advanced {
                self.outbox.feed_read(self.now()).map_err(outbox_error)?;
                return Ok(changed);
            }
        }
    }

    /// Sends the audit entries the CA does not hold yet, in order, one
    /// batch a pass (a network call only when there are some, once the
    /// CA's head is known); returns how many it took. Stops for good
    /// (until restart) where the kiosk's log and the CA's copy part: a
    /// broken chain here, entries cut off here, an entry the CA refuses as
    /// a conflict even after its head was asked again, or one it cannot
    /// read.
    ///
    /// # Errors
    /// The store failed, or the CA could not be reached (tried again next
    /// pass).
    pub async fn copy_audit(&mut self) -> Result<u32, WorkerError> {
        let Some(copy) = &mut self.audit else {
            return Ok(0);
        };
        if copy.stopped.is_some() {
            return Ok(0);
        }
        let kiosk = copy.kiosk.to_string();
        let mut sent = 0;
        let mut rechecked = false;
        'pass: loop {
            let ca_head = match copy.ca_head {
                Some(head) => head,
                None => {
                    let head = self.client.audit_head(&kiosk).await?;
                    // The CA's last entry must be this kiosk's, link for
                    // link: a log cut and written again to the same length
                    // parts from the CA's copy right there.
                    if let Some(seq) = head.head.checked_sub(1) {
                        let here = self.outbox.audit_after(seq, 1).map_err(outbox_error)?;
                        if let Some(problem) = audit_parts(&head, &here) {
                            return Ok(Self::stop_audit(copy, &self.state, problem, sent));
                        }
                    }
                    copy.ca_head = Some(head.head);
                    head.head
                }
            };
            let entries = match self
                .outbox
                .audit_after(ca_head, AUDIT_BATCH)
                .map_err(outbox_error)?
            {
                AuditTail::Entries(entries) => entries,
                AuditTail::Broken { seq } => {
                    let problem = AuditProblem::Broken { seq };
                    return Ok(Self::stop_audit(copy, &self.state, problem, sent));
                }
                AuditTail::EndsBefore { last } => {
                    let problem = AuditProblem::CutOff { last, ca_head };
                    return Ok(Self::stop_audit(copy, &self.state, problem, sent));
                }
            };
            // One batch a pass: orders and the feed are not held up.
            for entry in entries {
                let body = AuditEntryV1::new(&entry.entry, &entry.prev, &entry.link);
                match self.client.put_audit(&kiosk, entry.seq, &body).await {
                    Ok(head) if head.head >= entry.seq => {
                        copy.ca_head = Some(head.head);
                        sent += 1;
                    }
                    Ok(_) => {
                        // An answer that does not hold the entry: ask again.
                        copy.ca_head = None;
                        return Err(CallError::Invalid(
                            "the CA's audit head is behind the entry it took".to_owned(),
                        )
                        .into());
                    }
                    Err(e) if e.code() == Some(ProblemCode::AuditConflict) => {
                        if rechecked {
                            let problem = AuditProblem::Conflict { seq: entry.seq };
                            return Ok(Self::stop_audit(copy, &self.state, problem, sent));
                        }
                        // The CA's copy may not be where this worker last
                        // saw it (restored from a backup): ask its head
                        // again and compare once more before giving up.
                        rechecked = true;
                        copy.ca_head = None;
                        continue 'pass;
                    }
                    Err(CallError::Status {
                        status: 400 | 413 | 415 | 422,
                        ..
                    }) => {
                        // The CA cannot read it (too long, an action it
                        // does not know): sending it again will not help.
                        let problem = AuditProblem::Unsendable { seq: entry.seq };
                        return Ok(Self::stop_audit(copy, &self.state, problem, sent));
                    }
                    Err(e) => {
                        copy.ca_head = None;
                        return Err(e.into());
                    }
                }
            }
            return Ok(sent);
        }
    }

    fn stop_audit(
        copy: &mut AuditCopy,
        state: &watch::Sender<SyncState>,
        problem: AuditProblem,
        sent: u32,
    ) -> u32 {
        tracing::error!(
            ?problem,
            "the audit log is no longer copied to the CA: it and the CA's copy part here"
        );
        copy.stopped = Some(problem);
        state.send_modify(|s| s.audit_problem = Some(problem));
        sent
    }

    /// One pass over the uploads due now.
    pub async fn drain_once(&mut self) -> Result<DrainReport, WorkerError> {
        let mut report = DrainReport::default();
        self.publish_stats()?;
        let due = self
            .outbox
            .due(self.now(), self.config.batch)
            .map_err(outbox_error)?;
        for upload in due {
            let Some(body) = self
                .outbox
                .upload_body(&upload.number)
                .map_err(outbox_error)?
            else {
                // Purged before it was ever sent: nothing left to send.
                tracing::warn!(order = %upload.number, "queued order no longer held; skipped");
                continue;
            };
            match send(&self.client, &upload, &body).await {
                Ok(()) => {
                    let now = self.now();
                    self.outbox
                        .acknowledged(&upload.number, now)
                        .map_err(outbox_error)?;
                    self.offline_passes = 0;
                    report.acknowledged += 1;
                    self.state.send_modify(|s| {
                        s.online = true;
                        s.last_success = Some(now);
                    });
                }
                Err(error) => {
                    let stop = self.failed(&upload, &error, &mut report)?;
                    if stop {
                        break;
                    }
                }
            }
            self.publish_stats()?;
        }
        self.publish_stats()?;
        Ok(report)
    }

    /// Records a failure; returns whether the pass should stop.
    fn failed(
        &mut self,
        upload: &Upload,
        error: &CallError,
        report: &mut DrainReport,
    ) -> Result<bool, WorkerError> {
        let now = self.now();
        let reached = error.reached_ca();
        match error.disposition() {
            Disposition::Refused { code } => {
                self.outbox
                    .set_aside(&upload.number, now, &code)
                    .map_err(outbox_error)?;
                report.set_aside += 1;
                self.state.send_modify(|s| {
                    s.online = true;
                    s.last_error = Some(code);
                });
                Ok(false)
            }
            Disposition::Retry { code, not_before } => {
                let jittered = self.backoff.delay(upload.attempts);
                let wait = not_before.map_or(jittered, |n| n.max(jittered));
                self.outbox
                    .retry_later(&upload.number, now, now + wait, &code)
                    .map_err(outbox_error)?;
                report.retried += 1;
                tracing::info!(order = %upload.number, error_code = %code, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "upload will be retried");
                self.state.send_modify(|s| {
                    s.online = reached;
                    s.last_error = Some(code);
                });
                // The CA asked everyone to wait, or cannot be reached: stop
                // the pass instead of hitting it with the rest of the batch.
                if let Some(n) = not_before {
                    report.pause = Some(n);
                    return Ok(true);
                }
                if !reached {
                    self.offline_passes = self.offline_passes.saturating_add(1);
                    report.pause = Some(self.backoff.delay(self.offline_passes));
                    return Ok(true);
                }
                Ok(false)
            }
        }
    }

    fn publish_stats(&mut self) -> Result<(), WorkerError> {
        let now = self.now();
        let stats = self.outbox.stats(now).map_err(outbox_error)?;
        self.state.send_modify(|s| {
            s.queue_depth = stats.depth;
            s.set_aside = stats.set_aside;
            s.oldest_pending_age = stats
                .oldest_pending_created_at
                .map(|t| (now - t).try_into().unwrap_or(Duration::ZERO));
        });
        Ok(())
    }
}

/// Order, attachments from the CA's offsets, submit. (A free function: the
/// future holds only the client, so a port that is `Send` but not `Sync`,
/// like the store, can run on a multi-threaded runtime.)
async fn send(client: &CaClient, upload: &Upload, body: &UploadBody) -> Result<(), CallError> {
    let document = OrderV1::from_domain(&body.order, &body.attachments);
    let number = document.number.as_str();
    let (created, record) = client.put_order(&upload.idempotency_key, &document).await?;
    tracing::debug!(order = %number, created, "order at the CA");
    for attachment in sendable(&body.order, &body.attachments) {
        let known = record
            .attachments
            .iter()
            .find(|a| a.position == attachment.position);
        let mut offset = known.map_or(0, |a| a.received);
        if known.is_some_and(|a| a.complete) {
            check_digest(
                known.and_then(|a| a.sha256.as_deref()),
                &attachment.sha256_hex,
            )?;
            continue;
        }
        let size = u64::try_from(attachment.bytes.len()).unwrap_or(u64::MAX);
        let mut tries = 0;
        loop {
            tries += 1;
            let start = usize::try_from(offset.min(size)).unwrap_or(usize::MAX);
            let part = attachment.bytes.get(start..).unwrap_or_default().to_vec();
            match client
                .put_attachment_part(
                    number,
                    attachment.position,
                    offset,
                    &attachment.sha256_hex,
                    part,
                )
                .await
            {
                Ok(status) if status.complete => {
                    check_digest(status.sha256.as_deref(), &attachment.sha256_hex)?;
                    break;
                }
                Ok(status) => offset = status.received,
                Err(CallError::Status {
                    offset: Some(held),
                    status: 409,
                    ..
                }) if tries < 4 => offset = held,
                Err(e) => return Err(e),
            }
            if tries >= 4 {
                return Err(CallError::Invalid("attachment did not complete".to_owned()));
            }
        }
    }
    client.submit(number).await?;
    Ok(())
}

fn check_digest(server: Option<&str>, ours: &str) -> Result<(), CallError> {
    if server == Some(ours) {
        Ok(())
    } else {
        Err(CallError::Invalid(
            "the CA's SHA-256 of an attachment is not the kiosk's".to_owned(),
        ))
    }
}
