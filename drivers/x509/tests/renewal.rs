//! The whole renewal against the test CA, and each check of the issued
//! certificate failing for the right reason.
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::{UNIT, USCC, customer, describe, openssl, root, rsa_new, rsa_old};
use kiosk_x509::test_ca::{Profile, SoftSigner, TestCa};
use kiosk_x509::{
    KeyAlgorithm, PossessionError, ProofOfPossession, RemoteSigner, VerifyError, build_request,
    details, prove, summarize, verify_issued, verify_proof,
};
use time::{Duration, OffsetDateTime};

struct Renewal {
    ca: TestCa,
    old_cert: Vec<u8>,
    new_key: SoftSigner,
    csr: Vec<u8>,
    issued: Vec<u8>,
}

/// Customer certificate on `old_key`; renewal request for `new_key`, proved
/// with the old key and checked as the CA would; issued.
fn renew(old_key: &SoftSigner, new_key: SoftSigner) -> Renewal {
    let ca = root("Kiosk Test Root CA");
    let old_cert = ca.issue_for_subject(&customer(), old_key, 365).unwrap();

    let summary = summarize(&old_cert, "a1b2").unwrap();
    assert_eq!(summary.holder, UNIT);
    assert_eq!(summary.uscc.as_ref().map(|u| u.as_str()), Some(USCC));
    assert_eq!(summary.issuer, "Kiosk Test Root CA");
    assert_eq!(summary.key_id_hex, "a1b2");

    let old = details(&old_cert).unwrap();
    let csr = build_request(&old.subject_der, &new_key).unwrap();
    let proof = prove(&csr, old_key, &old_cert).unwrap();
    // Over the wire and back.
    let proof: ProofOfPossession =
        serde_json::from_str(&serde_json::to_string(&proof).unwrap()).unwrap();
    verify_proof(&csr, &proof).unwrap();

    let issued = ca.issue(&csr, 365, Profile::Customer).unwrap();
    Renewal {
        ca,
        old_cert,
        new_key,
        csr,
        issued,
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn p256_to_rsa_renewal_end_to_end() {
    let r = renew(&SoftSigner::generate_p256(), rsa_new());
    let verified = verify_issued(
        &r.issued,
        &r.new_key.public_key_spki_der(),
        &[],
        &[r.ca.root_der()],
        now(),
    )
    .unwrap();
    assert_eq!(verified.intermediates_used, 0);
    assert_eq!(verified.der, r.issued);

    let new = details(&r.issued).unwrap();
    let old = details(&r.old_cert).unwrap();
    assert_eq!(new.subject_der, old.subject_der);
    assert_eq!(new.algorithm, KeyAlgorithm::Rsa { bits: 2048 });
    assert_eq!(
        new.key_usage,
        ["digitalSignature", "nonRepudiation", "keyEncipherment"]
    );
    let summary = summarize(&r.issued, "c3").unwrap();
    assert_eq!(summary.uscc.unwrap().as_str(), USCC);
    assert_eq!(summary.serial_hex, verified.serial_hex);
}

#[test]
fn rsa_to_p256_renewal_end_to_end() {
    let r = renew(&rsa_old(), SoftSigner::generate_p256());
    verify_issued(
        &r.issued,
        &r.new_key.public_key_spki_der(),
        &[],
        &[r.ca.root_der()],
        now(),
    )
    .unwrap();
    let new = details(&r.issued).unwrap();
    assert_eq!(new.algorithm, KeyAlgorithm::EcP256);
    assert_eq!(new.key_usage, ["digitalSignature", "nonRepudiation"]);
}

#[test]
fn refuses_a_certificate_for_another_key() {
    let r = renew(&SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let other = SoftSigner::generate_p256().public_key_spki_der();
    assert_eq!(
        verify_issued(&r.issued, &other, &[], &[r.ca.root_der()], now()),
        Err(VerifyError::KeyMismatch)
    );
    // Another algorithm altogether.
    let rsa = rsa_new().public_key_spki_der();
    assert_eq!(
        verify_issued(&r.issued, &rsa, &[], &[r.ca.root_der()], now()),
        Err(VerifyError::KeyMismatch)
    );
}

/// A CA that answers a customer's request with a CA certificate (CA:true)
/// for the customer's key is refused: such a key could issue certificates.
#[test]
fn refuses_a_ca_certificate_for_the_customers_key() {
    let r = renew(&SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let as_ca = r.ca.issue(&r.csr, 365, Profile::SubordinateCa).unwrap();
    let spki = r.new_key.public_key_spki_der();
    assert!(matches!(
        verify_issued(&as_ca, &spki, &[], &[r.ca.root_der()], now()),
        Err(VerifyError::LeafIsCa { .. })
    ));
    assert!(verify_issued(&r.issued, &spki, &[], &[r.ca.root_der()], now()).is_ok());
}

#[test]
fn refuses_a_certificate_from_another_root() {
    let r = renew(&SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let spki = r.new_key.public_key_spki_der();
    // A root with another name: nobody configured issued it.
    let stranger = root("Some Other Root");
    assert!(matches!(
        verify_issued(&r.issued, &spki, &[], &[stranger.root_der()], now()),
        Err(VerifyError::UnknownIssuer { .. })
    ));
    // A root with the same name but another key: an impostor.
    let impostor = root("Kiosk Test Root CA");
    assert!(matches!(
        verify_issued(&r.issued, &spki, &[], &[impostor.root_der()], now()),
        Err(VerifyError::BadSignature { .. })
    ));
    // The right root among others is found.
    verify_issued(
        &r.issued,
        &spki,
        &[],
        &[stranger.root_der(), impostor.root_der(), r.ca.root_der()],
        now(),
    )
    .unwrap();
    assert_eq!(
        verify_issued(&r.issued, &spki, &[], &[], now()),
        Err(VerifyError::NoRoots)
    );
}

#[test]
fn refuses_a_tampered_signature() {
    let r = renew(&SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let mut tampered = r.issued.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    assert!(matches!(
        verify_issued(
            &tampered,
            &r.new_key.public_key_spki_der(),
            &[],
            &[r.ca.root_der()],
            now()
        ),
        Err(VerifyError::BadSignature { .. })
    ));
}

#[test]
fn refuses_outside_the_validity_period() {
    let r = renew(&SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let spki = r.new_key.public_key_spki_der();
    let roots = [r.ca.root_der()];
    assert!(matches!(
        verify_issued(&r.issued, &spki, &[], &roots, now() + Duration::days(400)),
        Err(VerifyError::Expired { .. })
    ));
    assert!(matches!(
        verify_issued(&r.issued, &spki, &[], &roots, now() - Duration::days(1)),
        Err(VerifyError::NotYetValid { .. })
    ));
}

#[test]
fn refuses_garbage_with_a_clear_error() {
    let root = root("Kiosk Test Root CA");
    let spki = SoftSigner::generate_p256().public_key_spki_der();
    let err =
        verify_issued(b"not a certificate", &spki, &[], &[root.root_der()], now()).unwrap_err();
    assert!(matches!(err, VerifyError::Malformed { .. }));
    assert!(err.to_string().contains("the issued certificate"), "{err}");
}

#[test]
fn follows_an_intermediate_to_the_root() {
    let ca = root("Kiosk Test Root CA");
    let issuing = ca.subordinate("Kiosk Test Issuing CA", 1000).unwrap();
    let old_key = SoftSigner::generate_p256();
    let old_cert = issuing
        .issue_for_subject(&customer(), &old_key, 365)
        .unwrap();
    let new_key = rsa_new();
    let csr = build_request(&details(&old_cert).unwrap().subject_der, &new_key).unwrap();
    let issued = issuing.issue(&csr, 365, Profile::Customer).unwrap();
    let spki = new_key.public_key_spki_der();
    let chain = [issuing.certificate_der().to_vec()];

    let verified = verify_issued(&issued, &spki, &chain, &[ca.root_der()], now()).unwrap();
    assert_eq!(verified.intermediates_used, 1);
    assert!(verified.root_subject_dn.contains("Kiosk Test Root CA"));

    // Without the intermediate the issuer is unknown.
    assert!(matches!(
        verify_issued(&issued, &spki, &[], &[ca.root_der()], now()),
        Err(VerifyError::UnknownIssuer { .. })
    ));
}

#[test]
fn possession_proof_failures() {
    let old_key = SoftSigner::generate_p256();
    let r = renew(&old_key, SoftSigner::generate_p256());

    // Another key cannot prove possession for this certificate.
    assert_eq!(
        prove(&r.csr, &SoftSigner::generate_p256(), &r.old_cert),
        Err(PossessionError::KeyNotInCertificate)
    );
    // A tampered signature does not verify.
    let mut proof = prove(&r.csr, &old_key, &r.old_cert).unwrap();
    proof.signature[10] ^= 0x01;
    assert!(verify_proof(&r.csr, &proof).is_err());
    // A proof for another request does not verify.
    let proof = prove(&r.csr, &old_key, &r.old_cert).unwrap();
    let other_csr = build_request(&details(&r.old_cert).unwrap().subject_der, &rsa_new()).unwrap();
    assert_eq!(
        verify_proof(&other_csr, &proof),
        Err(PossessionError::BadSignature)
    );
    // A request for someone else's name is refused even with a good proof.
    let other =
        r.ca.issue_for_subject(
            &kiosk_x509::test_ca::CustomerSubject {
                unit_name: "别的公司".to_owned(),
                uscc: USCC.to_owned(),
            },
            &SoftSigner::generate_p256(),
            30,
        )
        .unwrap();
    let foreign_csr = build_request(&details(&other).unwrap().subject_der, &rsa_new()).unwrap();
    let proof = prove(&foreign_csr, &old_key, &r.old_cert).unwrap();
    assert_eq!(
        verify_proof(&foreign_csr, &proof),
        Err(PossessionError::SubjectMismatch)
    );
}

#[test]
fn rsa_possession_proof_round_trips() {
    let old_key = rsa_old();
    let r = renew(&old_key, SoftSigner::generate_p256());
    let proof = prove(&r.csr, &old_key, &r.old_cert).unwrap();
    assert_eq!(proof.algorithm, KeyAlgorithm::Rsa { bits: 2048 });
    assert_eq!(proof.signature.len(), 256);
    verify_proof(&r.csr, &proof).unwrap();
}

#[test]
fn test_ca_refuses_a_request_with_a_bad_signature() {
    let r = renew(&SoftSigner::generate_p256(), SoftSigner::generate_p256());
    let mut csr = r.csr.clone();
    let last = csr.len() - 1;
    csr[last] ^= 0x01;
    assert!(matches!(
        r.ca.issue(&csr, 30, Profile::Customer),
        Err(kiosk_x509::test_ca::TestCaError::BadRequest(
            kiosk_x509::RequestError::BadRequestSignature
        ))
    ));
}

/// openssl agrees that the issued certificate chains to the root, and the
/// extensions are the ones promised.
#[test]
fn openssl_verifies_an_issued_certificate() {
    let r = renew(&SoftSigner::generate_p256(), rsa_new());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), r.ca.root_pem()).unwrap();
    std::fs::write(
        dir.path().join("cert.pem"),
        kiosk_x509::test_ca::pem("CERTIFICATE", &r.issued),
    )
    .unwrap();
    let Some(out) = openssl(dir.path(), &["verify", "-CAfile", "root.pem", "cert.pem"]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("cert.pem: OK"),
        "{}",
        describe(&out)
    );

    let out = openssl(dir.path(), &["x509", "-in", "cert.pem", "-noout", "-text"]).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "CA:FALSE",
        "Digital Signature, Non Repudiation, Key Encipherment",
        "TLS Web Client Authentication, E-mail Protection",
        "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
}
