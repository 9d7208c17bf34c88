//! The object store: every object in memory as serialized JSON, SQLite underneath for durability,
//! one global monotonically increasing resourceVersion, and a change history (bounded in count,
//! bytes and age, see [`history`]) that watches replay from.
//!
//! Objects are kept as bytes rather than parsed trees: lists and watches send them as they are,
//! and memory stays close to the size of the JSON. Writes are compare-and-swap on the object's
//! resourceVersion; the caller computes the new object outside the lock and retries on conflict.
//!
//! This file holds what is stored and the store itself; opening ([`open`]), writing
//! ([`commit`]), reading ([`read`]) and following changes ([`follow`]) live beside it.

mod commit;
mod follow;
mod history;
mod open;
mod packed;
mod queue;
mod read;
mod sqlite;
mod summary;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::sync::broadcast;

use history::History;
use sqlite::Database;

pub use commit::{CommitError, Precondition, Write};
pub use follow::TooOld;
pub use packed::Packed;
pub use read::ListPage;
pub use summary::MetaSummary;

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

/// An object as stored: its resourceVersion, serialized JSON and metadata summary.
#[derive(Clone, Debug)]
pub struct StoredObject {
    /// resourceVersion of the last change.
    pub rv: u64,
    /// The object as JSON, with `metadata.resourceVersion` set, packed.
    pub packed: Packed,
    /// What the server needs of its metadata without parsing.
    pub meta: Arc<MetaSummary>,
}

impl StoredObject {
    /// The object parsed.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.packed.json()).unwrap_or(Value::Null)
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

/// How the store is set up: how much change history watches can replay from. The history keeps
/// the latest changes within all three bounds in the database, and the latest of those within
/// `held_bytes` in memory as well.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// At most this many changes (100,000).
    pub retained_events: usize,
    /// At most this many bytes of objects (64 MiB): a change counts its object and the object
    /// before it.
    pub retained_bytes: usize,
    /// No change older than this (15 minutes; kube-apiserver compacts etcd every 5).
    pub retained_age: Duration,
    /// Of the retained changes, the latest within this many bytes (16 MiB, counted as
    /// `retained_bytes` counts them) are held in memory; a watch resuming from before them reads
    /// the older ones from the database.
    pub held_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            retained_events: 100_000,
            retained_bytes: 64 * 1024 * 1024,
            retained_age: Duration::from_secs(15 * 60),
            held_bytes: 16 * 1024 * 1024,
        }
    }
}

impl StoreOptions {
    fn limits(&self) -> history::Limits {
        history::Limits {
            count: self.retained_events,
            bytes: self.retained_bytes,
            age: self.retained_age,
            held_bytes: self.held_bytes,
        }
    }
}

type Objects = HashMap<String, BTreeMap<(String, String), StoredObject>>;

struct State {
    rv: u64,
    objects: Objects,
    /// Dependents by owner uid, for garbage collection.
    dependents: HashMap<String, HashSet<ObjectKey>>,
    history: History,
    /// The resourceVersion of the last change of each resource (storage key), deletions
    /// included, so caches derived from a resource know when they are stale.
    last_changes: HashMap<String, u64>,
}

/// The object store. Cheap to share behind an `Arc`. Other crates see only its housekeeping
/// ([`maintain`](Self::maintain), [`history_size`](Self::history_size)); the server reads and
/// writes through the rest.
pub struct Store {
    state: Mutex<State>,
    /// The database; the caller leading the commits holds it while it commits the queued writes
    /// (see [`commit`]). Taken before `state` when both are needed.
    database: Mutex<Database>,
    /// Writes waiting for the database.
    queue: Mutex<queue::Queue>,
    /// The resourceVersion of each commit's last change, for followers to wake on.
    changes: broadcast::Sender<u64>,
    /// The database file, and a connection of its own reading changes memory no longer holds,
    /// opened at the first such read.
    path: PathBuf,
    reader: Mutex<Option<sqlite::EventReader>>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves no half-applied change: memory is updated only
        // after the database commit succeeded. Keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn database(&self) -> MutexGuard<'_, Database> {
        // A panic while holding it leaves the database as its last transaction left it.
        self.database
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last resourceVersion handed out.
    pub(crate) fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// The resourceVersion of the latest change (deletions included) of any of `resources`
    /// (storage keys); 0 when none changed since the store was opened empty.
    pub(crate) fn last_change(&self, resources: &[&str]) -> u64 {
        let state = self.lock();
        resources
            .iter()
            .filter_map(|r| state.last_changes.get(*r))
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// Housekeeping, for a background task to call now and then: drops changes that aged out of
    /// the history (from memory and database) and gives the database's free pages back to the
    /// file system.
    pub fn maintain(&self) -> Result<(), rusqlite::Error> {
        let database = self.database();
        self.lock().expire(&database, Instant::now())?;
        database.reclaim_space()
    }

    /// How many changes the history retains, and the bytes of the objects they keep alive.
    pub fn history_size(&self) -> (usize, usize) {
        self.lock().history.size()
    }

    /// How many of the retained changes are held in memory, and their bytes.
    pub fn history_held(&self) -> (usize, usize) {
        self.lock().history.held_size()
    }
}

impl State {
    /// Drops the changes that fall outside the history's bounds at `now`.
    fn expire(&mut self, database: &Database, now: Instant) -> Result<(), rusqlite::Error> {
        let overflow = self.history.overflow(&[], now);
        if overflow > 0 {
            database.prune_events(self.history.rv_at(overflow - 1, &[]))?;
            self.history.drop_oldest(overflow);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
