//! The kiosk's diagnostics: what a technician checks first, on site or
//! remotely (`kioskctl doctor`), and what the technician screen's 设备诊断
//! shows: the store, each device, the CA link and the clock. One
//! implementation for both; it reports no customer data: counts and ages
//! only. The key writer is the caller's to look at ([`key_writer_report`]
//! over what it saw): `kioskctl` opens the PKCS#11 modules itself, while
//! the kiosk asks the key writer it already holds (a second PKCS#11
//! context in the kiosk's process would finalize the first).

pub mod printer;

use kiosk_config::Config;
pub use kiosk_domain::ports::diagnostics::{
    DeviceReport, DeviceState, Report, SettingsReport, StoreReport,
};
use kiosk_store::Store;
use std::path::Path;
use time::OffsetDateTime;

/// Beyond this, the kiosk's clock is wrong enough to matter (renewal
/// windows, payment deadlines): a fault for the technician.
const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

fn days(d: time::Duration) -> u32 {
    u32::try_from(d.whole_days()).unwrap_or(u32::MAX)
}

/// Opens the store (creating it on first run) and gathers the report,
/// with the key writer's line as the caller saw it.
pub async fn run(config: &Config, now: OffsetDateTime, key_writer: DeviceReport) -> Report {
    let store = store_report(config, now);
    let devices = vec![
        key_writer,
        camera_report(),
        printer_report(config),
        ca_report(config, now).await,
    ];
    let devices_ok = devices.iter().all(|d| d.state != DeviceState::Fault);
    Report {
        kiosk_code: config.kiosk_code.to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        settings: SettingsReport {
            renewal_opens_days_before_expiry: days(config.renewal.window.opens_before_expiry),
            renewal_closes_days_after_expiry: days(config.renewal.window.closes_after_expiry),
            old_certificate: format!("{:?}", config.renewal.old_certificate).to_lowercase(),
            retention_days: days(config.store.retention),
        },
        ok: store.error.is_none() && devices_ok,
        store,
        devices,
    }
}

/// What the key writer showed: the keys inserted, and what its modules
/// or the USB keys seen said besides.
#[derive(Debug, Clone, Default)]
pub struct KeysSeen {
    pub inserted: usize,
    pub problems: Vec<String>,
}

/// The key writer's line: ready with the keys it sees, or why it failed.
#[must_use]
pub fn key_writer_report(seen: Result<KeysSeen, String>) -> DeviceReport {
    let (state, detail) = match seen {
        Err(err) => (DeviceState::Fault, err),
        Ok(seen) => {
            let mut detail = match seen.inserted {
                0 => "ready, no key inserted".to_owned(),
                1 => "ready, 1 key inserted".to_owned(),
                n => format!("ready, {n} keys inserted"),
            };
            for problem in &seen.problems {
                detail.push_str("; ");
                detail.push_str(problem);
            }
            (DeviceState::Ready, detail)
        }
    };
    DeviceReport {
        name: "usb_key_writer".to_owned(),
        state,
        detail,
    }
}

/// Is the CA reachable, and does its clock agree with the kiosk's?
pub async fn ca_report(config: &Config, now: OffsetDateTime) -> DeviceReport {
    let report = |state, detail| DeviceReport {
        name: "ca_link".to_owned(),
        state,
        detail,
    };
    let Some(ca) = &config.ca else {
        return report(
            DeviceState::NotConfigured,
            "connection to the CA: not configured (orders queue on the kiosk)".to_owned(),
        );
    };
    let tls = match tls_settings(config, now) {
        Ok(tls) => tls,
        Err(problem) => return report(DeviceState::Fault, problem),
    };
    let expiry_note = tls.as_ref().map_or_else(String::new, |t| t.1.clone());
    let client = client_for(&ca.url, tls.as_ref().map(|t| &t.0));
    // Files that cannot make a TLS client are the kiosk's fault, not the
    // network's: say so rather than "unreachable".
    let client = match client {
        Ok(client) => client,
        Err(e) => return report(DeviceState::Fault, format!("{}: {e}", ca.url)),
    };
    let probed = client.probe().await.map_err(|e| e.to_string());
    let report = |state, detail: String| report(state, format!("{detail}{expiry_note}"));
    match probed {
        // Offline is a state the kiosk is built for, not a fault.
        Err(err) => report(
            DeviceState::Absent,
            format!(
                "{}: unreachable ({err}); orders queue until it is back",
                ca.url
            ),
        ),
        Ok(probe) => match probe.server_time.map(|t| (now - t).whole_seconds()) {
            Some(skew) if skew.abs() > MAX_CLOCK_SKEW_SECONDS => report(
                DeviceState::Fault,
                format!(
                    "{}: reachable, but the kiosk's clock is {skew:+} s off the CA's",
                    ca.url
                ),
            ),
            Some(skew) => report(
                DeviceState::Ready,
                format!("{}: reachable, clock skew {skew:+} s", ca.url),
            ),
            None => report(
                DeviceState::Ready,
                format!("{}: reachable (no Date header)", ca.url),
            ),
        },
    }
}

