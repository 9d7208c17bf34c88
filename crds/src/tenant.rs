//! The Tenant kind: one customer of the management plane, owning a namespace that holds all of its
//! applications, runtimes and scenarios.

use crate::conditions::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::schema::{DNS_LABEL_PATTERN, LONG_STRING_MAX_LENGTH};

/// The namespace of the product's own objects in every installation this project ships.
pub const PRODUCT_NAMESPACE: &str = "compass-system";

/// Namespaces a tenant may not take: Kubernetes' own and the product's. Every namespace starting
/// with `kube-` is reserved as well (see [`is_system_namespace`]).
pub const RESERVED_NAMESPACES: [&str; 5] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    PRODUCT_NAMESPACE,
];

/// Prefix of the namespaces Kubernetes reserves for itself.
pub const KUBE_PREFIX: &str = "kube-";

/// Whether `namespace` belongs to the system (Kubernetes or the product) and so can never be a
/// tenant's.
pub fn is_system_namespace(namespace: &str) -> bool {
    RESERVED_NAMESPACES.contains(&namespace) || namespace.starts_with(KUBE_PREFIX)
}

/// A customer of the management plane. The operator creates the tenant's namespace; everything the
/// tenant registers lives there.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "Tenant",
    status = "TenantStatus",
    shortname = "tnt",
    category = "compass",
    derive = "PartialEq",
    doc = "A customer of the management plane. Callers name it by its external id in the Tenant header; the operator creates and owns its namespace, which holds the tenant's applications, runtimes, scenarios, label definitions and system auths. Its uid is the tenant's internal id.",
    validation = Rule::new(reserved_namespace_rule())
        .message("the tenant's namespace may not be a system namespace (default, compass-system or kube-*); set spec.namespace"),
    printcolumn(name = "External ID", type_ = "string", json_path = ".spec.externalId"),
    printcolumn(name = "Namespace", type_ = "string", json_path = ".status.namespace"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Display Name", type_ = "string", json_path = ".spec.displayName", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
)]
#[serde(rename_all = "camelCase")]
// NB: `namespace` is a CEL reserved word; Kubernetes exposes such fields as `__namespace__`.
#[x_kube(validation = Rule::new("(has(self.__namespace__) ? self.__namespace__ : '') == (has(oldSelf.__namespace__) ? oldSelf.__namespace__ : '')")
    .message("namespace cannot be changed")
    .field_path(".namespace"))]
pub struct TenantSpec {
    /// The id callers send in the `Tenant` header, for example a UUID from the identity provider.
    /// Unique across tenants; cannot change.
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("externalId cannot be changed"))]
    pub external_id: String,

    /// Name shown to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = LONG_STRING_MAX_LENGTH))]
    pub display_name: Option<String>,

    /// The system the tenant comes from, for example the identity provider's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = LONG_STRING_MAX_LENGTH))]
    pub provider: Option<String>,

    /// Namespace that holds the tenant's objects. Defaults to the tenant's name; cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), regex(pattern = DNS_LABEL_PATTERN))]
    pub namespace: Option<String>,
}

/// What the operator observed about a tenant.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` once the namespace and the tenant's defaults exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// The namespace holding the tenant's objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// CEL rule on the Tenant object: its namespace is not a system namespace
/// ([`is_system_namespace`]).
fn reserved_namespace_rule() -> String {
    let reserved: Vec<String> = RESERVED_NAMESPACES
        .iter()
        .map(|n| format!("'{n}'"))
        .collect();
    let namespace = "(has(self.spec.__namespace__) ? self.spec.__namespace__ : self.metadata.name)";
    format!(
        "!({namespace} in [{}]) && !{namespace}.startsWith('{KUBE_PREFIX}')",
        reserved.join(", ")
    )
}

impl Tenant {
    /// The namespace this tenant's objects live in.
    pub fn namespace_name(&self) -> &str {
        self.spec
            .namespace
            .as_deref()
            .or(self.metadata.name.as_deref())
            .unwrap_or_default()
    }
}
