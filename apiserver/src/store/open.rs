//! Opening the store: every object and the retained change history loaded from the database,
//! with the indexes the store keeps in memory rebuilt.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
    time::Instant,
};

use tokio::sync::broadcast;

use super::{
    Event, EventType, MetaSummary, ObjectKey, State, Store, StoreOptions, StoredObject,
    follow::WAKE_CAPACITY,
    history::History,
    sqlite::{Database, LoadedObject},
};

/// Batches of loaded objects waiting to be filed.
const LOAD_QUEUE: usize = 16;

impl Store {
    /// Opens the store in `path` (a SQLite file), loading every object and the retained events.
    pub(crate) fn open(path: &Path, options: StoreOptions) -> Result<Self, rusqlite::Error> {
        let database = Database::open(path)?;
        let mut state = State {
            rv: database.last_rv()?,
            objects: HashMap::new(),
            dependents: HashMap::new(),
            history: History::new(options.limits()),
            last_changes: HashMap::new(),
        };
        state.load_objects(&database)?;
        let loaded_at = Instant::now();
        state.load_history(&database, loaded_at)?;
        // Bounds lowered since the last run apply at once, to memory and database alike.
        state.expire(&database, loaded_at)?;
        let (changes, _) = broadcast::channel(WAKE_CAPACITY);
        Ok(Self {
            state: Mutex::new(state),
            database: Mutex::new(database),
            queue: Mutex::default(),
            changes,
        })
    }
}

impl State {
    /// Loads every object, indexing each by its owners and counting it as its resource's latest
    /// change when it is the newest. The database is read on this thread while another reads
    /// each object's metadata and files it: the two take about as long, and a large store
    /// loads in half the time.
    fn load_objects(&mut self, database: &Database) -> Result<(), rusqlite::Error> {
        let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<LoadedObject>>(LOAD_QUEUE);
        std::thread::scope(|scope| {
            let filing = scope.spawn(|| {
                for batch in batches {
                    for loaded in batch {
                        self.file(loaded);
                    }
                }
            });
            // A send fails only once the filing thread is gone, which its join reports.
            let read = database.load_objects(|batch| {
                let _ = sender.send(batch);
            });
            drop(sender);
            if let Err(panic) = filing.join() {
                std::panic::resume_unwind(panic);
            }
            read
        })
    }

    /// Files one loaded object.
    fn file(&mut self, loaded: LoadedObject) {
        let meta = MetaSummary::of_json(&loaded.json);
        for owner in &meta.owners {
            self.dependents
                .entry(owner.clone())
                .or_default()
                .insert(loaded.key.clone());
        }
        let stored = StoredObject {
            rv: loaded.rv,
            json: loaded.json,
            meta: Arc::new(meta),
        };
        let last = self
            .last_changes
            .entry(loaded.key.resource.clone())
            .or_default();
        *last = (*last).max(loaded.rv);
        self.objects
            .entry(loaded.key.resource)
            .or_default()
            .insert((loaded.key.namespace, loaded.key.name), stored);
    }

    /// Loads the retained changes into the history, as if they happened at `loaded_at`.
    fn load_history(
        &mut self,
        database: &Database,
        loaded_at: Instant,
    ) -> Result<(), rusqlite::Error> {
        // The state of each object before an event is the one its previous event left; selector
        // watches replaying after a restart need it to tell objects leaving their selection.
        let mut last_seen: HashMap<ObjectKey, StoredObject> = HashMap::new();
        for loaded in database.load_events()? {
            let object = match self.stored(&loaded.key) {
                // The object's latest change: its bytes and summary are the stored object's,
                // held once in memory rather than twice.
                Some(stored) if stored.rv == loaded.rv => stored.clone(),
                _ => StoredObject {
                    rv: loaded.rv,
                    meta: Arc::new(MetaSummary::of_json(&loaded.json)),
                    json: loaded.json,
                },
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
            self.history.push(event, loaded_at);
        }
        Ok(())
    }

    fn stored(&self, key: &ObjectKey) -> Option<&StoredObject> {
        self.objects
            .get(&key.resource)?
            .get(&(key.namespace.clone(), key.name.clone()))
    }
}
