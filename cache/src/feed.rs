//! Feeding a kind's store from its watch: each event updates the store and its lookups, wakes
//! read-your-writes waiters, and reaches every subscriber, with backpressure (a slow subscriber
//! slows the watch rather than miss a change). A relist reports the objects that vanished while
//! the watch was down as deleted. Objects are decoded without their `managedFields`.

use std::{collections::HashSet, future::Future, pin::Pin, sync::Arc, sync::atomic::Ordering};

use async_broadcast::{InactiveReceiver, Sender};
use futures_util::{Stream, StreamExt, stream};
use kube::{
    Api, Resource,
    runtime::{
        WatchStreamExt,
        reflector::{ObjectRef, store::Writer},
        watcher,
    },
};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    index::{Filings, Index},
    lean::Lean,
    shared::{Cached, Shared, SyncState},
};

/// How many changes a store buffers for its slowest subscriber before its watch waits, and how
/// many decoded events wait to be applied.
const BUFFER: usize = 1024;

/// How many decoded events are taken to be applied at once.
const BATCH: usize = 64;

/// A background task that feeds a store.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A change of an object, as subscribers see it.
#[derive(Debug)]
pub enum Change<K> {
    /// The object appeared or changed (any change: spec, metadata or status).
    Applied(Arc<K>),
    /// The object is gone; this is how it was last seen.
    Deleted(Arc<K>),
}

impl<K> Clone for Change<K> {
    fn clone(&self) -> Self {
        match self {
            Self::Applied(object) => Self::Applied(object.clone()),
            Self::Deleted(object) => Self::Deleted(object.clone()),
        }
    }
}

impl<K> Change<K> {
    /// The object as last seen.
    pub fn object(&self) -> &Arc<K> {
        match self {
            Self::Applied(object) | Self::Deleted(object) => object,
        }
    }

    /// Whether the object is gone.
    pub fn is_deleted(&self) -> bool {
        matches!(self, Self::Deleted(_))
    }
}

/// The channel every subscriber of a kind reads from.
pub(crate) struct Subscribers<K> {
    sender: Sender<Change<K>>,
    // Keeps the channel open while no subscriber is active.
    idle: InactiveReceiver<Change<K>>,
}

impl<K> Clone for Subscribers<K> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            idle: self.idle.clone(),
        }
    }
}

impl<K> Default for Subscribers<K> {
    fn default() -> Self {
        let (mut sender, receiver) = async_broadcast::broadcast(BUFFER);
        // Wait for a full subscriber instead of dropping its oldest change, and do not wait
        // when nobody subscribes.
        sender.set_overflow(false);
        sender.set_await_active(false);
        Self {
            sender,
            idle: receiver.deactivate(),
        }
    }
}

impl<K: Cached> Shared<K> {
    /// Every change from now on, starting with every object already held (so a part that
    /// subscribes after the store filled misses nothing).
    pub fn subscribe_changes(&self) -> impl Stream<Item = Change<K>> + Send + use<K> {
        let live = self.subscribers.idle.activate_cloned();
        // Taken after subscribing: a change in between comes twice, never not at all. Before the
        // first list is in, the list itself will reach the subscriber.
        let held = if self.is_ready() {
            self.store.state()
        } else {
            Vec::new()
        };
        stream::iter(held.into_iter().map(Change::Applied)).chain(live)
    }

