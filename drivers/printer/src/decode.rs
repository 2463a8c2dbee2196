//! Our own reading of an ESC/POS stream: lines of text (GB18030 in the
//! Chinese mode) with their style, QR codes, feeds, cuts and status queries.
//!
//! It knows exactly the commands [`encode`](crate::encode) sends and fails on
//! anything else, so a test that decodes what was printed also checks that
//! nothing unexpected reached the printer.

use crate::encode::{DLE, EOT, ESC, FS, GS, LF};
use kiosk_domain::ports::printer::Align;

/// A printed line and the style it was printed in (the style in force at its
/// first character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub bold: bool,
    /// Character width multiplier (1 to 8).
    pub width: u8,
    /// Character height multiplier (1 to 8).
    pub height: u8,
    pub align: Align,
}

/// A printed QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    pub payload: String,
    /// 1 or 2 (`GS ( k` fn 165).
    pub model: u8,
    /// Module size in dots.
    pub module: u8,
    /// `L`, `M`, `Q` or `H`.
    pub level: char,
}

/// One thing the printer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Line(Line),
    Qr(Qr),
    /// `ESC d n`: n lines fed.
    Feed(u8),
    Cut,
    /// `DLE EOT n`: a real-time status query.
    StatusQuery(u8),
}

/// A decoded stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    pub items: Vec<Item>,
}

impl Decoded {
    /// The printed lines.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.items.iter().filter_map(|i| match i {
            Item::Line(line) => Some(line),
            _ => None,
        })
    }

    /// The printed lines' text, runs of spaces folded to one and trimmed
    /// (`金额 ¥300.00` for a key-value line padded to the paper's width).
    #[must_use]
    pub fn texts(&self) -> Vec<String> {
        self.lines()
            .map(|l| l.text.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The printed QR codes.
    pub fn qrs(&self) -> impl Iterator<Item = &Qr> {
        self.items.iter().filter_map(|i| match i {
            Item::Qr(qr) => Some(qr),
            _ => None,
        })
    }

    #[must_use]
    pub fn cuts(&self) -> usize {
        self.items.iter().filter(|i| **i == Item::Cut).count()
    }
}

/// Why a stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown command {bytes} at byte {offset}")]
    UnknownCommand { offset: usize, bytes: String },
    #[error("the stream ends inside a command at byte {offset}")]
    Truncated { offset: usize },
    #[error("text at byte {offset} is not valid {encoding}")]
    BadText {
        offset: usize,
        encoding: &'static str,
    },
    #[error("QR print at byte {offset} without stored data")]
    QrWithoutData { offset: usize },
}

#[derive(Debug, Clone, Copy)]
struct Style {
    bold: bool,
    width: u8,
    height: u8,
    align: Align,
}

const RESET: Style = Style {
    bold: false,
    width: 1,
    height: 1,
    align: Align::Left,
};

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    style: Style,
    hanzi: bool,
    text: Vec<u8>,
    text_start: usize,
    line_style: Style,
    qr_model: u8,
    qr_module: u8,
    qr_level: char,
    qr_data: Option<Vec<u8>>,
    items: Vec<Item>,
}

/// Reads `bytes` as the printer would.
///
/// # Errors
/// An unknown or truncated command, or text that is not valid in the mode
/// it was sent in (GB18030 in the Chinese mode, ASCII outside it).
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let mut d = Decoder {
        bytes,
        pos: 0,
        style: RESET,
        hanzi: false,
        text: Vec::new(),
        text_start: 0,
        line_style: RESET,
        qr_model: 1,
        qr_module: 3,
        qr_level: 'L',
        qr_data: None,
        items: Vec::new(),
    };
    while d.pos < bytes.len() {
        d.step()?;
    }
    if !d.text.is_empty() {
        // Text never ended by LF: printers keep it in the buffer, unprinted.
        d.flush_line()?;
    }
    Ok(Decoded { items: d.items })
}

