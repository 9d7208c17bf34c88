//! Opening the store: every object and the retained change history loaded from the database,
//! with the indexes the store keeps in memory rebuilt.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex, mpsc},
    time::Instant,
};

use tokio::sync::broadcast;

use super::{
    EventType, ObjectKey, State, Store, StoreOptions, StoredObject,
    follow::{WAKE_CAPACITY, rebuild},
    history::History,
    sqlite::{Database, EventSize, LoadedObject, OBJECT_DATA, summary_of},
    summary::MetaSummary,
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
        state.load_history(&database, loaded_at, options.held_bytes)?;
        // Bounds lowered since the last run apply at once, to memory and database alike.
        state.expire(&database, loaded_at)?;
        let (changes, _) = broadcast::channel(WAKE_CAPACITY);
        Ok(Self {
            state: Mutex::new(state),
            database: Mutex::new(database),
            queue: Mutex::default(),
            changes,
            path: path.to_owned(),
            reader: Mutex::default(),
        })
    }
}

/// Threads that read the loaded objects' metadata, beside the one reading the database and the
/// one filing them.
const SUMMARIZERS: usize = 2;

/// A batch of loaded objects with the metadata summary of each.
type Summarized = Vec<(LoadedObject, MetaSummary)>;

impl State {
    /// Loads every object, indexing each by its owners and counting it as its resource's latest
    /// change when it is the newest. Three stages run at once: this thread reads the database,
    /// [`SUMMARIZERS`] threads unpack each object and read its metadata (the longest part, so it
    /// is shared), and one more files the objects in memory, in whatever order they come.
    fn load_objects(&mut self, database: &Database) -> Result<(), rusqlite::Error> {
        let (sender, batches) = mpsc::sync_channel::<Vec<LoadedObject>>(LOAD_QUEUE);
        let batches = Mutex::new(batches);
        let (summarized_sender, summarized) = mpsc::sync_channel::<Summarized>(LOAD_QUEUE);
        std::thread::scope(|scope| {
            // Each summarizer stops at the first object that does not unpack: a database this
            // build cannot read is refused whole.
            let summarizers: Vec<_> = (0..SUMMARIZERS)
                .map(|_| {
                    let (batches, summarized) = (&batches, summarized_sender.clone());
                    scope.spawn(move || summarize(batches, summarized))
                })
                .collect();
            drop(summarized_sender);
            let filing = scope.spawn(|| {
                for batch in summarized {
                    for (loaded, meta) in batch {
                        self.file(loaded, meta);
                    }
                }
            });
            // A send fails only once every summarizer is gone, which their joins report.
            let read = database.load_objects(|batch| {
                let _ = sender.send(batch);
            });
            drop(sender);
            let summarized = (summarizers.into_iter())
                .map(|summarizer| summarizer.join())
                .collect::<Vec<_>>();
            let filed = filing.join();
            for joined in summarized {
                joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            }
            filed.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            read
        })
    }

    /// Files one loaded object.
    fn file(&mut self, loaded: LoadedObject, meta: MetaSummary) {
        for owner in &meta.owners {
            self.dependents
                .entry(owner.clone())
                .or_default()
                .insert(loaded.key.clone());
        }
        let stored = StoredObject {
            rv: loaded.rv,
            packed: loaded.packed,
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

    /// Loads the retained changes into the history, as if they happened at `loaded_at`: the
    /// size of each, and the latest within `held_bytes` whole.
    fn load_history(
        &mut self,
        database: &Database,
        loaded_at: Instant,
        held_bytes: usize,
    ) -> Result<(), rusqlite::Error> {
        let sizes = counted_sizes(database.event_sizes()?);
        let mut held_from = sizes.len();
        let mut held = 0;
        while held_from > 0 && held + sizes[held_from - 1].1 <= held_bytes {
            held_from -= 1;
            held += sizes[held_from].1;
        }
        // The newest change is held even when it alone is over the bound.
        held_from = held_from.min(sizes.len().saturating_sub(1));
        for &(rv, bytes) in &sizes[..held_from] {
            self.history.push_on_disk(rv, bytes, loaded_at);
        }
        let Some(&(first_held, _)) = sizes.get(held_from) else {
            return Ok(());
        };
        // The object a row holds is the stored object when it is its latest change: held once.
        let events = rebuild(database.load_events_from(first_held)?, |key, rv| {
            self.stored(key).filter(|stored| stored.rv == rv).cloned()
        })?;
        for event in events {
            self.history.push(Arc::new(event), loaded_at);
        }
        Ok(())
    }

    fn stored(&self, key: &ObjectKey) -> Option<&StoredObject> {
        self.objects
            .get(&key.resource)?
            .get(&(key.namespace.clone(), key.name.clone()))
    }
}

/// Each event's resourceVersion and the bytes it counts against the history's bound: its object
/// and the object before it, as [`super::history`] counts a change it holds.
fn counted_sizes(sizes: Vec<EventSize>) -> Vec<(u64, usize)> {
    let mut last_len: HashMap<ObjectKey, usize> = HashMap::new();
    sizes
        .into_iter()
        .map(|size| {
            let before = match size.type_ {
                EventType::Added => {
                    last_len.insert(size.key, size.len);
                    None
                }
                EventType::Modified => last_len.insert(size.key, size.len),
                EventType::Deleted => last_len.remove(&size.key),
            };
            (size.rv, size.len + before.unwrap_or(0))
        })
        .collect()
}

/// Reads the metadata of every object of the batches it takes, until there are none or one
/// does not unpack.
fn summarize(
    batches: &Mutex<mpsc::Receiver<Vec<LoadedObject>>>,
    summarized: mpsc::SyncSender<Summarized>,
) -> Result<(), rusqlite::Error> {
    loop {
        // Held only to take a batch; a panic elsewhere leaves the queue whole.
        let batch = batches.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(batch) = batch else {
            return Ok(());
        };
        let batch = (batch.into_iter())
            .map(|loaded| {
                let meta = summary_of(&loaded.packed, &loaded.key, OBJECT_DATA)?;
                Ok((loaded, meta))
            })
            .collect::<Result<Summarized, rusqlite::Error>>()?;
        if summarized.send(batch).is_err() {
            return Ok(());
        }
    }
}
