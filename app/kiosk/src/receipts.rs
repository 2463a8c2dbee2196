//! The receipt printer as the flows' executors use it: the domain's
//! [`ReceiptPrinter`] port over the configured ESC/POS printer, opened for
//! each receipt (a printer switched off and on between customers is simply
//! found again), with a PNG preview of each receipt kept when configured.

use kiosk_domain::lang::Lang;
use kiosk_domain::order::Order;
use kiosk_domain::ports::printer::{
    PrintOutcome, PrinterStatus, Receipt, ReceiptContext, ReceiptPrinter, receipt_for,
};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_printer::{EscPosPrinter, PrinterProfile, PrinterUri};
use std::path::PathBuf;
use time::OffsetDateTime;

/// What every receipt says besides the order.
#[derive(Debug, Clone)]
pub struct ReceiptSettings {
    pub kiosk_id: String,
    pub hotline: String,
    pub follow_url_base: String,
    pub lang: Lang,
}

impl ReceiptSettings {
    /// The receipt of `order`, printed at `now` (personal data masked).
    #[must_use]
    pub fn receipt(&self, order: &Order, now: OffsetDateTime) -> Receipt {
        receipt_for(order, &self.context(now))
    }

    /// What a slip printed at `now` says besides its content.
    #[must_use]
    pub fn context(&self, now: OffsetDateTime) -> ReceiptContext {
        ReceiptContext {
            kiosk_id: self.kiosk_id.clone(),
            printed_at: now,
            hotline: self.hotline.clone(),
            follow_url_base: self.follow_url_base.clone(),
            lang: self.lang,
        }
    }
}

/// Prints a receipt and says what became of it (printed only when the
/// printer took it all: [`print`]).
pub type PrintReceipt = std::sync::Arc<dyn Fn(&Receipt) -> PrintOutcome + Send + Sync>;

/// How an executor prints its receipts.
#[derive(Clone)]
pub struct Receipts {
    pub print: PrintReceipt,
    /// What every receipt says besides its content.
    pub settings: ReceiptSettings,
}

impl std::fmt::Debug for Receipts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipts")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Why the configured printer did not print.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("this kiosk has no printer")]
    NoPrinter,
    #[error(transparent)]
    Printer(#[from] kiosk_printer::Error),
}

impl DeviceError for PrintError {
    fn kind(&self) -> DeviceErrorKind {
        match self {
            Self::NoPrinter => DeviceErrorKind::Absent,
            Self::Printer(e) => e.kind(),
        }
    }
}

/// The configured printer (or none), opened for each use.
#[derive(Debug, Clone)]
pub struct ConfiguredPrinter {
    pub uri: Option<PrinterUri>,
    pub profile: PrinterProfile,
    /// Where PNG previews of the receipts are kept, when configured.
    pub preview_dir: Option<PathBuf>,
}

impl ConfiguredPrinter {
    fn open(&self) -> Result<EscPosPrinter, PrintError> {
        let uri = self.uri.as_ref().ok_or(PrintError::NoPrinter)?;
        Ok(EscPosPrinter::open(uri, self.profile.clone())?)
    }

    fn keep_preview(&self, receipt: &Receipt) {
        let Some(dir) = &self.preview_dir else {
            return;
        };
        let name = receipt
            .order
            .map_or_else(|| "receipt".to_owned(), |n| n.to_string());
        let png = kiosk_printer::encode::encode(receipt, &self.profile)
            .map_err(|e| e.to_string())
            .and_then(|bytes| kiosk_printer::decode::decode(&bytes).map_err(|e| e.to_string()))
            .and_then(|decoded| {
                kiosk_printer::preview::render_png(&decoded, &self.profile)
                    .map_err(|e| e.to_string())
            });
        let written = png.and_then(|png| {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            std::fs::write(dir.join(format!("{name}.png")), png).map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "receipt preview not kept");
        }
    }
}

impl ReceiptPrinter for ConfiguredPrinter {
    type Error = PrintError;

    fn status(&mut self) -> Result<PrinterStatus, PrintError> {
        Ok(self.open()?.status()?)
    }

    fn print(&mut self, receipt: &Receipt) -> Result<(), PrintError> {
        self.keep_preview(receipt);
        Ok(self.open()?.print(receipt)?)
    }

    fn installed(&self) -> bool {
        self.uri.is_some()
    }
}

/// Prints `receipt` and says what became of it, in the screens' words:
/// printed only when the printer took it all.
pub fn print<P: ReceiptPrinter>(printer: &mut P, receipt: &Receipt) -> PrintOutcome {
    let installed = printer.installed();
    match printer.print(receipt) {
        Ok(()) if installed => PrintOutcome::Printed,
        Ok(()) => PrintOutcome::NoPrinter,
        Err(_) if !installed => PrintOutcome::NoPrinter,
        Err(e) => {
            tracing::warn!(error = %e, "receipt not printed");
            PrintOutcome::failed(e.kind())
        }
    }
}
