//! A [`Receipt`] to ESC/POS bytes.
//!
//! The commands (Epson ESC/POS, as Chinese printers implement it):
//!
//! | bytes | meaning |
//! |---|---|
//! | `ESC @` (`1b 40`) | initialise |
//! | `FS &` / `FS .` (`1c 26` / `1c 2e`) | enter / leave the Chinese (Hanzi) mode; text in GB18030 |
//! | `ESC t n` (`1b 74 n`) | single-byte code page (profiles without Chinese) |
//! | `ESC E n` (`1b 45 n`) | bold on/off |
//! | `GS ! n` (`1d 21 n`) | character size: width − 1 in bits 4–6, height − 1 in bits 0–2 |
//! | `ESC a n` (`1b 61 n`) | align left/centre/right |
//! | `LF` (`0a`) | print the line |
//! | `GS ( k` (`1d 28 6b …`) | QR: Model 2 (fn 165), module size (fn 167), level M (fn 169), store (fn 180), print (fn 181); data as UTF-8 |
//! | `ESC d n` (`1b 64 n`) | feed n lines |
//! | `GS V A 0` (`1d 56 41 00`) | feed to the cutter and cut |
//!
//! Line layout counts display columns: a Chinese character (or any East Asian
//! wide character) takes two columns of font A, ASCII one.

use crate::profile::{PrinterProfile, TextEncoding};
use kiosk_domain::ports::printer::{Align, Block, Receipt, TextSize, TextStyle};

pub(crate) const ESC: u8 = 0x1b;
pub(crate) const GS: u8 = 0x1d;
pub(crate) const FS: u8 = 0x1c;
pub(crate) const DLE: u8 = 0x10;
pub(crate) const EOT: u8 = 0x04;
pub(crate) const LF: u8 = 0x0a;

/// QR error correction level M (`GS ( k` fn 169, n = 49).
pub(crate) const QR_LEVEL_M: u8 = 49;

/// Why a receipt cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("the QR payload ({len} bytes) is too long for a QR code at level M")]
    QrTooLong { len: usize },
    #[error("a QR code of {modules} modules does not fit {dots} dots")]
    QrTooWide { modules: usize, dots: u32 },
}

/// The ESC/POS bytes that print `receipt` on a printer of `profile`.
///
/// # Errors
/// A QR payload too long for a QR code, or too wide for the paper.
pub fn encode(receipt: &Receipt, profile: &PrinterProfile) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::new(profile);
    for block in &receipt.blocks {
        w.block(block)?;
    }
    w.finish();
    Ok(w.out)
}

