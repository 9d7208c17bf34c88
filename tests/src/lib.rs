//! Shared helpers of the cross-crate tests: the control plane's own test harness (a real embedded
//! control plane per test, reached by the real `kubectl` and by kube-rs), and beside it the real
//! operator, the real GraphQL API, and stand-ins for applications' endpoints.

pub mod agent;
pub mod connector;
pub mod graphql;
pub mod proxy;
pub mod raw_https;

// The control plane's harness is included rather than copied, so both crates' tests start and
// reach the server the same way.
#[path = "../../apiserver/tests/test_server/mod.rs"]
mod test_server;

pub use test_server::{
    DEADLINE, TestServer, client_from, condition, eventually,
    kubectl::{KubectlStream, failed, succeeded, with_stdin},
    merge, next_whole_second, raw_http, ready, repo_root, unchanged_for, users, wait_gone,
};

use kube::{Api, Client};

/// Like [`eventually`], with a `deadline` of the test's own: for what must happen within a
/// bound the product promises, shorter than [`DEADLINE`]. Returns what `probe` found and how long
/// it took.
pub async fn eventually_within<T, F, Fut>(
    deadline: std::time::Duration,
    what: &str,
    mut probe: F,
) -> (T, std::time::Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = tokio::time::Instant::now();
    loop {
        if let Some(found) = probe().await {
            return (found, start.elapsed());
        }
        assert!(
            start.elapsed() < deadline,
            "gave up after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Serves `router` on a free loopback port (an application's spec URL, token endpoint or
/// webhook); returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
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

/// The real operator, running in-process against a [`TestServer`].
pub struct TestOperator {
    trigger: compass_operator::shutdown::Trigger,
    task: tokio::task::JoinHandle<Result<(), String>>,
    /// What the controllers count, as `/metrics` serves it.
    pub metrics: std::sync::Arc<compass_operator::metrics::Metrics>,
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
        let metrics = std::sync::Arc::<compass_operator::metrics::Metrics>::default();
        let options = compass_operator::run::OperatorOptions {
            config,
            metrics: metrics.clone(),
            ready: std::sync::Arc::default(),
            sole_identity: None,
        };
        let watches = compass_cache::Watches::new(client.clone());
        let task = tokio::spawn(compass_operator::run::run(client, watches, options, stop));
        TestOperator {
            trigger,
            task,
            metrics,
        }
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

/// The API's configuration in tests: the defaults with `users`, and no rate limits (tests send
/// requests in bursts no person would; the tests of the limits set them).
pub fn api_config(users: Vec<compass_api::gateway::StaticUser>) -> compass_api::server::ApiConfig {
    use compass_api::rate_limit::{Limit, RateLimitConfig};
    compass_api::server::ApiConfig {
        users,
        rate_limits: RateLimitConfig {
            user: Limit::Off,
            application: Limit::Off,
            runtime: Limit::Off,
            integration_system: Limit::Off,
        },
        ..compass_api::server::ApiConfig::default()
    }
}

/// The real GraphQL API, running in-process against a [`TestServer`] over HTTPS with the control
/// plane's certificate.
pub struct TestApi {
    /// The admin: every scope, every tenant.
    pub admin: graphql::Graphql,
    /// The Director's URL.
    pub url: String,
    /// The Connector's URL.
    pub connector_url: String,
    /// The CA the API's server certificate chains to (the control plane's), PEM.
    pub ca_pem: String,
    trigger: compass_operator::shutdown::Trigger,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Installs what `compass up` installs and serves the API with the control plane's admin token
    /// as the admin's bearer token, plus the `users` given (for scope and tenant tests), without
    /// rate limits ([`api_config`]).
    pub async fn start_api(&self, users: Vec<compass_api::gateway::StaticUser>) -> TestApi {
        self.start_api_with(api_config(users)).await
    }

    /// Like [`start_api`](Self::start_api), with `config` (the admin is added to its users).
    pub async fn start_api_with(&self, mut config: compass_api::server::ApiConfig) -> TestApi {
        let client = self.client().await;
        compass::up::install(&client, "compass-system")
            .await
            .expect("installing the defaults succeeds");
        let admin = compass::api::admin_user(&self.control_plane.admin_token, &config.scopes);
        config.users.insert(0, admin);
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
        let base = format!("https://127.0.0.1:{}", running.address.port());
        let url = format!("{base}{}", compass_api::server::DIRECTOR_PATH);
        let connector_url = format!("{base}{}", compass_api::connector::CONNECTOR_PATH);
        let admin = graphql::Graphql::new(
            &url,
            &self.control_plane.ca_pem,
            &self.control_plane.admin_token,
        );
        TestApi {
            admin,
            url,
            connector_url,
            ca_pem: self.control_plane.ca_pem.clone(),
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

    /// Stops the listener and the caches, and waits for them; a panic in the API's task fails
    /// the test here, with the task's own panic message.
    pub async fn stop(self) {
        self.trigger.fire();
        if let Err(failure) = self.task.await {
            match failure.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(failure) => panic!("the API task did not complete: {failure}"),
            }
        }
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
        self.start_director_with(api_config(users)).await
    }

    /// Like [`start_director`](Self::start_director), with the API's configuration `config`
    /// (start from [`api_config`]).
    pub async fn start_director_with(
        &self,
        config: compass_api::server::ApiConfig,
    ) -> TestDirector {
        let operator = self.start_operator(local_operator_config()).await;
        let api = self.start_api_with(config).await;
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

/// The JSON schema of the `scenarios` label definition allowing exactly `names`, as the
/// Director's `updateLabelDefinition` takes it.
pub fn scenarios_schema(names: &[&str]) -> String {
    serde_json::json!({
        "type": "array", "minItems": 1, "uniqueItems": true,
        "items": {
            "type": "string",
            "pattern": "^[A-Za-z0-9]([-_A-Za-z0-9\\s]*[A-Za-z0-9])$",
            "maxLength": 128,
            "enum": names,
        },
    })
    .to_string()
}
