use x509_parser::certification_request::X509CertificationRequest;

use super::*;

#[test]
fn raw_encoded_tokens_decode_and_bad_ones_say_why() {
    let raw = r#"{"token":"abc","connectorURL":"https://h:3000/connector/graphql"}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    let invitation = Invitation::decode(&encoded).unwrap();
    assert_eq!(invitation.token, "abc");
    assert_eq!(invitation.connector_url, "https://h:3000/connector/graphql");
    assert_eq!(Invitation::decode("%%%").unwrap_err(), "it is not base64");
    let not_json = base64::engine::general_purpose::STANDARD.encode("token");
    assert!(Invitation::decode(&not_json).unwrap_err().contains("JSON"));
    let no_url = base64::engine::general_purpose::STANDARD.encode(r#"{"token":"abc"}"#);
    assert!(
        Invitation::decode(&no_url)
            .unwrap_err()
            .contains("connectorURL")
    );
}

#[test]
fn the_request_carries_exactly_the_subject_in_its_order() {
    let subject = "O=Compass,OU=Connected Systems,L=Local,ST=Local,C=DE,CN=abc-123";
    let key = generate_key().unwrap();
    let pem = certificate_signing_request(subject, &key).unwrap();
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let (_, request) = X509CertificationRequest::from_der(&block.contents).unwrap();
    assert_eq!(
        request.certification_request_info.subject.to_string(),
        "O=Compass, OU=Connected Systems, L=Local, ST=Local, C=DE, CN=abc-123"
    );
    request.verify_signature().unwrap();
    let error = certificate_signing_request("O=Compass,X=1", &key).unwrap_err();
    assert!(error.to_string().contains("\"X\""), "{error}");
}

#[test]
fn keys_must_be_pkcs8() {
    let key = generate_key().unwrap();
    assert!(read_key(&key.serialize_pem()).is_ok());
    let error = read_key("-----BEGIN RSA PRIVATE KEY-----\n").unwrap_err();
    assert!(error.contains("openssl pkcs8"), "{error}");
    assert!(read_key("junk").unwrap_err().contains("PKCS#8"));
}
