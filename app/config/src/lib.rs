//! The kiosk's configuration: embedded defaults, overridden by one TOML file,
//! parsed once into typed values.
//!
//! Shared by the kiosk and `kioskctl`, so that the technician's diagnostics
//! read exactly what the kiosk runs with. Every key is documented in
//! `default-config.toml`; a key the file does not set keeps its default, and
//! an unknown key is an error (a typo is never silently ignored). Values are
//! parsed with the domain's own types (kiosk code, clock floor, renewal
//! window, printer location, key models), so [`Config`] holds only values
//! that are known to be good, and this crate needs no driver.

use kiosk_domain::clock::ClockFloor;
use kiosk_domain::flow::idle::IdleTimes;
use kiosk_domain::lang::Lang;
use kiosk_domain::money::Fen;
use kiosk_domain::order::application::{Agreement, Catalogue, CatalogueError, Project};
use kiosk_domain::order_number::KioskCode;
use kiosk_domain::ports::key_model::KeyModel;
use kiosk_domain::ports::key_writer::RetirePolicy;
use kiosk_domain::ports::printer_uri::{Paper, PrinterUri};
use kiosk_domain::renewal_window::RenewalWindow;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration that cannot be used, with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration {path} is not valid TOML: {source}")]
    Syntax {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("configuration has a wrong or unknown key: {0}")]
    Shape(Box<toml::de::Error>),
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, ConfigError>;

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

/// The defaults compiled into the binary, so a fresh machine needs no file.
pub const DEFAULTS: &str = include_str!("../default-config.toml");

/// Where a provisioned kiosk keeps its own configuration.
pub const SYSTEM_PATH: &str = "/etc/kiosk/kiosk.toml";

/// The kiosk's configuration, parsed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub kiosk_code: KioskCode,
    pub data_dir: PathBuf,
    /// The earliest instant the clock can truthfully show.
    pub clock_floor: ClockFloor,
    /// `None` when no CA is configured (an offline-only kiosk).
    pub ca: Option<CaSettings>,
    pub store: StoreSettings,
    pub renewal: RenewalSettings,
    pub printer: PrinterSettings,
    pub ui: UiSettings,
    pub camera: CameraSource,
    pub key_writer: KeyWriterSettings,
    pub application: ApplicationSettings,
    pub staff: StaffConfig,
}

/// Staff mode: whose staff keys the kiosk accepts, and what staff may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffConfig {
    /// The staff CA's certificates (PEM or DER files; the same CA the CA
    /// service trusts for its back office). Empty: staff mode is off.
    pub ca_certificates: Vec<PathBuf>,
    /// The staff CA's revocation lists (PEM or DER files).
    pub revocation_lists: Vec<PathBuf>,
    pub settings: kiosk_domain::flow::staff::StaffSettings,
}

/// The CA's endpoint and what the kiosk checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaSettings {
    /// The CA's base URL: `https://` (mutual TLS), or `http://` to a
    /// loopback address (development only).
    pub url: String,
    /// Mutual TLS, required for `https://`.
    pub tls: Option<TlsFiles>,
    /// The roots certificates issued by the CA must chain to (DER files).
    pub certificate_roots: Vec<PathBuf>,
    /// How often a QR payment is asked after.
    pub payment_poll: Duration,
}

/// The mutual-TLS files (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA certificate(s) that sign the CA service's server certificate.
    pub roots: PathBuf,
    /// This kiosk's device certificate (then intermediates) and its key.
    pub device_identity: PathBuf,
}

/// Where the store lives and how long it keeps personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    pub database: PathBuf,
    pub key_file: PathBuf,
    pub retention: time::Duration,
}

/// The renewal's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalSettings {
    pub window: RenewalWindow,
    pub old_certificate: RetirePolicy,
    /// Until the CA's price list says otherwise.
    pub price: Fen,
}

/// The receipt printer and what every receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterSettings {
    /// `None`: no printer (receipts shown on screen only).
    pub uri: Option<PrinterUri>,
    pub paper: Paper,
    /// Where PNG previews of the receipts are kept, when configured.
    pub preview_dir: Option<PathBuf>,
    pub hotline: String,
    /// The receipt's QR code opens this with the order number appended.
    pub follow_url_base: String,
}

/// The touchscreen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSettings {
    /// The language a new session starts in.
    pub lang: Lang,
    pub orientation: Orientation,
    pub idle: IdleTimes,
    /// 帮助中心's download page, shown as a QR code (`None`: not shown).
    pub downloads_url: Option<String>,
    /// Where the service counter is, for a customer whose call for staff
    /// did not get through (`None`: the screen says only "the counter").
    pub counter_location: Option<String>,
}

