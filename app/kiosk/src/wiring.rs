//! Builds the kiosk from its configuration: the ports (store, key writer,
//! CA, printer), the sync runtime with the outbox worker, one slot per flow,
//! and the runtime that drives them. Nothing here decides anything about
//! the business.
//!
//! [`ports`] opens the real ports; [`assemble`] takes any ports, so a test
//! wraps one (to inject a fault) and runs the production runtime on it.

use crate::account::{AccountBinding, AccountExecutor};
use crate::application::{ApplicationBinding, ApplicationExecutor, ApplicationSettings};
use crate::clock::Clock;
use crate::devices::{CameraCheck, PrinterCheck, SharedWriter};
use crate::link::Link;
use crate::lookup::{LookupBinding, LookupExecutor};
use crate::pickup::{PickupBinding, PickupExecutor};
use crate::receipts::{ConfiguredPrinter, ReceiptSettings, Receipts};
use crate::renewal::{RenewalBinding, RenewalExecutor, RenewalPorts, RenewalSettings};
use crate::runtime::{Answers, Command, FlowRuntime, Rules};
use crate::shared_store::SharedStore;
use crate::slot::{Slot, load_journal};
use crate::staff_call::StaffDesk;
use crate::staff_mode::{StaffBinding, StaffExecutor};
use crate::sync_task::{self, SyncTask};
use crate::ui_port::UiSender;
use anyhow::{Context, Result};
use kiosk_config::{CaSettings, Config};
use kiosk_domain::flow::account::Account;
use kiosk_domain::flow::application::Application;
use kiosk_domain::flow::idle::IdleTimer;
use kiosk_domain::flow::lookup::Lookup;
use kiosk_domain::flow::pickup::PickupFlow;
use kiosk_domain::flow::renewal::Renewal;
use kiosk_domain::flow::staff::Staff;
use kiosk_domain::ports::account::AccountPort;
use kiosk_domain::ports::ca::CaPort;
use kiosk_domain::ports::key_writer::KeyWriter;
use kiosk_domain::ports::printer::ReceiptPrinter;
use kiosk_domain::ports::staff::{StaffCredentials, StaffRevocationSource};
use kiosk_domain::ports::staff_call::StaffCallPort;
use kiosk_domain::ports::store::OrderStore;
use kiosk_store::Store;
use kiosk_sync_client::{CaClient, TlsSettings, WorkerConfig};
use kiosk_token::x509::{X509Reader, X509StaffCredentials};
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

/// The kiosk's parts, ready to run.
#[derive(Debug)]
pub struct Parts {
    pub flow: FlowRuntime,
    /// `None` when no CA is configured (offline-only kiosk).
    pub sync: Option<SyncTask>,
    /// The sync runtime: CA calls, token and camera work, the outbox worker.
    /// Dropped last.
    pub io: tokio::runtime::Runtime,
}

/// The ports the flows run on.
#[derive(Debug)]
pub struct Ports<K, C, S, P> {
    pub store: S,
    pub writer: K,
    pub ca: Option<C>,
    pub printer: P,
}

/// The real ports.
pub type RealPorts = Ports<Pkcs11KeyWriter, CaClient, Store, ConfiguredPrinter>;

/// Reads the mutual-TLS files, when the CA is reached over https.
fn tls(ca: &CaSettings) -> Result<Option<TlsSettings>> {
    let Some(files) = &ca.tls else {
        return Ok(None);
    };
    Ok(Some(TlsSettings {
        roots_pem: std::fs::read(&files.roots)
            .with_context(|| format!("ca.tls_roots {}", files.roots.display()))?,
        identity_pem: std::fs::read(&files.device_identity)
            .with_context(|| format!("ca.device_identity {}", files.device_identity.display()))?,
    }))
}

/// The trust anchors for issued certificates (DER files).
fn certificate_roots(config: &Config) -> Result<Vec<Vec<u8>>> {
    config
        .ca
        .iter()
        .flat_map(|ca| &ca.certificate_roots)
        .map(|path| {
            std::fs::read(path).with_context(|| format!("ca.certificate_roots {}", path.display()))
        })
        .collect()
}

