//! The kustomize base in `manifests/` is what a cluster administrator applies. These tests render
//! it with `kubectl kustomize` and check that it holds every part of the product, puts it in
//! `compass-system`, gives each component the access it needs and no more, and runs each
//! component as an unprivileged, probed container.

use std::{collections::BTreeSet, fs, process::Command, sync::OnceLock};

use compass_crds::GROUP;
use k8s_openapi::{
    api::{
        apps::v1::Deployment,
        core::v1::{Container, Namespace, PodSpec, Service, ServiceAccount},
        rbac::v1::{
            ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
        },
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    apimachinery::pkg::util::intstr::IntOrString,
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

/// Where every namespaced object of the product lives.
const NAMESPACE: &str = "compass-system";
/// The operator's leader-election Lease in compass-system.
const LEASE: &str = "compass-operator";
/// Each Deployment and the `compass` subcommand it must run.
const COMPONENTS: [(&str, &str); 2] = [("compass-operator", "operator"), ("compass-api", "api")];
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

// === rendering ===

/// The rendered base, as one JSON value per document. Rendered once per test binary.
fn rendered() -> &'static [Value] {
    static RENDERED: OnceLock<Vec<Value>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let dir = compass_tests::repo_root().join("manifests");
        let output = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .expect("kubectl is on PATH");
        assert!(
            output.status.success(),
            "`kubectl kustomize {}` failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("kustomize prints UTF-8");
        serde_yaml::Deserializer::from_str(&text)
            .map(|document| Value::deserialize(document).expect("kustomize prints valid YAML"))
            .filter(|value| !value.is_null())
            .collect()
    })
}

/// Every rendered object of `kind`, as its typed form.
fn objects<T: DeserializeOwned>(kind: &str) -> Vec<T> {
    rendered()
        .iter()
        .filter(|object| object["kind"] == kind)
        .map(|object| {
            serde_json::from_value(object.clone())
                .unwrap_or_else(|error| panic!("a rendered {kind} is malformed: {error}"))
        })
        .collect()
}

