//! The Director's label definitions and scenarios over HTTP, as the original's end-to-end suite
//! exercised them, and the objects they become for kubectl users.

use compass_api::gateway::{StaticUser, digest};
use compass_crds::{LabelDefinition, Scenario};
use compass_tests::{TestServer, scenarios_schema};
use kube::Api;
use serde_json::json;

const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

const LABEL_DEFINITIONS: &str = "query { labelDefinitions { key schema } }";
const UPDATE: &str =
    "mutation ($in: LabelDefinitionInput!) { updateLabelDefinition(in: $in) { key schema } }";
const CREATE: &str =
    "mutation ($in: LabelDefinitionInput!) { createLabelDefinition(in: $in) { key schema } }";
const DELETE: &str = "mutation ($key: String!, $cascade: Boolean) { deleteLabelDefinition(key: $key, deleteRelatedLabels: $cascade) { key schema } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenarios_definition_lists_scenario_objects_and_changes_them() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let director_client = director.api.default_tenant();

    let data = director_client.data(LABEL_DEFINITIONS, json!({})).await;
    let scenarios = data["labelDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == "scenarios")
        .expect("the scenarios definition is listed")
        .clone();
    let schema: serde_json::Value =
        serde_json::from_str(scenarios["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema["items"]["enum"], json!(["DEFAULT"]));

    // Adding scenarios creates Scenario objects, with names that are not Kubernetes names kept.
    let updated = director_client
        .data(
            UPDATE,
            json!({ "in": { "key": "scenarios", "schema": scenarios_schema(&["DEFAULT", "Sales EMEA", "ops"]) } }),
        )
        .await;
    let enum_after: serde_json::Value =
        serde_json::from_str(updated["updateLabelDefinition"]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(
        enum_after["items"]["enum"],
        json!(["DEFAULT", "Sales EMEA", "ops"])
    );
    let objects: Api<Scenario> = Api::namespaced(server.client().await, NAMESPACE);
    let listed = server.kubectl_ok(&["get", "scenarios", "-n", NAMESPACE, "-o", "name"]);
    assert!(
        listed.contains("scenario.compass.kyma-project.io/ops"),
        "{listed}"
    );
    let sales = objects
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|s| s.scenario_name() == "Sales EMEA")
        .expect("a Scenario object for Sales EMEA");
    assert!(sales.metadata.name.unwrap().starts_with("sales-emea-"));

    // The meta-schema: DEFAULT cannot go, and only the enum may change.
    let response = director_client
        .send(
            UPDATE,
            json!({ "in": { "key": "scenarios", "schema": scenarios_schema(&["ops"]) } }),
        )
        .await;
    let (message, code) = response.error();
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.contains("DEFAULT"), "{message}");
    let loosened =
        json!({ "type": "array", "items": { "type": "string", "enum": ["DEFAULT"] } }).to_string();
    let (message, _) = director_client
        .send(
            UPDATE,
            json!({ "in": { "key": "scenarios", "schema": loosened } }),
        )
        .await
        .error();
    assert!(message.contains("only items.enum"), "{message}");
    let (message, _) = director_client
        .send(DELETE, json!({ "key": "scenarios" }))
        .await
        .error();
    assert!(message.contains("cannot be deleted"), "{message}");

    // A scenario still listed by a runtime cannot be removed.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Runtime\nmetadata: {name: edge, namespace: default-tenant}\nspec: {scenarios: [ops]}\n",
        &[],
    );
    // Once the Director sees the runtime, dropping its scenario is refused.
    compass_tests::eventually("the Director sees the runtime", || async {
        let data = director_client
            .data("{ runtimes { data { name } } }", json!({}))
            .await;
        (data["runtimes"]["data"][0]["name"] == "edge").then_some(())
    })
    .await;
    let response = director_client
        .send(UPDATE, json!({ "in": { "key": "scenarios", "schema": scenarios_schema(&["DEFAULT", "Sales EMEA"]) } }))
        .await;
    let (message, _) = response.error();
    assert!(message.contains("Runtime edge"), "{message}");
    // Removing one nobody lists works, and the object goes.
    director_client
        .data(UPDATE, json!({ "in": { "key": "scenarios", "schema": scenarios_schema(&["DEFAULT", "ops"]) } }))
        .await;
    compass_tests::eventually("the Sales EMEA object is gone", || async {
        let list = objects.list(&Default::default()).await.ok()?;
        (!list.items.iter().any(|s| s.scenario_name() == "Sales EMEA")).then_some(())
    })
    .await;
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_definitions_validate_schemas_and_guard_their_labels() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let director_client = director.api.default_tenant();

    let schema = json!({ "type": "string", "enum": ["eu", "us"] }).to_string();
    let created = director_client
        .data(
            CREATE,
            json!({ "in": { "key": "region", "schema": schema } }),
        )
        .await;
    assert_eq!(created["createLabelDefinition"]["key"], "region");
    let objects: Api<LabelDefinition> = Api::namespaced(server.client().await, NAMESPACE);
    let object = objects
        .get("region")
        .await
        .expect("a LabelDefinition object");
    assert_eq!(object.spec.schema.unwrap()["enum"], json!(["eu", "us"]));

    let (_, code) = director_client
        .send(CREATE, json!({ "in": { "key": "region" } }))
        .await
        .error();
    assert_eq!(code, "NOT_UNIQUE");
    let (message, code) = director_client
        .send(
            CREATE,
            json!({ "in": { "key": "tier", "schema": json!({ "type": "strin" }).to_string() } }),
        )
        .await
        .error();
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.contains("in.schema"), "{message}");

    // A runtime carries region=eu; a schema that would break it is refused.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Runtime\nmetadata: {name: edge, namespace: default-tenant}\nspec: {labels: {region: eu}}\n",
        &[],
    );
    let narrower = json!({ "type": "string", "enum": ["us"] }).to_string();
    compass_tests::eventually("the Director sees the runtime's label", || async {
        let data = director_client
            .data("{ runtimes { data { labels } } }", json!({}))
            .await;
        (data["runtimes"]["data"][0]["labels"]["region"] == "eu").then_some(())
    })
    .await;
    let response = director_client
        .send(
            UPDATE,
            json!({ "in": { "key": "region", "schema": narrower } }),
        )
        .await;
    let (message, _) = response.error();
    assert!(message.contains("Runtime edge"), "{message}");

    // Deleting a definition in use needs deleteRelatedLabels, which removes the labels.
    let (message, code) = director_client
        .send(DELETE, json!({ "key": "region" }))
        .await
        .error();
    assert_eq!(code, "CONFLICT");
    assert!(message.contains("Runtime edge"), "{message}");
    let deleted = director_client
        .data(DELETE, json!({ "key": "region", "cascade": true }))
        .await;
    assert_eq!(deleted["deleteLabelDefinition"]["key"], "region");
    let labels = server.kubectl_ok(&[
        "get",
        "runtime",
        "edge",
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.spec.labels}",
    ]);
    assert!(!labels.contains("region"), "{labels}");
    assert!(objects.get_opt("region").await.unwrap().is_none());

    // A key in use with no definition object is listed, as the original auto-defined it.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Runtime\nmetadata: {name: edge, namespace: default-tenant}\nspec: {labels: {\"runtime/console_url\": \"https://console.example.com\"}}\n",
        &[],
    );
    compass_tests::eventually("the key in use is listed", || async {
        let data = director_client.data(LABEL_DEFINITIONS, json!({})).await;
        data["labelDefinitions"]
            .as_array()?
            .iter()
            .any(|d| d["key"] == "runtime/console_url" && d["schema"].is_null())
            .then_some(())
    })
    .await;
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_need_a_token_a_known_tenant_and_the_scopes() {
    let server = TestServer::start().await;
    let reader = StaticUser {
        name: "reader".into(),
        token_sha256: digest("reader-token"),
        scopes: ["runtime:read".to_owned()].into(),
        tenants: [compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID.to_owned()].into(),
    };
    let director = server.start_director(vec![reader]).await;
    let admin = director.api.admin.clone();

    let anonymous = admin.with_token("wrong");
    let response = anonymous.send(LABEL_DEFINITIONS, json!({})).await;
    assert_eq!(response.status, 401);
    assert_eq!(response.error().1, "UNAUTHENTICATED");

    let (message, code) = admin.send(LABEL_DEFINITIONS, json!({})).await.error();
    assert_eq!(code, "TENANT_REQUIRED", "{message}");
    let (message, code) = admin
        .tenant("no-such-tenant")
        .send(LABEL_DEFINITIONS, json!({}))
        .await
        .error();
    assert_eq!(code, "TENANT_NOT_FOUND");
    assert!(message.contains("no-such-tenant"), "{message}");

    let reader = director.api.default_tenant().with_token("reader-token");
    let (message, code) = reader.send(LABEL_DEFINITIONS, json!({})).await.error();
    assert_eq!(code, "INSUFFICIENT_SCOPES");
    assert!(
        message.contains("insufficient scopes provided"),
        "{message}"
    );
    let viewer = reader.data("query { viewer { id type } }", json!({})).await;
    assert_eq!(viewer["viewer"], json!({ "id": "reader", "type": "USER" }));
    // Naming a tenant the caller may not use is refused whatever the operation, as the
    // original's tenant mapping refused it.
    let response = reader
        .tenant("another-tenant")
        .send("query { viewer { id } }", json!({}))
        .await;
    assert_eq!(response.status, 403);
    let (message, code) = response.error();
    assert_eq!(code, "TENANT_MISMATCH");
    assert!(message.contains("another-tenant"), "{message}");
    director.stop().await;
}
