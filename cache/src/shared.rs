//! One kind's shared store: the objects as the watch last delivered them (without
//! `managedFields`), its lookups, whether its first list is in, and waits for a write to show.

use std::{
    fmt::Debug,
    hash::Hash,
    sync::{
        Arc, Mutex, RwLock, RwLockReadGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use kube::{
    Resource,
    runtime::reflector::{self, ObjectRef, Store, store::Writer},
};
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};

use crate::{
    feed::Subscribers,
    index::{Filings, Index, Indexing, Window},
};

/// How long a caller waits for the store to show its own write before going on anyway.
pub const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

/// A kind the shared stores can hold: a resource the watcher decodes and tasks share.
pub trait Cached:
    Resource<DynamicType: Default + Eq + Hash + Clone + Send + Sync>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Cached for K where
    K: Resource<DynamicType: Default + Eq + Hash + Clone + Send + Sync>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static
{
}

/// Where a store is with its first list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncState {
    /// Its watch is listing (or has not started).
    Listing,
    /// The first full list is in.
    Synced,
    /// Its watch stopped before the first list was in.
    Stopped,
}

/// The store of one kind, shared by every part of the process that reads it. Cheap to clone.
pub struct Shared<K: Cached> {
    pub(crate) store: Store<K>,
    /// Taken by the one task that feeds the store.
    pub(crate) writer: Arc<Mutex<Option<Writer<K>>>>,
    pub(crate) index: Arc<RwLock<Index<K>>>,
    pub(crate) indexing: Indexing<K>,
    /// The filings of a list under way, for its index; only the feeding task uses them.
    pub(crate) listing: Arc<Mutex<Filings>>,
    pub(crate) sync: Arc<watch::Sender<SyncState>>,
    pub(crate) changed: Arc<Notify>,
    /// Changes shown so far; see [`Shared::changes`].
    pub(crate) changes: Arc<AtomicU64>,
    /// Changes begun so far: ahead of `changes` while one is being applied.
    pub(crate) changes_begun: Arc<AtomicU64>,
    pub(crate) subscribers: Subscribers<K>,
}

impl<K: Cached> Clone for Shared<K> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            writer: self.writer.clone(),
            index: self.index.clone(),
            indexing: self.indexing,
            listing: self.listing.clone(),
            sync: self.sync.clone(),
            changed: self.changed.clone(),
            changes: self.changes.clone(),
            changes_begun: self.changes_begun.clone(),
            subscribers: self.subscribers.clone(),
        }
    }
}

impl<K: Cached> Shared<K> {
    /// An empty store indexed as `indexing` says; nothing feeds it until its watch starts.
    pub fn new(indexing: Indexing<K>) -> Self {
        let (store, writer) = reflector::store();
        Self {
            store,
            writer: Arc::new(Mutex::new(Some(writer))),
            index: Arc::default(),
            indexing,
            listing: Arc::default(),
            sync: Arc::new(watch::channel(SyncState::Listing).0),
            changed: Arc::new(Notify::new()),
            changes: Arc::default(),
            changes_begun: Arc::default(),
            subscribers: Subscribers::default(),
        }
    }

    /// The store as kube-runtime's controllers read it.
    pub fn store(&self) -> Store<K> {
        self.store.clone()
    }

    /// Completes once the first full list is in (`true`), or once the store's watch stopped
    /// before it was (`false`).
    pub async fn ready(&self) -> bool {
        let mut sync = self.sync.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = sync.wait_for(|sync| *sync != SyncState::Listing).await;
        self.is_ready()
    }

    /// Whether the first full list is in.
    pub fn is_ready(&self) -> bool {
        *self.sync.borrow() == SyncState::Synced
    }

    /// How many changes the store has shown so far, quiet ones ([`Indexing::quiet`]) left out.
    /// It only grows, once a change is readable through every lookup. Read it, then
    /// [`Shared::changes_begun`]: equal readings mean no change was being applied; and a later
    /// reading equal to the first means the store holds what it held then, but for quiet changes.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// How many changes the store has begun to apply: one more than [`Shared::changes`] while a
    /// change is under way (it grows before anything of the change is readable, so a reader who
    /// sees any part of a change also sees this grown).
    pub fn changes_begun(&self) -> u64 {
        self.changes_begun.load(Ordering::Acquire)
    }

    /// The object with that namespace (empty for cluster-scoped kinds) and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let mut reference = ObjectRef::<K>::new(name);
        if !namespace.is_empty() {
            reference = reference.within(namespace);
        }
        self.store.get(&reference)
    }

    /// The object with that uid.
    pub fn by_uid(&self, uid: &str) -> Option<Arc<K>> {
        self.read().by_uid(uid)
    }

    /// The object with that extra key.
    pub fn by_extra(&self, key: &str) -> Option<Arc<K>> {
        self.read().by_extra(key)
    }

    /// The objects of a namespace (for cluster-scoped kinds: of ""), in uid order.
    pub fn in_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.read().in_namespace(namespace)
    }

    /// The objects carrying `tag`, in uid order.
    pub fn tagged(&self, tag: &str) -> Vec<Arc<K>> {
        self.read().tagged(tag)
    }

    /// The objects of a namespace not being deleted: at most `take` of them after the uid
    /// `after` (from the first without one), in uid order, and how many there are in all. What a
    /// page of them costs does not grow with the namespace.
    pub fn window_in_namespace(
        &self,
        namespace: &str,
        after: Option<&str>,
        take: usize,
    ) -> Window<K> {
        self.read().window_in_namespace(namespace, after, take)
    }

    /// [`Shared::window_in_namespace`] of the objects carrying `tag`.
    pub fn window_tagged(&self, tag: &str, after: Option<&str>, take: usize) -> Window<K> {
        self.read().window_tagged(tag, after, take)
    }

    /// The objects carrying any of `tags`, in uid order, each once.
    pub fn tagged_any(&self, tags: &[String]) -> Vec<Arc<K>> {
        self.read().tagged_any(tags)
    }

    /// Whether any object carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.read().has_tag(tag)
    }

    /// Every object.
    pub fn all(&self) -> Vec<Arc<K>> {
        self.store.state()
    }

    /// Waits until the store holds the object at `resource_version` or later (read-your-writes).
    pub async fn wait_for(&self, namespace: &str, name: &str, resource_version: &str) {
        let caught_up = |shared: &Self| {
            shared.get(namespace, name).is_some_and(|object| {
                let held = object
                    .meta()
                    .resource_version
                    .as_deref()
                    .unwrap_or_default();
                match (held.parse::<u64>(), resource_version.parse::<u64>()) {
                    (Ok(held), Ok(wanted)) => held >= wanted,
                    _ => held == resource_version,
                }
            })
        };
        self.wait_until(caught_up).await;
    }

    /// Waits until the store no longer holds the object.
    pub async fn wait_gone(&self, namespace: &str, name: &str) {
        self.wait_until(|shared| shared.get(namespace, name).is_none())
            .await;
    }

    /// Waits until `done` holds of the store, or [`READ_YOUR_WRITES`] passes.
    pub async fn wait_until(&self, done: impl Fn(&Self) -> bool) {
        self.wait_within(READ_YOUR_WRITES, done).await;
    }

    /// Waits until `done` holds of the store (`true`), or `limit` passes (`false`). `done` is
    /// asked again after every change of the store.
    pub async fn wait_within(&self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            if done(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done(self);
            }
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Index<K>> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }
}