/// Opens the store named by the configuration.
///
/// # Errors
/// The store cannot be opened (its key, its schema, the disk).
pub fn open_store(config: &Config) -> Result<Store> {
    Store::open(&config.store.database, &config.store.key_file)
        .with_context(|| format!("cannot open the store {}", config.store.database.display()))
}

/// How long one CA request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The real ports from the configuration.
///
/// # Errors
/// The store cannot be opened, no PKCS#11 module loads, or a configured
/// file is unreadable: the kiosk cannot serve and says why.
pub fn ports(config: &Config) -> Result<RealPorts> {
    let store = open_store(config)?;
    let writer = Pkcs11KeyWriter::open(WriterConfig {
        modules: config.key_writer.modules.clone(),
        profiles: Vec::new(),
    })
    .context("no PKCS#11 module could be loaded (key_writer.modules)")?
    .with_reader(Box::new(X509Reader));
    let ca = match &config.ca {
        None => None,
        Some(ca) => Some(match tls(ca)? {
            Some(tls) => CaClient::with_tls(&ca.url, REQUEST_TIMEOUT, &tls)?,
            None => CaClient::new(&ca.url, REQUEST_TIMEOUT)?,
        }),
    };
    let printer = ConfiguredPrinter {
        uri: config.printer.uri.clone(),
        profile: config.printer.paper.into(),
        preview_dir: config.printer.preview_dir.clone(),
    };
    Ok(Ports {
        store,
        writer,
        ca,
        printer,
    })
}

/// Builds every part from `config` and the real ports.
///
/// # Errors
/// As [`ports`] and [`assemble`].
pub fn build(
    config: &Config,
    ui: UiSender,
    commands: Sender<Command>,
    clock: Arc<dyn Clock>,
) -> Result<Parts> {
    assemble(config, ports(config)?, ui, commands, clock)
}

/// Where the staff revocation lists last synced from the CA are kept.
#[must_use]
pub fn staff_lists_path(config: &Config) -> std::path::PathBuf {
    config.in_data_dir(std::path::Path::new("staff-revocation-lists.hex"))
}

/// The staff CA's certificates and revocation lists (configured, and as
/// last synced from the CA), when staff mode is configured (`None`: it is
/// off, or its files cannot be used: said in the log, and the customers are
/// served all the same).
#[must_use]
pub fn staff_credentials(config: &Config) -> Option<Arc<X509StaffCredentials>> {
    if config.staff.ca_certificates.is_empty() {
        return None;
    }
    match X509StaffCredentials::from_files(
        &config.staff.ca_certificates,
        &config.staff.revocation_lists,
    ) {
        Ok(credentials) => {
            let kept = sync_task::load_staff_lists(&staff_lists_path(config));
            credentials.keep_synced(kept);
            Some(Arc::new(credentials))
        }
        Err(e) => {
            tracing::error!(error = %e, "staff mode is off: the staff CA's files cannot be used");
            None
        }
    }
}

