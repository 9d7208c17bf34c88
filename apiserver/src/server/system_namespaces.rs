//! The namespaces kube-apiserver always has. Its bootstrap controller creates `default`,
//! `kube-system`, `kube-public` and `kube-node-lease`, and its NamespaceLifecycle admission refuses
//! to delete the first three. Clients rely on them: `kubectl` works in `default` unless told
//! otherwise.

use serde_json::json;

use super::{
    ServerState, Target,
    query::Query,
    write::{self, Change},
};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult},
    store::ObjectKey,
};

/// Namespaces that exist from the start.
pub const SYSTEM: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Namespaces that may never be deleted.
pub const IMMORTAL: [&str; 3] = ["default", "kube-system", "kube-public"];

/// Field manager of the objects the server creates itself, as kube-apiserver names it.
const MANAGER: &str = "kube-apiserver";

/// Creates every [`SYSTEM`] namespace that is missing. Safe to run on every start.
pub fn ensure(state: &ServerState) -> ApiResult<()> {
    let served = state
        .registry
        .snapshot()
        .lookup("", "v1", "namespaces")
        .ok_or_else(|| ApiError::internal("namespaces are not served"))?;
    let target = Target {
        served,
        namespace: None,
        name: None,
        subresource: None,
    };
    let query = Query::parse(Some(&format!("fieldManager={MANAGER}")));
    for name in SYSTEM {
        let key = ObjectKey {
            resource: target.served.storage_key.clone(),
            namespace: String::new(),
            name: name.to_owned(),
        };
        if state.store.get(&key).is_some() {
            continue;
        }
        let namespace = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "name": name },
        });
        let server = UserInfo::server();
        let writer = write::Writer {
            user: &server,
            user_agent: None,
            deadline: None,
            turn: None,
        };
        match write::write(state, &target, Change::Create(namespace), &query, writer) {
            Ok(_) => {}
            Err(error) if error.reason == "AlreadyExists" => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Refuses to delete an [`IMMORTAL`] namespace, with kube-apiserver's words.
pub fn check_can_delete(name: &str) -> ApiResult<()> {
    if IMMORTAL.contains(&name) {
        return Err(ApiError::forbidden(format!(
            "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{
        server::{ServerOptions, delete},
        store::{Store, StoreOptions},
    };

    fn state(dir: &tempfile::TempDir) -> ServerState {
        let store = Store::open(&dir.path().join("db.sqlite"), StoreOptions::default()).unwrap();
        ServerState::new(Arc::new(store), Vec::new(), ServerOptions::default())
    }

    fn namespace(state: &ServerState, name: &str) -> Option<serde_json::Value> {
        let key = ObjectKey {
            resource: "/namespaces".into(),
            namespace: String::new(),
            name: name.to_owned(),
        };
        state.store.get(&key).map(|stored| stored.value())
    }

    fn target(state: &ServerState, name: &str) -> Target {
        Target {
            served: state
                .registry
                .snapshot()
                .lookup("", "v1", "namespaces")
                .unwrap(),
            namespace: None,
            name: Some(name.to_owned()),
            subresource: None,
        }
    }

    #[test]
    fn every_system_namespace_exists_and_is_active_after_ensure() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir);
        ensure(&state).unwrap();
        for name in SYSTEM {
            let object = namespace(&state, name).unwrap_or_else(|| panic!("{name} is missing"));
            assert_eq!(object["status"]["phase"], "Active", "{name}");
            assert_eq!(object["metadata"]["managedFields"][0]["manager"], MANAGER);
        }
    }

    #[test]
    fn ensuring_twice_keeps_the_existing_namespaces_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir);
        ensure(&state).unwrap();
        let before = state.store.current_rv();
        ensure(&state).unwrap();
        assert_eq!(state.store.current_rv(), before);
    }

    #[test]
    fn deleting_default_is_forbidden_but_kube_node_lease_may_go() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir);
        ensure(&state).unwrap();
        let options = delete::DeleteOptions::default();
        let refused = delete::delete(&state, &target(&state, "default"), &options).unwrap_err();
        assert_eq!(refused.code, 403);
        assert_eq!(
            refused.message,
            "namespaces \"default\" is forbidden: this namespace may not be deleted"
        );
        delete::delete(&state, &target(&state, "kube-node-lease"), &options).unwrap();
        let lease_ns = namespace(&state, "kube-node-lease").unwrap();
        assert_eq!(lease_ns["status"]["phase"], "Terminating");
    }
}
