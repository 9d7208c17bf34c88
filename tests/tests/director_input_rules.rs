//! Inputs a real client sent that were mishandled: a label value too large for the API server, a
//! long label key, blank and control-character keys, integers beyond 64 bits, an unknown template
//! placeholder, and the `bearer` scheme in lower case. Each gets a clear `INVALID_INPUT` naming
//! the argument (or is accepted), and nothing stored changes on a refusal.

use crate::director_application_env;

use director_application_env::{Env, assert_invalid, register};
use serde_json::json;

const SET_LABEL: &str = "mutation ($id: ID!, $key: String!, $value: Any!) { setApplicationLabel(applicationID: $id, key: $key, value: $value) { key value } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_keys_and_values_get_clear_answers() {
    let env = Env::start().await;
    let app = register(
        &env.client,
        json!({ "name": "shop", "labels": { "tier": "gold" } }),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    let set = |key: &str, value: serde_json::Value| {
        let client = env.client.clone();
        let variables = json!({ "id": id, "key": key, "value": value });
        async move { client.send(SET_LABEL, variables).await }
    };

    // Too large for a label, and far too large for the API server: named, not INTERNAL.
    for size in [100 * 1024, 3 * 1024 * 1024] {
        let response = set("big", json!("x".repeat(size))).await;
        assert_invalid(&response, "value");
        let (message, _) = response.error();
        assert!(message.contains("at most 65536"), "{message}");
        assert!(!message.contains("Status {"), "no debug dump: {message}");
    }
    let fine = set("notes", json!("x".repeat(60 * 1024))).await;
    assert!(fine.body.get("errors").is_none(), "{}", fine.body);

    // Keys up to 256 characters work, whatever the object name their definition gets.
    for length in [64, 100, 256] {
        let key = "k".repeat(length);
        let answer = env
            .client
            .data(SET_LABEL, json!({ "id": id, "key": key, "value": 1 }))
            .await;
        assert_eq!(answer["setApplicationLabel"]["key"], key.as_str());
    }
    // Blank keys and control characters are refused, naming the key argument.
    for key in [" ", "x\u{0}y", "tab\there", " lead", "trail "] {
        assert_invalid(&set(key, json!(1)).await, "key");
    }

    // Integers beyond 64 bits would silently become floats: refused, as literal and variable.
    let literal = "mutation ($id: ID!) { setApplicationLabel(applicationID: $id, key: \"n\", value: 18446744073709551617) { key } }";
    let response = env.client.send(literal, json!({ "id": id })).await;
    let (message, _) = response.error();
    assert!(
        message.contains("beyond the 64-bit integer range"),
        "{message}"
    );
    let response = env
        .client
        .post(
            format!(
                r#"{{"query": {}, "variables": {{"id": "{id}", "key": "n", "value": 18446744073709551617}}}}"#,
                serde_json::to_string(SET_LABEL).unwrap()
            )
            .into_bytes(),
        )
        .await;
    let (message, _) = response.error();
    assert!(
        message.contains("beyond the 64-bit integer range"),
        "{message}"
    );
    // The extremes of 64 bits are kept exactly.
    for value in [json!(u64::MAX), json!(i64::MIN), json!(0.5)] {
        let answer = env
            .client
            .data(SET_LABEL, json!({ "id": id, "key": "n", "value": value }))
            .await;
        assert_eq!(answer["setApplicationLabel"]["value"], value);
    }

    // Nothing refused was stored; what was accepted is there.
    let labels = env
        .client
        .data(
            "query ($id: ID!) { application(id: $id) { labels } }",
            json!({ "id": id }),
        )
        .await["application"]["labels"]
        .clone();
    assert_eq!(labels["tier"], "gold");
    assert!(
        labels.get("big").is_none() && labels.get(" ").is_none(),
        "{labels}"
    );
    assert_eq!(labels["n"], 0.5);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_template_placeholders_are_refused_and_the_bearer_scheme_is_case_insensitive() {
    let env = Env::start().await;
    env.client
        .data(
            "mutation ($in: ApplicationTemplateInput!) { createApplicationTemplate(in: $in) { name } }",
            json!({ "in": {
                "name": "crm", "accessLevel": "GLOBAL",
                "applicationInput": { "name": "{{name}}" },
                "placeholders": [{ "name": "name" }],
            } }),
        )
        .await;
    let from_template = "mutation ($in: ApplicationFromTemplateInput!) { registerApplicationFromTemplate(in: $in) { name } }";
    let response = env
        .client
        .send(
            from_template,
            json!({ "in": { "templateName": "crm", "values": [
                { "placeholder": "name", "value": "crm-eu" },
                { "placeholder": "region", "value": "eu" },
            ] } }),
        )
        .await;
    assert_invalid(&response, "in.values[1].placeholder");
    let (message, _) = response.error();
    assert!(message.contains("no placeholder region"), "{message}");
    let response = env
        .client
        .send(
            from_template,
            json!({ "in": { "templateName": "crm", "values": [
                { "placeholder": "name", "value": "a" }, { "placeholder": "name", "value": "b" },
            ] } }),
        )
        .await;
    assert_invalid(&response, "in.values[1].placeholder");
    let answer = env
        .client
        .data(
            from_template,
            json!({ "in": { "templateName": "crm", "values": [{ "placeholder": "name", "value": "crm-eu" }] } }),
        )
        .await;
    assert_eq!(answer["registerApplicationFromTemplate"]["name"], "crm-eu");

    // A client writing the scheme in lower case, as RFC 9110 allows.
    let token = &env.server.control_plane.admin_token;
    let ca = env.server.data_dir().join("ca.crt");
    let output = std::process::Command::new("curl")
        .args(["-s", "--cacert"])
        .arg(&ca)
        .args(["-H", &format!("authorization: bearer {token}")])
        .args(["-H", "content-type: application/json"])
        .args(["-d", r#"{"query": "{ viewer { id } }"}"#])
        .arg(env.client.url())
        .output()
        .expect("curl runs");
    let body = String::from_utf8_lossy(&output.stdout);
    assert!(body.contains(r#""id":"admin""#), "{body}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_must_be_declared_with_the_type_their_position_expects() {
    let env = Env::start().await;
    let app = register(&env.client, json!({ "name": "shop" })).await;
    let id = app["id"].as_str().unwrap().to_owned();
    let mismatched = [
        // ID! where the schema says String!.
        (
            "mutation ($a: ID!) { deleteDefaultEventingForApplication(appID: $a) { defaultURL } }",
            "\"$a\" of type \"ID!\" used in position expecting type \"String!\"",
        ),
        // Nullable where non-null is expected.
        (
            "query ($id: ID) { application(id: $id) { name } }",
            "\"$id\" of type \"ID\" used in position expecting type \"ID!\"",
        ),
        // Inside an input object, through a fragment.
        (
            "mutation ($n: Int!) { ...F } fragment F on Mutation { registerRuntime(in: { name: $n }) { id } }",
            "\"$n\" of type \"Int!\" used in position expecting type \"String!\"",
        ),
    ];
    for (query, expected) in mismatched {
        let response = env
            .client
            .send(query, json!({ "a": id, "id": id, "n": 1 }))
            .await;
        let (message, _) = response.error();
        assert!(message.contains(expected), "{query}: {message}");
        assert!(
            response.body["data"].is_null(),
            "nothing ran: {}",
            response.body
        );
    }
    // The same operations with the declared types the schema wants run.
    let answer = env
        .client
        .data(
            "query ($id: ID!, $key: String = \"name\") { application(id: $id) { labels(key: $key) } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(answer["application"]["labels"]["name"], "shop");
    env.stop().await;
}
