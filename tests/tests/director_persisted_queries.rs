//! Automatic persisted queries through the Director over HTTPS, as an Apollo client sends them:
//! a hash alone first, the text with its hash when the Director asks for it, the hash alone from
//! then on; kept per caller; a hash that is not its text's, and malformed extensions, refused.

use compass_api::gateway::{StaticUser, digest};
use compass_tests::{TestServer, graphql::Graphql};
use serde_json::{Value, json};

const QUERY: &str = "query Kind($name: String!) { __type(name: $name) { name kind } }";

/// The body of a request naming `QUERY` (sent too when `with_text`) by its hash.
fn persisted(query: &str, with_text: bool, variables: Value) -> Value {
    let mut body = json!({
        "variables": variables,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": digest(query) } },
    });
    if with_text {
        body["query"] = json!(query);
    }
    body
}

async fn post(caller: &Graphql, body: &Value) -> compass_tests::graphql::Response {
    caller.post(body.to_string().into_bytes()).await
}

fn assert_not_found(response: &compass_tests::graphql::Response) {
    assert_eq!(response.status, 200, "{}", response.body);
    let expected = (
        "PersistedQueryNotFound".into(),
        "PERSISTED_QUERY_NOT_FOUND".into(),
    );
    assert_eq!(response.error(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_runs_its_callers_query_once_the_text_was_sent_with_it() {
    let server = TestServer::start().await;
    let other = StaticUser {
        name: "other".into(),
        token_sha256: digest("other-token"),
        scopes: ["application:read".to_owned()].into(),
        tenants: ["*".to_owned()].into(),
    };
    let api = server.start_api(vec![other]).await;
    let admin = api.admin.clone();

    // The hash alone, before any text: the client is asked for the text.
    let application = json!({ "name": "Application" });
    assert_not_found(&post(&admin, &persisted(QUERY, false, application.clone())).await);
    // The text with its hash runs, and is kept.
    let sent = post(&admin, &persisted(QUERY, true, application.clone())).await;
    assert_eq!(sent.data()["__type"]["name"], "Application");
    // From then on the hash alone runs it, each time with the request's own variables.
    let again = post(&admin, &persisted(QUERY, false, application)).await;
    assert_eq!(again.body, sent.body);
    let runtime = post(
        &admin,
        &persisted(QUERY, false, json!({ "name": "Runtime" })),
    )
    .await;
    assert_eq!(runtime.data()["__type"]["name"], "Runtime");

    // Another caller has not sent the text: its hash is not found.
    let other = admin.with_token("other-token");
    let by_other = post(
        &other,
        &persisted(QUERY, false, json!({ "name": "Runtime" })),
    )
    .await;
    assert_not_found(&by_other);

    // A text under another text's hash, another version, a malformed hash: 400, naming the field.
    let mut mismatched = persisted("{ viewer { id } }", true, json!({ "name": "Runtime" }));
    mismatched["query"] = json!(QUERY);
    for (body, field) in [
        (mismatched, "extensions.persistedQuery.sha256Hash"),
        (
            json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": digest(QUERY) } } }),
            "extensions.persistedQuery.version",
        ),
        (
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "abc" } } }),
            "extensions.persistedQuery.sha256Hash",
        ),
    ] {
        let response = post(&admin, &body).await;
        assert_eq!(response.status, 400, "{}", response.body);
        let (message, code) = response.error();
        assert!(message.starts_with(field), "{message}");
        assert_eq!(code, "INVALID_INPUT");
    }
    // The refused text under the wrong hash was not kept under it.
    let viewer = post(&admin, &persisted("{ viewer { id } }", false, json!({}))).await;
    assert_not_found(&viewer);

    // In a batch, each request is answered in its place: an unknown hash, a known one, a plain
    // query.
    let batch = json!([
        persisted("{ viewer { id } }", false, json!({})),
        persisted(QUERY, false, json!({ "name": "Runtime" })),
        { "query": "{ viewer { id } }" },
    ]);
    let answers = post(&admin, &batch).await;
    assert_eq!(answers.status, 200, "{}", answers.body);
    let answers = answers.body.as_array().expect("a batch answer").clone();
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert_eq!(answers[0]["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(answers[1]["data"]["__type"]["name"], "Runtime");
    assert_eq!(answers[2]["data"]["viewer"]["id"], "admin");
    api.stop().await;
}
