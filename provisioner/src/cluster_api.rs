//! The `cluster-api` provider: the runtime's cluster made by Cluster API on the management
//! plane, as a `cluster.x-k8s.io/v1beta2` `Cluster` with a managed topology (a ClusterClass)
//! named after the Runtime in its namespace. Once Cluster API has written the cluster's
//! kubeconfig Secret (`<name>-kubeconfig`), the agent is installed as the `kubeconfig` provider
//! installs it. Upgrades change the topology's version; deprovisioning deletes the Cluster,
//! and with it everything in it.

use std::{sync::Arc, time::Duration};

use compass_operator::http::guard::OutboundPolicy;
use futures_util::future::BoxFuture;
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client,
    api::{DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams},
    core::ApiResource,
};
use serde_json::{Value, json};

use crate::{
    cluster_api_settings::ClusterSettings,
    install::INSTALLED_FOR,
    kubeconfig::install_with,
    provider::{AgentBootstrap, Progress, Provider, ProviderError, RuntimeTarget},
    remote,
};

/// The provider's name in `spec.provisioning.provider`.
pub const CLUSTER_API: &str = "cluster-api";

/// Field manager of the Clusters the provider writes.
const FIELD_MANAGER: &str = "compass-provisioner";
/// The type and key of the kubeconfig Secret Cluster API writes for a cluster.
const KUBECONFIG_SECRET_TYPE: &str = "cluster.x-k8s.io/secret";
const KUBECONFIG_KEY: &str = "value";
/// How soon to look again while Cluster API works: clusters take minutes.
const POLL: Duration = Duration::from_secs(10);

/// Runtimes whose clusters Cluster API makes on the management plane.
pub struct ClusterApiProvider {
    management: Client,
    outbound: OutboundPolicy,
}

impl ClusterApiProvider {
    /// A provider writing Clusters through `management` and reaching the clusters only where
    /// `outbound` permits.
    pub fn new(management: Client, outbound: OutboundPolicy) -> Arc<Self> {
        Arc::new(Self {
            management,
            outbound,
        })
    }

    fn clusters(&self, namespace: &str) -> Api<DynamicObject> {
        let gvk = GroupVersionKind::gvk("cluster.x-k8s.io", "v1beta2", "Cluster");
        let resource = ApiResource::from_gvk(&gvk);
        Api::namespaced_with(self.management.clone(), namespace, &resource)
    }

    /// The runtime's Cluster when it exists; refused when someone else made it.
    async fn ours(&self, runtime: &RuntimeTarget) -> Result<Option<DynamicObject>, ProviderError> {
        let cluster = self
            .clusters(&runtime.namespace)
            .get_opt(&runtime.name)
            .await
            .map_err(|e| failed(runtime, "reading", e))?;
        match cluster {
            Some(cluster) if !labelled_for(&cluster, runtime) => {
                Err(ProviderError::Invalid(format!(
                    "{} exists and was not made by Compass for this runtime",
                    described(runtime)
                )))
            }
            found => Ok(found),
        }
    }

    async fn provision_now(
        &self,
        runtime: &RuntimeTarget,
        agent: Option<&AgentBootstrap>,
    ) -> Result<Progress, ProviderError> {
        let settings = ClusterSettings::parse(&runtime.request)?;
        // An existing Cluster keeps its spec: only an Upgrade changes its version.
        let cluster = match self.ours(runtime).await? {
            Some(cluster) => cluster,
            None => self.create(runtime, &settings).await?,
        };
        let secrets: Api<Secret> = Api::namespaced(self.management.clone(), &runtime.namespace);
        let secret_name = format!("{}-kubeconfig", runtime.name);
        let secret = secrets.get_opt(&secret_name).await.map_err(|e| {
            ProviderError::Failed(format!("reading Secret {secret_name} failed: {e}"))
        })?;
        let Some(secret) = secret else {
            let phase = cluster.data["status"]["phase"]
                .as_str()
                .unwrap_or("Pending");
            return Ok(Progress::Waiting(
                format!(
                    "waiting for Cluster API to make the cluster: {} is {phase}, its kubeconfig \
                     Secret {secret_name} does not exist yet",
                    described(runtime)
                ),
                POLL,
            ));
        };
        let source = format!("in Secret {}/{secret_name}", runtime.namespace);
        let text = kubeconfig_of(&secret, &source)?;
        let kubeconfig = remote::parse(&text, &source)?;
        install_with(
            kubeconfig,
            &source,
            &self.outbound,
            runtime,
            &settings.image,
            agent,
        )
        .await
    }

    /// Writes the runtime's Cluster with server-side apply.
    async fn create(
        &self,
        runtime: &RuntimeTarget,
        settings: &ClusterSettings,
    ) -> Result<DynamicObject, ProviderError> {
        let cluster = settings.cluster(runtime);
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let written = self
            .clusters(&runtime.namespace)
            .patch(&runtime.name, &params, &Patch::Apply(&cluster))
            .await;
        match written {
            Ok(written) => Ok(written),
            Err(kube::Error::Api(status)) if status.code == 404 => Err(ProviderError::Failed(
                "Cluster API is not installed on the management plane: it serves no \
                 cluster.x-k8s.io/v1beta2 Clusters (install it with clusterctl init)"
                    .into(),
            )),
            Err(e) => Err(failed(runtime, "writing", e)),
        }
    }

