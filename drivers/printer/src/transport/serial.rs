//! A serial (RS-232 or USB-serial) printer, 8N1, no flow control.
//!
//! serialport is used without its default features: we never list ports
//! (that needs libudev), we open the configured path.

use super::Transport;
use crate::error::Error;
use serialport::{ClearBuffer, SerialPort};
use std::fmt;
use std::io::{self, Read, Write};
use std::time::Duration;

/// How long a status answer may take.
pub const READ_TIMEOUT: Duration = Duration::from_millis(500);

pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    path: String,
}

impl fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SerialTransport")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SerialTransport {
    /// Opens `path` at `baud` (exclusively: a second open fails as busy).
    ///
    /// # Errors
    /// The port does not exist, is held by another program, or cannot be set up.
    pub fn open(path: &str, baud: u32) -> Result<Self, Error> {
        let port = serialport::new(path, baud)
            .timeout(READ_TIMEOUT)
            .open()
            .map_err(|source| Error::SerialOpen {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            port,
            path: path.to_owned(),
        })
    }

    fn io(&self, source: io::Error) -> Error {
        Error::Io {
            link: format!("serial:{}", self.path),
            source,
        }
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let result = self.port.write_all(bytes).and_then(|()| self.port.flush());
        result.map_err(|e| self.io(e))
    }

    fn read_byte(&mut self) -> Result<Option<u8>, Error> {
        let mut byte = [0u8; 1];
        match self.port.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            Ok(_) => Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.io(e)),
        }
    }

    fn discard_input(&mut self) -> Result<(), Error> {
        self.port
            .clear(ClearBuffer::Input)
            .map_err(|e| self.io(e.into()))
    }

    fn two_way(&self) -> bool {
        true
    }
}
