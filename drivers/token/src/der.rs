//! Just enough DER for the token: SubjectPublicKeyInfo, the SHA-256
//! DigestInfo, the OCTET STRING around `CKA_EC_POINT`, and the names and
//! serial of a certificate (for `CKA_SUBJECT`/`CKA_ISSUER`/`CKA_SERIAL_NUMBER`).

/// `1.2.840.113549.1.1.1` rsaEncryption.
pub const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// `1.2.840.10045.2.1` id-ecPublicKey.
pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// `1.2.840.10045.3.1.7` prime256v1 (P-256).
pub const OID_PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `1.2.156.10197.1.301` sm2p256v1.
pub const OID_SM2P256V1: &[u8] = &[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
/// `2.16.840.1.101.3.4.2.1` id-sha256.
pub const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

pub const TAG_INTEGER: u8 = 0x02;
pub const TAG_BIT_STRING: u8 = 0x03;
pub const TAG_OCTET_STRING: u8 = 0x04;
pub const TAG_NULL: u8 = 0x05;
pub const TAG_OID: u8 = 0x06;
pub const TAG_SEQUENCE: u8 = 0x30;

/// One DER TLV with a definite length.
#[must_use]
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len.to_be_bytes()[7]);
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
        let n = bytes.len() - first;
        out.push(0x80 | n.to_be_bytes()[7]);
        out.extend_from_slice(&bytes[first..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
#[must_use]
pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

/// An unsigned big-endian number as a DER INTEGER.
#[must_use]
pub fn unsigned_integer(be: &[u8]) -> Vec<u8> {
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let trimmed = &be[first..];
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(TAG_INTEGER, &content)
}

/// A parsed TLV: its tag, the whole encoding and the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub whole: &'a [u8],
    pub content: &'a [u8],
}

/// Reads one TLV from the front of `input`; returns it and the rest.
#[must_use]
pub fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags do not occur in what we read
    }
    let first_len = *input.get(1)?;
    let (len, header) = if first_len < 0x80 {
        (usize::from(first_len), 2)
    } else {
        let n = usize::from(first_len & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        if bytes.first() == Some(&0) {
            return None;
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        if len < 0x80 {
            return None;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((
        Tlv {
            tag,
            whole,
            content: &whole[header..],
        },
        &input[end..],
    ))
}

/// Reads exactly one TLV of the given tag that fills `input`.
#[must_use]
pub fn read_only(input: &[u8], tag: u8) -> Option<Tlv<'_>> {
    match read_tlv(input)? {
        (t, []) if t.tag == tag => Some(t),
        _ => None,
    }
}

/// `CKA_EC_POINT` is the point wrapped in an OCTET STRING (some modules
/// return it bare): returns the uncompressed point `04 || x || y`.
#[must_use]
pub fn unwrap_ec_point(value: &[u8]) -> Option<Vec<u8>> {
    if let Some(t) = read_only(value, TAG_OCTET_STRING)
        && t.content.first() == Some(&0x04)
    {
        return Some(t.content.to_vec());
    }
    (value.first() == Some(&0x04) && !value.len().is_multiple_of(2)).then(|| value.to_vec())
}

/// `SubjectPublicKeyInfo` of an RSA key.
#[must_use]
pub fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let algorithm = sequence(&[&tlv(TAG_OID, OID_RSA_ENCRYPTION), &tlv(TAG_NULL, &[])]);
    let key = sequence(&[&unsigned_integer(modulus), &unsigned_integer(exponent)]);
    sequence(&[&algorithm, &bit_string(&key)])
}

/// `SubjectPublicKeyInfo` of an EC key; `curve_params` is the DER of the
/// named curve's OID (as in `CKA_EC_PARAMS`).
#[must_use]
pub fn ec_spki(curve_params: &[u8], point: &[u8]) -> Vec<u8> {
    let algorithm = sequence(&[&tlv(TAG_OID, OID_EC_PUBLIC_KEY), curve_params]);
    sequence(&[&algorithm, &bit_string(point)])
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    tlv(TAG_BIT_STRING, &content)
}

/// `DigestInfo` for a SHA-256 digest (what PKCS#1 v1.5 signs).
#[must_use]
pub fn sha256_digest_info(digest: &[u8; 32]) -> Vec<u8> {
    let algorithm = sequence(&[&tlv(TAG_OID, OID_SHA256), &tlv(TAG_NULL, &[])]);
    sequence(&[&algorithm, &tlv(TAG_OCTET_STRING, digest)])
}

/// The parts of a certificate the token stores beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFields<'a> {
    /// The serial as a DER INTEGER (`CKA_SERIAL_NUMBER`).
    pub serial: &'a [u8],
    /// The issuer Name, DER.
    pub issuer: &'a [u8],
    /// The subject Name, DER.
    pub subject: &'a [u8],
}

