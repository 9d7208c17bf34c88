//! Registering applications: every simple field, nested children in one call, and refusals of
//! unknown integration systems and missing applications.

use crate::director_application_env::{
    Env, NAMESPACE, api_fields, application, assert_code, assert_invalid, basic, oauth, register,
    register_err,
};
use compass_tests::eventually;
use serde_json::json;

use super::{UPDATE, register_integration_system};

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
