//! Writing: a commit applies a batch of writes all or none, each checked against what it expects
//! to find and given the next resourceVersion, durably in the database before memory changes.

use std::{sync::Arc, time::Instant};

use bytes::Bytes;
use serde_json::Value;

use super::{Event, EventType, MetaSummary, ObjectKey, State, Store, StoredObject, sqlite::Change};

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

impl Store {
    /// Applies writes atomically: all or none. Each write gets the next resourceVersion.
    pub(crate) fn commit(&self, writes: Vec<Write>) -> Result<Vec<Arc<Event>>, CommitError> {
        let mut state = self.lock();
        let mut rv = state.rv;
        let mut prepared = Vec::with_capacity(writes.len());
        for write in writes {
            rv += 1;
            prepared.push(state.event_for(write, rv)?);
        }
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let now = Instant::now();
        let overflow = state.persist(&prepared, now)?;
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
}

impl State {
    /// The change `write` makes at resourceVersion `rv`, once the object is found as the write
    /// expects. Earlier writes of the same commit are not seen: each write is checked against
    /// the store as it was before the commit.
    fn event_for(&self, write: Write, rv: u64) -> Result<Event, CommitError> {
        let (key, precondition) = match &write {
            Write::Put {
                key, precondition, ..
            }
            | Write::Delete { key, precondition } => (key.clone(), *precondition),
        };
        let current = self
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
        let event = match write {
            Write::Put { mut object, .. } => {
                object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
                let meta = Arc::new(MetaSummary::of(&object));
                let json = stored_json(&object)?;
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
                let json = stored_json(&object)?;
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
        Ok(event)
    }

    /// Writes the changes to the database in one transaction, together with pruning the oldest
    /// changes the history must drop to stay within its bounds once they are in. Returns how
    /// many that is, for the history in memory to drop after them.
    fn persist(&mut self, prepared: &[Event], now: Instant) -> Result<usize, rusqlite::Error> {
        let overflow = self.history.overflow(prepared, now);
        let prune = (overflow > 0).then(|| self.history.rv_at(overflow - 1, prepared));
        let changes: Vec<Change<'_>> = prepared
            .iter()
            .map(|e| Change {
                rv: e.rv,
                key: &e.key,
                type_: e.type_,
                json: &e.object.json,
            })
            .collect();
        self.database.commit(&changes, prune)?;
        Ok(overflow)
    }

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
}

/// An object's JSON as the store keeps it: exactly as long as it is. (A serializer's buffer grows
/// by doubling, and bytes made from it would keep the spare capacity for as long as the object
/// is stored: about a quarter more memory per object.)
fn stored_json(object: &Value) -> serde_json::Result<Bytes> {
    let mut json = serde_json::to_vec(object)?;
    json.shrink_to_fit();
    Ok(Bytes::from(json))
}
