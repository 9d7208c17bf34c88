//! Runtimes paged, filtered by label and validated, each tenant seeing only its own.

use compass_tests::TestServer;
use serde_json::{Value, json};

use super::{register, register_runtime};

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
    let pages = client
        .pages(
            "query ($after: PageCursor) { runtimes(first: 3, after: $after) { data { id } pageInfo { startCursor endCursor hasNextPage } totalCount } }",
            json!({}),
            |data| &data["runtimes"],
        )
        .await;
    let mut sizes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 10);
        let data = page["data"].as_array().unwrap();
        sizes.push(data.len());
        seen.extend(data.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
    }
    let last = pages.last().unwrap();
    assert_eq!(last["pageInfo"]["endCursor"], "");
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
    let page = other
        .data_eventually(
            "the Director knows the other tenant",
            "{ runtimes { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(page["runtimes"]["totalCount"], 0);
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
