//! The input rules each part's mutation applies: refused naming the field, nothing written.

use crate::director_application_env::{Env, application, assert_invalid, register_err};
use serde_json::{Value, json};

use super::app_id;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_refused_naming_the_field_and_nothing_is_written() {
    let env = Env::start().await;
    let api = |extra: Value| {
        let mut api = json!({ "name": "a", "targetURL": "https://x.example.com" });
        api.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "name": "app", "apiDefinitions": [api] })
    };
    let cases = [
        (json!({ "name": "Not_Valid" }), "in.name"),
        (json!({ "name": "1app" }), "in.name"),
        (json!({ "name": "a".repeat(37) }), "in.name"),
        (
            json!({ "name": "app", "description": "x".repeat(2001) }),
            "in.description",
        ),
        (
            json!({ "name": "app", "providerName": "x".repeat(257) }),
            "in.providerName",
        ),
        (
            json!({ "name": "app", "healthCheckURL": "ftp://x" }),
            "in.healthCheckURL",
        ),
        (
            json!({ "name": "app", "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": "not a url" }] }),
            "in.webhooks[0].url",
        ),
        (
            api(json!({ "name": "caf\u{e9}" })),
            "in.apiDefinitions[0].name",
        ),
        (
            api(json!({ "name": "x".repeat(101) })),
            "in.apiDefinitions[0].name",
        ),
        (
            api(json!({ "targetURL": "nope" })),
            "in.apiDefinitions[0].targetURL",
        ),
        (
            api(json!({ "group": "g".repeat(37) })),
            "in.apiDefinitions[0].group",
        ),
        (
            api(json!({ "spec": { "type": "OPEN_API", "format": "XML", "data": "x" } })),
            "in.apiDefinitions[0].spec.format",
        ),
        (
            api(json!({ "spec": { "type": "ODATA", "format": "YAML", "data": "x" } })),
            "in.apiDefinitions[0].spec.format",
        ),
        (
            api(json!({ "spec": { "type": "OPEN_API", "format": "JSON" } })),
            "in.apiDefinitions[0].spec.data",
        ),
        (
            api(
                json!({ "spec": { "type": "OPEN_API", "format": "JSON", "data": "x", "fetchRequest": { "url": "https://x.example.com" } } }),
            ),
            "in.apiDefinitions[0].spec.data",
        ),
        (
            api(
                json!({ "spec": { "type": "OPEN_API", "format": "JSON", "fetchRequest": { "url": "https://x.example.com", "filter": "f".repeat(257) } } }),
            ),
            "in.apiDefinitions[0].spec.fetchRequest.filter",
        ),
        (
            api(json!({ "version": { "value": "" } })),
            "in.apiDefinitions[0].version.value",
        ),
        (
            api(json!({ "defaultAuth": { "credential": {} } })),
            "in.apiDefinitions[0].defaultAuth.credential",
        ),
        (
            api(
                json!({ "defaultAuth": { "credential": { "basic": { "username": "u", "password": "p" }, "oauth": { "clientId": "c", "clientSecret": "s", "url": "https://t.example.com" } } } }),
            ),
            "in.apiDefinitions[0].defaultAuth.credential",
        ),
        (
            api(
                json!({ "defaultAuth": { "credential": { "oauth": { "clientId": "c", "clientSecret": "s", "url": "token" } } } }),
            ),
            "in.apiDefinitions[0].defaultAuth.credential.oauth.url",
        ),
        (
            json!({ "name": "app", "apiDefinitions": [{ "name": "a", "targetURL": "https://x.example.com" }, { "name": "a", "targetURL": "https://y.example.com" }] }),
            "in.apiDefinitions[1].name",
        ),
        (
            json!({ "name": "app", "eventDefinitions": [{ "name": "e", "spec": { "type": "ASYNC_API", "format": "XML", "data": "x" } }] }),
            "in.eventDefinitions[0].spec.format",
        ),
        (
            json!({ "name": "app", "eventDefinitions": [{ "name": "e", "group": "g".repeat(37) }] }),
            "in.eventDefinitions[0].group",
        ),
        (
            json!({ "name": "app", "documents": [{ "title": "", "displayName": "d", "description": "d", "format": "MARKDOWN" }] }),
            "in.documents[0].title",
        ),
        (
            json!({ "name": "app", "documents": [{ "title": "t", "displayName": "d".repeat(129), "description": "d", "format": "MARKDOWN" }] }),
            "in.documents[0].displayName",
        ),
        (
            json!({ "name": "app", "documents": [{ "title": "t", "displayName": "d", "description": "", "format": "MARKDOWN" }] }),
            "in.documents[0].description",
        ),
        (
            json!({ "name": "app", "documents": [{ "title": "t", "displayName": "d", "description": "d", "format": "MARKDOWN", "kind": "k".repeat(257) }] }),
            "in.documents[0].kind",
        ),
        (
            json!({ "name": "app", "documents": [{ "title": "t", "displayName": "d", "description": "d", "format": "MARKDOWN", "data": "x", "fetchRequest": { "url": "https://x.example.com" } }] }),
            "in.documents[0].data",
        ),
        (
            json!({ "name": "app", "labels": { "name": "other" } }),
            "in.labels.name",
        ),
    ];
    for (input, field) in cases {
        assert_invalid(&register_err(&env.client, input).await, field);
    }
    let listed = env.server.kubectl_ok(&[
        "get",
        "applications",
        "-n",
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
        "-o",
        "name",
    ]);
    assert_eq!(listed.trim(), "");

    // The same rules hold for the mutations of parts, with their own paths.
    let id = app_id(&env, "app").await;
    for (mutation, type_, input, field) in [
        (
            "addAPIDefinition(applicationID: $id, in: $in)",
            "APIDefinitionInput!",
            json!({ "name": "a", "targetURL": "x" }),
            "in.targetURL",
        ),
        (
            "addEventDefinition(applicationID: $id, in: $in)",
            "EventDefinitionInput!",
            json!({ "name": "e", "spec": { "type": "ASYNC_API", "format": "XML", "data": "x" } }),
            "in.spec.format",
        ),
        (
            "addDocument(applicationID: $id, in: $in)",
            "DocumentInput!",
            json!({ "title": "t", "displayName": "d", "description": "d", "format": "MARKDOWN", "fetchRequest": { "url": "x" } }),
            "in.fetchRequest.url",
        ),
        (
            "addWebhook(applicationID: $id, in: $in)",
            "WebhookInput!",
            json!({ "type": "CONFIGURATION_CHANGED", "url": "https://x.example.com", "auth": { "credential": { "basic": { "username": "", "password": "p" } } } }),
            "in.auth.credential.basic.username",
        ),
    ] {
        let response = env
            .client
            .send(
                &format!("mutation ($id: ID!, $in: {type_}) {{ {mutation} {{ __typename }} }}"),
                json!({ "id": id, "in": input }),
            )
            .await;
        assert_invalid(&response, field);
    }
    let app = application(&env.client, &id).await;
    assert_eq!(app["apiDefinitions"]["totalCount"], 0);
    assert_eq!(app["webhooks"], json!([]));
    env.stop().await;
}
