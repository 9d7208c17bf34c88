//! The Director's runtimes, integration systems and system auths over HTTP, following the
//! original's end-to-end tests, and what kubectl users see of the same objects.

use compass_tests::{TestServer, eventually, graphql::Graphql};
use serde_json::{Value, json};

const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

const RUNTIME_FIELDS: &str = "id name description labels status { condition timestamp } metadata { creationTimestamp } auths { id } eventingConfiguration { defaultURL }";

fn register_runtime() -> String {
    format!("mutation ($in: RuntimeInput!) {{ registerRuntime(in: $in) {{ {RUNTIME_FIELDS} }} }}")
}

fn update_runtime() -> String {
    format!(
        "mutation ($id: ID!, $in: RuntimeInput!) {{ updateRuntime(id: $id, in: $in) {{ {RUNTIME_FIELDS} }} }}"
    )
}

async fn register(director: &Graphql, input: Value) -> Value {
    director
        .data(&register_runtime(), json!({ "in": input }))
        .await["registerRuntime"]
        .clone()
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtimes_page_filter_validate_and_stay_in_their_tenant() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let client = director.api.default_tenant();

    for i in 0..10 {
        let labels = if i % 2 == 0 {
            json!({ "parity": "even", "n": [i] })
        } else {
            json!({ "parity": "odd" })
        };
        register(
            &client,
            json!({ "name": format!("rt-{i}"), "labels": labels }),
        )
        .await;
    }
    // Ten runtimes in pages of three: 3 + 3 + 3 + 1, the last with an empty endCursor.
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let page = client
            .data(
                "query ($after: PageCursor) { runtimes(first: 3, after: $after) { data { id } pageInfo { startCursor endCursor hasNextPage } totalCount } }",
                json!({ "after": after }),
            )
            .await["runtimes"]
            .clone();
        assert_eq!(page["totalCount"], 10);
        let data = page["data"].as_array().unwrap();
        sizes.push(data.len());
        seen.extend(data.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        if page["pageInfo"]["hasNextPage"] == false {
            assert_eq!(page["pageInfo"]["endCursor"], "");
            break;
        }
        after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    assert_eq!(seen.len(), 10);
    let (message, code) = client
        .send("{ runtimes(first: 101) { totalCount } }", json!({}))
        .await
        .error();
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.contains("first"), "{message}");

    // Label filters: key present, JSON containment, AND across filters.
    let count = |filter: Value| {
        let client = client.clone();
        async move {
            client
                .data(
                    "query ($f: [LabelFilter!]) { runtimes(filter: $f) { totalCount } }",
                    json!({ "f": filter }),
                )
                .await["runtimes"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(count(json!([{ "key": "n" }])).await, 5);
    assert_eq!(
        count(json!([{ "key": "parity", "query": "\"odd\"" }])).await,
        5
    );
    assert_eq!(count(json!([{ "key": "n", "query": "[4]" }])).await, 1);
    assert_eq!(
        count(json!([{ "key": "parity", "query": "\"even\"" }, { "key": "n", "query": "[2]" }]))
            .await,
        1
    );
    assert_eq!(
        count(json!([{ "key": "scenarios", "query": "$[*] ? (@ == \"DEFAULT\")" }])).await,
        10
    );
    let (message, code) = client
        .send(
            "{ runtimes(filter: [{key: \"scenarios\", query: \"$.x\"}]) { totalCount } }",
            json!({}),
        )
        .await
        .error();
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.contains("not supported"), "{message}");

    // Bad input names the field and the rule.
    for (input, field) in [
        (json!({ "name": "Not_Valid" }), "in.name"),
        (json!({ "name": "1abc" }), "in.name"),
        (
            json!({ "name": "ok", "description": "x".repeat(2001) }),
            "in.description",
        ),
    ] {
        let (message, code) = client
            .send(&register_runtime(), json!({ "in": input }))
            .await
            .error();
        assert_eq!(code, "INVALID_INPUT");
        assert!(message.contains(field), "{message}");
    }

    // Another tenant sees none of them.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: {name: other}\nspec: {externalId: other-tenant}\n",
        &[],
    );
    server.wait_tenant_ready("other").await;
    let other = director.api.admin.tenant("other-tenant");
    let page = eventually("the Director knows the other tenant", || async {
        let response = other.send("{ runtimes { totalCount } }", json!({})).await;
        response
            .body
            .get("errors")
            .is_none()
            .then_some(response.body)
    })
    .await;
    assert_eq!(page["data"]["runtimes"]["totalCount"], 0);
    let some_id = client
        .data("{ runtimes(first: 1) { data { id } } }", json!({}))
        .await["runtimes"]["data"][0]["id"]
        .clone();
    let foreign = other
        .data(
            "query ($id: ID!) { runtime(id: $id) { id } }",
            json!({ "id": some_id }),
        )
        .await;
    assert!(foreign["runtime"].is_null());
    let (_, code) = other
        .send(
            "mutation ($id: ID!) { unregisterRuntime(id: $id) { id } }",
            json!({ "id": some_id }),
        )
        .await
        .error();
    assert_eq!(code, "NOT_FOUND");
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_systems_are_global_and_held_while_applications_use_them() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    // Integration systems need no tenant.
    let admin = director.api.admin.clone();
    let register = "mutation ($in: IntegrationSystemInput!) { registerIntegrationSystem(in: $in) { id name description auths { id } } }";
    let created = admin
        .data(
            register,
            json!({ "in": { "name": "sync", "description": "syncs" } }),
        )
        .await["registerIntegrationSystem"]
        .clone();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["auths"], json!([]));
    let (_, code) = admin
        .send(register, json!({ "in": { "name": "sync" } }))
        .await
        .error();
    assert_eq!(code, "NOT_UNIQUE");
    let updated = admin
        .data(
            "mutation ($id: ID!) { updateIntegrationSystem(id: $id, in: { name: \"sync\", description: \"syncs more\" }) { description } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateIntegrationSystem"]["description"],
        "syncs more"
    );
    let listed = admin
        .data(
            "{ integrationSystems { data { name } totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["integrationSystems"]["totalCount"], 1);

    // A SystemAuth object of the integration system shows in its auths, and only the matching
    // delete mutation removes it.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: SystemAuth\nmetadata: {name: sync-client, namespace: compass-system}\nspec: {subject: {kind: IntegrationSystem, name: sync}}\n",
        &[],
    );
    let auth_id = eventually("the auth is listed", || async {
        let data = admin
            .data(
                "query ($id: ID!) { integrationSystem(id: $id) { auths { id } } }",
                json!({ "id": id }),
            )
            .await;
        data["integrationSystem"]["auths"][0]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    let (message, code) = admin
        .tenant(compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID)
        .send(
            "mutation ($a: ID!) { deleteSystemAuthForRuntime(authID: $a) { id } }",
            json!({ "a": auth_id }),
        )
        .await
        .error();
    assert_eq!(code, "NOT_FOUND", "{message}");
    let deleted = admin
        .data(
            "mutation ($a: ID!) { deleteSystemAuthForIntegrationSystem(authID: $a) { id } }",
            json!({ "a": auth_id }),
        )
        .await;
    assert_eq!(
        deleted["deleteSystemAuthForIntegrationSystem"]["id"],
        auth_id.as_str()
    );

    // An application naming it holds it.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {name: crm, namespace: default-tenant}\nspec: {integrationSystem: sync}\n",
        &[],
    );
    let tenant = admin.tenant(compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID);
    eventually("the Director sees the application", || async {
        let data = tenant
            .data(
                "{ applications { data { integrationSystemID } } }",
                json!({}),
            )
            .await;
        (data["applications"]["data"][0]["integrationSystemID"] == id.as_str()).then_some(())
    })
    .await;
    let response = admin
        .send(
            "mutation ($id: ID!) { unregisterIntegrationSystem(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    let (message, code) = response.error();
    assert_eq!(code, "CONFLICT");
    assert!(message.contains("default-tenant/crm"), "{message}");
    server.kubectl_ok(&["delete", "application", "crm", "-n", NAMESPACE, "--wait"]);
    let gone = eventually("the integration system can go", || async {
        let response = admin
            .send(
                "mutation ($id: ID!) { unregisterIntegrationSystem(id: $id) { name } }",
                json!({ "id": id }),
            )
            .await;
        response
            .body
            .get("errors")
            .is_none()
            .then_some(response.body)
    })
    .await;
    assert_eq!(gone["data"]["unregisterIntegrationSystem"]["name"], "sync");
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_system_auths_are_listed_and_deleted_only_as_runtime_auths() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let client = director.api.default_tenant();
    let runtime = register(&client, json!({ "name": "edge" })).await;
    let id = runtime["id"].as_str().unwrap().to_owned();
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: SystemAuth\nmetadata: {name: edge-agent, namespace: default-tenant}\nspec: {subject: {kind: Runtime, name: edge}}\n",
        &[],
    );
    let auth_id = eventually("the runtime lists its auth", || async {
        let data = client
            .data(
                "query ($id: ID!) { runtime(id: $id) { auths { id } } }",
                json!({ "id": id }),
            )
            .await;
        data["runtime"]["auths"][0]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    for wrong in [
        "deleteSystemAuthForApplication",
        "deleteSystemAuthForIntegrationSystem",
    ] {
        let response = client
            .send(
                &format!("mutation ($a: ID!) {{ {wrong}(authID: $a) {{ id }} }}"),
                json!({ "a": auth_id }),
            )
            .await;
        let (message, _) = response.error();
        assert!(
            message.contains("not to a") || message.contains("not found"),
            "{wrong}: {message}"
        );
    }
    let deleted = client
        .data(
            "mutation ($a: ID!) { deleteSystemAuthForRuntime(authID: $a) { id } }",
            json!({ "a": auth_id }),
        )
        .await;
    assert_eq!(
        deleted["deleteSystemAuthForRuntime"]["id"],
        auth_id.as_str()
    );
    assert!(
        server
            .kubectl_err(&["get", "systemauth", "edge-agent", "-n", NAMESPACE])
            .contains("NotFound")
    );
    director.stop().await;
}
