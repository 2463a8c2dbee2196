//! `kioskctl print-test` as a technician runs it, into a file printer whose
//! bytes our own ESC/POS decoder reads back; and the printer in the doctor.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::kioskctl;

#[test]
fn a_test_page_prints_chinese_text_a_qr_code_and_a_cut() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("printer.bin");
    let uri = format!("file:{}", file.display());
    let out = kioskctl(
        dir.path(),
        &["print-test", "--printer", &uri, "--paper", "58mm"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("printed the test page"));

    let decoded = kiosk_printer::decode::decode(&std::fs::read(&file).unwrap()).unwrap();
    let text = decoded.texts().join("\n");
    assert!(
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "no Chinese: {text}"
    );
    let qrs: Vec<_> = decoded
        .qrs()
        .map(|q| (q.payload.as_str(), q.model))
        .collect();
    assert_eq!(qrs, [(kiosk_printer::test_page::TEST_QR_PAYLOAD, 2)]);
    assert_eq!(decoded.cuts(), 1);
}

#[test]
fn a_bad_printer_uri_is_refused_with_the_forms_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    let out = kioskctl(dir.path(), &["print-test", "--printer", "lpt1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("serial:") && err.contains("tcp:"), "{err}");
}
