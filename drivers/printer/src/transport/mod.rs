//! The links to a printer. USB (with a bulk IN endpoint), serial and TCP are
//! two-way: the printer answers status queries on them. A file is one-way.

pub mod file;
pub mod serial;
pub mod tcp;
pub mod usb;

use crate::error::Error;
use crate::uri::PrinterUri;
use std::fmt;

/// A byte link to a printer.
pub trait Transport: Send + fmt::Debug {
    /// Sends every byte, or fails.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error>;

    /// One byte the printer sent, or `None` when none came within the link's
    /// read timeout (always `None` on a one-way link).
    fn read_byte(&mut self) -> Result<Option<u8>, Error>;

    /// Drops whatever the printer sent earlier, before a status query.
    fn discard_input(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// Whether the printer can answer on this link.
    fn two_way(&self) -> bool;
}

/// Opens the link `uri` names.
///
/// # Errors
/// The device or host is not there, is busy, or refuses the connection.
pub fn open(uri: &PrinterUri) -> Result<Box<dyn Transport>, Error> {
    tracing::debug!(%uri, "opening the printer");
    Ok(match uri {
        PrinterUri::Usb { vid, pid } => Box::new(usb::UsbTransport::open(*vid, *pid)?),
        PrinterUri::Serial { path, baud } => Box::new(serial::SerialTransport::open(path, *baud)?),
        PrinterUri::Tcp { host, port } => Box::new(tcp::TcpTransport::connect(host, *port)?),
        PrinterUri::File { path } => Box::new(file::FileTransport::open(path)?),
    })
}
