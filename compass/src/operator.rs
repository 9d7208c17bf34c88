//! `compass operator`: the controllers against any Kubernetes API server, with the admin listener
//! beside them; and the same wiring for `compass up`.

use std::{
    net::SocketAddr,
    process::ExitCode,
    sync::{Arc, atomic::AtomicBool},
};

use compass_operator::{
    controllers::{
        OperatorConfig,
        stores::{Stores, Watches},
    },
    http::guard::OutboundPolicy,
    metrics::Metrics,
    run::{self, OperatorOptions},
    shutdown::{self, Shutdown},
};
use kube::Client;

use crate::{
    admin::{self, AdminState},
    cli::OperatorArgs,
    cluster,
};

/// Runs the controllers over the process's shared stores in `watches`, with the admin listener
/// on `admin_address` reporting their metrics and readiness (which turns true in `ready`), until
/// `shutdown`.
pub async fn serve(
    client: Client,
    watches: Watches,
    admin_address: SocketAddr,
    config: OperatorConfig,
    ready: Arc<AtomicBool>,
    sole_identity: Option<String>,
    shutdown: Shutdown,
) -> Result<(), String> {
    let listener = admin::bind(admin_address)
        .await
        .map_err(|e| format!("binding the admin listener on {admin_address} failed: {e}"))?;
    let metrics = Arc::new(Metrics::default());
    let state = AdminState {
        metrics: metrics.clone(),
        ready: ready.clone(),
        stores: Some(Stores::new(&watches)),
    };
    let admin = tokio::spawn(admin::serve(listener, state, shutdown.clone()));
    let options = OperatorOptions {
        config,
        metrics,
        ready,
        sole_identity,
    };
    let outcome = run::run(client, watches, options, shutdown).await;
    let _ = admin.await;
    outcome
}

/// `compass operator`: the controllers against any Kubernetes API server.
pub async fn run(args: OperatorArgs) -> ExitCode {
    let client = match cluster::client(&args.cluster).await {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (trigger, stop) = shutdown::channel();
    let config = OperatorConfig {
        outbound: OutboundPolicy::new(args.outbound_allow),
        ..OperatorConfig::default()
    };
    let ready = Arc::default();
    let watches = Watches::new(client.clone());
    let operator = tokio::spawn(serve(
        client,
        watches,
        args.admin_address,
        config,
        ready,
        None,
        stop,
    ));
    let outcome = tokio::select! {
        () = shutdown::signal() => Ok(()),
        finished = operator => finished.unwrap_or_else(|e| Err(e.to_string())),
    };
    trigger.fire();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the operator stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
