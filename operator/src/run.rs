//! Running the operator against an API server: leader election and the controllers, until
//! shutdown. The process around it (`compass operator`, `compass up`) serves the admin listener
//! from the same metrics, readiness flag and caches.

use std::sync::{Arc, atomic::AtomicBool};

use kube::Client;

use crate::{
    controllers::{self, OperatorConfig, stores::Watches},
    leader::LeaderElection,
    metrics::Metrics,
    shutdown::Shutdown,
};

/// How the operator runs.
pub struct OperatorOptions {
    /// Controller tunables.
    pub config: OperatorConfig,
    /// Where the controllers count their work, for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Turns true once the caches are synced and the controllers run (`/readyz`).
    pub ready: Arc<AtomicBool>,
    /// For the only operator of an installation (`compass up`): the prefix of its leader
    /// identity, under which a Lease left by a killed earlier run is taken over at once.
    pub sole_identity: Option<String>,
}

/// Runs the controllers over `watches` until `shutdown`, or until the operator loses leadership
/// (an error: the process should restart rather than reconcile beside the new leader).
pub async fn run(
    client: Client,
    watches: Watches,
    options: OperatorOptions,
    shutdown: Shutdown,
) -> Result<(), String> {
    let namespace = &options.config.system_namespace;
    let election = match &options.sole_identity {
        Some(prefix) => LeaderElection::sole(namespace, prefix),
        None => LeaderElection::new(namespace),
    };
    if !election.acquire(&client, &shutdown).await {
        return Ok(());
    }
    let controllers = controllers::run(
        client.clone(),
        watches,
        options.config,
        options.metrics,
        options.ready,
        shutdown.clone(),
    );
    let leadership = election.keep(&client, shutdown.clone());
    let outcome = tokio::select! {
        () = controllers => Ok(()),
        kept = leadership => match kept {
            Ok(()) if shutdown.started() => Ok(()),
            Ok(()) => Err("lost leadership to another replica".to_owned()),
            Err(error) => Err(format!("could not renew leadership: {error}")),
        },
    };
    // Whether shut down or failing, give the Lease up so that the next start need not wait.
    election.release(&client).await;
    outcome
}
