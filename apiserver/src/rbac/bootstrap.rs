//! The default roles and bindings kube-apiserver creates at start, reconciled on every start:
//! a missing one is created again, and one marked for auto-update gets back any default rule,
//! subject, label or selector it lost (extras someone added stay). Setting the annotation
//! `rbac.authorization.kubernetes.io/autoupdate: "false"` opts an object out.

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde_json::{Value, json};

use super::{keys, rules};
use crate::{
    auth::user::{AUTHENTICATED, MASTERS, UNAUTHENTICATED, UserInfo},
    errors::{ApiError, ApiResult},
    registry::builtin::RBAC_GROUP,
    server::{
        ServerState, Target,
        query::Query,
        write::{self, Change, Writer},
    },
    store::ObjectKey,
};

/// Annotation that lets the server update a default object at start.
pub const AUTOUPDATE: &str = "rbac.authorization.kubernetes.io/autoupdate";
/// The label prefix of ClusterRoles aggregated into `admin`, `edit` and `view`.
pub const AGGREGATE_TO: &str = "rbac.authorization.k8s.io/aggregate-to-";

const READ: [&str; 3] = ["get", "list", "watch"];
const WRITE: [&str; 5] = ["create", "delete", "deletecollection", "patch", "update"];
/// Every verb of a main resource.
use crate::registry::discovery::VERBS as ALL_VERBS;

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({ "apiGroups": groups, "resources": resources, "verbs": verbs })
}

fn urls(urls: &[&str]) -> Value {
    json!({ "nonResourceURLs": urls, "verbs": ["get"] })
}

fn cluster_role(name: &str, labels: Value, rules: Vec<Value>, aggregate_from: &str) -> Value {
    let mut labels = labels;
    labels["kubernetes.io/bootstrapping"] = json!("rbac-defaults");
    let mut role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": name, "labels": labels, "annotations": { AUTOUPDATE: "true" } },
        "rules": rules,
    });
    if !aggregate_from.is_empty() {
        role["aggregationRule"] = json!({ "clusterRoleSelectors": [
            { "matchLabels": { format!("{AGGREGATE_TO}{aggregate_from}"): "true" } }
        ] });
    }
    role
}

fn binding(name: &str, role: &str, groups: &[&str]) -> Value {
    let subjects: Vec<Value> = groups
        .iter()
        .map(|g| json!({ "apiGroup": RBAC_GROUP, "kind": "Group", "name": g }))
        .collect();
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": name,
            "labels": { "kubernetes.io/bootstrapping": "rbac-defaults" },
            "annotations": { AUTOUPDATE: "true" },
        },
        "roleRef": { "apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role },
        "subjects": subjects,
    })
}

fn aggregate_label(to: &str) -> Value {
    json!({ format!("{AGGREGATE_TO}{to}"): "true" })
}

/// The default ClusterRoles, for the kinds this server serves.
pub fn cluster_roles() -> Vec<Value> {
    let mut roles = user_facing_roles();
    roles.extend(system_roles());
    roles
}

/// `cluster-admin`, and `admin`, `edit` and `view` with the roles aggregated into them.
fn user_facing_roles() -> Vec<Value> {
    vec![
        cluster_role(
            "cluster-admin",
            json!({}),
            vec![
                rule(&["*"], &["*"], &["*"]),
                json!({ "nonResourceURLs": ["*"], "verbs": ["*"] }),
            ],
            "",
        ),
        cluster_role("admin", json!({}), Vec::new(), "admin"),
        cluster_role("edit", aggregate_label("admin"), Vec::new(), "edit"),
        cluster_role("view", aggregate_label("edit"), Vec::new(), "view"),
        cluster_role(
            "system:aggregate-to-admin",
            aggregate_label("admin"),
            vec![
                rule(&[RBAC_GROUP], &["roles", "rolebindings"], &ALL_VERBS),
                rule(
                    &["authorization.k8s.io"],
                    &["localsubjectaccessreviews"],
                    &["create"],
                ),
            ],
            "",
        ),
        cluster_role(
            "system:aggregate-to-edit",
            aggregate_label("edit"),
            vec![
                rule(&[""], &["configmaps", "secrets", "serviceaccounts"], &WRITE),
                rule(&[""], &["secrets"], &READ),
                rule(&[""], &["serviceaccounts/token"], &["create"]),
                rule(&[""], &["serviceaccounts"], &["impersonate"]),
                rule(&["coordination.k8s.io"], &["leases"], &WRITE),
            ],
            "",
        ),
        cluster_role(
            "system:aggregate-to-view",
            aggregate_label("view"),
            vec![
                rule(
                    &[""],
                    &[
                        "configmaps",
                        "events",
                        "namespaces",
                        "namespaces/status",
                        "serviceaccounts",
                    ],
                    &READ,
                ),
                rule(&["events.k8s.io"], &["events"], &READ),
                rule(&["coordination.k8s.io"], &["leases"], &READ),
            ],
            "",
        ),
    ]
}

