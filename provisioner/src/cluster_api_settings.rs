//! What a Runtime asks of the `cluster-api` provider (`spec.provisioning.configuration` and
//! `kubernetesVersion`), each refusal naming the field and the rule, and the `Cluster` it
//! becomes.

use compass_crds::provisioning::ProvisioningSpec;
use serde_json::{Map, Value, json};

use crate::{
    install::INSTALLED_FOR,
    kubeconfig::{image_field, name_field, required},
    provider::{ProviderError, RuntimeTarget},
    render,
};

const CONFIGURATION: &str = "spec.provisioning.configuration";
/// The worker class of the ClusterClass unless the configuration names another.
const DEFAULT_WORKER_CLASS: &str = "default-worker";
/// The name of the one MachineDeployment of the topology.
const WORKER_POOL: &str = "workers";
/// Most replicas a configuration may ask for, a bound against typing mistakes.
const MOST_REPLICAS: i64 = 1000;

/// The cluster a Runtime asks Cluster API for.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSettings {
    /// The ClusterClass.
    pub class: String,
    /// Its namespace, when not the Runtime's.
    pub class_namespace: Option<String>,
    /// The Kubernetes version (`v1.33.1`).
    pub version: String,
    /// Worker machines.
    pub workers: i64,
    /// The ClusterClass's worker class.
    pub worker_class: String,
    /// Control plane machines, when not the ClusterClass's default.
    pub control_plane_replicas: Option<i64>,
    /// The agent's image.
    pub image: String,
}

impl ClusterSettings {
    /// Reads the request; each refusal names the field.
    pub fn parse(request: &ProvisioningSpec) -> Result<Self, ProviderError> {
        let empty = Map::new();
        let configuration = request.configuration.as_ref().unwrap_or(&empty);
        let class = name_field(configuration, "clusterClass", CONFIGURATION)?
            .ok_or_else(|| required(&format!("{CONFIGURATION}.clusterClass")))?;
        let class_namespace = name_field(configuration, "clusterClassNamespace", CONFIGURATION)?;
        let workers = count(configuration, "workers", 0)?.unwrap_or(1);
        let worker_class = name_field(configuration, "workerClass", CONFIGURATION)?
            .unwrap_or_else(|| DEFAULT_WORKER_CLASS.to_owned());
        let control_plane_replicas = count(configuration, "controlPlaneReplicas", 1)?;
        let image = image_field(configuration)?.unwrap_or_else(render::default_image);
        Ok(Self {
            class,
            class_namespace,
            version: Self::version(request)?,
            workers,
            worker_class,
            control_plane_replicas,
            image,
        })
    }

    /// The requested Kubernetes version, which this provider requires: `v` and three numbers.
    pub fn version(request: &ProvisioningSpec) -> Result<String, ProviderError> {
        let field = "spec.provisioning.kubernetesVersion";
        let version = request.kubernetes_version.as_deref().ok_or_else(|| {
            ProviderError::Invalid(format!(
                "{field} is required by the cluster-api provider (such as v1.33.1)"
            ))
        })?;
        if !semantic_version(version) {
            return Err(ProviderError::Invalid(format!(
                "{field} must be a version as Cluster API takes it, v and three numbers (such as \
                 v1.33.1), not {version:?}"
            )));
        }
        Ok(version.to_owned())
    }

    /// The `Cluster` of `runtime`: a managed topology of the ClusterClass, labelled as the
    /// runtime's.
    pub fn cluster(&self, runtime: &RuntimeTarget) -> Value {
        let mut class_ref = json!({ "name": self.class });
        if let Some(namespace) = &self.class_namespace {
            class_ref["namespace"] = json!(namespace);
        }
        let mut topology = json!({
            "classRef": class_ref,
            "version": self.version,
            "workers": { "machineDeployments": [{
                "class": self.worker_class,
                "name": WORKER_POOL,
                "replicas": self.workers,
            }]},
        });
        if let Some(replicas) = self.control_plane_replicas {
            topology["controlPlane"] = json!({ "replicas": replicas });
        }
        json!({
            "apiVersion": "cluster.x-k8s.io/v1beta2",
            "kind": "Cluster",
            "metadata": {
                "name": runtime.name,
                "namespace": runtime.namespace,
                "labels": { INSTALLED_FOR: runtime.id },
            },
            "spec": { "topology": topology },
        })
    }
}

/// The optional whole number `name` of `configuration`, at least `least`.
fn count(
    configuration: &Map<String, Value>,
    name: &str,
    least: i64,
) -> Result<Option<i64>, ProviderError> {
    match configuration.get(name) {
        None => Ok(None),
        Some(value) => match value.as_i64() {
            Some(n) if (least..=MOST_REPLICAS).contains(&n) => Ok(Some(n)),
            _ => Err(ProviderError::Invalid(format!(
                "{CONFIGURATION}.{name} must be a whole number from {least} to {MOST_REPLICAS}"
            ))),
        },
    }
}

/// `v1.33.1`, optionally with a pre-release or build suffix (`v1.33.1+k3s1`).
fn semantic_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let numbers: Vec<&str> = core.split('.').collect();
    version.len() <= 32
        && numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(configuration: Value, version: Option<&str>) -> ProvisioningSpec {
        ProvisioningSpec {
            provider: "cluster-api".into(),
            configuration: configuration.as_object().cloned(),
            kubernetes_version: version.map(str::to_owned),
        }
    }

    fn refusal(configuration: Value, version: Option<&str>) -> String {
        match ClusterSettings::parse(&request(configuration, version)) {
            Err(ProviderError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_refusals_name_each_field() {
        let settings = ClusterSettings::parse(&request(
            json!({ "clusterClass": "quick" }),
            Some("v1.33.1"),
        ))
        .unwrap();
        assert_eq!(
            (settings.workers, settings.worker_class.as_str()),
            (1, "default-worker")
        );
        assert_eq!(settings.control_plane_replicas, None);
        let class = json!({ "clusterClass": "quick" });
        assert!(refusal(class.clone(), None).contains("spec.provisioning.kubernetesVersion"));
        assert!(refusal(class.clone(), Some("1.33")).contains("kubernetesVersion"));
        assert!(refusal(json!({}), Some("v1.33.1")).contains("configuration.clusterClass"));
        let negative = json!({ "clusterClass": "quick", "workers": -1 });
        assert!(refusal(negative, Some("v1.33.1")).contains("configuration.workers"));
        let zero = json!({ "clusterClass": "quick", "controlPlaneReplicas": 0 });
        assert!(refusal(zero, Some("v1.33.1")).contains("configuration.controlPlaneReplicas"));
        let namespace = json!({ "clusterClass": "quick", "clusterClassNamespace": "A" });
        assert!(refusal(namespace, Some("v1.33.1")).contains("clusterClassNamespace"));
        assert!(semantic_version("v1.33.1+k3s1"));
    }
}
