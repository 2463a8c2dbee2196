//! The printer's line of the diagnostics, and what `kioskctl print-test`
//! and the technician screen say of the printer's state.

use kiosk_config::Config;
use kiosk_domain::ports::printer::{PaperState, PrinterStatus, ReceiptPrinter};
use kiosk_printer::{EscPosPrinter, PrinterProfile, PrinterUri};

/// The configured paper width's profile, or the one named.
///
/// # Errors
/// No such paper.
pub fn profile(config: &Config, paper: Option<&str>) -> Result<PrinterProfile, String> {
    match paper {
        Some(name) => name
            .parse::<PrinterProfile>()
            .map_err(|e| format!("paper {name:?}: {e}")),
        None => Ok(config.printer.paper.into()),
    }
}

/// The printer's state: `None` when no printer is configured.
#[must_use]
pub fn check(config: &Config) -> Option<Result<String, String>> {
    let uri: &PrinterUri = config.printer.uri.as_ref()?;
    Some((|| {
        let mut printer =
            EscPosPrinter::open(uri, profile(config, None)?).map_err(|e| e.to_string())?;
        let two_way = printer.reports_status();
        let status = printer.status().map_err(|e| e.to_string())?;
        if let Some(problem) = status.blocking_problem() {
            return Err(format!("{uri}: {problem:?}"));
        }
        Ok(format!("{uri}: {}", describe(&status, two_way)))
    })())
}

/// What the printer said of its state, as a technician reads it.
#[must_use]
pub fn describe(status: &PrinterStatus, two_way: bool) -> String {
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
