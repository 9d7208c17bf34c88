//! The kinds built into the server: the few Kubernetes kinds the product and its users need,
//! including what authentication and authorization serve (ServiceAccounts, RBAC, the reviews).

use crate::resource::{CreateSubresource, ResourceInfo};

/// Server behaviour specific to a kind, beyond the generic object semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// `v1` Namespace: phase, the `kubernetes` finalizer, deletion of its content.
    Namespace,
    /// `v1` Secret: `stringData` folded into `data`, immutability.
    Secret,
    /// `v1` ConfigMap: immutability.
    ConfigMap,
    /// `v1` Event.
    CoreEvent,
    /// `events.k8s.io/v1` Event: the same objects as `v1` Events, converted.
    EventsV1,
    /// `coordination.k8s.io/v1` Lease.
    Lease,
    /// `apiextensions.k8s.io/v1` CustomResourceDefinition: served status and resources.
    CustomResourceDefinition,
    /// `v1` ServiceAccount, with the `token` subresource.
    ServiceAccount,
    /// `rbac.authorization.k8s.io/v1` Role.
    Role,
    /// `rbac.authorization.k8s.io/v1` ClusterRole.
    ClusterRole,
    /// `rbac.authorization.k8s.io/v1` RoleBinding.
    RoleBinding,
    /// `rbac.authorization.k8s.io/v1` ClusterRoleBinding.
    ClusterRoleBinding,
    /// A review: answered from the request alone, never stored.
    Review(Review),
    /// An object of a CRD.
    Custom,
    /// A workload kind of kubectl's default `apply --prune` allow-list (Pod, Deployment, ...):
    /// listed and watched as an always-empty collection so that kubectl accepts the list, and
    /// never created, because this control plane runs no workloads.
    Workload,
}

/// The create-only review kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Review {
    /// `authorization.k8s.io/v1` SelfSubjectAccessReview: may I?
    SelfSubjectAccess,
    /// `authorization.k8s.io/v1` SubjectAccessReview: may they?
    SubjectAccess,
    /// `authorization.k8s.io/v1` LocalSubjectAccessReview: may they, in this namespace?
    LocalSubjectAccess,
    /// `authorization.k8s.io/v1` SelfSubjectRulesReview: what may I do in a namespace?
    SelfSubjectRules,
    /// `authentication.k8s.io/v1` SelfSubjectReview: who am I?
    SelfSubject,
    /// `authentication.k8s.io/v1` TokenReview: whom does this token stand for?
    Token,
}

impl Behaviour {
    /// Whether the kind is built in, so strategic merge patches apply to it.
    pub fn builtin(self) -> bool {
        self != Self::Custom
    }

    /// Whether the kind is one of the four RBAC kinds.
    pub fn rbac(self) -> bool {
        matches!(
            self,
            Self::Role | Self::ClusterRole | Self::RoleBinding | Self::ClusterRoleBinding
        )
    }
}

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// The group of the access reviews.
pub const AUTHORIZATION_GROUP: &str = "authorization.k8s.io";
/// The group of identity reviews and token requests.
pub const AUTHENTICATION_GROUP: &str = "authentication.k8s.io";

/// One row of the built-in table.
struct Kind {
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    status: bool,
    behaviour: Behaviour,
}

const fn kind(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    behaviour: Behaviour,
) -> Kind {
    Kind {
        group,
        plural,
        kind,
        namespaced,
        short_names: &[],
        status: false,
        behaviour,
    }
}

const fn named(mut row: Kind, short_names: &'static [&'static str], status: bool) -> Kind {
    row.short_names = short_names;
    row.status = status;
    row
}

