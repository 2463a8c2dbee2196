//! Staff sign-in: the member of staff's certificate, and the signature their
//! key made over a fresh challenge.

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use crate::algorithm::KeyAlgorithm;
use crate::crl::revoked_serials;
use crate::name::{OID_CN, OID_OU, display, first_text, texts_of};
use crate::public_key::{PublicKey, PublicKeyError};
use crate::signer::ecdsa_raw_to_der;
use crate::verify::{VerifyError, chain_to_root, parse_all, parse_as, serial_hex, validity};

/// What a staff certificate allows on the kiosk (subject
/// organizationalUnitName values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// OU `kiosk-staff`.
    Staff,
    /// OU `kiosk-technician`.
    Technician,
}

impl StaffRole {
    /// The OU value that grants the role.
    pub const fn organizational_unit(self) -> &'static str {
        match self {
            Self::Staff => "kiosk-staff",
            Self::Technician => "kiosk-technician",
        }
    }

    fn from_organizational_unit(text: &str) -> Option<Self> {
        [Self::Staff, Self::Technician]
            .into_iter()
            .find(|role| role.organizational_unit() == text)
    }
}

/// A staff certificate that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCertificate {
    /// Upper-case hex, as [`VerifiedCertificate`](crate::VerifiedCertificate)
    /// gives it.
    pub serial_hex: String,
    /// The subject's CN (the whole subject when it has none).
    pub common_name: String,
    /// Distinct, in the order of the subject.
    pub roles: Vec<StaffRole>,
    pub not_after: OffsetDateTime,
}

/// Why a staff certificate or a staff key's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffCertError {
    #[error("{what} is not a valid certificate: {reason}")]
    Malformed { what: String, reason: String },
    /// No chain to a configured staff CA: unknown issuer, a signature that
    /// does not verify, a CA certificate out of its validity, …
    #[error("the certificate is not from the staff CA: {0}")]
    NotFromStaffCa(VerifyError),
    #[error("the staff certificate is not valid before {not_before} (kiosk time {now})")]
    NotYetValid {
        not_before: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("the staff certificate expired at {not_after} (kiosk time {now})")]
    Expired {
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("the certificate grants no kiosk role (OU \"kiosk-staff\" or \"kiosk-technician\")")]
    NoStaffRole,
    #[error("the certificate's extendedKeyUsage does not allow clientAuth")]
    NotForClientAuth,
    #[error("the staff certificate is a CA certificate (basicConstraints)")]
    IsCa,
    /// The certificate, or a CA certificate above it, is listed in a
    /// revocation list of its issuer.
    #[error("certificate {serial_hex} is revoked")]
    Revoked { serial_hex: String },
    #[error("a revocation list cannot be used: {0}")]
    BadRevocationList(VerifyError),
    #[error("the signature does not verify with the staff certificate's key")]
    BadSignature,
    #[error("{0} keys are not supported yet")]
    UnsupportedKey(KeyAlgorithm),
}

const THE_CERTIFICATE: &str = "the staff certificate";

