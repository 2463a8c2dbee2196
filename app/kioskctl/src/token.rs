//! `kioskctl token list` and `kioskctl token show`: what is on the customer's
//! key, as the kiosk reads it, for a technician or a clerk at the counter.
//! Certificates are public; no PIN is asked and nothing is written.

use anyhow::{Context, Result};
use kiosk_config::Config;
use kiosk_domain::lang::{Lang, Localized};
use kiosk_domain::ports::key_writer::KeyPairStatus;
use kiosk_domain::ports::key_writer::KeyRef;
use kiosk_domain::renewal_window::RenewalVerdict;
use kiosk_token::x509::X509Reader;
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Every inserted key, and the modules that could not be loaded.
#[derive(Debug, Serialize)]
pub struct TokenList {
    pub tokens: Vec<TokenEntry>,
    pub module_problems: Vec<String>,
    /// Keys seen on the USB bus, by VID:PID, supported or not.
    pub usb_keys: Vec<UsbKeyEntry>,
}

#[derive(Debug, Serialize)]
pub struct UsbKeyEntry {
    pub usb_id: String,
    pub supported: bool,
    /// The model's name, or what to tell staff.
    pub detail: String,
}

/// The keys on the USB bus, recognised against the configured models.
fn usb_keys(config: &Config) -> Result<Vec<UsbKeyEntry>> {
    let models = &config.key_writer.models;
    let devices = kiosk_token::usb::devices().context("cannot list USB devices")?;
    Ok(kiosk_token::usb::recognise(&devices, models)
        .into_iter()
        .map(|r| match r {
            kiosk_token::usb::Recognised::Supported(m) => UsbKeyEntry {
                usb_id: m.id.to_string(),
                supported: true,
                detail: m.name,
            },
            kiosk_token::usb::Recognised::Unsupported(id) => UsbKeyEntry {
                usb_id: id.to_string(),
                supported: false,
                detail: format!("USB key {id} is not supported: add its model and PKCS#11 module to key_writer.models"),
            },
        })
        .collect())
}

#[derive(Debug, Serialize)]
pub struct TokenEntry {
    pub label: String,
    pub serial: String,
    pub model: String,
    pub manufacturer: String,
    pub module: String,
}

