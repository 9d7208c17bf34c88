//! The `compass` binary's library: runs the subcommand the command line chose.
//!
//! Parts that later work delivers (`up`, `operator`, `api`, `agent`) exit with status
//! [`EXIT_UNAVAILABLE`] and say so, rather than pretend to run.

pub mod admin;
pub mod api;
pub mod args;
pub mod controllers;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod run;
pub mod shutdown;
pub mod up;

use std::{io::Write, process::ExitCode};

use args::{Cli, Command, LogFormat};

/// Exit status of a subcommand that is not available in this build (`EX_UNAVAILABLE`).
pub const EXIT_UNAVAILABLE: u8 = 69;

/// Runs the chosen subcommand and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    init_logging(&cli.log_level, cli.log_format);
    match cli.command {
        Command::Crds => print_crds(),
        Command::Up(args) => runtime().block_on(up::run_up(args)),
        Command::Operator(args) => runtime().block_on(operator(args)),
        Command::Api(args) => runtime().block_on(serve_api(args)),
        Command::Agent(_) => unavailable("agent"),
        Command::Kubeconfig(args) => kubeconfig(args),
    }
}

/// `compass kubeconfig`: a kubeconfig for a user, printed or written to `--output`.
fn kubeconfig(args: args::KubeconfigArgs) -> ExitCode {
    let args::KubeconfigArgs {
        user,
        groups,
        namespace,
        data_dir,
        expiry,
        output,
    } = args;
    let request = compass_apiserver::pki::user::UserRequest {
        user,
        groups,
        namespace,
        validity: expiry,
    };
    let written = compass_apiserver::pki::user::user_kubeconfig(&data_dir, &request)
        .map_err(|e| e.to_string())
        .and_then(|text| match &output {
            Some(path) => compass_apiserver::pki::write_private(path, text.as_bytes())
                .map_err(|e| format!("--output {}: {e}", path.display())),
            None => std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string()),
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `compass operator`: the controllers against any Kubernetes API server.
async fn operator(args: args::OperatorArgs) -> ExitCode {
    let client = match cluster_client(&args.cluster).await {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (trigger, stop) = shutdown::channel();
    let options = run::OperatorOptions {
        admin_address: args.admin_address,
        config: controllers::OperatorConfig {
            outbound: http::guard::OutboundPolicy::new(args.outbound_allow),
            ..controllers::OperatorConfig::default()
        },
        ready: std::sync::Arc::default(),
        sole_identity: None,
    };
    let operator = tokio::spawn(run::run(client, options, stop));
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

/// `compass api`: the GraphQL APIs against any Kubernetes API server.
async fn serve_api(args: args::ApiArgs) -> ExitCode {
    let prepared = async {
        let tls = api::read_tls(&args.tls_cert_file, &args.tls_key_file)?;
        let users = api::read_users(&args.static_users_file)?;
        let scopes = match &args.scopes_file {
            Some(path) => api::read_scopes(path)?,
            None => compass_api::scopes::ScopesConfig::default_config(),
        };
        let client = cluster_client(&args.cluster).await?;
        Ok::<_, String>((tls, users, scopes, client))
    };
    let (tls, users, scopes, client) = match prepared.await {
        Ok(prepared) => prepared,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (trigger, stop) = shutdown::channel();
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let admin_listener = match admin::bind(args.admin_address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: binding the admin listener on {} failed: {error}",
                args.admin_address
            );
            return ExitCode::FAILURE;
        }
    };
    let admin_state = admin::AdminState {
        metrics: std::sync::Arc::default(),
        ready: ready.clone(),
        stores: None,
    };
    let admin_task = tokio::spawn(admin::serve(admin_listener, admin_state, stop.clone()));
    let listener = api::ApiListener {
        address: args.api_address,
        tls: Some(tls),
        config: compass_api::server::ApiConfig {
            scopes,
            users,
            ..compass_api::server::ApiConfig::default()
        },
    };
    let running = tokio::select! {
        started = api::start(client, listener, stop) => started,
        () = shutdown::signal() => Err("interrupted before the caches filled".to_owned()),
    };
    let running = match running {
        Ok(running) => running,
        Err(error) => {
            trigger.fire();
            let _ = admin_task.await;
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    println!(
        "compass: Director GraphQL https://{}{}",
        running.address,
        compass_api::server::DIRECTOR_PATH
    );
    println!("compass: ready");
    shutdown::signal().await;
    println!("compass: shutting down");
    trigger.fire();
    let _ = running.task.await;
    let _ = admin_task.await;
    ExitCode::SUCCESS
}

/// A client from `--kubeconfig`, or the in-cluster configuration, or `~/.kube/config`.
async fn cluster_client(cluster: &args::ClusterArgs) -> Result<kube::Client, String> {
    let config = match &cluster.kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| format!("reading {} failed: {e}", path.display()))?;
            kube::Config::from_custom_kubeconfig(
                kubeconfig,
                &kube::config::KubeConfigOptions::default(),
            )
            .await
            .map_err(|e| format!("{} is not usable: {e}", path.display()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| format!("no Kubernetes configuration found: {e}"))?,
    };
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

/// The async runtime of the long-running subcommands.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

/// Structured logs to stderr, filtered like RUST_LOG.
fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: redirected logs and log collectors get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Plain => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Prints every CustomResourceDefinition as one multi-document YAML stream.
fn print_crds() -> ExitCode {
    let documents: Vec<String> = compass_crds::all_crds()
        .iter()
        .map(compass_crds::to_yaml)
        .collect();
    let mut out = std::io::stdout().lock();
    match out.write_all(documents.join("---\n").as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: writing the CustomResourceDefinitions failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Reports that a subcommand is not part of this build yet.
fn unavailable(subcommand: &str) -> ExitCode {
    eprintln!("error: `compass {subcommand}` is not available yet in this build");
    ExitCode::from(EXIT_UNAVAILABLE)
}
