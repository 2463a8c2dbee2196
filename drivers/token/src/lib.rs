//! The customer's USB key through PKCS#11 (`cryptoki`): the domain's
//! [`KeyWriter`](kiosk_domain::ports::key_writer::KeyWriter) port.
//!
//! - [`module`]: load the configured PKCS#11 modules (SoftHSM2 and OpenSC by
//!   default, `KIOSK_PKCS11_MODULES` overrides); missing ones are reported.
//! - [`discovery`]: inserted keys (looked up by serial and label, never by
//!   slot number) and a polling [`discovery::Watcher`]; [`token_info`]: what
//!   a token says about itself, even when `cryptoki` cannot convert all of
//!   it (opencryptoki's clock).
//! - [`read`]: certificates paired with keys by `CKA_ID`.
//! - [`pin`]: user login and the PIN flags → [`PinOutcome`](kiosk_domain::flow::renewal::PinOutcome).
//! - [`profile`]: which algorithms and mechanisms a key model offers (room
//!   for a vendor's SM2 mechanism); [`algorithm`]: what a renewal's new key
//!   pair is (the old certificate's algorithm and size, if the key offers
//!   it), decided before payment.
//! - [`keygen`], [`sign`], [`write`](mod@write), [`abandoned`]: the install's token work.
//! - [`renew`]: the token's part of each install action of a renewal
//!   (key pair, request + proof of possession, verify-then-write, retire).
//! - [`writer`]: [`Pkcs11KeyWriter`], all of it behind the port.
//! - [`x509`]: on-token keys as `kiosk-x509`'s `RemoteSigner`, and its
//!   certificate summaries as the port's `CertificateReader`.
//! - [`der`]: the little DER the token needs (SPKI, DigestInfo, EC point).
//!
//! The PIN is never logged or formatted: it goes from the domain's `Pin`
//! into one `C_Login` call and is zeroed when the call returns.

pub mod abandoned;
pub mod algorithm;
pub mod der;
pub mod discovery;
pub mod error;
pub mod keygen;
pub mod module;
pub mod object;
pub mod onsite;
pub mod pin;
pub mod profile;
pub mod read;
pub mod renew;
pub mod sign;
pub mod token_info;
pub mod usb;
pub mod write;
pub mod writer;
pub mod x509;

pub use error::TokenError;
pub use writer::{KeyProtection, Pkcs11KeyWriter, WriterConfig};
