//! A small local CA for tests and the reference CA service (feature
//! `test-ca`): a self-signed P-256 root, optional intermediates, and
//! issuance from PKCS #10 requests. Certificates are written by rcgen and
//! signed through [`RemoteSigner`], so the CA's key could as well be an HSM.
//!
//! Limitation: rcgen keeps a subject as a map by attribute type, so requests
//! with repeated attribute types (two OUs) or multi-valued RDNs are refused
//! rather than issued with a changed subject. ([`TestCa::issue_staff`] writes
//! a second OU under rcgen's custom attribute type with the same OID.)

mod rcgen_key;
mod soft_signer;

use rand_core::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::x509::X509Name;

use crate::{RemoteSigner, StaffRole};
use rcgen_key::{RawPublicKey, RcgenKey};
pub use soft_signer::SoftSigner;

/// Why the test CA could not issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestCaError {
    #[error("the request is not a valid PKCS #10 request")]
    MalformedRequest,
    #[error("the request was refused: {0}")]
    BadRequest(crate::RequestError),
    #[error("key: {0}")]
    Key(String),
    #[error("the test CA cannot reproduce this subject: {0}")]
    UnsupportedSubject(String),
    #[error("rcgen: {0}")]
    Rcgen(String),
}

impl From<rcgen::Error> for TestCaError {
    fn from(e: rcgen::Error) -> Self {
        Self::Rcgen(e.to_string())
    }
}

/// What kind of certificate to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A customer's certificate: CA:false; keyUsage digitalSignature +
    /// nonRepudiation (+ keyEncipherment for RSA); extendedKeyUsage
    /// clientAuth + emailProtection.
    Customer,
    /// A CA below this one: CA:true, pathLen 0; keyCertSign + cRLSign.
    SubordinateCa,
    /// A member of staff's sign-in certificate: CA:false; keyUsage
    /// digitalSignature; extendedKeyUsage clientAuth.
    Staff,
    /// An S/MIME certificate: CA:false; keyUsage digitalSignature;
    /// extendedKeyUsage emailProtection only.
    SecureEmail,
}

/// The subject of a customer certificate made by
/// [`TestCa::issue_for_subject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSubject {
    /// The unit's name (O and CN).
    pub unit_name: String,
    /// The USCC, put in the subject's serialNumber.
    pub uscc: String,
}

/// A local certificate authority.
#[derive(Debug)]
pub struct TestCa {
    key: SoftSigner,
    /// The CA's own subject and key identifier, for rcgen's `Issuer`.
    params: CertificateParams,
    certificate_der: Vec<u8>,
}

impl TestCa {
    /// A new self-signed P-256 root named `name` (CN and O), valid from
    /// five years ago (as a CA's root is when its customers come to renew:
    /// it issued their expiring certificates) for fifteen years.
    pub fn new(name: &str) -> Result<Self, TestCaError> {
        let key = SoftSigner::generate_p256();
        let mut params = ca_params(name, &key.public_key_spki_der());
        params.not_before = OffsetDateTime::now_utc() - Duration::days(5 * 365);
        params.not_after = params.not_before + Duration::days(15 * 365);
        params.serial_number = Some(random_serial());
        let certificate_der = params.self_signed(&RcgenKey::new(&key)?)?.der().to_vec();
        Ok(Self {
            key,
            params,
            certificate_der,
        })
    }

    /// A CA named `name` whose certificate this CA issues from a request
    /// (profile [`Profile::SubordinateCa`]).
    pub fn subordinate(&self, name: &str, validity_days: i64) -> Result<Self, TestCaError> {
        let key = SoftSigner::generate_p256();
        let params = ca_params(name, &key.public_key_spki_der());
        let subject_der = name_der(&params.distinguished_name)?;
        let csr = crate::build_request(&subject_der, &key)
            .map_err(|e| TestCaError::Key(e.to_string()))?;
        let certificate_der = self.issue(&csr, validity_days, Profile::SubordinateCa)?;
        Ok(Self {
            key,
            params,
            certificate_der,
        })
    }

