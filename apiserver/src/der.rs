//! Just enough DER (the X.509 encoding) to read a certificate's subject and to write one: the
//! certificate library in use allows one organization per name, and a user in several groups
//! needs one organization per group.

/// Tag of a SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// Tag of a SET.
pub const SET: u8 = 0x31;
/// Tag of an OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// Tag of a UTF8String.
pub const UTF8_STRING: u8 = 0x0c;
/// Tag of a BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// Tag of the explicit version field of a TBSCertificate (`[0]`).
pub const VERSION: u8 = 0xa0;

/// Object identifier of the common name attribute (2.5.4.3), encoded.
pub const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// Object identifier of the organization attribute (2.5.4.10), encoded.
pub const ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];

/// One element: its tag, its content, and what follows it; `None` when truncated.
pub fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
    };
    (rest.len() >= length).then(|| {
        let (content, after) = rest.split_at(length);
        (tag, content, after)
    })
}

/// The elements of a SEQUENCE or SET's content, each whole (tag and length included).
pub fn elements(mut content: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (_, _, rest) = tlv(content)?;
        out.push(&content[..content.len() - rest.len()]);
        content = rest;
    }
    Some(out)
}

/// Encodes one element.
pub fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A name (`RDNSequence`): one organization per entry of `organizations`, then the common name.
pub fn name(common_name: &str, organizations: &[String]) -> Vec<u8> {
    let attribute = |oid: &[u8], value: &str| {
        let pair = [encode(OID, oid), encode(UTF8_STRING, value.as_bytes())].concat();
        encode(SET, &encode(SEQUENCE, &pair))
    };
    let mut content = Vec::new();
    for organization in organizations {
        content.extend(attribute(ORGANIZATION, organization));
    }
    content.extend(attribute(COMMON_NAME, common_name));
    encode(SEQUENCE, &content)
}

/// The common name and organizations of a name.
pub fn read_name(name: &[u8]) -> Option<(String, Vec<String>)> {
    let (tag, content, _) = tlv(name)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut common_name = String::new();
    let mut organizations = Vec::new();
    for set in elements(content)? {
        let (tag, attributes, _) = tlv(set)?;
        if tag != SET {
            return None;
        }
        for attribute in elements(attributes)? {
            let (_, pair, _) = tlv(attribute)?;
            let (tag, oid, value) = tlv(pair)?;
            if tag != OID {
                return None;
            }
            let (_, text, _) = tlv(value)?;
            let text = String::from_utf8_lossy(text).into_owned();
            if oid == COMMON_NAME {
                common_name = text;
            } else if oid == ORGANIZATION {
                organizations.push(text);
            }
        }
    }
    Some((common_name, organizations))
}

/// The elements of a certificate's TBSCertificate, and its signature algorithm element.
pub fn tbs_elements(certificate: &[u8]) -> Option<(Vec<&[u8]>, &[u8])> {
    let (tag, content, _) = tlv(certificate)?;
    if tag != SEQUENCE {
        return None;
    }
    let parts = elements(content)?;
    let (tag, tbs, _) = tlv(parts.first()?)?;
    if tag != SEQUENCE {
        return None;
    }
    Some((elements(tbs)?, parts.get(1)?))
}

/// The index of the subject among a TBSCertificate's elements: after the optional version,
/// the serial number, signature algorithm, issuer and validity.
pub fn subject_index(tbs: &[&[u8]]) -> usize {
    if tbs.first().is_some_and(|e| e.first() == Some(&VERSION)) {
        5
    } else {
        4
    }
}

/// `der` as PEM with the given label (`CERTIFICATE`, `PRIVATE KEY`), in lines of 64.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A certificate's validity, `(notBefore, notAfter)` in Unix seconds, from its TBSCertificate
/// elements: the element before the subject, two times in `UTCTime` or `GeneralizedTime`.
pub fn validity(tbs: &[&[u8]]) -> Option<(i64, i64)> {
    let (tag, content, _) = tlv(tbs.get(subject_index(tbs).checked_sub(1)?)?)?;
    if tag != SEQUENCE {
        return None;
    }
    let times = elements(content)?;
    let time = |element: &[u8]| -> Option<i64> {
        let (tag, text, _) = tlv(element)?;
        let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
        let full = match tag {
            // UTCTime: two-digit years 50-99 are 19xx, 00-49 are 20xx (RFC 5280).
            0x17 if text.len() == 12 => {
                let century = if text[..2] >= *"50" { "19" } else { "20" };
                format!("{century}{text}")
            }
            0x18 if text.len() == 14 => text.to_owned(),
            _ => return None,
        };
        let stamp = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", &full).ok()?;
        Some(
            stamp
                .to_zoned(jiff::tz::TimeZone::UTC)
                .ok()?
                .timestamp()
                .as_second(),
        )
    };
    Some((time(times.first()?)?, time(times.get(1)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_is_read_in_both_time_forms() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 2);
        params.not_after = rcgen::date_time_ymd(2051, 3, 4);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let certificate = params.self_signed(&key).unwrap();
        let (tbs, _) = tbs_elements(certificate.der()).unwrap();
        assert_eq!(validity(&tbs), Some((1_577_923_200, 2_561_500_800)));
    }

    #[test]
    fn names_round_trip_with_several_organizations() {
        let groups = vec!["a".to_owned(), "b".repeat(200)];
        let encoded = name("alice", &groups);
        assert_eq!(read_name(&encoded), Some(("alice".to_owned(), groups)));
    }

    #[test]
    fn long_lengths_use_the_long_form() {
        let content = vec![7u8; 300];
        let encoded = encode(SEQUENCE, &content);
        assert_eq!(&encoded[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let (tag, read, rest) = tlv(&encoded).unwrap();
        assert_eq!((tag, read.len(), rest.len()), (SEQUENCE, 300, 0));
        assert_eq!(tlv(&encoded[..10]), None);
    }
}
