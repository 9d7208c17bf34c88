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
    let state = state(&dir);
    let namespaces = target(&state, "namespaces", None);
    create(
        &state,
        &namespaces,
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "ns" } }),
    )
    .unwrap();
    let maps = target(&state, "configmaps", Some("ns"));
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
