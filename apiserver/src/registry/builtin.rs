//! The kinds built into the server: the few Kubernetes kinds the product and its users need.

use crate::resource::ResourceInfo;

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
    /// An object of a CRD.
    Custom,
    /// A workload kind of kubectl's default `apply --prune` allow-list (Pod, Deployment, ...):
    /// listed and watched as an always-empty collection so that kubectl accepts the list, and
    /// never created, because this control plane runs no workloads.
    Workload,
}

impl Behaviour {
    /// Whether the kind is built in, so strategic merge patches apply to it.
    pub fn builtin(self) -> bool {
        self != Self::Custom
    }
}

#[allow(clippy::too_many_arguments)]
fn info(
    group: &str,
    version: &str,
    plural: &str,
    singular: &str,
    kind: &str,
    namespaced: bool,
    short_names: &[&str],
    status: bool,
) -> ResourceInfo {
    ResourceInfo {
        group: group.into(),
        version: version.into(),
        plural: plural.into(),
        singular: singular.into(),
        kind: kind.into(),
        list_kind: format!("{kind}List"),
        namespaced,
        short_names: short_names.iter().map(|s| (*s).to_owned()).collect(),
        categories: Vec::new(),
        status_subresource: status,
        schema: None,
        printer_columns: Vec::new(),
        builtin: true,
        storage_version: true,
    }
}

/// Every built-in resource with its behaviour.
pub fn builtin_resources() -> Vec<(ResourceInfo, Behaviour)> {
    vec![
        (
            info(
                "",
                "v1",
                "namespaces",
                "namespace",
                "Namespace",
                false,
                &["ns"],
                true,
            ),
            Behaviour::Namespace,
        ),
        (
            info("", "v1", "secrets", "secret", "Secret", true, &[], false),
            Behaviour::Secret,
        ),
        (
            info(
                "",
                "v1",
                "configmaps",
                "configmap",
                "ConfigMap",
                true,
                &["cm"],
                false,
            ),
            Behaviour::ConfigMap,
        ),
        (
            info("", "v1", "events", "event", "Event", true, &["ev"], false),
            Behaviour::CoreEvent,
        ),
        (
            info(
                "events.k8s.io",
                "v1",
                "events",
                "event",
                "Event",
                true,
                &["ev"],
                false,
            ),
            Behaviour::EventsV1,
        ),
        (
            info(
                "coordination.k8s.io",
                "v1",
                "leases",
                "lease",
                "Lease",
                true,
                &[],
                false,
            ),
            Behaviour::Lease,
        ),
        (
            info(
                "apiextensions.k8s.io",
                "v1",
                "customresourcedefinitions",
                "customresourcedefinition",
                "CustomResourceDefinition",
                false,
                &["crd", "crds"],
                true,
            ),
            Behaviour::CustomResourceDefinition,
        ),
    ]
    .into_iter()
    .chain(workloads())
    .collect()
}

/// Group, version, plural, kind, whether namespaced, and short names of a kind.
type Names = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

/// The kinds kubectl's default `apply --prune` allow-list names that the server does not
/// otherwise serve.
const WORKLOADS: &[Names] = &[
    ("", "v1", "endpoints", "Endpoints", true, &["ep"]),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
    ),
    (
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        false,
        &["pv"],
    ),
    ("", "v1", "pods", "Pod", true, &["po"]),
    (
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        true,
        &["rc"],
    ),
    ("", "v1", "services", "Service", true, &["svc"]),
    ("batch", "v1", "jobs", "Job", true, &[]),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"]),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        true,
        &["ing"],
    ),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"]),
    ("apps", "v1", "deployments", "Deployment", true, &["deploy"]),
    ("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"]),
    ("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"]),
];

fn workloads() -> impl Iterator<Item = (ResourceInfo, Behaviour)> {
    WORKLOADS
        .iter()
        .map(|&(group, version, plural, kind, namespaced, short_names)| {
            let singular = kind.to_lowercase();
            let info = info(
                group,
                version,
                plural,
                &singular,
                kind,
                namespaced,
                short_names,
                false,
            );
            (info, Behaviour::Workload)
        })
}

/// The storage key of a built-in resource: both Event APIs share one set of objects.
pub fn storage_key(info: &ResourceInfo, behaviour: Behaviour) -> String {
    match behaviour {
        Behaviour::EventsV1 | Behaviour::CoreEvent => "/events".to_owned(),
        _ => info.storage_key(),
    }
}
