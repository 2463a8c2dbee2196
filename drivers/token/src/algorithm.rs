//! Which algorithm the new key pair of a renewal is: the old certificate's
//! algorithm and size, if the key can make such a pair and the kiosk can
//! sign a request with it. Answered before payment, so that a key that
//! cannot renew its certificate at this kiosk is told so before the
//! customer pays, not at key generation after it.
//!
//! What a key can make is its model's [`TokenProfile`] narrowed by what the
//! token says of each mechanism the profile needs (`C_GetMechanismInfo`:
//! offered at all, the generate-key-pair or sign flag, the key sizes). The
//! decision itself ([`offered`], [`choose`]) is pure and unit-tested as a
//! table; [`read_mechanisms`] is the only part that talks to the token.

use crate::error::{Result, TokenError, rv};
use crate::module::Module;
use crate::profile::{AlgorithmProfile, KeyGen, SignWith, TokenProfile};
use cryptoki::error::RvError;
use cryptoki::mechanism::MechanismType;
use cryptoki::slot::Slot;
use kiosk_domain::ports::key_writer::KeyAlgorithm;
use std::collections::BTreeMap;

/// A mechanism a profile may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// `CKM_RSA_PKCS_KEY_PAIR_GEN`.
    RsaKeyPairGen,
    /// `CKM_RSA_PKCS` (signing a `DigestInfo` built on the host).
    RsaPkcs,
    /// `CKM_EC_KEY_PAIR_GEN`.
    EcKeyPairGen,
    /// `CKM_ECDSA` (signing a digest made on the host).
    Ecdsa,
    /// A vendor mechanism (SM2 key generation or signing).
    Vendor(u64),
}

/// What a token says of one mechanism it offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MechanismFacts {
    /// Key sizes as the token reports them (bits for RSA and EC by the
    /// standard; some tokens give bytes; 0 and 0 when meaningless).
    pub min_key_size: u64,
    pub max_key_size: u64,
    /// `CKF_GENERATE_KEY_PAIR`.
    pub generate_key_pair: bool,
    /// `CKF_SIGN`.
    pub sign: bool,
}

/// The mechanisms a token offers, of those asked for.
pub type MechanismTable = BTreeMap<Mechanism, MechanismFacts>;

/// Why no new key pair like the old one can be made at this kiosk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgorithmRefusal {
    /// The old certificate's key is of a kind the kiosk does not renew
    /// (e.g. RSA-1024, ECDSA P-384).
    #[error("the old certificate's key ({old}) is not one the kiosk renews")]
    OldKeyUnsupported { old: String },
    /// The key cannot make a key pair of the old certificate's algorithm
    /// and size: its model's profile or its mechanisms do not allow it.
    #[error("this key cannot make a {wanted:?} key pair (it offers {offered:?})")]
    AlgorithmUnavailable {
        wanted: KeyAlgorithm,
        offered: Vec<KeyAlgorithm>,
    },
    /// The key could, but the kiosk cannot sign a request with such a key
    /// yet (SM2: see `kiosk-x509`'s crate documentation).
    #[error("the kiosk cannot sign renewal requests with {0:?} keys yet")]
    NotSupportedByKiosk(KeyAlgorithm),
}

/// The mechanisms one algorithm of a profile needs: key generation, then
/// signing.
#[must_use]
pub fn needs(algorithm: &AlgorithmProfile) -> [Mechanism; 2] {
    let keygen = match algorithm.keygen {
        KeyGen::Rsa { .. } => Mechanism::RsaKeyPairGen,
        KeyGen::Ec { .. } => Mechanism::EcKeyPairGen,
        KeyGen::VendorEc { mechanism, .. } => Mechanism::Vendor(mechanism),
    };
    let sign = match algorithm.sign {
        SignWith::RsaPkcsDigestInfo => Mechanism::RsaPkcs,
        SignWith::EcdsaRaw => Mechanism::Ecdsa,
        SignWith::Vendor { mechanism } => Mechanism::Vendor(mechanism),
    };
    [keygen, sign]
}

