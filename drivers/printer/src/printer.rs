//! [`EscPosPrinter`]: the domain's [`ReceiptPrinter`] over any [`Transport`].

use crate::encode::encode;
use crate::error::Error;
use crate::profile::PrinterProfile;
use crate::status;
use crate::transport::{self, Transport};
use crate::uri::PrinterUri;
use kiosk_domain::ports::printer::{PaperState, PrinterStatus, Receipt, ReceiptPrinter};

/// An ESC/POS receipt printer.
#[derive(Debug)]
pub struct EscPosPrinter {
    transport: Box<dyn Transport>,
    profile: PrinterProfile,
}

impl EscPosPrinter {
    /// Opens the printer `uri` names.
    ///
    /// # Errors
    /// The link cannot be opened (kinds `Absent`, `Busy`, `Other`).
    pub fn open(uri: &PrinterUri, profile: PrinterProfile) -> Result<Self, Error> {
        Ok(Self::new(transport::open(uri)?, profile))
    }

    /// A printer on a link opened elsewhere.
    #[must_use]
    pub fn new(transport: Box<dyn Transport>, profile: PrinterProfile) -> Self {
        Self { transport, profile }
    }

    #[must_use]
    pub fn profile(&self) -> &PrinterProfile {
        &self.profile
    }

    /// Whether the printer's status can be asked on this link.
    #[must_use]
    pub fn reports_status(&self) -> bool {
        self.transport.two_way() && self.profile.query_status
    }

    /// Prints `receipt` as [`ReceiptPrinter::print`] does, and returns how
    /// many bytes were sent (status queries not counted).
    ///
    /// # Errors
    /// As [`ReceiptPrinter::print`].
    pub fn print_counted(&mut self, receipt: &Receipt) -> Result<usize, Error> {
        // Encode first: a receipt that cannot be encoded sends nothing.
        let bytes = encode(receipt, &self.profile)?;
        let status = self.status()?;
        if status.paper == PaperState::Out {
            tracing::warn!("receipt not printed: out of paper");
            return Err(Error::PaperOut);
        }
        if status.cover_open == Some(true) {
            tracing::warn!("receipt not printed: cover open");
            return Err(Error::CoverOpen);
        }
        if status.online == Some(false) {
            tracing::warn!("receipt not printed: printer offline");
            return Err(Error::Offline);
        }
        if status.paper == PaperState::NearEnd {
            tracing::warn!("printer paper near end");
        }
        self.transport.write_all(&bytes)?;
        tracing::info!(bytes = bytes.len(), profile = %self.profile, "receipt printed");
        Ok(bytes.len())
    }
}

impl ReceiptPrinter for EscPosPrinter {
    type Error = Error;

    fn status(&mut self) -> Result<PrinterStatus, Error> {
        if self.reports_status() {
            status::ask(self.transport.as_mut())
        } else {
            Ok(PrinterStatus::UNKNOWN)
        }
    }

    fn print(&mut self, receipt: &Receipt) -> Result<(), Error> {
        self.print_counted(receipt).map(|_| ())
    }
}
