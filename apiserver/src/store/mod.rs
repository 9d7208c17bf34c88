//! The object store: every object in memory as serialized JSON, SQLite underneath for durability,
//! one global monotonically increasing resourceVersion, and a change history (bounded in count,
//! bytes and age, see [`history`]) that watches replay from.
//!
//! Objects are kept as bytes rather than parsed trees: lists and watches send them as they are,
//! and memory stays close to the size of the JSON. Writes are compare-and-swap on the object's
//! resourceVersion; the caller computes the new object outside the lock and retries on conflict.

mod history;
mod sqlite;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use history::History;
use sqlite::{Change, Database};

/// Where an object lives: its resource's storage key (`group/plural`), namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// Storage key of the resource, shared by all its versions: `group/plural`.
    pub resource: String,
    /// Namespace; empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// Kind of change a watch event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// The object was created.
    Added,
    /// The object was changed.
    Modified,
    /// The object was removed.
    Deleted,
}

impl EventType {
    /// The watch event `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "ADDED" => Some(Self::Added),
            "MODIFIED" => Some(Self::Modified),
            "DELETED" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// The parts of an object's metadata the server looks at without parsing the whole object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetaSummary {
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// uids of `metadata.ownerReferences`.
    pub owners: Vec<String>,
    /// Whether `metadata.finalizers` is non-empty.
    pub has_finalizers: bool,
    /// Whether `metadata.deletionTimestamp` is set.
    pub deleting: bool,
}

impl MetaSummary {
    /// Reads the summary from an object.
    pub fn of(object: &Value) -> Self {
        let metadata = &object["metadata"];
        let labels = metadata["labels"]
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let owners = metadata["ownerReferences"]
            .as_array()
            .map(|refs| {
                refs.iter()
                    .filter_map(|r| r["uid"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            uid: metadata["uid"].as_str().unwrap_or_default().to_owned(),
            labels,
            owners,
            has_finalizers: metadata["finalizers"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            deleting: !metadata["deletionTimestamp"].is_null(),
        }
    }
}

/// An object as stored: its resourceVersion, serialized JSON and metadata summary.
#[derive(Clone, Debug)]
pub struct StoredObject {
    /// resourceVersion of the last change.
    pub rv: u64,
    /// The object as JSON, with `metadata.resourceVersion` set.
    pub json: Bytes,
    /// What the server needs of its metadata without parsing.
    pub meta: Arc<MetaSummary>,
}

impl StoredObject {
    /// The object parsed.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }
}

/// A change, as watches see it.
#[derive(Clone, Debug)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// Which object changed.
    pub key: ObjectKey,
    /// What happened.
    pub type_: EventType,
    /// The object after the change (for deletions, as it was when removed).
    pub object: StoredObject,
    /// The object before the change, when known; selector watches use it to tell an object
    /// leaving their selection from one that never matched. Unknown only for the first change
    /// of an object in the event log loaded at startup.
    pub previous: Option<StoredObject>,
}

/// What a write expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// The object must not exist (create).
    Absent,
    /// The object must exist with this resourceVersion.
    Version(u64),
}

/// One write of a commit.
#[derive(Debug)]
pub enum Write {
    /// Create or replace the object. `metadata.resourceVersion` is set by the store.
    Put {
        /// Where.
        key: ObjectKey,
        /// The new object.
        object: Value,
        /// What must hold for the write to apply.
        precondition: Precondition,
    },
    /// Remove the object.
    Delete {
        /// Where.
        key: ObjectKey,
        /// The object's resourceVersion when the deletion was decided.
        precondition: Precondition,
    },
}

/// Why a commit did not apply.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// A create found an object of that name.
    #[error("object already exists")]
    AlreadyExists(ObjectKey),
    /// The object is not there.
    #[error("object not found")]
    NotFound(ObjectKey),
    /// The object changed since it was read.
    #[error("object was modified")]
    Conflict(ObjectKey),
    /// The database failed; nothing was applied.
    #[error("storage failed: {0}")]
    Storage(#[from] rusqlite::Error),
    /// The object could not be serialized.
    #[error("object could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// A watch asked to start before the oldest change the store still holds.
#[derive(Debug, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct TooOld {
    /// The resourceVersion asked for.
    pub requested: u64,
    /// The oldest resourceVersion a watch may start from.
    pub oldest: u64,
}

/// How the store is set up: how much change history watches can replay from. The history
/// (in memory and in the database alike) keeps the latest changes within all three bounds.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// At most this many changes (100,000).
    pub retained_events: usize,
    /// At most this many bytes of objects (64 MiB): a change counts its object and the object
    /// before it.
    pub retained_bytes: usize,
    /// No change older than this (15 minutes; kube-apiserver compacts etcd every 5).
    pub retained_age: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            retained_events: 100_000,
            retained_bytes: 64 * 1024 * 1024,
            retained_age: Duration::from_secs(15 * 60),
        }
    }
}

