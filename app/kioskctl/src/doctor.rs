//! `kioskctl doctor`: the kiosk's diagnostics (`kiosk_diagnostics`, the
//! same the technician screen runs), with the key writer looked at through
//! the PKCS#11 modules this process opens.

use kiosk_config::Config;
use kiosk_diagnostics::{KeysSeen, Report, key_writer_report};
use time::OffsetDateTime;

pub use kiosk_diagnostics::{ca_client, render_text};

/// Opens the store (creating it on first run) and gathers the report.
///
/// # Errors
/// No runtime to ask the CA with.
pub fn run(config: &Config, now: OffsetDateTime) -> anyhow::Result<Report> {
    let seen = crate::token::list(config)
        .map(|list| KeysSeen {
            inserted: list.tokens.len(),
            problems: list
                .module_problems
                .iter()
                .cloned()
                .chain(
                    list.usb_keys
                        .iter()
                        .filter(|k| !k.supported)
                        .map(|k| k.detail.clone()),
                )
                .collect(),
        })
        .map_err(|err| format!("{err:#}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(kiosk_diagnostics::run(config, now, key_writer_report(seen))))
}