/// Checks a staff certificate: valid at `now`, not a CA, chains (through
/// `intermediates` if needed) to one of `roots` (the staff CA) with every
/// signature verifying and every CA valid at `now`, allows clientAuth if it
/// has an extendedKeyUsage, carries at least one role, holds a key we can
/// verify, and is not listed (nor a CA above it) in any of `crls`.
///
/// Each CRL must verify against the configured CA certificate (root or
/// intermediate) it names, or it is an error; a CRL naming none of them is
/// skipped.
pub fn verify_staff_certificate(
    cert_der: &[u8],
    intermediates: &[Vec<u8>],
    roots: &[Vec<u8>],
    crls: &[Vec<u8>],
    now: OffsetDateTime,
) -> Result<StaffCertificate, StaffCertError> {
    if roots.is_empty() {
        return Err(StaffCertError::NotFromStaffCa(VerifyError::NoRoots));
    }
    let cert = parse_as(cert_der, THE_CERTIFICATE).map_err(chain_error)?;
    let root_certs = parse_all(roots, "staff CA root").map_err(chain_error)?;
    let intermediate_certs = parse_all(intermediates, "intermediate").map_err(chain_error)?;

    if cert.is_ca() {
        return Err(StaffCertError::IsCa);
    }
    let (not_before, not_after) = validity(&cert);
    if now < not_before {
        return Err(StaffCertError::NotYetValid { not_before, now });
    }
    if now > not_after {
        return Err(StaffCertError::Expired { not_after, now });
    }
    let (mut issuers, root) =
        chain_to_root(&cert, &intermediate_certs, &root_certs, now).map_err(chain_error)?;
    issuers.push(root);

    let configured = roots
        .iter()
        .zip(&root_certs)
        .chain(intermediates.iter().zip(&intermediate_certs));
    for crl in crls {
        let Some(list) = verified_crl(crl, configured.clone())? else {
            continue;
        };
        // Each certificate of the chain against its issuer's lists.
        let revocable = std::iter::once(&cert).chain(issuers.iter().copied());
        for (revocable, issuer) in revocable.zip(&issuers) {
            let serial = serial_hex(revocable);
            if issuer.subject().as_raw() == list.issuer && list.serials.contains(&serial) {
                return Err(StaffCertError::Revoked { serial_hex: serial });
            }
        }
    }

    match cert.extended_key_usage() {
        Ok(None) => {}
        Ok(Some(eku)) if eku.value.client_auth => {}
        Ok(Some(_)) => return Err(StaffCertError::NotForClientAuth),
        Err(e) => {
            return Err(StaffCertError::Malformed {
                what: THE_CERTIFICATE.to_owned(),
                reason: format!("extendedKeyUsage: {e}"),
            });
        }
    }
    let mut roles = Vec::new();
    for role in texts_of(cert.subject(), OID_OU)
        .iter()
        .filter_map(|ou| StaffRole::from_organizational_unit(ou))
    {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(StaffCertError::NoStaffRole);
    }
    certificate_key(&cert)?;

    Ok(StaffCertificate {
        serial_hex: serial_hex(&cert),
        common_name: first_text(cert.subject(), OID_CN).unwrap_or_else(|| display(cert.subject())),
        roles,
        not_after,
    })
}

/// Checks that `signature`, as a PKCS #11 token returns it from signing a
/// SHA-256 digest (see [`RemoteSigner`](crate::RemoteSigner): P-256 raw
/// `r || s`, RSA PKCS #1 v1.5 over the `DigestInfo`), was made over `digest`
/// by the key of `cert_der`. It does not check the certificate: that is
/// [`verify_staff_certificate`].
pub fn verify_token_signature(
    cert_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
) -> Result<(), StaffCertError> {
    let cert = parse_as(cert_der, THE_CERTIFICATE).map_err(chain_error)?;
    let key = certificate_key(&cert)?;
    let encoded = match key {
        PublicKey::P256(_) => {
            ecdsa_raw_to_der(signature).map_err(|_| StaffCertError::BadSignature)?
        }
        PublicKey::Rsa(_) => signature.to_vec(),
    };
    key.verify_digest(digest, &encoded)
        .map_err(|_| StaffCertError::BadSignature)
}

/// A certificate or chain failure: malformed input, or no path to the staff
/// CA.
fn chain_error(e: VerifyError) -> StaffCertError {
    match e {
        VerifyError::Malformed { what, reason } => StaffCertError::Malformed { what, reason },
        other => StaffCertError::NotFromStaffCa(other),
    }
}

fn certificate_key(cert: &X509Certificate<'_>) -> Result<PublicKey, StaffCertError> {
    PublicKey::from_spki_der(cert.public_key().raw).map_err(|e| match e {
        PublicKeyError::Unsupported(algorithm) => StaffCertError::UnsupportedKey(algorithm),
        other => StaffCertError::Malformed {
            what: "the staff certificate's public key".to_owned(),
            reason: other.to_string(),
        },
    })
}

/// A revocation list whose signature verified.
struct VerifiedCrl<'c> {
    /// The subject (DER) of the CA certificate it verified against.
    issuer: &'c [u8],
    serials: Vec<String>,
}

