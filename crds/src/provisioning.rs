//! Provisioning of a runtime's cluster: the request on the Runtime (which provider makes the
//! cluster, or takes an existing one, and installs the Runtime Agent in it) and the operations the
//! provisioner ran for it, newest first, in the Runtime's status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Pattern of a provider's name: a DNS label.
pub const PROVIDER_NAME_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/// Most operations kept in a Runtime's status; older ones are dropped.
pub const OPERATIONS_KEPT: usize = 10;

/// Finalizer the provisioner holds on a Runtime with a provisioning request, until its provider
/// has removed what it made.
pub const PROVISIONER_FINALIZER: &str = "compass.kyma-project.io/provisioner";

/// Condition: the provider made the runtime's cluster and started its agent.
pub const PROVISIONED: &str = "Provisioned";

/// Condition: the runtime's agent paired and keeps its heartbeat.
pub const AGENT_CONNECTED: &str = "AgentConnected";

/// Asks a provider to make the runtime's cluster (or take an existing one) and install the
/// Runtime Agent in it with a fresh one-time token.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningSpec {
    /// The provider: `embedded` (a control plane beside the management plane), or the name of a
    /// provider a third party runs as its own controller.
    #[schemars(length(min = 1, max = 63), regex(pattern = PROVIDER_NAME_PATTERN))]
    pub provider: String,

    /// The provider's own settings; each provider documents them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::provisioning::free_object")]
    pub configuration: Option<Map<String, Value>>,

    /// Kubernetes version of the cluster, for providers that choose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub kubernetes_version: Option<String>,
}

/// What the provisioner did for the runtime.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningStatus {
    /// The provider that made what stands; it removes it when the request goes, even when the
    /// request no longer names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,

    /// The operations on the runtime's cluster, newest first; at most ten are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<RuntimeOperation>,
}

/// One asynchronous operation on a runtime's cluster; one runs at a time.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeOperation {
    /// The operation's id, as `runtimeOperationStatus` takes it.
    pub id: String,
    /// What the operation does.
    #[serde(rename = "type")]
    pub type_: OperationType,
    /// Where it stands.
    pub state: OperationState,
    /// The step it is at, or why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When it started.
    pub start_time: Time,
    /// When it succeeded or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,
}

/// What an operation does.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum OperationType {
    /// Make the cluster and install the agent.
    Provision,
    /// Change the cluster's Kubernetes version.
    Upgrade,
    /// Remove the agent and, for a cluster the provider made, the cluster.
    Deprovision,
    /// Install the agent again with a fresh token.
    ReconnectRuntime,
}

/// Where an operation stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum OperationState {
    /// Accepted, not started.
    Pending,
    /// Running.
    InProgress,
    /// Done.
    Succeeded,
    /// Given up; the message says why.
    Failed,
}

/// The schema of a free-form JSON object a provider reads.
pub(crate) fn free_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}
