//! X.509 for the kiosk's certificate renewal: reading the certificates on a
//! customer's key, building the renewal request signed on the key, proving
//! possession of the old key, and checking the certificate the CA returns
//! before it is written to the key.
//!
//! The flow, as the token driver runs it:
//!
//! 1. [`summarize`] / [`details`] each certificate on the token (a malformed
//!    one is an error to report and skip, never a panic);
//! 2. generate the new key pair on the token, then [`build_request`] with the
//!    old certificate's [`CertDetails::subject_der`] and the new key as a
//!    [`RemoteSigner`];
//! 3. [`prove`] possession of the old key over that request;
//! 4. send both; the CA runs [`verify_request`] and [`verify_proof`], and
//!    issues;
//! 5. [`verify_issued`] against the new key and the configured roots, and
//!    only then write the certificate to the token.
//!
//! Staff sign in with their own key: [`verify_staff_certificate`] checks the
//! certificate against the staff CA and its revocation lists, and
//! [`verify_token_signature`] the key's signature over a fresh challenge.
//!
//! Supported keys: RSA (PKCS #1 v1.5 with SHA-256) and ECDSA P-256 with
//! SHA-256. [`RemoteSigner`] documents the exact bytes a token must return.
//!
//! # SM2
//!
//! Many Chinese USB keys hold SM2 keys (GB/T 32918, curve OID
//! `1.2.156.10197.1.301` in an `id-ecPublicKey` SPKI). They are recognised
//! as [`KeyAlgorithm::Sm2`], shown in [`details`], and refused with an
//! `Unsupported` error by every signing and verifying function. Supporting
//! them needs:
//!
//! - signing on the token with the vendor's mechanism (PKCS #11 vendor
//!   mechanism or the SKF interface, `SKF_ECCSignData`), which for SM2 hashes
//!   with SM3 over `Z_A || message` (the user ID defaults to
//!   `1234567812345678`), so [`RemoteSigner::sign_digest`] would have to
//!   take the message or an SM3 `e` value instead of a SHA-256 digest;
//! - the request and certificates signed with `SM2-with-SM3`
//!   (OID `1.2.156.10197.1.501`, no parameters), the signature DER
//!   `SEQUENCE { INTEGER r, INTEGER s }` like ECDSA;
//! - an SM2/SM3 verifier (e.g. the RustCrypto `sm2` crate) behind
//!   `PublicKey`, and roots of the CA's SM2 hierarchy.
//!
//! # Features
//!
//! - `test-ca`: [`test_ca`], a small local CA and software signers for tests
//!   and for the reference CA service.

mod algorithm;
mod crl;
mod name;
mod pem;
mod possession;
mod public_key;
mod request;
mod signer;
mod staff;
mod subject;
mod summary;
#[cfg(feature = "test-ca")]
pub mod test_ca;
mod verify;

pub use algorithm::KeyAlgorithm;
pub use crl::revoked_serials;
pub use pem::{certificates_from_pem, revocation_lists_from_pem};
pub use possession::{PossessionError, ProofOfPossession, prove, verify_proof};
pub use public_key::PublicKeyError;
pub use request::{RequestError, build_request, verify_request};
pub use signer::{RemoteSigner, SignatureError, SignerError, digest_info_sha256};
pub use staff::{
    StaffCertError, StaffCertificate, StaffRole, verify_staff_certificate, verify_token_signature,
};
pub use subject::unit_subject;
pub use summary::{CertDetails, CertError, details, subject_common_name, summarize};
pub use verify::{VerifiedCertificate, VerifyError, verify_issued};
