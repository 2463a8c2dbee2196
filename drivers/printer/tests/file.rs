//! The file transport (one-way), previews, USB absence and bad URIs.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{FOLLOW, ctx};
use kiosk_domain::fixtures;
use kiosk_domain::lang::Lang;
use kiosk_domain::ports::printer::{PrinterStatus, ReceiptPrinter, receipt_for};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_printer::decode::decode;
use kiosk_printer::preview::render_png;
use kiosk_printer::{Error, EscPosPrinter, PrinterProfile, PrinterUri, print_test};

#[test]
fn file_is_created_then_appended_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipts.bin");
    let uri: PrinterUri = format!("file:{}", path.display()).parse().unwrap();
    let renewal = fixtures::renewal_order(1);
    let application = fixtures::application_order(2);
    for order in [&renewal, &application] {
        // A fresh open each time: the second one must append, not truncate.
        let mut printer = EscPosPrinter::open(&uri, PrinterProfile::mm80()).unwrap();
        assert_eq!(printer.status().unwrap(), PrinterStatus::UNKNOWN);
        printer
            .print(&receipt_for(order, &ctx(Lang::ZhCn)))
            .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.cuts(), 2);
    let qrs: Vec<&str> = decoded.qrs().map(|q| q.payload.as_str()).collect();
    assert_eq!(
        qrs,
        [
            format!("{FOLLOW}{}", renewal.number),
            format!("{FOLLOW}{}", application.number)
        ]
    );
    let texts = decoded.texts();
    assert!(texts.iter().any(|t| t == "金额 ¥300.00"));
    assert!(texts.iter().any(|t| t == "订单状态 待审核"));
    assert!(texts.iter().any(|t| t == "身份证号 110***********002X"));

    let report = print_test(&uri.to_string(), &PrinterProfile::mm80()).unwrap();
    assert!(!report.two_way);
    assert_eq!(report.status, PrinterStatus::UNKNOWN);
    assert_eq!(
        std::fs::read(&path).unwrap().len(),
        bytes.len() + report.bytes_sent
    );
}

#[test]
fn a_missing_folder_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("file:{}", dir.path().join("no/such/dir/r.bin").display());
    let err = print_test(&uri, &PrinterProfile::mm80()).unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::Absent);
}

#[test]
fn no_usb_printer_here_is_absent() {
    let err = print_test("usb:0416:5011", &PrinterProfile::mm80()).unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::Absent, "{err}");
}

#[test]
fn bad_uris_say_what_is_expected() {
    let err = print_test("lp0", &PrinterProfile::mm80()).unwrap_err();
    assert!(matches!(err, Error::Uri(_)));
    assert!(err.to_string().contains("serial:PATH[?baud=N]"), "{err}");
}

/// Writes previews to the target's temp folder, for a human to look at.
#[test]
fn previews_are_pngs() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    for (name, order, profile) in [
        (
            "renewal-58mm",
            fixtures::renewal_order(1),
            PrinterProfile::mm58(),
        ),
        (
            "application-80mm",
            fixtures::application_order(2),
            PrinterProfile::mm80(),
        ),
    ] {
        let bytes = kiosk_printer::encode::encode(&receipt_for(&order, &ctx(Lang::ZhCn)), &profile)
            .unwrap();
        let png = render_png(&decode(&bytes).unwrap(), &profile).unwrap();
        assert_eq!(&png[..4], b"\x89PNG");
        std::fs::write(out.join(format!("receipt-{name}.png")), png).unwrap();
    }
}
