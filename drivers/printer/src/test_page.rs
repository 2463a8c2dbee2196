//! The technician's test page (`kioskctl print-test --printer URI`): Chinese
//! text in every style, a QR code and the cut, so one look at the paper shows
//! whether the link, the Chinese font, the QR code and the cutter work.

use crate::error::Error;
use crate::printer::EscPosPrinter;
use crate::profile::PrinterProfile;
use crate::uri::PrinterUri;
use kiosk_domain::ports::printer::{
    Align, Block, PrinterStatus, Receipt, ReceiptPrinter, TextSize, TextStyle,
};

/// The QR code on the test page: scanning it shows the phone reads our codes.
pub const TEST_QR_PAYLOAD: &str = "https://example.invalid/kiosk/print-test";

/// What the test page run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintTestReport {
    /// The printer as parsed (normalised form of the URI).
    pub uri: String,
    pub profile: String,
    /// Whether the printer could be asked its status on this link.
    pub two_way: bool,
    /// The status before printing ([`PrinterStatus::UNKNOWN`] on a one-way link).
    pub status: PrinterStatus,
    /// Bytes sent for the page.
    pub bytes_sent: usize,
}

/// The test page for `uri` on `profile`.
#[must_use]
pub fn test_receipt(uri: &PrinterUri, profile: &PrinterProfile) -> Receipt {
    test_page(&uri.to_string(), profile)
}

/// The test page naming `printer` (its URI as configured) on `profile`.
#[must_use]
pub fn test_page(printer: &str, profile: &PrinterProfile) -> Receipt {
    let text = |text: &str, style: TextStyle| Block::Text {
        text: text.to_owned(),
        style,
    };
    let kv = |key: &str, value: String| Block::KeyValue {
        key: key.to_owned(),
        value,
    };
    Receipt {
        blocks: vec![
            Block::Title("打印测试 Print test".to_owned()),
            Block::Separator,
            text("数字证书自助服务终端", TextStyle::CENTERED),
            text(
                "粗体 Bold",
                TextStyle {
                    bold: true,
                    ..TextStyle::PLAIN
                },
            ),
            text(
                "倍高 Tall",
                TextStyle {
                    size: TextSize::DoubleHeight,
                    ..TextStyle::PLAIN
                },
            ),
            text("大字 Large", TextStyle::LARGE),
            text(
                "右对齐 Right",
                TextStyle {
                    align: Align::Right,
                    ..TextStyle::PLAIN
                },
            ),
            kv("金额", "¥300.00".to_owned()),
            kv("打印机", printer.to_owned()),
            kv("纸宽", profile.name.clone()),
            text("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789", TextStyle::PLAIN),
            Block::Separator,
            Block::Qr(TEST_QR_PAYLOAD.to_owned()),
            text("请用手机扫码确认二维码清晰", TextStyle::CENTERED),
            Block::Cut,
        ],
        order: None,
    }
}

/// Prints the test page on the printer `uri`.
///
/// # Errors
/// A bad URI, a link that cannot be opened, or a printer that reports no
/// paper, an open cover or offline (then nothing is printed).
pub fn print_test(uri: &str, profile: &PrinterProfile) -> Result<PrintTestReport, Error> {
    let uri: PrinterUri = uri.parse()?;
    let mut printer = EscPosPrinter::open(&uri, profile.clone())?;
    let two_way = printer.reports_status();
    let status = printer.status()?;
    let bytes_sent = printer.print_counted(&test_receipt(&uri, profile))?;
    Ok(PrintTestReport {
        uri: uri.to_string(),
        profile: profile.name.clone(),
        two_way,
        status,
        bytes_sent,
    })
}
