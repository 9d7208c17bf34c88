//! What a certificate cannot do, and what no header can: a certificate acts in its own tenant
//! only; a certificate of another CA with the very same subject opens nothing; the identity
//! headers the original's Oathkeeper set (and its gateway stripped) are never read.

use compass_api::client::{DirectorClient, pairing::Identity};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::{TestServer, graphql::Graphql};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256,
};
use serde_json::json;

use super::{VIEWER, assert_unauthenticated};

const BETA: &str = "
apiVersion: compass.kyma-project.io/v1alpha1
kind: Tenant
metadata:
  name: beta
spec:
  externalId: 6f1c7e9a-2b3d-4c5e-8f90-a1b2c3d4e5f6
  displayName: Beta
  namespace: beta
";
const BETA_EXTERNAL_ID: &str = "6f1c7e9a-2b3d-4c5e-8f90-a1b2c3d4e5f6";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_acts_in_its_own_tenant_only() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    server.apply_yaml(BETA, &[]);
    server.wait_tenant_ready("beta").await;
    api.admin
        .tenant(BETA_EXTERNAL_ID)
        .data_eventually(
            "the Director serves tenant beta",
            "mutation { registerApplication(in: { name: \"beta-app\" }) { id } }",
            json!({}),
        )
        .await;
    let (app, identity) = api.paired_application("orders").await;
    let as_app = api.director_as(&identity);

    let mismatch = as_app
        .tenant(BETA_EXTERNAL_ID)
        .send("{ applications { data { name } } }", json!({}))
        .await;
    assert_eq!(mismatch.status, 403, "{}", mismatch.body);
    let (message, code) = mismatch.error();
    assert_eq!(code, "TENANT_MISMATCH", "{message}");
    let own = as_app
        .tenant(DEFAULT_TENANT_EXTERNAL_ID)
        .data("{ applications { data { id name } } }", json!({}))
        .await;
    assert_eq!(
        own["applications"]["data"],
        json!([{ "id": app, "name": "orders" }])
    );
    director.stop().await;
}

/// A certificate for `identity`'s exact subject, issued by a CA of our own making.
fn forged(identity: &Identity) -> (String, String) {
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Compass Connector CA");
    let ca_certificate = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    for (kind, value) in [
        (DnType::OrganizationName, "Compass"),
        (DnType::OrganizationalUnitName, "Connected Systems"),
        (DnType::LocalityName, "Local"),
        (DnType::StateOrProvinceName, "Local"),
        (DnType::CountryName, "DE"),
        (DnType::CommonName, identity.client_id.as_str()),
    ] {
        params.distinguished_name.push(kind, value);
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let certificate = params.signed_by(&key, &issuer).unwrap();
    (
        format!("{}{}", certificate.pem(), ca_certificate.pem()),
        key.serialize_pem(),
    )
}

/// The headers that carried identities in the original, set by a client itself.
fn spoofing(caller: &Graphql, identity: &Identity) -> Graphql {
    let hash =
        compass_api::connector::signing::fingerprint(identity.client_certificate_pem.as_bytes());
    let subject = format!(
        "O=Compass,OU=Connected Systems,L=Local,ST=Local,C=DE,CN={}",
        identity.client_id
    );
    caller
        .with_header("Client-Id-From-Token", &identity.client_id)
        .with_header("Client-Id-From-Certificate", &identity.client_id)
        .with_header("Client-Certificate-Hash", &hash)
        .with_header(
            "Certificate-Data",
            &format!("Hash={hash};Subject=\"{subject}\""),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_cas_certificate_and_identity_headers_open_nothing() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    let (_, identity) = api.paired_application("orders").await;

    // Same subject, same client id, another CA: the handshake fails, or the Gateway refuses.
    let (chain, key) = forged(&identity);
    let forger = DirectorClient::builder(&api.url)
        .trust_pem(&api.ca_pem)
        .certificate(&chain, &key)
        .build()
        .unwrap();
    match forger.execute(VIEWER, json!({})).await {
        Err(error) => assert!(
            error.contains("did not answer") || error.contains("reading the answer"),
            "{error}"
        ),
        Ok(answer) => assert_eq!(answer.status, 401, "{}", answer.body),
    }
    let forged_connector = forger.at(&api.connector_url);
    if let Ok(answer) = forged_connector
        .execute("{ configuration { token { token } } }", json!({}))
        .await
    {
        assert!(answer.body["data"].is_null(), "{}", answer.body);
    }

    // The original's identity headers, with no credential: unauthenticated, on both APIs.
    let anonymous = Graphql::from_client(
        DirectorClient::builder(&api.url)
            .trust_pem(&api.ca_pem)
            .build()
            .unwrap(),
    );
    let spoofed = spoofing(&anonymous, &identity);
    assert_unauthenticated(&spoofed.send(VIEWER, json!({})).await, "spoofed headers");
    let on_connector = Graphql::from_client(spoofed.client().at(&api.connector_url));
    let configuration = on_connector
        .send("{ configuration { token { token } } }", json!({}))
        .await;
    assert_eq!(
        configuration.error().1,
        "UNAUTHENTICATED",
        "{}",
        configuration.body
    );

    // With the admin's token they change nothing: still the admin.
    let admin = spoofing(&api.admin, &identity);
    let viewer = admin.data(VIEWER, json!({})).await;
    assert_eq!(viewer["viewer"], json!({ "id": "admin", "type": "USER" }));
    // And a certificate caller adding them stays itself.
    let as_app = spoofing(&api.director_as(&identity), &identity);
    let viewer = as_app.data(VIEWER, json!({})).await;
    assert_eq!(viewer["viewer"]["type"], "APPLICATION");
    director.stop().await;
}
