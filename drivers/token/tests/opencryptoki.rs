//! The key writer against opencryptoki's soft token: one machine-wide token
//! behind `pkcsslotd`, RSA only, and a `utcTime` that `cryptoki` cannot
//! parse. Each test resets the token through the workspace's test fixture
//! (`tests/src/opencryptoki.rs`, included here by path because this crate
//! cannot depend on `kiosk-tests`, which depends on it), holding its lock,
//! and runs its body in a child process (see `common`).
//!
//! Needs root and the `opencryptoki` package (scripts/bootstrap.sh); without
//! them the fixture fails and says what is missing.

#![allow(clippy::unwrap_used, reason = "tests")]
#![allow(clippy::expect_used, reason = "tests")]

mod common;
#[path = "../../../tests/src/opencryptoki.rs"]
#[allow(dead_code, reason = "the fixture serves other tests too")]
mod opencryptoki;
#[path = "../../../tests/src/softhsm.rs"]
#[allow(dead_code, reason = "the fixture serves other tests too")]
mod softhsm;

use common::{spki_text, verify_with_openssl};
use kiosk_domain::fixtures::order_number;
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::ports::key_writer::{
    KeyAlgorithm, KeyPairStatus, KeyRef, KeyTag, KeyWriter, Pin, RetirePolicy, UnblockOutcome,
};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_token::algorithm::AlgorithmRefusal;
use kiosk_token::discovery::{TokenEvent, Watcher};
use kiosk_token::renew::{self, OldCertificate, RenewError, Trust};
use kiosk_token::token_info::InfoSource;
use kiosk_token::x509::X509Reader;
use kiosk_token::{Pkcs11KeyWriter, WriterConfig};
use kiosk_x509::test_ca::{Profile, SoftSigner, TestCa};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

const DIR_ENV: &str = "KIOSK_TOKEN_TEST_OCK_DIR";

/// What the child gets: the fixture's directory (CA, old certificate).
struct Ock {
    dir: PathBuf,
}

impl Ock {
    fn writer(&self) -> Pkcs11KeyWriter {
        Pkcs11KeyWriter::open(WriterConfig {
            modules: vec![PathBuf::from(opencryptoki::MODULE)],
            profiles: vec![],
        })
        .unwrap()
        .with_reader(Box::new(X509Reader))
    }

    fn key(&self, writer: &Pkcs11KeyWriter) -> KeyRef {
        writer.key_by_label(opencryptoki::LABEL).unwrap()
    }

    fn ca(&self) -> TestCa {
        TestCa::restore(
            softhsm::CA_NAME,
            &std::fs::read(self.dir.join("ca.key")).unwrap(),
            std::fs::read(self.dir.join("ca.der")).unwrap(),
        )
        .unwrap()
    }

    fn old(&self) -> OldCertificate {
        OldCertificate {
            key_id: kiosk_domain::ports::key_writer::KeyId(vec![0x01]),
            der: std::fs::read(self.dir.join("old.der")).unwrap(),
        }
    }
}

/// Runs `body` on a freshly reset opencryptoki token with the customer's
/// RSA key and certificate.
fn with_ock(name: &str, body: impl FnOnce(&Ock)) {
    if common::is_child() {
        body(&Ock {
            dir: PathBuf::from(std::env::var_os(DIR_ENV).unwrap()),
        });
        return;
    }
    let token = opencryptoki::TestToken::with_certificate(20);
    common::run_child(name, &[(DIR_ENV, token.dir.as_os_str())]);
    drop(token);
}

fn pin(s: &str) -> Pin {
    Pin::new(s).unwrap()
}

