//! On-site issuance onto a blank SoftHSM2 key: key pair and request on the
//! key, certificate from the test CA checked before it is written, e-seal
//! data objects beside it; a certificate for another key is refused.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{USER_PIN, with_token};
use kiosk_domain::fixtures::order_number;
use kiosk_domain::flow::renewal::{InstallFailure, PinOutcome};
use kiosk_domain::ports::key_writer::{KeyAlgorithm, KeyTag, KeyWriter, Pin};
use kiosk_token::onsite::{self, EsealObject};
use kiosk_token::renew::Trust;
use kiosk_token::x509::X509Reader;
use kiosk_x509::test_ca::{CustomerSubject, Profile, SoftSigner, TestCa};
use time::OffsetDateTime;

#[test]
fn onsite_issuance_writes_certificate_and_eseals() {
    with_token("onsite_issuance_writes_certificate_and_eseals", |t| {
        let ca = TestCa::new("Kiosk Test CA").unwrap();
        let roots = [ca.root_der()];
        let trust = Trust {
            intermediates: &[],
            roots: &roots,
            now: OffsetDateTime::now_utc(),
        };
        let mut w = t.writer().with_reader(Box::new(X509Reader));
        let key = t.key(&w);
        assert_eq!(
            w.verify_pin(&key, Pin::new(USER_PIN).unwrap()).unwrap(),
            PinOutcome::Verified
        );
        let tag = KeyTag::new(order_number(7), 1);
        let uscc = "91110108551385082Q".parse().unwrap();
        let csr = onsite::prepare(
            &mut w,
            &key,
            &tag,
            KeyAlgorithm::EcP256,
            "山西示例煤业有限公司",
            &uscc,
        )
        .unwrap();
        // Idempotent: a second prepare reuses the key pair.
        let again = onsite::prepare(
            &mut w,
            &key,
            &tag,
            KeyAlgorithm::EcP256,
            "山西示例煤业有限公司",
            &uscc,
        )
        .unwrap();
        assert!(kiosk_x509::verify_request(&again).is_ok());

        // A certificate for some other key is refused and nothing is written.
        let stranger = ca
            .issue_for_subject(
                &CustomerSubject {
                    unit_name: "山西示例煤业有限公司".to_owned(),
                    uscc: uscc.as_str().to_owned(),
                },
                &SoftSigner::generate_p256(),
                365,
            )
            .unwrap();
        let eseals = [
            EsealObject {
                label: "eseal:trader".to_owned(),
                value: b"trader seal image and data".to_vec(),
            },
            EsealObject {
                label: "eseal:settler".to_owned(),
                value: b"settler seal image and data".to_vec(),
            },
        ];
        let refused = onsite::install(&mut w, &key, &tag, &stranger, &trust, "issued", &eseals);
        assert_eq!(
            refused.unwrap_err().failure(),
            InstallFailure::CertificateRejected
        );
        assert!(w.certificates(&key).unwrap().certificates.is_empty());
        assert_eq!(w.read_data_object(&key, "eseal:trader").unwrap(), None);

        // The real one: written, read back, summarised; the e-seals beside it.
        let issued = ca.issue(&csr, 365, Profile::Customer).unwrap();
        onsite::install(&mut w, &key, &tag, &issued, &trust, "issued", &eseals).unwrap();
        onsite::install(&mut w, &key, &tag, &issued, &trust, "issued", &eseals).unwrap();
        let certificates = w.certificates(&key).unwrap().certificates;
        assert_eq!(certificates.len(), 1, "written once");
        let summary = certificates[0].summary.as_ref().unwrap();
        assert_eq!(summary.holder, "山西示例煤业有限公司");
        assert_eq!(summary.uscc.as_ref().unwrap().as_str(), uscc.as_str());
        assert!(certificates[0].has_key_pair);
        for eseal in &eseals {
            assert_eq!(
                w.read_data_object(&key, &eseal.label).unwrap().as_deref(),
                Some(eseal.value.as_slice())
            );
        }
    });
}
