//! Shared by the `operator_application*` tests: an operator with short timeouts on a fresh control
//! plane, an HTTP server standing in for the application's endpoints (spec URLs, token endpoints,
//! webhooks) that counts what it is asked, and helpers to read conditions and Events.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use compass_crds::{Application, Scenario};
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestOperator, TestServer, condition, eventually};

use k8s_openapi::api::events::v1::Event;
use kube::{
    Api, Client,
    api::{ListParams, PostParams},
};
use serde_json::Value;

/// Namespace of the default tenant `start_operator` installs.
pub const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

/// A control plane, the operator on it, and a client.
pub struct Env {
    pub server: TestServer,
    pub operator: TestOperator,
    pub client: Client,
    pub apps: Api<Application>,
}

/// The controllers' configuration for tests: short timeouts and the given size bound.
pub fn config(fetch_max_bytes: usize) -> OperatorConfig {
    OperatorConfig {
        fetch_timeout: Duration::from_secs(2),
        fetch_max_bytes,
        webhook_timeout: Duration::from_secs(2),
        concurrency: 4,
        resync: Duration::from_secs(60),
        ..compass_tests::local_operator_config()
    }
}

impl Env {
    /// A fresh control plane with the operator running.
    pub async fn start() -> Self {
        Self::start_with(config(64 * 1024)).await
    }

    /// A fresh control plane with the operator running with `config`.
    pub async fn start_with(config: OperatorConfig) -> Self {
        let server = TestServer::start().await;
        let operator = server.start_operator(config).await;
        let client = server.client().await;
        let apps = Api::namespaced(client.clone(), NAMESPACE);
        let scenarios: Api<Scenario> = Api::namespaced(client.clone(), NAMESPACE);
        eventually("the default tenant and its DEFAULT scenario", || async {
            scenarios.get_opt("default").await.ok().flatten()
        })
        .await;
        Self {
            server,
            operator,
            client,
            apps,
        }
    }

    /// Stops the operator and the control plane.
    pub async fn stop(self) {
        self.operator.stop().await;
        self.server.stop().await;
    }

    /// Creates an object in the default tenant's namespace from JSON (namespaced kinds) or
    /// cluster-wide (cluster-scoped kinds).
    pub async fn create<K>(&self, value: Value) -> K
    where
        K: kube::Resource<DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
        K::Scope: ScopeOf,
    {
        let object: K = serde_json::from_value(value).expect("the object parses");
        K::Scope::api::<K>(&self.client)
            .create(&PostParams::default(), &object)
            .await
            .expect("the object is created")
    }

    /// Waits until the application's condition `type_` has `status` and `reason`; returns the
    /// application.
    pub async fn wait_condition(
        &self,
        name: &str,
        type_: &str,
        status: &str,
        reason: &str,
    ) -> Application {
        let apps = &self.apps;
        eventually(&format!("{name}: {type_}={status} ({reason})"), || async {
            let app = apps.get(name).await.ok()?;
            let (s, r, _) = condition(&app, type_)?;
            (s == status && r == reason).then_some(app)
        })
        .await
    }

    /// Events about the object `name`, as (type, reason, note).
    pub async fn events(&self, name: &str) -> Vec<(String, String, String)> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), NAMESPACE);
        api.list(&ListParams::default())
            .await
            .expect("events list")
            .items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .map(|e| {
                (
                    e.type_.unwrap_or_default(),
                    e.reason.unwrap_or_default(),
                    e.note.unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Waits for an Event about `name` with `reason` whose note contains `text`.
    pub async fn wait_event(&self, name: &str, type_: &str, reason: &str, text: &str) -> String {
        eventually(
            &format!("a {type_} {reason} Event on {name} with {text:?}"),
            || async {
                self.events(name)
                    .await
                    .into_iter()
                    .find(|(t, r, n)| t == type_ && r == reason && n.contains(text))
                    .map(|(_, _, note)| note)
            },
        )
        .await
    }
}

/// How to reach the API of a kind's scope.
pub trait ScopeOf {
    /// The Api for K: the default tenant's namespace or cluster-wide.
    fn api<K>(client: &Client) -> Api<K>
    where
        K: kube::Resource<DynamicType = (), Scope = Self>;
}

impl ScopeOf for k8s_openapi::NamespaceResourceScope {
    fn api<K>(client: &Client) -> Api<K>
    where
        K: kube::Resource<DynamicType = (), Scope = Self>,
    {
        Api::namespaced(client.clone(), NAMESPACE)
    }
}

impl ScopeOf for k8s_openapi::ClusterResourceScope {
    fn api<K>(client: &Client) -> Api<K>
    where
        K: kube::Resource<DynamicType = (), Scope = Self>,
    {
        Api::all(client.clone())
    }
}

/// One request an upstream server received: its headers and body.
pub type Received = (axum::http::HeaderMap, String);

/// What an upstream server was asked: per path, each request's headers and body.
#[derive(Clone, Default)]
pub struct Requests(Arc<Mutex<HashMap<String, Vec<Received>>>>);

impl Requests {
    /// Records a request to `path`.
    pub fn record(&self, path: &str, headers: &axum::http::HeaderMap, body: String) {
        self.0
            .lock()
            .unwrap()
            .entry(path.to_owned())
            .or_default()
            .push((headers.clone(), body));
    }

    /// How many requests reached `path`.
    pub fn count(&self, path: &str) -> usize {
        self.0.lock().unwrap().get(path).map_or(0, Vec::len)
    }

    /// The requests that reached `path`.
    pub fn to(&self, path: &str) -> Vec<Received> {
        self.0
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

/// A URL nothing listens on.
pub async fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("an address");
    drop(listener);
    format!("http://{address}/spec.yaml")
}

/// `Basic` authorization of a user and password.
pub fn basic(user: &str, password: &str) -> String {
    compass_operator::http::oauth::basic(user, password)
}
