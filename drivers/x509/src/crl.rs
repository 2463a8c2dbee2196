//! Certificate revocation lists: which certificates a CA has withdrawn
//! (the reference CA lists each certificate an order's later attempt
//! superseded, so that one paid order never leaves two valid certificates).

use crate::name::display;
use crate::public_key::PublicKey;
use crate::verify::VerifyError;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// The serials (upper-case hex without leading zeros, as certificate
/// summaries give them) a CRL lists, once its signature verifies with the
/// key of `issuer_der` and it names that issuer.
///
/// # Errors
/// The CRL or the issuer is not valid DER, names another issuer, or its
/// signature does not verify.
pub fn revoked_serials(crl_der: &[u8], issuer_der: &[u8]) -> Result<Vec<String>, VerifyError> {
    let malformed = |what: &str, reason: String| VerifyError::Malformed {
        what: what.to_owned(),
        reason,
    };
    let (_, crl) = CertificateRevocationList::from_der(crl_der)
        .map_err(|e| malformed("the revocation list", e.to_string()))?;
    let (_, issuer) = X509Certificate::from_der(issuer_der)
        .map_err(|e| malformed("the CA certificate", e.to_string()))?;
    if crl.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(VerifyError::UnknownIssuer {
            subject: "the revocation list".to_owned(),
            issuer: display(crl.issuer()),
        });
    }
    PublicKey::from_spki_der(issuer.public_key().raw)
        .and_then(|key| {
            key.verify_sha256(
                &crl.signature_algorithm.algorithm.to_id_string(),
                crl.tbs_cert_list.as_ref(),
                &crl.signature_value.data,
            )
        })
        .map_err(|_| VerifyError::BadSignature {
            subject: "the revocation list".to_owned(),
            issuer: display(issuer.subject()),
        })?;
    Ok(crl
        .iter_revoked_certificates()
        .map(|r| r.serial().to_str_radix(16).to_uppercase())
        .collect())
}
