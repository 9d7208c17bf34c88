//! Default eventing of applications over HTTP, as the original's eventing tests: the oldest
//! runtime sharing a scenario by default, an explicit choice, its removal, and an empty
//! configuration without a runtime. Reading never writes.

use crate::director_application_env;

use director_application_env::{
    Env, application, assert_code, assert_invalid, register, register_runtime,
};
use serde_json::json;

const SET: &str = "mutation ($app: String!, $rt: String!) { setDefaultEventingForApplication(appID: $app, runtimeID: $rt) { defaultURL } }";
const DELETE: &str =
    "mutation ($app: String!) { deleteDefaultEventingForApplication(appID: $app) { defaultURL } }";

fn events(runtime: &str) -> serde_json::Value {
    json!({ "runtime/event_service_url": format!("https://{runtime}.example.com/") })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventing_goes_to_the_oldest_runtime_unless_another_is_chosen() {
    let env = Env::start().await;
    let app = register(&env.client, json!({ "name": "orders" })).await;
    let id = app["id"].as_str().unwrap().to_owned();
    let url = || {
        let client = env.client.clone();
        let id = id.clone();
        async move { application(&client, &id).await["eventingConfiguration"]["defaultURL"].clone() }
    };
    assert_eq!(url().await, "", "no runtime: an empty configuration");

    // Creation times have a resolution of a second: the older runtime is named last.
    let older = register_runtime(&env.client, "zulu", events("zulu")).await;
    compass_tests::next_whole_second().await;
    let newer = register_runtime(&env.client, "alpha", events("alpha")).await;
    let apart = register_runtime(&env.client, "apart", events("apart")).await;
    env.client
        .data(
            "mutation ($id: ID!) { deleteRuntimeLabel(runtimeID: $id, key: \"scenarios\") { key } }",
            json!({ "id": apart }),
        )
        .await;
    assert_eq!(url().await, "https://zulu.example.com/orders/v1/events");
    let object = env.kubectl_json("application", "orders");
    assert!(
        object["spec"]["eventing"].is_null(),
        "reading wrote nothing"
    );

    let set = env
        .client
        .data(SET, json!({ "app": id, "rt": newer }))
        .await;
    assert_eq!(
        set["setDefaultEventingForApplication"]["defaultURL"],
        "https://alpha.example.com/orders/v1/events"
    );
    assert_eq!(url().await, "https://alpha.example.com/orders/v1/events");
    let object = env.kubectl_json("application", "orders");
    assert_eq!(object["spec"]["eventing"]["defaultRuntime"], "alpha");

    // Only a runtime sharing a scenario can be chosen; another tenant's is unknown.
    assert_invalid(
        &env.client
            .send(SET, json!({ "app": id, "rt": apart }))
            .await,
        "runtimeID",
    );
    assert_code(
        &env.client
            .send(
                SET,
                json!({ "app": id, "rt": "3f1b7c2e-0000-4000-8000-000000000000" }),
            )
            .await,
        "NOT_FOUND",
    );

    // Removing the choice answers with the configuration it ends; the oldest takes over.
    let deleted = env.client.data(DELETE, json!({ "app": id })).await;
    assert_eq!(
        deleted["deleteDefaultEventingForApplication"]["defaultURL"],
        "https://alpha.example.com/orders/v1/events"
    );
    assert_eq!(url().await, "https://zulu.example.com/orders/v1/events");

    // A chosen runtime that is unregistered is forgotten.
    env.client
        .data(SET, json!({ "app": id, "rt": newer }))
        .await;
    env.client
        .data(
            "mutation ($id: ID!) { unregisterRuntime(id: $id) { id } }",
            json!({ "id": older }),
        )
        .await;
    assert_eq!(url().await, "https://alpha.example.com/orders/v1/events");
    env.client
        .data(
            "mutation ($id: ID!) { unregisterRuntime(id: $id) { id } }",
            json!({ "id": newer }),
        )
        .await;
    assert_eq!(url().await, "");
    let object = env.kubectl_json("application", "orders");
    assert!(
        object["spec"]["eventing"]["defaultRuntime"].is_null(),
        "{object}"
    );
    env.stop().await;
}
