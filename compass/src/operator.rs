//! `compass operator`: the controllers against any Kubernetes API server, with the admin listener
//! beside them; and the same wiring for `compass up`.

use std::{net::SocketAddr, process::ExitCode, sync::Arc};

use compass_operator::{
    controllers::stores::{Stores, Watches},
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
/// on `admin_address` reporting the metrics (`options.metrics`, which may hold the API's too)
/// and readiness (which turns true in `options.ready`), until `shutdown`.
pub async fn serve(
    client: Client,
    watches: Watches,
    admin_address: SocketAddr,
    options: OperatorOptions,
    shutdown: Shutdown,
) -> Result<(), String> {
    let listener = admin::bind(admin_address)
        .await
        .map_err(|e| format!("binding the admin listener on {admin_address} failed: {e}"))?;
    let state = AdminState {
        metrics: options.metrics.clone(),
        ready: options.ready.clone(),
        stores: Some(Stores::new(&watches)),
    };
    let admin = tokio::spawn(admin::serve(listener, state, shutdown.clone()));
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
    let config = args.controllers.config();
    let options = OperatorOptions {
        config,
        metrics: Arc::new(Metrics::default()),
        ready: Arc::default(),
        sole_identity: None,
    };
    let watches = Watches::new(client.clone());
    let operator = tokio::spawn(serve(client, watches, args.admin_address, options, stop));
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
