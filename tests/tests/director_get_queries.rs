//! Queries sent by `GET` over HTTPS, their parameters in the URL, as clients caching by URL send
//! them: run for an authenticated caller, persisted queries by hash included; a mutation refused
//! (a link can send a `GET`) and nothing written; a malformed parameter named; the playground
//! still served to a browser.

use compass_api::gateway::{StaticUser, digest};
use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::TestServer;
use serde_json::{Value, json};

const TOKEN: &str = "getter-token";

/// `name=value&…`, each value encoded for a URL.
fn url_parameters(parameters: &[(&str, &str)]) -> String {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in parameters {
        encoded.append_pair(name, value);
    }
    encoded.finish()
}

fn persisted_query(query: &str) -> String {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": digest(query) } }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_runs_by_get_and_a_mutation_does_not() {
    let server = TestServer::start().await;
    let getter = StaticUser {
        name: "getter".into(),
        token_sha256: digest(TOKEN),
        scopes: [
            "application:read".to_owned(),
            "application:write".to_owned(),
        ]
        .into(),
        tenants: ["*".to_owned()].into(),
    };
    let director = server.start_director(vec![getter]).await;
    let caller = director.api.default_tenant().with_token(TOKEN);

    // A query with its operation chosen by name and its variables.
    let query =
        "query Other { viewer { id } } query Kind($name: String!) { __type(name: $name) { name } }";
    let variables = json!({ "name": "Application" }).to_string();
    let sent = url_parameters(&[
        ("query", query),
        ("operationName", "Kind"),
        ("variables", &variables),
    ]);
    let answer = caller.get(&sent).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.data()["__type"]["name"], "Application");

    // A persisted query by its hash alone: asked for its text, then run once it was sent by POST.
    let viewer = "{ viewer { id } }";
    let by_hash = url_parameters(&[("extensions", &persisted_query(viewer))]);
    let unknown = caller.get(&by_hash).await;
    assert_eq!(unknown.status, 200, "{}", unknown.body);
    assert_eq!(unknown.error().1, "PERSISTED_QUERY_NOT_FOUND");
    let with_text = json!({
        "query": viewer,
        "extensions": serde_json::from_str::<Value>(&persisted_query(viewer)).unwrap(),
    });
    let posted = caller.post(with_text.to_string().into_bytes()).await;
    assert_eq!(posted.data()["viewer"]["id"], "getter");
    let again = caller.get(&by_hash).await;
    assert_eq!(again.data()["viewer"]["id"], "getter");

    // A mutation by GET is refused, by its text or by its hash, and nothing is registered.
    let register = "mutation { registerApplication(in: { name: \"by-get\" }) { id } }";
    let refused = caller.get(&url_parameters(&[("query", register)])).await;
    assert_eq!(refused.status, 405, "{}", refused.body);
    let (message, code) = refused.error();
    assert!(message.contains("send a mutation by POST"), "{message}");
    assert_eq!(code, "INVALID_INPUT");
    // A mutation's text kept under its hash (its POST runs; the id names nothing) is not run by
    // its hash by GET either.
    let unregister =
        "mutation { unregisterApplication(id: \"00000000-0000-0000-0000-000000000000\") { id } }";
    let with_text = json!({
        "query": unregister,
        "extensions": serde_json::from_str::<Value>(&persisted_query(unregister)).unwrap(),
    });
    caller.post(with_text.to_string().into_bytes()).await;
    let unregister_by_hash = url_parameters(&[("extensions", &persisted_query(unregister))]);
    assert_eq!(caller.get(&unregister_by_hash).await.status, 405);
    let names = caller
        .data("{ applications { data { name } } }", json!({}))
        .await;
    assert_eq!(names["applications"]["data"], json!([]), "{names}");

    // The refusal names the methods the path takes.
    let path = format!(
        "/director/graphql?{}",
        url_parameters(&[("query", register)])
    );
    let bearer = format!("Bearer {TOKEN}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("tenant", DEFAULT_TENANT_EXTERNAL_ID),
    ];
    let raw = caller
        .client()
        .request(http::Method::GET, &path, &headers, Vec::new());
    let raw = raw.await.expect("the Director answers");
    assert_eq!(raw.status(), 405);
    assert_eq!(raw.headers()["allow"], "GET, POST");

    // A malformed parameter is named; a caller without credentials learns nothing of the query.
    let malformed = caller
        .get(&url_parameters(&[("query", viewer), ("variables", "[1]")]))
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let (message, code) = malformed.error();
    assert_eq!(message, "the URL parameter variables must be a JSON object");
    assert_eq!(code, "INVALID_INPUT");
    let anonymous = caller.client().without_token();
    for sent in [by_hash.as_str(), "query=%7Ba%7D&variables=%5B1%5D"] {
        // A malformed one too: the parameters are read only for an admitted caller.
        let answer = anonymous.get(sent).await.expect("the Director answers");
        assert_eq!(answer.status, 401, "{sent}");
    }

    // A browser, or a URL naming no query, gets the playground, as before.
    for (path, accept) in [
        ("/director/graphql", "*/*"),
        (
            "/director/graphql?query=%7B+viewer+%7B+id+%7D+%7D",
            "text/html,application/xhtml+xml",
        ),
    ] {
        let headers = [("accept", accept)];
        let page = caller
            .client()
            .request(http::Method::GET, path, &headers, Vec::new());
        let page = page.await.expect("the Director answers");
        assert_eq!(page.status(), 200, "{path}");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    director.stop().await;
    server.stop().await;
}
