//! Summaries of certificates made elsewhere (openssl), the way CAs write
//! subjects: no O, the USCC decorated in organizationIdentifier.
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::{USCC, describe, openssl};
use kiosk_x509::{CertError, KeyAlgorithm, details, summarize};

#[test]
fn reads_an_openssl_certificate_with_the_uscc_in_organization_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let subject = format!("/C=CN/OU=财务部/CN=张三/2.5.4.97=NTRCN-{USCC}");
    let Some(out) = openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "key.pem",
            "-outform",
            "DER",
            "-out",
            "cert.der",
            "-days",
            "10",
            "-utf8",
            "-subj",
            &subject,
            "-set_serial",
            "0x00ABCDEF",
        ],
    ) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let der = std::fs::read(dir.path().join("cert.der")).unwrap();

    let summary = summarize(&der, "01").unwrap();
    // No O: the holder falls back to CN.
    assert_eq!(summary.holder, "张三");
    assert_eq!(summary.uscc.unwrap().as_str(), USCC);
    // Self-signed: the issuer's CN.
    assert_eq!(summary.issuer, "张三");
    assert_eq!(summary.serial_hex, "ABCDEF");
    assert!(summary.not_before < summary.not_after);

    let details = details(&der).unwrap();
    assert_eq!(details.algorithm, KeyAlgorithm::EcP256);
    assert!(
        details.subject_dn.contains("OU=财务部"),
        "{}",
        details.subject_dn
    );
    assert!(
        details.subject_dn.contains("organizationIdentifier=NTRCN-"),
        "{}",
        details.subject_dn
    );
}

#[test]
fn a_truncated_certificate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "key.pem",
            "-outform",
            "DER",
            "-out",
            "cert.der",
            "-days",
            "10",
            "-subj",
            "/CN=x",
        ],
    ) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let der = std::fs::read(dir.path().join("cert.der")).unwrap();
    for cut in [1, 10, der.len() / 2, der.len() - 1] {
        assert!(matches!(
            summarize(&der[..cut], "01"),
            Err(CertError::Malformed { .. })
        ));
    }
    let mut long = der.clone();
    long.push(0);
    assert_eq!(details(&long), Err(CertError::TrailingData(1)));
}
