//! Shared helpers of the cross-crate tests: where the repository's files are, and a real
//! embedded control plane per test, reached over HTTPS by the real `kubectl` and by kube-rs.

use std::{
    future::Future,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

pub mod graphql;
pub mod users;

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

/// The `Ready` condition of any Compass object, as (status, reason, message), once it has one.
pub fn ready<K: serde::Serialize>(object: &K) -> Option<(String, String, String)> {
    let object = serde_json::to_value(object).ok()?;
    let conditions = object["status"]["conditions"].as_array()?;
    let ready = conditions.iter().find(|c| c["type"] == "Ready")?;
    let text = |field: &str| ready[field].as_str().unwrap_or_default().to_owned();
    Some((text("status"), text("reason"), text("message")))
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
        let kubeconfig = Kubeconfig::read_from(self.kubeconfig()).expect("the kubeconfig reads");
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .expect("the kubeconfig is valid");
        Client::try_from(config).expect("a client")
    }

    /// A `kubectl` command against this server, with a discovery cache of its own, not yet run.
    pub fn kubectl_command(&self, args: &[&str]) -> Command {
        self.kubectl_command_with(self.kubeconfig(), args)
    }

    /// A `kubectl` command with another kubeconfig (another user), not yet run.
    pub fn kubectl_command_with(&self, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("KUBECACHEDIR", self.data_dir.path().join("kubectl-cache"))
            .env("HOME", self.data_dir.path())
            .current_dir(repo_root());
        command
    }

    /// Runs the real `kubectl` against this server.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_command(args)
            .output()
            .expect("kubectl is on PATH")
    }

    /// Runs `kubectl` with `input` on its standard input (for `-f -`).
    pub fn kubectl_with_stdin(&self, args: &[&str], input: &str) -> Output {
        with_stdin(self.kubectl_command(args), input)
    }

    /// `kubectl apply -f -` of a YAML text plus `extra` arguments; returns stdout and fails the
    /// test with stderr when it fails.
    pub fn apply_yaml(&self, yaml: &str, extra: &[&str]) -> String {
        let args: Vec<&str> = ["apply", "-f", "-"].iter().chain(extra).copied().collect();
        succeeded(&args, self.kubectl_with_stdin(&args, yaml))
    }

    /// `kubectl apply -f -` of a YAML text that must fail; returns stderr.
    pub fn apply_yaml_err(&self, yaml: &str, extra: &[&str]) -> String {
        let args: Vec<&str> = ["apply", "-f", "-"].iter().chain(extra).copied().collect();
        failed(&args, self.kubectl_with_stdin(&args, yaml))
    }

    /// Runs `kubectl` that must fail; returns its stderr, failing the test when it succeeds.
    pub fn kubectl_err(&self, args: &[&str]) -> String {
        failed(args, self.kubectl(args))
    }

    /// Starts a long-running `kubectl` (such as `get -w`) whose output lines are read as they come.
    pub fn kubectl_stream(&self, args: &[&str]) -> KubectlStream {
        self.kubectl_stream_with(self.kubeconfig(), args)
    }

    /// [`kubectl_stream`](Self::kubectl_stream) with another kubeconfig (another user).
    pub fn kubectl_stream_with(&self, kubeconfig: &Path, args: &[&str]) -> KubectlStream {
        let mut child = self
            .kubectl_command_with(kubeconfig, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl is on PATH");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        KubectlStream {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Runs `kubectl` and returns its stdout, failing the test with stderr when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        succeeded(args, self.kubectl(args))
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

// === kubectl helpers ===

/// The standard output of a `kubectl` that must succeed; fails the test with its stderr.
pub fn succeeded(args: &[&str], output: Output) -> String {
    assert!(
        output.status.success(),
        "kubectl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The standard error of a `kubectl` that must fail; fails the test when it succeeds.
pub fn failed(args: &[&str], output: Output) -> String {
    assert!(
        !output.status.success(),
        "kubectl {} succeeded but should have failed; it printed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A running `kubectl` whose standard output is read line by line; killed when dropped.
pub struct KubectlStream {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl KubectlStream {
    /// Waits up to `timeout` for a line that satisfies `wanted`, and returns it. Fails the test
    /// with every line seen so far when none comes.
    pub fn line_where(&mut self, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no wanted line from kubectl within {timeout:?}; it printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for KubectlStream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The controllers' default configuration, but allowed to reach loopback addresses: tests serve
/// specs and webhooks on `127.0.0.1`, which a real deployment refuses unless allowed.
pub fn local_operator_config() -> compass_operator::controllers::OperatorConfig {
    let loopback = ["127.0.0.0/8", "::1"].map(|n| n.parse().expect("a network"));
    compass_operator::controllers::OperatorConfig {
        outbound: compass_operator::http::guard::OutboundPolicy::new(loopback.to_vec()),
        ..compass_operator::controllers::OperatorConfig::default()
    }
}

/// Runs `command` with `input` on its standard input; its output.
pub fn with_stdin(mut command: Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input.as_bytes())
        .expect("the command reads its stdin");
    child.wait_with_output().expect("the command runs")
}

/// The real operator, running in-process against a [`TestServer`].
pub struct TestOperator {
    trigger: compass_operator::shutdown::Trigger,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl TestServer {
    /// Installs what `compass up` installs (the CRDs, the operator's namespace, the default
    /// tenant) and starts the operator's controllers with `config`.
    pub async fn start_operator(
        &self,
        config: compass_operator::controllers::OperatorConfig,
    ) -> TestOperator {
        let client = self.client().await;
        self.start_operator_as(client, config).await
    }

    /// Like [`start_operator`](Self::start_operator), but the controllers act through `client`
    /// (another identity than the admin); the defaults are still installed as the admin.
    pub async fn start_operator_as(
        &self,
        client: Client,
        config: compass_operator::controllers::OperatorConfig,
    ) -> TestOperator {
        compass::up::install(&self.client().await, &config.system_namespace)
            .await
            .expect("installing the defaults succeeds");
        let (trigger, stop) = compass_operator::shutdown::channel();
        let options = compass_operator::run::OperatorOptions {
            config,
            metrics: std::sync::Arc::default(),
            ready: std::sync::Arc::default(),
            sole_identity: None,
        };
        let watches = compass_cache::Watches::new(client.clone());
        let task = tokio::spawn(compass_operator::run::run(client, watches, options, stop));
        TestOperator { trigger, task }
    }
}

impl TestOperator {
    /// Stops the controllers and waits for them; fails the test if the operator failed.
    pub async fn stop(self) {
        self.trigger.fire();
        let outcome = self.task.await.expect("the operator task completes");
        assert!(outcome.is_ok(), "the operator failed: {outcome:?}");
    }
}

/// The real GraphQL API, running in-process against a [`TestServer`] over HTTPS with the control
/// plane's certificate.
pub struct TestApi {
    /// The admin: every scope, every tenant.
    pub admin: graphql::Graphql,
    /// The Director's URL.
    pub url: String,
    trigger: compass_operator::shutdown::Trigger,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Installs what `compass up` installs and serves the API with the control plane's admin token
    /// as the admin's bearer token, plus the `users` given (for scope and tenant tests).
    pub async fn start_api(&self, users: Vec<compass_api::gateway::StaticUser>) -> TestApi {
        let client = self.client().await;
        compass::up::install(&client, "compass-system")
            .await
            .expect("installing the defaults succeeds");
        let scopes = compass_api::scopes::ScopesConfig::default_config();
        let mut all_users = vec![compass::api::admin_user(
            &self.control_plane.admin_token,
            &scopes,
        )];
        all_users.extend(users);
        let config = compass_api::server::ApiConfig {
            scopes,
            users: all_users,
            ..compass_api::server::ApiConfig::default()
        };
        let (trigger, stop) = compass_operator::shutdown::channel();
        let listener = compass::api::ApiListener {
            address: "127.0.0.1:0".parse().expect("an address"),
            tls: self.control_plane.tls(),
            config,
        };
        let watches = compass_cache::Watches::new(client.clone());
        let running = compass::api::start(client, watches, listener, stop)
            .await
            .expect("the API starts");
        let url = format!(
            "https://127.0.0.1:{}{}",
            running.address.port(),
            compass_api::server::DIRECTOR_PATH
        );
        let admin = graphql::Graphql::new(
            &url,
            &self.control_plane.ca_pem,
            &self.control_plane.admin_token,
        );
        TestApi {
            admin,
            url,
            trigger,
            task: running.task,
        }
    }
}

impl TestApi {
    /// The admin acting in the default tenant of `compass up`.
    pub fn default_tenant(&self) -> graphql::Graphql {
        self.admin
            .tenant(compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID)
    }

    /// Stops the listener and the caches.
    pub async fn stop(self) {
        self.trigger.fire();
        let _ = self.task.await;
    }
}

/// The operator and the Director running against one [`TestServer`], with the default tenant's
/// namespace and `DEFAULT` scenario in place.
pub struct TestDirector {
    /// The API.
    pub api: TestApi,
    /// The operator.
    pub operator: TestOperator,
}

impl TestServer {
    /// Starts the operator and the API (with the extra `users`) and waits until the default
    /// tenant is usable.
    pub async fn start_director(
        &self,
        users: Vec<compass_api::gateway::StaticUser>,
    ) -> TestDirector {
        let operator = self.start_operator(local_operator_config()).await;
        let api = self.start_api(users).await;
        self.wait_tenant_ready("default").await;
        TestDirector { api, operator }
    }

    /// Waits until the Tenant `name` has its namespace and its `DEFAULT` scenario.
    pub async fn wait_tenant_ready(&self, name: &str) {
        let client = self.client().await;
        let tenants: Api<compass_crds::Tenant> = Api::all(client.clone());
        let namespace = eventually("the tenant has its namespace", || async {
            tenants.get(name).await.ok()?.status?.namespace
        })
        .await;
        let scenarios: Api<compass_crds::Scenario> = Api::namespaced(client, &namespace);
        eventually("the tenant has its DEFAULT scenario", || async {
            scenarios.get("default").await.ok()
        })
        .await;
    }
}

impl TestDirector {
    /// Stops the API and the operator.
    pub async fn stop(self) {
        self.api.stop().await;
        self.operator.stop().await;
    }
}
