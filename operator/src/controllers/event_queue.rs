//! Events sent in the background. A reconcile hands its Event to the queue and goes on; a few
//! senders publish the queued Events, each object's in the order they were queued, as the event
//! recorders of Kubernetes' own controllers do. In a burst the objects' statuses go first and
//! their Events follow. Events are a record for people, never something a controller acts on,
//! so one that finds the queue full is dropped and counted
//! (`compass_controller_events_dropped_total`) rather than holding up a reconcile.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex},
    time::Duration,
};

use k8s_openapi::api::core::v1::ObjectReference;
use tokio::{sync::mpsc, task::JoinHandle};

use super::events::{EventRecorder, EventType, MAX_NOTE, truncate};
use crate::metrics::Metrics;

/// Senders publishing at once; each object's Events go through one of them.
const SENDERS: usize = 2;
/// Events waiting per sender, at most; what comes on top of a full queue is dropped.
const WAITING_PER_SENDER: usize = 5_000;
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
}

/// The queue of Events waiting to be published, shared by every reconcile through the
/// controllers' context; [`EventQueue::drain`] sends what is queued and stops the senders.
pub struct EventQueue {
    senders: Mutex<Vec<mpsc::Sender<Occurrence>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    metrics: Arc<Metrics>,
}

impl EventQueue {
    /// Starts the senders, publishing through `recorder`. Needs a Tokio runtime.
    pub fn start(recorder: EventRecorder, metrics: Arc<Metrics>) -> Self {
        let recorder = Arc::new(recorder);
        let (senders, tasks) = (0..SENDERS)
            .map(|_| {
                let (sender, queued) = mpsc::channel::<Occurrence>(WAITING_PER_SENDER);
                (sender, tokio::spawn(send_all(recorder.clone(), queued)))
            })
            .unzip();
        Self {
            senders: Mutex::new(senders),
            tasks: Mutex::new(tasks),
            metrics,
        }
    }

    /// Sends what is queued (for at most five seconds) and stops the senders; what is
    /// published after is dropped.
    pub async fn drain(&self) {
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
        };
        if sender.try_send(occurrence).is_err() {
            self.metrics.event_dropped();
        }
    }
}

/// Publishes what `queued` receives, one after another, until every sender of it is gone.
async fn send_all(recorder: Arc<EventRecorder>, mut queued: mpsc::Receiver<Occurrence>) {
    while let Some(o) = queued.recv().await {
        let published = recorder
            .publish_at(&o.regarding, o.type_, &o.reason, &o.action, &o.note, o.at)
            .await;
        if let Err(error) = published {
            let name = o.regarding.name.unwrap_or_default();
            tracing::debug!(%error, %name, "Publishing an Event failed");
        }
    }
}
