//! Reading applications over HTTP: pages with the original's cursor contract (malformed cursors
//! refused naming `after`), label filters (key, JSON containment, the `scenarios` query, AND), and
//! `applicationsForRuntime` by shared scenarios within the tenant.

use crate::director_application_env;

use std::collections::BTreeSet;

use director_application_env::{
    Env, NAMESPACE, assert_code, define_scenarios, register, register_runtime,
};
use serde_json::{Value, json};

/// Names of the applications a page lists.
fn names(page: &Value) -> BTreeSet<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_and_their_apis_are_paged_in_id_order_with_an_empty_last_cursor() {
    let env = Env::start().await;
    for i in 0..7 {
        register(&env.client, json!({ "name": format!("app-{i}") })).await;
    }
    let pages = env
        .client
        .pages(
            "query ($after: PageCursor) { applications(first: 3, after: $after) { data { id name } pageInfo { startCursor endCursor hasNextPage } totalCount } }",
            json!({}),
            |data| &data["applications"],
        )
        .await;
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    let mut after = String::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 7);
        assert_eq!(page["pageInfo"]["startCursor"], after.as_str());
        let data = page["data"].as_array().unwrap();
        sizes.push(data.len());
        ids.extend(data.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        after = page["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    }
    assert_eq!(after, "", "the last page's endCursor is empty");
    assert_eq!(sizes, vec![3, 3, 1]);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "every application once, in id order");
    for first in [0, 101] {
        let response = env
            .client
            .send(
                "query ($first: Int) { applications(first: $first) { totalCount } }",
                json!({ "first": first }),
            )
            .await;
        let message = assert_code(&response, "INVALID_INPUT");
        assert!(message.contains("first"), "{message}");
    }

    // An application's APIs are paged the same way, and filtered by group.
    let apis: Vec<Value> = (0..5)
        .map(|i| json!({ "name": format!("api-{i}"), "targetURL": "https://x.example.com", "group": if i < 2 { "a" } else { "b" } }))
        .collect();
    let app = register(
        &env.client,
        json!({ "name": "many", "apiDefinitions": apis }),
    )
    .await;
    let query = "query ($id: ID!, $after: PageCursor, $group: String) { application(id: $id) { apiDefinitions(group: $group, first: 2, after: $after) { data { name } pageInfo { endCursor hasNextPage } totalCount } } }";
    let pages = env
        .client
        .pages(query, json!({ "id": app["id"] }), |data| {
            &data["application"]["apiDefinitions"]
        })
        .await;
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 5);
        seen.extend(names(page));
    }
    let last = pages.last().unwrap();
    assert_eq!(last["pageInfo"]["endCursor"], "");
    assert_eq!(seen.len(), 5);
    let group = env
        .client
        .data(query, json!({ "id": app["id"], "group": "a" }))
        .await;
    assert_eq!(group["application"]["apiDefinitions"]["totalCount"], 2);

    // A cursor the Director did not hand out is refused naming `after`, at either level, over
    // HTTP as a client sends it: not a 500, not a page.
    let top = "query ($after: PageCursor) { applications(first: 3, after: $after) { totalCount } }";
    // Not base64; base64 of something else than a cursor; base64 of bytes that are not text.
    for garbage in ["garbage!!", "bm90LWEtY3Vyc29y", "/w=="] {
        for (query, variables) in [
            (top, json!({ "after": garbage })),
            (query, json!({ "id": app["id"], "after": garbage })),
        ] {
            let response = env.client.send(query, variables).await;
            assert_ne!(response.status, 500, "{}", response.body);
            let message = assert_code(&response, "INVALID_INPUT");
            assert!(message.contains("after"), "{garbage}: {message}");
        }
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_filters_select_applications_and_combine_with_and() {
    let env = Env::start().await;
    define_scenarios(&env.client, &["marketing", "sales"]).await;
    let system = env
        .director
        .api
        .admin
        .data(
            "mutation { registerIntegrationSystem(in: { name: \"sync\" }) { id } }",
            json!({}),
        )
        .await["registerIntegrationSystem"]["id"]
        .clone();
    register(&env.client, json!({ "name": "a", "labels": { "region": "eu", "tags": ["x", "y"], "scenarios": ["marketing"] } })).await;
    register(&env.client, json!({ "name": "b", "labels": { "region": "us", "tags": ["y"], "scenarios": ["sales", "marketing"] } })).await;
    register(&env.client, json!({ "name": "c", "labels": { "owner": { "team": "blue", "size": 3 } }, "integrationSystemID": system })).await;
    let query = |filter: Value| {
        let client = env.client.clone();
        async move {
            let page = client
                .data(
                    "query ($f: [LabelFilter!]) { applications(filter: $f) { data { name } totalCount } }",
                    json!({ "f": filter }),
                )
                .await["applications"]
                .clone();
            names(&page)
        }
    };
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(query(json!([{ "key": "region" }])).await, set(&["a", "b"]));
    assert_eq!(
        query(json!([{ "key": "region", "query": "\"eu\"" }])).await,
        set(&["a"])
    );
    assert_eq!(
        query(json!([{ "key": "tags", "query": "[\"y\"]" }])).await,
        set(&["a", "b"])
    );
    assert_eq!(
        query(json!([{ "key": "owner", "query": "{\"team\":\"blue\"}" }])).await,
        set(&["c"])
    );
    assert_eq!(
        query(json!([{ "key": "scenarios", "query": "$[*] ? (@ == \"marketing\")" }])).await,
        set(&["a", "b"])
    );
    assert_eq!(
        query(
            json!([{ "key": "scenarios", "query": "$[*] ? (@ == \"sales\" || @ == \"DEFAULT\")" }])
        )
        .await,
        set(&["b", "c"])
    );
    assert_eq!(
        query(
            json!([{ "key": "tags", "query": "[\"y\"]" }, { "key": "region", "query": "\"us\"" }])
        )
        .await,
        set(&["b"]),
        "filters combine with AND"
    );
    assert_eq!(
        query(json!([{ "key": "name", "query": "\"c\"" }])).await,
        set(&["c"])
    );
    assert_eq!(
        query(json!([{ "key": "integration-system-id", "query": system.to_string() }])).await,
        set(&["c"])
    );
    assert_eq!(query(json!([{ "key": "missing" }])).await, set(&[]));
    let response = env
        .client
        .send(
            "{ applications(filter: [{ key: \"scenarios\", query: \"$.a\" }]) { totalCount } }",
            json!({}),
        )
        .await;
    assert_code(&response, "INVALID_INPUT");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_sees_the_applications_of_its_tenant_sharing_a_scenario() {
    let env = Env::start().await;
    define_scenarios(&env.client, &["marketing", "sales"]).await;
    for (name, scenarios) in [
        ("plain", json!(["DEFAULT"])),
        ("promo", json!(["marketing"])),
        ("deals", json!(["sales", "marketing"])),
        ("quotes", json!(["sales"])),
    ] {
        register(
            &env.client,
            json!({ "name": name, "labels": { "scenarios": scenarios } }),
        )
        .await;
    }
    let marketing = register_runtime(
        &env.client,
        "marketing-rt",
        json!({ "scenarios": ["marketing"] }),
    )
    .await;
    let mixed = register_runtime(
        &env.client,
        "mixed-rt",
        json!({ "scenarios": ["DEFAULT", "sales"] }),
    )
    .await;
    let lonely = register_runtime(&env.client, "lonely-rt", json!({})).await;
    env.client
        .data(
            "mutation ($id: ID!) { deleteRuntimeLabel(runtimeID: $id, key: \"scenarios\") { key } }",
            json!({ "id": lonely }),
        )
        .await;
    // An application of another tenant in DEFAULT is never seen.
    let other = env.other_tenant("other", "other-tenant").await;
    register(&other, json!({ "name": "foreign" })).await;
    let foreign_runtime = register_runtime(&other, "foreign-rt", json!({})).await;

    let query = "query ($id: ID!, $after: PageCursor) { applicationsForRuntime(runtimeID: $id, first: 2, after: $after) { data { name } pageInfo { endCursor hasNextPage } totalCount } }";
    let seen = |runtime: String| {
        let client = env.client.clone();
        async move {
            let pages = client
                .pages(
                    query,
                    json!({ "id": runtime }),
                    |data| &data["applicationsForRuntime"],
                )
                .await;
            let all: BTreeSet<String> = pages.iter().flat_map(names).collect();
            let last = pages.last().unwrap();
            assert_eq!(last["totalCount"].as_u64().unwrap() as usize, all.len());
            all
        }
    };
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(seen(marketing).await, set(&["promo", "deals"]));
    assert_eq!(seen(mixed).await, set(&["plain", "deals", "quotes"]));
    assert_eq!(seen(lonely).await, set(&[]));

    for unknown in [
        "3f1b7c2e-0000-4000-8000-000000000000".to_owned(),
        foreign_runtime,
    ] {
        let response = env.client.send(query, json!({ "id": unknown })).await;
        assert_code(&response, "NOT_FOUND");
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_query_follows_changes_made_behind_the_directors_back() {
    let env = Env::start().await;
    let app = register(
        &env.client,
        json!({ "name": "kept", "description": "first" }),
    )
    .await;
    let query =
        "query ($id: ID!) { application(id: $id) { description } applications { totalCount } }";
    let variables = json!({ "id": app["id"] });
    // Asked again and again, as an agent or a dashboard does: the same answer each time.
    for _ in 0..3 {
        let data = env.client.data(query, variables.clone()).await;
        assert_eq!(data["application"]["description"], "first");
        assert_eq!(data["applications"]["totalCount"], 1);
    }
    // Changed with kubectl, not through the Director: its next answers show the change.
    env.server.kubectl_ok(&[
        "patch",
        "application",
        "kept",
        "-n",
        NAMESPACE,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"description":"second"}}"#,
    ]);
    compass_tests::eventually("the change made with kubectl", || async {
        let data = env.client.data(query, variables.clone()).await;
        (data["application"]["description"] == "second").then_some(())
    })
    .await;
    // The same text asked in another tenant is another question.
    let other = env.other_tenant("kept-elsewhere", "kept-elsewhere").await;
    let theirs = other.data(query, variables.clone()).await;
    assert_eq!(theirs["applications"]["totalCount"], 0);
    assert!(theirs["application"].is_null(), "{theirs}");
    let ours = env.client.data(query, variables).await;
    assert_eq!(ours["applications"]["totalCount"], 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_being_deleted_is_left_out_of_pages_and_their_counts() {
    use compass_crds::Application;
    use kube::{
        Api,
        api::{DeleteParams, Patch, PatchParams},
    };
    let env = Env::start().await;
    for i in 0..3 {
        register(&env.client, json!({ "name": format!("app-{i}") })).await;
    }
    let runtime = register_runtime(&env.client, "edge", json!({})).await;
    // Held by a finalizer of the test's own, app-1 stays after its deletion, marked for it.
    let apps: Api<Application> = Api::namespaced(env.server.client().await, NAMESPACE);
    let hold =
        |finalizers: Value| Patch::Merge(json!({ "metadata": { "finalizers": finalizers } }));
    let patch = PatchParams::default();
    apps.patch("app-1", &patch, &hold(json!(["test.compass/hold"])))
        .await
        .unwrap();
    apps.delete("app-1", &DeleteParams::default())
        .await
        .unwrap();

    // The pages of the tenant and of the runtime, as an agent and the Cockpit read them.
    let query = "query ($rt: ID!, $after: PageCursor) { applications(first: 1, after: $after) { data { name } pageInfo { endCursor } totalCount } applicationsForRuntime(runtimeID: $rt, first: 1, after: $after) { data { name } totalCount } }";
    let first = compass_tests::eventually("app-1 left out of the counts", || async {
        let data = env.client.data(query, json!({ "rt": runtime })).await;
        let counts = (
            &data["applications"]["totalCount"],
            &data["applicationsForRuntime"]["totalCount"],
        );
        (counts == (&json!(2), &json!(2))).then_some(data)
    })
    .await;
    let mut listed = names(&first["applications"]);
    let mut after = first["applications"]["pageInfo"]["endCursor"].clone();
    while after != "" {
        let data = env
            .client
            .data(query, json!({ "rt": runtime, "after": after }))
            .await;
        listed.extend(names(&data["applications"]));
        assert_eq!(
            names(&data["applicationsForRuntime"]),
            names(&data["applications"]),
            "the runtime sees the same page"
        );
        after = data["applications"]["pageInfo"]["endCursor"].clone();
    }
    let expected: BTreeSet<String> = ["app-0".into(), "app-2".into()].into();
    assert_eq!(listed, expected);
    apps.patch("app-1", &patch, &hold(json!(null)))
        .await
        .unwrap();
    env.stop().await;
}
