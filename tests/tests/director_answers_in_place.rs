//! Fields answered in place over HTTP: a query's first request (its text new, every field through
//! async-graphql's resolvers with the per-field hooks) and a later one of the same text (its
//! document kept, the fields the Director's types answer in place written straight as JSON) give
//! the same data and errors for every field of an application and its children, with fragments,
//! aliases, merged keys, `__typename`, directives and arguments, content inline and in a
//! ConfigMap.

use crate::director_application_env;

use director_application_env::{Env, app_fields, register};
use serde_json::{Value, json};

/// Selections of an application, each asked under `applications(first: $n) { data { ... } }`,
/// and the fragments they spread.
fn selections() -> Vec<(String, &'static str)> {
    vec![
        // Every field, those no type answers in place (webhooks, auths, credentials) among them.
        (app_fields(), ""),
        // What the Director bench asks of a page.
        ("id name description labels status { condition timestamp } apiDefinitions { data { id name targetURL spec { type format data } } pageInfo { startCursor endCursor hasNextPage } totalCount } eventDefinitions { data { id name } } documents { data { id applicationID title displayName description format kind data fetchRequest { url } } totalCount }".to_owned(), ""),
        // Fragments on the type and on an interface, aliases, keys asked twice and merged.
        (
            "__typename kind: __typename ...Own apiDefinitions { data { id } } apiDefinitions { data { name n: name spec { __typename t: type } } } eventDefinitions { ... on EventDefinitionPage { totalCount } ... on Pageable { pageInfo { hasNextPage } } data { version { value deprecated deprecatedSince forRemoval } spec { fetchRequest { url mode filter status { condition } } } } }".to_owned(),
            "fragment Own on Application { labels healthCheckURL integrationSystemID providerName status { timestamp } name }",
        ),
        // Directives, on fields answered in place and under them.
        ("name @include(if: true) description @skip(if: false) apiDefinitions { data { id @skip(if: true) name group @include(if: false) } }".to_owned(), ""),
        // Arguments: these fields go through their resolvers, their siblings do not.
        (r#"name labels(key: "zone") apiDefinitions(group: "orders") { data { name } totalCount } eventDefinitions(first: 1) { data { id } totalCount } documents(first: 1) { totalCount }"#.to_owned(), ""),
    ]
}

/// `selection` under a page of applications, then `fragments`; `attempt` makes its text new.
fn query(selection: &str, fragments: &str, attempt: usize) -> String {
    format!(
        "# attempt {attempt}\nquery ($n: Int) {{ applications(first: $n) {{ data {{ {selection} }} }} }} {fragments}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_documents_answer_as_their_first_requests_did() {
    let env = Env::start().await;
    register_shop(&env).await;
    register(&env.client, json!({ "name": "empty" })).await;
    register_large_content(&env).await;
    for (selection, fragments) in selections() {
        assert_answered_alike(&env, &selection, fragments).await;
    }
    env.stop().await;
}

/// An API of the shop named `name`, in `group`, with `spec`.
fn api(name: &str, group: Option<&str>, spec: Value) -> Value {
    json!({ "name": name, "targetURL": format!("https://shop.example.com/{name}"), "group": group,
            "description": "what it offers", "version": { "value": "v2", "deprecated": true, "deprecatedSince": "v1" },
            "spec": spec })
}

/// Registers an application with every kind of child and field set.
async fn register_shop(env: &Env) {
    register(
        &env.client,
        json!({
            "name": "shop",
            "providerName": "Shop Corp",
            "description": "a shop",
            "healthCheckURL": "https://shop.example.com/health",
            "labels": { "zone": "b", "alpha": { "x": 1 } },
            "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": "https://shop.example.com/hook" }],
            "apiDefinitions": [
                api("orders", Some("orders"), json!({ "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0\n" })),
                api("invoices", None, json!({ "type": "ODATA", "format": "XML",
                    "fetchRequest": { "url": "https://192.0.2.1/metadata", "filter": "*.xml" } })),
                api("plain", Some("orders"), Value::Null),
            ],
            "eventDefinitions": [
                { "name": "order-events", "spec": { "type": "ASYNC_API", "format": "JSON", "data": "{}" } },
                { "name": "bare" },
            ],
            "documents": [{ "title": "Guide", "displayName": "Guide", "description": "how", "format": "MARKDOWN", "data": "# Guide" }],
        }),
    )
    .await;
}

/// Asks `selection` as a new text, then again on its kept document, and fails unless both
/// answers are the same. The operator may still be settling the applications (their status,
/// the fetch): an answer that differs is asked again under a new text until two agree or the
/// attempts run out; a difference of the paths themselves stays on every attempt.
async fn assert_answered_alike(env: &Env, selection: &str, fragments: &str) {
    let mut last = None;
    for attempt in 0..10 {
        let text = query(selection, fragments, attempt);
        let first = env.client.send(&text, json!({ "n": 100 })).await.body;
        // Other variables: a question of its own (no kept answer), the same answer.
        let kept = env.client.send(&text, json!({ "n": 99 })).await.body;
        assert!(first.get("data").is_some_and(|d| !d.is_null()), "{first}");
        if first == kept {
            return;
        }
        last = Some((first, kept));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let (first, kept) = last.expect("ten attempts");
    panic!("{selection}\nfirst request: {first}\nkept document: {kept}");
}

/// Registers an application whose spec and document are beyond the inline bound, kept in a
/// ConfigMap the Director makes (read from there both ways), and waits until it shows them.
async fn register_large_content(env: &Env) {
    let large = "paths: {}\n".repeat(300 * 1024 / 10);
    let spec = json!({ "type": "OPEN_API", "format": "YAML", "data": large });
    let document = json!({
        "title": "Manual", "displayName": "Manual", "description": "d", "format": "MARKDOWN",
        "data": large,
    });
    let application = json!({
        "name": "manuals",
        "apiDefinitions": [api("large", None, spec)],
        "documents": [document],
    });
    register(&env.client, application).await;
    let documents = "{ applications { data { documents { data { data } } } } }";
    for attempt in 0.. {
        let text = format!("# {attempt}\n{documents}");
        let answer = env.client.send(&text, json!({})).await.body;
        let applications = answer["data"]["applications"]["data"].as_array();
        let mut shown = applications.into_iter().flatten();
        if shown.any(|app| app["documents"]["data"][0]["data"] == large.as_str()) {
            return;
        }
        assert!(attempt < 50, "the large document never showed: {answer}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