/// Every mechanism any algorithm of the profile needs.
#[must_use]
pub fn needed(profile: &TokenProfile) -> Vec<Mechanism> {
    let mut all: Vec<Mechanism> = profile.algorithms.iter().flat_map(needs).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Whether a size range holds `bits` (or `bits / 8` when the token
/// evidently reports bytes). A range of 0..0 says nothing and holds all.
fn size_ok(facts: &MechanismFacts, bits: u64, largest_in_bytes: u64) -> bool {
    let (min, max) = (facts.min_key_size, facts.max_key_size);
    if max == 0 {
        return true;
    }
    if max <= largest_in_bytes {
        return (min..=max).contains(&bits.div_ceil(8));
    }
    (min..=max).contains(&bits)
}

/// Whether the token's mechanisms allow this algorithm of its profile.
/// Standard mechanisms must carry the right flag and size range; a vendor
/// mechanism only has to be offered (vendors' tables are often incomplete).
#[must_use]
pub fn supports(algorithm: &AlgorithmProfile, table: &MechanismTable) -> bool {
    let [keygen, sign] = needs(algorithm);
    let (Some(k), Some(s)) = (table.get(&keygen), table.get(&sign)) else {
        return false;
    };
    match (&algorithm.keygen, algorithm.sign) {
        (KeyGen::Rsa { bits }, SignWith::RsaPkcsDigestInfo) => {
            // No RSA key is under 512 bits: a maximum below that is bytes.
            k.generate_key_pair && s.sign && size_ok(k, *bits, 511) && size_ok(s, *bits, 511)
        }
        (KeyGen::Ec { .. }, SignWith::EcdsaRaw) => {
            // P-256: 256 bits, or 32 bytes from tokens that count bytes
            // (their maximum is at most 66, P-521's).
            k.generate_key_pair && s.sign && size_ok(k, 256, 66) && size_ok(s, 256, 66)
        }
        (KeyGen::VendorEc { .. }, _) | (_, SignWith::Vendor { .. }) => true,
        // A profile that pairs, say, RSA generation with ECDSA signing
        // cannot work on any token.
        _ => false,
    }
}

/// The algorithms the key can make a key pair of: its profile's, in the
/// profile's order, that its mechanisms allow.
#[must_use]
pub fn offered(profile: &TokenProfile, table: &MechanismTable) -> Vec<KeyAlgorithm> {
    profile
        .algorithms
        .iter()
        .filter(|a| supports(a, table))
        .map(|a| a.algorithm)
        .collect()
}

/// The algorithm of a new key pair like the old certificate's key.
///
/// # Errors
/// [`AlgorithmRefusal::OldKeyUnsupported`] for keys the kiosk does not make.
pub fn like_old(old: &kiosk_x509::KeyAlgorithm) -> Result<KeyAlgorithm, AlgorithmRefusal> {
    let unsupported = || AlgorithmRefusal::OldKeyUnsupported {
        old: old.to_string(),
    };
    match old {
        kiosk_x509::KeyAlgorithm::Rsa { bits } => KeyAlgorithm::rsa(*bits).ok_or_else(unsupported),
        kiosk_x509::KeyAlgorithm::EcP256 => Ok(KeyAlgorithm::EcP256),
        kiosk_x509::KeyAlgorithm::Sm2 => Ok(KeyAlgorithm::Sm2),
        kiosk_x509::KeyAlgorithm::Other(_) => Err(unsupported()),
    }
}

/// Whether the kiosk can sign a renewal request (and the proof with the old
/// key) with keys of this algorithm: what `kiosk-x509` signs (RSA with
/// SHA-256 and ECDSA P-256; SM2 is recognised but refused). A test checks
/// this against `kiosk_x509::build_request`.
#[must_use]
pub fn kiosk_signs(algorithm: KeyAlgorithm) -> bool {
    !matches!(algorithm, KeyAlgorithm::Sm2)
}

/// The decision: the old certificate's algorithm and size, if the kiosk
/// signs with it and the key offers it.
///
/// # Errors
/// See [`AlgorithmRefusal`].
pub fn choose(
    old: &kiosk_x509::KeyAlgorithm,
    offered: &[KeyAlgorithm],
) -> Result<KeyAlgorithm, AlgorithmRefusal> {
    let wanted = like_old(old)?;
    if !kiosk_signs(wanted) {
        return Err(AlgorithmRefusal::NotSupportedByKiosk(wanted));
    }
    if offered.contains(&wanted) {
        Ok(wanted)
    } else {
        Err(AlgorithmRefusal::AlgorithmUnavailable {
            wanted,
            offered: offered.to_vec(),
        })
    }
}

fn mechanism_type(mechanism: Mechanism) -> Result<MechanismType> {
    Ok(match mechanism {
        Mechanism::RsaKeyPairGen => MechanismType::RSA_PKCS_KEY_PAIR_GEN,
        Mechanism::RsaPkcs => MechanismType::RSA_PKCS,
        Mechanism::EcKeyPairGen => MechanismType::ECC_KEY_PAIR_GEN,
        Mechanism::Ecdsa => MechanismType::ECDSA,
        Mechanism::Vendor(value) => MechanismType::new_vendor_defined(value)
            .map_err(|_| TokenError::Malformed("vendor mechanism value"))?,
    })
}

/// What is assumed of a mechanism a token lists but cannot describe.
const ASSUMED: MechanismFacts = MechanismFacts {
    min_key_size: 0,
    max_key_size: 0,
    generate_key_pair: true,
    sign: true,
};

/// For a token without `C_GetMechanismInfo`: a standard mechanism counts as
/// offered when the token lists it (or when it cannot list either: then its
/// model's profile is all there is to go by); a vendor mechanism is taken
/// on the profile's word (`cryptoki` drops vendor values from lists).
#[must_use]
pub fn undescribed(
    mechanism: Mechanism,
    listed: Option<&[MechanismType]>,
) -> Option<MechanismFacts> {
    match (mechanism, listed) {
        (Mechanism::Vendor(_), _) | (_, None) => Some(ASSUMED),
        (m, Some(list)) => {
            let ty = mechanism_type(m).ok()?;
            list.contains(&ty).then_some(ASSUMED)
        }
    }
}

/// Asks the token about each mechanism (`C_GetMechanismInfo`, which needs no
/// PIN). One it does not offer is left out of the table. `cryptoki`'s
/// `get_mechanism_list` is used only for tokens that cannot describe their
/// mechanisms ([`undescribed`]): it drops vendor mechanisms.
///
/// # Errors
/// The key is gone.
pub fn read_mechanisms(
    module: &Module,
    slot: Slot,
    wanted: &[Mechanism],
) -> Result<MechanismTable> {
    let mut table = MechanismTable::new();
    let mut listed: Option<Option<Vec<MechanismType>>> = None;
    for &mechanism in wanted {
        match module
            .ctx()
            .get_mechanism_info(slot, mechanism_type(mechanism)?)
        {
            Err(e) if rv(&e) == Some(RvError::FunctionNotSupported) => {
                let list = listed.get_or_insert_with(|| module.ctx().get_mechanism_list(slot).ok());
                if let Some(facts) = undescribed(mechanism, list.as_deref()) {
                    table.insert(mechanism, facts);
                }
            }
            Ok(info) => {
                let size = |s: usize| u64::try_from(s).unwrap_or(u64::MAX);
                table.insert(
                    mechanism,
                    MechanismFacts {
                        min_key_size: size(info.min_key_size()),
                        max_key_size: size(info.max_key_size()),
                        generate_key_pair: info.generate_key_pair(),
                        sign: info.sign(),
                    },
                );
            }
            Err(e) if rv(&e) == Some(RvError::MechanismInvalid) => {}
            Err(e) => match TokenError::pkcs11("mechanism info", e) {
                removed @ TokenError::Removed(_) => return Err(removed),
                other => {
                    tracing::debug!(?mechanism, error = %other, "mechanism taken as not offered");
                }
            },
        }
    }
    Ok(table)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::profile::{generic_profile, sm2_curve_params};
    use KeyAlgorithm::{EcP256, Rsa2048, Rsa3072, Rsa4096, Sm2};

    const SM2_GEN: u64 = 0x8000_0000 | 0x0001_0001;
    const SM2_SIGN: u64 = 0x8000_0000 | 0x0001_0002;

    fn facts(min: u64, max: u64, generate_key_pair: bool, sign: bool) -> MechanismFacts {
        MechanismFacts {
            min_key_size: min,
            max_key_size: max,
            generate_key_pair,
            sign,
        }
    }

    fn table(entries: &[(Mechanism, MechanismFacts)]) -> MechanismTable {
        entries.iter().copied().collect()
    }

    /// SoftHSM2 2.6 (measured): RSA 512..16384, EC 256..521.
    fn softhsm() -> MechanismTable {
        table(&[
            (Mechanism::RsaKeyPairGen, facts(512, 16384, true, false)),
            (Mechanism::RsaPkcs, facts(512, 16384, false, true)),
            (Mechanism::EcKeyPairGen, facts(256, 521, true, false)),
            (Mechanism::Ecdsa, facts(256, 521, false, true)),
        ])
    }

    /// opencryptoki 3.8's soft token (measured): RSA 512..4096, no EC.
    fn opencryptoki() -> MechanismTable {
        table(&[
            (Mechanism::RsaKeyPairGen, facts(512, 4096, true, false)),
            (Mechanism::RsaPkcs, facts(512, 4096, false, true)),
        ])
    }

    /// A Chinese USB key: RSA up to 2048 and SM2 through vendor mechanisms
    /// (which report no sizes and no flags).
    fn rsa_and_sm2_key() -> (TokenProfile, MechanismTable) {
        let mut profile = TokenProfile {
            name: "vendor".into(),
            manufacturer: Some("Vendor".into()),
            model: None,
            algorithms: generic_profile().algorithms,
        };
        profile.algorithms.push(AlgorithmProfile {
            algorithm: Sm2,
            keygen: KeyGen::VendorEc {
                mechanism: SM2_GEN,
                key_type: 0x8000_0000 | 0x0001_0001,
                curve_oid_der: sm2_curve_params(),
            },
            sign: SignWith::Vendor {
                mechanism: SM2_SIGN,
            },
        });
        let mechanisms = table(&[
            (Mechanism::RsaKeyPairGen, facts(1024, 2048, true, false)),
            (Mechanism::RsaPkcs, facts(1024, 2048, false, true)),
            (Mechanism::Vendor(SM2_GEN), facts(0, 0, false, false)),
            (Mechanism::Vendor(SM2_SIGN), facts(0, 0, false, false)),
        ]);
        (profile, mechanisms)
    }

    #[test]
    fn what_each_token_offers() {
        let generic = generic_profile();
        assert_eq!(
            offered(&generic, &softhsm()),
            [Rsa2048, Rsa3072, Rsa4096, EcP256]
        );
        assert_eq!(
            offered(&generic, &opencryptoki()),
            [Rsa2048, Rsa3072, Rsa4096]
        );
        let (vendor, mechanisms) = rsa_and_sm2_key();
        assert_eq!(offered(&vendor, &mechanisms), [Rsa2048, Sm2]);
        // Sizes in bytes (RSA 128..256 bytes, EC 32..48 bytes).
        let bytes = table(&[
            (Mechanism::RsaKeyPairGen, facts(128, 256, true, false)),
            (Mechanism::RsaPkcs, facts(128, 256, false, true)),
            (Mechanism::EcKeyPairGen, facts(32, 48, true, false)),
            (Mechanism::Ecdsa, facts(32, 48, false, true)),
        ]);
        assert_eq!(offered(&generic, &bytes), [Rsa2048, EcP256]);
        // Sizes that say nothing.
        let silent = table(&[
            (Mechanism::EcKeyPairGen, facts(0, 0, true, false)),
            (Mechanism::Ecdsa, facts(0, 0, false, true)),
        ]);
        assert_eq!(offered(&generic, &silent), [EcP256]);
        // Offered, but without the flag: not usable.
        let no_flags = table(&[
            (Mechanism::EcKeyPairGen, facts(256, 521, false, false)),
            (Mechanism::Ecdsa, facts(256, 521, false, true)),
            (Mechanism::RsaKeyPairGen, facts(512, 4096, true, false)),
            (Mechanism::RsaPkcs, facts(512, 4096, false, false)),
        ]);
        assert_eq!(offered(&generic, &no_flags), []);
        // A profile with nothing the token has.
        assert_eq!(offered(&generic, &MechanismTable::new()), []);
        assert_eq!(
            needed(&generic),
            [
                Mechanism::RsaKeyPairGen,
                Mechanism::RsaPkcs,
                Mechanism::EcKeyPairGen,
                Mechanism::Ecdsa
            ]
        );
    }

    #[test]
    fn the_decision_table() {
        use kiosk_x509::KeyAlgorithm as Old;
        let all = [Rsa2048, Rsa3072, Rsa4096, EcP256, Sm2];
        let rsa_only = [Rsa2048, Rsa3072, Rsa4096];
        let rsa2048_sm2 = [Rsa2048, Sm2];
        let unavailable = |wanted, offered: &[KeyAlgorithm]| {
            Err(AlgorithmRefusal::AlgorithmUnavailable {
                wanted,
                offered: offered.to_vec(),
            })
        };
        let rows: Vec<(Old, &[KeyAlgorithm], Result<KeyAlgorithm, AlgorithmRefusal>)> = vec![
            // Same algorithm and size when offered.
            (Old::Rsa { bits: 2048 }, &all, Ok(Rsa2048)),
            (Old::Rsa { bits: 3072 }, &all, Ok(Rsa3072)),
            (Old::Rsa { bits: 4096 }, &all, Ok(Rsa4096)),
            (Old::EcP256, &all, Ok(EcP256)),
            (Old::Rsa { bits: 2048 }, &rsa_only, Ok(Rsa2048)),
            (Old::Rsa { bits: 2048 }, &rsa2048_sm2, Ok(Rsa2048)),
            // Never another algorithm or size instead.
            (Old::EcP256, &rsa_only, unavailable(EcP256, &rsa_only)),
            (
                Old::Rsa { bits: 4096 },
                &rsa2048_sm2,
                unavailable(Rsa4096, &rsa2048_sm2),
            ),
            (Old::Rsa { bits: 3072 }, &[], unavailable(Rsa3072, &[])),
            // Keys the kiosk does not make.
            (
                Old::Rsa { bits: 1024 },
                &all,
                Err(AlgorithmRefusal::OldKeyUnsupported {
                    old: "RSA-1024".into(),
                }),
            ),
            (
                Old::Other("1.2.840.10045.2.1 1.3.132.0.34".into()),
                &all,
                Err(AlgorithmRefusal::OldKeyUnsupported {
                    old: "unknown algorithm 1.2.840.10045.2.1 1.3.132.0.34".into(),
                }),
            ),
            // SM2: the key may offer it, the kiosk cannot sign with it yet.
            (
                Old::Sm2,
                &rsa2048_sm2,
                Err(AlgorithmRefusal::NotSupportedByKiosk(Sm2)),
            ),
            (
                Old::Sm2,
                &rsa_only,
                Err(AlgorithmRefusal::NotSupportedByKiosk(Sm2)),
            ),
        ];
        for (old, offered, expected) in rows {
            assert_eq!(choose(&old, offered), expected, "{old} with {offered:?}");
        }
    }

    #[test]
    fn tokens_that_cannot_describe_their_mechanisms() {
        let listed = [
            MechanismType::RSA_PKCS_KEY_PAIR_GEN,
            MechanismType::RSA_PKCS,
        ];
        let table: MechanismTable = needed(&generic_profile())
            .into_iter()
            .filter_map(|m| Some((m, undescribed(m, Some(&listed))?)))
            .collect();
        assert_eq!(
            offered(&generic_profile(), &table),
            [Rsa2048, Rsa3072, Rsa4096]
        );
        // Not even a list: the profile is all there is.
        assert_eq!(undescribed(Mechanism::Ecdsa, None), Some(ASSUMED));
        assert_eq!(
            undescribed(Mechanism::Vendor(SM2_GEN), Some(&listed)),
            Some(ASSUMED)
        );
    }

    /// [`kiosk_signs`] says what `kiosk-x509` does: it builds a request for
    /// a P-256 key and refuses an SM2 key for what it is.
    #[test]
    fn kiosk_signs_agrees_with_the_x509_crate() {
        use kiosk_x509::test_ca::SoftSigner;
        let subject =
            kiosk_x509::unit_subject("测试单位有限公司", &"91350100M000100Y43".parse().unwrap());
        assert!(kiosk_signs(EcP256));
        assert!(kiosk_x509::build_request(&subject, &SoftSigner::generate_p256()).is_ok());

        struct Sm2Key(Vec<u8>);
        impl kiosk_x509::RemoteSigner for Sm2Key {
            fn algorithm(&self) -> kiosk_x509::KeyAlgorithm {
                kiosk_x509::KeyAlgorithm::Sm2
            }
            fn public_key_spki_der(&self) -> Vec<u8> {
                self.0.clone()
            }
            fn sign_digest(&self, _: &[u8; 32]) -> Result<Vec<u8>, kiosk_x509::SignerError> {
                Err(kiosk_x509::SignerError::Token("not reached".into()))
            }
        }
        let mut point = vec![0x04];
        point.extend([0x11; 64]);
        let spki = crate::der::ec_spki(&sm2_curve_params(), &point);
        assert!(!kiosk_signs(Sm2));
        assert_eq!(
            kiosk_x509::build_request(&subject, &Sm2Key(spki)),
            Err(kiosk_x509::RequestError::PublicKey(
                kiosk_x509::PublicKeyError::Unsupported(kiosk_x509::KeyAlgorithm::Sm2)
            ))
        );
    }
}
