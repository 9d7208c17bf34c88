//! `compass agent`: the Runtime Agent against a runtime cluster, with its admin listener, until
//! Ctrl-C or SIGTERM.

use std::{
    collections::BTreeMap,
    process::ExitCode,
    sync::{Arc, atomic::AtomicBool},
};

use compass_agent::{
    metrics::AgentMetrics,
    run::{AgentOptions, run_measured},
};
use compass_operator::metrics::Metrics;

use crate::{admin, cli::AgentArgs};

/// A URL as a label value: as given, without the slash a bare host gains when parsed.
fn label_value(url: url::Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Runs the agent.
pub async fn run_agent(args: AgentArgs) -> ExitCode {
    crate::parent::exit_with_parent();
    let mut overrides = BTreeMap::new();
    let flags = [
        ("CONNECTOR_URL", args.connector_url),
        ("RUNTIME_ID", args.runtime_id),
        ("TENANT", args.tenant),
        ("TOKEN", args.token),
    ];
    for (key, value) in flags {
        if let Some(value) = value {
            overrides.insert(key.to_owned(), value);
        }
    }
    if let Some(path) = &args.ca_cert_file {
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                overrides.insert("CA_CERT".to_owned(), pem);
            }
            Err(error) => {
                eprintln!("error: --ca-cert-file {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let client = match crate::cluster::client(&args.cluster).await {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = AgentOptions {
        namespace: args.namespace,
        overrides,
        sync_interval: args.sync_interval,
        delete_guard: args.delete_guard,
        event_service_url: args.event_service_url.map(label_value),
        console_url: args.console_url.map(label_value),
    };
    let listener = match admin::bind(args.admin_address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: --admin-address {}: binding failed: {error}",
                args.admin_address
            );
            return ExitCode::FAILURE;
        }
    };
    let admin_address = listener.local_addr().unwrap_or(args.admin_address);
    let metrics = AgentMetrics::default();
    let state = admin::AdminState {
        metrics: Arc::new(Metrics::standalone(|registry| metrics.register(registry))),
        // The agent is ready once running: it keeps what it applied whatever it reaches.
        ready: Arc::new(AtomicBool::new(true)),
        stores: None,
    };
    let (trigger, stop) = compass_operator::shutdown::channel();
    let admin = tokio::spawn(admin::serve(listener, state, stop));
    println!("compass: agent running; metrics on http://{admin_address}/metrics");
    println!("compass: ready");
    let ran = run_measured(
        client,
        options,
        metrics,
        compass_operator::shutdown::signal(),
    )
    .await;
    trigger.fire();
    let _ = admin.await;
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
