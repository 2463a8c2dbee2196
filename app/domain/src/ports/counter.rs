//! What a member of staff declares to the CA about an order at the
//! kiosk, signed with their own staff key: a payment they took (spec §3.3:
//! "at the counter, staff mode records method and reference"), or the
//! order withdrawn. The CA acts only when the signature verifies with a
//! staff certificate of its staff CA that grants the staff role: a kiosk
//! alone can neither mark an order paid nor cancel it.
//!
//! [`sign_as_staff`] makes the signature on the staff key (its PIN, typed
//! again for each statement, then the statement's digest signed), over the
//! same two ports as the sign-in.

use super::key_writer::{KeyRef, KeyWriter, Pin};
use super::staff::{SignInRefusal, StaffCredentials, StaffRole};
use crate::flow::renewal::PinOutcome;
use crate::money::Fen;
use crate::order::text::Reference;
use crate::order_number::OrderNumber;
use crate::ports::DeviceError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// How the money reached the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterMethod {
    /// Cash or card at the CA's counter (the till's slip has the reference).
    Counter,
    /// A bank transfer finance has seen (the bank's reference).
    BankTransfer,
}

impl CounterMethod {
    /// The protocol's word for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::BankTransfer => "bank_transfer",
        }
    }
}

/// What the member of staff declares: this order is paid, by this method,
/// this amount, with this reference, at this time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterPayment {
    pub order: OrderNumber,
    pub method: CounterMethod,
    pub amount: Fen,
    pub reference: Reference,
    /// When the key signed it (whole seconds).
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

impl CounterPayment {
    /// The bytes the staff key signs: SHA-256 over a fixed context and
    /// each field, each ended by a NUL (no field holds one), so that the
    /// signature means nothing anywhere else and no two statements share
    /// it. `signed_at` enters as its Unix seconds.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(b"kiosk counter payment v1\0");
        for field in [
            self.order.as_str(),
            self.method.as_str(),
            &self.amount.0.to_string(),
            self.reference.as_str(),
            &self.signed_at.unix_timestamp().to_string(),
        ] {
            hash.update(field.as_bytes());
            hash.update(b"\0");
        }
        hash.finalize().into()
    }
}

/// A counter payment with the staff key's proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCounterPayment {
    pub payment: CounterPayment,
    /// The member of staff's certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The staff key's signature over [`CounterPayment::digest`], as the
    /// token returned it (P-256: raw `r || s`; RSA: PKCS #1 v1.5).
    pub signature: Vec<u8>,
}

/// What a member of staff declares: this order, waiting for its payment,
/// is withdrawn (the customer asked, or left it), at this time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancel {
    pub order: OrderNumber,
    /// When the key signed it (whole seconds).
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

impl OrderCancel {
    /// The bytes the staff key signs, in the manner of
    /// [`CounterPayment::digest`] with a context of its own.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(b"kiosk order cancel v1\0");
        for field in [
            self.order.as_str(),
            &self.signed_at.unix_timestamp().to_string(),
        ] {
            hash.update(field.as_bytes());
            hash.update(b"\0");
        }
        hash.finalize().into()
    }
}

/// An order cancel with the staff key's proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOrderCancel {
    pub cancel: OrderCancel,
    /// The member of staff's certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The staff key's signature over [`OrderCancel::digest`].
    pub signature: Vec<u8>,
}

/// A staff key's signature and the certificate that verifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSignature {
    pub certificate_der: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Signs `payment` with the staff key `staff_key`: [`sign_as_staff`]
/// over its digest.
///
/// # Errors
/// As [`sign_as_staff`].
pub fn sign_counter_payment<K: KeyWriter, C: StaffCredentials + ?Sized>(
    writer: &mut K,
    credentials: &C,
    staff_key: &KeyRef,
    pin: Pin,
    payment: CounterPayment,
    now: OffsetDateTime,
) -> Result<SignedCounterPayment, SignInRefusal> {
    let signed = sign_as_staff(writer, credentials, staff_key, pin, &payment.digest(), now)?;
    Ok(SignedCounterPayment {
        payment,
        certificate_der: signed.certificate_der,
        signature: signed.signature,
    })
}

/// Signs `cancel` with the staff key `staff_key`: [`sign_as_staff`] over
/// its digest.
///
/// # Errors
/// As [`sign_as_staff`].
pub fn sign_order_cancel<K: KeyWriter, C: StaffCredentials + ?Sized>(
    writer: &mut K,
    credentials: &C,
    staff_key: &KeyRef,
    pin: Pin,
    cancel: OrderCancel,
    now: OffsetDateTime,
) -> Result<SignedOrderCancel, SignInRefusal> {
    let signed = sign_as_staff(writer, credentials, staff_key, pin, &cancel.digest(), now)?;
    Ok(SignedOrderCancel {
        cancel,
        certificate_der: signed.certificate_der,
        signature: signed.signature,
    })
}