/// The roles every caller holds: discovery, asking about oneself, public information.
fn system_roles() -> Vec<Value> {
    vec![
        cluster_role(
            "system:discovery",
            json!({}),
            vec![urls(&[
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            ])],
            "",
        ),
        cluster_role(
            "system:basic-user",
            json!({}),
            vec![
                rule(
                    &["authorization.k8s.io"],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    &["create"],
                ),
                rule(
                    &["authentication.k8s.io"],
                    &["selfsubjectreviews"],
                    &["create"],
                ),
            ],
            "",
        ),
        cluster_role(
            "system:public-info-viewer",
            json!({}),
            vec![urls(&[
                "/healthz",
                "/livez",
                "/readyz",
                "/version",
                "/version/",
            ])],
            "",
        ),
    ]
}

/// The default ClusterRoleBindings.
pub fn cluster_role_bindings() -> Vec<Value> {
    vec![
        binding("cluster-admin", "cluster-admin", &[MASTERS]),
        binding("system:discovery", "system:discovery", &[AUTHENTICATED]),
        binding("system:basic-user", "system:basic-user", &[AUTHENTICATED]),
        binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            &[AUTHENTICATED, UNAUTHENTICATED],
        ),
    ]
}

/// Creates or reconciles every default role and binding. Safe to run on every start.
pub fn ensure(state: &ServerState) -> ApiResult<()> {
    let roles = cluster_roles()
        .into_iter()
        .map(|r| (keys::CLUSTER_ROLES, r));
    let bindings = cluster_role_bindings()
        .into_iter()
        .map(|b| (keys::CLUSTER_ROLE_BINDINGS, b));
    for (storage_key, desired) in roles.chain(bindings) {
        let name = desired["metadata"]["name"].as_str().unwrap_or_default();
        let key = ObjectKey {
            resource: storage_key.into(),
            namespace: String::new(),
            name: name.into(),
        };
        let (change, target) = match state.store.get(&key) {
            None => (Change::Create(desired.clone()), None),
            Some(stored) => match reconciled(stored.value(), &desired) {
                Some(updated) => (Change::Update(updated), Some(name)),
                None => continue,
            },
        };
        write_as_server(state, storage_key, target, change)?;
    }
    Ok(())
}

/// `current` with whatever of `desired` it lost, or `None` when nothing is missing or the
/// object opted out of updates.
fn reconciled(mut current: Value, desired: &Value) -> Option<Value> {
    if current["metadata"]["annotations"][AUTOUPDATE] == "false" {
        return None;
    }
    let before = current.clone();
    for field in ["labels", "annotations"] {
        if let Some(wanted) = desired["metadata"][field].as_object() {
            for (key, value) in wanted {
                if current["metadata"][field][key].is_null() {
                    current["metadata"][field][key] = value.clone();
                }
            }
        }
    }
    if !desired["aggregationRule"].is_null() {
        let wanted = &desired["aggregationRule"]["clusterRoleSelectors"];
        add_missing(
            &mut current["aggregationRule"]["clusterRoleSelectors"],
            wanted,
        );
    } else if desired["kind"] == "ClusterRole" {
        let held: Vec<PolicyRule> =
            serde_json::from_value(current["rules"].clone()).unwrap_or_default();
        for wanted in desired["rules"].as_array().into_iter().flatten() {
            let rule: PolicyRule = serde_json::from_value(wanted.clone()).unwrap_or_default();
            if !rules::covers(&held, &rule) {
                add_missing(&mut current["rules"], &json!([wanted]));
            }
        }
    } else {
        add_missing(&mut current["subjects"], &desired["subjects"]);
    }
    (current != before).then_some(current)
}

/// Appends each item of `wanted` that `list` lacks.
fn add_missing(list: &mut Value, wanted: &Value) {
    if !list.is_array() {
        *list = json!([]);
    }
    if let (Some(items), Some(wanted)) = (list.as_array_mut(), wanted.as_array()) {
        for item in wanted {
            if !items.contains(item) {
                items.push(item.clone());
            }
        }
    }
}

/// Writes an RBAC object as the server itself.
pub(crate) fn write_as_server(
    state: &ServerState,
    storage_key: &str,
    name: Option<&str>,
    change: Change,
) -> ApiResult<()> {
    let plural = storage_key.rsplit('/').next().unwrap_or_default();
    let served = state
        .registry
        .snapshot()
        .lookup(RBAC_GROUP, "v1", plural)
        .ok_or_else(|| ApiError::internal(format!("{plural} are not served")))?;
    let target = Target {
        served,
        namespace: None,
        name: name.map(str::to_owned),
        subresource: None,
    };
    let query = Query::parse(Some("fieldManager=kube-apiserver"));
    let server = UserInfo::server();
    let writer = Writer {
        user: &server,
        user_agent: None,
        deadline: None,
        turn: None,
    };
    match write::write(state, &target, change, &query, writer) {
        Ok(_) => Ok(()),
        Err(error) if error.reason == "AlreadyExists" => Ok(()),
        Err(error) => Err(error),
    }
}
