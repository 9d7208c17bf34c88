//! The IntegrationSystem kind: an external system that manages applications on behalf of many
//! tenants.

use crate::conditions::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::schema::DESCRIPTION_MAX_LENGTH;

/// An external system that registers and manages applications for many tenants, so that the
/// applications themselves need not know the management plane.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "IntegrationSystem",
    status = "IntegrationSystemStatus",
    shortname = "intsys",
    category = "compass",
    derive = "PartialEq",
    doc = "An external system that manages applications for many tenants. Applications name it in spec.integrationSystem; it cannot be deleted while any application does. The object's name is the integration system's name; its uid is its id.",
    printcolumn(
        name = "Applications",
        type_ = "integer",
        json_path = ".status.applicationCount"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationSystemSpec {
    /// What the integration system is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,
}

/// What the operator observed about an integration system.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationSystemStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` summarises; `InUse` says which applications still name the
    /// integration system, which keeps it from being deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// Number of applications, in all tenants, that name this integration system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_count: Option<i32>,
}