fn names_of(kind: &str) -> BTreeSet<String> {
    rendered()
        .iter()
        .filter(|object| object["kind"] == kind)
        .map(|object| {
            object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn set<const N: usize>(names: [&str; N]) -> BTreeSet<String> {
    names.into_iter().map(str::to_owned).collect()
}

/// The plurals of the product's kinds, read from the rendered CRDs, so a kind added to the
/// product without RBAC fails the tests below.
fn compass_plurals() -> BTreeSet<String> {
    let plurals: BTreeSet<String> = objects::<CustomResourceDefinition>("CustomResourceDefinition")
        .into_iter()
        .filter(|crd| crd.spec.group == GROUP)
        .map(|crd| crd.spec.names.plural)
        .collect();
    assert!(!plurals.is_empty(), "the base renders no CRD of {}", GROUP);
    plurals
}

// === RBAC evaluation ===

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

    /// The rules of every Role in compass-system bound to the service account `account`.
    fn namespaced(account: &'static str) -> Self {
        let bound = bound_roles::<RoleBinding>("RoleBinding", "Role", account);
        let rules = objects::<Role>("Role")
            .into_iter()
            .filter(|role| bound.contains(role.metadata.name.as_deref().unwrap_or_default()))
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

// === workloads ===

/// Each Deployment's name with its pod spec and its one container.
fn workloads() -> Vec<(String, PodSpec, Container)> {
    objects::<Deployment>("Deployment")
        .into_iter()
        .map(|deployment| {
            let name = deployment.metadata.name.unwrap_or_default();
            let pod = deployment
                .spec
                .and_then(|spec| spec.template.spec)
                .expect("a pod spec");
            let [container] = pod.containers.as_slice() else {
                panic!("the Deployment {name} must run exactly one container");
            };
            let container = container.clone();
            (name, pod, container)
        })
        .collect()
}

fn container_port_named(container: &Container, name: &str) -> Option<i32> {
    container
        .ports
        .iter()
        .flatten()
        .find(|port| port.name.as_deref() == Some(name))
        .map(|port| port.container_port)
}

// === what the base renders ===

#[test]
fn kustomize_renders_every_crd_both_deployments_their_services_and_service_accounts() {
    let expected_crds: BTreeSet<String> = compass_crds::all_crds()
        .into_iter()
        .filter_map(|crd| crd.metadata.name)
        .collect();
    assert_eq!(names_of("CustomResourceDefinition"), expected_crds);
    assert_eq!(
        names_of("Deployment"),
        set(COMPONENTS.map(|(name, _)| name))
    );
    assert_eq!(
        names_of("ServiceAccount"),
        set(["compass-operator", "compass-api"])
    );
    assert_eq!(
        names_of("Service"),
        set([
            "compass-api",
            "compass-api-metrics",
            "compass-operator-metrics"
        ])
    );
}

#[test]
fn every_namespaced_object_lands_in_compass_system() {
    const CLUSTER_SCOPED: [&str; 4] = [
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
    ];
    for object in rendered() {
        let kind = object["kind"].as_str().unwrap_or_default();
        let name = &object["metadata"]["name"];
        let namespace = object["metadata"]["namespace"].as_str();
        if CLUSTER_SCOPED.contains(&kind) {
            assert_eq!(
                namespace, None,
                "the cluster-scoped {kind} {name} has a namespace"
            );
        } else {
            assert_eq!(
                namespace,
                Some(NAMESPACE),
                "the {kind} {name} is not in {NAMESPACE}"
            );
        }
    }
}

#[test]
fn compass_system_enforces_the_restricted_pod_security_profile() {
    let namespaces: Vec<Namespace> = objects("Namespace");
    let [namespace] = namespaces.as_slice() else {
        panic!(
            "the base must render exactly one Namespace, not {}",
            namespaces.len()
        );
    };
    assert_eq!(namespace.metadata.name.as_deref(), Some(NAMESPACE));
    let labels = namespace.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("restricted")
    );
}

#[test]
fn every_object_is_labelled_part_of_compass() {
    for object in rendered() {
        assert_eq!(
            object["metadata"]["labels"]["app.kubernetes.io/part-of"], "compass",
            "the {} {} lacks the part-of label",
            object["kind"], object["metadata"]["name"]
        );
    }
}

#[test]
fn both_deployments_run_the_compass_image_at_the_workspace_version() {
    let expected = format!("compass:{}", env!("CARGO_PKG_VERSION"));
    for (name, _, container) in workloads() {
        assert_eq!(
            container.image.as_deref(),
            Some(expected.as_str()),
            "the image of {name}"
        );
    }
}

// === RBAC ===

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
    let operator = Access::namespaced("compass-operator");
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
fn neither_component_can_touch_rbac_or_crds() {
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

// === workloads ===

#[test]
fn both_deployments_run_as_non_root_with_a_read_only_root_filesystem() {
    for (name, pod, container) in workloads() {
        let pod_context = pod.security_context.unwrap_or_default();
        let context = container.security_context.unwrap_or_default();
        let non_root = context.run_as_non_root.or(pod_context.run_as_non_root);
        assert_eq!(non_root, Some(true), "{name} must set runAsNonRoot");
        let user = context.run_as_user.or(pod_context.run_as_user);
        assert!(
            user.is_some_and(|uid| uid != 0),
            "{name} must run as a non-zero uid"
        );
        assert_eq!(
            context.read_only_root_filesystem,
            Some(true),
            "{name}: readOnlyRootFilesystem"
        );
        assert_eq!(
            context.allow_privilege_escalation,
            Some(false),
            "{name}: privilege escalation"
        );
        let dropped = context
            .capabilities
            .and_then(|c| c.drop)
            .unwrap_or_default();
        assert_eq!(dropped, ["ALL"], "{name} must drop every capability");
    }
}

#[test]
fn both_deployments_probe_liveness_and_readiness_on_the_admin_port() {
    for (name, _, container) in workloads() {
        assert!(
            container_port_named(&container, "admin").is_some(),
            "{name} names no admin port"
        );
        let probes = [
            ("liveness", &container.liveness_probe),
            ("readiness", &container.readiness_probe),
        ];
        for (which, probe) in probes {
            let get = probe.as_ref().and_then(|probe| probe.http_get.as_ref());
            let get = get.unwrap_or_else(|| panic!("{name} has no HTTP {which} probe"));
            assert_eq!(
                get.port,
                IntOrString::String("admin".into()),
                "{name}: {which} port"
            );
        }
    }
}

#[test]
fn each_deployment_runs_its_compass_subcommand() {
    for (name, _, container) in workloads() {
        let (_, subcommand) = COMPONENTS
            .into_iter()
            .find(|(deployment, _)| *deployment == name)
            .unwrap_or_else(|| panic!("the Deployment {name} is not a component of the product"));
        let args = container.args.unwrap_or_default();
        assert_eq!(
            args.first().map(String::as_str),
            Some(subcommand),
            "{name} args: {args:?}"
        );
    }
}

#[test]
fn every_environment_variable_a_deployment_sets_is_read_by_the_command_line() {
    let cli = fs::read_to_string(compass_tests::repo_root().join("compass/src/cli.rs"))
        .expect("compass/src/cli.rs exists");
    for (name, _, container) in workloads() {
        for var in container.env.iter().flatten() {
            let declared = format!("\"{}\"", var.name);
            assert!(
                cli.contains(&declared),
                "{name} sets {}, which no flag reads",
                var.name
            );
        }
    }
}

#[test]
fn every_required_flag_of_a_deployments_subcommand_is_set_and_its_files_are_mounted() {
    use clap::CommandFactory;
    let cli = compass::cli::Cli::command();
    for (name, pod, container) in workloads() {
        let subcommand = container
            .args
            .iter()
            .flatten()
            .next()
            .expect("a subcommand");
        let command = cli
            .find_subcommand(subcommand)
            .unwrap_or_else(|| panic!("{name} runs `compass {subcommand}`, which does not exist"));
        let env: Vec<_> = container.env.iter().flatten().collect();
        for required in command.get_arguments().filter(|a| a.is_required_set()) {
            let variable = required
                .get_env()
                .and_then(|v| v.to_str())
                .unwrap_or_else(|| panic!("--{} has no environment variable", required.get_id()));
            assert!(
                env.iter().any(|e| e.name == variable && e.value.is_some()),
                "{name} does not set {variable}, which `compass {subcommand}` requires"
            );
        }
        // A flag naming a file points into a volume the container mounts.
        let mounts: Vec<_> = container.volume_mounts.iter().flatten().collect();
        for variable in env.iter().filter(|e| e.name.ends_with("_FILE")) {
            let path = variable.value.as_deref().unwrap_or_default();
            let mount = mounts
                .iter()
                .find(|m| path.starts_with(&format!("{}/", m.mount_path)))
                .unwrap_or_else(|| panic!("{name}: {path} is in no mounted volume"));
            assert!(
                pod.volumes.iter().flatten().any(|v| v.name == mount.name),
                "{name} mounts the volume {}, which the pod does not define",
                mount.name
            );
        }
    }
}

#[test]
fn every_service_selects_a_deployments_pods_and_targets_a_port_they_name() {
    let deployments: Vec<Deployment> = objects("Deployment");
    for service in objects::<Service>("Service") {
        let name = service.metadata.name.unwrap_or_default();
        let spec = service.spec.unwrap_or_default();
        let selector = spec.selector.unwrap_or_default();
        assert!(!selector.is_empty(), "the Service {name} selects nothing");
        let selected = deployments.iter().find(|deployment| {
            let spec = deployment.spec.as_ref();
            let labels = spec.and_then(|s| s.template.metadata.as_ref()?.labels.as_ref());
            labels.is_some_and(|labels| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
        });
        let deployment = selected.unwrap_or_else(|| panic!("the Service {name} selects no pods"));
        let pod = deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref());
        let container = &pod.expect("a pod spec").containers[0];
        for port in spec.ports.unwrap_or_default() {
            let Some(IntOrString::String(target)) = &port.target_port else {
                panic!(
                    "the Service {name} must target a port by name, not {:?}",
                    port.target_port
                );
            };
            assert!(
                container_port_named(container, target).is_some(),
                "{name} targets {target}"
            );
        }
    }
}

#[test]
fn service_accounts_are_the_ones_the_deployments_use() {
    let accounts: BTreeSet<String> = objects::<ServiceAccount>("ServiceAccount")
        .into_iter()
        .filter_map(|account| account.metadata.name)
        .collect();
    for (name, pod, _) in workloads() {
        let account = pod.service_account_name.unwrap_or_default();
        assert_eq!(account, name, "the Deployment {name} runs as {account}");
        assert!(
            accounts.contains(&account),
            "the service account {account} is not rendered"
        );
    }
}
