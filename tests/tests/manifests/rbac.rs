//! The access the base grants, evaluated as the RBAC authorizer does: each component may do what
//! it needs and no more, and none can touch RBAC or CRDs.

use std::collections::BTreeSet;

use compass_crds::GROUP;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{LEASE, NAMESPACE, compass_plurals, objects, rendered};

/// Kinds the API only reads: the Director API has no tenant mutations; administrators create
/// tenants with kubectl or GitOps.
const API_READ_ONLY: [&str; 1] = ["tenants"];
/// Resources whose control would let a component raise its own privileges or rewrite the schema.
const FORBIDDEN: [&str; 3] = [
    "clusterroles",
    "clusterrolebindings",
    "customresourcedefinitions",
];
/// Verbs that read.
const READ: [&str; 3] = ["get", "list", "watch"];
/// Verbs that write a whole object.
const WRITE: [&str; 4] = ["create", "update", "patch", "delete"];
/// Both.
const READ_WRITE: [&str; 7] = [
    "get", "list", "watch", "create", "update", "patch", "delete",
];

/// What one service account may do, from the roles bound to it, evaluated as the RBAC
/// authorizer does.
struct Access {
    account: &'static str,
    rules: Vec<PolicyRule>,
}

impl Access {
    /// The rules of every ClusterRole bound to the service account `account` in compass-system.
    fn cluster(account: &'static str) -> Self {
        let bound = bound_roles::<ClusterRoleBinding>("ClusterRoleBinding", "ClusterRole", account);
        assert!(!bound.is_empty(), "no ClusterRoleBinding binds {account}");
        let rules = objects::<ClusterRole>("ClusterRole")
            .into_iter()
            .filter(|role| bound.contains(role.metadata.name.as_deref().unwrap_or_default()))
            .flat_map(|role| role.rules.unwrap_or_default())
            .collect();
        Self { account, rules }
    }

    /// The rules of every Role in `namespace` bound there to the service account `account`.
    fn namespaced(account: &'static str, namespace: &str) -> Self {
        let bound = bound_roles::<RoleBinding>("RoleBinding", "Role", account);
        let here = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            meta.namespace.as_deref() == Some(namespace)
        };
        let bindings_here = objects::<RoleBinding>("RoleBinding")
            .into_iter()
            .filter(|binding| here(&binding.metadata))
            .map(|binding| binding.role_ref.name)
            .collect::<BTreeSet<_>>();
        let rules = objects::<Role>("Role")
            .into_iter()
            .filter(|role| here(&role.metadata))
            .filter(|role| {
                let name = role.metadata.name.as_deref().unwrap_or_default();
                bound.contains(name) && bindings_here.contains(name)
            })
            .flat_map(|role| role.rules.unwrap_or_default())
            .collect();
        Self { account, rules }
    }

    /// Whether a rule allows `verb` on `group`/`resource`: on any object with `object` `None`,
    /// else on the object of that name. Rules limited to `resourceNames` count for named
    /// objects only.
    fn allows(&self, group: &str, resource: &str, verb: &str, object: Option<&str>) -> bool {
        let has = |list: &[String], wanted: &str| list.iter().any(|i| i == wanted || i == "*");
        self.rules.iter().any(|rule| {
            let names = rule.resource_names.as_deref().unwrap_or_default();
            (names.is_empty() || object.is_some_and(|object| has(names, object)))
                && has(rule.api_groups.as_deref().unwrap_or_default(), group)
                && has(rule.resources.as_deref().unwrap_or_default(), resource)
                && has(&rule.verbs, verb)
        })
    }

    fn can(&self, group: &str, resource: &str, verbs: &[&str]) {
        for verb in verbs {
            let account = self.account;
            assert!(
                self.allows(group, resource, verb, None),
                "{account} cannot {verb} {resource}"
            );
        }
    }

    fn cannot(&self, group: &str, resource: &str, verbs: &[&str]) {
        for verb in verbs {
            let account = self.account;
            assert!(
                !self.allows(group, resource, verb, None),
                "{account} can {verb} {resource}"
            );
        }
    }
}

/// Names of the roles of `role_kind` that bindings of `kind` grant to the service account.
fn bound_roles<B>(kind: &str, role_kind: &str, account: &str) -> BTreeSet<String>
where
    B: DeserializeOwned + Binding,
{
    objects::<B>(kind)
        .into_iter()
        .filter(|binding| binding.role_ref().kind == role_kind)
        .filter(|binding| {
            binding
                .subjects()
                .iter()
                .any(|s| is_service_account(s, account))
        })
        .map(|binding| binding.role_ref().name.clone())
        .collect()
}

