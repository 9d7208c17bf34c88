//! The `compass` binary: every part of Compass on Kubernetes composed into one command. Each
//! subcommand's wiring has its own module; the parts themselves are the workspace's libraries
//! (`compass-apiserver`, `compass-operator`, `compass-api`, `compass-agent`).

pub mod admin;
pub mod agent;
pub mod api;
pub mod apiserver;
pub mod cli;
pub mod cluster;
pub mod connect;
pub mod kubeconfig;
pub mod local_client;
pub mod logging;
pub mod operator;
pub mod parent;
pub mod provisioner;
pub mod up;

use std::{io::Write, process::ExitCode};

use cli::{Cli, Command};

/// Runs the chosen subcommand and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    logging::init(&cli.log_level, cli.log_format);
    match cli.command {
        Command::Crds => print_crds(),
        Command::Up(args) => runtime().block_on(up::run_up(args)),
        Command::Operator(args) => runtime().block_on(operator::run(args)),
        Command::Api(args) => runtime().block_on(api::run(args)),
        Command::Provisioner(args) => runtime().block_on(provisioner::run(args)),
        Command::Agent(args) => runtime().block_on(agent::run_agent(args)),
        Command::Apiserver(args) => runtime().block_on(apiserver::run(args)),
        Command::Kubeconfig(args) => kubeconfig::run(args),
        Command::Connect(args) => runtime().block_on(connect::run(args)),
    }
}

/// The async runtime of the long-running subcommands.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
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
