//! What every reconcile gets: the client, the shared caches, metrics, the queue of Events, the
//! outbound HTTP client, the configuration, and per-object retry backoff.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use kube::Client;

use super::{
    event_queue::EventQueue, events::EventRecorder, labels::SchemaCache, runtime::Views,
    stores::Stores,
};
use crate::{
    http::{HttpClient, guard::OutboundPolicy},
    metrics::Metrics,
};

/// Tunables of the controllers.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// How long one spec or document download may take.
    pub fetch_timeout: Duration,
    /// Largest spec or document downloaded; larger ones fail. Fetched content is kept in a
    /// ConfigMap, whose data is limited to 1 MiB.
    pub fetch_max_bytes: usize,
    /// How long one webhook call may take.
    pub webhook_timeout: Duration,
    /// After how many lease durations without renewal a runtime's agent is no longer available.
    pub heartbeat_grace: u32,
    /// How many objects each controller reconciles at once. A reconcile mostly waits for its
    /// status write: at 8, the operator made 10,000 new Applications Ready more slowly than they
    /// were created (the operator bench, `docs/benchmarks.md`), at 16 it keeps up.
    pub concurrency: u16,
    /// How often a converged object is reconciled anyway, to catch what no watch reported.
    pub resync: Duration,
    /// Namespace of the operator's own objects (its leader-election Lease, integration systems'
    /// system auths).
    pub system_namespace: String,
    /// Which addresses spec downloads, webhooks and token requests may reach.
    pub outbound: OutboundPolicy,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self {
            fetch_timeout: Duration::from_secs(10),
            fetch_max_bytes: 900 * 1024,
            webhook_timeout: Duration::from_secs(10),
            heartbeat_grace: 1,
            concurrency: 16,
            resync: Duration::from_secs(600),
            system_namespace: "compass-system".to_owned(),
            outbound: OutboundPolicy::default(),
        }
    }
}

/// Shared by every reconcile.
pub struct Context {
    /// The Kubernetes client.
    pub client: Client,
    /// The shared caches, for lookups without API calls.
    pub stores: Stores,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Publishes Events on objects, in the background.
    pub events: EventQueue,
    /// Calls applications' URLs: spec downloads and webhooks.
    pub http: HttpClient,
    /// Tunables.
    pub config: OperatorConfig,
    /// Compiled label schemas.
    pub label_schemas: SchemaCache,
    /// What runtimes see of their applications, per scenario set, for the current pass.
    pub runtime_views: Views,
    /// Failed attempts in a row, per object, for retry backoff.
    failures: Mutex<HashMap<String, u32>>,
}

/// Shortest and longest wait before retrying a failed reconcile.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

impl Context {
    /// A context for the controllers.
    pub fn new(
        client: Client,
        stores: Stores,
        metrics: Arc<Metrics>,
        config: OperatorConfig,
    ) -> Self {
        Self {
            events: EventQueue::start(
                EventRecorder::new(client.clone(), "compass-operator"),
                metrics.clone(),
            ),
            http: HttpClient::new(config.outbound.clone()),
            client,
            stores,
            metrics,
            config,
            label_schemas: SchemaCache::default(),
            runtime_views: Views::default(),
            failures: Mutex::default(),
        }
    }

    /// The wait before retrying `key` after another failure: doubling from one second up to five
    /// minutes, so a broken object is never retried in a hot loop.
    pub fn backoff(&self, key: &str) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let attempts = failures.entry(key.to_owned()).or_insert(0);
        *attempts = attempts.saturating_add(1);
        let exponent = (*attempts - 1).min(16);
        (BACKOFF_MIN * 2u32.pow(exponent)).min(BACKOFF_MAX)
    }

    /// Forgets `key`'s failures after a success.
    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}
