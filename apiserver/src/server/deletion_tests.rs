//! Deletions commit off the threads that serve requests: a DELETE waiting for the database
//! leaves them answering others.

use std::{sync::Arc, time::Duration};

use axum::{body::Body, http::Request};
use tower::ServiceExt;

use super::{ServerOptions, ServerState, http::router};
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

// One thread serves every request here, as one of the two workers does on two cores.
#[tokio::test(flavor = "current_thread")]
async fn a_delete_waiting_for_the_database_leaves_the_thread_answering_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.db"), StoreOptions::default()).unwrap();
    let state = Arc::new(ServerState::new(
        Arc::new(store),
        vec![TOKEN.to_owned()],
        ServerOptions::default(),
    ));
    let app = router(state.clone());
    for (path, object) in [
        (
            "/api/v1/namespaces",
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}"#,
        ),
        (
            "/api/v1/namespaces/team/configmaps",
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held"}}"#,
        ),
    ] {
        let created = app.clone().oneshot(request("POST", path, object));
        assert_eq!(created.await.unwrap().status(), 201);
    }

    // The database held for a while by another thread: every commit waits until it lets go.
    let (held, is_held) = std::sync::mpsc::channel();
    let holder = std::thread::spawn({
        let state = state.clone();
        move || {
            state.store.with_database_held(|| {
                held.send(()).unwrap();
                std::thread::sleep(Duration::from_secs(2));
            })
        }
    });
    is_held.recv().unwrap();
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
