//! Events (`events.k8s.io/v1`) on the objects the controllers reconcile: one Event per distinct
//! message, and a repeat of the same message within a few minutes counted in that Event's series
//! (`kubectl describe` shows "x4 over 20s"). Distinct messages with the same reason stay distinct
//! Events, so a fetch of one definition never hides the fetch of another.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use k8s_openapi::{
    api::{core::v1::ObjectReference, events::v1::Event},
    apimachinery::pkg::apis::meta::v1::MicroTime,
};
use kube::{
    Api, Client,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;

/// The kind of an Event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Something went as it should.
    Normal,
    /// Something needs attention.
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// How long a repeat counts towards an earlier Event rather than starting a new one.
const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);
/// How often occurrences whose window passed are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// The longest note the API server accepts, in bytes.
pub(crate) const MAX_NOTE: usize = 1024;

/// The identity of an occurrence: same object, kind, reason, action and message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    regarding: String,
    type_: EventType,
    reason: String,
    action: String,
    note: String,
}

/// The Event an occurrence was recorded in.
struct Recorded {
    namespace: String,
    name: String,
    count: i32,
    last_seen: Instant,
}

/// Publishes Events as one controller instance.
pub struct EventRecorder {
    client: Client,
    controller: String,
    instance: String,
    recorded: Mutex<HashMap<Key, Recorded>>,
    /// When occurrences whose window passed were last forgotten.
    swept: Mutex<Instant>,
}

impl EventRecorder {
    /// A recorder reporting as `controller` from this process.
    pub fn new(client: Client, controller: &str) -> Self {
        let instance = std::env::var("HOSTNAME").unwrap_or_else(|_| controller.to_owned());
        Self {
            client,
            controller: controller.to_owned(),
            instance,
            recorded: Mutex::default(),
            swept: Mutex::new(Instant::now()),
        }
    }

    /// Records one occurrence about `regarding` now: a new Event, or the next count of the
    /// series of the same message.
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        type_: EventType,
        reason: &str,
        action: &str,
        note: &str,
    ) -> Result<(), kube::Error> {
        let now = jiff::Timestamp::now();
        self.publish_at(regarding, type_, reason, action, note, now)
            .await
    }

    /// Records one occurrence about `regarding` that happened at `at` (it may be sent later).
    pub async fn publish_at(
        &self,
        regarding: &ObjectReference,
        type_: EventType,
        reason: &str,
        action: &str,
        note: &str,
        at: jiff::Timestamp,
    ) -> Result<(), kube::Error> {
        let note = truncate(note, MAX_NOTE);
        let key = Key {
            regarding: regarding.uid.clone().unwrap_or_default(),
            type_,
            reason: reason.to_owned(),
            action: action.to_owned(),
            note: note.to_owned(),
        };
        let now = MicroTime(at);
        let repeat = self.repeat_of(&key);
        if let Some((namespace, name, count)) = repeat {
            let series = json!({ "series": { "count": count, "lastObservedTime": now } });
            let events: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
            events
                .patch(&name, &PatchParams::default(), &Patch::Merge(&series))
                .await?;
            return Ok(());
        }
        // Events of cluster-scoped objects live in `default`, as kube-apiserver's own do.
        let namespace = regarding
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let event = Event {
            metadata: kube::api::ObjectMeta {
                generate_name: Some(format!(
                    "{}.",
                    regarding.name.as_deref().unwrap_or("object")
                )),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            event_time: Some(now),
            type_: Some(type_.as_str().to_owned()),
            reason: Some(reason.to_owned()),
            action: Some(action.to_owned()),
            note: Some(note.to_owned()),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Default::default()
        };
        let events: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let created = events.create(&PostParams::default(), &event).await?;
        let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        recorded.insert(
            key,
            Recorded {
                namespace,
                name: created.metadata.name.unwrap_or_default(),
                count: 1,
                last_seen: Instant::now(),
            },
        );
        Ok(())
    }

    /// The Event of an earlier occurrence of `key` still within its window, with the count this
    /// occurrence makes; forgets occurrences whose window has passed.
    fn repeat_of(&self, key: &Key) -> Option<(String, String, i32)> {
        let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        // Forgetting is a pass over every occurrence: at most once a second, not per Event (a
        // burst of 11,000 first Events made it quadratic).
        let mut swept = self.swept.lock().unwrap_or_else(|p| p.into_inner());
        if swept.elapsed() >= SWEEP_EVERY {
            recorded.retain(|_, r| r.last_seen.elapsed() < SERIES_WINDOW);
            *swept = Instant::now();
        }
        drop(swept);
        let earlier = recorded
            .get_mut(key)
            .filter(|r| r.last_seen.elapsed() < SERIES_WINDOW)?;
        earlier.count += 1;
        earlier.last_seen = Instant::now();
        Some((
            earlier.namespace.clone(),
            earlier.name.clone(),
            earlier.count,
        ))
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate(&"x".repeat(2000), MAX_NOTE).len(), MAX_NOTE);
    }
}
