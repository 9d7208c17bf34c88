use base64::Engine;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::*;

fn authority() -> Authority {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "test CA");
    let certificate = params.self_signed(&key).unwrap();
    Authority::from_pem(&certificate.pem(), &key.serialize_pem()).unwrap()
}

/// A CSR (base64 of PEM, as clients send it) by `key` for the given subject fields.
fn csr(key: &KeyPair, fields: &[(DnType, &str)]) -> String {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    for (kind, value) in fields {
        name.push(kind.clone(), *value);
    }
    params.distinguished_name = name;
    let pem = params.serialize_request(key).unwrap().pem().unwrap();
    base64::engine::general_purpose::STANDARD.encode(pem)
}

fn expected(template: &SubjectTemplate, id: &str) -> Vec<(DnType, String)> {
    template
        .fields(id)
        .iter()
        .map(|(_, kind, value)| (kind.clone(), (*value).to_owned()))
        .collect()
}

fn fixture(name: &str) -> KeyPair {
    let path = format!(
        "{}/src/connector/signing/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    KeyPair::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sign_with(key: &KeyPair, fields: &[(DnType, String)]) -> Result<Signed, Refused> {
    let fields: Vec<(DnType, &str)> = fields
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str()))
        .collect();
    let template = SubjectTemplate::default();
    sign(
        &authority(),
        &csr(key, &fields),
        &template,
        "client-1",
        Duration::from_secs(3600),
    )
}

/// Why a CSR for `client-1` under the default subject is refused.
fn refusal(csr: &str) -> String {
    let template = SubjectTemplate::default();
    let validity = Duration::from_secs(60);
    sign(&authority(), csr, &template, "client-1", validity).unwrap_err()
}

#[test]
fn p256_and_rsa_keys_of_2048_and_4096_bits_are_signed_for_client_authentication_only() {
    let template = SubjectTemplate::default();
    let subject = expected(&template, "client-1");
    let p256 = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    for key in [p256, fixture("rsa2048.pem"), fixture("rsa4096.pem")] {
        let signed = sign_with(&key, &subject).unwrap();
        assert_eq!(signed.serial.len(), 32);
        assert!(signed.not_after - signed.not_before > 3600);
        let (_, pem) = x509_parser::pem::parse_x509_pem(signed.certificate_pem.as_bytes()).unwrap();
        let (_, certificate) = X509Certificate::from_der(&pem.contents).unwrap();
        assert_eq!(
            certificate.public_key().subject_public_key.data.as_ref(),
            key.public_key_raw()
        );
        assert!(!certificate.is_ca());
        let usage = certificate.extended_key_usage().unwrap().unwrap().value;
        assert!(usage.client_auth && !usage.server_auth);
        assert_eq!(
            format!("{:x}", certificate.serial),
            signed.serial.trim_start_matches('0')
        );
        assert_eq!(fingerprint(&pem.contents), signed.fingerprint);
        let subject = certificate.subject().to_string();
        assert!(
            subject.contains("CN=client-1") && subject.contains("O=Compass"),
            "{subject}"
        );
    }
}

#[test]
fn a_subject_differing_in_any_field_is_refused_naming_the_field() {
    let template = SubjectTemplate::default();
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    for (index, short) in ["O", "OU", "L", "ST", "C", "CN"].iter().enumerate() {
        let mut subject = expected(&template, "client-1");
        subject[index].1 = if *short == "C" {
            "PL".into()
        } else {
            "other".into()
        };
        let error = sign_with(&key, &subject).unwrap_err();
        assert!(
            error.contains(&format!("subject's {short} is")),
            "{short}: {error}"
        );
        let mut missing = expected(&template, "client-1");
        missing.remove(index);
        let error = sign_with(&key, &missing).unwrap_err();
        assert!(
            error.contains(&format!("has no {short}")),
            "{short}: {error}"
        );
    }
    let mut extra = expected(&template, "client-1");
    extra.push((
        DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
        "a@b.c".into(),
    ));
    let error = sign_with(&key, &extra).unwrap_err();
    assert!(error.contains("other fields"), "{error}");
}

#[test]
fn weak_keys_other_curves_and_sha1_signatures_are_refused() {
    let subject = expected(&SubjectTemplate::default(), "client-1");
    let error = sign_with(&fixture("p384.pem"), &subject).unwrap_err();
    assert!(error.contains("P-256"), "{error}");
    // Made with openssl: ring signs with RSA keys of 2048 bits or more only.
    for (file, rule) in [
        ("rsa1024.csr", "1024 bits"),
        ("sha1.csr", "signature algorithm"),
    ] {
        let path = format!(
            "{}/src/connector/signing/testdata/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let pem = std::fs::read_to_string(path).unwrap();
        let error = refusal(&pem);
        assert!(error.contains(rule), "{file}: {error}");
    }
}

#[test]
fn a_tampered_or_malformed_csr_is_refused() {
    let subject = expected(&SubjectTemplate::default(), "client-1");
    let fields: Vec<(DnType, &str)> = subject
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str()))
        .collect();
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let good = csr(&key, &fields);
    let pem = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&good)
            .unwrap(),
    )
    .unwrap();
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let mut der = block.contents.clone();
    // Flip a bit inside the subject (the common name's last byte): the signature no longer covers it.
    let at = der.windows(8).position(|w| w == b"client-1").unwrap() + 7;
    der[at] ^= 0x01;
    let tampered = compass_apiserver::pki::pem("CERTIFICATE REQUEST", &der);
    let error = refusal(&tampered);
    assert!(error.contains("does not verify"), "{error}");
    for (input, rule) in [
        ("", "must not be empty"),
        ("not base64!", "base64"),
        ("aGVsbG8=", "not PEM"),
    ] {
        let error = refusal(input);
        assert!(error.contains(rule), "{input:?}: {error}");
    }
}

#[test]
fn the_subject_template_is_written_as_the_original_and_checked() {
    let template = SubjectTemplate::default();
    assert_eq!(
        template.subject_for("abc"),
        "O=Compass,OU=Connected Systems,L=Local,ST=Local,C=DE,CN=abc"
    );
    assert!(template.validate().is_ok());
    let bad = SubjectTemplate {
        organization: "a,b".into(),
        ..SubjectTemplate::default()
    };
    assert!(bad.validate().unwrap_err().contains("O \"a,b\""));
    let bad = SubjectTemplate {
        country: "Germany".into(),
        ..SubjectTemplate::default()
    };
    assert!(bad.validate().unwrap_err().contains("two-letter"));
}
