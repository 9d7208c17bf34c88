//! Writes through the request pipeline without HTTP.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::{
    server::ServerOptions,
    store::{Store, StoreOptions},
};

fn state(dir: &tempfile::TempDir) -> ServerState {
    let store = Store::open(&dir.path().join("state.db"), StoreOptions::default()).unwrap();
    ServerState::new(Arc::new(store), Vec::new(), ServerOptions::default())
}

fn target(state: &ServerState, plural: &str, namespace: Option<&str>) -> Target {
    Target {
        served: state.registry.snapshot().lookup("", "v1", plural).unwrap(),
        namespace: namespace.map(str::to_owned),
        name: None,
        subresource: None,
    }
}

/// A state holding the namespace `ns`, and the ConfigMaps of `ns`.
fn with_namespace(dir: &tempfile::TempDir) -> (ServerState, Target) {
    let state = state(dir);
    let namespaces = target(&state, "namespaces", None);
    create(
        &state,
        &namespaces,
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "ns" } }),
    )
    .unwrap();
    let maps = target(&state, "configmaps", Some("ns"));
    (state, maps)
}

/// Creates `object`; on failure, the status code and reason.
fn create(
    state: &ServerState,
    target: &Target,
    object: Value,
) -> Result<Value, (u16, &'static str)> {
    let server = UserInfo::server();
    let writer = Writer {
        user: &server,
        user_agent: None,
        deadline: None,
        turn: None,
    };
    write(
        state,
        target,
        Change::Create(object),
        &Query::default(),
        writer,
    )
    .map(|written| serde_json::from_slice(&written.body).expect("the answer is JSON"))
    .map_err(|error| (error.code, error.reason))
}

#[test]
fn creating_an_object_that_exists_is_refused_and_leaves_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (state, maps) = with_namespace(&dir);
    let config_map = |value: &str| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "cm" }, "data": { "k": value } });
    let first = create(&state, &maps, config_map("first")).unwrap();

    let second = create(&state, &maps, config_map("second"));
    assert_eq!(second, Err((409, "AlreadyExists")));
    let key = ObjectKey {
        resource: maps.served.storage_key.clone(),
        namespace: "ns".into(),
        name: "cm".into(),
    };
    let stored = state.store.get(&key).unwrap().value();
    assert_eq!(stored["data"]["k"], "first");
    assert_eq!(stored["metadata"]["uid"], first["metadata"]["uid"]);
    assert_eq!(
        stored["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
}

#[test]
fn only_small_writes_to_small_objects_are_prepared_on_the_serving_thread() {
    let dir = tempfile::tempdir().unwrap();
    let (state, maps) = with_namespace(&dir);
    let config_map = |name: &str, size: usize| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": name }, "data": { "k": "x".repeat(size) } });
    create(&state, &maps, config_map("small", 100)).unwrap();
    create(&state, &maps, config_map("large", 10_000)).unwrap();
    let named = |name: &str| Target {
        name: Some(name.into()),
        ..maps.clone()
    };
    let here =
        |target: &Target, body: &[u8]| crate::server::http::prepared_here(&state, target, body);
    let small = br#"{"data":{"k":"v"}}"#;
    assert!(here(&maps, small), "a small create");
    assert!(
        here(&named("small"), small),
        "a small patch of a small object"
    );
    assert!(here(&named("absent"), small), "a small patch of nothing");
    assert!(
        !here(&named("large"), small),
        "a small patch of a large object"
    );
    assert!(!here(&maps, &[b' '; 9 * 1024]), "a large body");
    let crds = Target {
        served: state
            .registry
            .snapshot()
            .lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .unwrap(),
        ..maps.clone()
    };
    assert!(
        !here(&crds, small),
        "a CRD, whose write rebuilds what is served"
    );
}
