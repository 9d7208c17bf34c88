//! The Provisioner API's answers, shaped as the original's: operations and their states, a
//! runtime's status, connection and configuration. The original's Gardener and GCP types stay
//! in the schema so that clients' fragments on them still validate; no runtime here has them.

use async_graphql::{Enum, SimpleObject, Union};
use compass_crds::provisioning::{self, RuntimeOperation};

use crate::scalars::Any;

/// What an operation does.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "PascalCase")]
pub enum OperationType {
    /// Make the cluster and install the agent.
    Provision,
    /// Change the cluster's Kubernetes version.
    Upgrade,
    /// Remove the agent and, for a cluster the provider made, the cluster.
    Deprovision,
    /// Install the agent again with a fresh one-time token.
    ReconnectRuntime,
}

impl From<provisioning::OperationType> for OperationType {
    fn from(type_: provisioning::OperationType) -> Self {
        match type_ {
            provisioning::OperationType::Provision => Self::Provision,
            provisioning::OperationType::Upgrade => Self::Upgrade,
            provisioning::OperationType::Deprovision => Self::Deprovision,
            provisioning::OperationType::ReconnectRuntime => Self::ReconnectRuntime,
        }
    }
}

/// Where an operation stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "PascalCase")]
pub enum OperationState {
    /// Asked for; the provisioner has not taken it up yet.
    Pending,
    /// Running.
    InProgress,
    /// Done.
    Succeeded,
    /// Given up; the message says why.
    Failed,
}

impl From<provisioning::OperationState> for OperationState {
    fn from(state: provisioning::OperationState) -> Self {
        match state {
            provisioning::OperationState::Pending => Self::Pending,
            provisioning::OperationState::InProgress => Self::InProgress,
            provisioning::OperationState::Succeeded => Self::Succeeded,
            provisioning::OperationState::Failed => Self::Failed,
        }
    }
}

/// One operation on a runtime's cluster.
#[derive(SimpleObject, Clone, Debug)]
pub struct OperationStatus {
    /// The operation's id.
    pub id: Option<String>,
    /// What it does.
    pub operation: OperationType,
    /// Where it stands.
    pub state: OperationState,
    /// The step it is at, or why it failed.
    pub message: Option<String>,
    /// The runtime it works on.
    #[graphql(name = "runtimeID")]
    pub runtime_id: Option<String>,
}

impl OperationStatus {
    /// The status of a recorded operation of runtime `runtime_id`.
    pub fn of(runtime_id: &str, op: &RuntimeOperation) -> Self {
        Self {
            id: Some(op.id.clone()),
            operation: op.type_.into(),
            state: op.state.into(),
            message: op.message.clone(),
            runtime_id: Some(runtime_id.to_owned()),
        }
    }
}

/// Whether the runtime's agent is connected.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "PascalCase")]
pub enum RuntimeAgentConnectionStatus {
    /// The agent has not reported yet.
    Pending,
    /// The agent keeps its heartbeat.
    Connected,
    /// The agent reported once, and its heartbeat stopped or its connection failed.
    Disconnected,
}

/// An error the agent's connection reports.
#[derive(SimpleObject, Clone, Debug)]
pub struct Error {
    /// What went wrong.
    pub message: Option<String>,
}

/// The agent's connection.
#[derive(SimpleObject, Clone, Debug)]
pub struct RuntimeConnectionStatus {
    /// Whether it is connected.
    pub status: RuntimeAgentConnectionStatus,
    /// Why it is not, when it is not.
    pub errors: Option<Vec<Error>>,
}

/// A runtime's provisioning: its last operation, its agent's connection, its configuration.
#[derive(SimpleObject, Clone, Debug)]
pub struct RuntimeStatus {
    /// The newest operation, or the one asked for and not taken up yet.
    pub last_operation_status: Option<OperationStatus>,
    /// The agent's connection.
    pub runtime_connection_status: Option<RuntimeConnectionStatus>,
    /// What the runtime asks of its provider.
    pub runtime_configuration: Option<RuntimeConfig>,
    /// What the runtime's agent last reported, and its heartbeat; null before its first report.
    /// Not in the original schema.
    pub agent: Option<RuntimeAgent>,
}

/// The Runtime Agent of a runtime as last seen: its heartbeat and its report.
#[derive(SimpleObject, Clone, Debug)]
pub struct RuntimeAgent {
    /// Whether its heartbeat is current (the Runtime's `Available` condition).
    pub available: bool,
    /// Why it is not, when it is not.
    pub unavailable_reason: Option<String>,
    /// When it last renewed its heartbeat, RFC 3339.
    pub last_heartbeat: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// Its connection's state, as its `CompassConnection` says (`Synchronized`,
    /// `ConnectionFailed`, ...).
    pub connection_state: Option<String>,
    /// When it last applied the runtime's applications, RFC 3339.
    pub last_sync: Option<String>,
    /// When its client certificate expires, RFC 3339.
    pub certificate_expiry: Option<String>,
    /// Applications it applied in the runtime.
    pub applied_applications: Option<i32>,
    /// Applications it failed to apply.
    pub failed_applications: Option<i32>,
}

/// What a runtime asks of its provider.
#[derive(SimpleObject, Clone, Debug)]
pub struct RuntimeConfig {
    /// The provider and its configuration.
    pub cluster_config: Option<ClusterConfig>,
    /// Not used here: providers read their credentials from their configuration.
    pub credentials_secret_name: Option<String>,
    /// Not used here: providers install the Runtime Agent, not Kyma.
    pub kyma_config: Option<KymaConfig>,
    /// Not given out here: the runtime's kubeconfig stays with its provider.
    pub kubeconfig: Option<String>,
}

