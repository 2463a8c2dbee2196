//! The kiosk's receipt printer: an ESC/POS printer on USB, a serial line,
//! the network (raw port 9100) or, for development, a file.
//!
//! - [`uri`]: where the printer is (`usb:0416:5011`, `serial:/dev/ttyUSB0?baud=115200`,
//!   `tcp:192.0.2.10:9100`, `file:/tmp/receipt.bin`).
//! - [`transport`]: the four links; USB, serial and TCP are two-way and can
//!   report the printer's status, a file cannot.
//! - [`profile`]: what differs between printer models (58 or 80 mm paper,
//!   Chinese mode or a single-byte code page).
//! - [`encode`]: the domain's [`Receipt`](kiosk_domain::ports::printer::Receipt)
//!   to ESC/POS bytes.
//! - [`status`]: real-time status (`DLE EOT n`) into a
//!   [`PrinterStatus`](kiosk_domain::ports::printer::PrinterStatus).
//! - [`printer`]: [`EscPosPrinter`], the
//!   [`ReceiptPrinter`](kiosk_domain::ports::printer::ReceiptPrinter): it asks
//!   the status first and fails with `PaperOut` before printing anything.
//! - [`decode`] and [`preview`]: our own reading of an ESC/POS stream (for
//!   tests and the demo) and a PNG picture of it.
//! - [`print_test`]: the technician's test page (`kioskctl print-test`).
//!
//! **Why no `escpos` crate.** We write the dozen ESC/POS commands we use
//! ourselves. The `escpos` crate's printer owns its driver and has no way to
//! read the status reply on the same link, which is what lets the kiosk refuse
//! to print on an empty roll; it also sends QR codes as Model 1 / level H unless
//! told otherwise, bypasses its text encoder once a page code is set, and has
//! no call for the Chinese mode (`FS &`). Writing the commands keeps all of
//! that explicit, and [`decode`] checks every byte we send.
//!
//! Nothing personal is logged: logs carry byte counts, the link and the
//! status, never the receipt's text.

pub mod decode;
pub mod encode;
mod error;
pub mod preview;
pub mod printer;
pub mod profile;
pub mod status;
pub mod test_page;
pub mod transport;
pub mod uri;

pub use error::Error;
pub use printer::EscPosPrinter;
pub use profile::{PrinterProfile, TextEncoding};
pub use test_page::{PrintTestReport, print_test};
pub use uri::{PrinterUri, UriError};
