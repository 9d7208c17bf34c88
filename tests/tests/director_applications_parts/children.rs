//! An application's webhooks, API and event definitions and documents, added, changed and
//! deleted one at a time.

use crate::director_application_env::{
    Env, api_fields, application, assert_code, assert_invalid, basic, document_fields,
    event_fields, webhook_fields,
};
use serde_json::{Value, json};

use super::app_id;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_added_updated_and_deleted_keeping_their_ids() {
    let env = Env::start().await;
    let id = app_id(&env, "crm").await;
    let fields = webhook_fields();
    let add = format!(
        "mutation ($id: ID!, $in: WebhookInput!) {{ addWebhook(applicationID: $id, in: $in) {{ {fields} }} }}"
    );
    let first = env
        .client
        .data(&add, json!({ "id": id, "in": { "type": "CONFIGURATION_CHANGED", "url": "https://crm.example.com/a" } }))
        .await["addWebhook"]
        .clone();
    let second = env
        .client
        .data(&add, json!({ "id": id, "in": { "type": "CONFIGURATION_CHANGED", "url": "https://crm.example.com/b", "auth": basic("u", "p") } }))
        .await["addWebhook"]
        .clone();
    assert_eq!(second["applicationID"], id.as_str());
    assert_eq!(
        second["auth"]["credential"],
        json!({ "username": "u", "password": "p" })
    );
    assert_ne!(first["id"], second["id"]);

    let updated = env
        .client
        .data(
            &format!("mutation ($id: ID!, $in: WebhookInput!) {{ updateWebhook(webhookID: $id, in: $in) {{ {fields} }} }}"),
            json!({ "id": second["id"], "in": { "type": "CONFIGURATION_CHANGED", "url": "https://crm.example.com/c" } }),
        )
        .await["updateWebhook"]
        .clone();
    assert_eq!(
        updated["id"], second["id"],
        "an updated webhook keeps its id"
    );
    assert_eq!(updated["url"], "https://crm.example.com/c");
    assert!(updated["auth"].is_null());

    let deleted = env
        .client
        .data(
            &format!("mutation ($id: ID!) {{ deleteWebhook(webhookID: $id) {{ {fields} }} }}"),
            json!({ "id": first["id"] }),
        )
        .await["deleteWebhook"]
        .clone();
    assert_eq!(deleted["url"], "https://crm.example.com/a");
    let app = application(&env.client, &id).await;
    let urls: Vec<&Value> = app["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["url"])
        .collect();
    assert_eq!(urls, vec!["https://crm.example.com/c"]);
    assert_code(
        &env.client
            .send(
                "mutation ($id: ID!) { deleteWebhook(webhookID: $id) { id } }",
                json!({ "id": first["id"] }),
            )
            .await,
        "NOT_FOUND",
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_definitions_are_added_updated_and_deleted() {
    let env = Env::start().await;
    let id = app_id(&env, "crm").await;
    let fields = api_fields();
    let add = format!(
        "mutation ($id: ID!, $in: APIDefinitionInput!) {{ addAPIDefinition(applicationID: $id, in: $in) {{ {fields} }} }}"
    );
    let input = json!({
        "name": "contacts", "description": "Contacts", "targetURL": "https://crm.example.com/contacts", "group": "people",
        "spec": { "type": "OPEN_API", "format": "JSON", "data": "{\"openapi\":\"3.0.0\"}" },
        "version": { "value": "v1" },
    });
    let added = env
        .client
        .data(&add, json!({ "id": id, "in": input }))
        .await["addAPIDefinition"]
        .clone();
    assert_eq!(added["name"], "contacts");
    assert_eq!(added["applicationID"], id.as_str());
    assert_eq!(added["version"]["deprecated"], false);
    let message = assert_code(
        &env.client
            .send(&add, json!({ "id": id, "in": input }))
            .await,
        "NOT_UNIQUE",
    );
    assert!(message.contains("contacts"), "{message}");

    let update = format!(
        "mutation ($id: ID!, $in: APIDefinitionInput!) {{ updateAPIDefinition(id: $id, in: $in) {{ {fields} }} }}"
    );
    let updated = env
        .client
        .data(
            &update,
            json!({ "id": added["id"], "in": {
                "name": "contacts", "targetURL": "https://crm.example.com/v2/contacts",
                "spec": { "type": "ODATA", "format": "XML", "data": "<edmx/>" },
            } }),
        )
        .await["updateAPIDefinition"]
        .clone();
    assert_eq!(updated["id"], added["id"]);
    assert_eq!(updated["targetURL"], "https://crm.example.com/v2/contacts");
    assert_eq!(updated["spec"]["type"], "ODATA");
    assert!(updated["group"].is_null());
    assert_invalid(
        &env.client
            .send(&update, json!({ "id": added["id"], "in": { "name": "renamed", "targetURL": "https://x.example.com" } }))
            .await,
        "in.name",
    );

    let specific = env
        .client
        .data(
            "query ($app: ID!, $api: ID!) { application(id: $app) { apiDefinition(id: $api) { name targetURL } } }",
            json!({ "app": id, "api": added["id"] }),
        )
        .await;
    assert_eq!(specific["application"]["apiDefinition"]["name"], "contacts");

    let deleted = env
        .client
        .data(
            &format!("mutation ($id: ID!) {{ deleteAPIDefinition(id: $id) {{ {fields} }} }}"),
            json!({ "id": added["id"] }),
        )
        .await["deleteAPIDefinition"]
        .clone();
    assert_eq!(deleted["targetURL"], "https://crm.example.com/v2/contacts");
    let specific = env
        .client
        .data(
            "query ($app: ID!, $api: ID!) { application(id: $app) { apiDefinition(id: $api) { name } apiDefinitions { totalCount } } }",
            json!({ "app": id, "api": added["id"] }),
        )
        .await;
    assert!(specific["application"]["apiDefinition"].is_null());
    assert_eq!(specific["application"]["apiDefinitions"]["totalCount"], 0);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_definitions_and_documents_are_added_changed_and_deleted() {
    let env = Env::start().await;
    let id = app_id(&env, "crm").await;
    let events = event_fields();
    let added = env
        .client
        .data(
            &format!("mutation ($id: ID!, $in: EventDefinitionInput!) {{ addEventDefinition(applicationID: $id, in: $in) {{ {events} }} }}"),
            json!({ "id": id, "in": { "name": "contact-events", "spec": { "type": "ASYNC_API", "format": "YAML", "data": "asyncapi: 2.0.0" } } }),
        )
        .await["addEventDefinition"]
        .clone();
    assert_eq!(added["spec"]["format"], "YAML");
    let updated = env
        .client
        .data(
            &format!("mutation ($id: ID!, $in: EventDefinitionInput!) {{ updateEventDefinition(id: $id, in: $in) {{ {events} }} }}"),
            json!({ "id": added["id"], "in": { "name": "contact-events", "group": "contacts", "description": "changed",
                                              "spec": { "type": "ASYNC_API", "format": "JSON", "data": "{}" } } }),
        )
        .await["updateEventDefinition"]
        .clone();
    assert_eq!(updated["id"], added["id"]);
    assert_eq!(updated["description"], "changed");
    assert_eq!(updated["spec"]["data"], "{}");
    let specific = env
        .client
        .data(
            "query ($app: ID!, $e: ID!) { application(id: $app) { eventDefinition(id: $e) { group } eventDefinitions(group: \"contacts\") { totalCount } } }",
            json!({ "app": id, "e": added["id"] }),
        )
        .await;
    assert_eq!(
        specific["application"]["eventDefinition"]["group"],
        "contacts"
    );
    assert_eq!(specific["application"]["eventDefinitions"]["totalCount"], 1);
    let deleted = env
        .client
        .data(
            "mutation ($id: ID!) { deleteEventDefinition(id: $id) { name } }",
            json!({ "id": added["id"] }),
        )
        .await;
    assert_eq!(deleted["deleteEventDefinition"]["name"], "contact-events");

    let documents = document_fields();
    let add_document = format!(
        "mutation ($id: ID!, $in: DocumentInput!) {{ addDocument(applicationID: $id, in: $in) {{ {documents} }} }}"
    );
    let document = json!({ "title": "Readme", "displayName": "Read me", "description": "About", "format": "MARKDOWN", "data": "# Hi" });
    let added = env
        .client
        .data(&add_document, json!({ "id": id, "in": document }))
        .await["addDocument"]
        .clone();
    assert_eq!(added["data"], "# Hi");
    assert_code(
        &env.client
            .send(&add_document, json!({ "id": id, "in": document }))
            .await,
        "NOT_UNIQUE",
    );
    let deleted = env
        .client
        .data(
            &format!("mutation ($id: ID!) {{ deleteDocument(id: $id) {{ {documents} }} }}"),
            json!({ "id": added["id"] }),
        )
        .await["deleteDocument"]
        .clone();
    assert_eq!(deleted["title"], "Readme");
    let app = application(&env.client, &id).await;
    assert_eq!(app["documents"]["totalCount"], 0);
    assert_eq!(app["eventDefinitions"]["totalCount"], 0);
    env.stop().await;
}
