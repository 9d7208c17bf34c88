//! Running the operator against an API server: the admin listener, leader election and the
//! controllers, until shutdown. Shared by `compass operator` and `compass up`.

use std::{
    net::SocketAddr,
    sync::{Arc, atomic::AtomicBool},
};

use kube::Client;

use crate::{
    admin::{self, AdminState},
    controllers::{self, OperatorConfig, stores::Watches},
    leader::LeaderElection,
    metrics::Metrics,
    shutdown::Shutdown,
};

/// How the operator runs.
pub struct OperatorOptions {
    /// Where the admin listener binds.
    pub admin_address: SocketAddr,
    /// Controller tunables.
    pub config: OperatorConfig,
    /// Turns true once the caches are synced and the controllers run (`/readyz`).
    pub ready: Arc<AtomicBool>,
    /// For the only operator of an installation (`compass up`): the prefix of its leader
    /// identity, under which a Lease left by a killed earlier run is taken over at once.
    pub sole_identity: Option<String>,
}

/// Runs the operator until `shutdown`, or until it loses leadership (an error: the process should
/// restart rather than reconcile beside the new leader).
pub async fn run(
    client: Client,
    options: OperatorOptions,
    shutdown: Shutdown,
) -> Result<(), String> {
    let metrics = Arc::new(Metrics::default());
    let ready = options.ready.clone();
    let listener = admin::bind(options.admin_address).await.map_err(|e| {
        format!(
            "binding the admin listener on {} failed: {e}",
            options.admin_address
        )
    })?;
    let namespace = &options.config.system_namespace;
    let election = match &options.sole_identity {
        Some(prefix) => LeaderElection::sole(namespace, prefix),
        None => LeaderElection::new(namespace),
    };
    let watches = Watches::default();
    let admin_state = AdminState {
        metrics: metrics.clone(),
        ready: ready.clone(),
        stores: Some(watches.stores()),
    };
    let admin = tokio::spawn(admin::serve(listener, admin_state, shutdown.clone()));
    if !election.acquire(&client, &shutdown).await {
        let _ = admin.await;
        return Ok(());
    }
    let controllers = controllers::run(
        client.clone(),
        watches,
        options.config,
        metrics,
        ready,
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
    let _ = admin.await;
    outcome
}
