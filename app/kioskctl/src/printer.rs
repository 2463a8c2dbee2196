//! `kioskctl print-test` and the printer line of `kioskctl doctor`.

use anyhow::{Context, Result};
use kiosk_config::Config;
use kiosk_domain::ports::printer::{PaperState, PrinterStatus, ReceiptPrinter};
use kiosk_printer::{EscPosPrinter, PrinterProfile, PrinterUri};

/// The configured paper width's profile, or the one named.
pub fn profile(config: &Config, paper: Option<&str>) -> Result<PrinterProfile> {
    match paper {
        Some(name) => name
            .parse::<PrinterProfile>()
            .map_err(|e| anyhow::anyhow!("paper {name:?}: {e}")),
        None => Ok(config.printer.paper.into()),
    }
}

/// Prints the test page (Chinese text in every style, a QR code, a cut).
pub fn print_test(config: &Config, uri: Option<&str>, paper: Option<&str>) -> Result<String> {
    let configured = config.printer.uri.as_ref().map(ToString::to_string);
    let uri = uri
        .or(configured.as_deref())
        .context("no printer: pass --printer URI or set printer.uri in the configuration")?;
    let report = kiosk_printer::print_test(uri, &profile(config, paper)?)
        .with_context(|| format!("test print on {uri} failed"))?;
    Ok(format!(
        "printed the test page on {} ({}): {} bytes; status {}\n",
        report.uri,
        report.profile,
        report.bytes_sent,
        describe(&report.status, report.two_way)
    ))
}

/// The printer's state for the doctor: `None` when no printer is configured.
pub fn check(config: &Config) -> Option<Result<String>> {
    let uri: &PrinterUri = config.printer.uri.as_ref()?;
    Some((|| {
        let mut printer = EscPosPrinter::open(uri, profile(config, None)?)?;
        let two_way = printer.reports_status();
        let status = printer.status()?;
        if let Some(problem) = status.blocking_problem() {
            anyhow::bail!("{uri}: {problem:?}");
        }
        Ok(format!("{uri}: {}", describe(&status, two_way)))
    })())
}

fn describe(status: &PrinterStatus, two_way: bool) -> String {
    if !two_way {
        return "unknown (one-way link)".to_owned();
    }
    let paper = match status.paper {
        PaperState::Ok => "paper ok",
        PaperState::NearEnd => "paper near end",
        PaperState::Out => "paper out",
        PaperState::Unknown => "paper unknown",
    };
    let cover = match status.cover_open {
        Some(true) => ", cover open",
        _ => "",
    };
    format!("{paper}{cover}")
}