/// The display width of `c` in font-A columns: 2 for East Asian wide and
/// full-width characters, 1 otherwise.
#[must_use]
pub fn char_columns(c: char) -> usize {
    let c = u32::from(c);
    let wide = matches!(c,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// The display width of `s` in font-A columns.
#[must_use]
pub fn text_columns(s: &str) -> usize {
    s.chars().map(char_columns).sum()
}

/// The module size for a QR code of `modules` modules (quiet zone of 4 on
/// each side included) on `profile`'s paper.
pub(crate) fn qr_module_size(modules: usize, profile: &PrinterProfile) -> Result<u8, EncodeError> {
    let dots = usize::try_from(profile.dots).unwrap_or(usize::MAX);
    let fit = dots / (modules + 8);
    let size = fit.min(usize::from(profile.qr_max_module)).min(16);
    match u8::try_from(size) {
        Ok(size) if size >= 1 => Ok(size),
        _ => Err(EncodeError::QrTooWide {
            modules,
            dots: profile.dots,
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    bold: bool,
    size: u8,
    align: u8,
}

const INITIAL: State = State {
    bold: false,
    size: 0,
    align: 0,
};

struct Writer<'p> {
    profile: &'p PrinterProfile,
    out: Vec<u8>,
    state: State,
}

impl<'p> Writer<'p> {
    fn new(profile: &'p PrinterProfile) -> Self {
        let mut out = vec![ESC, b'@'];
        match profile.encoding {
            TextEncoding::Gb18030Hanzi => out.extend_from_slice(&[FS, b'&']),
            TextEncoding::SingleByte { code_page } => {
                out.extend_from_slice(&[FS, b'.', ESC, b't', code_page]);
            }
        }
        Self {
            profile,
            out,
            state: INITIAL,
        }
    }

    fn set(&mut self, style: TextStyle) {
        let size = match style.size {
            TextSize::Normal => 0x00,
            TextSize::DoubleHeight => 0x01,
            TextSize::Double => 0x11,
        };
        let align = match style.align {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        };
        if style.bold != self.state.bold {
            self.out
                .extend_from_slice(&[ESC, b'E', u8::from(style.bold)]);
        }
        if size != self.state.size {
            self.out.extend_from_slice(&[GS, b'!', size]);
        }
        if align != self.state.align {
            self.out.extend_from_slice(&[ESC, b'a', align]);
        }
        self.state = State {
            bold: style.bold,
            size,
            align,
        };
    }

    fn text(&mut self, text: &str) {
        match self.profile.encoding {
            TextEncoding::Gb18030Hanzi => {
                let (bytes, _, _) = encoding_rs::GB18030.encode(text);
                self.out.extend_from_slice(&bytes);
            }
            TextEncoding::SingleByte { .. } => self.out.extend(
                text.chars()
                    .map(|c| if c.is_ascii() { c as u8 } else { b'?' }),
            ),
        }
    }

    fn line(&mut self, text: &str) {
        self.text(text);
        self.out.push(LF);
    }

    fn wrapped(&mut self, text: &str, style: TextStyle) {
        self.set(style);
        let columns = match style.size {
            TextSize::Double => self.profile.columns / 2,
            TextSize::Normal | TextSize::DoubleHeight => self.profile.columns,
        };
        for line in wrap(&clean(text), columns.max(1)) {
            self.line(&line);
        }
    }

    fn block(&mut self, block: &Block) -> Result<(), EncodeError> {
        match block {
            Block::Title(text) => self.wrapped(
                text,
                TextStyle {
                    bold: true,
                    size: TextSize::DoubleHeight,
                    align: Align::Center,
                },
            ),
            Block::Text { text, style } => self.wrapped(text, *style),
            Block::Separator => {
                self.set(TextStyle::PLAIN);
                let rule = "-".repeat(self.profile.columns);
                self.line(&rule);
            }
            Block::KeyValue { key, value } => self.key_value(&clean(key), &clean(value)),
            Block::Qr(payload) => self.qr(payload)?,
            Block::Blank => self.out.push(LF),
            Block::Cut => {
                self.set(TextStyle::PLAIN);
                self.out
                    .extend_from_slice(&[ESC, b'd', self.profile.feed_before_cut]);
                self.out.extend_from_slice(&[GS, b'V', b'A', 0]);
            }
        }
        Ok(())
    }

    fn key_value(&mut self, key: &str, value: &str) {
        self.set(TextStyle::PLAIN);
        let columns = self.profile.columns;
        let used = text_columns(key) + text_columns(value);
        if used < columns {
            let line = format!("{key}{}{value}", " ".repeat(columns - used));
            self.line(&line);
        } else {
            // Too long for one line: the key, then the value indented below.
            for line in wrap(key, columns) {
                self.line(&line);
            }
            for line in wrap(value, columns.saturating_sub(2).max(1)) {
                self.line(&format!("  {line}"));
            }
        }
    }

    fn qr(&mut self, payload: &str) -> Result<(), EncodeError> {
        let data = payload.as_bytes();
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|_| EncodeError::QrTooLong { len: data.len() })?;
        let module = qr_module_size(code.width(), self.profile)?;
        let store_len = u16::try_from(data.len() + 3)
            .map_err(|_| EncodeError::QrTooLong { len: data.len() })?;
        let [pl, ph] = store_len.to_le_bytes();
        self.set(TextStyle::CENTERED);
        let k = [GS, b'(', b'k'];
        // fn 165: Model 2.
        self.out.extend_from_slice(&k);
        self.out.extend_from_slice(&[4, 0, 49, 65, 50, 0]);
        // fn 167: module size.
        self.out.extend_from_slice(&k);
        self.out.extend_from_slice(&[3, 0, 49, 67, module]);
        // fn 169: error correction level M.
        self.out.extend_from_slice(&k);
        self.out.extend_from_slice(&[3, 0, 49, 69, QR_LEVEL_M]);
        // fn 180: store the data (UTF-8, not through the text encoder).
        self.out.extend_from_slice(&k);
        self.out.extend_from_slice(&[pl, ph, 49, 80, 48]);
        self.out.extend_from_slice(data);
        // fn 181: print it.
        self.out.extend_from_slice(&k);
        self.out.extend_from_slice(&[3, 0, 49, 81, 48]);
        Ok(())
    }

    fn finish(&mut self) {
        if self.profile.encoding == TextEncoding::Gb18030Hanzi {
            self.out.extend_from_slice(&[FS, b'.']);
        }
    }
}

/// Control characters (a pasted newline, a tab) would be read as commands.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Splits `text` into lines of at most `columns` display columns.
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0;
    for c in text.chars() {
        let w = char_columns(c);
        if width + w > columns && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            width = 0;
        }
        line.push(c);
        width += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(blocks: Vec<Block>) -> Receipt {
        Receipt {
            blocks,
            order: None,
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn chinese_text_is_gb18030_inside_hanzi_mode() {
        let bytes = encode(
            &receipt(vec![Block::Text {
                text: "数字证书".into(),
                style: TextStyle::PLAIN,
            }]),
            &PrinterProfile::mm80(),
        )
        .unwrap();
        assert_eq!(
            bytes,
            [
                0x1b, 0x40, // ESC @
                0x1c, 0x26, // FS &
                0xca, 0xfd, 0xd7, 0xd6, 0xd6, 0xa4, 0xca, 0xe9, // 数字证书
                0x0a, // LF
                0x1c, 0x2e, // FS .
            ]
        );
    }

    #[test]
    fn single_byte_profile_leaves_hanzi_mode_and_sends_ascii_only() {
        let profile =
            PrinterProfile::mm58().with_encoding(TextEncoding::SingleByte { code_page: 0 });
        let bytes = encode(
            &receipt(vec![Block::Text {
                text: "Amount ¥3".into(),
                style: TextStyle::PLAIN,
            }]),
            &profile,
        )
        .unwrap();
        assert_eq!(bytes, b"\x1b@\x1c.\x1bt\x00Amount ?3\n");
    }

    #[test]
    fn styles_are_sent_only_when_they_change() {
        let bytes = encode(
            &receipt(vec![
                Block::Text {
                    text: "A".into(),
                    style: TextStyle::LARGE,
                },
                Block::Text {
                    text: "B".into(),
                    style: TextStyle::LARGE,
                },
                Block::Separator,
                Block::Cut,
            ]),
            &PrinterProfile::mm58(),
        )
        .unwrap();
        let mut expected =
            b"\x1b@\x1c&\x1bE\x01\x1d!\x11\x1ba\x01A\nB\n\x1bE\x00\x1d!\x00\x1ba\x00".to_vec();
        expected.extend_from_slice(&[b'-'; 32]);
        expected.extend_from_slice(b"\n\x1bd\x04\x1dVA\x00\x1c.");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn qr_is_model_2_level_m_and_fits_the_paper() {
        let url = "https://ca.example.cn/track?order=TYA26112300017";
        for profile in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
            let bytes = encode(&receipt(vec![Block::Qr(url.into())]), &profile).unwrap();
            assert!(contains(&bytes, b"\x1d(k\x04\x001A2\x00"), "model 2");
            assert!(contains(&bytes, b"\x1d(k\x03\x001E1"), "level M");
            let mut store = b"\x1d(k".to_vec();
            store.extend_from_slice(&u16::try_from(url.len() + 3).unwrap().to_le_bytes());
            store.extend_from_slice(b"1P0");
            store.extend_from_slice(url.as_bytes());
            assert!(contains(&bytes, &store), "store");
            assert!(contains(&bytes, b"\x1d(k\x03\x001Q0"), "print");
            let at = bytes
                .windows(5)
                .position(|w| w == b"\x1d(k\x03\x00")
                .unwrap();
            let module = bytes[at + 7];
            let width = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
                .unwrap()
                .width();
            assert!(module >= 1 && module <= profile.qr_max_module);
            assert!((width + 8) * usize::from(module) <= usize::try_from(profile.dots).unwrap());
        }
    }

    #[test]
    fn key_values_fill_the_line_or_wrap() {
        let profile = PrinterProfile::mm58();
        let bytes = encode(
            &receipt(vec![
                Block::KeyValue {
                    key: "金额".into(),
                    value: "¥300.00".into(),
                },
                Block::KeyValue {
                    key: "申请单位".into(),
                    value: "山西示例煤业有限公司山西示例煤业有限公司".into(),
                },
            ]),
            &profile,
        )
        .unwrap();
        let (text, _, _) = encoding_rs::GB18030.decode(&bytes[4..bytes.len() - 2]);
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], format!("金额{}¥300.00", " ".repeat(32 - 4 - 7)));
        assert_eq!(lines[1], "申请单位");
        assert_eq!(lines[2], "  山西示例煤业有限公司山西示例煤");
        assert_eq!(lines[3], "  业有限公司");
    }

    #[test]
    fn control_characters_never_reach_the_printer() {
        let bytes = encode(
            &receipt(vec![Block::Text {
                text: "a\x1b@b\nc".into(),
                style: TextStyle::PLAIN,
            }]),
            &PrinterProfile::mm80(),
        )
        .unwrap();
        assert_eq!(&bytes[4..bytes.len() - 2], b"a @b c\n");
    }

    #[test]
    fn a_huge_qr_is_refused() {
        let long = "x".repeat(3000);
        assert_eq!(
            encode(&receipt(vec![Block::Qr(long)]), &PrinterProfile::mm80()),
            Err(EncodeError::QrTooLong { len: 3000 })
        );
    }
}
