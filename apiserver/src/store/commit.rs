//! Writing: a commit applies a caller's writes all or none, each checked against what it expects
//! to find and given the next resourceVersion, durably in the database before memory changes;
//! callers writing at the same time share one database transaction (group commit).

use std::{collections::HashMap, sync::Arc, time::Instant};

use serde_json::Value;

use super::{
    Event, EventType, MetaSummary, ObjectKey, Packed, State, Store, StoredObject,
    queue::{Answer, Message, Queued},
    sqlite::{Change, Database},
};

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
    /// The database failed; nothing was applied. (Shared: one failed transaction answers every
    /// caller whose writes it held.)
    #[error("storage failed: {0}")]
    Storage(Arc<rusqlite::Error>),
    /// The object could not be serialized.
    #[error("object could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The commit holding these writes failed without an answer (it panicked); whether they
    /// were stored is unknown.
    #[error("the commit holding these writes failed without an answer")]
    Unanswered,
}

impl Store {
    /// Commits one group of callers' writes in one transaction and answers each caller.
    pub(super) fn commit_group(&self, database: &mut Database, group: Vec<Queued>) {
        let now = Instant::now();
        let (accepted, prepared, overflow, prune) = {
            let state = self.lock();
            let (accepted, prepared) = state.prepare_group(group);
            let overflow = state.history.overflow(&prepared, now);
            let prune = (overflow > 0).then(|| state.history.rv_at(overflow - 1, &prepared));
            (accepted, prepared, overflow, prune)
        };
        if prepared.is_empty() {
            return;
        }
        let changes: Vec<Change<'_>> = prepared.iter().map(Change::of).collect();
        if let Err(error) = database.commit(&changes, prune) {
            let error = Arc::new(error);
            for (answer, _) in accepted {
                answer.send(Message::Answer(Err(CommitError::Storage(error.clone()))));
            }
            return;
        }
        let events: Vec<Arc<Event>> = prepared.into_iter().map(Arc::new).collect();
        {
            let mut state = self.lock();
            for event in &events {
                state.rv = event.rv;
                state.apply(event);
                state.history.push(event.clone(), now);
            }
            state.history.drop_oldest(overflow);
            // No receiver is fine: nobody watches.
            let _ = self.changes.send(state.rv);
        }
        let mut events = events.into_iter();
        for (answer, count) in accepted {
            answer.send(Message::Answer(Ok(events.by_ref().take(count).collect())));
        }
    }
}

impl Change<'_> {
    fn of(event: &Event) -> Change<'_> {
        Change {
            rv: event.rv,
            key: &event.key,
            type_: event.type_,
            json: event.object.packed.stored(),
        }
    }
}

impl State {
    /// The events of a group of callers' writes, numbered from the next resourceVersion. Each
    /// caller's writes are checked against the store as the callers before it in the group
    /// leave it; a caller whose writes do not apply is answered at once and takes no
    /// resourceVersion. Returns the accepted callers, each with its number of events, and the
    /// events in order.
    fn prepare_group(&self, group: Vec<Queued>) -> (Vec<(Answer, usize)>, Vec<Event>) {
        let mut written: HashMap<ObjectKey, Option<StoredObject>> = HashMap::new();
        let mut accepted = Vec::with_capacity(group.len());
        let mut prepared = Vec::with_capacity(group.len());
        let mut rv = self.rv;
        for queued in group {
            let mut events = Vec::with_capacity(queued.writes.len());
            let outcome = queued.writes.into_iter().try_for_each(|write| {
                let next = rv + events.len() as u64 + 1;
                events.push(self.event_for(write, next, &written)?);
                Ok(())
            });
            if let Err(error) = outcome {
                queued.answer.send(Message::Answer(Err(error)));
                continue;
            }
            for event in &events {
                let after = (event.type_ != EventType::Deleted).then(|| event.object.clone());
                written.insert(event.key.clone(), after);
            }
            rv += events.len() as u64;
            accepted.push((queued.answer, events.len()));
            prepared.extend(events);
        }
        (accepted, prepared)
    }

    /// The change `write` makes at resourceVersion `rv`, once the object is found as the write
    /// expects: as `written` by earlier callers of the group, or else as stored. Earlier writes
    /// of the same caller are not seen: each is checked against the store as it was before.
    fn event_for(
        &self,
        write: Write,
        rv: u64,
        written: &HashMap<ObjectKey, Option<StoredObject>>,
    ) -> Result<Event, CommitError> {
        let (key, precondition) = match &write {
            Write::Put {
                key, precondition, ..
            }
            | Write::Delete { key, precondition } => (key.clone(), *precondition),
        };
        let current = match written.get(&key) {
            Some(after) => after.clone(),
            None => self
                .objects
                .get(&key.resource)
                .and_then(|objects| objects.get(&(key.namespace.clone(), key.name.clone())))
                .cloned(),
        };
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
                let packed = pack_object(&object)?;
                let type_ = if current.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                Event {
                    rv,
                    key,
                    type_,
                    object: StoredObject { rv, packed, meta },
                    previous: current,
                }
            }
            Write::Delete { .. } => {
                let last = current.expect("a versioned precondition found the object");
                // The deleted object is reported at the deletion's resourceVersion.
                let mut object = last.value();
                object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
                let packed = pack_object(&object)?;
                let stored = StoredObject {
                    rv,
                    packed,
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

/// An object's JSON as the store keeps it: packed, and exactly as long as it is (see [`Packed`]).
fn pack_object(object: &Value) -> serde_json::Result<Packed> {
    Ok(Packed::pack(&serde_json::to_vec(object)?))
}