/// Checks the outer shape of an X.509 certificate (a SEQUENCE of
/// tbsCertificate, algorithm, signature that fills the input) and returns
/// the serial, issuer and subject. `None`: not a certificate.
#[must_use]
pub fn certificate_fields(der: &[u8]) -> Option<CertificateFields<'_>> {
    let cert = read_only(der, TAG_SEQUENCE)?;
    let (tbs, rest) = read_tlv(cert.content)?;
    let (alg, rest) = read_tlv(rest)?;
    let (sig, rest) = read_tlv(rest)?;
    if tbs.tag != TAG_SEQUENCE || alg.tag != TAG_SEQUENCE || sig.tag != TAG_BIT_STRING {
        return None;
    }
    if !rest.is_empty() {
        return None;
    }
    let (mut field, mut rest) = read_tlv(tbs.content)?;
    if field.tag == 0xa0 {
        (field, rest) = read_tlv(rest)?;
    }
    let serial = field;
    let (signature_alg, rest) = read_tlv(rest)?;
    let (issuer, rest) = read_tlv(rest)?;
    let (validity, rest) = read_tlv(rest)?;
    let (subject, _) = read_tlv(rest)?;
    let shape_ok = serial.tag == TAG_INTEGER
        && signature_alg.tag == TAG_SEQUENCE
        && issuer.tag == TAG_SEQUENCE
        && validity.tag == TAG_SEQUENCE
        && subject.tag == TAG_SEQUENCE;
    shape_ok.then_some(CertificateFields {
        serial: serial.whole,
        issuer: issuer.whole,
        subject: subject.whole,
    })
}

/// Raw ECDSA `r || s` to the DER `ECDSA-Sig-Value` X.509 uses.
#[must_use]
pub fn ecdsa_raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    Some(sequence(&[&unsigned_integer(r), &unsigned_integer(s)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_encode_short_and_long() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 200]);
        assert_eq!(&long[..3], &[0x04, 0x81, 200]);
        let longer = tlv(0x04, &[0; 300]);
        assert_eq!(&longer[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (t, rest) = read_tlv(&longer).unwrap();
        assert!(rest.is_empty());
        assert_eq!(t.content.len(), 300);
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(unsigned_integer(&[0, 0, 1]), vec![2, 1, 1]);
        assert_eq!(unsigned_integer(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(unsigned_integer(&[]), vec![2, 1, 0]);
        assert_eq!(unsigned_integer(&[1, 0, 1]), vec![2, 3, 1, 0, 1]);
    }

    #[test]
    fn digest_info_has_the_standard_prefix() {
        let info = sha256_digest_info(&[0xab; 32]);
        let prefix = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ];
        assert_eq!(&info[..19], &prefix);
        assert_eq!(info.len(), 51);
    }

    #[test]
    fn ec_point_is_unwrapped() {
        let point: Vec<u8> = std::iter::once(4).chain([7u8; 64]).collect();
        assert_eq!(
            unwrap_ec_point(&tlv(TAG_OCTET_STRING, &point)),
            Some(point.clone())
        );
        assert_eq!(unwrap_ec_point(&point), Some(point));
        assert_eq!(unwrap_ec_point(&[1, 2, 3]), None);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert_eq!(certificate_fields(b"not a certificate"), None);
        assert_eq!(certificate_fields(&sequence(&[])), None);
        assert_eq!(certificate_fields(&[0x30, 0x82, 0xff]), None);
    }

    #[test]
    fn ecdsa_signature_to_der() {
        let mut raw = vec![0x80; 32];
        raw.extend([0x01; 32]);
        let der = ecdsa_raw_to_der(&raw).unwrap();
        let seq = read_only(&der, TAG_SEQUENCE).unwrap();
        let (r, rest) = read_tlv(seq.content).unwrap();
        assert_eq!(r.content.len(), 33);
        let (s, _) = read_tlv(rest).unwrap();
        assert_eq!(s.content.len(), 32);
    }
}
