//! The TCP transport against a `TcpListener` playing a network printer.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{FOLLOW, HEALTHY, PAPER_OUT, SimPrinter, ctx};
use kiosk_domain::fixtures;
use kiosk_domain::lang::Lang;
use kiosk_domain::ports::printer::{PaperState, ReceiptPrinter, receipt_for};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_printer::decode::decode;
use kiosk_printer::test_page::TEST_QR_PAYLOAD;
use kiosk_printer::{EscPosPrinter, PrinterProfile, print_test};
use std::net::TcpListener;
use std::time::Duration;

/// A printer listening on 127.0.0.1; serves one connection.
fn printer(answers: common::Answers) -> (u16, std::thread::JoinHandle<SimPrinter>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accept = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(150)))
            .unwrap();
        SimPrinter::start(stream, Some(answers))
    });
    (port, accept)
}

#[test]
fn prints_an_english_receipt_over_tcp() {
    let (port, accept) = printer(HEALTHY);
    let uri = format!("tcp:127.0.0.1:{port}").parse().unwrap();
    let mut p = EscPosPrinter::open(&uri, PrinterProfile::mm80()).unwrap();
    assert_eq!(p.status().unwrap().paper, PaperState::Ok);
    let order = fixtures::application_order(5);
    p.print(&receipt_for(&order, &ctx(Lang::En))).unwrap();
    drop(p);
    let decoded = decode(&accept.join().unwrap().finish()).unwrap();
    let texts = decoded.texts();
    for line in [
        "Certificate application receipt",
        order.number.as_str(),
        "Status Pending review",
        "Amount ¥500.00",
        "ID number 110***********002X",
        "Mobile 138****8000",
        "Handler 李*",
    ] {
        assert!(texts.iter().any(|t| t == line), "{line:?}: {texts:#?}");
    }
    let qr = decoded.qrs().next().unwrap();
    assert_eq!(qr.payload, format!("{FOLLOW}{}", order.number));
    assert_eq!(decoded.cuts(), 1);
}

#[test]
fn print_test_over_tcp_reports_and_prints_the_test_page() {
    let (port, accept) = printer(HEALTHY);
    let report = print_test(&format!("tcp:127.0.0.1:{port}"), &PrinterProfile::mm58()).unwrap();
    assert!(report.two_way);
    assert_eq!(report.status.paper, PaperState::Ok);
    assert_eq!(report.uri, format!("tcp:127.0.0.1:{port}"));
    let bytes = accept.join().unwrap().finish();
    let decoded = decode(&bytes).unwrap();
    assert!(decoded.texts().iter().any(|t| t == "打印测试 Print test"));
    assert!(decoded.texts().iter().any(|t| t == "数字证书自助服务终端"));
    assert_eq!(decoded.qrs().next().unwrap().payload, TEST_QR_PAYLOAD);
    assert_eq!(decoded.cuts(), 1);
    assert!(report.bytes_sent > 0 && report.bytes_sent < bytes.len());
}

#[test]
fn paper_out_over_tcp() {
    let (port, accept) = printer(PAPER_OUT);
    let err = print_test(&format!("tcp:127.0.0.1:{port}"), &PrinterProfile::mm80()).unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::PaperOut);
    // Only status queries: once for the report, once before printing.
    let bytes = accept.join().unwrap().finish();
    assert_eq!(bytes, b"\x10\x04\x01\x10\x04\x02\x10\x04\x04".repeat(2));
}

#[test]
fn nobody_listening_is_absent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = print_test(&format!("tcp:127.0.0.1:{port}"), &PrinterProfile::mm80()).unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::Absent, "{err}");
}