/// `crl`, verified against the configured CA certificate it names; `None`
/// when it names none of them.
fn verified_crl<'c>(
    crl: &[u8],
    configured: impl Iterator<Item = (&'c Vec<u8>, &'c X509Certificate<'c>)>,
) -> Result<Option<VerifiedCrl<'c>>, StaffCertError> {
    let mut failure = None;
    for (der, ca) in configured {
        match revoked_serials(crl, der) {
            Ok(serials) => {
                return Ok(Some(VerifiedCrl {
                    issuer: ca.subject().as_raw(),
                    serials,
                }));
            }
            Err(VerifyError::UnknownIssuer { .. }) => {}
            // Another CA of the same name (a new key) may still verify it.
            Err(e @ VerifyError::BadSignature { .. }) => failure = Some(e),
            Err(e) => return Err(StaffCertError::BadRevocationList(e)),
        }
    }
    failure.map_or(Ok(None), |e| Err(StaffCertError::BadRevocationList(e)))
}

#[cfg(all(test, feature = "test-ca"))]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "tests: a failed unwrap is a failed test"
    )]
    use sha2::{Digest, Sha256};
    use time::Duration;

    use super::*;
    use crate::RemoteSigner;
    use crate::test_ca::{CustomerSubject, Profile, SoftSigner, TestCa};

    fn rsa() -> SoftSigner {
        SoftSigner::rsa_from_pkcs8_der(include_bytes!("../tests/fixtures/rsa-2048-old.pk8.der"))
            .unwrap()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// A staff certificate valid from an hour ago for 30 days.
    fn issue(ca: &TestCa, roles: &[StaffRole], key: &SoftSigner) -> Vec<u8> {
        let from = now() - Duration::hours(1);
        ca.issue_staff("张三", roles, key, from, from + Duration::days(30))
            .unwrap()
    }

    fn check(
        cert: &[u8],
        ca: &TestCa,
        crls: &[Vec<u8>],
    ) -> Result<StaffCertificate, StaffCertError> {
        verify_staff_certificate(cert, &[], &[ca.root_der()], crls, now())
    }

    fn serial_of(der: &[u8]) -> String {
        serial_hex(&crate::summary::parse(der).unwrap())
    }

    fn digest(text: &str) -> [u8; 32] {
        Sha256::digest(text.as_bytes()).into()
    }

    #[test]
    fn a_good_certificate_gives_name_serial_and_roles() {
        let ca = TestCa::new("Staff CA").unwrap();
        for key in [SoftSigner::generate_p256(), rsa()] {
            let cert = issue(&ca, &[StaffRole::Technician, StaffRole::Staff], &key);
            let staff = check(&cert, &ca, &[]).unwrap();
            assert_eq!(staff.common_name, "张三");
            assert_eq!(staff.serial_hex, serial_of(&cert));
            assert_eq!(staff.roles, [StaffRole::Technician, StaffRole::Staff]);
            assert!(staff.not_after > now() + Duration::days(29));
        }
    }

    #[test]
    fn a_certificate_of_an_intermediate_needs_the_intermediate() {
        let root = TestCa::new("Staff Root").unwrap();
        let issuing = root.subordinate("Staff Issuing CA", 365).unwrap();
        let cert = issue(&issuing, &[StaffRole::Staff], &SoftSigner::generate_p256());
        let intermediates = [issuing.certificate_der().to_vec()];
        let staff = verify_staff_certificate(&cert, &intermediates, &[root.root_der()], &[], now())
            .unwrap();
        assert_eq!(staff.roles, [StaffRole::Staff]);
        assert!(matches!(
            check(&cert, &root, &[]),
            Err(StaffCertError::NotFromStaffCa(
                VerifyError::UnknownIssuer { .. }
            ))
        ));
    }

    #[test]
    fn an_expired_or_not_yet_valid_certificate_is_refused() {
        let ca = TestCa::new("Staff CA").unwrap();
        let key = SoftSigner::generate_p256();
        let roles = [StaffRole::Staff];
        let past = now() - Duration::days(60);
        let expired = ca
            .issue_staff("张三", &roles, &key, past, past + Duration::days(30))
            .unwrap();
        assert!(matches!(
            check(&expired, &ca, &[]),
            Err(StaffCertError::Expired { .. })
        ));
        let future = now() + Duration::days(1);
        let early = ca
            .issue_staff("张三", &roles, &key, future, future + Duration::days(30))
            .unwrap();
        assert!(matches!(
            check(&early, &ca, &[]),
            Err(StaffCertError::NotYetValid { .. })
        ));
    }

    #[test]
    fn a_certificate_of_another_ca_is_refused() {
        let ca = TestCa::new("Staff CA").unwrap();
        let key = SoftSigner::generate_p256();
        // Same name, another key: the signature does not verify.
        let impostor = TestCa::new("Staff CA").unwrap();
        let cert = issue(&impostor, &[StaffRole::Technician], &key);
        assert!(matches!(
            check(&cert, &ca, &[]),
            Err(StaffCertError::NotFromStaffCa(
                VerifyError::BadSignature { .. }
            ))
        ));
        let other = TestCa::new("Customer CA").unwrap();
        let cert = issue(&other, &[StaffRole::Technician], &key);
        assert!(matches!(
            check(&cert, &ca, &[]),
            Err(StaffCertError::NotFromStaffCa(
                VerifyError::UnknownIssuer { .. }
            ))
        ));
        assert!(matches!(
            verify_staff_certificate(&cert, &[], &[], &[], now()),
            Err(StaffCertError::NotFromStaffCa(VerifyError::NoRoots))
        ));
    }

    #[test]
    fn a_certificate_without_a_kiosk_role_is_refused() {
        let ca = TestCa::new("Staff CA").unwrap();
        let key = SoftSigner::generate_p256();
        let cert = issue(&ca, &[], &key);
        assert_eq!(check(&cert, &ca, &[]), Err(StaffCertError::NoStaffRole));
        // A customer's certificate of the same CA has no OU either.
        let customer = CustomerSubject {
            unit_name: "北京测试科技有限公司".to_owned(),
            uscc: "91110108551385082Q".to_owned(),
        };
        let cert = ca.issue_for_subject(&customer, &key, 30).unwrap();
        assert_eq!(check(&cert, &ca, &[]), Err(StaffCertError::NoStaffRole));
    }

    #[test]
    fn a_certificate_not_for_client_auth_is_refused() {
        let ca = TestCa::new("Staff CA").unwrap();
        let from = now() - Duration::hours(1);
        let cert = ca
            .issue_staff_as(
                "张三",
                &[StaffRole::Staff],
                &SoftSigner::generate_p256(),
                from,
                from + Duration::days(30),
                Profile::SecureEmail,
            )
            .unwrap();
        assert_eq!(
            check(&cert, &ca, &[]),
            Err(StaffCertError::NotForClientAuth)
        );
    }

    #[test]
    fn a_ca_certificate_is_refused() {
        let ca = TestCa::new("Staff CA").unwrap();
        let sub = ca.subordinate("Staff Issuing CA", 365).unwrap();
        assert_eq!(
            check(sub.certificate_der(), &ca, &[]),
            Err(StaffCertError::IsCa)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let ca = TestCa::new("Staff CA").unwrap();
        assert!(matches!(
            check(b"not a certificate", &ca, &[]),
            Err(StaffCertError::Malformed { .. })
        ));
        assert!(matches!(
            verify_token_signature(b"", &[0; 32], &[0; 64]),
            Err(StaffCertError::Malformed { .. })
        ));
    }

    #[test]
    fn a_certificate_revoked_by_its_ca_is_refused() {
        let ca = TestCa::new("Staff CA").unwrap();
        let key = SoftSigner::generate_p256();
        let cert = issue(&ca, &[StaffRole::Staff], &key);
        let other = issue(&ca, &[StaffRole::Staff], &key);
        let crl = ca.crl(&[(other, now())], now(), 1).unwrap();
        check(&cert, &ca, std::slice::from_ref(&crl)).unwrap();
        let crl2 = ca.crl(&[(cert.clone(), now())], now(), 2).unwrap();
        assert_eq!(
            check(&cert, &ca, &[crl, crl2]),
            Err(StaffCertError::Revoked {
                serial_hex: serial_of(&cert)
            })
        );
    }

    #[test]
    fn a_revoked_intermediate_revokes_what_it_issued() {
        let root = TestCa::new("Staff Root").unwrap();
        let issuing = root.subordinate("Staff Issuing CA", 365).unwrap();
        let cert = issue(&issuing, &[StaffRole::Staff], &SoftSigner::generate_p256());
        let crl = root
            .crl(&[(issuing.certificate_der().to_vec(), now())], now(), 1)
            .unwrap();
        assert_eq!(
            verify_staff_certificate(
                &cert,
                &[issuing.certificate_der().to_vec()],
                &[root.root_der()],
                &[crl],
                now()
            ),
            Err(StaffCertError::Revoked {
                serial_hex: serial_of(issuing.certificate_der())
            })
        );
    }

    #[test]
    fn a_revocation_list_signed_by_another_key_is_an_error() {
        let ca = TestCa::new("Staff CA").unwrap();
        let cert = issue(&ca, &[StaffRole::Staff], &SoftSigner::generate_p256());
        let forger = TestCa::new("Staff CA").unwrap();
        let crl = forger.crl(&[], now(), 1).unwrap();
        assert!(matches!(
            check(&cert, &ca, &[crl]),
            Err(StaffCertError::BadRevocationList(
                VerifyError::BadSignature { .. }
            ))
        ));
        assert!(matches!(
            check(&cert, &ca, &[b"garbage".to_vec()]),
            Err(StaffCertError::BadRevocationList(
                VerifyError::Malformed { .. }
            ))
        ));
    }

    #[test]
    fn a_revocation_list_of_another_issuer_is_skipped() {
        let ca = TestCa::new("Staff CA").unwrap();
        let cert = issue(&ca, &[StaffRole::Staff], &SoftSigner::generate_p256());
        // It even lists the same serial: it is about another CA's certificates.
        let other = TestCa::new("Customer CA").unwrap();
        let crl = other.crl(&[(cert.clone(), now())], now(), 1).unwrap();
        check(&cert, &ca, &[crl]).unwrap();
    }

    #[test]
    fn the_right_key_s_signature_verifies_and_nothing_else_does() {
        let ca = TestCa::new("Staff CA").unwrap();
        for (key, other) in [
            (SoftSigner::generate_p256(), SoftSigner::generate_p256()),
            (
                rsa(),
                SoftSigner::rsa_from_pkcs8_der(include_bytes!(
                    "../tests/fixtures/rsa-2048-new.pk8.der"
                ))
                .unwrap(),
            ),
        ] {
            let cert = issue(&ca, &[StaffRole::Staff], &key);
            let challenge = digest("challenge 1");
            let signature = key.sign_digest(&challenge).unwrap();
            verify_token_signature(&cert, &challenge, &signature).unwrap();

            let bad = |signature: &[u8], digest: &[u8; 32]| {
                assert_eq!(
                    verify_token_signature(&cert, digest, signature),
                    Err(StaffCertError::BadSignature)
                );
            };
            bad(&signature, &digest("challenge 2"));
            bad(&other.sign_digest(&challenge).unwrap(), &challenge);
            bad(&signature[..signature.len() - 1], &challenge);
            bad(&[], &challenge);
            bad(&vec![0x5A; signature.len()], &challenge);
            // A DER-encoded ECDSA signature is not what a token returns.
            if let Ok(der) = ecdsa_raw_to_der(&signature) {
                bad(&der, &challenge);
            }
        }
    }

    #[test]
    fn an_sm2_key_is_unsupported() {
        let ca = TestCa::new("Staff CA").unwrap();
        let mut cert = issue(&ca, &[StaffRole::Staff], &SoftSigner::generate_p256());
        // The P-256 curve OID in the SPKI becomes the SM2 curve's (same length).
        let p256 = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        let sm2 = [0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D];
        let at = cert.windows(p256.len()).position(|w| w == p256).unwrap();
        cert[at..at + p256.len()].copy_from_slice(&sm2);
        assert_eq!(
            verify_token_signature(&cert, &[0; 32], &[0; 64]),
            Err(StaffCertError::UnsupportedKey(KeyAlgorithm::Sm2))
        );
    }
}