/// The cluster's configuration.
#[derive(Union, Clone, Debug)]
pub enum ClusterConfig {
    /// A provider of this installation and its configuration.
    ProviderConfig(ProviderConfig),
    /// The original's Gardener configuration; never answered here.
    GardenerConfig(Box<GardenerConfig>),
    /// The original's GCP configuration; never answered here.
    GcpConfig(GcpConfig),
}

/// A provider and what the runtime asks of it.
#[derive(SimpleObject, Clone, Debug)]
pub struct ProviderConfig {
    /// The provider's name.
    pub provider: String,
    /// The Kubernetes version asked for, for providers that choose it.
    pub kubernetes_version: Option<String>,
    /// The provider's own settings.
    pub configuration: Option<Any>,
}

/// The original's Gardener cluster configuration (kept for clients' fragments).
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct GardenerConfig {
    /// Name of the cluster.
    pub name: Option<String>,
    /// Project the cluster is in.
    pub project_name: Option<String>,
    /// Kubernetes version of the cluster.
    pub kubernetes_version: Option<String>,
    /// Number of nodes.
    pub node_count: Option<i32>,
    /// Disk size of each node, in GB.
    #[graphql(name = "volumeSizeGB")]
    pub volume_size_gb: Option<i32>,
    /// Machine type of the nodes.
    pub machine_type: Option<String>,
    /// Region of the cluster.
    pub region: Option<String>,
    /// Infrastructure provider.
    pub provider: Option<String>,
    /// Seed cluster that runs the control plane.
    pub seed: Option<String>,
    /// Secret holding the infrastructure credentials.
    pub target_secret: Option<String>,
    /// Disk type of the nodes.
    pub disk_type: Option<String>,
    /// CIDR range of the nodes.
    pub worker_cidr: Option<String>,
    /// Fewest machines.
    pub auto_scaler_min: Option<i32>,
    /// Most machines.
    pub auto_scaler_max: Option<i32>,
    /// Machines added at once during an update.
    pub max_surge: Option<i32>,
    /// Machines unavailable at once during an update.
    pub max_unavailable: Option<i32>,
    /// Settings of the infrastructure provider.
    pub provider_specific_config: Option<ProviderSpecificConfig>,
}

/// The original's per-infrastructure Gardener settings (kept for clients' fragments).
#[derive(Union, Clone, Debug)]
pub enum ProviderSpecificConfig {
    /// GCP settings.
    Gcp(GcpProviderConfig),
    /// Azure settings.
    Azure(AzureProviderConfig),
    /// AWS settings.
    Aws(AwsProviderConfig),
}

/// The original's GCP settings of a Gardener cluster.
#[derive(SimpleObject, Clone, Debug, Default)]
#[graphql(name = "GCPProviderConfig")]
pub struct GcpProviderConfig {
    /// Zone of the cluster.
    pub zone: Option<String>,
}

/// The original's Azure settings of a Gardener cluster.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct AzureProviderConfig {
    /// CIDR range of the virtual network.
    pub vnet_cidr: Option<String>,
}

/// The original's AWS settings of a Gardener cluster.
#[derive(SimpleObject, Clone, Debug, Default)]
#[graphql(name = "AWSProviderConfig")]
pub struct AwsProviderConfig {
    /// Zone of the cluster.
    pub zone: Option<String>,
    /// CIDR range of the VPC.
    pub vpc_cidr: Option<String>,
    /// CIDR range of the public subnet.
    pub public_cidr: Option<String>,
    /// CIDR range of the private subnet.
    pub internal_cidr: Option<String>,
}

/// The original's GCP cluster configuration (kept for clients' fragments).
#[derive(SimpleObject, Clone, Debug, Default)]
#[graphql(name = "GCPConfig")]
pub struct GcpConfig {
    /// Name of the cluster.
    pub name: Option<String>,
    /// Project the cluster is in.
    pub project_name: Option<String>,
    /// Kubernetes version of the cluster.
    pub kubernetes_version: Option<String>,
    /// Number of nodes.
    pub number_of_nodes: Option<i32>,
    /// Boot disk size of each node, in GB.
    #[graphql(name = "bootDiskSizeGB")]
    pub boot_disk_size_gb: Option<i32>,
    /// Machine type of the nodes.
    pub machine_type: Option<String>,
    /// Region of the cluster.
    pub region: Option<String>,
    /// Zone of the cluster.
    pub zone: Option<String>,
}

/// The original's Kyma modules.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "PascalCase")]
pub enum KymaModule {
    /// The Backup module.
    Backup,
    /// The BackupInit module.
    BackupInit,
    /// The Jaeger module.
    Jaeger,
    /// The Logging module.
    Logging,
    /// The Monitoring module.
    Monitoring,
    /// The PrometheusOperator module.
    PrometheusOperator,
    /// The Kiali module.
    Kiali,
    /// The KnativeBuild module.
    KnativeBuild,
}

/// The original's Kyma configuration (kept for clients' fragments).
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct KymaConfig {
    /// Kyma version.
    pub version: Option<String>,
    /// Kyma modules.
    pub modules: Option<Vec<Option<KymaModule>>>,
}

/// The original's answer to `cleanupRuntimeData`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "CleanUpRuntimeDataResult")]
pub struct CleanUpRuntimeDataResult {
    /// The runtime's id.
    pub id: String,
    /// What was done.
    pub message: Option<String>,
}
