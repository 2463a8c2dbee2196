//! Builds the kiosk's parts from its configuration: the store, the key
//! writer, the CA link and outbox worker, receipts, and the flow runtime.
//! Nothing here decides anything about the business.

use crate::ca_link::CaLink;
use crate::idle::{IdleTimer, IdleTimes};
use crate::receipts::Receipts;
use crate::renewal_io::{RenewalIo, RenewalSettings};
use crate::runtime::{FlowRuntime, Rules};
use crate::sync_task::SyncTask;
use crate::ui_port::UiSender;
use anyhow::{Context, Result};
use kiosk_config::Config;
use kiosk_domain::lang::Lang;
use kiosk_domain::money::Fen;
use kiosk_domain::order_number::KioskCode;
use kiosk_store::Store;
use kiosk_sync_client::{CaClient, TlsSettings, WorkerConfig};
use kiosk_token::x509::X509Reader;
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use kiosk_ui::view_model::Device;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The kiosk's parts, ready to run.
#[derive(Debug)]
pub struct Parts {
    pub flow: FlowRuntime,
    /// `None` when no CA is configured (offline-only kiosk).
    pub sync: Option<SyncTask>,
}

/// Reads the mutual-TLS files, when the CA is reached over https.
fn tls(config: &Config) -> Result<Option<TlsSettings>> {
    let Some((roots, identity)) = config.tls_paths() else {
        return Ok(None);
    };
    Ok(Some(TlsSettings {
        roots_pem: std::fs::read(&roots)
            .with_context(|| format!("ca.tls_roots {}", roots.display()))?,
        identity_pem: std::fs::read(&identity)
            .with_context(|| format!("ca.device_identity {}", identity.display()))?,
    }))
}

/// The trust anchors for issued certificates (DER files).
fn certificate_roots(config: &Config) -> Result<Vec<Vec<u8>>> {
    config
        .certificate_root_paths()
        .iter()
        .map(|path| {
            std::fs::read(path).with_context(|| format!("ca.certificate_roots {}", path.display()))
        })
        .collect()
}

fn open_store(config: &Config) -> Result<Store> {
    Store::open(&config.database_path(), &config.key_path())
        .with_context(|| format!("cannot open the store {}", config.database_path().display()))
}

/// The outbox worker and the CA link, when a CA is configured.
fn start_sync(config: &Config) -> Result<Option<(SyncTask, CaLink)>> {
    if config.ca.url.is_empty() {
        return Ok(None);
    }
    let tls = tls(config)?;
    let mut worker = WorkerConfig::new(&config.ca.url);
    worker.tls.clone_from(&tls);
    // A renewal waits on the order reaching the CA: look often (one
    // indexed SQLite query per second).
    worker.idle_poll = Duration::from_secs(1);
    let request_timeout = worker.request_timeout;
    let sync = SyncTask::start(open_store(config)?, worker)?;
    let client = match &tls {
        Some(tls) => CaClient::with_tls(&config.ca.url, request_timeout, tls)?,
        None => CaClient::new(&config.ca.url, request_timeout)?,
    };
    let Some(handle) = sync.handle() else {
        anyhow::bail!("the sync runtime stopped at once");
    };
    let link = CaLink::new(client, handle, Arc::clone(&sync.online));
    Ok(Some((sync, link)))
}

/// Builds every part from `config`; screens are reached through `ui`.
///
/// # Errors
/// The store cannot be opened, no PKCS#11 module loads, or a configured
/// file is unreadable: the kiosk cannot serve and says why.
pub fn build(config: &Config, ui: UiSender) -> Result<Parts> {
    let store = open_store(config)?;
    let writer = Pkcs11KeyWriter::open(WriterConfig {
        modules: config.key_writer.all_modules(),
        profiles: Vec::new(),
    })
    .context("no PKCS#11 module could be loaded (key_writer.modules)")?
    .with_reader(Box::new(X509Reader));
    let kiosk: KioskCode = config
        .kiosk_code
        .parse()
        .map_err(|e| anyhow::anyhow!("kiosk_code: {e:?}"))?;
    let (sync, link) = match start_sync(config)? {
        Some((sync, link)) => (Some(sync), Some(link)),
        None => (None, None),
    };
    let printer = (!config.printer.uri.is_empty())
        .then(|| config.printer.uri.parse())
        .transpose()
        .map_err(|e| anyhow::anyhow!("printer.uri: {e}"))?;
    let receipts = Receipts {
        printer,
        profile: config
            .printer
            .paper
            .parse()
            .map_err(|e| anyhow::anyhow!("printer.paper: {e}"))?,
        preview_dir: config.preview_dir(),
        kiosk_id: config.kiosk_code.clone(),
        hotline: config.printer.hotline.clone(),
        follow_url_base: config.printer.follow_url_base.clone(),
        lang: if config.ui.lang == "en" {
            Lang::En
        } else {
            Lang::ZhCn
        },
    };
    let settings = RenewalSettings {
        kiosk,
        certificate_roots: certificate_roots(config)?,
        retire: config.renewal.old_certificate.into(),
        issued_dir: config.data_dir.join("issued"),
        order_upload_wait: Duration::from_secs(30),
    };
    let camera = config.camera_source()?;
    let scanner = crate::runtime::Scanner {
        camera: camera.clone(),
        follow_url_base: config.printer.follow_url_base.clone(),
        limit: Duration::from_secs(15),
    };
    let devices = vec![
        (Device::KeyWriter, true),
        (Device::Printer, receipts.printer.is_some()),
        (
            Device::Camera,
            !matches!(camera, kiosk_config::CameraSource::None),
        ),
    ];
    let io =
        RenewalIo::new(store, writer, link.clone(), receipts, settings).with_progress(ui.clone());
    let rules = Rules {
        floor: config.clock_floor()?,
        window: config.renewal_window(),
        renewal_price: Fen(config.renewal.price_fen),
    };
    let idle = IdleTimer::new(
        IdleTimes {
            idle: Duration::from_secs(config.ui.idle_seconds.into()),
            large_mode_idle: Duration::from_secs(config.ui.large_mode_idle_seconds.into()),
            warning: Duration::from_secs(config.ui.idle_warning_seconds.into()),
        },
        Instant::now(),
    );
    let poll = Duration::from_secs(config.ca.payment_poll_seconds.into());
    let mut flow = FlowRuntime::new(io, rules, idle, ui, poll)?
        .with_devices(devices)
        .with_scanner(scanner)
        .with_retention(time::Duration::days(config.store.retention_days.into()));
    if let Some(sync) = &sync {
        flow = flow.with_sync(sync.state.clone());
    }
    if let Some(link) = link {
        flow = flow.with_contacts(Box::new(link));
    }
    Ok(Parts { flow, sync })
}
