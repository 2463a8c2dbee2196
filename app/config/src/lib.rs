//! The kiosk's configuration: embedded defaults, overridden by one TOML file.
//!
//! Shared by the kiosk and `kioskctl`, so that the technician's diagnostics
//! read exactly what the kiosk runs with. Every key is documented in
//! `default-config.toml`; a key the file does not set keeps its default, and
//! an unknown key is an error (a typo is never silently ignored).

use serde::Deserialize;
use std::path::{Path, PathBuf};

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub kiosk_code: String,
    pub data_dir: PathBuf,
    /// The earliest instant the clock can truthfully show (RFC 3339).
    pub clock_floor: String,
    pub ca: CaConfig,
    pub store: StoreConfig,
    pub renewal: RenewalConfig,
    pub printer: PrinterConfig,
    pub ui: UiConfig,
    pub camera: CameraConfig,
    pub key_writer: KeyWriterConfig,
    pub application: ApplicationConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationConfig {
    /// The version of the application agreement shown and accepted.
    pub agreement_version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    pub lang: String,
    pub orientation: Orientation,
    pub idle_seconds: u32,
    pub large_mode_idle_seconds: u32,
    pub idle_warning_seconds: u32,
    pub downloads_url: String,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Empty when the kiosk has no camera.
    pub source: String,
}