    /// The CA's private key (P-256 scalar) and certificate, so that a CA made
    /// once can be [restored](Self::restore) by another process (the kill
    /// tests restart their kiosk, and the CA must stay the same).
    pub fn export(&self) -> Result<(Vec<u8>, Vec<u8>), TestCaError> {
        let scalar = self
            .key
            .p256_scalar()
            .ok_or_else(|| TestCaError::Key("only P-256 CAs can be exported".to_owned()))?;
        Ok((scalar, self.certificate_der.clone()))
    }

    /// A CA named `name` from what [`export`](Self::export) gave.
    pub fn restore(
        name: &str,
        key_scalar: &[u8],
        certificate_der: Vec<u8>,
    ) -> Result<Self, TestCaError> {
        let key = SoftSigner::p256_from_scalar(key_scalar)?;
        let params = ca_params(name, &key.public_key_spki_der());
        Ok(Self {
            key,
            params,
            certificate_der,
        })
    }

    /// This CA's certificate (DER).
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The root certificate (DER), to configure as a trust anchor. For a
    /// subordinate CA this is its own certificate, like
    /// [`certificate_der`](Self::certificate_der).
    pub fn root_der(&self) -> Vec<u8> {
        self.certificate_der.clone()
    }

    /// This CA's certificate as PEM, for openssl.
    pub fn root_pem(&self) -> String {
        pem("CERTIFICATE", &self.certificate_der)
    }

    /// Issues a certificate for a PKCS #10 request (DER), valid from an hour
    /// ago for `validity_days`. The request's signature is checked first;
    /// its subject is copied, its attributes ignored (the profile decides).
    pub fn issue(
        &self,
        csr_der: &[u8],
        validity_days: i64,
        profile: Profile,
    ) -> Result<Vec<u8>, TestCaError> {
        crate::verify_request(csr_der).map_err(TestCaError::BadRequest)?;
        let csr = crate::request::parse(csr_der).ok_or(TestCaError::MalformedRequest)?;
        let info = &csr.certification_request_info;
        let subject = distinguished_name(&info.subject)?;
        let not_before = OffsetDateTime::now_utc() - Duration::hours(1);
        let der = self.sign(
            subject,
            info.subject_pki.raw,
            not_before,
            not_before + Duration::days(validity_days),
            profile,
        )?;
        // rcgen re-encodes the subject: make sure it came out unchanged.
        let issued = crate::summary::parse(&der).map_err(|e| TestCaError::Rcgen(e.to_string()))?;
        if issued.subject().as_raw() != info.subject.as_raw() {
            return Err(TestCaError::UnsupportedSubject(
                "the subject would change when re-encoded".to_owned(),
            ));
        }
        Ok(der)
    }

    /// A customer certificate for `key` (no request needed): subject
    /// C=CN, O=unit, CN=unit, serialNumber=USCC; profile
    /// [`Profile::Customer`].
    pub fn issue_for_subject(
        &self,
        subject: &CustomerSubject,
        key: &dyn RemoteSigner,
        validity_days: i64,
    ) -> Result<Vec<u8>, TestCaError> {
        let not_before = OffsetDateTime::now_utc() - Duration::hours(1);
        self.issue_for_subject_between(
            subject,
            key,
            not_before,
            not_before + Duration::days(validity_days),
        )
    }