impl StoreOptions {
    fn limits(&self) -> history::Limits {
        history::Limits {
            count: self.retained_events,
            bytes: self.retained_bytes,
            age: self.retained_age,
        }
    }
}

/// Capacity of the channel that wakes followers. It carries only resourceVersions (followers
/// read the changes from the history), so a follower that falls behind holds no objects alive;
/// one that lags past the capacity just reads what it missed from the history.
const WAKE_CAPACITY: usize = 64;

type Objects = HashMap<String, BTreeMap<(String, String), StoredObject>>;

struct State {
    rv: u64,
    objects: Objects,
    /// Dependents by owner uid, for garbage collection.
    dependents: HashMap<String, HashSet<ObjectKey>>,
    history: History,
    database: Database,
    /// The resourceVersion of the last change of each resource (storage key), deletions
    /// included, so caches derived from a resource know when they are stale.
    last_changes: HashMap<String, u64>,
}

/// The object store. Cheap to share behind an `Arc`.
pub struct Store {
    state: Mutex<State>,
    /// The resourceVersion of each commit's last change, for followers to wake on.
    changes: broadcast::Sender<u64>,
}

impl Store {
    /// Opens the store in `path` (a SQLite file), loading every object and the retained events.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self, rusqlite::Error> {
        let database = Database::open(path)?;
        let rv = database.last_rv()?;
        let mut objects: Objects = HashMap::new();
        let mut dependents: HashMap<String, HashSet<ObjectKey>> = HashMap::new();
        let mut last_changes: HashMap<String, u64> = HashMap::new();
        for loaded in database.load_objects()? {
            let meta = MetaSummary::of(&serde_json::from_slice(&loaded.json).unwrap_or_default());
            for owner in &meta.owners {
                dependents
                    .entry(owner.clone())
                    .or_default()
                    .insert(loaded.key.clone());
            }
            let stored = StoredObject {
                rv: loaded.rv,
                json: loaded.json,
                meta: Arc::new(meta),
            };
            let last = last_changes.entry(loaded.key.resource.clone()).or_default();
            *last = (*last).max(loaded.rv);
            objects
                .entry(loaded.key.resource)
                .or_default()
                .insert((loaded.key.namespace, loaded.key.name), stored);
        }
        let mut history = History::new(options.limits());
        let loaded_at = Instant::now();
        // The state of each object before an event is the one its previous event left; selector
        // watches replaying after a restart need it to tell objects leaving their selection.
        let mut last_seen: HashMap<ObjectKey, StoredObject> = HashMap::new();
        for loaded in database.load_events()? {
            let meta = MetaSummary::of(&serde_json::from_slice(&loaded.json).unwrap_or_default());
            let object = StoredObject {
                rv: loaded.rv,
                json: loaded.json,
                meta: Arc::new(meta),
            };
            let previous = match loaded.type_ {
                EventType::Added => None,
                EventType::Modified => last_seen.insert(loaded.key.clone(), object.clone()),
                EventType::Deleted => last_seen.remove(&loaded.key),
            };
            if loaded.type_ == EventType::Added {
                last_seen.insert(loaded.key.clone(), object.clone());
            }
            let event = Arc::new(Event {
                rv: loaded.rv,
                key: loaded.key,
                type_: loaded.type_,
                object,
                previous,
            });
            history.push(event, loaded_at);
        }
        let mut state = State {
            rv,
            objects,
            dependents,
            history,
            database,
            last_changes,
        };
        // Bounds lowered since the last run apply at once, to memory and database alike.
        state.expire(loaded_at)?;
        let (changes, _) = broadcast::channel(WAKE_CAPACITY);
        Ok(Self {
            state: Mutex::new(state),
            changes,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves no half-applied change: memory is updated only
        // after the database commit succeeded. Keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last resourceVersion handed out.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// The resourceVersion of the latest change (deletions included) of any of `resources`
    /// (storage keys); 0 when none changed since the store was opened empty.
    pub fn last_change(&self, resources: &[&str]) -> u64 {
        let state = self.lock();
        resources
            .iter()
            .filter_map(|r| state.last_changes.get(*r))
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// One object.
    pub fn get(&self, key: &ObjectKey) -> Option<StoredObject> {
        let state = self.lock();
        state
            .objects
            .get(&key.resource)?
            .get(&(key.namespace.clone(), key.name.clone()))
            .cloned()
    }

    /// Objects of a resource in key order (namespace, then name), optionally within one
    /// namespace and after a key, keeping those `keep` accepts, at most `limit` of them.
    /// Returns them with the store's resourceVersion and how many more would match.
    pub fn list(
        &self,
        resource: &str,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: Option<usize>,
        mut keep: impl FnMut(&(String, String), &StoredObject) -> bool,
    ) -> ListPage {
        let state = self.lock();
        let mut page = ListPage {
            items: Vec::new(),
            rv: state.rv,
            remaining: 0,
        };
        let Some(objects) = state.objects.get(resource) else {
            return page;
        };
        let range = objects.range::<(String, String), _>(range_start(namespace, after));
        for (key, object) in range {
            if namespace.is_some_and(|ns| key.0 != ns) {
                break;
            }
            if after.is_some_and(|(ns, name)| key.0 == ns && key.1 == name) {
                continue;
            }
            if !keep(key, object) {
                continue;
            }
            if limit.is_some_and(|limit| page.items.len() >= limit) {
                page.remaining += 1;
            } else {
                page.items.push((key.clone(), object.clone()));
            }
        }
        page
    }

    /// Number of objects of a resource, in one namespace or in all.
    pub fn count(&self, resource: &str, namespace: Option<&str>) -> usize {
        let state = self.lock();
        let Some(objects) = state.objects.get(resource) else {
            return 0;
        };
        match namespace {
            None => objects.len(),
            Some(ns) => objects
                .range::<(String, String), _>(range_start(Some(ns), None))
                .take_while(|(k, _)| k.0 == ns)
                .count(),
        }
    }

    /// Keys of the objects that name `owner_uid` in their ownerReferences.
    pub fn dependents_of(&self, owner_uid: &str) -> Vec<ObjectKey> {
        let state = self.lock();
        state
            .dependents
            .get(owner_uid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Resources (storage keys) that hold at least one object in `namespace`.
    pub fn resources_in_namespace(&self, namespace: &str) -> Vec<String> {
        let state = self.lock();
        state
            .objects
            .iter()
            .filter(|(_, objects)| {
                objects
                    .range::<(String, String), _>(range_start(Some(namespace), None))
                    .next()
                    .is_some_and(|(k, _)| k.0 == namespace)
            })
            .map(|(resource, _)| resource.clone())
            .collect()
    }

    /// Applies writes atomically: all or none. Each write gets the next resourceVersion.
    pub fn commit(&self, writes: Vec<Write>) -> Result<Vec<Arc<Event>>, CommitError> {
        let mut state = self.lock();
        let mut rv = state.rv;
        let mut prepared = Vec::with_capacity(writes.len());
        for write in writes {
            let (key, precondition) = match &write {
                Write::Put {
                    key, precondition, ..
                }
                | Write::Delete { key, precondition } => (key.clone(), *precondition),
            };
            let current = state
                .objects
                .get(&key.resource)
                .and_then(|objects| objects.get(&(key.namespace.clone(), key.name.clone())))
                .cloned();
            match (precondition, &current) {
                (Precondition::Absent, Some(_)) => return Err(CommitError::AlreadyExists(key)),
                (Precondition::Version(_), None) => return Err(CommitError::NotFound(key)),
                (Precondition::Version(expected), Some(found)) if found.rv != expected => {
                    return Err(CommitError::Conflict(key));
                }
                _ => {}
            }
            rv += 1;
            let event = match write {
                Write::Put { mut object, .. } => {
                    object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
                    let meta = Arc::new(MetaSummary::of(&object));
                    let json = Bytes::from(serde_json::to_vec(&object)?);
                    let type_ = if current.is_some() {
                        EventType::Modified
                    } else {
                        EventType::Added
                    };
                    Event {
                        rv,
                        key,
                        type_,
                        object: StoredObject { rv, json, meta },
                        previous: current,
                    }
                }
                Write::Delete { .. } => {
                    let last = current.expect("a versioned precondition found the object");
                    // The deleted object is reported at the deletion's resourceVersion.
                    let mut object = last.value();
                    object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
                    let json = Bytes::from(serde_json::to_vec(&object)?);
                    let stored = StoredObject {
                        rv,
                        json,
                        meta: last.meta.clone(),
                    };
                    Event {
                        rv,
                        key,
                        type_: EventType::Deleted,
                        object: stored,
                        previous: Some(last),
                    }
                }
            };
            prepared.push(event);
        }
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let now = Instant::now();
        // The history after this commit, within its bounds: the changes it must drop go from the
        // database in the same transaction.
        let overflow = state.history.overflow(&prepared, now);
        let prune = (overflow > 0).then(|| state.history.rv_at(overflow - 1, &prepared));
        let changes: Vec<Change<'_>> = prepared
            .iter()
            .map(|e| Change {
                rv: e.rv,
                key: &e.key,
                type_: e.type_,
                json: &e.object.json,
            })
            .collect();
        state.database.commit(&changes, prune)?;
        state.rv = rv;
        let mut events = Vec::with_capacity(prepared.len());
        for event in prepared {
            state.apply(&event);
            let event = Arc::new(event);
            state.history.push(event.clone(), now);
            events.push(event);
        }
        state.history.drop_oldest(overflow);
        // No receiver is fine: nobody watches.
        let _ = self.changes.send(rv);
        Ok(events)
    }

    /// Housekeeping, for a background task to call now and then: drops changes that aged out of
    /// the history (from memory and database) and gives the database's free pages back to the
    /// file system.
    pub fn maintain(&self) -> Result<(), rusqlite::Error> {
        let mut state = self.lock();
        state.expire(Instant::now())?;
        state.database.reclaim_space()
    }

    /// How many changes the history holds, and the bytes of the objects they keep alive.
    pub fn history_size(&self) -> (usize, usize) {
        self.lock().history.size()
    }

    /// Starts following changes: the events after `rv` that the store still holds, and a
    /// receiver for every later change, with nothing lost or repeated in between.
    pub fn follow_from(&self, rv: u64) -> Result<Following, TooOld> {
        let state = self.lock();
        let replay = state.history.after(rv, state.rv)?;
        Ok((replay, self.changes.subscribe()))
    }

    /// A consistent snapshot of a resource (optionally one namespace) and a receiver for every
    /// change after it.
    pub fn snapshot_and_follow(&self, resource: &str, namespace: Option<&str>) -> Snapshot {
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
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The changes after `rv`, or [`TooOld`] when the history no longer holds all of them.
    pub fn events_after(&self, rv: u64) -> Result<Vec<Arc<Event>>, TooOld> {
        let state = self.lock();
        state.history.after(rv, state.rv)
    }
}

impl State {
    fn apply(&mut self, event: &Event) {
        let key = &event.key;
        self.last_changes.insert(key.resource.clone(), event.rv);
        if let Some(previous) = &event.previous {
            for owner in &previous.meta.owners {
                if let Some(set) = self.dependents.get_mut(owner) {
                    set.remove(key);
                    if set.is_empty() {
                        self.dependents.remove(owner);
                    }
                }
            }
        }
        let objects = self.objects.entry(key.resource.clone()).or_default();
        let slot = (key.namespace.clone(), key.name.clone());
        if event.type_ == EventType::Deleted {
            objects.remove(&slot);
        } else {
            for owner in &event.object.meta.owners {
                self.dependents
                    .entry(owner.clone())
                    .or_default()
                    .insert(key.clone());
            }
            objects.insert(slot, event.object.clone());
        }
    }

    /// Drops the changes that fall outside the history's bounds at `now`.
    fn expire(&mut self, now: Instant) -> Result<(), rusqlite::Error> {
        let overflow = self.history.overflow(&[], now);
        if overflow > 0 {
            self.database
                .prune_events(self.history.rv_at(overflow - 1, &[]))?;
            self.history.drop_oldest(overflow);
        }
        Ok(())
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

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The objects, in key order.
    pub items: Vec<((String, String), StoredObject)>,
    /// The store's resourceVersion when the page was read.
    pub rv: u64,
    /// How many more objects matched after the page.
    pub remaining: usize,
}

fn range_start(
    namespace: Option<&str>,
    after: Option<(&str, &str)>,
) -> std::ops::RangeFrom<(String, String)> {
    match (after, namespace) {
        (Some((ns, name)), _) => (ns.to_owned(), name.to_owned())..,
        (None, Some(ns)) => (ns.to_owned(), String::new())..,
        (None, None) => (String::new(), String::new())..,
    }
}

#[cfg(test)]
mod tests;