#[test]
fn discovery_finds_the_token_despite_its_clock() {
    with_ock("discovery_finds_the_token_despite_its_clock", |t| {
        let mut w = t.writer();
        let tokens = w.tokens();
        let token = tokens
            .iter()
            .find(|s| s.key.label == opencryptoki::LABEL)
            .unwrap_or_else(|| panic!("token not listed: {tokens:?}"));
        // cryptoki could not convert its info (the clock): read another way,
        // with everything the kiosk uses.
        assert_eq!(token.source, InfoSource::Helper, "{token:?}");
        assert_eq!(token.slot, opencryptoki::SLOT);
        assert_eq!(token.key.manufacturer, "IBM Corp.");
        assert_eq!(token.key.model, "IBM SoftTok");
        assert!(!token.key.serial.is_empty());
        assert!(token.flags.token_initialized && token.flags.clock_on_token);
        assert!(token.flags.login_required && token.flags.user_pin_initialized);
        assert!(!token.flags.user_pin_to_be_changed, "{:?}", token.flags);

        // Polling is stable (the description is kept, not read again).
        let mut watcher = Watcher::new();
        assert_eq!(
            watcher.poll(w.modules()),
            vec![TokenEvent::Inserted(token.key.clone())]
        );
        assert_eq!(watcher.poll(w.modules()), vec![]);

        // Its certificate is listed, with its key pair (the public key is
        // visible before the PIN).
        let keys = w.keys().unwrap();
        let inserted = keys.iter().find(|k| k.key == token.key).unwrap();
        assert_eq!(inserted.certificates.len(), 1, "{inserted:?}");
        let old = &inserted.certificates[0];
        assert_eq!(old.label, "old-cert");
        assert_eq!(old.key_pair, KeyPairStatus::Present);
        assert_eq!(old.summary.as_ref().unwrap().holder, softhsm::UNIT_NAME);
        assert_eq!(
            renew::renewable_certificates(inserted.certificates.clone()).len(),
            1
        );
    });
}

