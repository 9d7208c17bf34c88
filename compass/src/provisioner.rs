//! The Runtime Provisioner as `compass up` runs it: the provisioning controller with the
//! `embedded` provider, whose runtimes are child processes of this one with their data under
//! `<data dir>/runtimes/`, the `kubeconfig` and `cluster-api` providers, which reach runtimes'
//! clusters only where the outbound policy permits, and agents' one-time tokens issued as
//! `requestOneTimeTokenForRuntime` issues them.

use std::{path::Path, sync::Arc, time::Duration};

use compass_api::{connector::tokens, metrics::ApiMetrics, state::Caches};
use compass_cache::Watches;
use compass_crds::{SubjectKind, TokenPurpose};
use compass_operator::{http::guard::OutboundPolicy, shutdown::Shutdown};
use compass_provisioner::{
    cluster_api::ClusterApiProvider,
    controller::{self, ProvisionerConfig, TokenIssuer},
    embedded::EmbeddedProvider,
    kubeconfig::KubeconfigProvider,
};
use kube::Client;

/// Where the provisioner's agents pair and whom they trust.
pub struct AgentsPairAt {
    /// The Connector's URL.
    pub connector_url: String,
    /// The CA of the management plane's serving certificate, PEM.
    pub ca_pem: String,
    /// How long an agent's one-time token is valid.
    pub token_lifetime: Duration,
}

/// Starts the provisioner; it runs until `stop`. Runtimes' existing clusters are reached only
/// where `outbound` permits.
pub fn start(
    client: Client,
    watches: &Watches,
    data_dir: &Path,
    agents: AgentsPairAt,
    outbound: OutboundPolicy,
    metrics: Arc<ApiMetrics>,
    stop: Shutdown,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let binary = std::env::current_exe()
        .map_err(|e| format!("finding the compass binary for embedded runtimes failed: {e}"))?;
    let embedded = EmbeddedProvider::new(binary, data_dir.join("runtimes"));
    let kubeconfig = KubeconfigProvider::new(client.clone(), outbound.clone());
    let cluster_api = ClusterApiProvider::new(client.clone(), outbound);
    let config = ProvisionerConfig {
        providers: vec![embedded, kubeconfig, cluster_api],
        issue_token: token_issuer(
            client.clone(),
            Caches::new(watches),
            agents.token_lifetime,
            metrics,
        ),
        connector_url: agents.connector_url,
        ca_cert: Some(agents.ca_pem),
    };
    Ok(tokio::spawn(controller::run(client, config, stop.wait())))
}

/// Issues a runtime's one-time token as the Director's `requestOneTimeTokenForRuntime` does:
/// only its digest is kept, in the runtime's SystemAuth.
fn token_issuer(
    client: Client,
    caches: Caches,
    lifetime: Duration,
    metrics: Arc<ApiMetrics>,
) -> TokenIssuer {
    Arc::new(move |namespace: String, name: String| {
        let (client, caches, metrics) = (client.clone(), caches.clone(), metrics.clone());
        Box::pin(async move {
            let subject = (SubjectKind::Runtime, name.as_str());
            let purpose = TokenPurpose::Pairing;
            tokens::issue(
                &client, &caches, &namespace, subject, purpose, lifetime, &metrics,
            )
            .await
            .map_err(|e| e.message)
        })
    })
}