/// Where camera frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSource {
    None,
    V4l(u32),
    Files(PathBuf),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// Empty when the kiosk has no printer.
    pub uri: String,
    pub paper: String,
    pub preview_dir: PathBuf,
    pub hotline: String,
    pub follow_url_base: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyWriterConfig {
    pub modules: Vec<PathBuf>,
    pub models: Vec<KeyModelConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyModelConfig {
    pub usb_id: String,
    pub name: String,
    pub module: PathBuf,
    #[serde(default)]
    pub vendor_makes_keys: bool,
}

impl KeyWriterConfig {
    /// The configured key models, checked.
    pub fn models(&self) -> Result<Vec<kiosk_token::usb::KeyModel>> {
        self.models
            .iter()
            .map(|m| {
                Ok(kiosk_token::usb::KeyModel {
                    id: m
                        .usb_id
                        .parse()
                        .map_err(|e: String| invalid(format!("key_writer.models: {e}")))?,
                    name: m.name.clone(),
                    module: m.module.clone(),
                    vendor_makes_keys: m.vendor_makes_keys,
                })
            })
            .collect()
    }

    /// Every module to load: the list, then each model's own.
    pub fn all_modules(&self) -> Vec<PathBuf> {
        let mut modules = self.modules.clone();
        for m in &self.models {
            if !modules.contains(&m.module) {
                modules.push(m.module.clone());
            }
        }
        modules
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaConfig {
    /// Empty when no CA is configured.
    pub url: String,
    pub tls_roots: PathBuf,
    pub device_identity: PathBuf,
    pub certificate_roots: Vec<PathBuf>,
    pub payment_poll_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub database: PathBuf,
    pub key_file: PathBuf,
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalConfig {
    pub opens_days_before_expiry: u32,
    pub closes_days_after_expiry: u32,
    pub old_certificate: OldCertificatePolicy,
    pub price_fen: i64,
}

/// The CA's policy for the old certificate after a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OldCertificatePolicy {
    Keep,
    Delete,
}

impl From<OldCertificatePolicy> for kiosk_domain::ports::key_writer::RetirePolicy {
    fn from(policy: OldCertificatePolicy) -> Self {
        match policy {
            OldCertificatePolicy::Keep => Self::Keep,
            OldCertificatePolicy::Delete => Self::Delete,
        }
    }
}

impl Config {
    /// The embedded defaults, overlaid with `file` when given (or with the
    /// system file when it exists). Keys missing from the file keep their
    /// defaults; unknown keys are an error, so a typo is never ignored.
    pub fn load(file: Option<&Path>) -> Result<Self> {
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
        let config: Config = toml::Value::Table(merged)
            .try_into()
            .map_err(|e| ConfigError::Shape(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        if self
            .kiosk_code
            .parse::<kiosk_domain::order_number::KioskCode>()
            .is_err()
        {
            return Err(invalid(format!(
                "kiosk_code {:?} must be three letters from 0-9A-HJ-NPQRTUWXY",
                self.kiosk_code
            )));
        }
        self.clock_floor()?;
        self.key_writer.models()?;
        if !self.printer.uri.is_empty() {
            self.printer
                .uri
                .parse::<kiosk_printer::PrinterUri>()
                .map_err(|e| invalid(format!("printer.uri: {e}")))?;
        }
        self.printer
            .paper
            .parse::<kiosk_printer::PrinterProfile>()
            .map_err(|e| invalid(format!("printer.paper: {e}")))?;
        self.validate_ca()?;
        self.camera_source()?;
        if !matches!(self.ui.lang.as_str(), "zh-CN" | "en") {
            return Err(invalid(format!(
                "ui.lang {:?} must be \"zh-CN\" or \"en\"",
                self.ui.lang
            )));
        }
        let ui = &self.ui;
        if ui.idle_seconds < 15 || ui.large_mode_idle_seconds < ui.idle_seconds {
            return Err(invalid(
                "ui.idle_seconds must be at least 15, and large_mode_idle_seconds at least as long",
            ));
        }
        if ui.idle_warning_seconds == 0 || ui.idle_warning_seconds > 120 {
            return Err(invalid("ui.idle_warning_seconds must be from 1 to 120"));
        }
        if self.renewal.price_fen < 0 {
            return Err(invalid("renewal.price_fen must not be negative"));
        }
        if self.store.retention_days == 0 {
            return Err(invalid("store.retention_days must be at least 1"));
        }
        // Ten years either side is beyond any CA's policy: surely a typo.
        let renewal = &self.renewal;
        if renewal.opens_days_before_expiry > 3650 || renewal.closes_days_after_expiry > 3650 {
            return Err(invalid("renewal window days must be at most 3650"));
        }
        Ok(())
    }

    fn validate_ca(&self) -> Result<()> {
        let ca = &self.ca;
        if ca.payment_poll_seconds == 0 || ca.payment_poll_seconds > 60 {
            return Err(invalid("ca.payment_poll_seconds must be from 1 to 60"));
        }
        if ca.url.is_empty() {
            return Ok(());
        }
        let tls_set = !ca.tls_roots.as_os_str().is_empty();
        let identity_set = !ca.device_identity.as_os_str().is_empty();
        if ca.url.starts_with("https://") {
            if !tls_set || !identity_set {
                return Err(invalid(
                    "ca.url is https://: set ca.tls_roots and ca.device_identity (mutual TLS)",
                ));
            }
        } else if ca.url.starts_with("http://") {
            if tls_set || identity_set {
                return Err(invalid(
                    "ca.tls_roots/device_identity are set but ca.url is plain http://",
                ));
            }
        } else {
            return Err(invalid(format!(
                "ca.url {:?} must start with https:// (or http:// for a loopback CA)",
                ca.url
            )));
        }
        Ok(())
    }

    /// Where camera frames come from.
    pub fn camera_source(&self) -> Result<CameraSource> {
        let source = self.camera.source.trim();
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
            return Ok(CameraSource::Files(self.in_data_dir(Path::new(dir))));
        }
        Err(invalid(format!(
            "camera.source {source:?} must be empty, v4l:INDEX or files:DIR"
        )))
    }

    /// The mutual-TLS files, when the CA is reached over https.
    #[must_use]
    pub fn tls_paths(&self) -> Option<(PathBuf, PathBuf)> {
        (!self.ca.tls_roots.as_os_str().is_empty()).then(|| {
            (
                self.in_data_dir(&self.ca.tls_roots),
                self.in_data_dir(&self.ca.device_identity),
            )
        })
    }

    /// Where receipt previews go, when configured.
    #[must_use]
    pub fn preview_dir(&self) -> Option<PathBuf> {
        (!self.printer.preview_dir.as_os_str().is_empty())
            .then(|| self.in_data_dir(&self.printer.preview_dir))
    }

    /// The trust anchors for issued certificates, as paths.
    #[must_use]
    pub fn certificate_root_paths(&self) -> Vec<PathBuf> {
        self.ca
            .certificate_roots
            .iter()
            .map(|p| self.in_data_dir(p))
            .collect()
    }

    /// The clock floor as the domain takes it.
    pub fn clock_floor(&self) -> Result<kiosk_domain::clock::ClockFloor> {
        let text = &self.clock_floor;
        let instant =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    invalid(format!(
                        "clock_floor {text:?} must be a date and time with an offset"
                    ))
                })?;
        Ok(kiosk_domain::clock::ClockFloor::new(instant))
    }

    /// The renewal window as configured.
    pub fn renewal_window(&self) -> kiosk_domain::renewal_window::RenewalWindow {
        kiosk_domain::renewal_window::RenewalWindow {
            opens_before_expiry: time::Duration::days(i64::from(
                self.renewal.opens_days_before_expiry,
            )),
            closes_after_expiry: time::Duration::days(i64::from(
                self.renewal.closes_days_after_expiry,
            )),
        }
    }

    /// `path` as given when absolute, else inside the data directory.
    #[must_use]
    pub fn in_data_dir(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.data_dir.join(path)
        }
    }

    #[must_use]
    pub fn database_path(&self) -> PathBuf {
        self.in_data_dir(&self.store.database)
    }

    #[must_use]
    pub fn key_path(&self) -> PathBuf {
        self.in_data_dir(&self.store.key_file)
    }
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
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_are_valid() {
        let config = Config::load(Some(Path::new("/dev/null"))).unwrap();
        assert_eq!(config.kiosk_code, "DEM");
        assert_eq!(config.camera_source().unwrap(), CameraSource::None);
        assert_eq!(config.ui.orientation.size(), (1080, 1920));
        assert_eq!(config.tls_paths(), None);
        assert_eq!(config.store.retention_days, 30);
        assert_eq!(
            kiosk_domain::ports::key_writer::RetirePolicy::from(config.renewal.old_certificate),
            kiosk_domain::ports::key_writer::RetirePolicy::Keep
        );
        assert_eq!(
            config.database_path(),
            PathBuf::from("/var/lib/kiosk/store/kiosk.db")
        );
        assert_ne!(
            config.database_path().parent(),
            config.key_path().parent(),
            "the key must not sit beside the database"
        );
    }

    #[test]
    fn a_file_overrides_some_keys_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(&path, "kiosk_code = \"TYA\"\n[store]\nretention_days = 7\n").unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.kiosk_code, "TYA");
        assert_eq!(config.store.retention_days, 7);
        assert_eq!(config.store.key_file, PathBuf::from("keys/store.key"));
    }

    #[test]
    fn key_models_are_checked_and_add_their_modules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(
            &path,
            "[[key_writer.models]]\nusb_id = \"096e:0703\"\nname = \"K\"\nmodule = \"/opt/k.so\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(
            config.key_writer.models().unwrap()[0].id.to_string(),
            "096e:0703"
        );
        assert!(
            config
                .key_writer
                .all_modules()
                .contains(&PathBuf::from("/opt/k.so"))
        );
        std::fs::write(
            &path,
            "[[key_writer.models]]\nusb_id = \"096e0703\"\nname = \"K\"\nmodule = \"/opt/k.so\"\n",
        )
        .unwrap();
        let err = Config::load(Some(&path)).unwrap_err();
        assert!(format!("{err:#}").contains("VID:PID"), "{err:#}");
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(&path, "[store]\nretension_days = 7\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
        std::fs::write(&path, "kiosk_code = \"ab\"\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err();
        assert!(format!("{err:#}").contains("kiosk_code"));
    }

    #[test]
    fn an_https_ca_needs_its_tls_files_and_a_plain_one_refuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(&path, "[ca]\nurl = \"https://ca.example:8443\"\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err();
        assert!(err.to_string().contains("mutual TLS"), "{err}");
        std::fs::write(
            &path,
            "data_dir = \"/d\"\n[ca]\nurl = \"https://ca.example:8443\"\ntls_roots = \"tls/roots.pem\"\ndevice_identity = \"/etc/kiosk/device.pem\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(
            config.tls_paths(),
            Some((
                PathBuf::from("/d/tls/roots.pem"),
                PathBuf::from("/etc/kiosk/device.pem")
            ))
        );
        std::fs::write(
            &path,
            "[ca]\nurl = \"http://127.0.0.1:9\"\ntls_roots = \"r.pem\"\n",
        )
        .unwrap();
        assert!(Config::load(Some(&path)).is_err());
        std::fs::write(&path, "[ca]\nurl = \"ftp://ca\"\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
    }

    #[test]
    fn camera_sources_and_idle_times_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        std::fs::write(
            &path,
            "data_dir = \"/d\"\n[camera]\nsource = \"files:cam\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(
            config.camera_source().unwrap(),
            CameraSource::Files(PathBuf::from("/d/cam"))
        );
        std::fs::write(&path, "[camera]\nsource = \"v4l:x\"\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
        std::fs::write(&path, "[ui]\nidle_seconds = 200\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err();
        assert!(err.to_string().contains("large_mode_idle_seconds"), "{err}");
        std::fs::write(&path, "[ui]\nlang = \"fr\"\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
    }
}