fn client_for(
    url: &str,
    tls: Option<&kiosk_sync_client::TlsSettings>,
) -> Result<kiosk_sync_client::CaClient, kiosk_sync_client::CallError> {
    let timeout = std::time::Duration::from_secs(5);
    match tls {
        Some(settings) => kiosk_sync_client::CaClient::with_tls(url, timeout, settings),
        None => kiosk_sync_client::CaClient::new(url, timeout),
    }
}

/// A client of the configured CA as the kiosk calls it (its device
/// identity), `None` without a CA; why not, when the files cannot make one.
pub fn ca_client(
    config: &Config,
    now: OffsetDateTime,
) -> Result<Option<kiosk_sync_client::CaClient>, String> {
    let Some(ca) = &config.ca else {
        return Ok(None);
    };
    let tls = tls_settings(config, now)?;
    client_for(&ca.url, tls.as_ref().map(|t| &t.0))
        .map(Some)
        .map_err(|e| format!("{}: {e}", ca.url))
}

/// A device certificate this close to its end is reported (a technician
/// must renew it before the kiosk loses the CA).
const DEVICE_CERT_WARNING_DAYS: i64 = 30;

/// The mutual-TLS settings when the CA is reached over https, with a note
/// on the device certificate's expiry; `Err` says what is wrong (unreadable
/// file, no certificate, expired).
fn tls_settings(
    config: &Config,
    now: OffsetDateTime,
) -> Result<Option<(kiosk_sync_client::TlsSettings, String)>, String> {
    let Some(tls) = config.ca.as_ref().and_then(|ca| ca.tls.as_ref()) else {
        return Ok(None);
    };
    let (roots, identity) = (&tls.roots, &tls.device_identity);
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))
    };
    let roots_pem = read(roots, "ca.tls_roots")?;
    let identity_pem = read(identity, "ca.device_identity")?;
    let device = kiosk_x509::certificates_from_pem(&identity_pem)
        .into_iter()
        .next()
        .ok_or_else(|| format!("{}: no device certificate in it", identity.display()))?;
    let summary = kiosk_x509::summarize(&device, "")
        .map_err(|e| format!("{}: the device certificate: {e}", identity.display()))?;
    let left = summary.not_after - now;
    if left.is_negative() {
        return Err(format!(
            "the device certificate expired on {}: the CA refuses this kiosk until a technician installs a new one",
            summary.not_after.date()
        ));
    }
    let note = if left.whole_days() < DEVICE_CERT_WARNING_DAYS {
        format!(
            "; device certificate expires in {} days ({}): renew it",
            left.whole_days(),
            summary.not_after.date()
        )
    } else {
        format!(
            "; device certificate valid until {}",
            summary.not_after.date()
        )
    };
    Ok(Some((
        kiosk_sync_client::TlsSettings {
            roots_pem,
            identity_pem,
        },
        note,
    )))
}

