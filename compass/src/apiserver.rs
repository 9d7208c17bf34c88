//! `compass apiserver`: the embedded Kubernetes-compatible API server alone, with nothing of the
//! product installed (no CRDs, no controllers, no GraphQL), so a runtime cluster can be had on
//! one machine for `compass agent`, tests and demos.

use std::{net::SocketAddr, path::Path, process::ExitCode};

use compass_apiserver::{Config, ControlPlane, Transport};
use compass_operator::shutdown;

use crate::cli::ApiserverArgs;

/// Starts the embedded control plane on `data_dir` and `address`, its serving certificate also
/// naming `tls_sans`: the same for `compass apiserver` and `compass up`. With `store_workloads`
/// it stores the workload kinds (Deployments, Pods, ...) instead of refusing them.
pub async fn start_control_plane(
    data_dir: &Path,
    address: SocketAddr,
    tls_sans: Vec<String>,
    store_workloads: bool,
) -> std::io::Result<ControlPlane> {
    let mut config = Config::new(data_dir, address);
    if let Transport::Tls { hosts } = &mut config.transport {
        hosts.extend(tls_sans);
    }
    config.server.store_workloads = store_workloads;
    ControlPlane::start(config).await
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn run(args: ApiserverArgs) -> ExitCode {
    crate::parent::exit_with_parent();
    let ApiserverArgs {
        data_dir,
        address,
        tls_sans,
        store_workloads,
        identity_dir,
    } = args;
    if let Some(identity) = &identity_dir
        && let Err(error) = compass_apiserver::pki::adopt_identity(identity, &data_dir)
    {
        eprintln!(
            "error: taking the identity in {} into {} failed: {error}",
            identity.display(),
            data_dir.display()
        );
        return ExitCode::FAILURE;
    }
    let started = start_control_plane(&data_dir, address, tls_sans, store_workloads);
    let control_plane = match started.await {
        Ok(control_plane) => control_plane,
        Err(error) => {
            eprintln!(
                "error: starting the API server in {} failed: {error}",
                data_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let kubeconfig = control_plane.kubeconfig.display();
    println!("compass: Kubernetes API server  {}", control_plane.url);
    println!("compass: kubeconfig             {kubeconfig}");
    println!("compass: try: KUBECONFIG={kubeconfig} kubectl get namespaces");
    println!("compass: ready");
    shutdown::signal().await;
    println!("compass: shutting down");
    control_plane.shutdown().await;
    ExitCode::SUCCESS
}
