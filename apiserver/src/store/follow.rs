//! Following changes: replaying the history after a resourceVersion (from memory, and from the
//! database for changes older than memory holds), and receivers woken by every later commit, so
//! that watches miss nothing and see nothing twice.

use std::{collections::HashMap, ops::RangeInclusive, sync::Arc};

use tokio::sync::broadcast;

use super::{
    Event, EventType, ObjectKey, Store, StoredObject,
    history::Replay,
    read::range_start,
    sqlite::{EVENT_DATA, EventReader, LoadedEvent, summary_of},
};

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
    /// read the changes with [`Store::changes_after`].
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The changes after `rv`, or [`TooOld`] when the history no longer retains all of them:
    /// those held in memory at once, those older than memory holds read from the database on the
    /// blocking pool.
    pub(crate) async fn changes_after(
        self: &Arc<Self>,
        rv: u64,
    ) -> Result<Vec<Arc<Event>>, TooOld> {
        let replay = self.replay(rv)?;
        if replay.on_disk.is_none() {
            return Ok(replay.held);
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.complete(rv, replay))
            .await
            .unwrap_or(Err(TooOld {
                requested: rv,
                oldest: rv,
            }))
    }

    /// What the history has after `rv`, in memory and on disk.
    pub(super) fn replay(&self, rv: u64) -> Result<Replay, TooOld> {
        let state = self.lock();
        state.history.after(rv, state.rv)
    }

    /// The changes of `replay`: those only on disk read first (blocking), then those held.
    pub(super) fn complete(&self, rv: u64, replay: Replay) -> Result<Vec<Arc<Event>>, TooOld> {
        let Some(on_disk) = replay.on_disk else {
            return Ok(replay.held);
        };
        let mut events = self.read_on_disk(rv, on_disk)?;
        events.extend(replay.held);
        Ok(events)
    }

    /// The retained changes of `range`, which memory no longer holds, for a watch resuming after
    /// `rv`. A change pruned meanwhile, or a database that cannot be read, makes the watch
    /// expire: its client lists again.
    fn read_on_disk(&self, rv: u64, range: RangeInclusive<u64>) -> Result<Vec<Arc<Event>>, TooOld> {
        let loaded = self
            .read_event_log(range.clone())
            .inspect_err(|error| tracing::warn!(%error, "Cannot read the event log"))
            .unwrap_or_default();
        let expected = (range.end() - range.start() + 1) as usize;
        if loaded.len() != expected || loaded.first().is_some_and(|e| e.rv != *range.start()) {
            return Err(self.replay(rv).err().unwrap_or(TooOld {
                requested: rv,
                oldest: *range.end(),
            }));
        }
        let events = rebuild(loaded, |_, _| None).map_err(|error| {
            tracing::warn!(%error, "Cannot read the event log");
            TooOld {
                requested: rv,
                oldest: *range.end(),
            }
        })?;
        Ok(events.into_iter().map(Arc::new).collect())
    }

    /// The event log's rows of `range`, through the reading connection (opened at first use).
    fn read_event_log(&self, range: RangeInclusive<u64>) -> rusqlite::Result<Vec<LoadedEvent>> {
        let mut slot = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        let reader = match slot.take() {
            Some(reader) => reader,
            None => EventReader::open(&self.path)?,
        };
        let rows = reader.read(range);
        *slot = Some(reader);
        rows
    }
}

/// Events rebuilt from rows of the event log, oldest first, each with the object before it when
/// an earlier row of the same object is among them (selector watches need it to tell an object
/// leaving their selection). `stored` gives the object a row holds when it is already in memory
/// at that resourceVersion, so that it is held once rather than twice (and not unpacked). A row
/// whose object does not unpack fails the whole.
pub(super) fn rebuild(
    loaded: Vec<LoadedEvent>,
    stored: impl Fn(&ObjectKey, u64) -> Option<StoredObject>,
) -> rusqlite::Result<Vec<Event>> {
    let mut last_seen: HashMap<ObjectKey, StoredObject> = HashMap::new();
    let mut events = Vec::with_capacity(loaded.len());
    for loaded in loaded {
        let object = match stored(&loaded.key, loaded.rv) {
            Some(object) => object,
            None => StoredObject {
                rv: loaded.rv,
                meta: Arc::new(summary_of(&loaded.packed, &loaded.key, EVENT_DATA)?),
                packed: loaded.packed,
            },
        };
        let previous = match loaded.type_ {
            EventType::Added => {
                last_seen.insert(loaded.key.clone(), object.clone());
                None
            }
            EventType::Modified => last_seen.insert(loaded.key.clone(), object.clone()),
            EventType::Deleted => last_seen.remove(&loaded.key),
        };
        events.push(Event {
            rv: loaded.rv,
            key: loaded.key,
            type_: loaded.type_,
            object,
            previous,
        });
    }
    Ok(events)
}

/// A resource's objects (with their namespace and name) at a resourceVersion, and a receiver
/// woken by every later commit.
pub type Snapshot = (
    Vec<((String, String), StoredObject)>,
    u64,
    broadcast::Receiver<u64>,
);