    /// The same, valid from `not_before` to `not_after` (a certificate that
    /// expired long ago, or is not valid yet).
    pub fn issue_for_subject_between(
        &self,
        subject: &CustomerSubject,
        key: &dyn RemoteSigner,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Vec<u8>, TestCaError> {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, printable("CN")?);
        dn.push(DnType::OrganizationName, subject.unit_name.as_str());
        dn.push(DnType::CommonName, subject.unit_name.as_str());
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            printable(&subject.uscc)?,
        );
        self.sign(
            dn,
            &key.public_key_spki_der(),
            not_before,
            not_after,
            Profile::Customer,
        )
    }

    /// A staff certificate for `key`: subject C=CN, O=this CA's O, one OU
    /// per role, CN=`name`; profile [`Profile::Staff`].
    pub fn issue_staff(
        &self,
        name: &str,
        roles: &[StaffRole],
        key: &dyn RemoteSigner,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Vec<u8>, TestCaError> {
        self.issue_staff_as(name, roles, key, not_before, not_after, Profile::Staff)
    }

    /// [`issue_staff`](Self::issue_staff) with another profile.
    pub(crate) fn issue_staff_as(
        &self,
        name: &str,
        roles: &[StaffRole],
        key: &dyn RemoteSigner,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        profile: Profile,
    ) -> Result<Vec<u8>, TestCaError> {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, printable("CN")?);
        let organization = self
            .params
            .distinguished_name
            .get(&DnType::OrganizationName)
            .cloned()
            .unwrap_or_else(|| "CA".into());
        dn.push(DnType::OrganizationName, organization);
        // rcgen holds one value per type: a second OU goes under the custom
        // type, which writes the same OID.
        let mut unit_types = [
            DnType::OrganizationalUnitName,
            DnType::CustomDnType(vec![2, 5, 4, 11]),
        ]
        .into_iter();
        let distinct = roles
            .iter()
            .enumerate()
            .filter(|(i, role)| !roles[..*i].contains(role));
        for (_, role) in distinct {
            let ty = unit_types
                .next()
                .ok_or_else(|| TestCaError::UnsupportedSubject("more than two OUs".to_owned()))?;
            dn.push(ty, role.organizational_unit());
        }
        dn.push(DnType::CommonName, name);
        self.sign(
            dn,
            &key.public_key_spki_der(),
            not_before,
            not_after,
            profile,
        )
    }

    fn sign(
        &self,
        subject: DistinguishedName,
        subject_spki_der: &[u8],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        profile: Profile,
    ) -> Result<Vec<u8>, TestCaError> {
        let public = RawPublicKey::from_spki_der(subject_spki_der)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = subject;
        params.not_before = not_before;
        params.not_after = not_after;
        params.serial_number = Some(random_serial());
        params.use_authority_key_identifier_extension = true;
        params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(subject_spki_der));
        match profile {
            Profile::Customer => {
                params.is_ca = IsCa::ExplicitNoCa;
                params.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
                if public.is_rsa() {
                    params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
                }
                params.extended_key_usages = vec![
                    ExtendedKeyUsagePurpose::ClientAuth,
                    ExtendedKeyUsagePurpose::EmailProtection,
                ];
            }
            Profile::SubordinateCa => {
                params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            }
            Profile::Staff | Profile::SecureEmail => {
                params.is_ca = IsCa::ExplicitNoCa;
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                params.extended_key_usages = vec![if profile == Profile::Staff {
                    ExtendedKeyUsagePurpose::ClientAuth
                } else {
                    ExtendedKeyUsagePurpose::EmailProtection
                }];
            }
        }
        let issuer = Issuer::from_params(&self.params, RcgenKey::new(&self.key)?);
        Ok(params.signed_by(&public, &issuer)?.der().to_vec())
    }
}

impl TestCa {
    /// A revocation list of this CA, signed by it: `revoked` are the
    /// certificates withdrawn (DER) with when; valid from `now` for a day;
    /// `number` must grow from one list to the next.
    pub fn crl(
        &self,
        revoked: &[(Vec<u8>, OffsetDateTime)],
        now: OffsetDateTime,
        number: u64,
    ) -> Result<Vec<u8>, TestCaError> {
        use rcgen::{CertificateRevocationListParams, RevocationReason, RevokedCertParams};
        let mut revoked_certs = Vec::new();
        for (der, at) in revoked {
            let cert = crate::summary::parse(der).map_err(|e| TestCaError::Rcgen(e.to_string()))?;
            revoked_certs.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(cert.raw_serial()),
                revocation_time: *at,
                reason_code: Some(RevocationReason::Superseded),
                invalidity_date: None,
            });
        }
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: now + Duration::days(1),
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::PreSpecified(key_id(
                &self.key.public_key_spki_der(),
            )),
        };
        let issuer = Issuer::from_params(&self.params, RcgenKey::new(&self.key)?);
        Ok(params.signed_by(&issuer)?.der().to_vec())
    }
}

