//! The key writer against real SoftHSM2 tokens (one per test, see `common`).

#![allow(clippy::unwrap_used, reason = "tests")]
#![allow(clippy::expect_used, reason = "tests")]

mod common;

use common::{USER_PIN, WRONG_PIN, openssl, spki_text, verify_with_openssl, with_token};
use kiosk_domain::fixtures::order_number;
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::ports::key_writer::{
    KeyAlgorithm, KeyPairStatus, KeyTag, KeyWriter, Pin, RetirePolicy, UnblockOutcome,
};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_token::discovery::{TokenEvent, Watcher};
use kiosk_token::renew::{self, OldCertificate, Trust};
use kiosk_token::x509::{TokenSigner, X509Reader};
use kiosk_token::{TokenError, der};
use kiosk_x509::test_ca::{CustomerSubject, Profile, TestCa};
use sha2::{Digest, Sha256};
use std::process::Command;
use time::OffsetDateTime;

fn pin(s: &str) -> Pin {
    Pin::new(s).unwrap()
}

#[test]
fn lists_tokens_by_label() {
    with_token("lists_tokens_by_label", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        assert_eq!(key.label, t.label);
        assert!(!key.serial.is_empty());
        assert!(key.manufacturer.contains("SoftHSM"), "{key:?}");
        // cryptoki reads SoftHSM2's token info itself (no clock on token).
        let listed = w.tokens();
        let slot = listed.iter().find(|s| s.key == key).unwrap();
        assert_eq!(slot.source, kiosk_token::token_info::InfoSource::Cryptoki);
        assert!(slot.flags.token_initialized && !slot.flags.clock_on_token);
        let keys = w.keys().unwrap();
        assert!(
            keys.iter()
                .any(|k| k.key == key && k.certificates.is_empty())
        );
        let mut watcher = Watcher::new();
        assert_eq!(watcher.poll(w.modules()), vec![TokenEvent::Inserted(key)]);
        assert_eq!(watcher.poll(w.modules()), vec![]);
    });
}

#[test]
fn wrong_pin_then_right_pin() {
    with_token("wrong_pin_then_right_pin", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        assert_eq!(
            w.verify_pin(&key, pin(WRONG_PIN)).unwrap(),
            PinOutcome::Wrong {
                tries_left: None,
                final_try: false
            }
        );
        assert!(w.pin_flags(&key).unwrap().count_low);
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert!(!w.pin_flags(&key).unwrap().count_low);
        // Verifying again while logged in checks the PIN afresh.
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert!(matches!(
            w.verify_pin(&key, pin(WRONG_PIN)).unwrap(),
            PinOutcome::Wrong { .. }
        ));
        w.logout(&key).unwrap();
        w.logout(&key).unwrap();
    });
}

/// Staff unblock a customer's PIN with the SO PIN (`C_InitPIN` after an SO
/// login): a wrong SO PIN is said so and changes nothing; the right one
/// sets the new user PIN, which then works and the old one no longer.
/// (SoftHSM2 never locks a user PIN: the lock itself is proven on
/// opencryptoki, `tests/opencryptoki.rs`.)
#[test]
fn staff_set_a_new_pin_with_the_so_pin() {
    with_token("staff_set_a_new_pin_with_the_so_pin", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        let new = "246813";
        // Logged in as the customer first: the unblock ends that login.
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert_eq!(
            w.unblock_pin(&key, pin("11111111"), pin(new)).unwrap(),
            UnblockOutcome::SoPinWrong
        );
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified,
            "a wrong SO PIN changes nothing"
        );
        assert_eq!(
            w.unblock_pin(&key, pin(common::SO_PIN), pin(new)).unwrap(),
            UnblockOutcome::Unblocked
        );
        assert!(matches!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Wrong { .. }
        ));
        assert_eq!(w.verify_pin(&key, pin(new)).unwrap(), PinOutcome::Verified);
        // The key works for the customer with it: a key pair is made.
        let tag = KeyTag::new(order_number(3), 1);
        w.generate_key_pair(&key, &tag, KeyAlgorithm::EcP256)
            .unwrap();
        w.logout(&key).unwrap();
    });
}

