//! The kiosk's background work on its sync runtime: the outbox worker,
//! which drains the store's queue whenever the CA answers and pulls the CA's
//! status feed, the store's purge of personal data (hourly), and the CA's
//! catalogue fetched for the application (hourly). Each has
//! its own store connection (SQLite WAL lets them and the flow thread write
//! in turn).

use crate::clock::Clock;
use kiosk_domain::order_number::KioskCode;
use kiosk_domain::ports::ca::CaPort;
use kiosk_domain::ports::outbox::Outbox;
use kiosk_domain::ports::staff::StaffRevocationSource;
use kiosk_domain::renewal_window::RenewalTerms;
use kiosk_store::Store;
use kiosk_sync_client::{SyncState, Worker, WorkerConfig};
use kiosk_token::x509::X509StaffCredentials;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::{oneshot, watch};

/// The running worker; dropping it stops it.
#[derive(Debug)]
pub struct SyncTask {
    stop: Option<oneshot::Sender<()>>,
    pub state: watch::Receiver<SyncState>,
}

impl SyncTask {
    /// Starts draining `outbox` to the CA in `config`, on `runtime`, and
    /// copying the audit log there as kiosk `kiosk`; an idle worker also
    /// wakes when `wake` is notified (an order was queued).
    ///
    /// # Errors
    /// The HTTP client could not be built.
    pub fn start<O>(
        runtime: &Handle,
        outbox: O,
        config: WorkerConfig,
        kiosk: KioskCode,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Self, kiosk_sync_client::WorkerError>
    where
        O: Outbox + Send + 'static,
    {
        let (worker, state) = {
            let _entered = runtime.enter();
            Worker::new(outbox, config)?
        };
        let worker = worker.with_wake(wake).with_audit(kiosk);
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(async move {
            let _outbox = worker
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            stop: Some(stop),
            state,
        })
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The worker finishes its current call; an upload cut here is
            // resumed from the CA's offset next time.
            let _ = stop.send(());
        }
    }
}

/// How often personal data the CA acknowledged (or past the retention) is
/// deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Purges the store now and every hour: what the CA acknowledged, and
/// anything past `retention` (a failure is logged and tried again).
pub fn start_purge(
    runtime: &Handle,
    store: Store,
    retention: time::Duration,
    clock: Arc<dyn Clock>,
) {
    let store = Arc::new(std::sync::Mutex::new(store));
    runtime.spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            let store = Arc::clone(&store);
            let now = clock.wall();
            let done = tokio::task::spawn_blocking(move || {
                let mut store = store
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                store.purge(now, retention)
            })
            .await;
            match done {
                Ok(Ok(report)) => tracing::info!(?report, "store purged"),
                Ok(Err(e)) => tracing::warn!(error = %e, "purge failed"),
                Err(e) => tracing::warn!(error = %e, "purge task failed"),
            }
        }
    });
}

/// How often the CA's catalogue is fetched again once it was had.
const CATALOGUE_EVERY: Duration = Duration::from_secs(3600);
/// How soon after a failed fetch (the CA not reachable) it is tried again.
const CATALOGUE_RETRY: Duration = Duration::from_secs(60);

/// Fetches the CA's catalogue (projects, prices, agreement, the renewal's
/// price and window) now and then every hour, keeping it in the store, so
/// that an application started offline offers the CA's latest terms, and
/// handing the renewal's terms to the flows (`terms`). A failure keeps what
/// is kept.
pub fn start_catalogue_refresh<C: CaPort>(
    runtime: &Handle,
    store: Store,
    ca: C,
    clock: Arc<dyn Clock>,
    terms: watch::Sender<Option<RenewalTerms>>,
) {
    let store = Arc::new(std::sync::Mutex::new(store));
    runtime.spawn(async move {
        loop {
            let wait = match ca.catalogue(clock.wall()).await {
                Ok(catalogue) => {
                    // A CA that stopped publishing them: the configured
                    // ones apply again.
                    terms.send_replace(catalogue.renewal);
                    let store = Arc::clone(&store);
                    let kept = tokio::task::spawn_blocking(move || {
                        store
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .save_catalogue(&catalogue)
                    })
                    .await;
                    match kept {
                        Ok(Ok(())) => {
                            tracing::info!("the CA's catalogue kept");
                            CATALOGUE_EVERY
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "the CA's catalogue not kept");
                            CATALOGUE_RETRY
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "catalogue task failed");
                            CATALOGUE_RETRY
                        }
                    }
                }
                Err(e) => {
                    tracing::info!(error = %e, "the CA's catalogue not fetched");
                    CATALOGUE_RETRY
                }
            };
            tokio::time::sleep(wait).await;
        }
    });
}

/// How often the staff CA's revocation lists are fetched, and how soon
/// again after a failure.
const STAFF_LISTS_EVERY: Duration = Duration::from_secs(3600);
const STAFF_LISTS_RETRY: Duration = Duration::from_secs(300);

/// The staff revocation lists last kept, from `path` (one hex line per
/// list): what the kiosk checks staff certificates against offline until
/// the CA is asked again. A missing file is none; a line that is not hex
/// is skipped.
#[must_use]
pub fn load_staff_lists(path: &std::path::Path) -> Vec<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .filter_map(|line| hex::decode(line.trim()).ok())
            .filter(|list| !list.is_empty())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            tracing::warn!(error = %e, "the kept staff revocation lists are not readable");
            Vec::new()
        }
    }
}

/// Writes `lists` to `path` whole or not at all (a new file renamed over
/// the old, then the directory synced).
fn keep_staff_lists(path: &std::path::Path, lists: &[Vec<u8>]) -> std::io::Result<()> {
    use std::io::Write as _;
    let text: String = lists
        .iter()
        .map(|l| format!("{}\n", hex::encode(l)))
        .collect();
    let tmp = path.with_extension("new");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Fetches the staff CA's revocation lists from the CA at start and then
/// hourly (every 5 minutes after a failure); those that verify replace the
/// ones the staff sign-in checks, and are kept in `path` for the next start.
pub fn start_staff_lists_refresh<C: StaffRevocationSource>(
    runtime: &Handle,
    ca: C,
    credentials: Arc<X509StaffCredentials>,
    path: std::path::PathBuf,
) {
    runtime.spawn(async move {
        loop {
            let wait = match ca.staff_revocation_lists().await {
                Ok(lists) => {
                    let kept = credentials.keep_synced(lists);
                    let (path, lists) = (path.clone(), kept.clone());
                    let written =
                        tokio::task::spawn_blocking(move || keep_staff_lists(&path, &lists)).await;
                    match written {
                        Ok(Ok(())) => {
                            tracing::info!(lists = kept.len(), "the staff revocation lists kept");
                            STAFF_LISTS_EVERY
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "the staff revocation lists not written");
                            STAFF_LISTS_RETRY
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "staff revocation list task failed");
                            STAFF_LISTS_RETRY
                        }
                    }
                }
                Err(e) => {
                    tracing::info!(error = %e, "the staff revocation lists not fetched");
                    STAFF_LISTS_RETRY
                }
            };
            tokio::time::sleep(wait).await;
        }
    });
}
