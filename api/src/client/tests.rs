//! The client's own checks: a certificate and its key make a client while a foreign key or a
//! malformed PEM is refused naming what is wrong, and an unreachable server is named with its
//! cause.

use super::*;

fn self_signed() -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["client.example".to_owned()]).unwrap();
    let certificate = params.self_signed(&key).unwrap();
    (certificate.pem(), key.serialize_pem())
}

#[test]
fn a_certificate_and_its_key_make_a_client_and_a_foreign_key_is_refused() {
    let (chain, key) = self_signed();
    let (_, other_key) = self_signed();
    let build = |chain: &str, key: &str| {
        DirectorClient::builder("https://127.0.0.1:1/director/graphql")
            .trust_pem(chain)
            .certificate(chain, key)
            .build()
    };
    assert!(build(&chain, &key).is_ok());
    let error = build(&chain, &other_key).err().unwrap();
    assert!(error.contains("not usable"), "{error}");
    let error = build("", &key).err().unwrap();
    assert!(error.contains("no PEM certificate"), "{error}");
    let error = build(&chain, "not a key").err().unwrap();
    assert!(error.contains("private key does not parse"), "{error}");
}

#[tokio::test]
async fn an_unreachable_server_is_named_with_the_cause() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}/connector/graphql");
    let client = DirectorClient::builder(&url).build().unwrap();
    let error = client.execute("{ a }", json!({})).await.unwrap_err();
    assert!(error.starts_with(&url), "{error}");
    assert!(error.to_lowercase().contains("refused"), "{error}");
}