#[test]
fn key_generation_is_idempotent_and_signs() {
    with_token("key_generation_is_idempotent_and_signs", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        let tag_ec = KeyTag::new(order_number(1), 1);
        let tag_rsa = KeyTag::new(order_number(2), 1);
        // Without the PIN: refused.
        let err = w
            .generate_key_pair(&key, &tag_ec, KeyAlgorithm::EcP256)
            .unwrap_err();
        assert!(matches!(err, TokenError::NotLoggedIn(_)), "{err}");
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );

        for (tag, alg) in [
            (tag_ec, KeyAlgorithm::EcP256),
            (tag_rsa, KeyAlgorithm::Rsa2048),
        ] {
            let first = w.generate_key_pair(&key, &tag, alg).unwrap();
            let again = w.generate_key_pair(&key, &tag, alg).unwrap();
            assert_eq!(first, again, "generation is idempotent per tag");
            assert_eq!(first.algorithm, alg);
            assert_eq!(first.key_id, tag.key_id());
            assert_eq!(w.find_key_pair(&key, &tag).unwrap(), Some(first.clone()));
            let protection = w.key_protection(&key, &tag.key_id()).unwrap();
            assert!(protection.sensitive && protection.token);
            assert!(!protection.extractable && !protection.value_readable);
            // openssl reads the SPKI we built.
            let dir = tempfile::tempdir().unwrap();
            let spki = dir.path().join("spki.der");
            std::fs::write(&spki, &first.spki_der).unwrap();
            let text = openssl(&[
                "pkey",
                "-pubin",
                "-inform",
                "DER",
                "-in",
                spki.to_str().unwrap(),
                "-noout",
                "-text",
            ]);
            match alg {
                KeyAlgorithm::EcP256 => assert!(text.contains("prime256v1"), "{text}"),
                _ => assert!(
                    text.contains("2048 bit") && text.contains("65537"),
                    "{text}"
                ),
            }
            let digest: [u8; 32] = Sha256::digest(b"to be signed").into();
            let sig = w.sign_digest(&key, &first.key_id, &digest).unwrap();
            match alg {
                KeyAlgorithm::EcP256 => {
                    assert_eq!(sig.len(), 64);
                    let der_sig = der::ecdsa_raw_to_der(&sig).unwrap();
                    verify_with_openssl(&first.spki_der, &digest, &der_sig, false);
                }
                _ => {
                    assert_eq!(sig.len(), 256);
                    verify_with_openssl(&first.spki_der, &digest, &sig, true);
                }
            }
        }
        // One pair per tag: two public and two private keys in all.
        let count = w
            .with_raw_session(&key, |s| {
                Ok(s.find_objects(&[])
                    .map_err(TokenError::during("count"))?
                    .len())
            })
            .unwrap();
        assert_eq!(count, 4);
        // Unknown key id.
        let missing = w
            .sign_digest(&key, &KeyTag::new(order_number(9), 9).key_id(), &[0; 32])
            .unwrap_err();
        assert!(matches!(missing, TokenError::NoSuchKey { .. }));
        assert_eq!(missing.kind(), DeviceErrorKind::Other);
    });
}