/// The key writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWriterSettings {
    /// PKCS#11 modules to load, in order (the list, then each model's own).
    pub modules: Vec<PathBuf>,
    pub models: Vec<KeyModel>,
}

/// The application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSettings {
    /// The agreement and the projects with their prices, until the CA's
    /// own (`GET /v1/config`) replace them.
    pub catalogue: Catalogue,
}

/// How the touchscreen is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    Portrait,
    Landscape,
}

impl Orientation {
    /// The reference size of the screen in logical pixels.
    #[must_use]
    pub fn size(self) -> (u32, u32) {
        match self {
            Self::Portrait => (1080, 1920),
            Self::Landscape => (1920, 1080),
        }
    }
}

/// Where camera frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSource {
    None,
    V4l(u32),
    Files(PathBuf),
}

// ---- The file's shape (serde); parsed into the types above. ----

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    kiosk_code: String,
    data_dir: PathBuf,
    clock_floor: String,
    ca: RawCa,
    store: RawStore,
    renewal: RawRenewal,
    printer: RawPrinter,
    ui: RawUi,
    camera: RawCamera,
    key_writer: RawKeyWriter,
    application: RawApplication,
    staff: RawStaff,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    ca_certificates: Vec<PathBuf>,
    revocation_lists: Vec<PathBuf>,
    idle_lock_seconds: u32,
    unblock_pin: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    agreement_version: String,
    agreement_text: String,
    projects: Vec<RawProject>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    code: String,
    name: String,
    price_fen: i64,
    seal_price_fen: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUi {
    lang: String,
    orientation: Orientation,
    idle_seconds: u32,
    large_mode_idle_seconds: u32,
    idle_warning_seconds: u32,
    downloads_url: String,
    #[serde(default)]
    counter_location: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCamera {
    source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinter {
    uri: String,
    paper: String,
    preview_dir: PathBuf,
    hotline: String,
    follow_url_base: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyWriter {
    modules: Vec<PathBuf>,
    models: Vec<RawKeyModel>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyModel {
    usb_id: String,
    name: String,
    module: PathBuf,
    #[serde(default)]
    vendor_makes_keys: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCa {
    url: String,
    tls_roots: PathBuf,
    device_identity: PathBuf,
    certificate_roots: Vec<PathBuf>,
    payment_poll_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    database: PathBuf,
    key_file: PathBuf,
    retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRenewal {
    opens_days_before_expiry: u32,
    closes_days_after_expiry: u32,
    old_certificate: OldCertificatePolicy,
    price_fen: i64,
}

/// The CA's policy for the old certificate after a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OldCertificatePolicy {
    Keep,
    Delete,
}

impl Config {
    /// The embedded defaults, overlaid with `file` when given (or with the
    /// system file when it exists). Keys missing from the file keep their
    /// defaults; unknown keys are an error, so a typo is never ignored.
    ///
    /// # Errors
    /// The file cannot be read, is not TOML, has an unknown key, or a value
    /// is not valid (the message names the key and what is expected).
    pub fn load(file: Option<&Path>) -> Result<Self> {
        Self::load_with(file, None)
    }

    /// As [`Config::load`], with the data directory replaced by `data_dir`
    /// when given (`kioskctl --data-dir`): relative paths are inside it.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_with(file: Option<&Path>, data_dir: Option<&Path>) -> Result<Self> {
        let mut merged: toml::Table = DEFAULTS.parse().map_err(|e| ConfigError::Syntax {
            path: PathBuf::from("(embedded defaults)"),
            source: Box::new(e),
        })?;
        let system = Path::new(SYSTEM_PATH);
        let file = file.or_else(|| system.exists().then_some(system));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            let overlay: toml::Table = text.parse().map_err(|e| ConfigError::Syntax {
                path: path.to_owned(),
                source: Box::new(e),
            })?;
            merge(&mut merged, overlay);
        }
        let mut raw: Raw = toml::Value::Table(merged)
            .try_into()
            .map_err(|e| ConfigError::Shape(Box::new(e)))?;
        if let Some(dir) = data_dir {
            dir.clone_into(&mut raw.data_dir);
        }
        Self::parse(raw)
    }

    fn parse(raw: Raw) -> Result<Self> {
        let data_dir = raw.data_dir.clone();
        let inside = |path: &Path| in_dir(&data_dir, path);
        let kiosk_code = raw.kiosk_code.parse().map_err(|_| {
            invalid(format!(
                "kiosk_code {:?} must be three letters from 0-9A-HJ-NPQRTUWXY",
                raw.kiosk_code
            ))
        })?;
        let clock_floor = clock_floor(&raw.clock_floor)?;
        let ca = ca(&raw.ca, &inside)?;
        let store = store(&raw.store, &inside)?;
        let renewal = renewal(&raw.renewal)?;
        let printer = PrinterSettings {
            uri: (!raw.printer.uri.trim().is_empty())
                .then(|| raw.printer.uri.parse())
                .transpose()
                .map_err(|e| invalid(format!("printer.uri: {e}")))?,
            paper: raw
                .printer
                .paper
                .parse()
                .map_err(|e| invalid(format!("printer.paper: {e}")))?,
            preview_dir: (!raw.printer.preview_dir.as_os_str().is_empty())
                .then(|| inside(&raw.printer.preview_dir)),
            hotline: raw.printer.hotline,
            follow_url_base: raw.printer.follow_url_base,
        };
        let ui = ui(raw.ui)?;
        let camera = camera(&raw.camera.source, &inside)?;
        let key_writer = key_writer(raw.key_writer)?;
        let staff = staff(&raw.staff, &inside)?;
        Ok(Self {
            kiosk_code,
            data_dir,
            clock_floor,
            ca,
            store,
            renewal,
            printer,
            ui,
            camera,
            key_writer,
            application: application(raw.application)?,
            staff,
        })
    }

    /// `path` as given when absolute, else inside the data directory.
    #[must_use]
    pub fn in_data_dir(&self, path: &Path) -> PathBuf {
        in_dir(&self.data_dir, path)
    }
}

fn staff(raw: &RawStaff, inside: &dyn Fn(&Path) -> PathBuf) -> Result<StaffConfig> {
    if !(30..=3600).contains(&raw.idle_lock_seconds) {
        return Err(invalid("staff.idle_lock_seconds must be from 30 to 3600"));
    }
    Ok(StaffConfig {
        ca_certificates: raw.ca_certificates.iter().map(|p| inside(p)).collect(),
        revocation_lists: raw.revocation_lists.iter().map(|p| inside(p)).collect(),
        settings: kiosk_domain::flow::staff::StaffSettings {
            idle_lock: Duration::from_secs(raw.idle_lock_seconds.into()),
            may_unblock: raw.unblock_pin,
        },
    })
}

fn in_dir(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        dir.join(path)
    }
}

fn clock_floor(text: &str) -> Result<ClockFloor> {
    let instant = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            invalid(format!(
                "clock_floor {text:?} must be a date and time with an offset"
            ))
        })?;
    Ok(ClockFloor::new(instant))
}

