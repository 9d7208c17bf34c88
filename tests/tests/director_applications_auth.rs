//! Credentials of applications over HTTP: per-runtime API credentials falling back to the API's
//! default (the original's `TestQueryAPIRuntimeAuths` and `TestSetAndDeleteAPIAuth`), credentials
//! an application's webhook returns for a runtime showing through, and the values living only in
//! Secrets the application owns, with none left behind when they are replaced.

use crate::director_application_env;

use axum::{Router, routing::post};
use compass_tests::{eventually, serve};
use director_application_env::{
    AUTH, Env, NAMESPACE, assert_code, basic, oauth, register, register_runtime,
};
use serde_json::{Value, json};

const SET: &str = "mutation ($api: ID!, $rt: ID!, $in: AuthInput!) { setAPIAuth(apiID: $api, runtimeID: $rt, in: $in) { runtimeID auth { credential { ... on BasicCredentialData { username password } ... on OAuthCredentialData { clientId clientSecret url } } additionalHeaders } } }";
const DELETE: &str = "mutation ($api: ID!, $rt: ID!) { deleteAPIAuth(apiID: $api, runtimeID: $rt) { runtimeID auth { credential { ... on BasicCredentialData { username password } ... on OAuthCredentialData { clientId clientSecret url } } } } }";

/// `auth(runtimeID)` and `auths` of an API.
async fn auths(env: &Env, app: &str, api: &str, runtime: &str) -> (Value, Value) {
    let data = env
        .client
        .data(
            &format!(
                "query ($app: ID!, $api: ID!, $rt: ID!) {{ application(id: $app) {{ apiDefinition(id: $api) {{ auth(runtimeID: $rt) {{ runtimeID auth {{ {AUTH} }} }} auths {{ runtimeID auth {{ {AUTH} }} }} }} }} }}"
            ),
            json!({ "app": app, "api": api, "rt": runtime }),
        )
        .await;
    let api = &data["application"]["apiDefinition"];
    (api["auth"].clone(), api["auths"].clone())
}

