//! Reaching a Kubernetes API server: the kubeconfig given, or the in-cluster configuration, or
//! `~/.kube/config`.

use crate::cli::ClusterArgs;

/// A client from `--kubeconfig`, or the in-cluster configuration, or `~/.kube/config`.
pub async fn client(cluster: &ClusterArgs) -> Result<kube::Client, String> {
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
