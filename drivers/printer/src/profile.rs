//! What differs between printer models.

use std::fmt;
use std::str::FromStr;

/// How text reaches the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextEncoding {
    /// The Chinese (Hanzi) mode, `FS &`, with text in GB18030: what every
    /// Chinese ESC/POS printer understands. The default.
    #[default]
    Gb18030Hanzi,
    /// A single-byte code page selected with `ESC t n`, Hanzi mode off, for
    /// printers without a Chinese font (English receipts only). Only ASCII is
    /// sent; any other character prints as `?`.
    SingleByte { code_page: u8 },
}

/// One printer model's geometry and habits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterProfile {
    /// For logs and the test page, e.g. `80mm`.
    pub name: String,
    /// Characters of font A (12×24 dots) on one line: 32 on 58 mm, 48 on 80 mm.
    pub columns: usize,
    /// Printable width in dots (203 dpi): 384 on 58 mm, 576 on 80 mm.
    pub dots: u32,
    pub encoding: TextEncoding,
    /// Largest QR module size in dots (`GS ( k` function 167 allows 1 to 16).
    pub qr_max_module: u8,
    /// Lines fed before the cut, so the last line clears the cutter.
    pub feed_before_cut: u8,
    /// Ask `DLE EOT n` before printing on two-way links. Off only for
    /// printers whose firmware does not answer (then the status is unknown).
    pub query_status: bool,
}

impl PrinterProfile {
    /// A 58 mm printer (e.g. a kiosk panel printer).
    #[must_use]
    pub fn mm58() -> Self {
        Self {
            name: "58mm".to_owned(),
            columns: 32,
            dots: 384,
            encoding: TextEncoding::Gb18030Hanzi,
            qr_max_module: 6,
            feed_before_cut: 4,
            query_status: true,
        }
    }

    /// An 80 mm printer, the kiosk's default.
    #[must_use]
    pub fn mm80() -> Self {
        Self {
            name: "80mm".to_owned(),
            columns: 48,
            dots: 576,
            encoding: TextEncoding::Gb18030Hanzi,
            qr_max_module: 8,
            feed_before_cut: 4,
            query_status: true,
        }
    }

    /// The same profile with another text encoding.
    #[must_use]
    pub fn with_encoding(mut self, encoding: TextEncoding) -> Self {
        self.encoding = encoding;
        self
    }
}

impl Default for PrinterProfile {
    fn default() -> Self {
        Self::mm80()
    }
}

impl fmt::Display for PrinterProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A profile name that is not `58mm` or `80mm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown printer profile {0:?}: expected 58mm or 80mm")]
pub struct UnknownProfile(pub String);

impl From<kiosk_domain::ports::printer_uri::Paper> for PrinterProfile {
    fn from(paper: kiosk_domain::ports::printer_uri::Paper) -> Self {
        match paper {
            kiosk_domain::ports::printer_uri::Paper::Mm58 => Self::mm58(),
            kiosk_domain::ports::printer_uri::Paper::Mm80 => Self::mm80(),
        }
    }
}

impl FromStr for PrinterProfile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "58" | "58mm" => Ok(Self::mm58()),
            "80" | "80mm" => Ok(Self::mm80()),
            _ => Err(UnknownProfile(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_by_name() {
        assert_eq!("58mm".parse::<PrinterProfile>().unwrap().columns, 32);
        assert_eq!("80".parse::<PrinterProfile>().unwrap().dots, 576);
        assert!("76mm".parse::<PrinterProfile>().is_err());
        // Font A is 12 dots wide: the columns fill the printable width.
        for p in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
            assert_eq!(u32::try_from(p.columns).unwrap() * 12, p.dots);
        }
    }
}
