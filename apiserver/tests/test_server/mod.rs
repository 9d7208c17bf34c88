//! A real embedded control plane per test, reached over HTTPS by the real `kubectl` and by
//! kube-rs: the harness of the control plane's own tests, which the cross-crate tests in `tests/`
//! include as well (`tests/src/lib.rs`), so both drive the server the same way.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

pub mod kubectl;
pub mod raw_http;
pub mod users;

use std::{
    future::Future,
    path::{Path, PathBuf},
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

/// Waits until `name` no longer exists in `api`.
pub async fn wait_gone<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    eventually(&format!("{name} is gone"), || async {
        api.get_opt(name).await.unwrap().is_none().then_some(())
    })
    .await;
}

/// Applies a JSON merge patch to `name`.
pub async fn merge<K>(api: &Api<K>, name: &str, patch: serde_json::Value)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.patch(
        name,
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await
    .unwrap();
}

/// Fails the test if anything writes `name` in `api` within `window`, and returns the object as
/// it stayed. Only waiting can show that something does not happen, so this is the one fixed wait
/// a test may take; it watches from the object's resourceVersion, so even a write that a later
/// write undoes is seen.
pub async fn unchanged_for<K>(api: &Api<K>, name: &str, window: Duration) -> K
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    use futures_util::{StreamExt, TryStreamExt};
    let object = api.get(name).await.expect("the object exists");
    let version = object.meta().resource_version.clone().unwrap_or_default();
    let params = kube::api::WatchParams::default()
        .fields(&format!("metadata.name={name}"))
        .disable_bookmarks();
    let mut events = api
        .watch(&params, &version)
        .await
        .expect("the watch opens")
        .boxed();
    match tokio::time::timeout(window, events.try_next()).await {
        Err(_quiet) => object,
        Ok(Ok(None)) => panic!("the watch of {name} ended within {window:?}"),
        Ok(event) => {
            panic!("{name} was written within {window:?} of resourceVersion {version}: {event:?}")
        }
    }
}

/// Waits until the wall clock is in a later whole second than when it was called. Creation
/// times have a resolution of a second, so an object created after this is visibly younger than
/// one created before it (when a test needs to tell which came first).
pub async fn next_whole_second() {
    let second = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_secs()
    };
    let called = second();
    eventually("the next second", || async {
        (second() > called).then_some(())
    })
    .await;
}

/// The condition `type_` of any object with `status.conditions` (a Compass object, a CRD), as
/// (status, reason, message), once it has one.
pub fn condition<K: serde::Serialize>(object: &K, type_: &str) -> Option<(String, String, String)> {
    let object = serde_json::to_value(object).ok()?;
    let conditions = object["status"]["conditions"].as_array()?;
    let found = conditions.iter().find(|c| c["type"] == type_)?;
    let text = |field: &str| found[field].as_str().unwrap_or_default().to_owned();
    Some((text("status"), text("reason"), text("message")))
}

/// The `Ready` condition of any Compass object, as (status, reason, message), once it has one.
pub fn ready<K: serde::Serialize>(object: &K) -> Option<(String, String, String)> {
    condition(object, "Ready")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the repository root")
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

    /// Starts a control plane in an existing data directory with its configuration changed by
    /// `configure`.
    pub async fn start_configured(
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
        client_from(self.kubeconfig()).await
    }

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
                (condition(&found, "Established")?.0 == "True").then_some(())
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

/// A kube-rs client from the kubeconfig file at `path`.
pub async fn client_from(path: &Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(path).expect("the kubeconfig reads");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("the kubeconfig is valid");
    Client::try_from(config).expect("a client")
}
