//! The Runtime Agent's CustomResourceDefinitions in a runtime (a bare control plane): installed
//! where absent, and a runtime's own definition (a Kyma runtime's) used as it is.

use compass_agent::{
    connection::{CONNECTION_NAME, CompassConnection, CompassConnectionSpec, ManagementInfo},
    install::ensure_crds,
    kyma,
};
use compass_tests::TestServer;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;

const CONNECTIONS: &str = "compassconnections.compass.kyma-project.io";
const APPLICATIONS: &str = "applications.applicationconnector.kyma-project.io";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_installs_its_definitions_where_absent_and_only_once() {
    let server = TestServer::start().await;
    let client = server.client().await;

    let installed = ensure_crds(&client).await.unwrap();
    assert_eq!(installed, [CONNECTIONS, APPLICATIONS]);

    // Established and usable at once: the objects the agent writes are accepted.
    let connections: Api<CompassConnection> = Api::all(client.clone());
    let connection = CompassConnection::new(
        CONNECTION_NAME,
        CompassConnectionSpec {
            management_info: ManagementInfo {
                connector_url: "https://compass.example.com/connector/graphql".into(),
                director_url: "https://compass.example.com/director/graphql".into(),
            },
            ..CompassConnectionSpec::default()
        },
    );
    connections
        .create(&PostParams::default(), &connection)
        .await
        .unwrap();
    let columns = server.kubectl_ok(&["get", "compassconnections"]);
    assert!(
        columns.contains("CERTIFICATE EXPIRY") && columns.contains(CONNECTION_NAME),
        "{columns}"
    );

    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let before = crds.get(APPLICATIONS).await.unwrap();
    assert!(ensure_crds(&client).await.unwrap().is_empty());
    let after = crds.get(APPLICATIONS).await.unwrap();
    assert_eq!(
        after.metadata.resource_version,
        before.metadata.resource_version
    );
}

/// A definition of Kyma's Application of the runtime's own: another schema (an open spec, no
/// status subresource) and a printer column the agent's has not.
fn runtime_application_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": APPLICATIONS, "labels": {"installed-by": "the-runtime"}},
        "spec": {
            "group": "applicationconnector.kyma-project.io",
            "scope": "Cluster",
            "names": {
                "plural": "applications",
                "singular": "application",
                "kind": "Application",
                "shortNames": ["app"]
            },
            "versions": [{
                "name": "v1alpha1",
                "served": true,
                "storage": true,
                "additionalPrinterColumns": [
                    {"name": "Runtime Description", "type": "string", "jsonPath": ".spec.description"}
                ],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }}
            }]
        }
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtimes_own_application_definition_is_kept_exactly_as_it_was() {
    let server = TestServer::start().await;
    server.create_crds(vec![runtime_application_crd()]).await;
    let client = server.client().await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let before = crds.get(APPLICATIONS).await.unwrap();

    let installed = ensure_crds(&client).await.unwrap();
    assert_eq!(installed, [CONNECTIONS], "only the absent one is installed");

    let after = crds.get(APPLICATIONS).await.unwrap();
    assert_eq!(after, before, "not replaced, patched or touched");
    assert!(
        after
            .metadata
            .managed_fields
            .unwrap_or_default()
            .iter()
            .all(|entry| entry.manager.as_deref() != Some("compass-runtime-agent"))
    );

    // The agent's Applications go into the runtime's definition as they are.
    let desired = kyma::desired(
        &json!({"id": "0b6a9d6e-5f0e-4a57-9a8e-0c3f0d2b1a11", "name": "orders",
                "description": "Orders of the shop"}),
        "tenant",
    )
    .unwrap();
    let applications: Api<kyma::Application> = Api::all(client.clone());
    applications
        .patch(
            "orders",
            &PatchParams::apply("compass-runtime-agent"),
            &Patch::Apply(&desired.application),
        )
        .await
        .unwrap();
    let table = server.kubectl_ok(&["get", "applications.applicationconnector.kyma-project.io"]);
    assert!(
        table.contains("RUNTIME DESCRIPTION") && table.contains("Orders of the shop"),
        "{table}"
    );
}
