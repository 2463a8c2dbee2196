//! What the kiosk shows and records about a certificate read from a token.

use kiosk_domain::ids::Uscc;
use kiosk_domain::order::renewal::CertificateSummary;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::algorithm::KeyAlgorithm;
use crate::name::{
    OID_CN, OID_O, OID_ORGANIZATION_IDENTIFIER, OID_OU, OID_SERIAL_NUMBER, display, first_text,
    texts_of,
};

/// Why a certificate could not be read. The token driver reports it and
/// skips the certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("the certificate is not valid DER X.509: {reason}")]
    Malformed { reason: String },
    #[error("the certificate has {0} bytes of trailing data")]
    TrailingData(usize),
}

/// Technical details of a certificate, for the technician's screen and for
/// building the renewal request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertDetails {
    pub subject_dn: String,
    /// The subject `Name` exactly as encoded in the certificate; the renewal
    /// request copies it byte for byte.
    pub subject_der: Vec<u8>,
    pub issuer_dn: String,
    /// RFC 5280 names of the key usage bits set, e.g. `digitalSignature`;
    /// empty when the certificate has no keyUsage extension.
    pub key_usage: Vec<String>,
    pub algorithm: KeyAlgorithm,
    /// The certificate's SubjectPublicKeyInfo, DER, as encoded in it.
    pub spki_der: Vec<u8>,
}

/// Parses DER, refusing trailing bytes.
pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CertError> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| CertError::Malformed {
        reason: e.to_string(),
    })?;
    if rest.is_empty() {
        Ok(cert)
    } else {
        Err(CertError::TrailingData(rest.len()))
    }
}

/// The summary of a certificate on the token whose key has CKA_ID
/// `key_id_hex`.
pub fn summarize(der: &[u8], key_id_hex: &str) -> Result<CertificateSummary, CertError> {
    let cert = parse(der)?;
    let subject = cert.subject();
    let holder = first_text(subject, OID_O)
        .or_else(|| first_text(subject, OID_CN))
        .unwrap_or_else(|| display(subject));
    let issuer = first_text(cert.issuer(), OID_CN).unwrap_or_else(|| display(cert.issuer()));
    let validity = cert.validity();
    Ok(CertificateSummary {
        holder,
        uscc: find_uscc(subject),
        issuer,
        serial_hex: cert.serial.to_str_radix(16).to_uppercase(),
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
        key_id_hex: key_id_hex.to_owned(),
    })
}

/// Subject, issuer, key usage and key of a certificate.
pub fn details(der: &[u8]) -> Result<CertDetails, CertError> {
    let cert = parse(der)?;
    let key_usage = match cert.key_usage() {
        Ok(Some(ku)) => key_usage_names(ku.value),
        Ok(None) => Vec::new(),
        Err(e) => {
            return Err(CertError::Malformed {
                reason: format!("keyUsage: {e}"),
            });
        }
    };
    Ok(CertDetails {
        subject_dn: display(cert.subject()),
        subject_der: cert.subject().as_raw().to_vec(),
        issuer_dn: display(cert.issuer()),
        key_usage,
        algorithm: KeyAlgorithm::of_spki(cert.public_key()),
        spki_der: cert.public_key().raw.to_vec(),
    })
}

/// The subject's common name (its first non-empty CN), if it has one: a
/// kiosk's device certificate names the kiosk code there, a member of
/// staff's certificate the person.
pub fn subject_common_name(der: &[u8]) -> Result<Option<String>, CertError> {
    Ok(first_text(parse(der)?.subject(), OID_CN))
}

fn key_usage_names(ku: &x509_parser::extensions::KeyUsage) -> Vec<String> {
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

/// The unit's USCC: the first valid code in serialNumber, then OU, then
/// organizationIdentifier. CAs decorate it ("NTRCN-…", "统一社会信用代码:…"),
/// so besides the whole value every 18-character alphanumeric run is tried;
/// the check characters make a false match practically impossible.
fn find_uscc(subject: &x509_parser::x509::X509Name<'_>) -> Option<Uscc> {
    [OID_SERIAL_NUMBER, OID_OU, OID_ORGANIZATION_IDENTIFIER]
        .into_iter()
        .flat_map(|oid| texts_of(subject, oid))
        .find_map(|text| uscc_in(&text))
}

fn uscc_in(text: &str) -> Option<Uscc> {
    if let Ok(uscc) = text.parse() {
        return Some(uscc);
    }
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| run.len() == 18)
        .find_map(|run| run.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "91110108551385082Q";

    #[test]
    fn finds_a_uscc_however_it_is_decorated() {
        for text in [
            REAL,
            "NTRCN-91110108551385082Q",
            "统一社会信用代码:91110108551385082Q",
            "USCC 91110108551385082q",
        ] {
            assert_eq!(
                uscc_in(text).map(String::from).as_deref(),
                Some(REAL),
                "{text}"
            );
        }
        assert_eq!(uscc_in("91110108551385082R"), None);
        assert_eq!(uscc_in("市场部"), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            summarize(b"", "01"),
            Err(CertError::Malformed { .. })
        ));
        assert!(matches!(
            details(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            Err(CertError::Malformed { .. })
        ));
    }
}