/// Every built-in kind, all at version `v1`.
const KINDS: &[Kind] = &[
    named(
        kind("", "namespaces", "Namespace", false, Behaviour::Namespace),
        &["ns"],
        true,
    ),
    kind("", "secrets", "Secret", true, Behaviour::Secret),
    named(
        kind("", "configmaps", "ConfigMap", true, Behaviour::ConfigMap),
        &["cm"],
        false,
    ),
    named(
        kind("", "events", "Event", true, Behaviour::CoreEvent),
        &["ev"],
        false,
    ),
    named(
        kind(
            "events.k8s.io",
            "events",
            "Event",
            true,
            Behaviour::EventsV1,
        ),
        &["ev"],
        false,
    ),
    kind(
        "coordination.k8s.io",
        "leases",
        "Lease",
        true,
        Behaviour::Lease,
    ),
    named(
        kind(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
            Behaviour::CustomResourceDefinition,
        ),
        &["crd", "crds"],
        true,
    ),
    named(
        kind(
            "",
            "serviceaccounts",
            "ServiceAccount",
            true,
            Behaviour::ServiceAccount,
        ),
        &["sa"],
        false,
    ),
    kind(RBAC_GROUP, "roles", "Role", true, Behaviour::Role),
    kind(
        RBAC_GROUP,
        "clusterroles",
        "ClusterRole",
        false,
        Behaviour::ClusterRole,
    ),
    kind(
        RBAC_GROUP,
        "rolebindings",
        "RoleBinding",
        true,
        Behaviour::RoleBinding,
    ),
    kind(
        RBAC_GROUP,
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        Behaviour::ClusterRoleBinding,
    ),
    kind(
        AUTHORIZATION_GROUP,
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        false,
        Behaviour::Review(Review::SelfSubjectAccess),
    ),
    kind(
        AUTHORIZATION_GROUP,
        "subjectaccessreviews",
        "SubjectAccessReview",
        false,
        Behaviour::Review(Review::SubjectAccess),
    ),
    kind(
        AUTHORIZATION_GROUP,
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        true,
        Behaviour::Review(Review::LocalSubjectAccess),
    ),
    kind(
        AUTHORIZATION_GROUP,
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        false,
        Behaviour::Review(Review::SelfSubjectRules),
    ),
    kind(
        AUTHENTICATION_GROUP,
        "selfsubjectreviews",
        "SelfSubjectReview",
        false,
        Behaviour::Review(Review::SelfSubject),
    ),
    kind(
        AUTHENTICATION_GROUP,
        "tokenreviews",
        "TokenReview",
        false,
        Behaviour::Review(Review::Token),
    ),
    // The kinds of kubectl's default `apply --prune` allow-list not served otherwise.
    named(workload("", "endpoints", "Endpoints", true), &["ep"], false),
    named(
        workload("", "persistentvolumeclaims", "PersistentVolumeClaim", true),
        &["pvc"],
        false,
    ),
    named(
        workload("", "persistentvolumes", "PersistentVolume", false),
        &["pv"],
        false,
    ),
    named(workload("", "pods", "Pod", true), &["po"], false),
    named(
        workload("", "replicationcontrollers", "ReplicationController", true),
        &["rc"],
        false,
    ),
    named(workload("", "services", "Service", true), &["svc"], false),
    workload("batch", "jobs", "Job", true),
    named(
        workload("batch", "cronjobs", "CronJob", true),
        &["cj"],
        false,
    ),
    named(
        workload("networking.k8s.io", "ingresses", "Ingress", true),
        &["ing"],
        false,
    ),
    named(
        workload("apps", "daemonsets", "DaemonSet", true),
        &["ds"],
        false,
    ),
    named(
        workload("apps", "deployments", "Deployment", true),
        &["deploy"],
        false,
    ),
    named(
        workload("apps", "replicasets", "ReplicaSet", true),
        &["rs"],
        false,
    ),
    named(
        workload("apps", "statefulsets", "StatefulSet", true),
        &["sts"],
        false,
    ),
];

const fn workload(
    group: &'static str,
    plural: &'static str,
    name: &'static str,
    namespaced: bool,
) -> Kind {
    kind(group, plural, name, namespaced, Behaviour::Workload)
}

fn info(row: &Kind) -> ResourceInfo {
    let create_subresources = if row.behaviour == Behaviour::ServiceAccount {
        vec![CreateSubresource {
            name: "token".into(),
            group: AUTHENTICATION_GROUP.into(),
            version: "v1".into(),
            kind: "TokenRequest".into(),
        }]
    } else {
        Vec::new()
    };
    ResourceInfo {
        group: row.group.into(),
        version: "v1".into(),
        plural: row.plural.into(),
        singular: row.kind.to_lowercase(),
        kind: row.kind.into(),
        list_kind: format!("{}List", row.kind),
        namespaced: row.namespaced,
        short_names: row.short_names.iter().map(|s| (*s).to_owned()).collect(),
        categories: Vec::new(),
        status_subresource: row.status,
        schema: None,
        printer_columns: Vec::new(),
        builtin: true,
        storage_version: true,
        create_only: matches!(row.behaviour, Behaviour::Review(_)),
        create_subresources,
    }
}

/// Every built-in resource with its behaviour.
pub fn builtin_resources() -> Vec<(ResourceInfo, Behaviour)> {
    KINDS.iter().map(|row| (info(row), row.behaviour)).collect()
}

/// Whether `group` is served by the API server itself, so no CustomResourceDefinition may claim
/// it: a CRD in such a group would shadow a built-in kind and skip its checks.
pub fn is_builtin_group(group: &str) -> bool {
    KINDS.iter().any(|row| info(row).group == group)
}

/// The storage key of a built-in resource: both Event APIs share one set of objects.
pub fn storage_key(info: &ResourceInfo, behaviour: Behaviour) -> String {
    match behaviour {
        Behaviour::EventsV1 | Behaviour::CoreEvent => "/events".to_owned(),
        _ => info.storage_key(),
    }
}
