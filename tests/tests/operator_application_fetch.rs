//! Fetch requests that fail or need credentials: the error in the status and in a Warning Event,
//! retries with backoff (counted at the server, so a hot loop would show), the size bound,
//! basic and OAuth credentials read from Secrets, and unsupported modes.

use crate::application_controller_env;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use application_controller_env::{Env, NAMESPACE, Requests, basic, config, unreachable_url};
use axum::{
    Router,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use compass_crds::{Application, application::FetchCondition};
use compass_tests::{condition, eventually, serve};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{Api, api::PostParams};
use serde_json::json;

fn app_fetching(name: &str, urls: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let apis: Vec<serde_json::Value> = urls
        .iter()
        .map(|(api, fetch)| {
            json!({ "name": api, "targetURL": "https://shop.test/api",
                    "spec": { "type": "OPEN_API", "format": "YAML", "fetchRequest": fetch } })
        })
        .collect();
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": name }, "spec": { "apiDefinitions": apis },
    })
}

/// The fetch status of the API definition `api`: (condition, message, attempts).
async fn fetch_of(
    env: &Env,
    app: &str,
    api: &str,
) -> Option<(FetchCondition, String, Option<i32>)> {
    let app: Application = env.apps.get(app).await.ok()?;
    let entry = app
        .status?
        .api_definitions
        .into_iter()
        .find(|d| d.name == api)?;
    let fetch = entry.fetch?;
    Some((
        fetch.condition,
        fetch.message.unwrap_or_default(),
        fetch.attempts,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_url_is_reported_with_its_error_and_shown_by_kubectl_describe() {
    let env = Env::start().await;
    let url = unreachable_url().await;
    env.create::<Application>(app_fetching("broken", &[("orders", json!({ "url": url }))]))
        .await;
    let app = env
        .wait_condition("broken", "SpecsFetched", "False", "FetchFailed")
        .await;
    let (_, _, message) = condition(&app, "SpecsFetched").unwrap();
    assert!(
        message.starts_with(&format!("API definition \"orders\": GET {url} failed: ")),
        "{message}"
    );
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
    let (status, reason, _) = condition(&app, "Ready").unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("False", "FetchFailed"));
    env.wait_event("broken", "Warning", "FetchFailed", "onnection refused")
        .await;
    eventually("a second attempt", || async {
        let (_, _, attempts) = fetch_of(&env, "broken", "orders").await?;
        (attempts? >= 2).then_some(())
    })
    .await;
    let described = env.server.kubectl_ok(&[
        "describe",
        "applications.compass.kyma-project.io",
        "broken",
        "-n",
        NAMESPACE,
    ]);
    assert!(described.contains("FetchFailed"), "{described}");
    assert!(described.contains("Warning"), "{described}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_url_is_retried_with_backoff_and_recovers() {
    let env = Env::start().await;
    let requests = Requests::default();
    let healthy = Arc::new(AtomicBool::new(false));
    // When each attempt reached the server, to measure the waits between them.
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let (seen, ok, arrived) = (requests.clone(), healthy.clone(), arrivals.clone());
    let base = serve(Router::new().route(
        "/spec.yaml",
        get(move |headers: HeaderMap| async move {
            arrived.lock().unwrap().push(Instant::now());
            seen.record("/spec.yaml", &headers, String::new());
            if ok.load(Ordering::SeqCst) {
                (StatusCode::OK, "openapi: 3.0.0").into_response()
            } else {
                (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response()
            }
        }),
    ))
    .await;
    env.create::<Application>(app_fetching(
        "flaky",
        &[("orders", json!({ "url": format!("{base}/spec.yaml") }))],
    ))
    .await;
    let (_, message, _) = eventually("three failed attempts", || async {
        let found = fetch_of(&env, "flaky", "orders").await?;
        (found.2? >= 3).then_some(found)
    })
    .await;
    assert_eq!(
        message,
        format!("GET {base}/spec.yaml answered 500 Internal Server Error")
    );
    // The waits between attempts, measured where the attempts arrive: 2 s and then 4 s, no hot
    // loop. The status records an attempt's time in whole seconds, so each wait may come up to a
    // second early; lower bounds only, which a slow machine cannot break.
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 3);
    let waits = [arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]];
    assert!(waits[0] >= Duration::from_secs(1), "{waits:?}");
    assert!(waits[1] >= Duration::from_secs(3), "{waits:?}");
    assert_eq!(requests.count("/spec.yaml"), 3);
    // Proving an absence takes a while: no attempt within a second, where 8 s are due.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        requests.count("/spec.yaml"),
        3,
        "the next attempt waits 8 s"
    );

    healthy.store(true, Ordering::SeqCst);
    let app = env
        .wait_condition("flaky", "Ready", "True", "Registered")
        .await;
    let fetch = app.status.unwrap().api_definitions[0]
        .fetch
        .clone()
        .unwrap();
    assert_eq!(
        (fetch.condition, fetch.attempts),
        (FetchCondition::Succeeded, None)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_larger_than_the_bound_is_refused() {
    let env = Env::start_with(config(1024)).await;
    let base = serve(Router::new().route("/big.yaml", get(|| async { "x".repeat(4096) }))).await;
    env.create::<Application>(app_fetching(
        "big",
        &[("orders", json!({ "url": format!("{base}/big.yaml") }))],
    ))
    .await;
    let (condition, message, _) = eventually("the fetch fails", || async {
        fetch_of(&env, "big", "orders")
            .await
            .filter(|f| f.0 == FetchCondition::Failed)
    })
    .await;
    assert_eq!(condition, FetchCondition::Failed);
    assert!(message.contains("larger than 1024 bytes"), "{message}");
    env.stop().await;
}

async fn secret(env: &Env, name: &str, pairs: &[(&str, &str)]) {
    let api: Api<Secret> = Api::namespaced(env.client.clone(), NAMESPACE);
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            ..Default::default()
        },
        data: Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    api.create(&PostParams::default(), &secret).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_present_basic_and_oauth_credentials_and_name_what_is_missing() {
    let env = Env::start().await;
    secret(
        &env,
        "spec-user",
        &[("username", "alice"), ("password", "s3cret")],
    )
    .await;
    secret(
        &env,
        "spec-client",
        &[("clientId", "shop"), ("clientSecret", "shh")],
    )
    .await;
    let requests = Requests::default();
    let (token_seen, basic_seen, bearer_seen) =
        (requests.clone(), requests.clone(), requests.clone());
    let base = serve(
        Router::new()
            .route(
                "/token",
                post(move |headers: HeaderMap, body: String| async move {
                    token_seen.record("/token", &headers, body.clone());
                    let client = basic("shop", "shh");
                    if headers["authorization"] != client.as_str()
                        || body != "grant_type=client_credentials"
                    {
                        return (StatusCode::UNAUTHORIZED, String::new()).into_response();
                    }
                    let token = json!({ "access_token": "tok-9", "token_type": "bearer", "expires_in": 300 });
                    ([("content-type", "application/json")], token.to_string()).into_response()
                }),
            )
            .route(
                "/basic.yaml",
                get(move |headers: HeaderMap| async move {
                    basic_seen.record("/basic.yaml", &headers, String::new());
                    if headers.get("authorization").map(|v| v.as_bytes())
                        != Some(basic("alice", "s3cret").as_bytes())
                    {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    "openapi: 3.0.0 # basic".into_response()
                }),
            )
            .route(
                "/oauth.yaml",
                get(move |headers: HeaderMap| async move {
                    bearer_seen.record("/oauth.yaml", &headers, String::new());
                    if headers.get("authorization").map(|v| v.as_bytes()) != Some(b"Bearer tok-9")
                    {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    "openapi: 3.0.0 # oauth".into_response()
                }),
            ),
    )
    .await;
    let basic_auth =
        |secret: &str| json!({ "credential": { "basic": { "secretRef": { "name": secret } } } });
    env.create::<Application>(app_fetching(
        "secured",
        &[
            ("basic", json!({ "url": format!("{base}/basic.yaml"), "auth": basic_auth("spec-user") })),
            ("oauth", json!({ "url": format!("{base}/oauth.yaml"), "auth": {
                "credential": { "oauth": { "secretRef": { "name": "spec-client" }, "url": format!("{base}/token") } } } })),
            ("absent", json!({ "url": format!("{base}/basic.yaml"), "auth": basic_auth("absent") })),
            ("archive", json!({ "url": format!("{base}/basic.yaml"), "mode": "PACKAGE" })),
        ],
    ))
    .await;
    // The refused PACKAGE request fails at once, before the downloads end: wait for all four.
    let status = eventually("every request is attempted", || async {
        let status = env.apps.get("secured").await.ok()?.status?;
        let done = status.api_definitions.len() == 4
            && status.api_definitions.iter().all(|d| {
                d.fetch
                    .as_ref()
                    .is_some_and(|f| f.condition != FetchCondition::Initial)
            });
        done.then_some(status)
    })
    .await;
    let by_name = |name: &str| {
        status
            .api_definitions
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.fetch.clone())
            .unwrap()
    };
    assert_eq!(by_name("basic").condition, FetchCondition::Succeeded);
    assert_eq!(by_name("oauth").condition, FetchCondition::Succeeded);
    let absent = by_name("absent");
    assert_eq!(absent.condition, FetchCondition::Failed);
    assert_eq!(
        absent.message.unwrap(),
        format!(
            "GET {base}/basic.yaml failed: Secret absent (which should hold the key username) does not exist"
        )
    );
    assert_eq!(
        by_name("archive").message.as_deref(),
        Some("mode PACKAGE is not supported; use SINGLE")
    );
    assert_eq!(requests.count("/token"), 1);
    assert_eq!(
        requests.count("/basic.yaml"),
        1,
        "no request without credentials"
    );
    let (_, _, message) =
        condition(&env.apps.get("secured").await.unwrap(), "SpecsFetched").unwrap();
    assert!(message.contains("API definition \"absent\""), "{message}");
    assert!(message.contains("API definition \"archive\""), "{message}");
    env.stop().await;
}
