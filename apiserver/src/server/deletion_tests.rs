//! Deletions commit off the threads that serve requests: a DELETE, or the garbage collector,
//! waiting for the database leaves them answering others.

use std::{sync::Arc, time::Duration};

use axum::{Router, body::Body, http::Request};
use serde_json::Value;
use tower::ServiceExt;

use super::{
    ServerOptions, ServerState, Target,
    delete::{self, DeleteOptions},
    gc,
    http::router,
};
use crate::store::{Store, StoreOptions};

const TOKEN: &str = "deletion-tests";
const CONFIG_MAP: &str = "/api/v1/namespaces/team/configmaps/held";

fn request(method: &str, path: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A server on a fresh store, with namespace `team` and the ConfigMap `held` in it.
async fn server(dir: &tempfile::TempDir) -> (Arc<ServerState>, Router) {
    let store = Store::open(&dir.path().join("state.db"), StoreOptions::default()).unwrap();
    let state = Arc::new(ServerState::new(
        Arc::new(store),
        vec![TOKEN.to_owned()],
        ServerOptions::default(),
    ));
    let app = router(state.clone());
    create(
        &app,
        "/api/v1/namespaces",
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}"#,
    )
    .await;
    create(
        &app,
        "/api/v1/namespaces/team/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held"}}"#,
    )
    .await;
    (state, app)
}

/// Creates `object` at `path`; returns it as created.
async fn create(app: &Router, path: &str, object: &str) -> Value {
    let created = app
        .clone()
        .oneshot(request("POST", path, object))
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body = axum::body::to_bytes(created.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// Holds the database from another thread for two seconds: every commit meanwhile waits.
/// Returns once it is held.
fn hold_database(state: &Arc<ServerState>) -> std::thread::JoinHandle<()> {
    let (held, is_held) = std::sync::mpsc::channel();
    let state = state.clone();
    let holder = std::thread::spawn(move || {
        state.store.with_database_held(|| {
            held.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(2));
        })
    });
    is_held.recv().unwrap();
    holder
}

// One thread serves every request here, as one of the two workers does on two cores.
#[tokio::test(flavor = "current_thread")]
async fn a_delete_waiting_for_the_database_leaves_the_thread_answering_others() {
    let dir = tempfile::tempdir().unwrap();
    let (state, app) = server(&dir).await;
    let holder = hold_database(&state);
    let deleting = tokio::spawn(app.clone().oneshot(request("DELETE", CONFIG_MAP, "")));
    // Until the DELETE waits for the database; had it committed on this thread, until it is done.
    while state.store.writes_waiting() == 0 && !deleting.is_finished() {
        tokio::task::yield_now().await;
    }
    let read = app.oneshot(request("GET", CONFIG_MAP, "")).await.unwrap();
    assert!(
        !deleting.is_finished(),
        "the GET was answered only after the DELETE was done"
    );
    assert_eq!(read.status(), 200);
    let deleted = deleting.await.unwrap().unwrap();
    assert_eq!(deleted.status(), 200);
    holder.join().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn the_collector_waiting_for_the_database_leaves_the_thread_answering_others() {
    let dir = tempfile::tempdir().unwrap();
    let (state, app) = server(&dir).await;
    let owner = create(
        &app,
        "/api/v1/namespaces/team/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owner"}}"#,
    )
    .await;
    let dependent = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": { "name": "dependent", "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
            "uid": owner["metadata"]["uid"],
        }]},
    });
    create(
        &app,
        "/api/v1/namespaces/team/configmaps",
        &dependent.to_string(),
    )
    .await;
    // The owner goes, on this thread and without yielding to the collector, which is not
    // running yet: when it starts, its first sweep finds the dependent to delete.
    let target = Target {
        served: state
            .registry
            .snapshot()
            .lookup("", "v1", "configmaps")
            .unwrap(),
        namespace: Some("team".to_owned()),
        name: Some("owner".to_owned()),
        subresource: None,
    };
    delete::delete(&state, &target, &DeleteOptions::default()).unwrap();
    let holder = hold_database(&state);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let collector = tokio::spawn(gc::run(state.clone(), stopped));
    let dependent_path = "/api/v1/namespaces/team/configmaps/dependent";
    let gone = |state: &ServerState| {
        let key = crate::store::ObjectKey {
            resource: "/configmaps".to_owned(),
            namespace: "team".to_owned(),
            name: "dependent".to_owned(),
        };
        state.store.get(&key).is_none()
    };
    // Until the collector waits for the database; had it deleted on this thread, until it did.
    while state.store.writes_waiting() == 0 && !gone(&state) {
        tokio::task::yield_now().await;
    }
    let read = app
        .oneshot(request("GET", dependent_path, ""))
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        200,
        "the collector deleted the dependent on the thread serving requests before the GET"
    );
    holder.join().unwrap();
    while !gone(&state) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(true).unwrap();
    collector.await.unwrap();
}
