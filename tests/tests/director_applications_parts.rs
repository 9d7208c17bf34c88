//! Changing parts of an application over HTTP, as the original's `TestUpdateApplicationParts`:
//! labels (with label definitions and the scenarios label), webhooks, API and event definitions,
//! documents; and the input rules each mutation applies, naming the field it refuses.

mod director_application_env;

use director_application_env::{
    Env, api_fields, application, assert_code, assert_invalid, basic, define_scenarios,
    document_fields, event_fields, register, register_err, webhook_fields,
};
use serde_json::{Value, json};

async fn app_id(env: &Env, name: &str) -> String {
    register(&env.client, json!({ "name": name })).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_set_and_deleted_against_their_definitions_and_scenarios_stay() {
    let env = Env::start().await;
    let id = app_id(&env, "crm").await;
    let set = "mutation ($id: ID!, $key: String!, $value: Any!) { setApplicationLabel(applicationID: $id, key: $key, value: $value) { key value } }";
    let delete = "mutation ($id: ID!, $key: String!) { deleteApplicationLabel(applicationID: $id, key: $key) { key value } }";

    // A new key gets a label definition without a schema.
    let label = env
        .client
        .data(
            set,
            json!({ "id": id, "key": "region", "value": ["eu", "us"] }),
        )
        .await;
    assert_eq!(
        label["setApplicationLabel"],
        json!({ "key": "region", "value": ["eu", "us"] })
    );
    let definition = env
        .client
        .data(
            "{ labelDefinition(key: \"region\") { key schema } }",
            json!({}),
        )
        .await;
    assert_eq!(definition["labelDefinition"]["key"], "region");

    // A value must satisfy its definition's schema.
    env.client
        .data(
            "mutation { createLabelDefinition(in: { key: \"tier\", schema: \"{\\\"type\\\":\\\"integer\\\"}\" }) { key } }",
            json!({}),
        )
        .await;
    let response = env
        .client
        .send(set, json!({ "id": id, "key": "tier", "value": "gold" }))
        .await;
    assert_invalid(&response, "value");
    env.client
        .data(set, json!({ "id": id, "key": "tier", "value": 2 }))
        .await;
    assert_invalid(
        &register_err(
            &env.client,
            json!({ "name": "bad", "labels": { "tier": "x" } }),
        )
        .await,
        "in.labels.tier",
    );

    // Scenarios are a label: only existing ones, never none.
    define_scenarios(&env.client, &["marketing"]).await;
    env.client
        .data(
            set,
            json!({ "id": id, "key": "scenarios", "value": ["marketing"] }),
        )
        .await;
    let object = env.kubectl_json("application", "crm");
    assert_eq!(object["spec"]["scenarios"], json!(["marketing"]));
    let response = env
        .client
        .send(
            set,
            json!({ "id": id, "key": "scenarios", "value": ["nowhere"] }),
        )
        .await;
    let message = assert_code(&response, "INVALID_INPUT");
    assert!(message.contains("nowhere"), "{message}");
    let response = env
        .client
        .send(delete, json!({ "id": id, "key": "scenarios" }))
        .await;
    let message = assert_code(&response, "INVALID_INPUT");
    assert!(message.contains("scenarios"), "{message}");

    // System labels are derived and cannot be written.
    for key in ["name", "integration-system-id"] {
        let response = env
            .client
            .send(set, json!({ "id": id, "key": key, "value": "x" }))
            .await;
        let message = assert_code(&response, "INVALID_INPUT");
        assert!(message.contains("system label"), "{message}");
        assert_code(
            &env.client
                .send(delete, json!({ "id": id, "key": key }))
                .await,
            "INVALID_INPUT",
        );
    }

    // Deleting returns the label as it was.
    let deleted = env
        .client
        .data(delete, json!({ "id": id, "key": "region" }))
        .await;
    assert_eq!(
        deleted["deleteApplicationLabel"]["value"],
        json!(["eu", "us"])
    );
    let app = application(&env.client, &id).await;
    assert_eq!(
        app["labels"],
        json!({ "tier": 2, "scenarios": ["marketing"], "name": "crm", "integration-system-id": "" })
    );
    assert_code(
        &env.client
            .send(delete, json!({ "id": id, "key": "region" }))
            .await,
        "NOT_FOUND",
    );
    env.stop().await;
}

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