fn pkcs11_tool_objects(t: &common::TestToken) -> String {
    let out = Command::new("pkcs11-tool")
        .args([
            "--module",
            common::SOFTHSM,
            "--token-label",
            &t.label,
            "--list-objects",
            "--login",
            "--pin",
            USER_PIN,
        ])
        .env("SOFTHSM2_CONF", &t.conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn certificates_are_written_read_and_retired() {
    with_token("certificates_are_written_read_and_retired", |t| {
        let ca = TestCa::new("Kiosk Test CA").unwrap();
        let mut w = t.writer().with_reader(Box::new(X509Reader));
        let key = t.key(&w);
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        let subject = CustomerSubject {
            unit_name: "测试单位有限公司".to_owned(),
            uscc: "91350100M000100Y43".to_owned(),
        };
        let mut issue = |order: u32| {
            let tag = KeyTag::new(order_number(order), 1);
            let public = w
                .generate_key_pair(&key, &tag, KeyAlgorithm::EcP256)
                .unwrap();
            let signer = TokenSigner::new(&mut w, key.clone(), public);
            (tag, ca.issue_for_subject(&subject, &signer, 365).unwrap())
        };
        let (old_tag, old_cert) = issue(1);
        let (new_tag, new_cert) = issue(2);

        // Garbage is refused.
        let bad = w
            .write_certificate(&key, &old_tag.key_id(), b"garbage", "x")
            .unwrap_err();
        assert!(matches!(bad, TokenError::BadCertificate));

        w.write_certificate(&key, &old_tag.key_id(), &old_cert, "old cert")
            .unwrap();
        w.write_certificate(&key, &old_tag.key_id(), &old_cert, "old cert")
            .unwrap();
        w.write_certificate(&key, &new_tag.key_id(), &new_cert, "new cert")
            .unwrap();
        // A malformed certificate object, written behind the writer's back.
        w.with_raw_session(&key, |s| {
            use cryptoki::object::{Attribute, CertificateType, ObjectClass};
            s.create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Id(vec![0xEE]),
                Attribute::Label(b"broken".to_vec()),
                Attribute::Subject(vec![0x30, 0x00]),
                Attribute::Value(b"not DER at all".to_vec()),
            ])
            .map_err(TokenError::during("create"))
        })
        .unwrap();

        let read = w.certificates(&key).unwrap();
        assert_eq!(read.skipped, vec!["broken".to_owned()]);
        assert_eq!(read.certificates.len(), 2, "written once each");
        let old = read
            .certificates
            .iter()
            .find(|c| c.key_id == old_tag.key_id())
            .unwrap();
        assert_eq!(old.label, "old cert");
        assert_eq!(old.der, old_cert);
        assert!(old.has_key_pair);
        let summary = old.summary.as_ref().unwrap();
        assert_eq!(summary.holder, "测试单位有限公司");
        assert_eq!(summary.key_id_hex, old_tag.key_id().to_hex());
        let listed = w.keys().unwrap();
        assert_eq!(listed.first().unwrap().certificates.len(), 2);

        // OpenSC sees the certificate by its label.
        let objects = pkcs11_tool_objects(t);
        assert!(objects.contains("old cert"), "{objects}");
        assert!(objects.contains("new cert"), "{objects}");

        // Retire, keeping: relabelled, no longer listed; twice is harmless.
        w.retire_certificate(&key, &old_tag.key_id(), RetirePolicy::Keep)
            .unwrap();
        w.retire_certificate(&key, &old_tag.key_id(), RetirePolicy::Keep)
            .unwrap();
        let read = w.certificates(&key).unwrap();
        assert_eq!(read.certificates.len(), 1);
        assert_eq!(read.certificates.first().unwrap().label, "new cert");
        assert!(pkcs11_tool_objects(t).contains("superseded:old cert"));
        assert!(!pkcs11_tool_objects(t).contains("superseded:superseded:"));

        // Retire, deleting: gone (the superseded one too).
        w.retire_certificate(&key, &old_tag.key_id(), RetirePolicy::Delete)
            .unwrap();
        w.retire_certificate(&key, &new_tag.key_id(), RetirePolicy::Delete)
            .unwrap();
        let objects = pkcs11_tool_objects(t);
        assert!(
            !objects.contains("old cert") && !objects.contains("new cert"),
            "{objects}"
        );
        // The keys stay.
        assert!(w.find_key_pair(&key, &new_tag).unwrap().is_some());
    });
}