/// Names of the Secrets of an application.
fn secrets_of(env: &Env, app: &str) -> Vec<String> {
    env.server
        .kubectl_ok(&[
            "get",
            "secrets",
            "-n",
            NAMESPACE,
            "-l",
            &format!("compass.kyma-project.io/application={app}"),
            "-o",
            "name",
        ])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_credentials_are_set_per_runtime_and_fall_back_to_the_default() {
    let env = Env::start().await;
    let app = register(
        &env.client,
        json!({ "name": "crm", "apiDefinitions": [{ "name": "contacts", "targetURL": "https://crm.example.com",
                                                      "defaultAuth": basic("default-user", "default-pass") }] }),
    )
    .await;
    let app_id = app["id"].as_str().unwrap();
    let api_id = app["apiDefinitions"]["data"][0]["id"].as_str().unwrap();
    let edge = register_runtime(&env.client, "edge", json!({})).await;
    let core = register_runtime(&env.client, "core", json!({})).await;

    let mut own = oauth("edge-client", "edge-secret");
    own["additionalHeaders"] = json!({ "X-Edge": ["1"] });
    let set = env
        .client
        .data(SET, json!({ "api": api_id, "rt": edge, "in": own }))
        .await["setAPIAuth"]
        .clone();
    assert_eq!(set["runtimeID"], edge.as_str());
    assert_eq!(set["auth"]["credential"]["clientSecret"], "edge-secret");
    assert_eq!(set["auth"]["additionalHeaders"], json!({ "X-Edge": ["1"] }));

    let (edge_auth, all) = auths(&env, app_id, api_id, &edge).await;
    assert_eq!(edge_auth["auth"]["credential"]["clientId"], "edge-client");
    let (core_auth, _) = auths(&env, app_id, api_id, &core).await;
    assert_eq!(core_auth["runtimeID"], core.as_str());
    assert_eq!(
        core_auth["auth"]["credential"],
        json!({ "username": "default-user", "password": "default-pass" }),
        "a runtime without its own credentials gets the default"
    );
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2, "auths lists every runtime");
    let unknown = env
        .client
        .send(
            "query ($app: ID!, $api: ID!) { application(id: $app) { apiDefinition(id: $api) { auth(runtimeID: \"3f1b7c2e-0000-4000-8000-000000000000\") { runtimeID } } } }",
            json!({ "app": app_id, "api": api_id }),
        )
        .await;
    assert_code(&unknown, "NOT_FOUND");

    // The Application holds only references: no credential value is in it.
    let object =
        env.server
            .kubectl_ok(&["get", "application", "crm", "-n", NAMESPACE, "-o", "json"]);
    for value in ["default-pass", "edge-secret", "default-user", "edge-client"] {
        assert!(
            !object.contains(value),
            "{value} is in the Application: {object}"
        );
    }
    let parsed: Value = serde_json::from_str(&object).unwrap();
    let reference = parsed["spec"]["apiDefinitions"][0]["runtimeAuths"][0]["auth"]["credential"]
        ["oauth"]["secretRef"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = env.kubectl_json("secret", &reference);
    assert_eq!(secret["metadata"]["ownerReferences"][0]["uid"], app_id);
    assert_eq!(secrets_of(&env, "crm").len(), 2);

    // Replacing credentials leaves no Secret behind.
    env.client
        .data(
            SET,
            json!({ "api": api_id, "rt": edge, "in": basic("edge-user", "edge-pass") }),
        )
        .await;
    eventually("the replaced Secret is deleted", || async {
        let names = secrets_of(&env, "crm");
        (names.len() == 2 && !names.iter().any(|n| n.ends_with(&reference))).then_some(())
    })
    .await;

    // Deleting returns them as they were; the runtime falls back to the default.
    let deleted = env
        .client
        .data(DELETE, json!({ "api": api_id, "rt": edge }))
        .await["deleteAPIAuth"]
        .clone();
    assert_eq!(
        deleted["auth"]["credential"],
        json!({ "username": "edge-user", "password": "edge-pass" })
    );
    let (edge_auth, _) = auths(&env, app_id, api_id, &edge).await;
    assert_eq!(edge_auth["auth"]["credential"]["username"], "default-user");
    assert_code(
        &env.client
            .send(DELETE, json!({ "api": api_id, "rt": edge }))
            .await,
        "NOT_FOUND",
    );
    eventually("only the default's Secret is left", || async {
        (secrets_of(&env, "crm").len() == 1).then_some(())
    })
    .await;

    // Replacing the default through an update leaves no Secret behind either.
    env.client
        .data(
            "mutation ($id: ID!) { updateAPIDefinition(id: $id, in: { name: \"contacts\", targetURL: \"https://crm.example.com\" }) { id } }",
            json!({ "id": api_id }),
        )
        .await;
    eventually("no Secret is left", || async {
        secrets_of(&env, "crm").is_empty().then_some(())
    })
    .await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_a_webhook_returns_for_a_runtime_show_through_its_api_auth() {
    let env = Env::start().await;
    let router = Router::new().route(
        "/hook",
        post(|| async {
            let answer = json!({
                "credential": { "basic": { "username": "runtime-user", "password": "runtime-pass" } },
                "additionalHeaders": { "X-Origin": ["webhook"] },
            });
            ([("content-type", "application/json")], answer.to_string())
        }),
    );
    let base = serve(router).await;
    let app = register(
        &env.client,
        json!({
            "name": "shop",
            "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": format!("{base}/hook") }],
            "apiDefinitions": [{ "name": "orders", "targetURL": "https://shop.example.com",
                                 "defaultAuth": basic("default-user", "default-pass") }],
        }),
    )
    .await;
    let app_id = app["id"].as_str().unwrap();
    let api_id = app["apiDefinitions"]["data"][0]["id"].as_str().unwrap();
    let runtime = register_runtime(&env.client, "edge", json!({})).await;

    let returned = eventually("the webhook's credentials show through", || async {
        let (auth, _) = auths(&env, app_id, api_id, &runtime).await;
        (auth["auth"]["credential"]["username"] == "runtime-user").then_some(auth)
    })
    .await;
    assert_eq!(returned["auth"]["credential"]["password"], "runtime-pass");
    assert_eq!(
        returned["auth"]["additionalHeaders"],
        json!({ "X-Origin": ["webhook"] })
    );

    // The runtime's own credentials come first.
    env.client
        .data(
            SET,
            json!({ "api": api_id, "rt": runtime, "in": basic("own-user", "own-pass") }),
        )
        .await;
    let (auth, _) = auths(&env, app_id, api_id, &runtime).await;
    assert_eq!(auth["auth"]["credential"]["username"], "own-user");
    env.stop().await;
}
