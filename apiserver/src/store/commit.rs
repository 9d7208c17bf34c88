//! Writing: a commit applies a caller's writes all or none, each checked against what it expects
//! to find and given the next resourceVersion, durably in the database before memory changes;
//! callers writing at the same time share one database transaction (group commit).

use std::{
    collections::HashMap,
    sync::{Arc, MutexGuard, mpsc},
    time::Instant,
};

use serde_json::Value;

use super::{
    Event, EventType, MetaSummary, ObjectKey, Packed, State, Store, StoredObject,
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
}

impl Store {
    /// Applies writes atomically: all or none. Each write gets the next resourceVersion.
    ///
    /// Writes arriving together are committed together (group commit): each caller queues its
    /// writes, and one caller at a time, the leader, commits every queued caller's writes in one
    /// SQLite transaction, then answers each. A caller's writes are checked as if committed one
    /// caller after another, and each caller is answered only once the transaction holding its
    /// writes is durable. Reads are not held up while the database writes: memory changes after
    /// the transaction, under the state lock, all at once.
    pub(crate) fn commit(&self, writes: Vec<Write>) -> Result<Vec<Arc<Event>>, CommitError> {
        let (answer, answered) = mpsc::channel();
        let leads = {
            let mut queue = self.queue();
            queue.waiting.push(Queued { writes, answer });
            !std::mem::replace(&mut queue.led, true)
        };
        // A caller that does not lead sleeps until its own answer comes, or until the leader
        // before it hands it the lead, once: waiting on a shared lock instead would wake every
        // waiter in turn after each commit only to find its answer there.
        if !leads {
            match answered.recv() {
                Ok(Message::Answer(answer)) => return answer,
                Ok(Message::Lead) => {}
                // Only a leader that panicked while committing drops a queued caller unanswered.
                Err(_) => panic!("the commit holding these writes failed without an answer"),
            }
        }
        {
            let _lead = Lead(self);
            let mut database = self.database();
            let group = std::mem::take(&mut self.queue().waiting);
            self.commit_group(&mut database, group);
        }
        match answered.try_recv() {
            Ok(Message::Answer(answer)) => answer,
            _ => unreachable!("the leader's own writes were in the group it committed"),
        }
    }

    /// Runs `hold` while holding the database, so that every commit meanwhile waits for it.
    #[cfg(test)]
    pub(crate) fn with_database_held(&self, hold: impl FnOnce()) {
        let _database = self.database();
        hold();
    }

    /// How many callers' writes wait for the database.
    #[cfg(test)]
    pub(crate) fn writes_waiting(&self) -> usize {
        self.queue().waiting.len()
    }

    pub(super) fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits one group of callers' writes in one transaction and answers each caller.
    fn commit_group(&self, database: &mut Database, group: Vec<Queued>) {
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
                let _ = answer.send(Message::Answer(Err(CommitError::Storage(error.clone()))));
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
            let _ = answer.send(Message::Answer(Ok(events.by_ref().take(count).collect())));
        }
    }
}

/// The writes waiting for the database, and whether a caller leads (commits them).
#[derive(Default)]
pub(super) struct Queue {
    pub(super) waiting: Vec<Queued>,
    led: bool,
}

/// A caller's writes waiting for the database, and where its answer goes.
pub(super) struct Queued {
    writes: Vec<Write>,
    answer: Answer,
}

/// What a waiting caller is told: its outcome, or that it leads the next commit.
enum Message {
    Answer(Result<Vec<Arc<Event>>, CommitError>),
    Lead,
}

type Answer = mpsc::Sender<Message>;

/// The lead of the store's commits, held by one caller. Dropping it (after a commit, or when
/// one panicked) hands it to the first caller still waiting, or leaves the store without a
/// leader: the next caller to queue leads.
struct Lead<'a>(&'a Store);

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut queue = self.0.queue();
        match queue.waiting.first() {
            Some(next) => {
                let _ = next.answer.send(Message::Lead);
            }
            None => queue.led = false,
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
                let _ = queued.answer.send(Message::Answer(Err(error)));
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