/// What ClusterRoleBindings and RoleBindings have in common.
trait Binding {
    fn role_ref(&self) -> &RoleRef;
    fn subjects(&self) -> &[Subject];
}

impl Binding for ClusterRoleBinding {
    fn role_ref(&self) -> &RoleRef {
        &self.role_ref
    }
    fn subjects(&self) -> &[Subject] {
        self.subjects.as_deref().unwrap_or_default()
    }
}

impl Binding for RoleBinding {
    fn role_ref(&self) -> &RoleRef {
        &self.role_ref
    }
    fn subjects(&self) -> &[Subject] {
        self.subjects.as_deref().unwrap_or_default()
    }
}

fn is_service_account(subject: &Subject, name: &str) -> bool {
    subject.kind == "ServiceAccount"
        && subject.name == name
        && subject.namespace.as_deref() == Some(NAMESPACE)
}

/// Every rule of every Role and ClusterRole in the base.
fn all_rules() -> Vec<PolicyRule> {
    let cluster = objects::<ClusterRole>("ClusterRole")
        .into_iter()
        .flat_map(|r| r.rules);
    let namespaced = objects::<Role>("Role").into_iter().flat_map(|r| r.rules);
    cluster.chain(namespaced).flatten().collect()
}

#[test]
fn no_role_grants_a_wildcard() {
    for rule in all_rules() {
        let lists = [&rule.api_groups, &rule.resources, &rule.resource_names];
        let items = lists.into_iter().flatten().flatten().chain(&rule.verbs);
        for item in items.chain(rule.non_resource_urls.iter().flatten()) {
            assert!(
                !item.contains('*'),
                "a rule grants the wildcard `{item}`: {rule:?}"
            );
        }
    }
}

#[test]
fn operator_can_watch_and_patch_every_compass_kind_and_write_its_status() {
    let operator = Access::cluster("compass-operator");
    for plural in compass_plurals() {
        operator.can(GROUP, &plural, &["get", "list", "watch", "patch", "update"]);
        let status = format!("{plural}/status");
        operator.can(GROUP, &status, &["get", "patch", "update"]);
        operator.can(GROUP, &format!("{plural}/finalizers"), &["update"]);
        operator.cannot(GROUP, &plural, &["delete", "deletecollection"]);
    }
}

#[test]
fn operator_can_create_default_scenarios_tenant_namespaces_and_their_children() {
    let operator = Access::cluster("compass-operator");
    operator.can(GROUP, "scenarios", &["create"]);
    for resource in ["namespaces", "configmaps", "secrets"] {
        operator.can("", resource, &READ_WRITE);
    }
    operator.can("events.k8s.io", "events", &["create", "patch"]);
    operator.can("coordination.k8s.io", "leases", &READ);
    operator.cannot("coordination.k8s.io", "leases", &WRITE);
}

#[test]
fn operator_binds_exactly_the_tenant_cluster_roles_and_writes_no_role() {
    let operator = Access::cluster("compass-operator");
    let rbac = "rbac.authorization.k8s.io";
    operator.can(rbac, "rolebindings", &["create"]);
    for role in ["compass-tenant-viewer", "compass-tenant-editor"] {
        assert!(
            operator.allows(rbac, "clusterroles", "bind", Some(role)),
            "the operator cannot bind the ClusterRole {role}"
        );
    }
    for binding in ["compass-tenant-viewers", "compass-tenant-editors"] {
        assert!(operator.allows(rbac, "rolebindings", "patch", Some(binding)));
    }
    for (resource, verb, name) in [
        ("clusterroles", "bind", "cluster-admin"),
        ("clusterroles", "escalate", "compass-tenant-editor"),
        ("roles", "create", "anything"),
        ("roles", "bind", "compass-tenant-editor"),
        ("clusterroles", "patch", "compass-tenant-editor"),
    ] {
        let allowed = operator.allows(rbac, resource, verb, Some(name));
        assert!(!allowed, "the operator may {verb} {resource} {name}");
    }
}

