//! Who sees which applications: each tenant only its own, and GraphQL and kubectl the same ones.

use crate::director_application_env::{Env, NAMESPACE, application, assert_code, register};
use compass_tests::eventually;
use serde_json::{Value, json};

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
