//! Events sent in the background. A reconcile hands its Event to the queue and goes on; a few
//! senders publish the queued Events, each object's in the order they were queued, as the event
//! recorders of Kubernetes' own controllers do. In a burst the objects' statuses go first and
//! their Events follow. Events are a record for people, never something a controller acts on,
//! so one that finds the queue full is dropped and counted
//! (`compass_controller_events_dropped_total`) rather than holding up a reconcile.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::Arc,
};

use k8s_openapi::api::core::v1::ObjectReference;
use tokio::sync::mpsc;

use super::events::{EventRecorder, EventType};
use crate::metrics::Metrics;

/// Senders publishing at once; each object's Events go through one of them.
const SENDERS: usize = 2;
/// Events waiting per sender, at most; what comes on top of a full queue is dropped.
const WAITING_PER_SENDER: usize = 5_000;

/// One occurrence to publish.
struct Occurrence {
    regarding: ObjectReference,
    type_: EventType,
    reason: String,
    action: String,
    note: String,
}

/// The queue of Events waiting to be published. Cheap to share; its senders stop once it is
/// dropped and what is queued is sent.
pub struct EventQueue {
    senders: Vec<mpsc::Sender<Occurrence>>,
    metrics: Arc<Metrics>,
}

impl EventQueue {
    /// Starts the senders, publishing through `recorder`. Needs a Tokio runtime.
    pub fn start(recorder: EventRecorder, metrics: Arc<Metrics>) -> Self {
        let recorder = Arc::new(recorder);
        let senders = (0..SENDERS)
            .map(|_| {
                let (sender, mut queued) = mpsc::channel::<Occurrence>(WAITING_PER_SENDER);
                let recorder = recorder.clone();
                tokio::spawn(async move {
                    while let Some(o) = queued.recv().await {
                        let published = recorder
                            .publish(&o.regarding, o.type_, &o.reason, &o.action, &o.note)
                            .await;
                        if let Err(error) = published {
                            let name = o.regarding.name.unwrap_or_default();
                            tracing::debug!(%error, %name, "Publishing an Event failed");
                        }
                    }
                });
                sender
            })
            .collect();
        Self { senders, metrics }
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
        let sender = &self.senders[hasher.finish() as usize % self.senders.len()];
        let occurrence = Occurrence {
            regarding,
            type_,
            reason: reason.to_owned(),
            action: action.to_owned(),
            note,
        };
        if sender.try_send(occurrence).is_err() {
            self.metrics.event_dropped();
        }
    }
}
