//! The contract between the provisioner and a provider. A provider makes a runtime's cluster
//! exist and the Runtime Agent run in it, and removes both on request; it is called again until
//! it says it is done, so each call must be idempotent and return quickly, reporting progress.
//! A provider never touches the Director's objects (Applications, Runtimes, scenarios): what it
//! needs of them arrives here. It may read and write objects of its own on the management plane
//! (a kubeconfig Secret, a Cluster API `Cluster`) in the Runtime's namespace only.

use std::{fmt, time::Duration};

use compass_crds::provisioning::ProvisioningSpec;
use futures_util::future::BoxFuture;

/// The runtime a provider works for.
#[derive(Clone, Debug)]
pub struct RuntimeTarget {
    /// The tenant namespace of the Runtime.
    pub namespace: String,
    /// The Runtime's name.
    pub name: String,
    /// The runtime's id (the Runtime's uid).
    pub id: String,
    /// What the Runtime asks for.
    pub request: ProvisioningSpec,
}

/// What the Runtime Agent needs to pair: its configuration keys, as the agent's configuration
/// Secret holds them.
#[derive(Clone)]
pub struct AgentBootstrap {
    /// The Connector's URL (`CONNECTOR_URL`).
    pub connector_url: String,
    /// The runtime's id (`RUNTIME_ID`).
    pub runtime_id: String,
    /// The external id of the runtime's tenant (`TENANT`).
    pub tenant: String,
    /// A fresh one-time token for the runtime (`TOKEN`); never logged.
    pub token: String,
    /// The CA the management plane's serving certificate chains to, PEM (`CA_CERT`).
    pub ca_cert: Option<String>,
}

impl fmt::Debug for AgentBootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentBootstrap")
            .field("connector_url", &self.connector_url)
            .field("runtime_id", &self.runtime_id)
            .field("tenant", &self.tenant)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// How far a provider got.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Done; the message says what stands.
    Done(String),
    /// Under way; the message says what it waits for, and when to call again.
    Waiting(String, Duration),
}

/// Why a provider step failed; retried with backoff until the operation's bound.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The request's configuration is not usable: not retried.
    #[error("{0}")]
    Invalid(String),
    /// The step failed and may work when tried again.
    #[error("{0}")]
    Failed(String),
}

/// A provider of runtimes' clusters.
pub trait Provider: Send + Sync {
    /// The name Runtimes ask for in `spec.provisioning.provider`.
    fn name(&self) -> &'static str;

    /// Makes the cluster exist and the agent run in it. `agent` is the agent's configuration with
    /// a fresh token while the runtime has not been provisioned; after that (say when the
    /// management plane restarts) it is `None`, and an agent started again keeps its identity.
    ///
    /// A ReconnectRuntime operation calls this again on a provisioned runtime with a fresh
    /// `agent`: the provider then replaces the agent's configuration and makes the agent pair
    /// again with it (deleting the runtime's `CompassConnection` does that), whatever the agent
    /// held before.
    fn provision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
        agent: Option<&'a AgentBootstrap>,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>>;

    /// Changes the provisioned cluster's Kubernetes version to `runtime.request.kubernetes_version`
    /// (an Upgrade operation). Providers that cannot choose the version refuse with
    /// [`ProviderError::Invalid`], which is the default.
    fn upgrade<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>> {
        let refusal = format!(
            "provider {} cannot change a runtime's Kubernetes version",
            self.name()
        );
        let _ = runtime;
        Box::pin(async move { Err(ProviderError::Invalid(refusal)) })
    }

    /// Removes the agent and, for a cluster the provider made, the cluster; also what a
    /// provisioning cut short left.
    fn deprovision<'a>(
        &'a self,
        runtime: &'a RuntimeTarget,
    ) -> BoxFuture<'a, Result<Progress, ProviderError>>;

    /// Stops what the provider runs in this process (child processes, say) when the
    /// provisioner stops; what it made elsewhere stays. The default does nothing.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
