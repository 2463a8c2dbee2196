//! Real-time status: `DLE EOT n` (`10 04 n`), answered by one byte at once,
//! even while the printer is busy or offline.
//!
//! | n | asks | bits we read |
//! |---|---|---|
//! | 1 | printer status | bit 3: offline |
//! | 2 | offline cause | bit 2: cover open; bit 5: stopped at paper end |
//! | 4 | roll paper sensor | bits 2–3: near end; bits 5–6: paper out |
//!
//! Every answer has bit 1 and bit 4 set, bit 0 and bit 7 clear
//! (`byte & 0x93 == 0x12`); other bytes (e.g. an automatic status message)
//! are skipped.

use crate::encode::{DLE, EOT};
use crate::error::Error;
use crate::transport::Transport;
use kiosk_domain::ports::printer::{PaperState, PrinterStatus};

/// `DLE EOT 1`: printer status.
pub const PRINTER: u8 = 1;
/// `DLE EOT 2`: offline cause.
pub const OFFLINE_CAUSE: u8 = 2;
/// `DLE EOT 4`: roll paper sensor.
pub const PAPER: u8 = 4;

/// The query bytes for `n`.
#[must_use]
pub fn query(n: u8) -> [u8; 3] {
    [DLE, EOT, n]
}

/// Whether `byte` has the fixed bits of a real-time status answer.
#[must_use]
pub fn is_status_byte(byte: u8) -> bool {
    byte & 0x93 == 0x12
}

/// The three answers, read into the domain's status.
#[must_use]
pub fn parse(printer: u8, offline_cause: u8, paper: u8) -> PrinterStatus {
    let paper = if paper & 0x60 != 0 || offline_cause & 0x20 != 0 {
        PaperState::Out
    } else if paper & 0x0c != 0 {
        PaperState::NearEnd
    } else {
        PaperState::Ok
    };
    PrinterStatus {
        online: Some(printer & 0x08 == 0),
        paper,
        cover_open: Some(offline_cause & 0x04 != 0),
    }
}

/// Asks `DLE EOT 1`, `2` and `4` in turn on a two-way link.
///
/// # Errors
/// The link fails, or the printer does not answer one of the queries.
pub fn ask(transport: &mut dyn Transport) -> Result<PrinterStatus, Error> {
    transport.discard_input()?;
    let printer = ask_one(transport, PRINTER)?;
    let offline = ask_one(transport, OFFLINE_CAUSE)?;
    let paper = ask_one(transport, PAPER)?;
    let status = parse(printer, offline, paper);
    tracing::debug!(printer, offline, paper, ?status, "printer status");
    Ok(status)
}

fn ask_one(transport: &mut dyn Transport, n: u8) -> Result<u8, Error> {
    transport.write_all(&query(n))?;
    // Skip at most a few stray bytes before the answer.
    for _ in 0..8 {
        match transport.read_byte()? {
            Some(byte) if is_status_byte(byte) => return Ok(byte),
            Some(byte) => tracing::debug!(byte, "skipped a byte that is not a status answer"),
            None => break,
        }
    }
    Err(Error::NoStatusReply(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes a healthy Epson-compatible printer answers.
    const FINE: (u8, u8, u8) = (0x16, 0x12, 0x12);

    #[test]
    fn healthy_printer() {
        let (p, o, r) = FINE;
        assert_eq!(
            parse(p, o, r),
            PrinterStatus {
                online: Some(true),
                paper: PaperState::Ok,
                cover_open: Some(false)
            }
        );
    }

    #[test]
    fn paper_out_near_end_and_cover() {
        assert_eq!(parse(0x1e, 0x32, 0x72).paper, PaperState::Out);
        assert_eq!(parse(0x1e, 0x32, 0x72).online, Some(false));
        assert_eq!(parse(0x16, 0x12, 0x1e).paper, PaperState::NearEnd);
        let cover = parse(0x1e, 0x16, 0x12);
        assert_eq!(cover.cover_open, Some(true));
        assert_eq!(cover.paper, PaperState::Ok);
    }

    #[test]
    fn fixed_bits() {
        for b in [0x12, 0x16, 0x1e, 0x32, 0x72, 0x7e] {
            assert!(is_status_byte(b), "{b:#x}");
        }
        for b in [0x00, 0x13, 0x80, 0x92, 0x02] {
            assert!(!is_status_byte(b), "{b:#x}");
        }
    }
}