impl Decoder<'_> {
    fn byte(&self, at: usize) -> Result<u8, DecodeError> {
        self.bytes
            .get(at)
            .copied()
            .ok_or(DecodeError::Truncated { offset: self.pos })
    }

    fn unknown(&self, len: usize) -> DecodeError {
        let end = (self.pos + len).min(self.bytes.len());
        let bytes = self.bytes[self.pos..end]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        DecodeError::UnknownCommand {
            offset: self.pos,
            bytes,
        }
    }

    fn flush_line(&mut self) -> Result<(), DecodeError> {
        let bytes = std::mem::take(&mut self.text);
        let text = if self.hanzi {
            encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(&bytes)
                .map(|t| t.into_owned())
                .ok_or(DecodeError::BadText {
                    offset: self.text_start,
                    encoding: "GB18030",
                })?
        } else if bytes.is_ascii() {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            return Err(DecodeError::BadText {
                offset: self.text_start,
                encoding: "ASCII (the Chinese mode is off)",
            });
        };
        let style = if text.is_empty() {
            self.style
        } else {
            self.line_style
        };
        self.items.push(Item::Line(Line {
            text,
            bold: style.bold,
            width: style.width,
            height: style.height,
            align: style.align,
        }));
        Ok(())
    }

    fn step(&mut self) -> Result<(), DecodeError> {
        let b = self.byte(self.pos)?;
        match b {
            LF => {
                self.flush_line()?;
                self.pos += 1;
            }
            ESC => self.esc()?,
            GS => self.gs()?,
            FS => {
                match self.byte(self.pos + 1)? {
                    b'&' => self.hanzi = true,
                    b'.' => self.hanzi = false,
                    _ => return Err(self.unknown(2)),
                }
                self.pos += 2;
            }
            DLE => {
                if self.byte(self.pos + 1)? != EOT {
                    return Err(self.unknown(2));
                }
                let n = self.byte(self.pos + 2)?;
                if !matches!(n, 1..=4) {
                    return Err(self.unknown(3));
                }
                self.items.push(Item::StatusQuery(n));
                self.pos += 3;
            }
            0x00..=0x1f | 0x7f => return Err(self.unknown(1)),
            _ => {
                if self.text.is_empty() {
                    self.text_start = self.pos;
                    self.line_style = self.style;
                }
                self.text.push(b);
                self.pos += 1;
            }
        }
        Ok(())
    }

    fn esc(&mut self) -> Result<(), DecodeError> {
        let cmd = self.byte(self.pos + 1)?;
        match cmd {
            b'@' => {
                self.style = RESET;
                self.text.clear();
                self.pos += 2;
            }
            b'E' => {
                self.style.bold = self.byte(self.pos + 2)? & 1 == 1;
                self.pos += 3;
            }
            b'a' => {
                self.style.align = match self.byte(self.pos + 2)? {
                    0 | 48 => Align::Left,
                    1 | 49 => Align::Center,
                    2 | 50 => Align::Right,
                    _ => return Err(self.unknown(3)),
                };
                self.pos += 3;
            }
            b'd' => {
                let n = self.byte(self.pos + 2)?;
                if !self.text.is_empty() {
                    self.flush_line()?;
                }
                self.items.push(Item::Feed(n));
                self.pos += 3;
            }
            b't' => {
                self.byte(self.pos + 2)?;
                self.pos += 3;
            }
            _ => return Err(self.unknown(2)),
        }
        Ok(())
    }

    fn gs(&mut self) -> Result<(), DecodeError> {
        let cmd = self.byte(self.pos + 1)?;
        match cmd {
            b'!' => {
                let n = self.byte(self.pos + 2)?;
                if n & 0x88 != 0 {
                    return Err(self.unknown(3));
                }
                self.style.width = (n >> 4) + 1;
                self.style.height = (n & 0x07) + 1;
                self.pos += 3;
            }
            b'V' => {
                let m = self.byte(self.pos + 2)?;
                let len = match m {
                    0 | 1 | 48 | 49 => 3,
                    65 | 66 => {
                        self.byte(self.pos + 3)?;
                        4
                    }
                    _ => return Err(self.unknown(3)),
                };
                if !self.text.is_empty() {
                    self.flush_line()?;
                }
                self.items.push(Item::Cut);
                self.pos += len;
            }
            b'(' => {
                if self.byte(self.pos + 2)? != b'k' {
                    return Err(self.unknown(3));
                }
                self.qr()?;
            }
            _ => return Err(self.unknown(2)),
        }
        Ok(())
    }

    /// `GS ( k pL pH cn fn [params]`, cn = 49 (QR code).
    fn qr(&mut self) -> Result<(), DecodeError> {
        let len = usize::from(u16::from_le_bytes([
            self.byte(self.pos + 3)?,
            self.byte(self.pos + 4)?,
        ]));
        let start = self.pos + 5;
        let end = start + len;
        if end > self.bytes.len() || len < 2 {
            return Err(DecodeError::Truncated { offset: self.pos });
        }
        let body = &self.bytes[start..end];
        let bad = || self.unknown(end - self.pos);
        match body {
            [49, 65, model @ (49 | 50), 0] => self.qr_model = model - 48,
            [49, 67, size @ 1..=16] => self.qr_module = *size,
            [49, 69, level @ 48..=51] => {
                self.qr_level = match level {
                    48 => 'L',
                    49 => 'M',
                    50 => 'Q',
                    _ => 'H',
                };
            }
            [49, 80, 48, data @ ..] => self.qr_data = Some(data.to_vec()),
            [49, 81, 48] => {
                let data = self
                    .qr_data
                    .clone()
                    .ok_or(DecodeError::QrWithoutData { offset: self.pos })?;
                let payload = String::from_utf8(data).map_err(|_| DecodeError::BadText {
                    offset: self.pos,
                    encoding: "UTF-8 (QR data)",
                })?;
                self.items.push(Item::Qr(Qr {
                    payload,
                    model: self.qr_model,
                    module: self.qr_module,
                    level: self.qr_level,
                }));
            }
            _ => return Err(bad()),
        }
        self.pos = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::encode;
    use crate::profile::PrinterProfile;
    use kiosk_domain::ports::printer::{Block, Receipt, TextStyle};

    #[test]
    fn reads_back_what_encode_wrote() {
        let receipt = Receipt {
            blocks: vec![
                Block::Title("数字证书".into()),
                Block::Text {
                    text: "TYA26112300017".into(),
                    style: TextStyle::LARGE,
                },
                Block::KeyValue {
                    key: "金额".into(),
                    value: "¥300.00".into(),
                },
                Block::Qr("https://ca.example.cn/t?o=1".into()),
                Block::Cut,
            ],
            order: None,
        };
        let decoded = decode(&encode(&receipt, &PrinterProfile::mm58()).unwrap()).unwrap();
        let lines: Vec<&Line> = decoded.lines().collect();
        assert_eq!(lines[0].text, "数字证书");
        assert!(lines[0].bold);
        assert_eq!((lines[0].width, lines[0].height), (1, 2));
        assert_eq!(lines[1].text, "TYA26112300017");
        assert_eq!((lines[1].width, lines[1].height), (2, 2));
        assert_eq!(lines[1].align, Align::Center);
        assert!(!lines[2].bold);
        assert_eq!(decoded.texts()[2], "金额 ¥300.00");
        let qr: Vec<&Qr> = decoded.qrs().collect();
        assert_eq!(qr[0].payload, "https://ca.example.cn/t?o=1");
        assert_eq!((qr[0].model, qr[0].level), (2, 'M'));
        assert_eq!(decoded.cuts(), 1);
        assert!(decoded.items.contains(&Item::Feed(4)));
    }

    #[test]
    fn fails_loudly_on_unknown_commands() {
        assert_eq!(
            decode(b"\x1b@\x1bJ\x10"),
            Err(DecodeError::UnknownCommand {
                offset: 2,
                bytes: "1b 4a".into()
            })
        );
        assert!(matches!(
            decode(b"\x1d\x76\x30"),
            Err(DecodeError::UnknownCommand { offset: 0, .. })
        ));
        assert!(matches!(
            decode(b"\x07"),
            Err(DecodeError::UnknownCommand { .. })
        ));
        assert_eq!(decode(b"\x1bE"), Err(DecodeError::Truncated { offset: 0 }));
    }

    #[test]
    fn chinese_bytes_outside_hanzi_mode_are_an_error() {
        assert!(matches!(
            decode(b"\xca\xfd\n"),
            Err(DecodeError::BadText { offset: 0, .. })
        ));
        let decoded = decode(b"\x1c&\xca\xfd\xd7\xd6\xd6\xa4\xca\xe9\n\x1c.").unwrap();
        assert_eq!(decoded.texts(), vec!["数字证书"]);
    }

    #[test]
    fn status_queries_are_items() {
        let decoded = decode(b"\x10\x04\x01\x10\x04\x04").unwrap();
        assert_eq!(
            decoded.items,
            vec![Item::StatusQuery(1), Item::StatusQuery(4)]
        );
    }
}
