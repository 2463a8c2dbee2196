//! Where the receipt printer is, as the kiosk's configuration writes it (a
//! value the printer driver opens; parsed here so that the configuration is
//! read without any driver):
//!
//! | URI | link |
//! |---|---|
//! | `usb:0416:5011` | USB, vendor and product ID in hex (`0x` allowed) |
//! | `serial:/dev/ttyUSB0` or `serial:/dev/ttyS1?baud=115200` | serial line, 8N1, default 9600 baud |
//! | `tcp:192.0.2.10:9100`, `tcp:printer.local`, `tcp:[2001:db8::1]:9100` | raw TCP, default port 9100 |
//! | `file:/tmp/receipt.bin` | appends the bytes to a file (development, demos) |

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The baud rate when a serial URI names none: the usual factory setting.
pub const DEFAULT_BAUD: u32 = 9600;
/// The raw printing port of network printers.
pub const DEFAULT_TCP_PORT: u16 = 9100;

const FORMS: &str = "usb:VID:PID, serial:PATH[?baud=N], tcp:HOST[:PORT] or file:PATH";

/// The receipt paper's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paper {
    Mm58,
    Mm80,
}

/// A paper width that is not `58mm` or `80mm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown paper {0:?}: expected 58mm or 80mm")]
pub struct UnknownPaper(pub String);

impl FromStr for Paper {
    type Err = UnknownPaper;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "58" | "58mm" => Ok(Self::Mm58),
            "80" | "80mm" => Ok(Self::Mm80),
            _ => Err(UnknownPaper(s.to_owned())),
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mm58 => "58mm",
            Self::Mm80 => "80mm",
        })
    }
}

/// A parsed printer location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterUri {
    Usb { vid: u16, pid: u16 },
    Serial { path: String, baud: u32 },
    Tcp { host: String, port: u16 },
    File { path: PathBuf },
}

/// Why a printer URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("printer URI {0:?} has no scheme: expected {FORMS}")]
    MissingScheme(String),
    #[error("unknown printer URI scheme {0:?}: expected {FORMS}")]
    UnknownScheme(String),
    #[error(
        "{0:?} is not a USB printer: expected usb:VID:PID with two hex IDs, e.g. usb:0416:5011"
    )]
    UsbIds(String),
    #[error("{0}: the path is empty")]
    EmptyPath(&'static str),
    #[error("serial: unknown parameter {0:?}: only baud=N is understood")]
    SerialParameter(String),
    #[error("serial: {0:?} is not a baud rate (e.g. 9600, 115200)")]
    Baud(String),
    #[error("tcp: the host is empty: expected tcp:HOST[:PORT]")]
    EmptyHost,
    #[error("tcp: {0:?} is not a port number (1-65535)")]
    Port(String),
}

impl FromStr for PrinterUri {
    type Err = UriError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        let Some((scheme, rest)) = input.split_once(':') else {
            return Err(UriError::MissingScheme(input.to_owned()));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "usb" => parse_usb(rest),
            "serial" => parse_serial(rest),
            "tcp" => parse_tcp(rest),
            "file" => {
                if rest.is_empty() {
                    Err(UriError::EmptyPath("file"))
                } else {
                    Ok(Self::File {
                        path: PathBuf::from(rest),
                    })
                }
            }
            _ => Err(UriError::UnknownScheme(scheme.to_owned())),
        }
    }
}

fn parse_usb(rest: &str) -> Result<PrinterUri, UriError> {
    let bad = || UriError::UsbIds(format!("usb:{rest}"));
    let (vid, pid) = rest.split_once(':').ok_or_else(bad)?;
    let hex = |s: &str| {
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        if digits.is_empty() || digits.len() > 4 {
            return None;
        }
        u16::from_str_radix(digits, 16).ok()
    };
    Ok(PrinterUri::Usb {
        vid: hex(vid).ok_or_else(bad)?,
        pid: hex(pid).ok_or_else(bad)?,
    })
}

fn parse_serial(rest: &str) -> Result<PrinterUri, UriError> {
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(UriError::EmptyPath("serial"));
    }
    let mut baud = DEFAULT_BAUD;
    for param in query.into_iter().flat_map(|q| q.split('&')) {
        match param.split_once('=') {
            Some(("baud", value)) => {
                baud = value
                    .parse()
                    .ok()
                    .filter(|b| *b > 0)
                    .ok_or_else(|| UriError::Baud(value.to_owned()))?;
            }
            _ => return Err(UriError::SerialParameter(param.to_owned())),
        }
    }
    Ok(PrinterUri::Serial {
        path: path.to_owned(),
        baud,
    })
}

