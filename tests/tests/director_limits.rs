//! What the Director refuses before it does any work: queries nested too deep or too costly,
//! bodies too large, malformed requests, unknown fields; and the playground it serves.

use compass_tests::TestServer;
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