#[test]
fn abandoned_attempts_are_removed() {
    with_token("abandoned_attempts_are_removed", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        let order = order_number(5);
        let other = order_number(6);
        let tags = [
            KeyTag::new(order, 1),
            KeyTag::new(order, 2),
            KeyTag::new(order, 3),
            KeyTag::new(other, 1),
        ];
        for tag in &tags {
            w.generate_key_pair(&key, tag, KeyAlgorithm::EcP256)
                .unwrap();
        }
        assert_eq!(w.remove_abandoned(&key, &order, 2).unwrap(), 4);
        assert_eq!(w.remove_abandoned(&key, &order, 2).unwrap(), 0);
        let [a1, a2, a3, b1] = &tags;
        assert!(w.find_key_pair(&key, a1).unwrap().is_none());
        assert!(w.find_key_pair(&key, a2).unwrap().is_some());
        assert!(w.find_key_pair(&key, a3).unwrap().is_none());
        assert!(w.find_key_pair(&key, b1).unwrap().is_some());
    });
}

#[test]
fn data_objects_are_written_and_read_back() {
    with_token("data_objects_are_written_and_read_back", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        let seal = b"\x89PNG e-seal image bytes".to_vec();
        let err = w.write_data_object(&key, "e-seal", &seal).unwrap_err();
        assert!(matches!(err, TokenError::NotLoggedIn(_)));
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        w.write_data_object(&key, "e-seal", &seal).unwrap();
        w.write_data_object(&key, "e-seal", &seal).unwrap();
        assert_eq!(w.read_data_object(&key, "e-seal").unwrap(), Some(seal));
        w.write_data_object(&key, "e-seal", b"v2").unwrap();
        assert_eq!(
            w.read_data_object(&key, "e-seal").unwrap(),
            Some(b"v2".to_vec())
        );
        assert_eq!(w.read_data_object(&key, "none").unwrap(), None);
        let objects = pkcs11_tool_objects(t);
        assert!(
            objects.contains("Data object") && objects.contains("e-seal"),
            "{objects}"
        );
        assert_eq!(objects.matches("e-seal").count(), 1, "{objects}");
    });
}

#[test]
fn a_key_that_is_not_inserted_is_absent() {
    with_token("a_key_that_is_not_inserted_is_absent", |t| {
        let mut w = t.writer();
        let mut key = t.key(&w);
        key.serial = "no-such-serial".to_owned();
        let err = w.verify_pin(&key, pin(USER_PIN)).unwrap_err();
        assert_eq!(err.kind(), DeviceErrorKind::Absent);
    });
}

