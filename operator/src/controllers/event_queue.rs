//! Events sent in the background. A reconcile hands its Event to the queue and goes on; a few
//! senders publish the queued Events, each object's in the order they were queued, as the event
//! recorders of Kubernetes' own controllers do. In a burst the objects' statuses go first and
//! their Events follow. Events are a record for people, never something a controller acts on,
//! so one that finds the queue full is dropped and counted
//! (`compass_controller_events_dropped_total`) rather than holding up a reconcile.
//!
//! An Event also waits while any reconcile runs, for up to ten seconds: each Event is a write to
//! the control plane like a status, and in a burst the statuses (what `kubectl wait`, the
//! Director and the agents act on) should not share the control plane with the Events about them.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use k8s_openapi::api::core::v1::ObjectReference;
use tokio::{sync::mpsc, task::JoinHandle, time::Instant};

use super::events::{EventRecorder, EventType, MAX_NOTE, truncate};
use crate::metrics::Metrics;

/// Senders publishing at once; each object's Events go through one of them.
const SENDERS: usize = 2;
/// Events waiting per sender, at most; what comes on top of a full queue is dropped. Room for
/// the Events of [`DEFER_AT_MOST`] of a burst of 2,000 objects becoming Ready per second.
const WAITING_PER_SENDER: usize = 10_000;
/// How long an Event waits at most while reconciles run.
const DEFER_AT_MOST: Duration = Duration::from_secs(10);
/// How often a waiting sender looks again whether reconciles still run.
const LOOK_AGAIN: Duration = Duration::from_millis(20);
/// How long the controllers' end waits for the queued Events to be sent.
const DRAIN: Duration = Duration::from_secs(5);

/// One occurrence to publish.
struct Occurrence {
    regarding: ObjectReference,
    type_: EventType,
    reason: String,
    action: String,
    note: String,
    /// When it happened (it is sent later).
    at: jiff::Timestamp,
    /// When it was queued, for how long it may still wait.
    queued: Instant,
}

/// The queue of Events waiting to be published, shared by every reconcile through the
/// controllers' context; [`EventQueue::drain`] sends what is queued and stops the senders.
pub struct EventQueue {
    senders: Mutex<Vec<mpsc::Sender<Occurrence>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    metrics: Arc<Metrics>,
    /// Set once the controllers stop: what is queued then is sent without waiting.
    draining: Arc<AtomicBool>,
}

impl EventQueue {
    /// Starts the senders, publishing through `recorder`. Needs a Tokio runtime.
    pub fn start(recorder: EventRecorder, metrics: Arc<Metrics>) -> Self {
        let recorder = Arc::new(recorder);
        let draining = Arc::new(AtomicBool::new(false));
        let (senders, tasks) = (0..SENDERS)
            .map(|_| {
                let (sender, queued) = mpsc::channel::<Occurrence>(WAITING_PER_SENDER);
                let quiet = Quiet {
                    metrics: metrics.clone(),
                    draining: draining.clone(),
                };
                (
                    sender,
                    tokio::spawn(send_all(recorder.clone(), queued, quiet)),
                )
            })
            .unzip();
        Self {
            senders: Mutex::new(senders),
            tasks: Mutex::new(tasks),
            metrics,
            draining,
        }
    }

    /// Sends what is queued (for at most five seconds) and stops the senders; what is
    /// published after is dropped.
    pub async fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
        self.senders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        let sent = futures_util::future::join_all(tasks);
        if tokio::time::timeout(DRAIN, sent).await.is_err() {
            tracing::info!("Stopped sending Events with some still queued");
        }
    }

    /// Queues one occurrence about `regarding` (see [`EventRecorder::publish`]).
    pub fn publish(
        &self,
        regarding: ObjectReference,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        // The same object always goes to the same sender, so its Events keep their order and a
        // repeat finds the Event of the occurrence before it.
        let mut hasher = DefaultHasher::new();
        regarding.uid.hash(&mut hasher);
        let senders = self.senders.lock().unwrap_or_else(|p| p.into_inner());
        let Some(sender) = senders.get(hasher.finish() as usize % SENDERS) else {
            return; // Drained: the controllers are stopping.
        };
        let occurrence = Occurrence {
            regarding,
            type_,
            reason: reason.to_owned(),
            action: action.to_owned(),
            // Cut now, so what waits is bounded in bytes too.
            note: truncate(&note, MAX_NOTE).to_owned(),
            at: jiff::Timestamp::now(),
            queued: Instant::now(),
        };
        if sender.try_send(occurrence).is_err() {
            self.metrics.event_dropped();
        }
    }
}

/// When a sender may publish: once no reconcile runs.
struct Quiet {
    metrics: Arc<Metrics>,
    draining: Arc<AtomicBool>,
}

impl Quiet {
    /// Waits until no reconcile runs, the controllers stop, or what was queued at `queued` has
    /// waited [`DEFER_AT_MOST`].
    async fn wait(&self, queued: Instant) {
        while self.metrics.reconciling()
            && !self.draining.load(Ordering::Relaxed)
            && queued.elapsed() < DEFER_AT_MOST
        {
            tokio::time::sleep(LOOK_AGAIN).await;
        }
    }
}

/// Publishes what `queued` receives, one after another, until every sender of it is gone.
async fn send_all(
    recorder: Arc<EventRecorder>,
    mut queued: mpsc::Receiver<Occurrence>,
    quiet: Quiet,
) {
    while let Some(o) = queued.recv().await {
        quiet.wait(o.queued).await;
        let published = recorder
            .publish_at(&o.regarding, o.type_, &o.reason, &o.action, &o.note, o.at)
            .await;
        if let Err(error) = published {
            let name = o.regarding.name.unwrap_or_default();
            tracing::debug!(%error, %name, "Publishing an Event failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(metrics: &Arc<Metrics>) -> Quiet {
        Quiet {
            metrics: metrics.clone(),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_waits_while_a_reconcile_runs_and_goes_once_none_does() {
        let metrics = Arc::new(Metrics::default());
        let quiet = quiet(&metrics);
        let queued = Instant::now();
        let reconcile = metrics.reconcile("application");
        let waiting = tokio::spawn(async move { quiet.wait(queued).await });
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(!waiting.is_finished(), "sent while a reconcile ran");
        drop(reconcile);
        tokio::time::sleep(LOOK_AGAIN * 2).await;
        assert!(
            waiting.is_finished(),
            "still waiting after the reconcile ended"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_waits_at_most_ten_seconds_and_not_at_all_when_draining() {
        let metrics = Arc::new(Metrics::default());
        let _reconcile = metrics.reconcile("runtime");
        let started = tokio::time::Instant::now();
        quiet(&metrics).wait(Instant::now()).await;
        let waited = started.elapsed();
        assert!(
            waited >= DEFER_AT_MOST && waited < DEFER_AT_MOST + LOOK_AGAIN * 2,
            "waited {waited:?}"
        );

        let draining = quiet(&metrics);
        draining.draining.store(true, Ordering::Relaxed);
        let started = tokio::time::Instant::now();
        draining.wait(Instant::now()).await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
