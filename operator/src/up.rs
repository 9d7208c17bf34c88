//! `compass up`: everything on one machine, on the embedded control plane.

use std::process::ExitCode;

use compass_apiserver::{Config, ControlPlane};

use crate::args::UpArgs;

/// Runs the embedded control plane until Ctrl-C or SIGTERM.
pub async fn run(args: UpArgs) -> ExitCode {
    let UpArgs {
        data_dir,
        apiserver_address,
        tls_sans,
        api_address: _,
        admin_address: _,
    } = args;
    let mut config = Config::new(&data_dir, apiserver_address);
    if let compass_apiserver::Transport::Tls { hosts } = &mut config.transport {
        hosts.extend(tls_sans);
    }
    let control_plane = match ControlPlane::start(config).await {
        Ok(control_plane) => control_plane,
        Err(error) => {
            eprintln!(
                "error: starting the embedded control plane in {} failed: {error}",
                data_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    println!("compass: Kubernetes API server  {}", control_plane.url);
    println!(
        "compass: kubeconfig             {}",
        control_plane.kubeconfig.display()
    );
    println!(
        "compass: admin token            {}",
        data_dir.join("admin-token").display()
    );
    println!(
        "compass: try: KUBECONFIG={} kubectl get namespaces",
        control_plane.kubeconfig.display()
    );
    println!("compass: ready");
    shutdown_signal().await;
    println!("compass: shutting down");
    control_plane.shutdown().await;
    ExitCode::SUCCESS
}

/// Completes on the first Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler succeeds");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}