/// Parameters of a CA certificate (subject CN + O = `name`).
fn ca_params(name: &str, spki_der: &[u8]) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, name);
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(spki_der));
    params
}

/// RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the public key.
fn key_id(spki_der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let spki = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der);
    let key_bits = spki
        .as_ref()
        .map_or(spki_der, |(_, s)| &s.subject_public_key.data);
    Sha256::digest(key_bits)[..20].to_vec()
}

/// 16 random bytes, top bit clear so the INTEGER stays positive and short.
fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7F) | 0x01;
    SerialNumber::from_slice(&bytes)
}

fn printable(text: &str) -> Result<DnValue, TestCaError> {
    text.try_into()
        .map(DnValue::PrintableString)
        .map_err(|_| TestCaError::UnsupportedSubject(format!("{text:?} is not printable")))
}

/// The DER of an rcgen name (for building a CA's own request).
fn name_der(dn: &DistinguishedName) -> Result<Vec<u8>, TestCaError> {
    // rcgen does not expose its name writer; a throwaway certificate
    // carries the name, read it back from there.
    let key = SoftSigner::generate_p256();
    let mut params = CertificateParams::default();
    params.distinguished_name = dn.clone();
    params.serial_number = Some(random_serial());
    let der = params.self_signed(&RcgenKey::new(&key)?)?.der().to_vec();
    let cert = crate::summary::parse(&der).map_err(|e| TestCaError::Rcgen(e.to_string()))?;
    Ok(cert.subject().as_raw().to_vec())
}

/// A request's subject as rcgen's map, refusing what the map cannot hold.
fn distinguished_name(name: &X509Name<'_>) -> Result<DistinguishedName, TestCaError> {
    let unsupported = |why: &str| TestCaError::UnsupportedSubject(why.to_owned());
    let mut dn = DistinguishedName::new();
    for rdn in name.iter_rdn() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(unsupported("multi-valued or empty RDN"));
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| unsupported("attribute OID too large"))?
            .collect();
        let ty = DnType::from_oid(&oid);
        if dn.get(&ty).is_some() {
            return Err(unsupported("repeated attribute type"));
        }
        let value = attr.attr_value();
        let text = || std::str::from_utf8(value.data).map_err(|_| unsupported("bad string"));
        let value = match value.header.tag() {
            Tag::Utf8String => DnValue::Utf8String(text()?.to_owned()),
            Tag::PrintableString => printable(text()?)?,
            Tag::Ia5String => DnValue::Ia5String(
                text()?
                    .try_into()
                    .map_err(|_| unsupported("bad IA5String"))?,
            ),
            Tag::BmpString => DnValue::BmpString(
                rcgen::string::BmpString::from_utf16be(value.data.to_vec())
                    .map_err(|_| unsupported("bad BMPString"))?,
            ),
            _ => return Err(unsupported("unsupported string type")),
        };
        dn.push(ty, value);
    }
    Ok(dn)
}

/// PEM armour (RFC 7468), for handing certificates to openssl.
pub fn pem(label: &str, der: &[u8]) -> String {
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in base64(der).as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = usize::try_from((n >> (18 - 6 * i)) & 0x3F).unwrap_or(0);
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_ca_issues_certificates_that_chain_to_the_original_root() {
        let ca = TestCa::new("Restored CA").unwrap();
        let (key, cert) = ca.export().unwrap();
        let again = TestCa::restore("Restored CA", &key, cert).unwrap();
        let customer = SoftSigner::generate_p256();
        let der = again
            .issue_for_subject(
                &CustomerSubject {
                    unit_name: "山西示例煤业有限公司".to_owned(),
                    uscc: "91110108551385082Q".to_owned(),
                },
                &customer,
                30,
            )
            .unwrap();
        crate::verify_issued(
            &der,
            &customer.public_key_spki_der(),
            &[],
            &[ca.root_der()],
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    }

    #[test]
    fn base64_pads_like_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