/// The cameras the system offers, with their formats.
#[must_use]
pub fn camera_report() -> DeviceReport {
    let cameras = kiosk_camera::nokhwa_source::list_cameras();
    if cameras.is_empty() {
        return DeviceReport {
            name: "camera".to_owned(),
            state: DeviceState::Absent,
            detail:
                "no camera found (identity checked in person, documents scanned at the counter)"
                    .to_owned(),
        };
    }
    let detail = cameras
        .iter()
        .map(|c| format!("#{} {} [{}]", c.index, c.name, c.formats.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    DeviceReport {
        name: "camera".to_owned(),
        state: DeviceState::Ready,
        detail,
    }
}

/// The receipt printer, if one is configured.
#[must_use]
pub fn printer_report(config: &Config) -> DeviceReport {
    let (state, detail) = match crate::printer::check(config) {
        None => (
            DeviceState::NotConfigured,
            "ESC/POS receipt printer: not configured (receipts shown as a QR code)".to_owned(),
        ),
        Some(Ok(detail)) => (DeviceState::Ready, detail),
        Some(Err(err)) => (DeviceState::Fault, err),
    };
    DeviceReport {
        name: "receipt_printer".to_owned(),
        state,
        detail,
    }
}

#[must_use]
pub fn store_report(config: &Config, now: OffsetDateTime) -> StoreReport {
    let path = config.store.database.clone();
    let key_file = config.store.key_file.clone();
    let mut report = StoreReport {
        disk_free_bytes: disk_free(&path).ok(),
        path,
        key_file,
        schema_version: None,
        queue_depth: None,
        set_aside: None,
        oldest_pending_age_seconds: None,
        error: None,
    };
    let opened = Store::open(&report.path, &report.key_file)
        .map_err(|e| format!("cannot open the store: {e}"))
        .and_then(|store| {
            let version = store.schema_version().map_err(|e| e.to_string())?;
            let stats = store.queue_stats(now).map_err(|e| e.to_string())?;
            Ok((version, stats))
        });
    match opened {
        Ok((version, stats)) => {
            report.schema_version = Some(version);
            report.queue_depth = Some(stats.depth);
            report.set_aside = Some(stats.set_aside);
            report.oldest_pending_age_seconds = stats
                .oldest_pending_created_at
                .map(|at| (now - at).whole_seconds().max(0));
        }
        Err(err) => report.error = Some(err),
    }
    // The store may have just been created: measure the disk it is on.
    report.disk_free_bytes = disk_free(&report.path).ok().or(report.disk_free_bytes);
    report
}

/// Free bytes for an unprivileged writer on the file system holding `path`
/// (or its nearest existing ancestor).
fn disk_free(path: &Path) -> Result<u64, String> {
    let existing = path
        .ancestors()
        .find(|p| p.exists())
        .ok_or("no existing directory")?;
    let stat = nix::sys::statvfs::statvfs(existing).map_err(|e| e.to_string())?;
    // Both are u64 on the kiosk's x86-64 Linux.
    Ok(stat.blocks_available().saturating_mul(stat.fragment_size()))
}

/// The report as a technician reads it on a console.
#[must_use]
pub fn render_text(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let s = &report.store;
    let _ = writeln!(
        out,
        "kiosk {} (kioskctl {})",
        report.kiosk_code, report.version
    );
    let c = &report.settings;
    let _ = writeln!(
        out,
        "renewal   from {} days before expiry to {} days after; personal data kept at most {} days",
        c.renewal_opens_days_before_expiry, c.renewal_closes_days_after_expiry, c.retention_days
    );
    let _ = writeln!(out, "store     {}", s.path.display());
    let _ = writeln!(out, "  key     {}", s.key_file.display());
    match &s.error {
        Some(err) => {
            let _ = writeln!(out, "  ERROR   {err}");
        }
        None => {
            let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
            let _ = writeln!(
                out,
                "  schema  v{}",
                opt(s.schema_version.map(|v| v.to_string()))
            );
            let _ = writeln!(
                out,
                "  queue   {} not yet acknowledged, {} set aside for staff",
                opt(s.queue_depth.map(|v| v.to_string())),
                opt(s.set_aside.map(|v| v.to_string()))
            );
            let _ = writeln!(
                out,
                "  oldest  {}",
                s.oldest_pending_age_seconds
                    .map_or_else(|| "none pending".to_owned(), human_age)
            );
        }
    }
    if let Some(free) = s.disk_free_bytes {
        let _ = writeln!(out, "  disk    {} MiB free", free / (1024 * 1024));
    }
    let _ = writeln!(out, "devices");
    for d in &report.devices {
        let _ = writeln!(out, "  {:<16} {}", d.name, d.detail);
    }
    let _ = writeln!(out, "{}", if report.ok { "OK" } else { "NOT OK" });
    out
}

fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(human_age(5), "5 s");
        assert_eq!(human_age(600), "10 min");
        assert_eq!(human_age(7200), "2 h");
        assert_eq!(human_age(3 * 86_400), "3 days");
    }
}
