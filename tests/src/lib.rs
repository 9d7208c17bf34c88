//! Shared helpers of the cross-crate tests: where the repository's files are, and a real
//! embedded control plane per test, reached over HTTPS by the real `kubectl` and by kube-rs.

use std::{
    future::Future,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};

use compass_apiserver::{Config, ControlPlane};
use k8s_openapi::{
    api::core::v1::Namespace,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client,
    api::PostParams,
    config::{KubeConfigOptions, Kubeconfig},
};

/// How long a test waits for an asynchronous effect before it fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Calls `probe` every 50 ms until it returns `Some`, failing the test after [`DEADLINE`] with
/// `what` (what was awaited) in the message.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {DEADLINE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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
        Self::start_configured(data_dir, |_| {}).await
    }

    /// Starts a control plane in a new temporary data directory, with its configuration changed
    /// by `configure` (for example a smaller retained event window).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        Self::start_configured(data_dir, configure).await
    }

    async fn start_configured(
        data_dir: tempfile::TempDir,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config::new(data_dir.path(), "127.0.0.1:0".parse().expect("an address"));
        configure(&mut config);
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

// === impl TestServer: setup through kube-rs ===

impl TestServer {
    /// Creates a namespace through kube-rs.
    pub async fn create_namespace(&self, name: &str) {
        let namespaces: Api<Namespace> = Api::all(self.client().await);
        let namespace = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(name.to_owned()),
                ..Default::default()
            },
            ..Default::default()
        };
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .expect("the namespace is created");
    }

    /// Creates CustomResourceDefinitions through kube-rs and waits until each is Established.
    pub async fn create_crds(&self, crds: Vec<CustomResourceDefinition>) {
        let api: Api<CustomResourceDefinition> = Api::all(self.client().await);
        for crd in &crds {
            api.create(&PostParams::default(), crd)
                .await
                .expect("the CustomResourceDefinition is created");
        }
        for crd in &crds {
            let name = crd.metadata.name.clone().expect("a named CRD");
            let api = &api;
            eventually(&format!("{name} to be Established"), || async {
                let found = api.get(&name).await.ok()?;
                let conditions = found.status?.conditions?;
                conditions
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
                    .then_some(())
            })
            .await;
        }
    }

    /// Creates the product's CRDs through kube-rs (no kubectl) and waits until they are
    /// Established.
    pub async fn create_compass_crds(&self) {
        self.create_crds(compass_crds::all_crds()).await;
    }
}
