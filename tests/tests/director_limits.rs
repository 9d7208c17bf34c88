//! What the Director refuses before it does any work: queries nested too deep or too costly,
//! bodies too large (also on the wire, declared but not sent), malformed requests, unknown
//! fields; and the playground it serves.

use compass_apiserver::Transport;
use compass_tests::{TestServer, raw_http::assert_body_bound};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_costly_large_and_malformed_requests_are_refused() {
    let server = TestServer::start().await;
    let api = server.start_api(Vec::new()).await;
    let admin = api.admin.clone();

    // Nested 20 levels deep through introspection, beyond the bound of 15.
    let mut deep = "name".to_owned();
    for _ in 0..18 {
        deep = format!("ofType {{ {deep} }}");
    }
    let response = admin
        .send(
            &format!("{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}"),
            json!({}),
        )
        .await;
    let (message, _) = response.error();
    assert!(message.contains("too deep"), "{message}");

    // 10,001 aliased fields cost more than the bound of 20,000.
    let costly: String = (0..10_001)
        .map(|i| format!("v{i}: viewer {{ id }} "))
        .collect();
    let (message, _) = admin
        .send(&format!("{{ {costly} }}"), json!({}))
        .await
        .error();
    assert!(message.contains("too complex"), "{message}");
    // A query within both bounds runs.
    let fine: String = (0..100)
        .map(|i| format!("v{i}: viewer {{ id }} "))
        .collect();
    let data = admin.data(&format!("{{ {fine} }}"), json!({})).await;
    assert_eq!(data["v99"]["id"], "admin");

    // A body over 4 MiB is refused before it is parsed.
    let padding = "x".repeat(5 * 1024 * 1024);
    let body = json!({ "query": "{ viewer { id } }", "variables": { "padding": padding } });
    let response = admin.post(body.to_string().into_bytes()).await;
    assert_eq!(response.status, 413, "{}", response.body);

    // Malformed JSON and unknown fields get clear errors.
    let response = admin.post(b"{ not json".to_vec()).await;
    assert!(response.status >= 400, "{}", response.body);
    let (message, _) = admin.send("{ packages { id } }", json!({})).await.error();
    assert!(message.contains("packages"), "{message}");
    api.stop().await;
}

/// A declared Content-Length over the Director's bound (4 MiB) is answered 413 before the body
/// is sent, where a library client cannot show it; a client that does send such a body still
/// reads the 413 rather than a reset. (The control plane's bound is checked in
/// `apiserver/tests/listener_limits.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_bound_is_refused_before_it_is_sent() {
    // Plain HTTP on loopback, so the requests can be written by hand.
    let server = TestServer::start_with(|config| config.transport = Transport::PlainLoopback).await;
    let token = server.control_plane.admin_token.clone();
    let api = server.start_api(Vec::new()).await;
    let path = compass_api::server::DIRECTOR_PATH;
    assert_body_bound(url_address(&api.url), path, &token, 5 << 20).await;
    api.stop().await;
    server.stop().await;
}

/// The socket address of an `http(s)://host:port/...` URL.
fn url_address(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    authority.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_bounded_in_bytes_and_batches_in_operations() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let tenant = director.api.default_tenant();
    // A 250 KB spec, asked for under a thousand aliases: 250 MB unbounded.
    let spec = format!("openapi: 3.0.0\n# {}\n", "x".repeat(250 * 1024));
    let input = json!({ "name": "big", "apiDefinitions": [{ "name": "api", "targetURL": "https://big.example.com",
        "spec": { "type": "OPEN_API", "format": "YAML", "data": spec } }] });
    let id = tenant
        .data(
            "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }",
            json!({ "in": input }),
        )
        .await["registerApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let aliases: String = (0..1000).map(|i| format!("d{i}: data ")).collect();
    let query = format!(
        "query ($id: ID!) {{ application(id: $id) {{ apiDefinitions {{ data {{ spec {{ {aliases} }} }} }} }} }}"
    );
    let response = tenant.send(&query, json!({ "id": id })).await;
    let (message, code) = response.error();
    assert_eq!(code, "INVALID_INPUT", "{message}");
    assert!(message.contains("larger than 33554432 bytes"), "{message}");
    assert!(response.body["data"].is_null(), "no partial answer");
    assert!(
        response.body.to_string().len() < 4096,
        "the refusal is small"
    );
    // Ten aliases of it are an ordinary answer.
    let ten: String = (0..10).map(|i| format!("d{i}: data ")).collect();
    let query = format!(
        "query ($id: ID!) {{ application(id: $id) {{ apiDefinitions {{ data {{ spec {{ {ten} }} }} }} }} }}"
    );
    let data = tenant.data(&query, json!({ "id": id })).await;
    assert_eq!(
        data["application"]["apiDefinitions"]["data"][0]["spec"]["d9"],
        spec.as_str()
    );
    // Three such requests in one batch share one bound.
    let operation = json!({ "query": format!(
        "query ($id: ID!) {{ application(id: $id) {{ apiDefinitions {{ data {{ spec {{ {} }} }} }} }} }}",
        (0..60).map(|i| format!("d{i}: data ")).collect::<String>()
    ), "variables": { "id": id } });
    let batch = json!([operation, operation, operation]);
    let response = tenant.post(batch.to_string().into_bytes()).await;
    let answers = response.body.as_array().expect("a batch answer");
    assert!(
        answers.iter().any(|a| a["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("larger than"))),
        "{}",
        response
            .body
            .to_string()
            .chars()
            .take(500)
            .collect::<String>()
    );

    // A batch holds at most ten operations.
    let viewer = json!({ "query": "{ viewer { id } }" });
    let response = tenant
        .post(json!(vec![viewer.clone(); 11]).to_string().into_bytes())
        .await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 10 operations"),
        "{}",
        response.body
    );
    let response = tenant
        .post(json!(vec![viewer; 10]).to_string().into_bytes())
        .await;
    assert_eq!(response.body.as_array().map(Vec::len), Some(10));
    director.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_playground_is_served_from_the_binary() {
    let server = TestServer::start().await;
    let api = server.start_api(Vec::new()).await;
    let ca = server.data_dir().join("ca.crt");
    let get = |url: &str| {
        let output = std::process::Command::new("curl")
            .args(["-s", "-D", "-", "--cacert"])
            .arg(&ca)
            .arg(url)
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let page = get(&api.url);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("content-security-policy: default-src 'none'"),
        "{page}"
    );
    let (_, html) = page.split_once("\r\n\r\n").unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let sources: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("playground/"))
        .collect();
    assert_eq!(sources.len(), 6, "{html}");
    let base = api.url.trim_end_matches("graphql");
    for source in sources {
        let answer = get(&format!("{base}{source}"));
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "{source}: {}",
            &answer[..200]
        );
        let wanted = if source.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(
            answer.contains(&format!("content-type: {wanted}")),
            "{source}"
        );
    }
    assert!(get(&format!("{base}playground/nothing.js")).starts_with("HTTP/1.1 404"));
    api.stop().await;
}
