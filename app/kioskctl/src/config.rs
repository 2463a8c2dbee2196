//! The kiosk's configuration: embedded defaults, overridden by a TOML file.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    pub key_writer: KeyWriterConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// Empty when the kiosk has no printer.
    pub uri: String,
    pub paper: String,
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
                        .map_err(|e: String| anyhow::anyhow!("key_writer.models: {e}"))?,
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
        let mut merged: toml::Table = DEFAULTS.parse().context("embedded defaults")?;
        let system = Path::new(SYSTEM_PATH);
        let file = file.or_else(|| system.exists().then_some(system));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration {}", path.display()))?;
            let overlay: toml::Table = text
                .parse()
                .with_context(|| format!("configuration {} is not valid TOML", path.display()))?;
            merge(&mut merged, overlay);
        }
        let config: Config = toml::Value::Table(merged)
            .try_into()
            .context("configuration has a wrong or unknown key")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        if self
            .kiosk_code
            .parse::<kiosk_domain::order_number::KioskCode>()
            .is_err()
        {
            bail!(
                "kiosk_code {:?} must be three letters from 0-9A-HJ-NPQRTUWXY",
                self.kiosk_code
            );
        }
        self.clock_floor()?;
        self.key_writer.models()?;
        if !self.printer.uri.is_empty() {
            self.printer
                .uri
                .parse::<kiosk_printer::PrinterUri>()
                .map_err(|e| anyhow::anyhow!("printer.uri: {e}"))?;
        }
        self.printer
            .paper
            .parse::<kiosk_printer::PrinterProfile>()
            .map_err(|e| anyhow::anyhow!("printer.paper: {e}"))?;
        if self.store.retention_days == 0 {
            bail!("store.retention_days must be at least 1");
        }
        // Ten years either side is beyond any CA's policy: surely a typo.
        let renewal = &self.renewal;
        if renewal.opens_days_before_expiry > 3650 || renewal.closes_days_after_expiry > 3650 {
            bail!("renewal window days must be at most 3650");
        }
        Ok(())
    }

    /// The clock floor as the domain takes it.
    pub fn clock_floor(&self) -> Result<kiosk_domain::clock::ClockFloor> {
        let text = &self.clock_floor;
        let instant =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .with_context(|| {
                    format!("clock_floor {text:?} must be a date and time with an offset")
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

    fn in_data_dir(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.data_dir.join(path)
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.in_data_dir(&self.store.database)
    }

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
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_are_valid() {
        let config = Config::load(Some(Path::new("/dev/null"))).unwrap();
        assert_eq!(config.kiosk_code, "DEM");
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
}