/// Builds the runtime over `ports`: the sync runtime with the outbox worker
/// and the purge (on their own store connections), one slot per flow, the
/// key watch, the CA link and the device checks.
///
/// # Errors
/// A setting is invalid, a journal cannot be read, or the sync runtime
/// cannot start.
pub fn assemble<K, C, S, P>(
    config: &Config,
    ports: Ports<K, C, S, P>,
    ui: UiSender,
    commands: Sender<Command>,
    clock: Arc<dyn Clock>,
) -> Result<Parts>
where
    K: KeyWriter + Send + 'static,
    K::Error: Send + 'static,
    C: CaPort + AccountPort + StaffCallPort + StaffRevocationSource,
    S: OrderStore + Send + 'static,
    P: ReceiptPrinter + Clone + Send + 'static,
{
    let io = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .thread_name("kiosk-io")
        .enable_all()
        .build()
        .context("the sync runtime")?;
    let answers = Answers::new(commands, io.handle().clone());
    let kiosk = config.kiosk_code;
    let outbox = Arc::new(tokio::sync::Notify::new());
    let sync = if let Some(ca) = &config.ca {
        let mut worker = WorkerConfig::new(&ca.url);
        worker.tls = tls(ca)?;
        // A renewal waits on the order reaching the CA: look often (one
        // indexed SQLite query per second).
        worker.idle_poll = Duration::from_secs(1);
        Some(SyncTask::start(
            io.handle(),
            open_store(config)?,
            worker,
            kiosk,
            Arc::clone(&outbox),
        )?)
    } else {
        None
    };
    sync_task::start_purge(
        io.handle(),
        open_store(config)?,
        config.store.retention,
        Arc::clone(&clock),
    );

    let receipt = ReceiptSettings {
        kiosk_id: config.kiosk_code.to_string(),
        hotline: config.printer.hotline.clone(),
        follow_url_base: config.printer.follow_url_base.clone(),
        lang: config.ui.lang,
    };
    let camera = config.camera.clone();
    let store = SharedStore::new(ports.store).waking(outbox);
    let writer = SharedWriter::new(ports.writer);
    let (ca, link) = match ports.ca {
        Some(ca) => {
            let (observed, link) = Link::observe(ca, Arc::clone(&clock));
            (Some(observed), Some(link))
        }
        None => (None, None),
    };
    // The CA's renewal terms: those of the kept catalogue until the CA
    // sends newer ones.
    let kept_terms = match open_store(config)?.load_catalogue() {
        Ok(kept) => kept.and_then(|c| c.renewal),
        Err(e) => {
            tracing::warn!(error = %e, "the kept catalogue is not readable");
            None
        }
    };
    let (terms_tx, terms) = tokio::sync::watch::channel(kept_terms);
    if let Some(ca) = &ca {
        sync_task::start_catalogue_refresh(
            io.handle(),
            open_store(config)?,
            ca.clone(),
            Arc::clone(&clock),
            terms_tx,
        );
    }

    let renewal = RenewalExecutor::new(
        RenewalPorts {
            store: store.clone(),
            writer: writer.clone(),
            ca: ca.clone(),
            printer: ports.printer.clone(),
        },
        Arc::new(X509Reader),
        link.clone(),
        answers.clone(),
        Arc::clone(&clock),
        RenewalSettings {
            kiosk,
            certificate_roots: certificate_roots(config)?,
            retire: config.renewal.old_certificate,
            order_upload_wait: Duration::from_secs(30),
            receipt: receipt.clone(),
        },
    );
    let staff_lists = staff_credentials(config);
    if let (Some(credentials), Some(ca)) = (&staff_lists, &ca) {
        sync_task::start_staff_lists_refresh(
            io.handle(),
            ca.clone(),
            Arc::clone(credentials),
            staff_lists_path(config),
        );
    }
    let staff_credentials = staff_lists.map(|c| -> Arc<dyn StaffCredentials + Send + Sync> { c });
    let renewal = renewal.leaving_out_staff_keys(staff_credentials.clone());
    let renewal = Slot::new(
        load_journal::<Renewal, _>(&store).context("the renewal's journal")?,
        renewal,
        RenewalBinding,
    );
    let application = ApplicationExecutor::new(
        store.clone(),
        ca.clone(),
        ports.printer.clone(),
        answers.clone(),
        Arc::clone(&clock),
        ApplicationSettings {
            kiosk,
            camera: camera.clone(),
            receipt: receipt.clone(),
        },
    );
    let application = application.with_viewfinder(crate::viewfinder::Viewfinder::new(
        camera.clone(),
        ui.clone(),
    ));
    let application = application.with_staff_check(staff_credentials.clone().map(
        |credentials| -> crate::application::StaffKeyCheck {
            let writer = writer.clone();
            Arc::new(move |pin, challenge, now| {
                kiosk_domain::ports::staff::sign_in(
                    &mut *writer.lock(),
                    credentials.as_ref(),
                    pin,
                    challenge,
                    now,
                )
            })
        },
    ));
    let application = Slot::new(
        load_journal::<Application, _>(&store).context("the application's journal")?,
        application,
        ApplicationBinding {
            // The CA's as last fetched, else the configured one.
            catalogue: Arc::new(
                store
                    .load_catalogue()
                    .context("the kept catalogue")?
                    .unwrap_or_else(|| config.application.catalogue.clone()),
            ),
        },
    );
    let pickup_printer = Arc::new(std::sync::Mutex::new(ports.printer.clone()));
    let pickup = PickupExecutor::new(
        store.clone(),
        writer.clone(),
        ca.clone(),
        certificate_roots(config)?,
        Arc::clone(&clock),
        answers.clone(),
        Receipts {
            print: Arc::new(move |receipt| {
                let mut printer = pickup_printer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                crate::receipts::print(&mut *printer, receipt)
            }),
            settings: receipt.clone(),
        },
    )
    .leaving_out_staff_keys(staff_credentials.clone());
    let pickup = Slot::new(
        load_journal::<PickupFlow, _>(&store).context("the pickup's journal")?,
        pickup,
        PickupBinding,
    );
    let account = Slot::new(
        load_journal::<Account, _>(&store).context("the account's journal")?,
        AccountExecutor::new(store.clone(), ca.clone(), answers.clone()).with_camera(
            camera.clone(),
            Some(crate::viewfinder::Viewfinder::new(
                camera.clone(),
                ui.clone(),
            )),
        ),
        AccountBinding,
    );
    let staff_printer = Arc::new(std::sync::Mutex::new(ports.printer.clone()));
    let staff_receipts = Receipts {
        print: Arc::new(move |receipt| {
            let mut printer = staff_printer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            crate::receipts::print(&mut *printer, receipt)
        }),
        settings: receipt,
    };
    let staff_mode = match staff_credentials {
        Some(credentials) => Some(Slot::new(
            load_journal::<Staff, _>(&store).context("staff mode's journal")?,
            StaffExecutor::new(
                store.clone(),
                ca.clone(),
                writer.clone(),
                staff_receipts,
                credentials,
                answers.clone(),
                Arc::clone(&clock),
                Arc::new(config.clone()),
            )
            .with_viewfinder(crate::viewfinder::Viewfinder::new(
                camera.clone(),
                ui.clone(),
            )),
            StaffBinding {
                settings: config.staff.settings,
            },
        )),
        None => None,
    };
    let staff = ca.clone().map(|ca| StaffDesk::new(kiosk, ca, link.clone()));
    let lookup = LookupExecutor::new(
        store.clone(),
        ca,
        camera.clone(),
        config.printer.follow_url_base.clone(),
        answers.clone(),
        Arc::clone(&clock),
    );
    let lookup = Slot::new(
        load_journal::<Lookup, _>(&store).context("the lookup's journal")?,
        lookup,
        LookupBinding,
    );

    let rules = Rules {
        floor: config.clock_floor,
        window: config.renewal.window,
        renewal_price: config.renewal.price,
        payment_poll: config
            .ca
            .as_ref()
            .map_or(Duration::from_secs(2), |ca| ca.payment_poll),
    };
    let idle = IdleTimer::new(config.ui.idle, clock.now());
    let mut flow = FlowRuntime::new(clock, rules, idle, ui)
        .with_flow(Box::new(renewal))
        .with_flow(Box::new(application))
        .with_flow(Box::new(lookup))
        .with_flow(Box::new(pickup))
        .with_flow(Box::new(account));
    if let Some(staff_mode) = staff_mode {
        flow = flow.with_flow(Box::new(staff_mode));
    }
    let mut flow = flow
        .with_answers(answers)
        .with_key_watch(Box::new(writer))
        .with_terms(terms);
    if ports.printer.installed() {
        flow = flow.with_device_check(Box::new(PrinterCheck(ports.printer)));
    }
    if !matches!(camera, kiosk_config::CameraSource::None) {
        flow = flow.with_device_check(Box::new(CameraCheck::new(camera)));
    }
    if let Some(link) = link {
        flow = flow.with_link(link);
    }
    if let Some(staff) = staff {
        flow = flow.with_staff_desk(staff);
    }
    if let Some(sync) = &sync {
        flow = flow.with_sync(sync.state.clone());
    }
    Ok(Parts { flow, sync, io })
}
