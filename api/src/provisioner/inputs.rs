//! What the Provisioner API takes: the original's inputs, whose cluster configuration also takes
//! a provider of this installation (`providerConfig`). A Gardener or GCP configuration is read
//! in full, so that the original's clients get a clear refusal rather than a schema error.

use async_graphql::InputObject;
use compass_crds::provisioning::ProvisioningSpec;

use super::types::KymaModule;
use crate::{
    errors::{ApiResult, Code, error},
    scalars::Any,
};

/// What `provisionRuntime` asks for.
#[derive(InputObject, Clone, Debug)]
pub struct ProvisionRuntimeInput {
    /// The cluster: a provider of this installation and its configuration.
    pub cluster_config: ClusterConfigInput,
    /// Taken for compatibility and not used: providers read credentials from their
    /// configuration.
    pub credentials: Option<CredentialsInput>,
    /// Taken for compatibility and not used: providers install the Runtime Agent, not Kyma.
    pub kyma_config: Option<KymaConfigInput>,
}

/// The original's credentials reference.
#[derive(InputObject, Clone, Debug)]
pub struct CredentialsInput {
    /// Name of a Secret.
    pub secret_name: String,
}

/// The cluster to provision: `providerConfig`; the original's Gardener and GCP configurations are
/// refused.
#[derive(InputObject, Clone, Debug)]
pub struct ClusterConfigInput {
    /// The original's Gardener configuration: refused here.
    pub gardener_config: Option<GardenerConfigInput>,
    /// The original's GCP configuration: refused here.
    #[graphql(name = "gcpConfig")]
    pub gcp_config: Option<GcpConfigInput>,
    /// A provider of this installation and its configuration.
    pub provider_config: Option<ProviderConfigInput>,
}

/// A provider of this installation and what the runtime asks of it.
#[derive(InputObject, Clone, Debug)]
pub struct ProviderConfigInput {
    /// The provider: `embedded`, `kubeconfig`, `cluster-api`, or one a third party runs.
    pub provider: String,
    /// Kubernetes version of the cluster, for providers that choose it.
    pub kubernetes_version: Option<String>,
    /// The provider's own settings, a JSON object; each provider documents them.
    pub configuration: Option<Any>,
}

/// The original's Gardener configuration, read only to be refused.
#[derive(InputObject, Clone, Debug)]
pub struct GardenerConfigInput {
    /// Name of the cluster.
    pub name: Option<String>,
    /// Gardener project.
    pub project_name: Option<String>,
    /// Kubernetes version.
    pub kubernetes_version: Option<String>,
    /// Number of nodes.
    pub node_count: Option<i32>,
    /// Disk size, in GB.
    #[graphql(name = "volumeSizeGB")]
    pub volume_size_gb: Option<i32>,
    /// Machine type.
    pub machine_type: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Infrastructure provider.
    pub provider: Option<String>,
    /// Seed cluster.
    pub seed: Option<String>,
    /// Secret with the infrastructure credentials.
    pub target_secret: Option<String>,
    /// Disk type.
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
    pub provider_specific_config: Option<ProviderSpecificInput>,
}

/// The original's per-infrastructure Gardener settings.
#[derive(InputObject, Clone, Debug)]
pub struct ProviderSpecificInput {
    /// GCP settings.
    #[graphql(name = "gcpConfig")]
    pub gcp_config: Option<GcpProviderConfigInput>,
    /// Azure settings.
    pub azure_config: Option<AzureProviderConfigInput>,
    /// AWS settings.
    #[graphql(name = "awsConfig")]
    pub aws_config: Option<AwsProviderConfigInput>,
}

/// The original's GCP settings of a Gardener cluster.
#[derive(InputObject, Clone, Debug)]
#[graphql(name = "GCPProviderConfigInput")]
pub struct GcpProviderConfigInput {
    /// Zone.
    pub zone: Option<String>,
}

/// The original's Azure settings of a Gardener cluster.
#[derive(InputObject, Clone, Debug)]
pub struct AzureProviderConfigInput {
    /// CIDR range of the virtual network.
    pub vnet_cidr: Option<String>,
}

