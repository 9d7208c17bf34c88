//! Labels set and deleted against their label definitions; the scenarios label stays.

use crate::director_application_env::{
    Env, application, assert_code, assert_invalid, define_scenarios, register_err,
};
use serde_json::json;

use super::app_id;

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