fn parse_tcp(rest: &str) -> Result<PrinterUri, UriError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        // [IPv6]:port
        let (host, after) = bracketed.split_once(']').ok_or(UriError::EmptyHost)?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(UriError::Port(after.to_owned())),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(UriError::EmptyHost);
    }
    let port = match port {
        None => DEFAULT_TCP_PORT,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| UriError::Port(p.to_owned()))?,
    };
    Ok(PrinterUri::Tcp {
        host: host.to_owned(),
        port,
    })
}

impl fmt::Display for PrinterUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usb { vid, pid } => write!(f, "usb:{vid:04x}:{pid:04x}"),
            Self::Serial { path, baud } => write!(f, "serial:{path}?baud={baud}"),
            Self::Tcp { host, port } if host.contains(':') => write!(f, "tcp:[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
            Self::File { path } => write!(f, "file:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<PrinterUri, UriError> {
        s.parse()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            parse("usb:0416:5011"),
            Ok(PrinterUri::Usb {
                vid: 0x0416,
                pid: 0x5011
            })
        );
        assert_eq!(
            parse("USB:0x04b8:0x0E15"),
            Ok(PrinterUri::Usb {
                vid: 0x04b8,
                pid: 0x0e15
            })
        );
        assert_eq!(
            parse("serial:/dev/ttyUSB0"),
            Ok(PrinterUri::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: DEFAULT_BAUD
            })
        );
        assert_eq!(
            parse("serial:/dev/ttyS1?baud=115200"),
            Ok(PrinterUri::Serial {
                path: "/dev/ttyS1".into(),
                baud: 115_200
            })
        );
        assert_eq!(
            parse("tcp:192.0.2.10:9100"),
            Ok(PrinterUri::Tcp {
                host: "192.0.2.10".into(),
                port: 9100
            })
        );
        assert_eq!(
            parse("tcp:printer.local"),
            Ok(PrinterUri::Tcp {
                host: "printer.local".into(),
                port: 9100
            })
        );
        assert_eq!(
            parse("tcp:[::1]:9101"),
            Ok(PrinterUri::Tcp {
                host: "::1".into(),
                port: 9101
            })
        );
        assert_eq!(
            parse("file:/tmp/r.bin"),
            Ok(PrinterUri::File {
                path: "/tmp/r.bin".into()
            })
        );
    }

    #[test]
    fn round_trips_through_display() {
        for s in [
            "usb:0416:5011",
            "serial:/dev/ttyUSB0?baud=9600",
            "tcp:10.0.0.5:9100",
            "tcp:[::1]:9100",
            "file:/tmp/x",
        ] {
            assert_eq!(parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn clear_errors() {
        assert_eq!(
            parse("/dev/ttyUSB0"),
            Err(UriError::MissingScheme("/dev/ttyUSB0".into()))
        );
        let e = parse("lpt:1").unwrap_err();
        assert_eq!(e, UriError::UnknownScheme("lpt".into()));
        assert!(e.to_string().contains("usb:VID:PID"));
        assert!(matches!(parse("usb:0416"), Err(UriError::UsbIds(_))));
        assert!(matches!(parse("usb:zz:0001"), Err(UriError::UsbIds(_))));
        assert!(matches!(parse("usb:10000:1"), Err(UriError::UsbIds(_))));
        assert_eq!(parse("serial:"), Err(UriError::EmptyPath("serial")));
        assert_eq!(
            parse("serial:/dev/ttyS0?baud=fast"),
            Err(UriError::Baud("fast".into()))
        );
        assert_eq!(
            parse("serial:/dev/ttyS0?parity=even"),
            Err(UriError::SerialParameter("parity=even".into()))
        );
        assert_eq!(parse("tcp::9100"), Err(UriError::EmptyHost));
        assert_eq!(parse("tcp:host:0"), Err(UriError::Port("0".into())));
        assert_eq!(parse("tcp:host:99999"), Err(UriError::Port("99999".into())));
        assert_eq!(parse("file:"), Err(UriError::EmptyPath("file")));
    }
}
