//! `CONFIGURATION_CHANGED` webhooks: called when a runtime starts to see the application, with
//! the application, runtime and tenant and the webhook's credentials; returned credentials kept
//! in an owned Secret until the runtime stops seeing the application; failures retried with
//! backoff without making the application un-Ready; owned objects collected with the application.

use crate::application_controller_env;

use std::time::Duration;

use application_controller_env::{Env, NAMESPACE, Requests, basic};
use axum::{
    Router,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use compass_crds::{Application, Runtime};
use compass_tests::{condition, eventually, serve};
use k8s_openapi::{
    ByteString,
    api::core::v1::{ConfigMap, Secret},
};
use kube::{
    Api,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

/// A webhook that wants alice's basic credentials and answers with credentials for the runtime,
/// one that always fails, and a document to fetch.
async fn upstream() -> (String, Requests) {
    let requests = Requests::default();
    let (hook, down) = (requests.clone(), requests.clone());
    let router = Router::new()
        .route(
            "/hook",
            post(move |headers: HeaderMap, body: String| async move {
                hook.record("/hook", &headers, body);
                if headers.get("authorization").map(|v| v.as_bytes())
                    != Some(basic("alice", "s3cret").as_bytes())
                {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                let answer = json!({
                    "credential": { "basic": { "username": "runtime-user", "password": "runtime-pass" } },
                    "additionalHeaders": { "X-Origin": ["compass"] },
                });
                ([("content-type", "application/json")], answer.to_string()).into_response()
            }),
        )
        .route(
            "/down",
            post(move |headers: HeaderMap, body: String| async move {
                down.record("/down", &headers, body);
                (StatusCode::INTERNAL_SERVER_ERROR, "down")
            }),
        )
        .route("/guide.md", get(|| async { "# Guide" }));
    (serve(router).await, requests)
}

fn shop(base: &str, path: &str) -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "shop" },
        "spec": {
            "webhooks": [{ "name": "config", "type": "CONFIGURATION_CHANGED", "url": format!("{base}{path}"),
                           "auth": { "credential": { "basic": { "secretRef": { "name": "hook-user" } } } } }],
            "documents": [{ "title": "Guide", "displayName": "Guide", "description": "d", "format": "MARKDOWN",
                            "fetchRequest": { "url": format!("{base}/guide.md") } }],
        },
    })
}

async fn setup() -> (Env, String, Requests) {
    let env = Env::start().await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), NAMESPACE);
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("hook-user".into()),
            ..Default::default()
        },
        data: Some(
            [("username", "alice"), ("password", "s3cret")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let (base, requests) = upstream().await;
    (env, base, requests)
}

fn runtime(name: &str) -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Runtime",
        "metadata": { "name": name }, "spec": {},
    })
}

