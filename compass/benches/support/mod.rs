//! What the benchmarks share: the release `compass up` in its own process and its Director's
//! admin, realistic Applications, counts from the environment, and timing with bounded
//! concurrency.

#![allow(dead_code)] // Each bench uses a part.

mod figures;
pub mod landscape;
pub mod pages;
pub mod read;
pub mod runtimes;
pub mod server_latency;

#[allow(unused_imports)] // Each bench uses a part.
pub use figures::{
    Figures, Load, cpu_time, cpu_times, measure, measure_at, measure_on, measure_under, phase,
    quantiles, write_json,
};

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use compass_api::client::DirectorClient;
use compass_crds::{Application, ApplicationSpec, well_known::DEFAULT_TENANT_EXTERNAL_ID};
use compass_provisioner::supervisor::PARENT_VARIABLE;
use futures_util::{StreamExt, stream};
use kube::{
    Client, Config,
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::{Value, json};

/// Requests in flight at once.
pub const CONCURRENCY: usize = 16;

/// A page of 100 applications with their definitions: the Director's page query in every bench.
pub const APPLICATIONS_PAGE: &str = "query ($after: PageCursor) { applications(first: 100, after: $after) { data { id name description labels apiDefinitions { data { id name targetURL spec { type format data } } } eventDefinitions { data { id name } } } pageInfo { endCursor hasNextPage } totalCount } }";

/// The number in the environment variable `variable`, else `default`.
pub fn count(variable: &str, default: usize) -> usize {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `data` of an operation by `client`, failing when it has errors.
pub async fn data(client: &DirectorClient, query: &str, variables: Value) -> Value {
    let answer = client
        .execute(query, variables)
        .await
        .expect("the Director answers");
    let mut body = answer.body;
    assert!(body.get("errors").is_none(), "the operation failed: {body}");
    // Taken, not copied: a copy of a page's whole answer would cost the client more than the
    // Director spends answering it again.
    body["data"].take()
}

/// `data` of an operation by `client` read as `T`, as a typed client reads it: what `T` does not
/// name is parsed and skipped, not built into a tree of JSON values (this bench's client shares
/// two cores with the server; a tree of a page of 100, copied, cost it 1.5 to 1.9 times the
/// CPU). Fails when the operation has errors.
pub async fn typed_data<T: serde::de::DeserializeOwned>(
    client: &DirectorClient,
    query: &str,
    variables: Value,
) -> T {
    #[derive(serde::Deserialize)]
    struct Typed<T> {
        data: Option<T>,
        errors: Option<Vec<Value>>,
    }
    let (_, answer) = client
        .execute_as::<Typed<T>>(query, variables)
        .await
        .expect("the Director answers as expected");
    assert!(
        answer.errors.is_none(),
        "the operation failed: {:?}",
        answer.errors
    );
    answer.data.expect("an answer with data")
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Resident and peak memory of process `pid`, KiB.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The `compass` binary, or, when `COMPASS_BENCH_WRAPPER` is set (say to `heaptrack -o FILE`, for
/// a heap profile), that command with the binary as its last argument. Under a wrapper the
/// memory figures are the wrapper's, not the product's: read the profile instead. Without one,
/// the process exits by itself should the bench die without stopping it (killed outright).
pub fn compass_command() -> Command {
    let binary = env!("CARGO_BIN_EXE_compass");
    match std::env::var("COMPASS_BENCH_WRAPPER") {
        Ok(wrapper) if !wrapper.trim().is_empty() => {
            let mut words = wrapper.split_whitespace();
            let mut command = Command::new(words.next().unwrap_or_default());
            command.args(words).arg(binary);
            command
        }
        _ => {
            let mut command = Command::new(binary);
            command.env(PARENT_VARIABLE, std::process::id().to_string());
            command
        }
    }
}

/// The admin of a running `compass up`'s Director.
pub struct Admin {
    /// The Director's URL.
    pub url: String,
    /// The CA its server certificate chains to, PEM.
    pub ca: String,
    /// The admin's bearer token.
    pub token: String,
    /// The admin, acting in the default tenant.
    pub client: DirectorClient,
}

/// A running `compass up`, stopped when dropped: a bench that fails or returns early leaves no
/// process behind.
pub struct Server {
    child: Child,
    /// Its data directory.
    pub data_dir: tempfile::TempDir,
    stopped: bool,
    /// The Director's URL it printed.
    pub director_url: Option<String>,
    /// Its admin listener: health, readiness and metrics.
    pub admin_address: std::net::SocketAddr,
}

impl Server {
    /// Starts `compass up` with `extra` arguments and returns it with the time until it printed
    /// that it is ready.
    pub fn start(data_dir: tempfile::TempDir, extra: &[&str]) -> (Self, Duration) {
        let address = format!("127.0.0.1:{}", free_port());
        let admin_address: std::net::SocketAddr =
            format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let started = Instant::now();
        let mut child = compass_command()
            .args(["up", "--data-dir"])
            .arg(data_dir.path())
            .args(["--apiserver-address", &address])
            .args(["--api-address", "127.0.0.1:0"])
            .arg("--admin-address")
            .arg(admin_address.to_string())
            // The benchmarks measure the API, not its rate limits.
            .args([
                "--rate-limit",
                "user=off",
                "--rate-limit",
                "application=off",
            ])
            .args([
                "--rate-limit",
                "runtime=off",
                "--rate-limit",
                "integration_system=off",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("compass starts");
        let stdout = child.stdout.take().unwrap();
        let mut director_url = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(url) = line.strip_prefix("compass: Director GraphQL") {
                director_url = Some(url.trim().to_owned());
            }
            if line.contains("compass: ready") {
                break;
            }
        }
        let ready = started.elapsed();
        (
            Self {
                child,
                data_dir,
                director_url,
                admin_address,
                stopped: false,
            },
            ready,
        )
    }

    /// Its Director's admin: the URL, the CA, the admin token and a client in the default tenant.
    pub fn admin(&self) -> Admin {
        let data_dir = self.data_dir.path();
        let token = std::fs::read_to_string(data_dir.join("admin-token")).unwrap();
        let token = token.trim().to_owned();
        let ca = std::fs::read_to_string(data_dir.join("ca.crt")).unwrap();
        let url = (self.director_url.clone()).expect("compass up printed the Director's URL");
        let client = DirectorClient::new(&url, &ca, &token)
            .unwrap()
            .tenant(DEFAULT_TENANT_EXTERNAL_ID);
        Admin {
            url,
            ca,
            token,
            client,
        }
    }

    /// The figures `measured` gives, with the quantiles of the Director's requests it made as
    /// the server timed them (its request-duration histogram, scraped before and after).
    pub async fn timed(&self, measured: impl std::future::Future<Output = Figures>) -> Figures {
        let path = compass_api::server::DIRECTOR_PATH;
        let before = server_latency::scrape(self.admin_address, path).await;
        let figures = measured.await;
        let after = server_latency::scrape(self.admin_address, path).await;
        figures.timed_by_server(&after.since(&before))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident and peak memory of the process, KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        memory_kib(self.child.id())
    }

    /// A kube-rs client from the kubeconfig it wrote.
    pub async fn client(&self) -> Client {
        let kubeconfig = Kubeconfig::read_from(self.data_dir.path().join("kubeconfig")).unwrap();
        let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .unwrap();
        Client::try_from(config).unwrap()
    }

    /// Stops it and hands back its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.terminate();
        let empty = tempfile::tempdir().expect("a temporary directory");
        std::mem::replace(&mut self.data_dir, empty)
    }

    /// SIGTERM, as an operator stops it, then waits for it to end.
    fn terminate(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// The `i`th benchmark Application: two API definitions (one fetched), one event definition.
pub fn application(i: usize) -> Application {
    let spec: ApplicationSpec = serde_json::from_value(json!({
        "providerName": "Bench Corp",
        "description": format!("Benchmark application number {i}, with a description of realistic length."),
        "labels": { "region": "eu", "tier": { "level": i % 3, "critical": i.is_multiple_of(7) } },
        "scenarios": ["DEFAULT"],
        "healthCheckURL": format!("https://app-{i}.bench.example/health"),
        "apiDefinitions": [
            { "name": "orders", "targetURL": format!("https://app-{i}.bench.example/orders"), "group": "orders",
              "version": { "value": "v1" },
              "spec": { "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0\ninfo:\n  title: Orders\n  version: v1\npaths: {}\n" } },
            { "name": "invoices", "targetURL": format!("https://app-{i}.bench.example/invoices"),
              "spec": { "type": "ODATA", "format": "JSON", "fetchRequest": { "url": format!("https://app-{i}.bench.example/$metadata") } } }
        ],
        "eventDefinitions": [{ "name": "order-events", "spec": { "type": "ASYNC_API", "format": "YAML", "data": "asyncapi: 2.0.0\n" } }],
    }))
    .unwrap();
    Application::new(&format!("app-{i:05}"), spec)
}

/// Creates the benchmark Applications `0..n` ([`application`]) in `namespace`, [`CONCURRENCY`]
/// at a time.
pub async fn create_applications(client: &Client, namespace: &str, n: usize) {
    let apps: kube::Api<Application> = kube::Api::namespaced(client.clone(), namespace);
    stream::iter(0..n)
        .for_each_concurrent(CONCURRENCY, |i| {
            let apps = apps.clone();
            async move {
                apps.create(&kube::api::PostParams::default(), &application(i))
                    .await
                    .unwrap();
            }
        })
        .await;
}

/// Makes the default tenant of `compass up --no-controllers` usable, as the operator would: its
/// namespace made and the Tenant found Ready (the Gateway serves Ready tenants only).
pub async fn ready_default_tenant(client: &Client) {
    use compass_crds::{
        Tenant,
        well_known::{DEFAULT_TENANT_NAME, DEFAULT_TENANT_NAMESPACE},
    };
    use k8s_openapi::api::core::v1::Namespace;
    use kube::{
        Api,
        api::{Patch, PatchParams, PostParams},
    };
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({ "metadata": { "name": DEFAULT_TENANT_NAMESPACE } }))
                .unwrap(),
        )
        .await
        .unwrap();
    let tenants: Api<Tenant> = Api::all(client.clone());
    let generation = tenants
        .get(DEFAULT_TENANT_NAME)
        .await
        .unwrap()
        .metadata
        .generation;
    let ready = json!({ "status": {
        "observedGeneration": generation,
        "namespace": DEFAULT_TENANT_NAMESPACE,
        "conditions": [{
            "type": "Ready", "status": "True", "reason": "NamespaceReady",
            "message": "set by the benchmark", "lastTransitionTime": "2026-01-01T00:00:00Z",
            "observedGeneration": generation,
        }],
    }});
    tenants
        .patch_status(
            DEFAULT_TENANT_NAME,
            &PatchParams::default(),
            &Patch::Merge(&ready),
        )
        .await
        .unwrap();
}
