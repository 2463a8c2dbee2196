//! The renewal request: accepted by openssl, subject copied byte for byte.
#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::{customer, describe, openssl, root, rsa_new};
use kiosk_x509::test_ca::SoftSigner;
use kiosk_x509::{KeyAlgorithm, RemoteSigner, RequestError, SignerError, build_request, details};

/// openssl checks the request's self-signature and reads its subject.
fn assert_openssl_accepts(csr: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("req.der"), csr).unwrap();
    let Some(out) = openssl(
        dir.path(),
        &[
            "req", "-verify", "-noout", "-inform", "DER", "-in", "req.der",
        ],
    ) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("verify OK"), "{}", describe(&out));
}

fn old_subject_der() -> Vec<u8> {
    let ca = root("Subject Source CA");
    let old = SoftSigner::generate_p256();
    let cert = ca.issue_for_subject(&customer(), &old, 30).unwrap();
    details(&cert).unwrap().subject_der
}

#[test]
fn rsa_2048_request_verifies_with_openssl() {
    let subject = old_subject_der();
    let key = rsa_new();
    assert_eq!(key.algorithm(), KeyAlgorithm::Rsa { bits: 2048 });
    let csr = build_request(&subject, &key).unwrap();
    assert_openssl_accepts(&csr);
}

#[test]
fn p256_request_verifies_with_openssl() {
    let subject = old_subject_der();
    let csr = build_request(&subject, &SoftSigner::generate_p256()).unwrap();
    assert_openssl_accepts(&csr);
}

/// A subject rcgen could not hold (two OUs, a multi-valued RDN, BMPString)
/// is still copied exactly.
#[test]
fn copies_an_unusual_subject_byte_for_byte() {
    use yasna::models::ObjectIdentifier;
    let attr = |w: yasna::DERWriter<'_>, oid: &[u64], value: &str| {
        w.write_sequence(|w| {
            w.next().write_oid(&ObjectIdentifier::from_slice(oid));
            w.next().write_utf8_string(value);
        });
    };
    let subject = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_set(|w| attr(w.next(), &[2, 5, 4, 10], "测试单位"));
            w.next()
                .write_set(|w| attr(w.next(), &[2, 5, 4, 11], "财务部"));
            w.next()
                .write_set(|w| attr(w.next(), &[2, 5, 4, 11], "91110108551385082Q"));
            w.next().write_set(|w| {
                attr(w.next(), &[2, 5, 4, 3], "张三");
                attr(w.next(), &[2, 5, 4, 5], "001");
            });
            w.next().write_set(|w| {
                w.next().write_sequence(|w| {
                    w.next()
                        .write_oid(&ObjectIdentifier::from_slice(&[2, 5, 4, 7]));
                    w.next().write_bmp_string("北京");
                });
            });
        });
    });
    let csr = build_request(&subject, &SoftSigner::generate_p256()).unwrap();
    let found = csr.windows(subject.len()).any(|w| w == subject.as_slice());
    assert!(found, "the request must carry the subject unchanged");
    assert_openssl_accepts(&csr);
}

#[test]
fn refuses_a_subject_that_is_not_a_name() {
    let err = build_request(b"\x30\x03\x02\x01\x00", &SoftSigner::generate_p256()).unwrap_err();
    assert_eq!(err, RequestError::MalformedSubject);
}

/// A token that answers with the wrong bytes is caught before the CA.
struct BrokenToken {
    inner: SoftSigner,
    answer: Vec<u8>,
}

impl RemoteSigner for BrokenToken {
    fn algorithm(&self) -> KeyAlgorithm {
        self.inner.algorithm()
    }
    fn public_key_spki_der(&self) -> Vec<u8> {
        self.inner.public_key_spki_der()
    }
    fn sign_digest(&self, _: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        Ok(self.answer.clone())
    }
}

#[test]
fn catches_a_token_that_signs_wrongly() {
    let subject = old_subject_der();
    // DER instead of r || s.
    let token = BrokenToken {
        inner: SoftSigner::generate_p256(),
        answer: vec![0x30; 70],
    };
    assert!(matches!(
        build_request(&subject, &token),
        Err(RequestError::Signature(
            kiosk_x509::SignatureError::WrongLength {
                expected: 64,
                got: 70,
                ..
            }
        ))
    ));
    // Right length, wrong signature (e.g. signed the digest without DigestInfo).
    let token = BrokenToken {
        inner: rsa_new(),
        answer: vec![0x01; 256],
    };
    assert_eq!(
        build_request(&subject, &token),
        Err(RequestError::SelfCheckFailed)
    );
}

/// An SM2 key (id-ecPublicKey on the SM2 curve) is recognised and refused
/// clearly until SM2 is implemented.
struct Sm2Token;

impl RemoteSigner for Sm2Token {
    fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::Sm2
    }
    fn public_key_spki_der(&self) -> Vec<u8> {
        use yasna::models::ObjectIdentifier;
        let mut point = vec![0x04];
        point.extend([0x11; 64]);
        yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next().write_sequence(|w| {
                    w.next()
                        .write_oid(&ObjectIdentifier::from_slice(&[1, 2, 840, 10045, 2, 1]));
                    w.next()
                        .write_oid(&ObjectIdentifier::from_slice(&[1, 2, 156, 10197, 1, 301]));
                });
                w.next().write_bitvec_bytes(&point, point.len() * 8);
            });
        })
    }
    fn sign_digest(&self, _: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::Unsupported("SM2".to_owned()))
    }
}

#[test]
fn sm2_is_recognised_and_refused_clearly() {
    let err = build_request(&old_subject_der(), &Sm2Token).unwrap_err();
    assert_eq!(
        err,
        RequestError::PublicKey(kiosk_x509::PublicKeyError::Unsupported(KeyAlgorithm::Sm2))
    );
    assert!(err.to_string().contains("SM2"), "{err}");
}
