//! The authorizer over a real store: bindings' scopes, subjects, resource names, the default
//! roles and aggregation, and kube-apiserver's refusal messages.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::{
    server::{ServerOptions, ServerState, Target, query::Query, write},
    store::{Store, StoreOptions},
};

fn state(dir: &tempfile::TempDir) -> ServerState {
    let store = Store::open(&dir.path().join("state.db"), StoreOptions::default()).unwrap();
    let state = ServerState::new(Arc::new(store), Vec::new(), ServerOptions::default());
    crate::server::system_namespaces::ensure(&state).unwrap();
    bootstrap::ensure(&state).unwrap();
    aggregation::aggregate_all(&state);
    state
}

/// Creates an RBAC object as the server.
fn put(state: &ServerState, object: Value) {
    let plural = match object["kind"].as_str().unwrap() {
        "Role" => "roles",
        "ClusterRole" => "clusterroles",
        "RoleBinding" => "rolebindings",
        _ => "clusterrolebindings",
    };
    let target = Target {
        served: state
            .registry
            .snapshot()
            .lookup("rbac.authorization.k8s.io", "v1", plural)
            .unwrap(),
        namespace: object["metadata"]["namespace"].as_str().map(str::to_owned),
        name: None,
        subresource: None,
    };
    let server = UserInfo::server();
    let writer = write::Writer {
        user: &server,
        user_agent: None,
        deadline: None,
        turn: None,
    };
    write::write(
        state,
        &target,
        write::Change::Create(object),
        &Query::default(),
        writer,
    )
    .unwrap();
}

fn binding(kind: &str, namespace: &str, role: (&str, &str), subject: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
        "metadata": { "name": format!("b-{}", role.1), "namespace": namespace },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": role.0, "name": role.1 },
        "subjects": [subject],
    })
}

fn may(state: &ServerState, user: &UserInfo, method: &str, path: &str) -> bool {
    let attributes = Attributes::from_request(method, path, None);
    state
        .authorizer
        .decide(&state.store, user, &attributes)
        .is_some()
}

#[test]
fn a_role_binding_grants_a_cluster_role_in_its_namespace_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir);
    let alice = UserInfo::authenticated("alice", vec![]);
    put(
        &state,
        binding(
            "RoleBinding",
            "default",
            ("ClusterRole", "view"),
            json!({ "kind": "User", "name": "alice" }),
        ),
    );
    assert!(may(
        &state,
        &alice,
        "GET",
        "/api/v1/namespaces/default/configmaps"
    ));
    assert!(!may(
        &state,
        &alice,
        "GET",
        "/api/v1/namespaces/kube-public/configmaps"
    ));
    assert!(!may(&state, &alice, "GET", "/api/v1/configmaps"));
    assert!(!may(
        &state,
        &alice,
        "GET",
        "/api/v1/namespaces/default/secrets"
    ));
    assert!(may(&state, &alice, "GET", "/apis"), "system:discovery");
    assert!(!may(&state, &UserInfo::anonymous(), "GET", "/apis"));
    assert!(may(&state, &UserInfo::anonymous(), "GET", "/version"));
    assert!(may(
        &state,
        &UserInfo::server(),
        "DELETE",
        "/api/v1/namespaces/default"
    ));
}

#[test]
fn a_service_account_subject_without_namespace_is_in_the_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir);
    put(
        &state,
        binding(
            "RoleBinding",
            "default",
            ("ClusterRole", "edit"),
            json!({ "kind": "ServiceAccount", "name": "bot" }),
        ),
    );
    let here = UserInfo::service_account("default", "bot", "u1");
    let elsewhere = UserInfo::service_account("kube-public", "bot", "u2");
    assert!(may(
        &state,
        &here,
        "POST",
        "/api/v1/namespaces/default/secrets"
    ));
    assert!(!may(
        &state,
        &elsewhere,
        "POST",
        "/api/v1/namespaces/default/secrets"
    ));
}

