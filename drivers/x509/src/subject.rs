//! The subject of a new unit certificate (on-site issuance onto a blank key):
//! C=CN, O=unit name, CN=unit name, serialNumber=USCC — the layout the CA's
//! existing certificates use, which [`crate::summarize`] reads back.

use kiosk_domain::ids::Uscc;
use yasna::models::ObjectIdentifier;

const COUNTRY: &[u64] = &[2, 5, 4, 6];
const ORGANIZATION: &[u64] = &[2, 5, 4, 10];
const COMMON_NAME: &[u64] = &[2, 5, 4, 3];
const SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];

/// One attribute value's string type: PrintableString for the country code
/// and the USCC (their alphabets fit), UTF8String for Chinese names.
enum Text<'a> {
    Printable(&'a str),
    Utf8(&'a str),
}

/// The DER `Name` for a unit's certificate.
#[must_use]
pub fn unit_subject(unit_name: &str, uscc: &Uscc) -> Vec<u8> {
    let attributes = [
        (COUNTRY, Text::Printable("CN")),
        (ORGANIZATION, Text::Utf8(unit_name)),
        (COMMON_NAME, Text::Utf8(unit_name)),
        (SERIAL_NUMBER, Text::Printable(uscc.as_str())),
    ];
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            for (oid, text) in &attributes {
                // One attribute per RDN, in this order.
                w.next().write_set(|w| {
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&ObjectIdentifier::from_slice(oid));
                        match text {
                            Text::Printable(s) => w.next().write_printable_string(s),
                            Text::Utf8(s) => w.next().write_utf8_string(s),
                        }
                    });
                });
            }
        });
    })
}

#[cfg(all(test, feature = "test-ca"))]
mod tests {
    use super::*;
    use crate::test_ca::{Profile, SoftSigner, TestCa};

    #[test]
    fn a_certificate_for_this_subject_summarises_to_the_unit_and_its_uscc() {
        let uscc: Uscc = "91110108551385082Q".parse().unwrap();
        let subject = unit_subject("山西示例煤业有限公司", &uscc);
        let key = SoftSigner::generate_p256();
        let csr = crate::build_request(&subject, &key).unwrap();
        let ca = TestCa::new("Subject Test CA").unwrap();
        let der = ca.issue(&csr, 30, Profile::Customer).unwrap();
        let summary = crate::summarize(&der, "01").unwrap();
        assert_eq!(summary.holder, "山西示例煤业有限公司");
        assert_eq!(summary.uscc, Some(uscc));
    }
}
