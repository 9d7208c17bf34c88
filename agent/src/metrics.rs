//! The agent's Prometheus metrics, served on its admin listener: how long synchronisations take,
//! applications applied, deleted and failed, the time from a change's notice on the push channel
//! to its application, the certificate's expiry and the push channel's reconnects.

use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Buckets of the durations, in seconds: from a quick no-op sync to a slow first one.
const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every metric of the agent.
#[derive(Clone, Debug)]
pub struct AgentMetrics {
    /// How long each synchronisation took, whatever its outcome.
    pub sync_duration: Histogram,
    /// Applications applied (created or updated) in the runtime.
    pub applied: Counter,
    /// Applications deleted from the runtime because the management plane no longer assigns them.
    pub deleted: Counter,
    /// Applications that failed to apply.
    pub failed: Counter,
    /// From the push channel's notice of a change to the end of the synchronisation applying it.
    pub change_to_applied: Histogram,
    /// When the agent's client certificate expires, in seconds since the epoch.
    pub certificate_expiry: Gauge,
    /// Times the push channel failed and was opened again.
    pub channel_reconnects: Counter,
}

impl Default for AgentMetrics {
    fn default() -> Self {
        Self {
            sync_duration: Histogram::new(DURATION_BUCKETS),
            applied: Counter::default(),
            deleted: Counter::default(),
            failed: Counter::default(),
            change_to_applied: Histogram::new(DURATION_BUCKETS),
            certificate_expiry: Gauge::default(),
            channel_reconnects: Counter::default(),
        }
    }
}

impl AgentMetrics {
    /// Adds every metric to `registry`, named `compass_agent_*` under a `compass` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let agent = registry.sub_registry_with_prefix("agent");
        agent.register(
            "sync_duration_seconds",
            "How long each synchronisation took",
            self.sync_duration.clone(),
        );
        agent.register(
            "applications_applied",
            "Applications applied in the runtime",
            self.applied.clone(),
        );
        agent.register(
            "applications_deleted",
            "Applications deleted from the runtime because the management plane no longer assigns them",
            self.deleted.clone(),
        );
        agent.register(
            "applications_failed",
            "Applications that failed to apply",
            self.failed.clone(),
        );
        agent.register(
            "change_to_applied_seconds",
            "From the push channel's notice of an assignment change to the end of the synchronisation applying it",
            self.change_to_applied.clone(),
        );
        agent.register(
            "certificate_expiry_timestamp_seconds",
            "When the agent's client certificate expires, in seconds since the epoch",
            self.certificate_expiry.clone(),
        );
        agent.register(
            "channel_reconnects",
            "Times the push channel failed and was opened again",
            self.channel_reconnects.clone(),
        );
    }
}
