//! The whole flow, for an application with a P-256 key and a runtime with an RSA 2048 key: the
//! certificate is the Connector's, for exactly the subject handed out, and opens the Director as
//! that application or runtime in its own tenant; kubectl shows what was issued, never a token.

use compass_api::{
    client::pairing::{self, Identity},
    connector::signing::fingerprint,
};
use compass_tests::TestServer;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use serde_json::json;

use super::{VIEWER, system_auth_of};

/// The DER of the first certificate in `pem`.
fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("a PEM certificate")
}

/// Checks the certificate against what the Connector handed out and what kubectl shows.
fn check_issued(server: &TestServer, identity: &Identity, subject: &str) {
    assert!(
        identity
            .certificate_chain_pem
            .starts_with(&identity.client_certificate_pem),
        "the chain starts with the client certificate"
    );
    assert!(
        identity
            .certificate_chain_pem
            .ends_with(&identity.ca_certificate_pem),
        "the chain ends with the CA"
    );
    let client = der(&identity.client_certificate_pem);
    let (_, parsed) = x509_parser::parse_x509_certificate(&client).unwrap();
    assert_eq!(
        parsed.subject().to_string(),
        subject.replace(',', ", "),
        "exactly the subject handed out"
    );
    let ca = der(&identity.ca_certificate_pem);
    let (_, ca) = x509_parser::parse_x509_certificate(&ca).unwrap();
    assert_eq!(
        parsed.issuer(),
        ca.subject(),
        "issued by the Connector's CA"
    );
    parsed
        .verify_signature(Some(ca.public_key()))
        .expect("signed by the Connector's CA");

    let auth = system_auth_of(server, &identity.client_id);
    let records = auth["status"]["certificates"].as_array().expect("records");
    let record = records
        .iter()
        .find(|c| c["serialNumber"] == identity.serial_number.as_str())
        .unwrap_or_else(|| panic!("no record of {} in {auth}", identity.serial_number));
    assert_eq!(record["fingerprint"], fingerprint(&client).as_str());
    assert_eq!(record["subject"], subject);
    let not_after: jiff::Timestamp = record["notAfter"].as_str().unwrap().parse().unwrap();
    assert_eq!(not_after, identity.not_after);
    assert_ne!(record["revoked"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_and_a_runtime_pair_and_call_the_director_as_themselves() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    let other = api.register_application("billing").await;

    // The application: a P-256 key, as `compass connect` makes.
    let app = api.register_application("orders").await;
    let invitation = api.application_token(&app).await;
    assert_eq!(invitation.connector_url, api.connector_url);
    let with_token = api
        .connector()
        .with_header(pairing::TOKEN_HEADER, &invitation.token);
    let configuration = pairing::configuration(&with_token).await.unwrap();
    assert_eq!(configuration.director_url, api.url);
    assert_eq!(
        configuration.certificate_secured_connector_url,
        api.connector_url
    );
    assert_eq!(configuration.key_algorithm, "rsa2048");
    let prefix = "O=Compass,OU=Connected Systems,L=Local,ST=Local,C=DE,CN=";
    let client_id = configuration
        .subject
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{}", configuration.subject))
        .to_owned();
    let key = pairing::generate_key().unwrap();
    let csr = pairing::certificate_signing_request(&configuration.subject, &key).unwrap();
    let signing = api
        .connector()
        .with_header(pairing::TOKEN_HEADER, &configuration.csr_token);
    let (chain, ca, client) = pairing::sign(&signing, &csr).await.unwrap();
    assert_eq!(chain, format!("{client}{ca}"));
    let identity = api.pair(&api.application_token(&app).await).await;
    assert_eq!(
        identity.client_id, client_id,
        "one identity per application"
    );
    check_issued(&server, &identity, &configuration.subject);

    let as_app = api.director_as(&identity);
    let viewer = as_app.data(VIEWER, json!({})).await;
    assert_eq!(viewer["viewer"]["type"], "APPLICATION");
    let listed = as_app
        .data("{ applications { data { id name } } }", json!({}))
        .await;
    let mut ids: Vec<&str> = listed["applications"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![app.as_str(), other.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "it sees its tenant's applications");
    // Scopes are an application's: no runtimes.
    let runtimes = as_app.send("{ runtimes { totalCount } }", json!({})).await;
    assert!(
        runtimes.error().0.contains("insufficient scopes"),
        "{}",
        runtimes.body
    );

    // The runtime: an RSA 2048 key, PKCS#8 as `--key-file` takes it.
    let runtime = api.register_runtime("edge").await;
    let rsa = std::fs::read_to_string(
        compass_tests::repo_root().join("api/src/connector/signing/testdata/rsa2048.pem"),
    )
    .unwrap();
    let key = pairing::read_key(&rsa).unwrap();
    let invitation = api.runtime_token(&runtime).await;
    let identity = pairing::pair(&invitation, Some(&api.ca_pem), key)
        .await
        .expect("an RSA 2048 CSR is signed");
    let subject = format!("{prefix}{}", identity.client_id);
    check_issued(&server, &identity, &subject);
    let as_runtime = api.director_as(&identity);
    let viewer = as_runtime.data(VIEWER, json!({})).await;
    assert_eq!(viewer["viewer"]["type"], "RUNTIME");
    let own = as_runtime
        .data("{ runtimes { data { id } } }", json!({}))
        .await;
    assert_eq!(own["runtimes"]["data"][0]["id"], runtime.as_str());

    // Every token handed out is stored as a digest only, and none is shown by kubectl.
    let listed = server.kubectl_ok(&["get", "systemauths", "-A", "-o", "yaml"]);
    for token in [&invitation.token, &configuration.csr_token] {
        assert!(!listed.contains(token.as_str()), "kubectl shows a token");
    }
    let table = server.kubectl_ok(&["get", "systemauths", "-A"]);
    assert!(!table.contains(&invitation.token));
    director.stop().await;
}

/// The original's viewer answers an application's or runtime's own id, not its SystemAuth's
/// (`tests/director/gateway-integration/viewer_test.go`: `assert.Equal(t, app.ID, viewer.ID)`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_of_a_certificate_is_the_application_itself() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let (app, identity) = director.api.paired_application("orders").await;
    let viewer = director
        .api
        .director_as(&identity)
        .data(VIEWER, json!({}))
        .await;
    assert_eq!(viewer["viewer"]["id"], app.as_str());
    director.stop().await;
}

/// A token works the moment its answer arrives: the Director's pairing token at the Connector,
/// and `configuration`'s CSR token at `signCertificateSigningRequest`, with no pause between
/// the calls, as a program (`compass connect`, the Runtime Agent) makes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_works_the_moment_it_is_handed_out() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    let mut apps = Vec::new();
    for round in 0..24 {
        // An identity keeps at most 20 unexpired token records; each round leaves two.
        if round % 8 == 0 {
            apps.push(api.register_application(&format!("app-{round}")).await);
        }
        let invitation = api.application_token(apps.last().unwrap()).await;
        let key = pairing::generate_key().unwrap();
        if let Err(error) = pairing::pair(&invitation, Some(&api.ca_pem), key).await {
            panic!("round {round}: {error:?}");
        }
    }
    director.stop().await;
}
