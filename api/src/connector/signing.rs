//! Signing certificate signing requests. A CSR is accepted only when its signature verifies with
//! a SHA-2 algorithm, its key is RSA of 2048 to 4096 bits or ECDSA P-256, and its subject is
//! exactly the one the Connector handed out. Of the CSR only the verified public key is used: the
//! certificate's subject, extensions (client authentication only, never a CA), serial number and
//! validity are the Connector's own.

use std::time::Duration;

use base64::Engine;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyUsagePurpose,
    SerialNumber, SubjectPublicKeyInfo,
};
use sha2::{Digest, Sha256};
use x509_parser::{
    certification_request::X509CertificationRequest, oid_registry, prelude::FromDer,
    public_key::PublicKey,
};

use super::authority::Authority;

/// The subject fields every client certificate carries besides its common name (the client id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectTemplate {
    /// Country (C).
    pub country: String,
    /// Organization (O).
    pub organization: String,
    /// Organizational unit (OU).
    pub organizational_unit: String,
    /// Locality (L).
    pub locality: String,
    /// State or province (ST).
    pub province: String,
}

impl Default for SubjectTemplate {
    fn default() -> Self {
        Self {
            country: "DE".to_owned(),
            organization: "Compass".to_owned(),
            organizational_unit: "Connected Systems".to_owned(),
            locality: "Local".to_owned(),
            province: "Local".to_owned(),
        }
    }
}

impl SubjectTemplate {
    /// The fields in the order the subject string lists them, with their short names.
    fn fields<'a>(&'a self, client_id: &'a str) -> [(&'static str, DnType, &'a str); 6] {
        [
            ("O", DnType::OrganizationName, &self.organization),
            (
                "OU",
                DnType::OrganizationalUnitName,
                &self.organizational_unit,
            ),
            ("L", DnType::LocalityName, &self.locality),
            ("ST", DnType::StateOrProvinceName, &self.province),
            ("C", DnType::CountryName, &self.country),
            ("CN", DnType::CommonName, client_id),
        ]
    }

    /// The subject a client's CSR must carry, as the original wrote it:
    /// `O=…,OU=…,L=…,ST=…,C=…,CN=<client id>`.
    pub fn subject_for(&self, client_id: &str) -> String {
        self.fields(client_id)
            .iter()
            .map(|(short, _, value)| format!("{short}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Refuses values a subject string cannot carry unambiguously.
    pub fn validate(&self) -> Result<(), String> {
        for (short, _, value) in self.fields("") {
            if short == "CN" {
                continue;
            }
            if value.is_empty() || value.len() > 64 {
                return Err(format!(
                    "the certificate subject's {short} must be 1 to 64 characters"
                ));
            }
            if value
                .chars()
                .any(|c| matches!(c, ',' | '=' | '/' | '+' | '"' | '\\') || c.is_control())
            {
                return Err(format!(
                    "the certificate subject's {short} {value:?} may not contain , = / + \" \\ or control characters"
                ));
            }
        }
        if self.country.len() != 2 || !self.country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "the certificate subject's C {:?} must be a two-letter country code",
                self.country
            ));
        }
        Ok(())
    }
}

/// A signed client certificate and what the SystemAuth records of it.
#[derive(Debug)]
pub struct Signed {
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// Serial number, lowercase hexadecimal.
    pub serial: String,
    /// `sha256:` and the hexadecimal SHA-256 of the DER certificate.
    pub fingerprint: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
}

/// Why a CSR is refused; the message names the field and the rule.
pub type Refused = String;

/// How far back a certificate's validity starts, for clients whose clocks run behind.
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// Reads `csr` (base64 of a PEM CSR, as the original took it, or the PEM itself), checks it
/// against `subject` and signs it for `validity`.
pub fn sign(
    authority: &Authority,
    csr: &str,
    template: &SubjectTemplate,
    client_id: &str,
    validity: Duration,
) -> Result<Signed, Refused> {
    let der = csr_der(csr)?;
    let (rest, request) = X509CertificationRequest::from_der(&der)
        .map_err(|e| format!("csr: not a PKCS#10 certificate signing request: {e}"))?;
    if !rest.is_empty() {
        return Err("csr: trailing bytes after the certificate signing request".to_owned());
    }
    // The key first: ring verifies no RSA signature under 2048 bits, and "the key is too weak"
    // says more than "the signature does not verify".
    check_key(&request)?;
    check_signature(&request)?;
    check_subject(&request, template, client_id)?;
    let spki = request.certification_request_info.subject_pki.raw;
    let public_key = SubjectPublicKeyInfo::from_der(spki)
        .map_err(|e| format!("csr: the public key cannot be used: {e}"))?;
    let (serial, serial_hex) = random_serial().map_err(|e| format!("signing failed: {e}"))?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    for (_, kind, value) in template.fields(client_id) {
        name.push(kind, value);
    }
    params.distinguished_name = name;
    params.serial_number = Some(serial);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.use_authority_key_identifier_extension = true;
    let now = jiff::Timestamp::now().as_second().max(0);
    let not_before = now - CLOCK_SKEW.as_secs() as i64;
    let not_after = now + validity.as_secs() as i64;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + Duration::from_secs(not_before.max(0) as u64);
    params.not_after = epoch + Duration::from_secs(not_after as u64);
    let certificate = params
        .signed_by(&public_key, authority.issuer())
        .map_err(|e| format!("signing failed: {e}"))?;
    Ok(Signed {
        fingerprint: fingerprint(certificate.der()),
        certificate_pem: certificate.pem(),
        serial: serial_hex,
        not_before,
        not_after,
    })
}

