//! The driver's error, and its mapping to the domain's [`DeviceErrorKind`].

use crate::encode::EncodeError;
use crate::uri::UriError;
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use std::io;

/// Everything that can go wrong with the receipt printer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Uri(#[from] UriError),
    /// The printer reported an empty roll; nothing was printed.
    #[error("the printer is out of paper")]
    PaperOut,
    /// The printer reported its cover open; nothing was printed.
    #[error("the printer cover is open")]
    CoverOpen,
    /// The printer reported itself offline for another reason.
    #[error("the printer is offline")]
    Offline,
    /// A two-way link, but the printer did not answer `DLE EOT n` in time.
    #[error("the printer did not answer the status query DLE EOT {0}")]
    NoStatusReply(u8),
    /// The link could not be opened.
    #[error("cannot open the printer at {link}: {source}")]
    Open {
        link: String,
        #[source]
        source: io::Error,
    },
    /// Reading or writing on an open link failed.
    #[error("printer I/O on {link}: {source}")]
    Io {
        link: String,
        #[source]
        source: io::Error,
    },
    /// The serial port could not be opened (`busy` when another program holds it).
    #[error("cannot open serial port {path}: {source}")]
    SerialOpen {
        path: String,
        #[source]
        source: serialport::Error,
    },
    #[error("no USB printer {vid:04x}:{pid:04x} is connected")]
    UsbNotFound { vid: u16, pid: u16 },
    #[error("USB device {vid:04x}:{pid:04x} has no bulk OUT endpoint: not a printer")]
    UsbNoEndpoint { vid: u16, pid: u16 },
    #[error("USB: {0}")]
    Usb(#[from] rusb::Error),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl DeviceError for Error {
    fn kind(&self) -> DeviceErrorKind {
        match self {
            Self::PaperOut => DeviceErrorKind::PaperOut,
            Self::CoverOpen => DeviceErrorKind::CoverOpen,
            Self::NoStatusReply(_) | Self::UsbNotFound { .. } => DeviceErrorKind::Absent,
            Self::UsbNoEndpoint { .. } => DeviceErrorKind::Unsupported,
            Self::Open { source, .. } | Self::Io { source, .. } => io_kind(source.kind()),
            Self::SerialOpen { source, .. } => match source.kind() {
                // serialport reports EBUSY (the port is locked by another
                // program, TIOCEXCL) as NoDevice.
                serialport::ErrorKind::NoDevice => DeviceErrorKind::Busy,
                serialport::ErrorKind::Io(kind) => io_kind(kind),
                _ => DeviceErrorKind::Other,
            },
            Self::Usb(e) => match e {
                rusb::Error::NoDevice | rusb::Error::NotFound => DeviceErrorKind::Absent,
                rusb::Error::Busy | rusb::Error::Timeout => DeviceErrorKind::Busy,
                _ => DeviceErrorKind::Other,
            },
            Self::Uri(_) | Self::Offline | Self::Encode(_) => DeviceErrorKind::Other,
        }
    }
}

fn io_kind(kind: io::ErrorKind) -> DeviceErrorKind {
    use io::ErrorKind as K;
    match kind {
        K::NotFound
        | K::ConnectionRefused
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::AddrNotAvailable
        | K::BrokenPipe
        | K::NotConnected
        | K::UnexpectedEof => DeviceErrorKind::Absent,
        K::TimedOut | K::WouldBlock | K::ResourceBusy => DeviceErrorKind::Busy,
        _ => DeviceErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(Error::PaperOut.kind(), DeviceErrorKind::PaperOut);
        assert_eq!(Error::CoverOpen.kind(), DeviceErrorKind::CoverOpen);
        assert_eq!(Error::NoStatusReply(4).kind(), DeviceErrorKind::Absent);
        let refused = Error::Open {
            link: "tcp:127.0.0.1:9".into(),
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(refused.kind(), DeviceErrorKind::Absent);
        let locked = Error::SerialOpen {
            path: "/dev/ttyUSB0".into(),
            source: serialport::Error::new(serialport::ErrorKind::NoDevice, "busy"),
        };
        assert_eq!(locked.kind(), DeviceErrorKind::Busy);
        assert_eq!(Error::Usb(rusb::Error::Busy).kind(), DeviceErrorKind::Busy);
    }
}
