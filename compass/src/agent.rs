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
    match agent(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the agent with its admin listener until Ctrl-C or SIGTERM.
async fn agent(args: AgentArgs) -> Result<(), String> {
    crate::parent::exit_with_parent();
    let overrides = overrides(&args)?;
    let client = crate::cluster::client(&args.cluster).await?;
    let options = AgentOptions {
        namespace: args.namespace,
        overrides,
        sync_interval: args.sync_interval,
        delete_guard: args.delete_guard,
        event_service_url: args.event_service_url.map(label_value),
        console_url: args.console_url.map(label_value),
    };
    let listener = admin::bind(args.admin_address).await.map_err(|error| {
        format!(
            "--admin-address {}: binding failed: {error}",
            args.admin_address
        )
    })?;
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
    let signal = compass_operator::shutdown::signal();
    let ran = run_measured(client, options, metrics, signal).await;
    trigger.fire();
    let _ = admin.await;
    ran
}

/// The configuration keys given as flags, which take precedence over the configuration's.
fn overrides(args: &AgentArgs) -> Result<BTreeMap<String, String>, String> {
    let flags = [
        ("CONNECTOR_URL", &args.connector_url),
        ("RUNTIME_ID", &args.runtime_id),
        ("TENANT", &args.tenant),
        ("TOKEN", &args.token),
    ];
    let mut overrides: BTreeMap<String, String> = flags
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value.clone()?)))
        .collect();
    if let Some(path) = &args.ca_cert_file {
        let pem = std::fs::read_to_string(path)
            .map_err(|error| format!("--ca-cert-file {}: {error}", path.display()))?;
        overrides.insert("CA_CERT".to_owned(), pem);
    }
    Ok(overrides)
}