#[test]
fn resource_names_allow_named_gets_and_lists_but_never_unnamed_creates() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir);
    put(
        &state,
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": { "name": "one", "namespace": "default" },
            "rules": [{ "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["x"], "verbs": ["get", "list", "create"] }],
        }),
    );
    put(
        &state,
        binding(
            "RoleBinding",
            "default",
            ("Role", "one"),
            json!({ "kind": "Group", "name": "devs" }),
        ),
    );
    let dev = UserInfo::authenticated("dev", vec!["devs".into()]);
    assert!(may(
        &state,
        &dev,
        "GET",
        "/api/v1/namespaces/default/configmaps/x"
    ));
    assert!(!may(
        &state,
        &dev,
        "GET",
        "/api/v1/namespaces/default/configmaps/y"
    ));
    assert!(!may(
        &state,
        &dev,
        "GET",
        "/api/v1/namespaces/default/configmaps"
    ));
    let named = Attributes::from_request(
        "GET",
        "/api/v1/namespaces/default/configmaps",
        Some("fieldSelector=metadata.name%3Dx"),
    );
    assert!(
        state
            .authorizer
            .decide(&state.store, &dev, &named)
            .is_some()
    );
    assert!(!may(
        &state,
        &dev,
        "POST",
        "/api/v1/namespaces/default/configmaps"
    ));
}

#[test]
fn the_default_roles_come_back_with_what_they_lost_unless_opted_out() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir);
    let key = |name: &str| crate::store::ObjectKey {
        resource: keys::CLUSTER_ROLES.into(),
        namespace: String::new(),
        name: name.into(),
    };
    let mut basic = state.store.get(&key("system:basic-user")).unwrap().value();
    basic["rules"] = json!([{ "apiGroups": ["x.io"], "resources": ["extras"], "verbs": ["get"] }]);
    let mut discovery = state.store.get(&key("system:discovery")).unwrap().value();
    discovery["rules"] = json!([]);
    discovery["metadata"]["annotations"][bootstrap::AUTOUPDATE] = json!("false");
    for role in [basic, discovery] {
        let key = key(role["metadata"]["name"].as_str().unwrap());
        let rv = state.store.get(&key).unwrap().rv;
        let precondition = crate::store::Precondition::Version(rv);
        let write = crate::store::Write::Put {
            key,
            object: role,
            precondition,
        };
        state.store.commit(vec![write]).unwrap();
    }
    bootstrap::ensure(&state).unwrap();
    let basic = state.store.get(&key("system:basic-user")).unwrap().value();
    let resources: Vec<&Value> = basic["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["resources"])
        .collect();
    assert_eq!(resources[0], &json!(["extras"]), "what was added stays");
    assert_eq!(
        resources.len(),
        3,
        "what was lost comes back: {resources:?}"
    );
    let discovery = state.store.get(&key("system:discovery")).unwrap().value();
    assert_eq!(
        discovery["rules"],
        json!([]),
        "autoupdate false is left alone"
    );
}

#[test]
fn aggregated_roles_take_the_rules_of_every_labelled_role_through_chains() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir);
    put(
        &state,
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": { "name": "widgets", "labels": { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
            "rules": [{ "apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"] }],
        }),
    );
    assert!(
        aggregation::aggregate_all(&state) >= 3,
        "view, edit and admin"
    );
    let policy = state.authorizer.policy(&state.store);
    let admin = k8s_openapi::api::rbac::v1::RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: "ClusterRole".into(),
        name: "admin".into(),
    };
    let rules = policy.role_rules(&admin, "").unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r.resources.as_deref() == Some(&["widgets".to_owned()][..]))
    );
    assert_eq!(aggregation::aggregate_all(&state), 0, "nothing left to do");
}

#[test]
fn refusals_read_like_kube_apiserver() {
    let alice = UserInfo::authenticated("alice", vec![]);
    let list = Attributes::from_request("GET", "/api/v1/namespaces/team-a/configmaps", None);
    let error = forbidden(&alice, &list);
    assert_eq!(error.code, 403);
    assert_eq!(
        error.message,
        r#"configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "team-a""#
    );
    let get = Attributes::from_request(
        "GET",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin",
        None,
    );
    assert_eq!(
        forbidden(&alice, &get).message,
        r#"clusterroles.rbac.authorization.k8s.io "admin" is forbidden: User "alice" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope"#
    );
    let path = Attributes::from_request("GET", "/metrics", None);
    assert_eq!(
        forbidden(&alice, &path).message,
        r#"forbidden: User "alice" cannot get path "/metrics""#
    );
}
