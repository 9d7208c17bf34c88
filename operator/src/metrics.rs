//! Prometheus metrics of the controllers: reconciles, failures and their duration per controller,
//! each controller's backlog and the reconciles running, served on the admin listener.

use std::time::Instant;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Label of a per-controller metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabel {
    /// The controller, for example `application`.
    pub controller: String,
}

/// Labels of a failure.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// The controller.
    pub controller: String,
    /// What kind of error it was.
    pub error: String,
}

/// Every metric of the operator.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ControllerLabel, Counter>,
    failures: Family<FailureLabels, Counter>,
    duration: Family<ControllerLabel, Histogram>,
    queue_depth: Family<ControllerLabel, Gauge>,
    running: Gauge,
    events_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::with(|_| ())
    }
}

impl Metrics {
    /// The operator's metrics, and those `register` adds to the same registry (the API's, when
    /// it runs in the same process), all served together.
    pub fn with(register: impl FnOnce(&mut Registry)) -> Self {
        Self::build(true, register)
    }

    /// Only the metrics `register` adds, for a process without controllers (the API alone, the
    /// Runtime Agent).
    pub fn standalone(register: impl FnOnce(&mut Registry)) -> Self {
        Self::build(false, register)
    }

    fn build(controllers: bool, register: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::with_prefix("compass");
        let reconciles = Family::<ControllerLabel, Counter>::default();
        let failures = Family::<FailureLabels, Counter>::default();
        let duration = Family::<ControllerLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0])
        });
        let queue_depth = Family::<ControllerLabel, Gauge>::default();
        let running = Gauge::default();
        let events_dropped = Counter::default();
        if controllers {
            registry.register(
                "controller_reconciles",
                "Reconciles run, per controller",
                reconciles.clone(),
            );
            registry.register(
                "controller_reconcile_errors",
                "Reconciles that failed, per controller and error kind",
                failures.clone(),
            );
            registry.register(
                "controller_reconcile_duration_seconds",
                "How long reconciles take",
                duration.clone(),
            );
            registry.register(
                "controller_queue_depth",
                "Objects whose latest generation the controller has not reconciled yet (status.observedGeneration behind metadata.generation)",
                queue_depth.clone(),
            );
            registry.register(
                "controller_reconciles_running",
                "Reconciles running now, all controllers together",
                running.clone(),
            );
            registry.register(
                "controller_events_dropped",
                "Events not published because the queue of Events waiting to be sent was full",
                events_dropped.clone(),
            );
        }
        register(&mut registry);
        Self {
            registry,
            reconciles,
            failures,
            duration,
            queue_depth,
            running,
            events_dropped,
        }
    }

    /// Starts timing one reconcile of `controller`; the time is recorded when the guard drops.
    pub fn reconcile(&self, controller: &str) -> ReconcileTimer<'_> {
        let label = ControllerLabel {
            controller: controller.to_owned(),
        };
        self.reconciles.get_or_create(&label).inc();
        self.running.inc();
        ReconcileTimer {
            metrics: self,
            label,
            started: Instant::now(),
        }
    }

    /// Whether any controller is reconciling now.
    pub fn reconciling(&self) -> bool {
        self.running.get() > 0
    }

    /// Counts a failed reconcile.
    pub fn failure(&self, controller: &str, error: &str) {
        let labels = FailureLabels {
            controller: controller.to_owned(),
            error: error.to_owned(),
        };
        self.failures.get_or_create(&labels).inc();
    }

    /// Sets a controller's backlog.
    pub fn set_queue_depth(&self, controller: &str, depth: usize) {
        let label = ControllerLabel {
            controller: controller.to_owned(),
        };
        self.queue_depth
            .get_or_create(&label)
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Counts an Event dropped because its queue was full.
    pub fn event_dropped(&self) {
        self.events_dropped.inc();
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// Records a reconcile's duration, and that it no longer runs, when dropped.
pub struct ReconcileTimer<'a> {
    metrics: &'a Metrics,
    label: ControllerLabel,
    started: Instant,
}

impl Drop for ReconcileTimer<'_> {
    fn drop(&mut self) {
        self.metrics.running.dec();
        self.metrics
            .duration
            .get_or_create(&self.label)
            .observe(self.started.elapsed().as_secs_f64());
    }
}