/// The renewal's new key pair is like the old certificate's key: its
/// algorithm and size, as far as the token offers them; for each, the
/// request verifies, the CA issues for it, and the certificate is checked
/// and written next to the new key pair.
#[test]
fn new_key_pair_is_like_the_old_one() {
    with_token("new_key_pair_is_like_the_old_one", |t| {
        let ca = TestCa::new("Kiosk Test CA").unwrap();
        let mut w = t.writer().with_reader(Box::new(X509Reader));
        let key = t.key(&w);
        // SoftHSM2 offers every size of RSA the kiosk makes, and P-256; no
        // PIN needed to ask.
        assert_eq!(
            w.key_algorithms(&key).unwrap(),
            [
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::Rsa3072,
                KeyAlgorithm::Rsa4096,
                KeyAlgorithm::EcP256
            ]
        );
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        let subject = CustomerSubject {
            unit_name: "测试单位有限公司".to_owned(),
            uscc: "91350100M000100Y43".to_owned(),
        };
        let roots = vec![ca.root_der()];
        for (n, old_alg) in [
            KeyAlgorithm::EcP256,
            KeyAlgorithm::Rsa3072,
            KeyAlgorithm::Rsa4096,
        ]
        .into_iter()
        .enumerate()
        {
            let n = u32::try_from(n).unwrap();
            let old_tag = KeyTag::new(order_number(10 + n), 1);
            let old_public = w.generate_key_pair(&key, &old_tag, old_alg).unwrap();
            let old_der = {
                let signer = TokenSigner::new(&mut w, key.clone(), old_public);
                ca.issue_for_subject(&subject, &signer, 20).unwrap()
            };
            w.write_certificate(&key, &old_tag.key_id(), &old_der, "old")
                .unwrap();
            let old = OldCertificate {
                key_id: old_tag.key_id(),
                der: old_der,
            };
            assert_eq!(
                renew::check_before_payment(&mut w, &key, &old).unwrap(),
                old_alg
            );
            let tag = KeyTag::new(order_number(20 + n), 1);
            let new = renew::generate_like_old(&mut w, &key, &tag, &old).unwrap();
            assert_eq!(new.algorithm, old_alg);
            // The whole request works with it (proof by the old key).
            let request = renew::request(&mut w, &key, &tag, &old).unwrap();
            kiosk_x509::verify_proof(&request.csr_der, &request.proof).unwrap();
            let text = spki_text(&new.spki_der);
            let requested = kiosk_x509::verify_request(&request.csr_der).unwrap();
            match old_alg {
                KeyAlgorithm::EcP256 => {
                    assert!(text.contains("prime256v1"), "{text}");
                    assert_eq!(requested, kiosk_x509::KeyAlgorithm::EcP256);
                }
                KeyAlgorithm::Rsa3072 => {
                    assert!(text.contains("3072 bit"), "{text}");
                    assert_eq!(requested, kiosk_x509::KeyAlgorithm::Rsa { bits: 3072 });
                }
                _ => {
                    assert!(text.contains("4096 bit"), "{text}");
                    assert_eq!(requested, kiosk_x509::KeyAlgorithm::Rsa { bits: 4096 });
                }
            }
            // Issued for it, checked against the old subject, written.
            let issued = ca.issue(&request.csr_der, 365, Profile::Customer).unwrap();
            let trust = Trust {
                intermediates: &[],
                roots: &roots,
                now: OffsetDateTime::now_utc(),
            };
            let subject_der = kiosk_x509::details(&old.der).unwrap().subject_der;
            renew::verify_and_write(
                &mut w,
                &key,
                &tag,
                &issued,
                &trust,
                Some(&subject_der),
                "new",
            )
            .unwrap();
            let written = w.certificates(&key).unwrap();
            assert!(
                written.certificates.iter().any(|c| c.der == issued),
                "{old_alg:?}: the new certificate is on the key"
            );
        }
    });
}

/// A certificate whose key pair has no public-key object is offered before
/// the PIN and confirmed after it.
#[test]
fn a_private_key_alone_is_to_be_confirmed() {
    with_token("a_private_key_alone_is_to_be_confirmed", |t| {
        let ca = TestCa::new("Kiosk Test CA").unwrap();
        let mut w = t.writer().with_reader(Box::new(X509Reader));
        let key = t.key(&w);
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        let tag = KeyTag::new(order_number(1), 1);
        let public = w
            .generate_key_pair(&key, &tag, KeyAlgorithm::EcP256)
            .unwrap();
        let der = {
            let signer = TokenSigner::new(&mut w, key.clone(), public);
            let subject = CustomerSubject {
                unit_name: "测试单位有限公司".to_owned(),
                uscc: "91350100M000100Y43".to_owned(),
            };
            ca.issue_for_subject(&subject, &signer, 20).unwrap()
        };
        w.write_certificate(&key, &tag.key_id(), &der, "cert")
            .unwrap();
        w.with_raw_session(&key, |s| {
            use cryptoki::object::{Attribute, ObjectClass};
            for h in s
                .find_objects(&[
                    Attribute::Class(ObjectClass::PUBLIC_KEY),
                    Attribute::Id(tag.key_id().0),
                ])
                .map_err(TokenError::during("find"))?
            {
                s.destroy_object(h).map_err(TokenError::during("destroy"))?;
            }
            Ok(())
        })
        .unwrap();
        w.logout(&key).unwrap();

        let listed = w.certificates(&key).unwrap().certificates;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key_pair, KeyPairStatus::ToConfirm);
        assert_eq!(renew::renewable_certificates(listed).len(), 1);
        assert_eq!(
            w.verify_pin(&key, pin(USER_PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert_eq!(
            w.key_pair_status(&key, &tag.key_id()).unwrap(),
            KeyPairStatus::Present
        );
        assert_eq!(
            w.keys().unwrap()[0].certificates[0].key_pair,
            KeyPairStatus::Present
        );
    });
}