#[test]
fn pin_is_verified() {
    with_ock("pin_is_verified", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        assert!(matches!(
            w.verify_pin(&key, pin("11112222")).unwrap(),
            PinOutcome::Wrong { .. }
        ));
        assert!(
            w.pin_flags(&key).unwrap().count_low,
            "opencryptoki sets COUNT_LOW after a wrong PIN"
        );
        assert_eq!(
            w.verify_pin(&key, pin(opencryptoki::PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert!(!w.pin_flags(&key).unwrap().count_low);
        w.logout(&key).unwrap();
    });
}

/// A customer's PIN locked by wrong tries (opencryptoki counts them; SoftHSM2
/// does not), then unblocked by staff with the SO PIN: the new PIN works
/// and the key makes a key pair again.
#[test]
fn a_pin_locked_by_wrong_tries_is_unblocked_with_the_so_pin() {
    with_ock(
        "a_pin_locked_by_wrong_tries_is_unblocked_with_the_so_pin",
        |t| {
            let mut w = t.writer();
            let key = t.key(&w);
            let mut tries = 0;
            loop {
                tries += 1;
                assert!(tries <= 10, "never locked");
                match w.verify_pin(&key, pin("11112222")).unwrap() {
                    PinOutcome::Locked => break,
                    PinOutcome::Wrong { .. } => {}
                    other => panic!("{other:?}"),
                }
            }
            assert!(w.pin_flags(&key).unwrap().locked);
            assert_eq!(
                w.verify_pin(&key, pin(opencryptoki::PIN)).unwrap(),
                PinOutcome::Locked,
                "locked: the right PIN does not open it"
            );
            assert_eq!(
                w.unblock_pin(&key, pin("13572468"), pin("86427531"))
                    .unwrap(),
                UnblockOutcome::SoPinWrong
            );
            assert!(w.pin_flags(&key).unwrap().locked, "still locked");
            assert_eq!(
                w.unblock_pin(&key, pin(opencryptoki::SO_PIN), pin("86427531"))
                    .unwrap(),
                UnblockOutcome::Unblocked
            );
            assert!(!w.pin_flags(&key).unwrap().locked);
            assert_eq!(
                w.verify_pin(&key, pin("86427531")).unwrap(),
                PinOutcome::Verified
            );
            let tag = KeyTag::new(order_number(9), 1);
            w.generate_key_pair(&key, &tag, KeyAlgorithm::Rsa2048)
                .unwrap();
            w.logout(&key).unwrap();
        },
    );
}

#[test]
fn rsa_keys_are_made_sign_and_get_their_certificate() {
    with_ock("rsa_keys_are_made_sign_and_get_their_certificate", |t| {
        let mut w = t.writer();
        let key = t.key(&w);
        // What the key can make, before the PIN: RSA only.
        let offered = w.key_algorithms(&key).unwrap();
        assert_eq!(
            offered,
            [
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::Rsa3072,
                KeyAlgorithm::Rsa4096
            ]
        );
        let old = t.old();
        assert_eq!(
            renew::new_key_algorithm(&mut w, &key, &old.der).unwrap(),
            KeyAlgorithm::Rsa2048
        );
        // An EC certificate on this key is refused with the reason, before
        // anything is generated.
        let ec_cert = t
            .ca()
            .issue_for_subject(
                &kiosk_x509::test_ca::CustomerSubject {
                    unit_name: softhsm::UNIT_NAME.to_owned(),
                    uscc: softhsm::USCC.to_owned(),
                },
                &SoftSigner::generate_p256(),
                20,
            )
            .unwrap();
        match renew::new_key_algorithm(&mut w, &key, &ec_cert) {
            Err(RenewError::Algorithm(AlgorithmRefusal::AlgorithmUnavailable {
                wanted,
                offered: o,
            })) => {
                assert_eq!(wanted, KeyAlgorithm::EcP256);
                assert_eq!(o, offered);
            }
            other => panic!("expected AlgorithmUnavailable, got {other:?}"),
        }

        // Its public key shows the old key pair before the PIN; after it,
        // the private key does.
        assert_eq!(
            renew::check_before_payment(&mut w, &key, &old).unwrap(),
            KeyAlgorithm::Rsa2048
        );
        assert_eq!(
            w.verify_pin(&key, pin(opencryptoki::PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert_eq!(
            renew::check_before_payment(&mut w, &key, &old).unwrap(),
            KeyAlgorithm::Rsa2048
        );

        // Asking the token for EC anyway fails as "unsupported".
        let ec = w
            .generate_key_pair(&key, &KeyTag::new(order_number(8), 1), KeyAlgorithm::EcP256)
            .unwrap_err();
        assert_eq!(ec.kind(), DeviceErrorKind::Unsupported, "{ec}");

        // RSA-3072 too, as the algorithm table says.
        let big = w
            .generate_key_pair(
                &key,
                &KeyTag::new(order_number(7), 1),
                KeyAlgorithm::Rsa3072,
            )
            .unwrap();
        assert_eq!(big.algorithm, KeyAlgorithm::Rsa3072);
        assert!(spki_text(&big.spki_der).contains("3072 bit"));

        // The renewal's key pair, like the old one, made on the token.
        let order = order_number(2);
        let tag = KeyTag::new(order, 1);
        let public = renew::generate_like_old(&mut w, &key, &tag, &old).unwrap();
        assert_eq!(public.algorithm, KeyAlgorithm::Rsa2048);
        assert_eq!(
            renew::generate_like_old(&mut w, &key, &tag, &old).unwrap(),
            public,
            "idempotent"
        );
        let text = spki_text(&public.spki_der);
        assert!(
            text.contains("2048 bit") && text.contains("65537"),
            "{text}"
        );
        let protection = w.key_protection(&key, &tag.key_id()).unwrap();
        assert!(protection.sensitive && protection.token && !protection.value_readable);

        // Signing on the token.
        let digest: [u8; 32] = Sha256::digest(b"to be signed").into();
        let sig = w.sign_digest(&key, &public.key_id, &digest).unwrap();
        assert_eq!(sig.len(), 256);
        verify_with_openssl(&public.spki_der, &digest, &sig, true);

        // The request, the CA's certificate, written and read back, the old
        // one retired.
        let request = renew::request(&mut w, &key, &tag, &old).unwrap();
        kiosk_x509::verify_proof(&request.csr_der, &request.proof).unwrap();
        let ca = t.ca();
        let issued = ca.issue(&request.csr_der, 365, Profile::Customer).unwrap();
        let roots = vec![ca.root_der()];
        let trust = Trust {
            intermediates: &[],
            roots: &roots,
            now: OffsetDateTime::now_utc(),
        };
        renew::verify_and_write(&mut w, &key, &tag, &issued, &trust, None, "cert:new").unwrap();
        renew::verify_and_write(&mut w, &key, &tag, &issued, &trust, None, "cert:new").unwrap();
        renew::retire(&mut w, &key, &old.key_id, RetirePolicy::Keep).unwrap();
        let listed = w.certificates(&key).unwrap().certificates;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].der, issued);
        assert_eq!(listed[0].key_pair, KeyPairStatus::Present);
        w.logout(&key).unwrap();
        check_with_pkcs11_tool(&t.dir);
    });
}

/// A key pair stored without its public key (as some vendors' tools write
/// them) is invisible before the PIN: its certificate is still offered, to
/// be confirmed after the PIN.
#[test]
fn a_private_key_alone_is_confirmed_after_the_pin() {
    with_ock("a_private_key_alone_is_confirmed_after_the_pin", |t| {
        let tool = |args: &[&str]| {
            let mut all = vec![
                "--module",
                opencryptoki::MODULE,
                "--token-label",
                opencryptoki::LABEL,
                "--login",
                "--pin",
                opencryptoki::PIN,
            ];
            all.extend_from_slice(args);
            common::run("pkcs11-tool", &all)
        };
        tool(&["--delete-object", "--type", "pubkey", "--id", "01"]);
        let mut w = t.writer();
        let key = t.key(&w);
        let old = t.old();
        let listed = w.certificates(&key).unwrap().certificates;
        assert_eq!(listed[0].key_pair, KeyPairStatus::ToConfirm);
        assert!(!listed[0].has_key_pair);
        assert_eq!(
            renew::renewable_certificates(listed).len(),
            1,
            "offered before the PIN"
        );
        assert_eq!(
            w.key_pair_status(&key, &old.key_id).unwrap(),
            KeyPairStatus::ToConfirm
        );
        assert!(matches!(
            renew::check_before_payment(&mut w, &key, &old),
            Err(RenewError::OldKeyUnconfirmed)
        ));
        assert_eq!(
            w.verify_pin(&key, pin(opencryptoki::PIN)).unwrap(),
            PinOutcome::Verified
        );
        assert_eq!(
            w.key_pair_status(&key, &old.key_id).unwrap(),
            KeyPairStatus::Present
        );
        assert_eq!(
            w.keys().unwrap()[0].certificates[0].key_pair,
            KeyPairStatus::Present
        );
        renew::confirm_old_key(&mut w, &key, &old.key_id).unwrap();
        assert_eq!(
            renew::check_before_payment(&mut w, &key, &old).unwrap(),
            KeyAlgorithm::Rsa2048
        );
        // And a certificate whose key is gone is refused after the PIN.
        tool(&["--delete-object", "--type", "privkey", "--id", "01"]);
        assert_eq!(
            w.key_pair_status(&key, &old.key_id).unwrap(),
            KeyPairStatus::Missing
        );
        assert!(matches!(
            renew::confirm_old_key(&mut w, &key, &old.key_id),
            Err(RenewError::OldKeyMissing(_))
        ));
        assert!(
            renew::renewable_certificates(w.keys().unwrap()[0].certificates.clone()).is_empty()
        );
    });
}

fn check_with_pkcs11_tool(dir: &Path) {
    let listing = common::run(
        "pkcs11-tool",
        &[
            "--module",
            opencryptoki::MODULE,
            "--token-label",
            opencryptoki::LABEL,
            "--login",
            "--pin",
            opencryptoki::PIN,
            "--list-objects",
        ],
    );
    assert!(listing.contains("cert:new"), "{listing}");
    assert!(listing.contains("superseded:old-cert"), "{listing}");
    assert!(dir.join("ca.der").exists());
}

/// For each PKCS#11 implementation of the workspace's test fixtures (through
/// their common trait): the customer's certificate is listed, the PIN
/// verified, and the new key pair is like the old one, signing a request
/// with proof of possession.
#[test]
fn every_implementation_makes_a_key_like_the_customers() {
    const NAME: &str = "every_implementation_makes_a_key_like_the_customers";
    let var = |name: &str| std::env::var(name).unwrap();
    if common::is_child() {
        let mut w = Pkcs11KeyWriter::open(WriterConfig {
            modules: vec![PathBuf::from(var("TEST_MODULE"))],
            profiles: vec![],
        })
        .unwrap()
        .with_reader(Box::new(X509Reader));
        let key = w.key_by_label(&var("TEST_LABEL")).unwrap();
        let expected = match var("TEST_KEY").as_str() {
            "EcP256" => KeyAlgorithm::EcP256,
            _ => KeyAlgorithm::Rsa2048,
        };
        let keys = w.keys().unwrap();
        let certificates = &keys.iter().find(|k| k.key == key).unwrap().certificates;
        assert_eq!(certificates.len(), 1);
        assert_eq!(certificates[0].key_pair, KeyPairStatus::Present);
        let old = OldCertificate {
            key_id: certificates[0].key_id.clone(),
            der: certificates[0].der.clone(),
        };
        assert_eq!(
            renew::new_key_algorithm(&mut w, &key, &old.der).unwrap(),
            expected
        );
        assert_eq!(
            w.verify_pin(&key, pin(&var("TEST_PIN"))).unwrap(),
            PinOutcome::Verified
        );
        assert_eq!(
            renew::check_before_payment(&mut w, &key, &old).unwrap(),
            expected
        );
        let tag = KeyTag::new(order_number(3), 1);
        let new = renew::generate_like_old(&mut w, &key, &tag, &old).unwrap();
        assert_eq!(new.algorithm, expected);
        let request = renew::request(&mut w, &key, &tag, &old).unwrap();
        kiosk_x509::verify_proof(&request.csr_der, &request.proof).unwrap();
        return;
    }
    for implementation in opencryptoki::Implementation::ALL {
        use opencryptoki::{CustomerKey, Pkcs11TestToken};
        let token: Box<dyn Pkcs11TestToken> = implementation.with_certificate(20);
        assert_eq!(
            token.labels("Certificate"),
            ["old-cert"],
            "{}",
            token.name()
        );
        let key = match token.customer_key() {
            CustomerKey::EcP256 => "EcP256",
            CustomerKey::Rsa2048 => "Rsa2048",
        };
        let fixed = [
            ("TEST_MODULE", token.module().to_owned()),
            ("TEST_LABEL", token.label().to_owned()),
            ("TEST_PIN", token.pin().to_owned()),
            ("TEST_KEY", key.to_owned()),
        ];
        let env: Vec<(&str, std::ffi::OsString)> = token
            .env()
            .into_iter()
            .chain(fixed)
            .map(|(k, v)| (k, v.into()))
            .collect();
        let env: Vec<(&str, &std::ffi::OsStr)> =
            env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        common::run_child(NAME, &env);
    }
}

/// Without OpenSC's `pkcs11-tool` to read the token info `cryptoki` cannot
/// convert, the token is still listed (from its slot) and usable.
#[test]
fn without_the_helper_the_token_is_still_listed() {
    const NAME: &str = "without_the_helper_the_token_is_still_listed";
    if common::is_child() {
        let mut w = Pkcs11KeyWriter::open(WriterConfig {
            modules: vec![PathBuf::from(opencryptoki::MODULE)],
            profiles: vec![],
        })
        .unwrap();
        let tokens = w.tokens();
        assert_eq!(tokens.len(), 1, "{tokens:?}");
        let token = &tokens[0];
        assert_eq!(token.source, InfoSource::SlotOnly);
        assert!(!token.key.serial.is_empty(), "{token:?}");
        let key = token.key.clone();
        assert_eq!(w.keys().unwrap()[0].certificates.len(), 1);
        assert!(matches!(
            w.verify_pin(&key, pin("11112222")).unwrap(),
            PinOutcome::Wrong { .. }
        ));
        assert_eq!(
            w.verify_pin(&key, pin(opencryptoki::PIN)).unwrap(),
            PinOutcome::Verified
        );
        return;
    }
    let token = opencryptoki::TestToken::with_certificate(20);
    common::run_child(NAME, &[("PATH", std::ffi::OsStr::new("/nonexistent"))]);
    drop(token);
}
