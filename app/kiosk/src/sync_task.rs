//! The outbox worker on its own tokio runtime (one worker thread): it
//! drains the store's queue whenever the CA answers and pulls the CA's
//! status feed. Its own store connection (SQLite WAL lets the flow thread
//! and the worker write in turn).

use kiosk_domain::ports::outbox::Outbox;
use kiosk_sync_client::{SyncState, Worker, WorkerConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::{oneshot, watch};

/// The running worker; dropping it stops it.
#[derive(Debug)]
pub struct SyncTask {
    runtime: Option<Runtime>,
    stop: Option<oneshot::Sender<()>>,
    pub state: watch::Receiver<SyncState>,
    /// Mirrors `state.online` for the flow thread's synchronous reads.
    pub online: Arc<AtomicBool>,
}

/// The worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum SyncStartError {
    #[error("tokio runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error(transparent)]
    Worker(#[from] kiosk_sync_client::WorkerError),
}

impl SyncTask {
    /// Starts draining `outbox` to the CA in `config`.
    ///
    /// # Errors
    /// The runtime or the HTTP client could not be built.
    pub fn start<O>(outbox: O, config: WorkerConfig) -> Result<Self, SyncStartError>
    where
        O: Outbox + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kiosk-sync")
            .enable_all()
            .build()?;
        let (worker, state) = {
            let _entered = runtime.enter();
            Worker::new(outbox, config)?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(async move {
            let _outbox = worker
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let online = Arc::new(AtomicBool::new(false));
        let mirror = Arc::clone(&online);
        let mut watched = state.clone();
        runtime.spawn(async move {
            while watched.changed().await.is_ok() {
                let now_online = watched.borrow_and_update().online;
                mirror.store(now_online, Ordering::SeqCst);
            }
        });
        Ok(Self {
            runtime: Some(runtime),
            stop: Some(stop),
            state,
            online,
        })
    }

    /// The runtime, for the flow thread's blocking CA calls.
    #[must_use]
    pub fn handle(&self) -> Option<Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            // The worker finishes its current call; an upload cut here is
            // resumed from the CA's offset next time.
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}
