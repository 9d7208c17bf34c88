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

/// Annotation by which a caller asks for an operation on the runtime's cluster, as
/// `<OperationType>/<operation id>` (say `ReconnectRuntime/7f0c…`): the provisioner starts it
/// under that id, once. The Provisioner API writes it with each request so that it can answer
/// with the operation's id at once; with kubectl, any id not used before asks again.
pub const REQUESTED_OPERATION_ANNOTATION: &str = "compass.kyma-project.io/requested-operation";

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

    /// The Kubernetes version the cluster stands at, after the last Provision or Upgrade that
    /// succeeded, when the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,

    /// The operations on the runtime's cluster, newest first; at most ten are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<RuntimeOperation>,
}

impl ProvisioningStatus {
    /// The provisioning record of `runtime` (empty when nothing was provisioned for it).
    pub fn of(runtime: &crate::Runtime) -> Self {
        runtime
            .status
            .as_ref()
            .and_then(|s| s.provisioning.clone())
            .unwrap_or_default()
    }

    /// The operation running now, if one is.
    pub fn running(&self) -> Option<&RuntimeOperation> {
        self.operations.first().filter(|op| {
            matches!(
                op.state,
                OperationState::Pending | OperationState::InProgress
            )
        })
    }

    /// Whether the runtime stands provisioned: its latest Provision succeeded and no Deprovision
    /// came after it.
    pub fn provisioned(&self) -> bool {
        self.operations
            .iter()
            .find(|op| {
                matches!(
                    op.type_,
                    OperationType::Provision | OperationType::Deprovision
                )
            })
            .is_some_and(|op| {
                op.type_ == OperationType::Provision && op.state == OperationState::Succeeded
            })
    }

    /// The request a caller made by annotation, unless an operation already answered it.
    pub fn unanswered(&self, requested: Option<RequestedOperation>) -> Option<RequestedOperation> {
        requested.filter(|asked| self.operations.iter().all(|op| op.id != asked.id))
    }
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
    /// For an Upgrade, the Kubernetes version it moves the cluster to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
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

impl OperationType {
    /// Every type, in the order the original API lists them.
    pub const ALL: [Self; 4] = [
        Self::Provision,
        Self::Upgrade,
        Self::Deprovision,
        Self::ReconnectRuntime,
    ];

    /// The type's name, as written in the Runtime and in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provision => "Provision",
            Self::Upgrade => "Upgrade",
            Self::Deprovision => "Deprovision",
            Self::ReconnectRuntime => "ReconnectRuntime",
        }
    }
}

/// An operation a caller asked for through [`REQUESTED_OPERATION_ANNOTATION`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedOperation {
    /// What it is to do.
    pub type_: OperationType,
    /// The id it is to run under.
    pub id: String,
}

impl RequestedOperation {
    /// The annotation's value for this request.
    pub fn annotation(&self) -> String {
        format!("{}/{}", self.type_.as_str(), self.id)
    }

    /// The request an annotation value holds; `None` when it is not `<OperationType>/<id>` with
    /// an id of 1 to 63 letters, digits, `-` or `_`.
    pub fn parse(value: &str) -> Option<Self> {
        let (type_, id) = value.split_once('/')?;
        let type_ = OperationType::ALL
            .into_iter()
            .find(|t| t.as_str() == type_)?;
        let well_formed = (1..=63).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self {
            type_,
            id: id.to_owned(),
        })
    }

    /// The request on `runtime`, if it carries one.
    pub fn of(runtime: &crate::Runtime) -> Option<Self> {
        runtime
            .metadata
            .annotations
            .as_ref()?
            .get(REQUESTED_OPERATION_ANNOTATION)
            .and_then(|value| Self::parse(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requested_operation_reads_back_and_nonsense_is_ignored() {
        let asked = RequestedOperation {
            type_: OperationType::ReconnectRuntime,
            id: "7f0c-aa_1".to_owned(),
        };
        assert_eq!(RequestedOperation::parse(&asked.annotation()), Some(asked));
        for nonsense in [
            "",
            "Provision",
            "Provision/",
            "Reboot/1",
            "Upgrade/a b",
            "Upgrade/a/b",
        ] {
            assert_eq!(RequestedOperation::parse(nonsense), None, "{nonsense:?}");
        }
    }
}