    async fn upgrade_now(&self, runtime: &RuntimeTarget) -> Result<Progress, ProviderError> {
        let version = ClusterSettings::version(&runtime.request)?;
        let Some(mut cluster) = self.ours(runtime).await? else {
            let missing = format!(
                "{} does not exist: provision the runtime first",
                described(runtime)
            );
            return Err(ProviderError::Failed(missing));
        };
        if cluster.data["spec"]["topology"]["version"] != version.as_str() {
            // A merge patch changes the version alone; every other field stays as it is.
            let patch = json!({ "spec": { "topology": { "version": version } } });
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..PatchParams::default()
            };
            cluster = self
                .clusters(&runtime.namespace)
                .patch(&runtime.name, &params, &Patch::Merge(&patch))
                .await
                .map_err(|e| failed(runtime, "changing the version of", e))?;
        }
        let generation = cluster.metadata.generation.unwrap_or_default();
        if topology_reconciled(&cluster.data, generation) {
            return Ok(Progress::Done(format!(
                "{} runs Kubernetes {version}: Cluster API reports its topology reconciled",
                described(runtime)
            )));
        }
        Ok(Progress::Waiting(
            format!(
                "waiting for Cluster API to roll {} out to Kubernetes {version} (condition \
                 TopologyReconciled True for generation {generation})",
                described(runtime)
            ),
            POLL,
        ))
    }

    async fn deprovision_now(&self, runtime: &RuntimeTarget) -> Result<Progress, ProviderError> {
        let cluster = self
            .clusters(&runtime.namespace)
            .get_opt(&runtime.name)
            .await
            .map_err(|e| failed(runtime, "reading", e))?;
        let Some(cluster) = cluster else {
            return Ok(Progress::Done(format!("{} is gone", described(runtime))));
        };
        if !labelled_for(&cluster, runtime) {
            return Ok(Progress::Done(format!(
                "{} was not made by Compass for this runtime: left as it is",
                described(runtime)
            )));
        }
        if cluster.metadata.deletion_timestamp.is_none() {
            let deleted = self
                .clusters(&runtime.namespace)
                .delete(&runtime.name, &DeleteParams::foreground())
                .await;
            match deleted {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => return Err(failed(runtime, "deleting", e)),
            }
        }
        Ok(Progress::Waiting(
            format!("waiting for Cluster API to delete {}", described(runtime)),
            POLL,
        ))
    }
}

impl Provider for ClusterApiProvider {
    fn name(&self) -> &'static str {
        CLUSTER_API
    }

    fn provision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
        agent: Option<&'a AgentBootstrap>,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.provision_now(runtime, agent))
    }

    fn upgrade<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.upgrade_now(runtime))
    }

    fn deprovision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.deprovision_now(runtime))
    }
}

fn described(runtime: &RuntimeTarget) -> String {
    format!("Cluster {}/{}", runtime.namespace, runtime.name)
}

fn failed(runtime: &RuntimeTarget, what: &str, error: kube::Error) -> ProviderError {
    ProviderError::Failed(format!("{what} {} failed: {error}", described(runtime)))
}

fn labelled_for(cluster: &DynamicObject, runtime: &RuntimeTarget) -> bool {
    let labels = cluster.metadata.labels.as_ref();
    labels.and_then(|l| l.get(INSTALLED_FOR)) == Some(&runtime.id)
}

/// The kubeconfig of a Cluster API kubeconfig Secret.
fn kubeconfig_of(secret: &Secret, source: &str) -> Result<String, ProviderError> {
    if secret.type_.as_deref() != Some(KUBECONFIG_SECRET_TYPE) {
        return Err(ProviderError::Failed(format!(
            "the Secret {source} is not a Cluster API kubeconfig (its type is not \
             {KUBECONFIG_SECRET_TYPE})"
        )));
    }
    let value = secret.data.as_ref().and_then(|d| d.get(KUBECONFIG_KEY));
    let text = value.and_then(|v| String::from_utf8(v.0.clone()).ok());
    text.ok_or_else(|| {
        ProviderError::Failed(format!(
            "the Secret {source} has no text key {KUBECONFIG_KEY}"
        ))
    })
}

/// Whether Cluster API reports the topology of generation `generation` (or later) reconciled:
/// the `TopologyReconciled` condition True, observed at that generation. Cluster API keeps it
/// False (ClusterUpgrading, ...) while a version change rolls out to the control plane and the
/// workers.
pub(crate) fn topology_reconciled(cluster: &Value, generation: i64) -> bool {
    let conditions = cluster["status"]["conditions"].as_array();
    conditions.into_iter().flatten().any(|condition| {
        // A condition without its own observedGeneration was observed with the status.
        let observed = condition["observedGeneration"]
            .as_i64()
            .or_else(|| cluster["status"]["observedGeneration"].as_i64());
        condition["type"] == "TopologyReconciled"
            && condition["status"] == "True"
            && observed.is_some_and(|observed| observed >= generation)
    })
}
