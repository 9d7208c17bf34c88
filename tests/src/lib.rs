//! Shared helpers of the cross-crate tests: where the repository's files are, and a real
//! embedded control plane per test, reached over HTTPS by the real `kubectl` and by kube-rs.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use compass_apiserver::{Config, ControlPlane};
use kube::{
    Client,
    config::{KubeConfigOptions, Kubeconfig},
};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository root")
        .to_path_buf()
}

/// A control plane of its own for one test: a fresh data directory, a free loopback port, HTTPS.
///
/// It runs on the test's tokio runtime, and [`TestServer::kubectl`] blocks the calling thread, so
/// tests use `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`.
pub struct TestServer {
    /// The running control plane.
    pub control_plane: ControlPlane,
    data_dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a control plane in a new temporary data directory.
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().expect("a temporary directory")).await
    }

    /// Starts a control plane in an existing data directory (to test restarts).
    pub async fn start_in(data_dir: tempfile::TempDir) -> Self {
        let config = Config::new(data_dir.path(), "127.0.0.1:0".parse().expect("an address"));
        let control_plane = ControlPlane::start(config)
            .await
            .expect("the control plane starts");
        Self {
            control_plane,
            data_dir,
        }
    }

    /// Stops the control plane and hands back its data directory.
    pub async fn stop(self) -> tempfile::TempDir {
        self.control_plane.shutdown().await;
        self.data_dir
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        &self.control_plane.kubeconfig
    }

    /// A kube-rs client authenticated as the admin.
    pub async fn client(&self) -> Client {
        let kubeconfig = Kubeconfig::read_from(self.kubeconfig()).expect("the kubeconfig reads");
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .expect("the kubeconfig is valid");
        Client::try_from(config).expect("a client")
    }

    /// Runs the real `kubectl` against this server, with a discovery cache of its own.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env("KUBECACHEDIR", self.data_dir.path().join("kubectl-cache"))
            .env("HOME", self.data_dir.path())
            .current_dir(repo_root())
            .output()
            .expect("kubectl is on PATH")
    }

    /// Runs `kubectl` and returns its stdout, failing the test with stderr when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        assert!(
            output.status.success(),
            "kubectl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Installs the product's CRDs (`crds/yaml`) and waits until they are Established.
    pub fn install_compass_crds(&self) {
        self.kubectl_ok(&["apply", "-k", "crds/yaml"]);
        self.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "crd",
            "--all",
            "--timeout=30s",
        ]);
    }
}
