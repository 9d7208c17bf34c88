//! Applications over HTTP, following the original's end-to-end tests: register with every field
//! and with nested children, unknown references, update, duplicate names, unregister, tenant
//! separation, and the same applications seen through kubectl.

mod director_application_env;

use compass_tests::eventually;
use director_application_env::{
    Env, NAMESPACE, api_fields, app_fields, application, assert_code, assert_invalid, basic, oauth,
    register, register_err,
};
use serde_json::{Value, json};

const UPDATE: &str = "mutation ($id: ID!, $in: ApplicationUpdateInput!) { updateApplication(id: $id, in: $in) { id name providerName description healthCheckURL integrationSystemID labels } }";

async fn register_integration_system(env: &Env, name: &str) -> String {
    env.director
        .api
        .admin
        .data(
            "mutation ($in: IntegrationSystemInput!) { registerIntegrationSystem(in: $in) { id } }",
            json!({ "in": { "name": name } }),
        )
        .await["registerIntegrationSystem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_registered_with_every_simple_field_reads_back_and_is_an_object() {
    let env = Env::start().await;
    let system = register_integration_system(&env, "sync").await;
    let app = register(
        &env.client,
        json!({
            "name": "crm",
            "providerName": "ACME",
            "description": "Customer relations",
            "labels": { "group": ["production", "experimental"], "scenarios": ["DEFAULT"] },
            "healthCheckURL": "https://crm.example.com/healthz",
            "integrationSystemID": system,
        }),
    )
    .await;
    assert_eq!(app["name"], "crm");
    assert_eq!(app["providerName"], "ACME");
    assert_eq!(app["description"], "Customer relations");
    assert_eq!(app["healthCheckURL"], "https://crm.example.com/healthz");
    assert_eq!(app["integrationSystemID"], system.as_str());
    assert_eq!(
        app["labels"],
        json!({
            "group": ["production", "experimental"],
            "scenarios": ["DEFAULT"],
            "name": "crm",
            "integration-system-id": system,
        })
    );
    assert_eq!(app["webhooks"], json!([]));
    assert_eq!(app["apiDefinitions"]["totalCount"], 0);
    assert_eq!(app["eventingConfiguration"]["defaultURL"], "");
    let id = app["id"].as_str().unwrap().to_owned();

    // It is an Application object, with the integration system named.
    let object = env.kubectl_json("application", "crm");
    assert_eq!(object["metadata"]["uid"], id.as_str());
    assert_eq!(object["spec"]["integrationSystem"], "sync");
    assert_eq!(
        object["spec"]["labels"],
        json!({ "group": ["production", "experimental"] })
    );
    assert_eq!(object["spec"]["scenarios"], json!(["DEFAULT"]));

    // The operator finds everything it names, and the Director reports it READY.
    let ready = eventually("the application is READY", || async {
        let app = application(&env.client, &id).await;
        (app["status"]["condition"] == "READY").then_some(app)
    })
    .await;
    assert_eq!(ready["name"], "crm");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_apis_events_and_documents_are_registered_in_one_call() {
    let env = Env::start().await;
    let app = register(
        &env.client,
        json!({
            "name": "shop",
            "webhooks": [
                { "type": "CONFIGURATION_CHANGED", "url": "https://shop.example.com/hook", "auth": basic("hook", "hook-pass") },
                { "type": "CONFIGURATION_CHANGED", "url": "https://shop.example.com/hook2" },
            ],
            "apiDefinitions": [
                { "name": "orders", "description": "Orders", "targetURL": "https://shop.example.com/orders", "group": "orders",
                  "spec": { "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0" },
                  "version": { "value": "v1", "deprecated": true, "deprecatedSince": "v0" },
                  "defaultAuth": oauth("shop-client", "shop-secret") },
                { "name": "catalog", "targetURL": "https://shop.example.com/catalog",
                  "spec": { "type": "ODATA", "format": "XML", "data": "<edmx/>" } },
            ],
            "eventDefinitions": [
                { "name": "order-events", "group": "orders", "spec": { "type": "ASYNC_API", "format": "JSON", "data": "{\"asyncapi\":\"2.0.0\"}" },
                  "version": { "value": "v1" } },
            ],
            "documents": [
                { "title": "Guide", "displayName": "The guide", "description": "How to", "format": "MARKDOWN", "kind": "Guide", "data": "# Guide" },
            ],
        }),
    )
    .await;
    let id = app["id"].as_str().unwrap();

    let webhooks = app["webhooks"].as_array().unwrap();
    assert_eq!(webhooks.len(), 2);
    assert_eq!(webhooks[0]["applicationID"], id);
    assert_eq!(webhooks[0]["type"], "CONFIGURATION_CHANGED");
    assert_eq!(
        webhooks[0]["auth"]["credential"],
        json!({ "username": "hook", "password": "hook-pass" })
    );
    assert!(webhooks[1]["auth"].is_null());

    let apis = app["apiDefinitions"]["data"].as_array().unwrap();
    assert_eq!(app["apiDefinitions"]["totalCount"], 2);
    let ids: Vec<&str> = apis.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "pages are in id order");
    let orders = apis.iter().find(|a| a["name"] == "orders").unwrap();
    assert_eq!(orders["applicationID"], id);
    assert_eq!(orders["group"], "orders");
    assert_eq!(orders["spec"]["data"], "openapi: 3.0.0");
    assert_eq!(orders["spec"]["type"], "OPEN_API");
    assert_eq!(orders["spec"]["format"], "YAML");
    assert!(orders["spec"]["fetchRequest"].is_null());
    assert_eq!(
        orders["version"],
        json!({ "value": "v1", "deprecated": true, "deprecatedSince": "v0", "forRemoval": false })
    );
    assert_eq!(
        orders["defaultAuth"]["credential"],
        json!({ "clientId": "shop-client", "clientSecret": "shop-secret", "url": "https://auth.example.com/token" })
    );
    let events = &app["eventDefinitions"]["data"][0];
    assert_eq!(events["name"], "order-events");
    assert_eq!(events["spec"]["data"], "{\"asyncapi\":\"2.0.0\"}");
    assert_eq!(events["spec"]["type"], "ASYNC_API");
    let document = &app["documents"]["data"][0];
    assert_eq!(document["title"], "Guide");
    assert_eq!(document["displayName"], "The guide");
    assert_eq!(document["kind"], "Guide");
    assert_eq!(document["data"], "# Guide");
    assert_eq!(document["format"], "MARKDOWN");

    // One child by id, through the application.
    let specific = env
        .client
        .data(
            &format!(
                "query ($app: ID!, $api: ID!, $event: ID!) {{ application(id: $app) {{ apiDefinition(id: $api) {{ {} }} eventDefinition(id: $event) {{ name }} }} }}",
                api_fields()
            ),
            json!({ "app": id, "api": orders["id"], "event": events["id"] }),
        )
        .await;
    assert_eq!(specific["application"]["apiDefinition"], *orders);
    assert_eq!(
        specific["application"]["eventDefinition"]["name"],
        "order-events"
    );

    // Webhooks are named after their type; ids are those the operator reports too.
    let object = env.kubectl_json("application", "shop");
    let names: Vec<&str> = object["spec"]["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["configuration-changed", "configuration-changed-2"]
    );
    let reported = eventually("the operator reports the API ids", || async {
        let object = env.kubectl_json("application", "shop");
        let list = object["status"]["apiDefinitions"].as_array()?.clone();
        (list.len() == 2).then_some(list)
    })
    .await;
    let reported_orders = reported.iter().find(|d| d["name"] == "orders").unwrap();
    assert_eq!(reported_orders["id"], orders["id"]);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_integration_systems_and_missing_applications_are_refused() {
    let env = Env::start().await;
    let unknown = "3f1b7c2e-0000-4000-8000-000000000000";
    let response = register_err(
        &env.client,
        json!({ "name": "ghost", "integrationSystemID": unknown }),
    )
    .await;
    assert_invalid(&response, "in.integrationSystemID");
    let listed = env
        .server
        .kubectl_ok(&["get", "applications", "-n", NAMESPACE, "-o", "name"]);
    assert_eq!(listed.trim(), "", "nothing half-made remains");

    let app = register(&env.client, json!({ "name": "real" })).await;
    let response = env
        .client
        .send(
            UPDATE,
            json!({ "id": app["id"], "in": { "name": "real", "integrationSystemID": unknown } }),
        )
        .await;
    assert_invalid(&response, "in.integrationSystemID");

    // Children cannot be added to an application that does not exist.
    for mutation in [
        "addWebhook(applicationID: $id, in: { type: CONFIGURATION_CHANGED, url: \"https://x.example.com\" }) { id }",
        "addAPIDefinition(applicationID: $id, in: { name: \"a\", targetURL: \"https://x.example.com\" }) { id }",
        "addEventDefinition(applicationID: $id, in: { name: \"e\" }) { id }",
        "addDocument(applicationID: $id, in: { title: \"t\", displayName: \"t\", description: \"d\", format: MARKDOWN }) { id }",
    ] {
        let response = env
            .client
            .send(
                &format!("mutation ($id: ID!) {{ {mutation} }}"),
                json!({ "id": unknown }),
            )
            .await;
        assert_code(&response, "NOT_FOUND");
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_simple_fields_names_stay_unique_and_unregister_returns_the_application() {
    let env = Env::start().await;
    let system = register_integration_system(&env, "sync").await;
    let app = register(
        &env.client,
        json!({
            "name": "erp", "description": "old", "labels": { "team": "blue" },
            "apiDefinitions": [{ "name": "books", "targetURL": "https://erp.example.com/books",
                                 "defaultAuth": basic("erp", "erp-pass") }],
        }),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    let updated = env
        .client
        .data(
            UPDATE,
            json!({ "id": id, "in": {
                "name": "erp", "providerName": "SAP", "description": "new",
                "healthCheckURL": "https://erp.example.com/health", "integrationSystemID": system,
            } }),
        )
        .await["updateApplication"]
        .clone();
    assert_eq!(updated["providerName"], "SAP");
    assert_eq!(updated["description"], "new");
    assert_eq!(updated["healthCheckURL"], "https://erp.example.com/health");
    assert_eq!(updated["integrationSystemID"], system.as_str());
    assert_eq!(updated["labels"]["team"], "blue", "labels stay");
    assert_eq!(updated["labels"]["integration-system-id"], system.as_str());
    let read = application(&env.client, &id).await;
    assert_eq!(read["apiDefinitions"]["totalCount"], 1, "children stay");

    // Leaving fields out clears them.
    let cleared = env
        .client
        .data(UPDATE, json!({ "id": id, "in": { "name": "erp" } }))
        .await["updateApplication"]
        .clone();
    assert!(cleared["providerName"].is_null());
    assert!(cleared["integrationSystemID"].is_null());
    assert_eq!(cleared["labels"]["integration-system-id"], "");

    // Names are unique in the tenant and cannot change; a refused duplicate defines no label.
    let duplicate = json!({ "name": "erp", "labels": { "fresh-key": "x" } });
    let message = assert_code(&register_err(&env.client, duplicate).await, "NOT_UNIQUE");
    assert!(message.contains("erp"), "{message}");
    let keys = env
        .server
        .kubectl_ok(&["get", "labeldefinitions", "-n", NAMESPACE, "-o", "name"]);
    assert!(!keys.contains("fresh-key"), "{keys}");
    register(&env.client, json!({ "name": "other" })).await;
    let response = env
        .client
        .send(UPDATE, json!({ "id": id, "in": { "name": "other" } }))
        .await;
    assert_invalid(&response, "in.name");

    // Unregister returns the application as it was; it and its Secrets are gone.
    let secrets = env.server.kubectl_ok(&[
        "get",
        "secrets",
        "-n",
        NAMESPACE,
        "-l",
        "compass.kyma-project.io/application=erp",
        "-o",
        "name",
    ]);
    assert_eq!(secrets.lines().count(), 1, "{secrets}");
    let gone = env
        .client
        .data(
            &format!(
                "mutation ($id: ID!) {{ unregisterApplication(id: $id) {{ {} }} }}",
                app_fields()
            ),
            json!({ "id": id }),
        )
        .await["unregisterApplication"]
        .clone();
    assert_eq!(gone["name"], "erp");
    assert_eq!(gone["apiDefinitions"]["data"][0]["name"], "books");
    assert!(application(&env.client, &id).await.is_null());
    assert!(
        env.server
            .kubectl_err(&["get", "application", "erp", "-n", NAMESPACE])
            .contains("NotFound")
    );
    eventually("the application's Secrets are collected", || async {
        let secrets = env.server.kubectl_ok(&[
            "get",
            "secrets",
            "-n",
            NAMESPACE,
            "-l",
            "compass.kyma-project.io/application=erp",
            "-o",
            "name",
        ]);
        secrets.trim().is_empty().then_some(())
    })
    .await;
    let response = env
        .client
        .send(
            "mutation ($id: ID!) { unregisterApplication(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_code(&response, "NOT_FOUND");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_see_and_change_only_their_own_applications() {
    let env = Env::start().await;
    let app = register(
        &env.client,
        json!({ "name": "crm", "apiDefinitions": [{ "name": "a", "targetURL": "https://crm.example.com" }] }),
    )
    .await;
    let id = app["id"].as_str().unwrap();
    let api_id = app["apiDefinitions"]["data"][0]["id"].as_str().unwrap();
    let other = env.other_tenant("other", "other-tenant").await;

    let page = other
        .data("{ applications { totalCount } }", json!({}))
        .await;
    assert_eq!(page["applications"]["totalCount"], 0);
    assert!(application(&other, id).await.is_null());
    for mutation in [
        "updateApplication(id: $id, in: { name: \"crm\" }) { id }",
        "unregisterApplication(id: $id) { id }",
        "setApplicationLabel(applicationID: $id, key: \"k\", value: 1) { key }",
        "addWebhook(applicationID: $id, in: { type: CONFIGURATION_CHANGED, url: \"https://x.example.com\" }) { id }",
    ] {
        let response = other
            .send(
                &format!("mutation ($id: ID!) {{ {mutation} }}"),
                json!({ "id": id }),
            )
            .await;
        assert_code(&response, "NOT_FOUND");
    }
    let response = other
        .send(
            "mutation ($id: ID!) { deleteAPIDefinition(id: $id) { id } }",
            json!({ "id": api_id }),
        )
        .await;
    assert_code(&response, "NOT_FOUND");

    // Names are unique per tenant only.
    let twin = register(&other, json!({ "name": "crm" })).await;
    assert_ne!(twin["id"], app["id"]);
    let mine = env
        .client
        .data("{ applications { data { name } totalCount } }", json!({}))
        .await;
    assert_eq!(mine["applications"]["totalCount"], 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_and_kubectl_see_the_same_applications() {
    let env = Env::start().await;
    let app = register(&env.client, json!({ "name": "billing" })).await;
    let id = app["id"].as_str().unwrap();
    env.client
        .data(
            "mutation ($id: ID!) { setApplicationLabel(applicationID: $id, key: \"region\", value: \"eu\") { key } addAPIDefinition(applicationID: $id, in: { name: \"invoices\", targetURL: \"https://billing.example.com\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    let listed = env
        .server
        .kubectl_ok(&["get", "applications", "-n", NAMESPACE, "-o", "json"]);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let billing = &listed["items"][0];
    assert_eq!(billing["metadata"]["name"], "billing");
    assert_eq!(billing["spec"]["labels"]["region"], "eu");
    assert_eq!(billing["spec"]["apiDefinitions"][0]["name"], "invoices");

    // An Application applied with kubectl is an application of the Director.
    env.server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {name: legacy, namespace: default-tenant}\nspec:\n  description: applied\n  labels: {origin: gitops}\n  apiDefinitions:\n  - {name: old, targetURL: 'https://legacy.example.com', spec: {type: OPEN_API, format: JSON, data: '{}'}}\n",
        &[],
    );
    let found = eventually("the Director lists the applied application", || async {
        let page = env
            .client
            .data(
                "query { applications(filter: [{ key: \"origin\", query: \"\\\"gitops\\\"\" }]) { data { id name description labels apiDefinitions { data { id name spec { data } } } } } }",
                json!({}),
            )
            .await;
        page["applications"]["data"].get(0).cloned()
    })
    .await;
    assert_eq!(found["name"], "legacy");
    assert_eq!(found["description"], "applied");
    assert_eq!(found["labels"]["scenarios"], json!(["DEFAULT"]));
    assert_eq!(found["apiDefinitions"]["data"][0]["spec"]["data"], "{}");
    let uid = env.server.kubectl_ok(&[
        "get",
        "application",
        "legacy",
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    assert_eq!(found["id"], uid.as_str());
    env.stop().await;
}
