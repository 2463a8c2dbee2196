//! `kioskctl print-test` (the printer's line of `kioskctl doctor` is
//! `kiosk_diagnostics::printer`'s).

use anyhow::{Context, Result};
use kiosk_config::Config;
use kiosk_diagnostics::printer::{describe, profile};

/// Prints the test page (Chinese text in every style, a QR code, a cut).
pub fn print_test(config: &Config, uri: Option<&str>, paper: Option<&str>) -> Result<String> {
    let configured = config.printer.uri.as_ref().map(ToString::to_string);
    let uri = uri
        .or(configured.as_deref())
        .context("no printer: pass --printer URI or set printer.uri in the configuration")?;
    let profile = profile(config, paper).map_err(anyhow::Error::msg)?;
    let report = kiosk_printer::print_test(uri, &profile)
        .with_context(|| format!("test print on {uri} failed"))?;
    Ok(format!(
        "printed the test page on {} ({}): {} bytes; status {}\n",
        report.uri,
        report.profile,
        report.bytes_sent,
        describe(&report.status, report.two_way)
    ))
}