async fn set_scenarios(env: &Env, runtime: &str, scenarios: Value) {
    let runtimes: Api<Runtime> = Api::namespaced(env.client.clone(), NAMESPACE);
    runtimes
        .patch(
            runtime,
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "scenarios": scenarios } })),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_starts_seeing_the_application_gets_credentials_until_it_stops() {
    let (env, base, requests) = setup().await;
    let app: Application = env.create(shop(&base, "/hook")).await;
    let uid = app.metadata.uid.clone().unwrap();
    env.wait_condition("shop", "Ready", "True", "Registered")
        .await;
    let edge: Runtime = env.create(runtime("edge")).await;

    let app = eventually("credentials for edge", || async {
        let app = env.apps.get("shop").await.ok()?;
        let has = app
            .status
            .as_ref()?
            .runtime_credentials
            .iter()
            .any(|c| c.runtime == "edge");
        has.then_some(app)
    })
    .await;
    let status = app.status.clone().unwrap();
    assert_eq!(
        (status.runtime_count, status.runtimes.to_vec()),
        (Some(1), vec!["edge".to_owned()])
    );
    let (delivered, reason, _) = condition(&app, "WebhooksDelivered").unwrap();
    assert_eq!((delivered.as_str(), reason.as_str()), ("True", "Delivered"));
    let secret_name = status.runtime_credentials[0]
        .secret
        .clone()
        .expect("a Secret");

    let calls = requests.to("/hook");
    assert_eq!(calls.len(), 1);
    let (headers, body) = &calls[0];
    assert_eq!(headers["authorization"], basic("alice", "s3cret").as_str());
    assert_eq!(headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        body,
        json!({
            "event": "CONFIGURATION_CHANGED",
            "application": { "id": uid, "name": "shop", "namespace": NAMESPACE },
            "runtime": { "id": edge.metadata.uid.clone().unwrap(), "name": "edge" },
            "tenant": NAMESPACE,
        })
    );

    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), NAMESPACE);
    let stored = secrets.get(&secret_name).await.unwrap();
    let data = stored.data.clone().unwrap();
    assert_eq!(data["username"].0, b"runtime-user");
    assert_eq!(data["password"].0, b"runtime-pass");
    assert_eq!(data["additionalHeaders"].0, br#"{"X-Origin":["compass"]}"#);
    let labels = stored.metadata.labels.clone().unwrap();
    assert_eq!(labels["compass.kyma-project.io/application"], "shop");
    assert_eq!(labels["compass.kyma-project.io/runtime"], "edge");
    let owner = &stored.metadata.owner_references.clone().unwrap()[0];
    assert_eq!(
        (owner.uid.as_str(), owner.controller),
        (uid.as_str(), Some(true))
    );
    env.wait_event("shop", "Normal", "WebhookDelivered", "runtime edge")
        .await;
    // An absence can only be shown by waiting: a second delivery would arrive within this.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(requests.count("/hook"), 1, "delivered once");

    // The runtime stops seeing the application: its credentials go.
    set_scenarios(&env, "edge", json!([])).await;
    eventually("the credentials are removed", || async {
        let app = env.apps.get("shop").await.ok()?;
        let status = app.status?;
        let gone = secrets.get_opt(&secret_name).await.ok()?.is_none();
        (status.runtime_credentials.is_empty() && status.runtime_count == Some(0) && gone)
            .then_some(())
    })
    .await;

    // It sees the application again: the webhook is asked again.
    set_scenarios(&env, "edge", json!(["DEFAULT"])).await;
    eventually("new credentials", || async {
        secrets.get_opt(&secret_name).await.ok()?.map(|_| ())
    })
    .await;
    assert_eq!(requests.count("/hook"), 2);

    // Deleting the application collects what it owns.
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), NAMESPACE);
    let document_map = env
        .apps
        .get("shop")
        .await
        .unwrap()
        .status
        .unwrap()
        .documents[0]
        .fetch
        .clone()
        .unwrap()
        .config_map
        .unwrap();
    assert!(config_maps.get_opt(&document_map).await.unwrap().is_some());
    env.apps
        .delete("shop", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the owned ConfigMap and Secret are collected", || async {
        let map = config_maps.get_opt(&document_map).await.ok()?;
        let secret = secrets.get_opt(&secret_name).await.ok()?;
        (map.is_none() && secret.is_none()).then_some(())
    })
    .await;
    assert!(
        secrets.get_opt("hook-user").await.unwrap().is_some(),
        "referenced Secrets are not owned"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_is_retried_with_backoff_and_does_not_hold_ready_back() {
    let (env, base, requests) = setup().await;
    env.create::<Runtime>(runtime("edge")).await;
    env.create::<Application>(shop(&base, "/down")).await;
    let app = env
        .wait_condition("shop", "WebhooksDelivered", "False", "WebhookFailed")
        .await;
    let (_, _, message) = condition(&app, "WebhooksDelivered").unwrap();
    assert!(
        message.starts_with(&format!(
            "runtime \"edge\": webhook config: POST {base}/down answered 500 Internal Server Error (attempt 1)"
        )),
        "{message}"
    );
    let (ready, _, _) = condition(&app, "Ready").unwrap();
    assert_eq!(ready, "True", "a failing webhook does not hold Ready back");
    env.wait_event(
        "shop",
        "Warning",
        "WebhookFailed",
        "500 Internal Server Error",
    )
    .await;
    eventually("a second attempt", || async {
        let app = env.apps.get("shop").await.ok()?;
        let failure = app.status?.webhook_failures.into_iter().next()?;
        (failure.attempts >= 2).then_some(())
    })
    .await;
    assert_eq!(requests.count("/down"), 2);
    // An absence can only be shown by waiting: no third attempt within a second, where 4 s are
    // due.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(requests.count("/down"), 2, "the third attempt waits 4 s");
    // Both failures are one Event, counted in its series, not an Event per attempt.
    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(env.client.clone(), NAMESPACE);
    eventually("the repeated failure is counted in one Event", || async {
        let failed: Vec<_> = events
            .list(&Default::default())
            .await
            .ok()?
            .items
            .into_iter()
            .filter(|e| e.reason.as_deref() == Some("WebhookFailed"))
            .collect();
        assert_eq!(failed.len(), 1, "{failed:#?}");
        (failed[0].series.as_ref()?.count >= 2).then_some(())
    })
    .await;

    // A runtime that is deleted is no longer retried.
    let runtimes: Api<Runtime> = Api::namespaced(env.client.clone(), NAMESPACE);
    runtimes
        .delete("edge", &DeleteParams::default())
        .await
        .unwrap();
    let app = env
        .wait_condition("shop", "WebhooksDelivered", "True", "Delivered")
        .await;
    let status = app.status.unwrap();
    assert!(status.webhook_failures.is_empty());
    assert_eq!(status.runtime_count, Some(0));
    env.stop().await;
}
