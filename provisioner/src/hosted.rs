//! The `embedded` provider on a real cluster: each runtime's control plane (`compass apiserver`)
//! and its agent (`compass agent`) run as one StatefulSet with a Service in a namespace of the
//! host cluster, as virtual-cluster projects run theirs. The provisioner makes the control
//! plane's identity (its CA and admin token) itself and keeps it in a Secret the pod starts
//! from, so it can reach the runtime's control plane through the Service and write the agent's
//! configuration there, as an installation into any cluster would. Everything it makes carries
//! the runtime's id as a label; deprovisioning deletes exactly that, volumes included.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use futures_util::future::BoxFuture;
use k8s_openapi::{
    ByteString,
    api::{
        apps::v1::StatefulSet,
        core::v1::{PersistentVolumeClaim, Secret, Service},
    },
};
use kube::{
    Api, Client,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};

use crate::{
    embedded::EMBEDDED,
    hosted_render::{RuntimeWorkload, SERVICE_KUBECONFIG},
    install::INSTALLED_FOR,
    provider::{AgentBootstrap, Progress, Provider, ProviderError, RuntimeTarget},
};

/// Field manager of what the provider writes on the host cluster.
const FIELD_MANAGER: &str = "compass-provisioner";
/// How soon to look again while the runtime's pod starts or its objects go.
const POLL: Duration = Duration::from_secs(2);

/// Runtimes as StatefulSets on the cluster the provisioner runs in.
pub struct HostedEmbeddedProvider {
    client: Client,
    /// Namespace of the runtimes' StatefulSets.
    namespace: String,
    /// The `compass` image the runtimes' pods run.
    image: String,
}

impl HostedEmbeddedProvider {
    /// A provider placing runtimes in `namespace` of the cluster `client` reaches, running
    /// `image`.
    pub fn new(client: Client, namespace: String, image: String) -> Arc<Self> {
        Arc::new(Self {
            client,
            namespace,
            image,
        })
    }

    fn workload(&self, runtime: &RuntimeTarget) -> RuntimeWorkload {
        RuntimeWorkload::new(runtime, &self.namespace, &self.image)
    }

    async fn provision_now(
        &self,
        runtime: &RuntimeTarget,
        agent: Option<&AgentBootstrap>,
    ) -> Result<Progress, ProviderError> {
        let workload = self.workload(runtime);
        let identity = self.identity(&workload).await?;
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let services: Api<Service> = Api::namespaced(self.client.clone(), &self.namespace);
        services
            .patch(&workload.name, &params, &Patch::Apply(workload.service()))
            .await
            .map_err(|e| failed("applying the runtime's Service", e))?;
        let sets: Api<StatefulSet> = Api::namespaced(self.client.clone(), &self.namespace);
        sets.patch(
            &workload.name,
            &params,
            &Patch::Apply(workload.stateful_set()),
        )
        .await
        .map_err(|e| failed("applying the runtime's StatefulSet", e))?;
        let Some(runtime_client) = reach(&identity).await else {
            let waiting = format!(
                "waiting for the runtime's control plane (StatefulSet {}/{}) to answer at {}",
                self.namespace,
                workload.name,
                workload.url()
            );
            return Ok(Progress::Waiting(waiting, POLL));
        };
        if let Some(agent) = agent {
            crate::embedded::configure_agent(&runtime_client, agent).await?;
        }
        Ok(Progress::Done(format!(
            "a control plane and its agent run in StatefulSet {}/{}, served at {}",
            self.namespace,
            workload.name,
            workload.url()
        )))
    }

