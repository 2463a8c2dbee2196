//! One renewal's install actions on a SoftHSM2 token, with the test CA.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{USER_PIN, with_token};
use kiosk_domain::fixtures::order_number;
use kiosk_domain::flow::renewal::{InstallFailure, PinOutcome};
use kiosk_domain::ports::key_writer::{KeyAlgorithm, KeyTag, KeyWriter, Pin, RetirePolicy};
use kiosk_token::renew::{self, OldCertificate, Trust};
use kiosk_token::x509::{TokenSigner, X509Reader};
use kiosk_x509::test_ca::{CustomerSubject, Profile, TestCa};
use time::OffsetDateTime;

#[test]
fn renewal_install_actions() {
    with_token("renewal_install_actions", |t| {
        let ca = TestCa::new("Kiosk Test CA").unwrap();
        let mut w = t.writer().with_reader(Box::new(X509Reader));
        let key = t.key(&w);
        assert_eq!(
            w.verify_pin(&key, Pin::new(USER_PIN).unwrap()).unwrap(),
            PinOutcome::Verified
        );
        // The customer's current certificate, on an RSA key.
        let old_tag = KeyTag::new(order_number(1), 1);
        let old_public = w
            .generate_key_pair(&key, &old_tag, KeyAlgorithm::Rsa2048)
            .unwrap();
        let subject = CustomerSubject {
            unit_name: "续期测试有限公司".to_owned(),
            uscc: "91350100M000100Y43".to_owned(),
        };
        let old_der = {
            let signer = TokenSigner::new(&mut w, key.clone(), old_public);
            ca.issue_for_subject(&subject, &signer, 365).unwrap()
        };
        w.write_certificate(&key, &old_tag.key_id(), &old_der, "customer cert")
            .unwrap();
        let old = OldCertificate {
            key_id: old_tag.key_id(),
            der: old_der.clone(),
        };

        let order = order_number(2);
        let tag = KeyTag::new(order, 2);
        // Before the key pair exists: the flow is told to start a new attempt.
        let missing = renew::request(&mut w, &key, &tag, &old).unwrap_err();
        assert_eq!(missing.failure(), InstallFailure::KeyPairMissing);

        // An abandoned attempt 1 of the same order.
        renew::generate(&mut w, &key, &KeyTag::new(order, 1), KeyAlgorithm::EcP256).unwrap();

        let public = renew::generate(&mut w, &key, &tag, KeyAlgorithm::EcP256).unwrap();
        let request = renew::request(&mut w, &key, &tag, &old).unwrap();
        kiosk_x509::verify_proof(&request.csr_der, &request.proof).unwrap();
        let issued = ca.issue(&request.csr_der, 365, Profile::Customer).unwrap();

        let roots = vec![ca.root_der()];
        let trust = Trust {
            intermediates: &[],
            roots: &roots,
            now: OffsetDateTime::now_utc(),
        };
        // A certificate for another key is rejected and not written.
        let wrong =
            renew::verify_and_write(&mut w, &key, &tag, &old_der, &trust, None, "new").unwrap_err();
        assert_eq!(wrong.failure(), InstallFailure::CertificateRejected);
        // One from an unknown CA too.
        let stranger = TestCa::new("Someone Else").unwrap();
        let strangers = vec![stranger.root_der()];
        let other_trust = Trust {
            roots: &strangers,
            ..trust.clone()
        };
        assert_eq!(
            renew::verify(&mut w, &key, &tag, &issued, &other_trust, None)
                .unwrap_err()
                .failure(),
            InstallFailure::CertificateRejected
        );
        assert_eq!(w.certificates(&key).unwrap().certificates.len(), 1);

        // One for the new key from the right CA that names another holder
        // is rejected as well, and not written.
        let old_subject = kiosk_x509::details(&old_der).unwrap().subject_der;
        let someone_else = {
            let signer = TokenSigner::new(&mut w, key.clone(), public.clone());
            let other = CustomerSubject {
                unit_name: "别的公司".to_owned(),
                uscc: "91110108551385082Q".to_owned(),
            };
            ca.issue_for_subject(&other, &signer, 365).unwrap()
        };
        renew::verify(&mut w, &key, &tag, &someone_else, &trust, None).unwrap();
        let changed = renew::verify_and_write(
            &mut w,
            &key,
            &tag,
            &someone_else,
            &trust,
            Some(&old_subject),
            "new",
        )
        .unwrap_err();
        assert!(
            matches!(changed, renew::RenewError::SubjectChanged),
            "{changed}"
        );
        assert_eq!(changed.failure(), InstallFailure::CertificateRejected);
        assert_eq!(w.certificates(&key).unwrap().certificates.len(), 1);

        renew::verify(&mut w, &key, &tag, &issued, &trust, Some(&old_subject)).unwrap();
        renew::verify_and_write(
            &mut w,
            &key,
            &tag,
            &issued,
            &trust,
            Some(&old_subject),
            "customer cert",
        )
        .unwrap();
        // Re-run after a crash: nothing new.
        renew::verify_and_write(
            &mut w,
            &key,
            &tag,
            &issued,
            &trust,
            Some(&old_subject),
            "customer cert",
        )
        .unwrap();
        let both = w.certificates(&key).unwrap().certificates;
        assert_eq!(both.len(), 2, "the old certificate stays until retired");

        renew::retire(&mut w, &key, &old.key_id, RetirePolicy::Keep).unwrap();
        let now = w.certificates(&key).unwrap().certificates;
        assert_eq!(now.len(), 1);
        let new = now.first().unwrap();
        assert_eq!(new.der, issued);
        assert_eq!(new.key_id, tag.key_id());
        assert_eq!(new.summary.as_ref().unwrap().holder, "续期测试有限公司");
        assert!(new.has_key_pair);

        assert_eq!(renew::remove_abandoned(&mut w, &key, &order, 2).unwrap(), 2);
        assert_eq!(w.find_key_pair(&key, &tag).unwrap(), Some(public));
        assert!(w.find_key_pair(&key, &old_tag).unwrap().is_some());
    });
}
