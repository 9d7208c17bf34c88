//! Updating simple fields, names that stay unique, and unregistering.

use crate::director_application_env::{
    Env, NAMESPACE, app_fields, application, assert_code, assert_invalid, basic, register,
    register_err,
};
use compass_tests::eventually;
use serde_json::json;

use super::{UPDATE, register_integration_system};

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