/// Signs `digest` with the staff key `staff_key` (signed in before): its
/// staff certificate is found on it and checked again at `now`, `pin`
/// verified, the digest signed and the signature checked with the
/// certificate before anything leaves the kiosk. The key is logged out
/// again whatever happened.
///
/// # Errors
/// Why nothing was signed (the key pulled, the PIN wrong, the certificate
/// no longer a staff credential).
pub fn sign_as_staff<K: KeyWriter, C: StaffCredentials + ?Sized>(
    writer: &mut K,
    credentials: &C,
    staff_key: &KeyRef,
    pin: Pin,
    digest: &[u8; 32],
    now: OffsetDateTime,
) -> Result<StaffSignature, SignInRefusal> {
    let keys = writer.keys().map_err(|e| key_failed(&e))?;
    let inserted = keys
        .iter()
        .find(|k| &k.key == staff_key)
        .ok_or(SignInRefusal::NoKey)?;
    let mut refusal = None;
    let certificate = inserted
        .certificates
        .iter()
        .find(|c| match credentials.check(&c.der, now) {
            Ok(member) if member.roles.contains(&StaffRole::Staff) => true,
            Ok(_) => {
                refusal = refusal.or(Some(super::staff::CredentialRefusal::NoStaffRole));
                false
            }
            Err(super::staff::CredentialRefusal::NotTrusted) => false,
            Err(other) => {
                refusal = refusal.or(Some(other));
                false
            }
        });
    let Some(certificate) = certificate else {
        return Err(refusal.map_or(SignInRefusal::NotAStaffKey, SignInRefusal::Credential));
    };
    let signed = (|| {
        match writer
            .verify_pin(staff_key, pin)
            .map_err(|e| key_failed(&e))?
        {
            PinOutcome::Verified => {}
            other => return Err(SignInRefusal::Pin(other)),
        }
        let signature = writer
            .sign_digest(staff_key, &certificate.key_id, digest)
            .map_err(|e| key_failed(&e))?;
        if !credentials.signed_by(&certificate.der, digest, &signature) {
            return Err(SignInRefusal::BadSignature);
        }
        Ok(signature)
    })();
    // A key that cannot log out was pulled: nothing stays open on it.
    let _ = writer.logout(staff_key);
    Ok(StaffSignature {
        certificate_der: certificate.der.clone(),
        signature: signed?,
    })
}

fn key_failed<E: DeviceError>(e: &E) -> SignInRefusal {
    super::staff::key_failed(e)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn payment() -> CounterPayment {
        CounterPayment {
            order: crate::fixtures::order_number(1),
            method: CounterMethod::Counter,
            amount: Fen(20_000),
            reference: "POS-0001".parse().unwrap(),
            signed_at: time::macros::datetime!(2026-12-06 10:00 UTC),
        }
    }

    #[test]
    fn every_field_is_in_the_digest() {
        let base = payment();
        let digest = base.digest();
        let changed = [
            CounterPayment {
                order: crate::fixtures::order_number(2),
                ..base.clone()
            },
            CounterPayment {
                method: CounterMethod::BankTransfer,
                ..base.clone()
            },
            CounterPayment {
                amount: Fen(20_001),
                ..base.clone()
            },
            CounterPayment {
                reference: "POS-00010".parse().unwrap(),
                ..base.clone()
            },
            CounterPayment {
                signed_at: base.signed_at + time::Duration::seconds(1),
                ..base.clone()
            },
        ];
        for other in changed {
            assert_ne!(other.digest(), digest, "{other:?}");
        }
        assert_eq!(payment().digest(), digest);
    }

    #[test]
    fn a_cancel_signs_its_order_and_time_and_nothing_else() {
        let cancel = OrderCancel {
            order: crate::fixtures::order_number(1),
            signed_at: time::macros::datetime!(2026-12-06 10:00 UTC),
        };
        let other = OrderCancel {
            order: crate::fixtures::order_number(2),
            ..cancel.clone()
        };
        let later = OrderCancel {
            signed_at: cancel.signed_at + time::Duration::seconds(1),
            ..cancel.clone()
        };
        assert_ne!(cancel.digest(), other.digest());
        assert_ne!(cancel.digest(), later.digest());
        // Never the digest of a payment of the same order at that time.
        assert_ne!(cancel.digest(), payment().digest());
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        // The amount's digits moved into the reference: another statement.
        let a = CounterPayment {
            amount: Fen(12),
            reference: "3".parse().unwrap(),
            ..payment()
        };
        let b = CounterPayment {
            amount: Fen(1),
            reference: "23".parse().unwrap(),
            ..payment()
        };
        assert_ne!(a.digest(), b.digest());
    }
}