/// Whether `url`'s host is this machine (plain HTTP is allowed there only).
fn loopback_host(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn ca(raw: &RawCa, inside: &impl Fn(&Path) -> PathBuf) -> Result<Option<CaSettings>> {
    if raw.payment_poll_seconds == 0 || raw.payment_poll_seconds > 60 {
        return Err(invalid("ca.payment_poll_seconds must be from 1 to 60"));
    }
    let url = raw.url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let tls_set = !raw.tls_roots.as_os_str().is_empty();
    let identity_set = !raw.device_identity.as_os_str().is_empty();
    let tls = if url.starts_with("https://") {
        if !tls_set || !identity_set {
            return Err(invalid(
                "ca.url is https://: set ca.tls_roots and ca.device_identity (mutual TLS)",
            ));
        }
        Some(TlsFiles {
            roots: inside(&raw.tls_roots),
            device_identity: inside(&raw.device_identity),
        })
    } else if url.starts_with("http://") {
        if tls_set || identity_set {
            return Err(invalid(
                "ca.tls_roots/device_identity are set but ca.url is plain http://",
            ));
        }
        // Customers' data never crosses a network in clear.
        if !loopback_host(url) {
            return Err(invalid(format!(
                "ca.url {url:?}: plain http:// only to this machine (127.0.0.1, ::1, localhost); a CA elsewhere is reached over https:// with mutual TLS"
            )));
        }
        None
    } else {
        return Err(invalid(format!(
            "ca.url {url:?} must start with https:// (or http:// for a loopback CA)"
        )));
    };
    Ok(Some(CaSettings {
        url: url.to_owned(),
        tls,
        certificate_roots: raw.certificate_roots.iter().map(|p| inside(p)).collect(),
        payment_poll: Duration::from_secs(raw.payment_poll_seconds.into()),
    }))
}

fn store(raw: &RawStore, inside: &impl Fn(&Path) -> PathBuf) -> Result<StoreSettings> {
    if raw.retention_days == 0 {
        return Err(invalid("store.retention_days must be at least 1"));
    }
    Ok(StoreSettings {
        database: inside(&raw.database),
        key_file: inside(&raw.key_file),
        retention: time::Duration::days(raw.retention_days.into()),
    })
}

fn application(raw: RawApplication) -> Result<ApplicationSettings> {
    let wrong = |e: CatalogueError| invalid(format!("application: {e}"));
    let projects = raw
        .projects
        .iter()
        .map(|p| Project::checked(&p.code, &p.name, p.price_fen, p.seal_price_fen).map_err(wrong))
        .collect::<Result<Vec<_>>>()?;
    Ok(ApplicationSettings {
        catalogue: Catalogue {
            agreement: Agreement::checked(&raw.agreement_version, &raw.agreement_text)
                .map_err(wrong)?,
            projects,
            fetched: None,
            renewal: None,
        },
    })
}

fn renewal(raw: &RawRenewal) -> Result<RenewalSettings> {
    if raw.price_fen < 0 {
        return Err(invalid("renewal.price_fen must not be negative"));
    }
    // Ten years either side is beyond any CA's policy: surely a typo.
    if raw.opens_days_before_expiry > 3650 || raw.closes_days_after_expiry > 3650 {
        return Err(invalid("renewal window days must be at most 3650"));
    }
    Ok(RenewalSettings {
        window: RenewalWindow {
            opens_before_expiry: time::Duration::days(raw.opens_days_before_expiry.into()),
            closes_after_expiry: time::Duration::days(raw.closes_days_after_expiry.into()),
        },
        old_certificate: match raw.old_certificate {
            OldCertificatePolicy::Keep => RetirePolicy::Keep,
            OldCertificatePolicy::Delete => RetirePolicy::Delete,
        },
        price: Fen(raw.price_fen),
    })
}

fn ui(raw: RawUi) -> Result<UiSettings> {
    let lang = match raw.lang.as_str() {
        "zh-CN" => Lang::ZhCn,
        "en" => Lang::En,
        other => {
            return Err(invalid(format!(
                "ui.lang {other:?} must be \"zh-CN\" or \"en\""
            )));
        }
    };
    if raw.idle_seconds < 15 || raw.large_mode_idle_seconds < raw.idle_seconds {
        return Err(invalid(
            "ui.idle_seconds must be at least 15, and large_mode_idle_seconds at least as long",
        ));
    }
    if raw.idle_warning_seconds == 0 || raw.idle_warning_seconds > 120 {
        return Err(invalid("ui.idle_warning_seconds must be from 1 to 120"));
    }
    Ok(UiSettings {
        lang,
        orientation: raw.orientation,
        idle: IdleTimes {
            idle: Duration::from_secs(raw.idle_seconds.into()),
            large_mode_idle: Duration::from_secs(raw.large_mode_idle_seconds.into()),
            warning: Duration::from_secs(raw.idle_warning_seconds.into()),
        },
        downloads_url: (!raw.downloads_url.trim().is_empty()).then_some(raw.downloads_url),
        counter_location: counter_location(&raw.counter_location)?,
    })
}

/// The counter's place as the screen shows it: one line, at most 40
/// characters (it sits inside a sentence on the call notice).
fn counter_location(raw: &str) -> Result<Option<String>> {
    let place = raw.trim();
    if place.chars().count() > 40 || place.chars().any(char::is_control) {
        return Err(invalid(
            "ui.counter_location must be one line of at most 40 characters",
        ));
    }
    Ok((!place.is_empty()).then(|| place.to_owned()))
}

fn camera(source: &str, inside: &impl Fn(&Path) -> PathBuf) -> Result<CameraSource> {
    let source = source.trim();
    if source.is_empty() {
        return Ok(CameraSource::None);
    }
    if let Some(index) = source.strip_prefix("v4l:") {
        return index
            .parse()
            .map(CameraSource::V4l)
            .map_err(|_| invalid(format!("camera.source {source:?}: v4l:INDEX, e.g. v4l:0")));
    }
    if let Some(dir) = source.strip_prefix("files:") {
        return Ok(CameraSource::Files(inside(Path::new(dir))));
    }
    Err(invalid(format!(
        "camera.source {source:?} must be empty, v4l:INDEX or files:DIR"
    )))
}

fn key_writer(raw: RawKeyWriter) -> Result<KeyWriterSettings> {
    let models = raw
        .models
        .into_iter()
        .map(|m| {
            Ok(KeyModel {
                id: m
                    .usb_id
                    .parse()
                    .map_err(|e: String| invalid(format!("key_writer.models: {e}")))?,
                name: m.name,
                module: m.module,
                vendor_makes_keys: m.vendor_makes_keys,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut modules = raw.modules;
    for m in &models {
        if !modules.contains(&m.module) {
            modules.push(m.module.clone());
        }
    }
    Ok(KeyWriterSettings { modules, models })
}

/// Overlays `overlay` onto `base`, table by table.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]
mod tests;