#[test]
fn the_tenant_cluster_roles_are_the_ones_the_operator_binds() {
    let mut shipped: Vec<Value> = rendered()
        .iter()
        .filter(|object| {
            object["kind"] == "ClusterRole"
                && object["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("compass-tenant-"))
        })
        .map(|object| json!({ "name": object["metadata"]["name"], "rules": object["rules"] }))
        .collect();
    let mut wanted: Vec<Value> = compass_operator::controllers::tenant_access::cluster_roles()
        .into_iter()
        .map(|role| json!({ "name": role["metadata"]["name"], "rules": role["rules"] }))
        .collect();
    let by_name = |a: &Value, b: &Value| a["name"].to_string().cmp(&b["name"].to_string());
    shipped.sort_by(by_name);
    wanted.sort_by(by_name);
    assert_eq!(
        shipped, wanted,
        "manifests/rbac-tenants.yaml differs from the code"
    );
}

#[test]
fn operator_can_hold_its_leader_election_lease_in_compass_system() {
    let operator = Access::namespaced("compass-operator", NAMESPACE);
    operator.can("coordination.k8s.io", "leases", &["create"]);
    for verb in ["get", "update", "patch"] {
        let allowed = operator.allows("coordination.k8s.io", "leases", verb, Some(LEASE));
        assert!(allowed, "the operator cannot {verb} its Lease {LEASE}");
    }
}

#[test]
fn api_can_write_every_compass_kind_except_tenants_which_it_only_reads() {
    let api = Access::cluster("compass-api");
    for plural in compass_plurals() {
        api.can(GROUP, &plural, &READ);
        if API_READ_ONLY.contains(&plural.as_str()) {
            api.cannot(GROUP, &plural, &WRITE);
        } else {
            api.can(GROUP, &plural, &WRITE);
        }
    }
}

#[test]
fn api_writes_no_status_but_the_connectors_system_auth_records() {
    let api = Access::cluster("compass-api");
    for plural in compass_plurals() {
        let status = format!("{plural}/status");
        if plural == "systemauths" {
            api.can(GROUP, &status, &["get", "patch", "update"]);
        } else {
            api.cannot(GROUP, &status, &["patch", "update"]);
        }
    }
    for resource in ["secrets", "configmaps"] {
        api.can("", resource, &READ_WRITE);
    }
    api.can("", "namespaces", &READ);
    api.cannot("", "namespaces", &WRITE);
}

#[test]
fn provisioner_writes_only_the_provisioning_of_runtimes_and_its_runtimes_workloads() {
    let provisioner = Access::cluster("compass-provisioner");
    provisioner.can(GROUP, "runtimes", &["get", "list", "watch", "patch"]);
    provisioner.cannot(GROUP, "runtimes", &["create", "delete"]);
    provisioner.can(GROUP, "runtimes/status", &["patch"]);
    provisioner.can(GROUP, "systemauths/status", &["patch"]);
    provisioner.cannot(GROUP, "systemauths", &["delete"]);
    provisioner.can(GROUP, "tenants", &READ);
    for plural in compass_plurals() {
        if !["runtimes", "systemauths", "tenants"].contains(&plural.as_str()) {
            provisioner.cannot(GROUP, &plural, &READ_WRITE);
        }
    }
    provisioner.can("", "secrets", &["get"]);
    provisioner.cannot(
        "",
        "secrets",
        &["list", "watch", "create", "update", "patch", "delete"],
    );
    provisioner.cannot("apps", "statefulsets", &READ_WRITE);
    let in_system = Access::namespaced("compass-provisioner", NAMESPACE);
    assert!(in_system.rules.is_empty(), "{:?}", in_system.rules);
    let in_runtimes = Access::namespaced("compass-provisioner", "compass-runtimes");
    in_runtimes.can("apps", "statefulsets", &READ_WRITE);
    for resource in ["services", "secrets", "persistentvolumeclaims"] {
        in_runtimes.can("", resource, &READ_WRITE);
    }
    in_runtimes.cannot("", "pods", &READ_WRITE);
}

#[test]
fn no_component_can_touch_rbac_or_crds() {
    for rule in all_rules() {
        // The one exception: binding (never writing) the two tenant ClusterRoles by name.
        let tenant_roles = ["compass-tenant-viewer", "compass-tenant-editor"].map(str::to_owned);
        if rule.verbs == ["bind"]
            && rule.resources.as_deref() == Some(&["clusterroles".to_owned()][..])
            && rule.resource_names.as_deref() == Some(&tenant_roles[..])
        {
            continue;
        }
        for resource in rule.resources.iter().flatten() {
            let base = resource.split('/').next().unwrap_or_default();
            assert!(
                base != "*" && !FORBIDDEN.contains(&base),
                "a rule grants {resource}: {rule:?}"
            );
        }
    }
}
