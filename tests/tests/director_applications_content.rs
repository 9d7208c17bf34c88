//! Spec and document content over HTTP: fetch requests the operator downloads (status and data
//! visible through GraphQL, `refetchAPISpec` and `refetchEventDefinitionSpec` causing new
//! downloads), and content above the Application's inline bound kept in a ConfigMap it owns.

use crate::director_application_env;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Router, routing::get};
use compass_tests::eventually;
use director_application_env::{Env, NAMESPACE, application, register};
use serde_json::{Value, json};

/// A server whose `/spec` answers with the current version, counting requests.
async fn upstream() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let version = Arc::new(AtomicUsize::new(1));
    let requests = Arc::new(AtomicUsize::new(0));
    let (v, r) = (version.clone(), requests.clone());
    let router = Router::new().route(
        "/spec",
        get(move || {
            let (v, r) = (v.clone(), r.clone());
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                format!(
                    "openapi: 3.0.0\ninfo: {{ version: v{} }}\n",
                    v.load(Ordering::SeqCst)
                )
            }
        }),
    );
    (compass_tests::serve(router).await, version, requests)
}

const SPECS: &str = "query ($id: ID!) { application(id: $id) { apiDefinitions { data { id spec { data fetchRequest { url mode status { condition timestamp } } } } } eventDefinitions { data { id spec { data fetchRequest { status { condition } } } } } documents { data { data fetchRequest { status { condition } } } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_requests_are_downloaded_and_refetched_on_request() {
    let env = Env::start().await;
    let (base, version, requests) = upstream().await;
    let fetch = json!({ "url": format!("{base}/spec") });
    let app = register(
        &env.client,
        json!({
            "name": "shop",
            "apiDefinitions": [{ "name": "orders", "targetURL": "https://shop.example.com",
                                 "spec": { "type": "OPEN_API", "format": "YAML", "fetchRequest": fetch } }],
            "eventDefinitions": [{ "name": "events", "spec": { "type": "ASYNC_API", "format": "YAML", "fetchRequest": fetch } }],
            "documents": [{ "title": "Missing", "displayName": "Missing", "description": "d", "format": "MARKDOWN",
                            "fetchRequest": { "url": format!("{base}/missing") } }],
        }),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    let api_spec = &app["apiDefinitions"]["data"][0]["spec"];
    assert_eq!(api_spec["fetchRequest"]["mode"], "SINGLE");
    assert_eq!(api_spec["fetchRequest"]["url"], format!("{base}/spec"));

    let read = || {
        let client = env.client.clone();
        let id = id.clone();
        async move { client.data(SPECS, json!({ "id": id })).await["application"].clone() }
    };
    let fetched = eventually("the specs are fetched", || async {
        let app = read().await;
        let api = &app["apiDefinitions"]["data"][0]["spec"];
        let document = &app["documents"]["data"][0];
        (api["fetchRequest"]["status"]["condition"] == "SUCCEEDED"
            && document["fetchRequest"]["status"]["condition"] == "FAILED")
            .then_some(app)
    })
    .await;
    let api = &fetched["apiDefinitions"]["data"][0];
    assert!(
        api["spec"]["data"].as_str().unwrap().contains("v1"),
        "{api}"
    );
    assert!(fetched["documents"]["data"][0]["data"].is_null());
    let api_id = api["id"].as_str().unwrap().to_owned();
    let event_id = fetched["eventDefinitions"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("the event spec is fetched", || async {
        let app = read().await;
        let data = app["eventDefinitions"]["data"][0]["spec"]["data"]
            .as_str()?
            .to_owned();
        data.contains("v1").then_some(())
    })
    .await;

    // Refetching downloads again; the mutation answers with the spec as stored.
    let before = requests.load(Ordering::SeqCst);
    version.store(2, Ordering::SeqCst);
    let spec = env
        .client
        .data(
            "mutation ($id: ID!) { refetchAPISpec(apiID: $id) { data type format fetchRequest { url } } }",
            json!({ "id": api_id }),
        )
        .await["refetchAPISpec"]
        .clone();
    assert!(spec["data"].as_str().unwrap().contains("v1"), "{spec}");
    let object = env.kubectl_json("application", "shop");
    assert!(
        object["metadata"]["annotations"]["compass.kyma-project.io/refetch"].is_string(),
        "{object}"
    );
    eventually("the API spec is fetched again", || async {
        let app = read().await;
        let data = app["apiDefinitions"]["data"][0]["spec"]["data"]
            .as_str()?
            .to_owned();
        data.contains("v2").then_some(())
    })
    .await;
    assert!(requests.load(Ordering::SeqCst) > before);

    version.store(3, Ordering::SeqCst);
    let spec = env
        .client
        .data(
            "mutation ($id: ID!) { refetchEventDefinitionSpec(eventID: $id) { type fetchRequest { url } } }",
            json!({ "id": event_id }),
        )
        .await["refetchEventDefinitionSpec"]
        .clone();
    assert_eq!(spec["type"], "ASYNC_API");
    eventually("the event spec is fetched again", || async {
        let app = read().await;
        let data = app["eventDefinitions"]["data"][0]["spec"]["data"]
            .as_str()?
            .to_owned();
        data.contains("v3").then_some(())
    })
    .await;
    env.stop().await;
}

/// ConfigMaps the Director made for an application.
fn config_maps_of(env: &Env, app: &str) -> Vec<String> {
    env.server
        .kubectl_ok(&[
            "get", "configmaps", "-n", NAMESPACE, "-l",
            &format!("compass.kyma-project.io/application={app},app.kubernetes.io/managed-by=compass-director"),
            "-o", "name",
        ])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_above_the_inline_bound_round_trips_through_owned_config_maps() {
    let env = Env::start().await;
    let line = "# a line of a long specification document, repeated\n";
    let large = line.repeat(300 * 1024 / line.len() + 1);
    assert!(large.len() > 262_144);
    let app = register(
        &env.client,
        json!({
            "name": "big",
            "apiDefinitions": [{ "name": "huge", "targetURL": "https://big.example.com",
                                 "spec": { "type": "OPEN_API", "format": "YAML", "data": large } }],
            "documents": [{ "title": "Manual", "displayName": "Manual", "description": "d", "format": "MARKDOWN", "data": large }],
        }),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app["apiDefinitions"]["data"][0]["spec"]["data"],
        large.as_str()
    );
    assert_eq!(app["documents"]["data"][0]["data"], large.as_str());
    let events = env
        .client
        .data(
            "mutation ($id: ID!, $data: CLOB) { addEventDefinition(applicationID: $id, in: { name: \"e\", spec: { type: ASYNC_API, format: YAML, data: $data } }) { spec { data } } }",
            json!({ "id": id, "data": large }),
        )
        .await;
    assert_eq!(events["addEventDefinition"]["spec"]["data"], large.as_str());

    // The Application refers to ConfigMaps it owns; the content is not in it.
    let object =
        env.server
            .kubectl_ok(&["get", "application", "big", "-n", NAMESPACE, "-o", "json"]);
    assert!(
        object.len() < 64 * 1024,
        "the Application is {} bytes",
        object.len()
    );
    let parsed: Value = serde_json::from_str(&object).unwrap();
    let reference = &parsed["spec"]["apiDefinitions"][0]["spec"]["dataFrom"]["configMapKeyRef"];
    let map = env.kubectl_json("configmap", reference["name"].as_str().unwrap());
    assert_eq!(map["metadata"]["ownerReferences"][0]["uid"], id.as_str());
    assert_eq!(
        map["data"][reference["key"].as_str().unwrap()],
        large.as_str()
    );
    assert_eq!(config_maps_of(&env, "big").len(), 3);

    // Replaced content leaves no ConfigMap behind.
    let api_id = app["apiDefinitions"]["data"][0]["id"].clone();
    env.client
        .data(
            "mutation ($id: ID!) { updateAPIDefinition(id: $id, in: { name: \"huge\", targetURL: \"https://big.example.com\", spec: { type: OPEN_API, format: YAML, data: \"small\" } }) { spec { data } } }",
            json!({ "id": api_id }),
        )
        .await;
    eventually("the replaced content's ConfigMap is deleted", || async {
        (config_maps_of(&env, "big").len() == 2).then_some(())
    })
    .await;
    let read = application(&env.client, &id).await;
    assert_eq!(read["apiDefinitions"]["data"][0]["spec"]["data"], "small");
    assert_eq!(read["documents"]["data"][0]["data"], large.as_str());
    env.stop().await;
}