    /// The kubeconfig of the runtime's control plane, from its identity Secret, made (once)
    /// when missing.
    async fn identity(&self, workload: &RuntimeWorkload) -> Result<String, ProviderError> {
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let name = workload.identity_secret();
        let existing = secrets
            .get_opt(&name)
            .await
            .map_err(|e| failed("reading the runtime's identity", e))?;
        let secret = match existing {
            Some(secret) => secret,
            None => {
                let identity = compass_apiserver::pki::new_identity().map_err(|e| {
                    ProviderError::Failed(format!("making the runtime's identity failed: {e}"))
                })?;
                let made = workload.identity(&identity);
                // Created, never applied over: an identity is made once and kept.
                match secrets.create(&PostParams::default(), &made).await {
                    Ok(secret) => secret,
                    Err(kube::Error::Api(status)) if status.code == 409 => secrets
                        .get(&name)
                        .await
                        .map_err(|e| failed("reading the runtime's identity", e))?,
                    Err(e) => return Err(failed("writing the runtime's identity", e)),
                }
            }
        };
        let kubeconfig = secret
            .data
            .and_then(|data| data.get(SERVICE_KUBECONFIG).cloned())
            .ok_or_else(|| {
                ProviderError::Failed(format!("the identity Secret {name} holds no kubeconfig"))
            })?;
        String::from_utf8(kubeconfig.0)
            .map_err(|_| ProviderError::Failed(format!("the identity Secret {name} is not text")))
    }

    async fn deprovision_now(&self, runtime: &RuntimeTarget) -> Result<Progress, ProviderError> {
        let selector = format!("{INSTALLED_FOR}={}", runtime.id);
        let listed = ListParams::default().labels(&selector);
        let remaining = self.delete_all::<StatefulSet>(&listed).await?
            + self.delete_all::<Service>(&listed).await?
            + self.delete_all::<Secret>(&listed).await?
            + self.delete_all::<PersistentVolumeClaim>(&listed).await?;
        if remaining > 0 {
            let waiting = format!("waiting for {remaining} of the runtime's objects to go");
            return Ok(Progress::Waiting(waiting, POLL));
        }
        Ok(Progress::Done(format!(
            "the runtime's StatefulSet, Service, identity and volumes in {} are deleted",
            self.namespace
        )))
    }

    /// Deletes every object of kind `K` the selector finds; answers how many were still there.
    async fn delete_all<K>(&self, listed: &ListParams) -> Result<usize, ProviderError>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), &self.namespace);
        let kind = K::kind(&K::DynamicType::default()).into_owned();
        let found = api
            .list_metadata(listed)
            .await
            .map_err(|e| failed(&format!("listing the runtime's {kind}s"), e))?;
        for object in &found.items {
            let name = object.metadata.name.clone().unwrap_or_default();
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => return Err(failed(&format!("deleting {kind} {name}"), e)),
            }
        }
        Ok(found.items.len())
    }
}

impl Provider for HostedEmbeddedProvider {
    fn name(&self) -> &'static str {
        EMBEDDED
    }

    fn provision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
        agent: Option<&'a AgentBootstrap>,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.provision_now(runtime, agent))
    }

    fn deprovision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        Box::pin(self.deprovision_now(runtime))
    }
}

fn failed(what: &str, error: kube::Error) -> ProviderError {
    ProviderError::Failed(format!("{what} failed: {error}"))
}

/// A client of the runtime's control plane, once it answers.
async fn reach(kubeconfig: &str) -> Option<Client> {
    let kubeconfig = Kubeconfig::from_yaml(kubeconfig).ok()?;
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .ok()?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(20));
    let client = Client::try_from(config).ok()?;
    client.apiserver_version().await.ok()?;
    Some(client)
}

/// The labels of everything made for `runtime`.
pub(crate) fn labels_of(runtime: &RuntimeTarget, name: &str) -> BTreeMap<String, String> {
    [
        ("app.kubernetes.io/name", "compass-runtime"),
        ("app.kubernetes.io/instance", name),
        ("app.kubernetes.io/part-of", "compass"),
        ("app.kubernetes.io/managed-by", FIELD_MANAGER),
        (INSTALLED_FOR, runtime.id.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// `ObjectMeta` of an object named `name` in `namespace` made for `runtime`.
pub(crate) fn metadata(runtime: &RuntimeTarget, namespace: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(labels_of(runtime, name)),
        ..ObjectMeta::default()
    }
}

/// Secret data from text entries.
pub(crate) fn secret_data(
    entries: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, ByteString> {
    entries
        .into_iter()
        .map(|(k, v)| (k, ByteString(v.into_bytes())))
        .collect()
}
