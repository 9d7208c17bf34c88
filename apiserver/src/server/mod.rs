//! The API server: shared state, the request pipeline from HTTP to store, and the background
//! collector.

mod admission;
mod convert;
mod delete;
#[cfg(test)]
mod deletion_tests;
mod discovery;
pub mod event_ttl;
pub mod gc;
mod guard;
mod http;
mod namespaces;
mod object_meta;
pub(crate) mod path;
mod prepare;
mod protobuf;
pub(crate) mod query;
mod read;
mod reviews;
pub mod system_namespaces;
mod table;
pub(crate) mod turns;
mod watch;
pub(crate) mod write;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use jiff::Timestamp;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

pub use http::router;

use tokio::sync::Semaphore;
use turns::{NoTurn, Turn};

use crate::{
    auth::{Authenticator, jwt::SigningKey},
    errors::{ApiError, ApiResult},
    rbac::Authorizer,
    registry::{Behaviour, Registry, Served},
    store::Store,
};

/// The answer to a request that ran out of time.
pub fn timed_out(limit: Duration) -> ApiError {
    ApiError::timeout(format!(
        "Timeout: request did not complete within the allotted timeout of {limit:?}"
    ))
}

/// Tunables of request handling.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// How often a watch with `allowWatchBookmarks` gets a bookmark.
    pub bookmark_interval: Duration,
    /// How long a watch without `timeoutSeconds` stays open.
    pub watch_timeout: Duration,
    /// How long an Event lives after its last write (kube-apiserver's `--event-ttl`).
    pub event_ttl: Duration,
    /// How often the collector sweeps every object for work its change feed made it miss.
    pub gc_sweep_interval: Duration,
    /// How long a write may take, waiting for its turn included (kube-apiserver's request
    /// timeout). Past it the write stores nothing: a validation still running stops before its
    /// next rule (`422 Invalid` naming that rule, as the same object would take as long again),
    /// and a write still waiting for its turn is answered `504 Timeout`.
    pub write_timeout: Duration,
    /// How many large writes (bodies over 8 KiB, and CRDs) are prepared (decoded, validated
    /// with their CEL rules) at once, on threads of their own. Smaller writes are prepared on
    /// the threads serving requests, which bounds them by the number of cores.
    pub concurrent_writes: usize,
    /// How long a small write prepared on a thread serving requests may run its CEL rules
    /// there: a rule due to start later does not, and the write is prepared again on a thread
    /// of its own (one of the `concurrent_writes`), so that costly rules hold up no read, watch
    /// or health check for longer.
    pub prepare_here_for: Duration,
    /// Whether the workload kinds (Pod, Deployment, Service, ...) are stored and served like
    /// the other built-in kinds, so that installers can be tested against this server; nothing
    /// runs them and only their metadata is validated. Off, they are listed as always empty and
    /// writes of them are refused.
    pub store_workloads: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        // kube-apiserver closes watches after its minimum request timeout (30 minutes, randomised
        // up to twice that), sends bookmarks about once a minute and keeps Events for an hour.
        Self {
            bookmark_interval: Duration::from_secs(60),
            watch_timeout: Duration::from_secs(1800),
            event_ttl: Duration::from_secs(3600),
            gc_sweep_interval: Duration::from_secs(30),
            write_timeout: Duration::from_secs(60),
            concurrent_writes: std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
            // About ten times what an 8 KiB write's validation takes in a release build.
            prepare_here_for: Duration::from_millis(5),
            store_workloads: false,
        }
    }
}

/// Everything requests share. Other crates reach only its [`store`](Self::store).
pub struct ServerState {
    /// The objects.
    pub store: Arc<Store>,
    /// What is served.
    pub(crate) registry: Registry,
    /// Who a request comes from.
    pub(crate) authenticator: Authenticator,
    /// Whether they may make it.
    pub(crate) authorizer: Authorizer,
    /// Request handling tunables.
    pub(crate) options: ServerOptions,
    /// Turns of the writes being prepared at once.
    writers: Arc<Semaphore>,
}

impl ServerState {
    /// State over a store, serving the built-in kinds and the CRDs the store holds, accepting
    /// `admin_tokens` for the superuser and signing ServiceAccount tokens with a key of its own
    /// that lives as long as the state (see [`with_token_key`](Self::with_token_key)).
    pub(crate) fn new(
        store: Arc<Store>,
        admin_tokens: Vec<String>,
        options: ServerOptions,
    ) -> Self {
        let state = Self {
            store,
            registry: Registry::new(),
            authenticator: Authenticator::new(admin_tokens, SigningKey::ephemeral()),
            authorizer: Authorizer::default(),
            writers: Arc::new(Semaphore::new(options.concurrent_writes.max(1))),
            options,
        };
        state.reload_crds();
        state
    }

    /// The same state, signing and accepting ServiceAccount tokens with `key`.
    pub(crate) fn with_token_key(mut self, key: SigningKey) -> Self {
        self.authenticator = self.authenticator.with_signing_key(key);
        self
    }

    /// Rebuilds what is served from the CRDs in the store.
    pub(crate) fn reload_crds(&self) {
        let crds_key = "apiextensions.k8s.io/customresourcedefinitions";
        let page = self.store.list_all(crds_key, None);
        let crds: Vec<CustomResourceDefinition> = page
            .items
            .iter()
            .filter_map(|(_, o)| serde_json::from_slice(&o.packed.json()).ok())
            .collect();
        self.registry.rebuild(&crds);
    }

    /// Runs a write's work (decoding, admission, validation with its CEL rules, storing) on the
    /// blocking pool, a few at a time, so that an expensive validation never holds up the threads
    /// that serve other requests (a GET, `/healthz`, a watch). `work` gets the deadline, which it
    /// must not store past, and its turn, which it gives back while it waits for the database.
    pub(crate) async fn off_thread<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&ServerState, Instant, &Turn) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let limit = self.options.write_timeout;
        let deadline = Instant::now() + limit;
        let turn = Turn::take(&self.writers, deadline)
            .await
            .map_err(|no| self.no_turn(no))?;
        let state = self.clone();
        let work = tokio::task::spawn_blocking(move || work(&state, deadline, &turn));
        work.await
            .map_err(|e| ApiError::internal(format!("the write failed: {e}")))?
    }

    /// The answer to a write that got no turn.
    pub(crate) fn no_turn(&self, no: NoTurn) -> ApiError {
        match no {
            NoTurn::TimedOut => timed_out(self.options.write_timeout),
            NoTurn::Closed => ApiError::unavailable("the server is shutting down"),
        }
    }

    /// Work after a successful write: a changed CRD changes what is served.
    fn after_commit(&self, served: &Served) {
        if served.behaviour == Behaviour::CustomResourceDefinition {
            self.reload_crds();
        }
    }
}

/// What a resource request addresses, resolved against what is served.
#[derive(Clone)]
pub struct Target {
    /// The resource.
    pub served: Arc<Served>,
    /// The namespace: required for one namespaced object; `None` lists all namespaces.
    pub namespace: Option<String>,
    /// The object's name, for requests on one object.
    pub name: Option<String>,
    /// The subresource.
    pub subresource: Option<Subresource>,
}

/// Subresources the server serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subresource {
    /// `/status`.
    Status,
    /// `/finalize` of a Namespace.
    Finalize,
    /// `/token` of a ServiceAccount: issues a token, stores nothing.
    Token,
}

impl Subresource {
    /// The name in paths and managed fields.
    pub fn name(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Finalize => "finalize",
            Self::Token => "token",
        }
    }
}

/// The current time as Kubernetes writes timestamps: RFC 3339, whole seconds, UTC.
pub fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
