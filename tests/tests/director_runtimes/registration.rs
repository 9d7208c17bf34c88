//! A runtime registered, updated, labelled and unregistered, read back each time.

use compass_tests::TestServer;
use serde_json::{Value, json};

use super::{NAMESPACE, RUNTIME_FIELDS, register, register_runtime, update_runtime};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtimes_register_update_label_and_unregister() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let client = director.api.default_tenant();

    // Without labels a runtime is in DEFAULT, and it is an object kubectl lists.
    let bare = register(&client, json!({ "name": "bare" })).await;
    assert_eq!(bare["labels"], json!({ "scenarios": ["DEFAULT"] }));
    assert_eq!(bare["status"]["condition"], "INITIAL");
    assert_eq!(bare["eventingConfiguration"]["defaultURL"], "");
    let uid = server.kubectl_ok(&[
        "get",
        "runtime",
        "bare",
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    assert_eq!(bare["id"], uid.as_str());

    let runtime = register(
        &client,
        json!({ "name": "edge", "description": "edge cluster", "labels": { "region": "eu", "runtime/event_service_url": "https://events.edge.example.com" } }),
    )
    .await;
    let id = runtime["id"].as_str().unwrap().to_owned();
    assert_eq!(runtime["labels"]["region"], "eu");
    assert_eq!(
        runtime["eventingConfiguration"]["defaultURL"],
        "https://events.edge.example.com"
    );

    // A label added, then the update replaces every label, as the original's did.
    let label = client
        .data(
            "mutation ($id: ID!) { setRuntimeLabel(runtimeID: $id, key: \"tier\", value: [\"gold\"]) { key value } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        label["setRuntimeLabel"],
        json!({ "key": "tier", "value": ["gold"] })
    );
    let fetched = client
        .data(
            &format!("query ($id: ID!) {{ runtime(id: $id) {{ {RUNTIME_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(fetched["runtime"]["labels"]["tier"], json!(["gold"]));
    let updated = client
        .data(&update_runtime(), json!({ "id": id, "in": { "name": "edge", "description": "moved", "labels": { "region": "us" } } }))
        .await["updateRuntime"]
        .clone();
    assert_eq!(updated["description"], "moved");
    assert_eq!(
        updated["labels"],
        json!({ "region": "us" }),
        "scenarios and tier are gone"
    );
    let spec = server.kubectl_ok(&[
        "get",
        "runtime",
        "edge",
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.spec}",
    ]);
    let spec: Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(spec["scenarios"], json!([]));
    assert_eq!(spec["labels"], json!({ "region": "us" }));

    // Names are unique per tenant and cannot change.
    let duplicate = json!({ "in": { "name": "edge", "labels": { "fresh-key": "x" } } });
    let (message, code) = client.send(&register_runtime(), duplicate).await.error();
    assert_eq!(code, "NOT_UNIQUE", "{message}");
    let keys = server.kubectl_ok(&["get", "labeldefinitions", "-n", NAMESPACE, "-o", "name"]);
    assert!(
        !keys.contains("fresh-key"),
        "a refused duplicate defines no label: {keys}"
    );
    let (message, code) = client
        .send(
            &update_runtime(),
            json!({ "id": id, "in": { "name": "renamed" } }),
        )
        .await
        .error();
    assert_eq!(code, "INVALID_INPUT");
    assert!(
        message.contains("in.name") && message.contains("cannot rename"),
        "{message}"
    );

    // Scenarios are labels: an unknown one is refused, a known one accepted, and deleting the
    // runtime's scenarios label is allowed.
    let (message, _) = client
        .send(
            "mutation ($id: ID!) { setRuntimeLabel(runtimeID: $id, key: \"scenarios\", value: [\"nope\"]) { key } }",
            json!({ "id": id }),
        )
        .await
        .error();
    assert!(message.contains("does not exist"), "{message}");
    client
        .data(
            "mutation ($id: ID!) { setRuntimeLabel(runtimeID: $id, key: \"scenarios\", value: [\"DEFAULT\"]) { key } }",
            json!({ "id": id }),
        )
        .await;
    let deleted = client
        .data(
            "mutation ($id: ID!) { deleteRuntimeLabel(runtimeID: $id, key: \"scenarios\") { key value } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteRuntimeLabel"]["value"], json!(["DEFAULT"]));

    // Unregister returns the runtime as it was; it is gone for kubectl too.
    let gone = client
        .data(
            "mutation ($id: ID!) { unregisterRuntime(id: $id) { id name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(gone["unregisterRuntime"]["name"], "edge");
    let missing = client
        .data(
            "query ($id: ID!) { runtime(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(missing["runtime"].is_null());
    assert!(
        server
            .kubectl_err(&["get", "runtime", "edge", "-n", NAMESPACE])
            .contains("NotFound")
    );
    director.stop().await;
}
