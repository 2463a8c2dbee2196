//! Where the printer is: the configuration's URI, parsed by the domain
//! (`kiosk_domain::ports::printer_uri`), so that the configuration is read
//! without this driver.

pub use kiosk_domain::ports::printer_uri::{DEFAULT_BAUD, DEFAULT_TCP_PORT, PrinterUri, UriError};
