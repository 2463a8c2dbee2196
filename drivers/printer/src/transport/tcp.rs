//! A network printer on its raw port (9100). Two-way: Epson-compatible
//! network printers answer `DLE EOT n` on the same connection.

use super::Transport;
use crate::error::Error;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const READ_TIMEOUT: Duration = Duration::from_millis(500);
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    link: String,
}

impl TcpTransport {
    /// Connects to `host:port`, trying each address the name resolves to.
    ///
    /// # Errors
    /// Nothing answers (refused, unreachable, timed out) or the name does not resolve.
    pub fn connect(host: &str, port: u16) -> Result<Self, Error> {
        let link = format!("tcp:{host}:{port}");
        let open = |source| Error::Open {
            link: link.clone(),
            source,
        };
        let addrs = (host, port).to_socket_addrs().map_err(open)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    let setup = stream
                        .set_read_timeout(Some(READ_TIMEOUT))
                        .and_then(|()| stream.set_write_timeout(Some(WRITE_TIMEOUT)))
                        .and_then(|()| stream.set_nodelay(true));
                    setup.map_err(open)?;
                    return Ok(Self { stream, link });
                }
                Err(e) => last = e,
            }
        }
        Err(open(last))
    }

    fn io(&self, source: io::Error) -> Error {
        Error::Io {
            link: self.link.clone(),
            source,
        }
    }
}

impl Transport for TcpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let result = self
            .stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush());
        result.map_err(|e| self.io(e))
    }

    fn read_byte(&mut self) -> Result<Option<u8>, Error> {
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            // The printer closed the connection.
            Ok(_) => Err(self.io(io::ErrorKind::UnexpectedEof.into())),
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
        self.stream.set_nonblocking(true).map_err(|e| self.io(e))?;
        let mut buf = [0u8; 64];
        let drained = loop {
            match self.stream.read(&mut buf) {
                Ok(n) if n > 0 => {}
                Ok(_) => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let restored = self.stream.set_nonblocking(false);
        drained.and(restored).map_err(|e| self.io(e))
    }

    fn two_way(&self) -> bool {
        true
    }
}