    /// Every object that appears or changes from now on, starting with every object held.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<K>> + Send + use<K> {
        self.subscribe_changes().filter_map(|change| {
            std::future::ready(match change {
                Change::Applied(object) => Some(object),
                Change::Deleted(_) => None,
            })
        })
    }

    /// Whether the store's feed was taken (its watch started).
    pub(crate) fn is_fed(&self) -> bool {
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// The task that lists and watches `api` and feeds the store; `None` if the store already
    /// has its feed.
    pub(crate) fn feed(&self, api: Api<Lean<K>>, config: watcher::Config) -> Option<Task> {
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()?;
        let shared = self.clone();
        let stopped = StopGuard(self.sync.clone());
        Some(Box::pin(async move {
            let _stopped = stopped;
            // The watch decodes in a task of its own, so that decoding the next objects overlaps
            // applying these on the other core: filling the stores is most of a cold start.
            let (sender, mut decoded) = mpsc::channel(BUFFER);
            let _watching = AbortOnDrop(tokio::spawn(watch(api, config, sender)));
            let mut events = Vec::with_capacity(BATCH);
            while decoded.recv_many(&mut events, BATCH).await > 0 {
                let changes = if is_burst(&events) {
                    let batch = std::mem::take(&mut events);
                    let Some((returned, changes)) = shared.update_apart(writer, batch).await else {
                        return;
                    };
                    writer = returned;
                    changes
                } else {
                    shared.update_all(&mut writer, &events)
                };
                events.clear();
                shared.publish(changes).await;
            }
        }))
    }

    /// Applies one watch event to the store, its lookups, its waiters and its subscribers.
    #[cfg(test)]
    pub(crate) async fn apply(&self, writer: &mut Writer<K>, event: &watcher::Event<K>) {
        let changes = self.update(writer, event);
        self.publish(changes).await;
    }

    /// [`Shared::update_all`] on a thread of its own, for a list or a burst of changes: the watch
    /// decodes the next objects on the other core meanwhile (on the async workers the two took
    /// turns). `None` if it did not run because the runtime is shutting down.
    async fn update_apart(
        &self,
        mut writer: Writer<K>,
        events: Vec<watcher::Event<K>>,
    ) -> Option<(Writer<K>, Vec<Change<K>>)> {
        let shared = self.clone();
        let applied = tokio::task::spawn_blocking(move || {
            let changes = shared.update_all(&mut writer, &events);
            (writer, changes)
        });
        match applied.await {
            Ok(applied) => Some(applied),
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => None,
        }
    }

    /// Applies `events` to the store, its lookups and its waiters; returns the changes for the
    /// subscribers.
    fn update_all(&self, writer: &mut Writer<K>, events: &[watcher::Event<K>]) -> Vec<Change<K>> {
        let mut changes = Vec::new();
        for event in events {
            changes.extend(self.update(writer, event));
        }
        changes
    }

    /// Applies one watch event to the store, its lookups and its waiters; returns the changes
    /// for the subscribers.
    fn update(&self, writer: &mut Writer<K>, event: &watcher::Event<K>) -> Vec<Change<K>> {
        if matches!(event, watcher::Event::Init | watcher::Event::InitApply(_)) {
            // A relist in progress: nothing shows until it is done.
            let mut listing = self.listing.lock().unwrap_or_else(|p| p.into_inner());
            match event {
                watcher::Event::InitApply(object) => listing.add(object, self.indexing),
                _ => *listing = Filings::default(),
            }
            writer.apply_watcher_event(event);
            return Vec::new();
        }
        let quiet = match event {
            watcher::Event::Apply(object) => self
                .store
                .get(&ObjectRef::from_obj(object))
                .is_some_and(|previous| (self.indexing.quiet)(&previous, object)),
            _ => false,
        };
        // Begun before the store changes, ended once it and its lookups show the change: see
        // `Shared::changes`.
        if !quiet {
            self.changes_begun.fetch_add(1, Ordering::AcqRel);
        }
        let changes = match event {
            watcher::Event::Apply(object) => self.apply_one(writer, event, object),
            watcher::Event::Delete(object) => self.delete_one(writer, event, object),
            _ => self.relisted(writer, event),
        };
        if !quiet {
            self.changes.fetch_add(1, Ordering::Release);
        }
        self.changed.notify_waiters();
        changes
    }

    /// Hands `changes` to every subscriber, waiting for room where one is behind.
    async fn publish(&self, changes: Vec<Change<K>>) {
        for change in changes {
            // An error means no subscriber is left, which is not a failure of the feed.
            let _ = self.subscribers.sender.broadcast_direct(change).await;
        }
    }

    fn apply_one(
        &self,
        writer: &mut Writer<K>,
        event: &watcher::Event<K>,
        object: &K,
    ) -> Vec<Change<K>> {
        let reference = ObjectRef::from_obj(object);
        let previous = self.store.get(&reference);
        writer.apply_watcher_event(event);
        let Some(current) = self.store.get(&reference) else {
            return Vec::new();
        };
        self.write_index()
            .replace(previous.as_ref(), &current, self.indexing);
        vec![Change::Applied(current)]
    }

    fn delete_one(
        &self,
        writer: &mut Writer<K>,
        event: &watcher::Event<K>,
        object: &K,
    ) -> Vec<Change<K>> {
        let previous = self.store.get(&ObjectRef::from_obj(object));
        writer.apply_watcher_event(event);
        let gone = previous.unwrap_or_else(|| Arc::new(object.clone()));
        self.write_index().remove(&gone, self.indexing);
        vec![Change::Deleted(gone)]
    }

    /// The end of a (re)list: the store holds what was listed, and every object is reported.
    fn relisted(&self, writer: &mut Writer<K>, event: &watcher::Event<K>) -> Vec<Change<K>> {
        let before = self.store.state();
        writer.apply_watcher_event(event);
        let now = self.store.state();
        let filings = std::mem::take(&mut *self.listing.lock().unwrap_or_else(|p| p.into_inner()));
        *self.write_index() = Index::of_listed(&now, filings, self.indexing);
        self.sync.send_replace(SyncState::Synced);
        tracing::debug!(kind = %K::kind(&Default::default()), objects = now.len(), "Listed");
        vanished(before, &now)
            .map(Change::Deleted)
            .chain(now.iter().cloned().map(Change::Applied))
            .collect()
    }

    fn write_index(&self) -> std::sync::RwLockWriteGuard<'_, Index<K>> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Lists and watches `api`, passing every event on to `sender` until nobody receives them.
async fn watch<K: Cached>(
    api: Api<Lean<K>>,
    config: watcher::Config,
    sender: mpsc::Sender<watcher::Event<K>>,
) {
    let mut events = watcher(api, config).default_backoff().boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => {
                if sender.send(unwrapped(event)).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, kind = %K::kind(&Default::default()), "Watch failed; retrying");
            }
        }
    }
}

