//! A certificate's life after signing: renewal gives a second certificate beside the first;
//! each is revoked on its own (through the Connector, or by listing its serial number in the
//! SystemAuth's spec with kubectl); deleting the SystemAuth or the application ends them all.
//! Every check after a change reuses the caller's kept-alive connection: the Gateway decides per
//! request, not per TLS connection.

use compass_api::client::pairing::{self, PairingError};
use compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;
use compass_tests::{TestServer, eventually, graphql::Graphql};
use serde_json::json;

use super::{VIEWER, assert_unauthenticated, system_auth_of};

/// Waits until the Director refuses `caller` as unauthenticated.
async fn until_refused(caller: &Graphql, what: &str) {
    eventually(what, || async {
        (caller.send(VIEWER, json!({})).await.status == 401).then_some(())
    })
    .await;
    assert_unauthenticated(&caller.send(VIEWER, json!({})).await, what);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_has_a_new_serial_and_each_is_revoked_on_its_own() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    let (_, first) = api.paired_application("orders").await;

    // Renewal, authenticated by the first certificate, with a new key.
    let renewed = pairing::renew(
        &first.certificate_secured_connector_url,
        Some(&api.ca_pem),
        (&first.certificate_chain_pem, &first.key_pem),
        pairing::generate_key().unwrap(),
    )
    .await
    .expect("renewal with the certificate succeeds");
    assert_eq!(renewed.client_id, first.client_id);
    assert_ne!(renewed.serial_number, first.serial_number);
    assert_ne!(renewed.key_pem, first.key_pem);
    let as_first = api.director_as(&first);
    let as_renewed = api.director_as(&renewed);
    for caller in [&as_first, &as_renewed] {
        let viewer = caller.data(VIEWER, json!({})).await;
        assert_eq!(viewer["viewer"]["type"], "APPLICATION");
    }

    // Revoked through the Connector with itself: refused on its very next request.
    pairing::revoke(&api.connector_as(&first)).await.unwrap();
    assert_unauthenticated(
        &as_first.send(VIEWER, json!({})).await,
        "the revoked certificate",
    );
    match pairing::configuration(&api.connector_as(&first)).await {
        Err(PairingError::Refused { code, message, .. }) => {
            assert_eq!(code, "UNAUTHENTICATED");
            assert!(message.contains("revoked"), "{message}");
        }
        other => panic!("a revoked certificate renews: {other:?}"),
    }
    as_renewed.data(VIEWER, json!({})).await;
    let auth = system_auth_of(&server, &first.client_id);
    assert_eq!(
        auth["spec"]["revokedCertificates"],
        json!([first.serial_number])
    );

    // Revoked by a person with kubectl: the serial number listed in the spec.
    let name = auth["metadata"]["name"].as_str().unwrap();
    let patch = json!([{ "op": "add", "path": "/spec/revokedCertificates/-", "value": renewed.serial_number }]);
    server.kubectl_ok(&[
        "patch",
        "systemauth",
        name,
        "-n",
        DEFAULT_TENANT_NAMESPACE,
        "--type=json",
        "-p",
        &patch.to_string(),
    ]);
    until_refused(
        &as_renewed,
        "the certificate revoked with kubectl is refused",
    )
    .await;
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_system_auth_or_the_application_ends_its_certificates() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let api = &director.api;
    let (_, orders) = api.paired_application("orders").await;
    let (billing_id, billing) = api.paired_application("billing").await;
    let as_orders = api.director_as(&orders);
    let as_billing = api.director_as(&billing);
    as_orders.data(VIEWER, json!({})).await;
    as_billing.data(VIEWER, json!({})).await;

    let auth = system_auth_of(&server, &orders.client_id);
    let name = auth["metadata"]["name"].as_str().unwrap();
    server.kubectl_ok(&["delete", "systemauth", name, "-n", DEFAULT_TENANT_NAMESPACE]);
    until_refused(
        &as_orders,
        "the certificate of a deleted SystemAuth is refused",
    )
    .await;
    as_billing.data(VIEWER, json!({})).await;

    api.default_tenant()
        .data(
            "mutation ($id: ID!) { unregisterApplication(id: $id) { id } }",
            json!({ "id": billing_id }),
        )
        .await;
    until_refused(
        &as_billing,
        "the certificate of a deleted application is refused",
    )
    .await;
    director.stop().await;
}
