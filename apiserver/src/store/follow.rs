//! Following changes: replaying the history after a resourceVersion, and receivers woken by every
//! later commit, so that watches miss nothing and see nothing twice.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::{Event, Store, StoredObject, read::range_start};

/// A watch asked to start before the oldest change the store still holds.
#[derive(Debug, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct TooOld {
    /// The resourceVersion asked for.
    pub requested: u64,
    /// The oldest resourceVersion a watch may start from.
    pub oldest: u64,
}

/// Capacity of the channel that wakes followers. It carries only resourceVersions (followers
/// read the changes from the history), so a follower that falls behind holds no objects alive;
/// one that lags past the capacity just reads what it missed from the history.
pub(super) const WAKE_CAPACITY: usize = 64;

impl Store {
    /// Starts following changes: the events after `rv` that the store still holds, and a
    /// receiver for every later change, with nothing lost or repeated in between.
    pub(crate) fn follow_from(&self, rv: u64) -> Result<Following, TooOld> {
        let state = self.lock();
        let replay = state.history.after(rv, state.rv)?;
        Ok((replay, self.changes.subscribe()))
    }

    /// A consistent snapshot of a resource (optionally one namespace) and a receiver for every
    /// change after it.
    pub(crate) fn snapshot_and_follow(&self, resource: &str, namespace: Option<&str>) -> Snapshot {
        let state = self.lock();
        let receiver = self.changes.subscribe();
        let items = state
            .objects
            .get(resource)
            .map(|objects| {
                objects
                    .range::<(String, String), _>(range_start(namespace, None))
                    .take_while(|(k, _)| namespace.is_none_or(|ns| k.0 == ns))
                    .map(|(k, o)| (k.clone(), o.clone()))
                    .collect()
            })
            .unwrap_or_default();
        (items, state.rv, receiver)
    }

    /// A receiver woken by every commit from now on, with the commit's last resourceVersion;
    /// read the changes with [`Store::events_after`].
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The changes after `rv`, or [`TooOld`] when the history no longer holds all of them.
    pub(crate) fn events_after(&self, rv: u64) -> Result<Vec<Arc<Event>>, TooOld> {
        let state = self.lock();
        state.history.after(rv, state.rv)
    }
}

/// Changes to replay, and a receiver woken by every later commit.
pub type Following = (Vec<Arc<Event>>, broadcast::Receiver<u64>);

/// A resource's objects (with their namespace and name) at a resourceVersion, and a receiver
/// woken by every later commit.
pub type Snapshot = (
    Vec<((String, String), StoredObject)>,
    u64,
    broadcast::Receiver<u64>,
);
