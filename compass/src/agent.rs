//! `compass agent`: the Runtime Agent against a runtime cluster, until Ctrl-C or SIGTERM.

use std::{collections::BTreeMap, process::ExitCode};

use compass_agent::run::{AgentOptions, run};

use crate::cli::AgentArgs;

/// A URL as a label value: as given, without the slash a bare host gains when parsed.
fn label_value(url: url::Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Runs the agent.
pub async fn run_agent(args: AgentArgs) -> ExitCode {
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
    println!("compass: agent running");
    match run(client, options, compass_operator::shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