/// Whether `events` are more than one change as it happens: several, or part of a list.
fn is_burst<K>(events: &[watcher::Event<K>]) -> bool {
    !matches!(
        events,
        [watcher::Event::Apply(_) | watcher::Event::Delete(_)]
    )
}

/// The event with its object as the store holds it.
fn unwrapped<K>(event: watcher::Event<Lean<K>>) -> watcher::Event<K> {
    match event {
        watcher::Event::Apply(Lean(object)) => watcher::Event::Apply(object),
        watcher::Event::Delete(Lean(object)) => watcher::Event::Delete(object),
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitApply(Lean(object)) => watcher::Event::InitApply(object),
        watcher::Event::InitDone => watcher::Event::InitDone,
    }
}

/// Stops the watch when the feed stops.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Tells the store's waiters, when its feed ends before the first list is in, that none will come.
struct StopGuard(Arc<tokio::sync::watch::Sender<SyncState>>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        self.0.send_if_modified(|sync| {
            let listing = *sync == SyncState::Listing;
            if listing {
                *sync = SyncState::Stopped;
            }
            listing
        });
    }
}

/// The objects of `before` that `now` holds no longer (by uid).
fn vanished<K: Resource>(before: Vec<Arc<K>>, now: &[Arc<K>]) -> impl Iterator<Item = Arc<K>> {
    // Nothing was held before the first list: no set of every uid to build then.
    let present: HashSet<Option<&str>> = match before.is_empty() {
        true => HashSet::new(),
        false => now.iter().map(|o| o.meta().uid.as_deref()).collect(),
    };
    before
        .into_iter()
        .filter(move |o| !present.contains(&o.meta().uid.as_deref()))
}

#[cfg(test)]
mod tests;