/// `sha256:` and the hexadecimal SHA-256 of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    let hex = compass_crds::hex::lower(&Sha256::digest(der));
    format!("sha256:{hex}")
}

/// A random positive 128-bit serial number whose first byte is never zero, so its hexadecimal
/// form is always 32 digits, as the SystemAuth records it.
pub(crate) fn random_serial() -> Result<(SerialNumber, String), String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    let hex = compass_crds::hex::lower(&bytes);
    Ok((SerialNumber::from_slice(&bytes), hex))
}

/// The DER of a CSR given as base64 of PEM, or as PEM.
fn csr_der(csr: &str) -> Result<Vec<u8>, Refused> {
    let trimmed = csr.trim();
    if trimmed.is_empty() {
        return Err("csr: must not be empty".to_owned());
    }
    if trimmed.len() > 64 * 1024 {
        return Err("csr: longer than 64 KiB".to_owned());
    }
    let pem = if trimmed.starts_with("-----BEGIN") {
        trimmed.as_bytes().to_vec()
    } else {
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|_| {
                "csr: must be a base64-encoded PEM certificate signing request".to_owned()
            })?
    };
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem)
        .map_err(|_| "csr: the decoded value is not PEM".to_owned())?;
    if !pem.label.ends_with("CERTIFICATE REQUEST") {
        return Err(format!(
            "csr: the PEM block is a {:?}, not a CERTIFICATE REQUEST",
            pem.label
        ));
    }
    Ok(pem.contents)
}

/// The signature must verify, and be made with SHA-2 (x509-parser would also accept SHA-1).
fn check_signature(request: &X509CertificationRequest<'_>) -> Result<(), Refused> {
    use oid_registry::{
        OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA384WITHRSA, OID_PKCS1_SHA512WITHRSA,
        OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384, OID_SIG_ECDSA_WITH_SHA512,
    };
    let algorithm = &request.signature_algorithm.algorithm;
    let sha2 = [
        OID_PKCS1_SHA256WITHRSA,
        OID_PKCS1_SHA384WITHRSA,
        OID_PKCS1_SHA512WITHRSA,
        OID_SIG_ECDSA_WITH_SHA256,
        OID_SIG_ECDSA_WITH_SHA384,
        OID_SIG_ECDSA_WITH_SHA512,
    ];
    if !sha2.contains(algorithm) {
        return Err(format!(
            "csr: signature algorithm {algorithm} is not accepted: sign with SHA-256, SHA-384 or SHA-512 (RSA PKCS#1 v1.5 or ECDSA)"
        ));
    }
    request
        .verify_signature()
        .map_err(|_| "csr: the signature does not verify with the request's public key".to_owned())
}

/// The key must be RSA of 2048 to 4096 bits, or ECDSA on P-256.
fn check_key(request: &X509CertificationRequest<'_>) -> Result<(), Refused> {
    let spki = &request.certification_request_info.subject_pki;
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if !(2048..=4096).contains(&bits) {
                return Err(format!(
                    "csr: the RSA key has {bits} bits; RSA keys must have 2048 to 4096 bits"
                ));
            }
            Ok(())
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            if curve.as_ref() == Some(&oid_registry::OID_EC_P256) {
                Ok(())
            } else {
                Err("csr: the EC key must be on curve P-256 (prime256v1)".to_owned())
            }
        }
        _ => Err("csr: the key must be RSA (2048 to 4096 bits) or ECDSA P-256".to_owned()),
    }
}

/// The subject must hold exactly the expected fields, each once, and nothing else.
fn check_subject(
    request: &X509CertificationRequest<'_>,
    template: &SubjectTemplate,
    client_id: &str,
) -> Result<(), Refused> {
    use x509_parser::x509::AttributeTypeAndValue;
    let subject = &request.certification_request_info.subject;
    let attributes: Vec<&AttributeTypeAndValue<'_>> = subject.iter_attributes().collect();
    let expected = template.fields(client_id);
    for (short, kind, value) in &expected {
        let oid = dn_oid(kind);
        let found: Vec<&str> = attributes
            .iter()
            .filter(|a| a.attr_type().to_id_string() == oid)
            .map(|a| a.as_str().unwrap_or("<not a string>"))
            .collect();
        match found.as_slice() {
            [one] if one == value => {}
            [] => {
                return Err(format!(
                    "csr: the subject has no {short}; it must be {value:?}"
                ));
            }
            [one] => {
                return Err(format!(
                    "csr: the subject's {short} is {one:?}; it must be {value:?}"
                ));
            }
            _ => return Err(format!("csr: the subject has {short} more than once")),
        }
    }
    if attributes.len() != expected.len() {
        return Err(format!(
            "csr: the subject must hold exactly {}; it has other fields too",
            template.subject_for(client_id)
        ));
    }
    Ok(())
}

/// The dotted OID of a distinguished-name field.
fn dn_oid(kind: &DnType) -> &'static str {
    match kind {
        DnType::CountryName => "2.5.4.6",
        DnType::OrganizationName => "2.5.4.10",
        DnType::OrganizationalUnitName => "2.5.4.11",
        DnType::LocalityName => "2.5.4.7",
        DnType::StateOrProvinceName => "2.5.4.8",
        _ => "2.5.4.3",
    }
}

#[cfg(test)]
mod tests;
