//! Receipts: built by the domain (masked), printed by the ESC/POS driver,
//! and optionally kept as a PNG preview.
//!
//! The printer is opened for each receipt: a printer switched off and on
//! again between customers is simply found again.

use kiosk_domain::lang::Lang;
use kiosk_domain::order::Order;
use kiosk_domain::ports::printer::{ReceiptContext, ReceiptPrinter, receipt_for};
use kiosk_printer::{EscPosPrinter, PrinterProfile, PrinterUri};
use std::path::PathBuf;
use time::OffsetDateTime;

/// Everything a receipt needs besides the order.
#[derive(Debug, Clone)]
pub struct Receipts {
    /// `None`: no printer (the screen shows the order number instead).
    pub printer: Option<PrinterUri>,
    pub profile: PrinterProfile,
    pub preview_dir: Option<PathBuf>,
    pub kiosk_id: String,
    pub hotline: String,
    pub follow_url_base: String,
    pub lang: Lang,
}

impl Receipts {
    /// Prints the order's receipt (and its preview); `false` when the
    /// printer failed or there is none (logged, never fatal: the order is
    /// safe in the store either way).
    pub fn print(&self, order: &Order, now: OffsetDateTime) -> bool {
        let receipt = receipt_for(
            order,
            &ReceiptContext {
                kiosk_id: self.kiosk_id.clone(),
                printed_at: now,
                hotline: self.hotline.clone(),
                follow_url_base: self.follow_url_base.clone(),
                lang: self.lang,
            },
        );
        if let Some(dir) = &self.preview_dir {
            self.keep_preview(dir, order, &receipt);
        }
        let Some(uri) = &self.printer else {
            return false;
        };
        // The driver checks paper and cover first where the link reports them.
        let printed = EscPosPrinter::open(uri, self.profile.clone())
            .and_then(|mut printer| printer.print(&receipt));
        match printed {
            Ok(()) => {
                tracing::info!(order = %order.number, "receipt printed");
                true
            }
            Err(e) => {
                tracing::warn!(order = %order.number, error = %e, "receipt not printed");
                false
            }
        }
    }

    fn keep_preview(
        &self,
        dir: &std::path::Path,
        order: &Order,
        receipt: &kiosk_domain::ports::printer::Receipt,
    ) {
        let png = kiosk_printer::encode::encode(receipt, &self.profile)
            .map_err(|e| e.to_string())
            .and_then(|bytes| kiosk_printer::decode::decode(&bytes).map_err(|e| e.to_string()))
            .and_then(|decoded| {
                kiosk_printer::preview::render_png(&decoded, &self.profile)
                    .map_err(|e| e.to_string())
            });
        let written = png.and_then(|png| {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            std::fs::write(dir.join(format!("{}.png", order.number)), png)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            tracing::warn!(order = %order.number, error = %e, "receipt preview not kept");
        }
    }
}
