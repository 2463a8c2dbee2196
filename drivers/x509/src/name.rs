//! Reading text out of distinguished names, whatever string type the CA
//! chose (Chinese CAs use UTF8String, PrintableString and BMPString).

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// commonName.
pub(crate) const OID_CN: &str = "2.5.4.3";
/// serialNumber (of the subject, not the certificate).
pub(crate) const OID_SERIAL_NUMBER: &str = "2.5.4.5";
/// organizationName.
pub(crate) const OID_O: &str = "2.5.4.10";
/// organizationalUnitName.
pub(crate) const OID_OU: &str = "2.5.4.11";
/// organizationIdentifier (X.520; ETSI EN 319 412-1 puts e.g. "NTRCN-…" here).
pub(crate) const OID_ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";

/// The text of one attribute, or `None` for a non-string or badly encoded
/// value.
pub(crate) fn attribute_text(attr: &AttributeTypeAndValue<'_>) -> Option<String> {
    let value = attr.attr_value();
    let data = value.data;
    match value.header.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString
        | Tag::T61String => std::str::from_utf8(data).ok().map(str::to_owned),
        Tag::BmpString => {
            let units: Option<Vec<u16>> = data
                .chunks(2)
                .map(|c| <[u8; 2]>::try_from(c).ok().map(u16::from_be_bytes))
                .collect();
            String::from_utf16(&units?).ok()
        }
        Tag::UniversalString => data
            .chunks(4)
            .map(|c| {
                <[u8; 4]>::try_from(c)
                    .ok()
                    .and_then(|b| char::from_u32(u32::from_be_bytes(b)))
            })
            .collect(),
        _ => None,
    }
}

/// Texts of all attributes of type `oid`, in order.
pub(crate) fn texts_of(name: &X509Name<'_>, oid: &str) -> Vec<String> {
    name.iter_attributes()
        .filter(|a| a.attr_type().to_id_string() == oid)
        .filter_map(attribute_text)
        .collect()
}

/// The first non-empty text of type `oid`.
pub(crate) fn first_text(name: &X509Name<'_>, oid: &str) -> Option<String> {
    texts_of(name, oid)
        .into_iter()
        .map(|t| t.trim().to_owned())
        .find(|t| !t.is_empty())
}

/// The whole name as one line (RFC 4514 style, most significant first as
/// written in the certificate), for technicians and logs of public data.
pub(crate) fn display(name: &X509Name<'_>) -> String {
    name.iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|attr| {
                    let oid = attr.attr_type().to_id_string();
                    let label = match oid.as_str() {
                        OID_CN => "CN",
                        OID_O => "O",
                        OID_OU => "OU",
                        OID_SERIAL_NUMBER => "serialNumber",
                        OID_ORGANIZATION_IDENTIFIER => "organizationIdentifier",
                        "2.5.4.6" => "C",
                        "2.5.4.7" => "L",
                        "2.5.4.8" => "ST",
                        "2.5.4.9" => "street",
                        "1.2.840.113549.1.9.1" => "emailAddress",
                        _ => oid.as_str(),
                    };
                    let text = attribute_text(attr).unwrap_or_else(|| "#<binary>".to_owned());
                    format!("{label}={text}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
