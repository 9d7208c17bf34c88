//! Tests of [`HttpClient::authorize`] against a local token and CSRF endpoint.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::json;

use super::*;
use crate::http::secrets::SecretData;

const TIMEOUT: Duration = Duration::from_secs(5);

fn secrets() -> HashMap<String, SecretData> {
    let entry = |pairs: &[(&str, &str)]| -> SecretData {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    };
    HashMap::from([
        (
            "basic".to_owned(),
            entry(&[("username", "alice"), ("password", "s3cret")]),
        ),
        (
            "client".to_owned(),
            entry(&[("clientId", "app"), ("clientSecret", "shh")]),
        ),
        ("half".to_owned(), entry(&[("username", "bob")])),
    ])
}

fn auth(value: serde_json::Value) -> Auth {
    serde_json::from_value(value).unwrap()
}

/// A client allowed to reach the loopback endpoints these tests serve.
fn local_client() -> HttpClient {
    HttpClient::new(crate::http::guard::OutboundPolicy::new(vec![
        "127.0.0.0/8".parse().unwrap(),
    ]))
}

fn get_request(url: &str) -> Request<Full<Bytes>> {
    Request::get(url).body(Full::default()).unwrap()
}

#[derive(Clone, Default)]
struct Hits {
    token: Arc<AtomicUsize>,
    csrf: Arc<AtomicUsize>,
}

/// A token endpoint that wants client `app`/`shh`, and a CSRF endpoint that wants alice.
async fn endpoints() -> (String, Hits) {
    async fn token(
        State(hits): State<Hits>,
        headers: HeaderMap,
        body: String,
    ) -> impl IntoResponse {
        hits.token.fetch_add(1, Ordering::SeqCst);
        let wanted = basic("app", "shh");
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(wanted.as_str())
            || body != "grant_type=client_credentials"
        {
            return (StatusCode::UNAUTHORIZED, "no").into_response();
        }
        let body = json!({ "access_token": "tok-1", "token_type": "bearer", "expires_in": 3600 });
        ([("content-type", "application/json")], body.to_string()).into_response()
    }
    async fn csrf(State(hits): State<Hits>, headers: HeaderMap) -> impl IntoResponse {
        hits.csrf.fetch_add(1, Ordering::SeqCst);
        let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(basic("alice", "s3cret").as_str());
        let fetch = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) == Some("Fetch");
        if !authorized || !fetch {
            return StatusCode::FORBIDDEN.into_response();
        }
        (
            [
                ("x-csrf-token", "csrf-42"),
                ("set-cookie", "session=abc; Path=/; HttpOnly"),
            ],
            "",
        )
            .into_response()
    }
    let hits = Hits::default();
    let app = Router::new()
        .route("/token", post(token))
        .route("/csrf", get(csrf))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), hits)
}

#[tokio::test]
async fn basic_credentials_headers_and_query_parameters_are_added() {
    let http = local_client();
    let auth = auth(json!({
        "credential": { "basic": { "secretRef": { "name": "basic" } } },
        "additionalHeaders": { "X-Tenant": ["a", "b"] },
        "additionalQueryParams": { "lang": ["en"], "q": ["a b&c"] },
    }));
    let request = http
        .authorize(
            get_request("http://example.test/spec?x=1"),
            &auth,
            &secrets(),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(request.headers()["authorization"], "Basic YWxpY2U6czNjcmV0");
    let tenants: Vec<_> = request.headers().get_all("x-tenant").iter().collect();
    assert_eq!(tenants, ["a", "b"]);
    assert_eq!(
        request.uri().to_string(),
        "http://example.test/spec?x=1&lang=en&q=a%20b%26c"
    );
}

#[tokio::test]
async fn a_missing_secret_or_key_is_named() {
    let http = local_client();
    let missing = auth(json!({ "credential": { "basic": { "secretRef": { "name": "nope" } } } }));
    let error = http
        .authorize(get_request("http://x.test/"), &missing, &secrets(), TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Secret nope (which should hold the key username) does not exist"
    );
    let half = auth(json!({ "credential": { "basic": { "secretRef": { "name": "half" } } } }));
    let error = http
        .authorize(get_request("http://x.test/"), &half, &secrets(), TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "Secret half has no key password");
}

#[tokio::test]
async fn oauth_tokens_are_requested_once_and_sent_as_bearer() {
    let (base, hits) = endpoints().await;
    let http = local_client();
    let auth = auth(json!({
        "credential": { "oauth": { "secretRef": { "name": "client" }, "url": format!("{base}/token") } },
    }));
    for _ in 0..3 {
        let request = http
            .authorize(get_request("http://x.test/"), &auth, &secrets(), TIMEOUT)
            .await
            .unwrap();
        assert_eq!(request.headers()["authorization"], "Bearer tok-1");
    }
    assert_eq!(hits.token.load(Ordering::SeqCst), 1, "the token is cached");
    http.tokens.forget(&format!("{base}/token"));
    http.authorize(get_request("http://x.test/"), &auth, &secrets(), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(hits.token.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_token_request_says_where_and_why() {
    let (base, _) = endpoints().await;
    let mut data = secrets();
    data.get_mut("client")
        .unwrap()
        .insert("clientSecret".into(), b"wrong".to_vec());
    let auth = auth(json!({
        "credential": { "oauth": { "secretRef": { "name": "client" }, "url": format!("{base}/token") } },
    }));
    let error = local_client()
        .authorize(get_request("http://x.test/"), &auth, &data, TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "requesting an OAuth token from {base}/token failed: the token endpoint answered 401 Unauthorized"
        )
    );
}

#[tokio::test]
async fn a_csrf_token_and_its_cookie_are_fetched_and_sent() {
    let (base, hits) = endpoints().await;
    let auth = auth(json!({
        "credential": { "oauth": { "secretRef": { "name": "client" }, "url": format!("{base}/token") } },
        "requestAuth": { "csrf": {
            "tokenEndpointURL": format!("{base}/csrf"),
            "credential": { "basic": { "secretRef": { "name": "basic" } } },
        } },
    }));
    let request = local_client()
        .authorize(get_request("http://x.test/"), &auth, &secrets(), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(request.headers()["x-csrf-token"], "csrf-42");
    assert_eq!(request.headers()["cookie"], "session=abc");
    assert_eq!(request.headers()["authorization"], "Bearer tok-1");
    assert_eq!(hits.csrf.load(Ordering::SeqCst), 1);

    let refused = auth_with_csrf_credential(&base, "client");
    let error = local_client()
        .authorize(get_request("http://x.test/"), &refused, &secrets(), TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "requesting a CSRF token from {base}/csrf failed: the endpoint answered 403 Forbidden"
        )
    );
}

fn auth_with_csrf_credential(base: &str, secret: &str) -> Auth {
    auth(json!({
        "credential": { "basic": { "secretRef": { "name": "basic" } } },
        "requestAuth": { "csrf": {
            "tokenEndpointURL": format!("{base}/csrf"),
            "credential": { "oauth": { "secretRef": { "name": secret }, "url": format!("{base}/token") } },
        } },
    }))
}

#[test]
fn query_values_are_percent_encoded() {
    assert_eq!(encode("a b/ü~"), "a%20b%2F%C3%BC~");
}
