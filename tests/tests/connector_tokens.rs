//! One-time tokens through the Director: handed out once with the Connector's URLs, stored only
//! as a digest in the subject's SystemAuth (shown by kubectl), and redeemed exactly once however
//! many callers race for them.

use base64::Engine;
use compass_api::{
    connector::tokens::{redeem, token_digest},
    metrics::ApiMetrics,
    state::Caches,
};
use compass_crds::{SystemAuth, TokenPurpose, well_known::DEFAULT_TENANT_NAMESPACE};
use compass_tests::{TestServer, eventually, graphql::Graphql};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

/// Registers an object with the mutation `register` and asks for its token with the mutation
/// `request` (of a variable `$id`); returns the token's answer.
async fn token_after(admin: &Graphql, register: &str, request: &str) -> Value {
    let registered = admin.data(register, json!({})).await;
    let id = registered.as_object().unwrap().values().next().unwrap()["id"].clone();
    let answer = admin.data(request, json!({ "id": id })).await;
    answer.as_object().unwrap().values().next().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_shown_once_stored_as_a_digest_and_redeemed_exactly_once() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let admin = director.api.default_tenant();
    let answer = &token_after(
        &admin,
        "mutation { registerApplication(in: { name: \"paired\" }) { id } }",
        "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token connectorURL legacyConnectorURL raw rawEncoded } }",
    )
    .await;
    let token = answer["token"].as_str().unwrap().to_owned();
    let token_bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&token)
        .expect("the token is base64url");
    assert_eq!(token_bytes.len(), 32, "256 random bits");
    let connector_url = answer["connectorURL"].as_str().unwrap();
    assert!(
        connector_url.starts_with("https://127.0.0.1:"),
        "{connector_url}"
    );
    assert!(
        connector_url.ends_with("/connector/graphql"),
        "{connector_url}"
    );
    assert_eq!(
        answer["legacyConnectorURL"].as_str().unwrap(),
        format!("{connector_url}?token={token}")
    );
    let raw: Value = serde_json::from_str(answer["raw"].as_str().unwrap()).unwrap();
    assert_eq!(
        raw,
        json!({ "token": token, "connectorURL": connector_url })
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(answer["rawEncoded"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, answer["raw"].as_str().unwrap().as_bytes());

    // Stored only as a digest, with its expiry, in the application's SystemAuth.
    let listed = server.system_auths();
    assert!(
        !listed.to_string().contains(&token),
        "the token itself is never stored"
    );
    let auth = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["spec"]["subject"] == json!({ "kind": "Application", "name": "paired" }))
        .expect("the application got a SystemAuth");
    let record = &auth["status"]["oneTimeTokens"][0];
    assert_eq!(record["tokenHash"], json!(token_digest(&token)));
    assert_eq!(record["purpose"], "Pairing");
    assert_eq!(record["used"], false);
    let time = |field: &str| {
        record[field]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
    };
    let lifetime = time("expiresAt").duration_since(time("issuedAt"));
    assert_eq!(
        lifetime.as_secs(),
        5 * 60,
        "applications' tokens live 5 minutes"
    );

    // A hundred callers race to redeem it, each through its own stores as another replica would.
    let client = server.client().await;
    let watches = compass_cache::Watches::new(client.clone());
    let caches = Caches::new(&watches);
    assert!(caches.ready().await);
    eventually("the stores hold the token's digest", || async {
        let tag = compass_cache::kinds::token_tag(&token_digest(&token));
        (!caches.system_auths.tagged(&tag).is_empty()).then_some(())
    })
    .await;
    let metrics = std::sync::Arc::new(ApiMetrics::default());
    let attempts = (0..100).map(|_| {
        let (client, caches, token) = (client.clone(), caches.clone(), token.clone());
        let metrics = metrics.clone();
        tokio::spawn(async move {
            redeem(&client, &caches, &token, TokenPurpose::Pairing, &metrics).await
        })
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let (won, lost): (Vec<_>, Vec<_>) = outcomes
        .into_iter()
        .map(|joined| joined.expect("the attempt completes"))
        .partition(Result::is_ok);
    assert_eq!(won.len(), 1, "exactly one redemption succeeds");
    assert_eq!(lost.len(), 99);
    for refusal in &lost {
        let message = &refusal.as_ref().unwrap_err().message;
        assert!(message.contains("not valid"), "{message}");
    }
    let holder = won.into_iter().next().unwrap().unwrap();
    assert_eq!(holder.spec.subject.name, "paired");
    let auths: Api<SystemAuth> = Api::namespaced(client.clone(), DEFAULT_TENANT_NAMESPACE);
    let stored = auths.get(&holder.name_any()).await.unwrap();
    let record = &stored.status.unwrap().one_time_tokens[0];
    assert!(record.used && record.used_at.is_some(), "{record:?}");

    // An unknown token is refused like a used one: nothing tells which tokens exist.
    let unknown = redeem(
        &client,
        &caches,
        "not-a-token",
        TokenPurpose::Pairing,
        &metrics,
    )
    .await;
    assert!(unknown.unwrap_err().message.contains("not valid"));
    // One redemption is counted; refusals of used or unknown tokens are not expiries.
    let counted = metrics.render();
    for line in [
        "compass_api_one_time_tokens_total{event=\"redeemed\"} 1",
        "compass_api_one_time_tokens_total{event=\"expired\"} 0",
    ] {
        assert!(counted.contains(line), "{line} in\n{counted}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_token_lives_an_hour_and_unknown_ids_are_not_found() {
    let server = TestServer::start().await;
    let director = server.start_director(Vec::new()).await;
    let admin = director.api.default_tenant();
    let answer = token_after(
        &admin,
        "mutation { registerRuntime(in: { name: \"edge\" }) { id } }",
        "mutation ($id: ID!) { requestOneTimeTokenForRuntime(id: $id) { token connectorURL raw } }",
    )
    .await;
    let token = answer["token"].as_str().unwrap().to_owned();
    let listed = server.system_auths();
    let auth = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["spec"]["subject"] == json!({ "kind": "Runtime", "name": "edge" }))
        .expect("the runtime got a SystemAuth");
    let record = &auth["status"]["oneTimeTokens"][0];
    assert_eq!(record["tokenHash"], json!(token_digest(&token)));
    let time = |field: &str| {
        record[field]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
    };
    assert_eq!(
        time("expiresAt").duration_since(time("issuedAt")).as_secs(),
        60 * 60
    );

    let missing = admin
        .send(
            "mutation { requestOneTimeTokenForRuntime(id: \"00000000-0000-0000-0000-000000000000\") { token } }",
            json!({}),
        )
        .await;
    let (message, code) = missing.error();
    assert_eq!(code, "NOT_FOUND", "{message}");
}