/// One key with its certificates.
#[derive(Debug, Serialize)]
pub struct TokenShow {
    pub token: TokenEntry,
    pub certificates: Vec<CertificateEntry>,
    /// Labels of certificate objects that could not be read (skipped).
    pub skipped: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CertificateEntry {
    pub label: String,
    pub key_id: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// "present", "to_confirm" (no public key: its private key is seen only
    /// after the PIN) or "missing".
    pub key_pair: &'static str,
    pub renewable: bool,
    /// Why (not) renewable, in the customer's words.
    pub reason: String,
}

fn open(config: &Config) -> Result<Pkcs11KeyWriter> {
    let writer = Pkcs11KeyWriter::open(WriterConfig {
        modules: config.key_writer.modules.clone(),
        profiles: Vec::new(),
    })
    .context("no PKCS#11 module could be loaded")?;
    Ok(writer.with_reader(Box::new(X509Reader)))
}

fn entry(writer: &Pkcs11KeyWriter, module: usize, key: KeyRef) -> TokenEntry {
    TokenEntry {
        module: writer
            .modules()
            .get(module)
            .map(|m| m.path().display().to_string())
            .unwrap_or_default(),
        label: key.label,
        serial: key.serial,
        model: key.model,
        manufacturer: key.manufacturer,
    }
}

/// `kioskctl token list`.
pub fn list(config: &Config) -> Result<TokenList> {
    let writer = open(config)?;
    Ok(TokenList {
        usb_keys: usb_keys(config)?,
        module_problems: writer
            .module_problems()
            .iter()
            .map(ToString::to_string)
            .collect(),
        tokens: writer
            .tokens()
            .into_iter()
            .map(|t| entry(&writer, t.module, t.key))
            .collect(),
    })
}

/// `kioskctl token show [--label L]`: every key (or the one labelled).
pub fn show(
    config: &Config,
    label: Option<&str>,
    now: OffsetDateTime,
    lang: Lang,
) -> Result<Vec<TokenShow>> {
    let mut writer = open(config)?;
    let window = config.renewal.window;
    let floor = config.clock_floor;
    let mut shown = Vec::new();
    for token in writer.tokens() {
        if label.is_some_and(|l| l != token.key.label) {
            continue;
        }
        let read = writer.certificates(&token.key)?;
        let certificates = read
            .certificates
            .iter()
            .filter_map(|c| {
                let summary = c.summary.as_ref()?;
                let details = kiosk_x509::details(&c.der).ok()?;
                let verdict = window.verdict(summary.not_after, now, floor);
                Some(CertificateEntry {
                    label: c.label.clone(),
                    key_id: c.key_id.to_hex(),
                    subject: details.subject_dn,
                    issuer: details.issuer_dn,
                    serial: summary.serial_hex.clone(),
                    not_before: summary.not_before.format(&Rfc3339).unwrap_or_default(),
                    not_after: summary.not_after.format(&Rfc3339).unwrap_or_default(),
                    key_pair: match c.key_pair {
                        KeyPairStatus::Present => "present",
                        KeyPairStatus::ToConfirm => "to_confirm",
                        KeyPairStatus::Missing => "missing",
                    },
                    renewable: matches!(verdict, RenewalVerdict::Renewable { .. })
                        && c.key_pair.may_renew(),
                    reason: match (c.key_pair, lang) {
                        (KeyPairStatus::Present, _) => verdict.message(lang),
                        (KeyPairStatus::ToConfirm, Lang::ZhCn) => {
                            format!("{}（密钥在输入PIN码后确认）", verdict.message(lang))
                        }
                        (KeyPairStatus::ToConfirm, Lang::En) => format!(
                            "{} (its key pair is confirmed once the PIN is entered)",
                            verdict.message(lang)
                        ),
                        (KeyPairStatus::Missing, Lang::ZhCn) => {
                            "该证书在USB Key中没有对应的密钥，无法更新".to_owned()
                        }
                        (KeyPairStatus::Missing, Lang::En) => {
                            "This certificate has no key pair on the key and cannot be renewed."
                                .to_owned()
                        }
                    },
                })
            })
            .collect();
        shown.push(TokenShow {
            token: entry(&writer, token.module, token.key.clone()),
            certificates,
            skipped: read.skipped,
        });
    }
    if let Some(label) = label
        && shown.is_empty()
    {
        anyhow::bail!("no inserted key is labelled {label:?}");
    }
    Ok(shown)
}

/// The list as a technician reads it.
pub fn render_list(list: &TokenList) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if list.tokens.is_empty() {
        out.push_str("no key inserted\n");
    }
    for t in &list.tokens {
        let _ = writeln!(
            out,
            "{:<20} serial {:<18} {} / {}  ({})",
            t.label, t.serial, t.manufacturer, t.model, t.module
        );
    }
    for p in &list.module_problems {
        let _ = writeln!(out, "module problem: {p}");
    }
    for k in &list.usb_keys {
        let _ = writeln!(out, "usb {} {}", k.usb_id, k.detail);
    }
    out
}

/// The certificates as a technician reads them.
pub fn render_show(shown: &[TokenShow]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if shown.is_empty() {
        out.push_str("no key inserted\n");
    }
    for s in shown {
        let _ = writeln!(out, "key {} (serial {})", s.token.label, s.token.serial);
        for c in &s.certificates {
            let _ = writeln!(out, "  certificate {} [id {}]", c.label, c.key_id);
            let _ = writeln!(out, "    subject   {}", c.subject);
            let _ = writeln!(out, "    issuer    {}", c.issuer);
            let _ = writeln!(out, "    serial    {}", c.serial);
            let _ = writeln!(out, "    valid     {} .. {}", c.not_before, c.not_after);
            let _ = writeln!(out, "    renewable {} ({})", c.renewable, c.reason);
        }
        for label in &s.skipped {
            let _ = writeln!(out, "  unreadable certificate skipped: {label}");
        }
    }
    out
}
