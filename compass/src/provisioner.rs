//! The Runtime Provisioner: the provisioning controller with its providers, and agents'
//! one-time tokens issued as `requestOneTimeTokenForRuntime` issues them. Under `compass up` the
//! `embedded` provider runs runtimes as child processes with their data under
//! `<data dir>/runtimes/`; `compass provisioner` on a cluster runs each as a StatefulSet. Both
//! run the `kubeconfig` and `cluster-api` providers, which reach runtimes' clusters only where
//! the outbound policy permits.

use std::{
    path::Path,
    process::ExitCode,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use compass_api::{connector::tokens, metrics::ApiMetrics, state::Shared};
use compass_cache::Watches;
use compass_crds::{SubjectKind, SystemAuth, TokenPurpose};
use compass_operator::{
    http::guard::OutboundPolicy,
    metrics::Metrics,
    shutdown::{self, Shutdown},
};
use compass_provisioner::{
    cluster_api::ClusterApiProvider,
    controller::{self, ProvisionerConfig, TokenIssuer},
    embedded::EmbeddedProvider,
    hosted::HostedEmbeddedProvider,
    kubeconfig::KubeconfigProvider,
    provider::Provider,
};
use kube::Client;

use crate::{
    admin::{self, AdminState},
    cli::ProvisionerArgs,
    cluster,
};

/// Where the provisioner's agents pair and whom they trust.
pub struct AgentsPairAt {
    /// The Connector's URL.
    pub connector_url: String,
    /// The CA of the management plane's serving certificate, PEM.
    pub ca_pem: Option<String>,
    /// How long an agent's one-time token is valid.
    pub token_lifetime: Duration,
}

/// The providers `compass up` runs: `embedded` as child processes of this one, with their data
/// under `data_dir`, and the providers of existing and Cluster API clusters.
pub fn local_providers(
    client: &Client,
    data_dir: &Path,
    outbound: OutboundPolicy,
) -> Result<Vec<Arc<dyn Provider>>, String> {
    let binary = std::env::current_exe()
        .map_err(|e| format!("finding the compass binary for embedded runtimes failed: {e}"))?;
    let embedded = EmbeddedProvider::new(binary, data_dir.join("runtimes"));
    Ok(vec![
        embedded,
        existing_clusters(client, outbound.clone()),
        cluster_api(client, outbound),
    ])
}

fn existing_clusters(client: &Client, outbound: OutboundPolicy) -> Arc<dyn Provider> {
    KubeconfigProvider::new(client.clone(), outbound)
}

fn cluster_api(client: &Client, outbound: OutboundPolicy) -> Arc<dyn Provider> {
    ClusterApiProvider::new(client.clone(), outbound)
}

/// Starts the provisioner with `providers`; it runs until `stop`.
pub fn start(
    client: Client,
    watches: &Watches,
    providers: Vec<Arc<dyn Provider>>,
    agents: AgentsPairAt,
    metrics: Arc<ApiMetrics>,
    stop: Shutdown,
) -> tokio::task::JoinHandle<()> {
    // Of the Director's stores, tokens need only the identities.
    let auths = watches.system_auths();
    let issue_token = token_issuer(
        client.clone(),
        auths.clone(),
        agents.token_lifetime,
        metrics,
    );
    let config = ProvisionerConfig {
        providers,
        issue_token,
        connector_url: agents.connector_url,
        ca_cert: agents.ca_pem,
    };
    let watches = watches.clone();
    tokio::spawn(async move {
        // Tokens are issued against the stores: one read before they are filled could miss a
        // runtime's identity and make a second one.
        tokio::select! {
            _ = auths.ready() => {}
            () = stop.clone().wait() => return,
        }
        controller::run(client, config, &watches, stop.wait()).await;
    })
}

/// `compass provisioner`: the provisioner against any Kubernetes API server, the `embedded`
/// provider placing runtimes as StatefulSets in `--runtimes-namespace`.
pub async fn run(args: ProvisionerArgs) -> ExitCode {
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ProvisionerArgs) -> Result<(), String> {
    let client = cluster::client(&args.cluster).await?;
    let ca_pem = match &args.agent_ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("reading --agent-ca-file {} failed: {e}", path.display()))?,
        ),
        None => None,
    };
    let image = args
        .image
        .unwrap_or_else(compass_provisioner::render::default_image);
    let outbound = args.outbound.policy();
    let hosted = HostedEmbeddedProvider::new(client.clone(), args.runtimes_namespace, image);
    let providers = vec![
        hosted as Arc<dyn Provider>,
        existing_clusters(&client, outbound.clone()),
        cluster_api(&client, outbound),
    ];
    let agents = AgentsPairAt {
        connector_url: args.connector_url,
        ca_pem,
        token_lifetime: args.token_lifetime,
    };
    let listener = admin::bind(args.admin_address).await.map_err(|e| {
        format!(
            "binding the admin listener on {} failed: {e}",
            args.admin_address
        )
    })?;
    let (trigger, stop) = shutdown::channel();
    let state = AdminState {
        metrics: Arc::new(Metrics::default()),
        ready: Arc::new(AtomicBool::new(true)),
        stores: None,
    };
    let admin = tokio::spawn(admin::serve(listener, state, stop.clone()));
    let watches = Watches::new(client.clone());
    let metrics = Arc::new(ApiMetrics::default());
    let provisioner = start(client, &watches, providers, agents, metrics, stop);
    println!("compass: provisioner running");
    shutdown::signal().await;
    trigger.fire();
    let _ = provisioner.await;
    let _ = admin.await;
    Ok(())
}

/// Issues a runtime's one-time token as the Director's `requestOneTimeTokenForRuntime` does:
/// only its digest is kept, in the runtime's SystemAuth.
fn token_issuer(
    client: Client,
    auths: Shared<SystemAuth>,
    lifetime: Duration,
    metrics: Arc<ApiMetrics>,
) -> TokenIssuer {
    Arc::new(move |namespace: String, name: String| {
        let (client, auths, metrics) = (client.clone(), auths.clone(), metrics.clone());
        Box::pin(async move {
            let subject = (SubjectKind::Runtime, name.as_str());
            let purpose = TokenPurpose::Pairing;
            tokens::issue(
                &client, &auths, &namespace, subject, purpose, lifetime, &metrics,
            )
            .await
            .map_err(|e| e.message)
        })
    })
}