/// The original's AWS settings of a Gardener cluster.
#[derive(InputObject, Clone, Debug)]
#[graphql(name = "AWSProviderConfigInput")]
pub struct AwsProviderConfigInput {
    /// Zone.
    pub zone: Option<String>,
    /// CIDR range of the VPC.
    pub vpc_cidr: Option<String>,
    /// CIDR range of the public subnet.
    pub public_cidr: Option<String>,
    /// CIDR range of the private subnet.
    pub internal_cidr: Option<String>,
}

/// The original's GCP configuration, read only to be refused.
#[derive(InputObject, Clone, Debug)]
#[graphql(name = "GCPConfigInput")]
pub struct GcpConfigInput {
    /// Name of the cluster.
    pub name: Option<String>,
    /// GCP project.
    pub project_name: Option<String>,
    /// Kubernetes version.
    pub kubernetes_version: Option<String>,
    /// Number of nodes.
    pub number_of_nodes: Option<i32>,
    /// Boot disk size, in GB.
    #[graphql(name = "bootDiskSizeGB")]
    pub boot_disk_size_gb: Option<i32>,
    /// Machine type.
    pub machine_type: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
}

/// The original's Kyma configuration: taken and not used.
#[derive(InputObject, Clone, Debug)]
pub struct KymaConfigInput {
    /// Kyma version.
    pub version: Option<String>,
    /// Kyma modules.
    pub modules: Option<Vec<KymaModule>>,
}

/// What `upgradeRuntime` asks for.
#[derive(InputObject, Clone, Debug)]
pub struct UpgradeRuntimeInput {
    /// The cluster's new Kubernetes version.
    pub cluster_config: Option<UpgradeClusterInput>,
    /// Taken for compatibility and not used.
    pub kyma_config: Option<KymaConfigInput>,
}

/// The cluster's new version.
#[derive(InputObject, Clone, Debug)]
pub struct UpgradeClusterInput {
    /// Kubernetes version to move the cluster to.
    pub version: String,
}

impl ProvisionRuntimeInput {
    /// The provisioning request this input makes, when it names one of `providers`.
    pub fn request(self, providers: &[String]) -> ApiResult<ProvisioningSpec> {
        let cluster = self.cluster_config;
        let offered = providers.join(", ");
        let refuse = |field: &str, what: &str| {
            error(
                Code::InvalidInput,
                format!(
                    "config.clusterConfig.{field}: {what} is not provisioned here; give \
                     config.clusterConfig.providerConfig with one of the providers: {offered}"
                ),
            )
        };
        if cluster.gardener_config.is_some() {
            return Err(refuse("gardenerConfig", "a Gardener cluster"));
        }
        if cluster.gcp_config.is_some() {
            return Err(refuse("gcpConfig", "a GCP cluster"));
        }
        let Some(config) = cluster.provider_config else {
            return Err(error(
                Code::InvalidInput,
                format!(
                    "config.clusterConfig.providerConfig: required; name one of the providers: \
                     {offered}"
                ),
            ));
        };
        config.request(providers)
    }
}

impl ProviderConfigInput {
    fn request(self, providers: &[String]) -> ApiResult<ProvisioningSpec> {
        const FIELD: &str = "config.clusterConfig.providerConfig";
        let invalid = |message: String| error(Code::InvalidInput, format!("{FIELD}.{message}"));
        if !providers.contains(&self.provider) {
            return Err(invalid(format!(
                "provider: {:?} is not a provider here; the providers are: {}",
                self.provider,
                providers.join(", ")
            )));
        }
        let configuration = match self.configuration.map(|c| c.0) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Object(map)) => Some(map),
            Some(_) => return Err(invalid("configuration: must be a JSON object".to_owned())),
        };
        if let Some(version) = &self.kubernetes_version
            && (version.is_empty() || version.len() > 32)
        {
            return Err(invalid(
                "kubernetesVersion: must be 1 to 32 characters".to_owned(),
            ));
        }
        Ok(ProvisioningSpec {
            provider: self.provider,
            configuration,
            kubernetes_version: self.kubernetes_version,
        })
    }
}
