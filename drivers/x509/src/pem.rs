//! Certificates out of PEM text (the kiosk's device identity and CA roots
//! are PEM files): every `CERTIFICATE` block, DER, in file order. Other
//! blocks (the private key) are skipped, never returned.

use x509_parser::pem::Pem;

/// The DER of each certificate in `pem`, in order; reading stops at the
/// first block that is not valid PEM.
#[must_use]
pub fn certificates_from_pem(pem: &[u8]) -> Vec<Vec<u8>> {
    blocks(pem, "CERTIFICATE")
}

/// The DER of each certificate revocation list (`X509 CRL`) in `pem`.
#[must_use]
pub fn revocation_lists_from_pem(pem: &[u8]) -> Vec<Vec<u8>> {
    blocks(pem, "X509 CRL")
}

fn blocks(pem: &[u8], label: &str) -> Vec<Vec<u8>> {
    Pem::iter_from_buffer(pem)
        .map_while(Result::ok)
        .filter(|block| block.label == label)
        .map(|block| block.contents)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::test_ca::{TestCa, pem};

    #[test]
    fn certificates_come_out_in_order_and_keys_never() {
        let ca = TestCa::new("PEM Test CA").unwrap();
        let root = ca.root_der();
        let text = format!(
            "{}{}{}",
            pem("CERTIFICATE", &root),
            pem("PRIVATE KEY", b"secret key bytes"),
            pem("CERTIFICATE", &root)
        );
        let found = certificates_from_pem(text.as_bytes());
        assert_eq!(found, vec![root.clone(), root]);
        assert!(certificates_from_pem(b"not pem at all").is_empty());
    }
}
