//! The Runtime kind: a Kubernetes cluster that consumes the applications sharing a scenario with
//! it, through the Runtime Agent running inside it.

use crate::conditions::Condition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    Names,
    agent_report::AgentReport,
    labels::Labels,
    provisioning::{ProvisioningSpec, ProvisioningStatus},
    schema::{DESCRIPTION_MAX_LENGTH, SCENARIO_NAME_MAX_LENGTH, SCENARIO_NAME_PATTERN},
};

/// A cluster that consumes applications: it sees every application that shares one of its
/// scenarios, and its Runtime Agent reports back here.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "Runtime",
    namespaced,
    status = "RuntimeStatus",
    shortname = "rt",
    category = "compass",
    derive = "PartialEq",
    doc = "A Kubernetes cluster that consumes the applications sharing one of its scenarios. Its Runtime Agent pairs with the management plane, applies the assigned applications in the cluster and reports back. The object's name is the runtime's name; its uid is the runtime's id.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Available",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Available\")].status"
    ),
    printcolumn(
        name = "Scenarios",
        type_ = "string",
        json_path = ".status.scenarioSummary"
    ),
    printcolumn(
        name = "Applications",
        type_ = "integer",
        json_path = ".status.applicationCount"
    ),
    printcolumn(
        name = "Provisioning",
        type_ = "string",
        json_path = ".status.provisioning.operations[0].state",
        priority = 1
    ),
    printcolumn(
        name = "Agent",
        type_ = "string",
        json_path = ".status.agent.connectionState"
    ),
    printcolumn(
        name = "Agent Version",
        type_ = "string",
        json_path = ".status.agent.version",
        priority = 1
    ),
    printcolumn(
        name = "Applied",
        type_ = "integer",
        json_path = ".status.agent.appliedApplications",
        priority = 1
    ),
    printcolumn(
        name = "Failed",
        type_ = "integer",
        json_path = ".status.agent.failedApplications",
        priority = 1
    ),
    printcolumn(
        name = "Last Sync",
        type_ = "date",
        json_path = ".status.agent.lastSyncTime",
        priority = 1
    ),
    // NB: a string, not a date: kubectl prints a date in the future as `<invalid>`.
    printcolumn(
        name = "Certificate Expiry",
        type_ = "string",
        json_path = ".status.agent.certificateExpiry",
        priority = 1
    ),
    printcolumn(
        name = "Heartbeat",
        type_ = "date",
        json_path = ".status.agent.lastHeartbeatTime",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSpec {
    /// What the runtime is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,

    /// Labels with any JSON value. The Runtime Agent reports `runtime_eventServiceUrl` and
    /// `runtime_consoleUrl` here.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    #[schemars(schema_with = "crate::labels::labels_schema")]
    pub labels: Labels,

    /// Scenarios the runtime belongs to; it sees every application that shares one. Omit it to
    /// place the runtime in the `DEFAULT` scenario; an empty list places it in none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 100),
        inner(length(min = 1, max = SCENARIO_NAME_MAX_LENGTH), regex(pattern = SCENARIO_NAME_PATTERN))
    )]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub scenarios: Option<Vec<String>>,

    /// Asks a provider to make the runtime's cluster (or take an existing one) and install the
    /// Runtime Agent in it; without it, the runtime's cluster and agent are someone else's
    /// business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<ProvisioningSpec>,
}

/// What the operator observed about a runtime.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` summarises; `Available` says whether the Runtime Agent's heartbeat
    /// is current.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// Scenarios in effect: those in the spec, or `DEFAULT` when the spec omits them; empty when
    /// the spec lists none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<String>,

    /// The scenarios in effect as one line (`DEFAULT, marketing`), for `kubectl get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_summary: Option<String>,

    /// Number of applications the runtime sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_count: Option<i32>,

    /// Names of applications the runtime sees, in name order; at most 100 are listed.
    #[serde(default, skip_serializing_if = "Names::is_empty")]
    pub applications: Names,

    /// What the Runtime Agent last reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentStatus>,

    /// What the provisioner did for the runtime's cluster; written by the provisioner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<ProvisioningStatus>,
}

/// The Runtime Agent as last seen.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatus {
    /// When the agent last renewed its heartbeat Lease. While the heartbeat is current this is
    /// refreshed once a minute; the Lease's `renewTime` has the exact time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_heartbeat_time: Option<Time>,
    /// Name of the heartbeat Lease in the runtime's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
    /// What the agent last reported about itself. While the heartbeat is current,
    /// `lastSyncTime` alone moves at most once a minute, as the heartbeat time does.
    #[serde(flatten)]
    pub report: AgentReport,
}
