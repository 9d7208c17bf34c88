//! In-memory caches the Director reads from: one watch per kind, with the indexes queries need
//! (by namespace and name, by uid, by extra keys such as child ids or external tenant ids, per
//! namespace in uid order for pages, and by tags such as a scenario or a label key of a tenant),
//! so no query costs an API call per object and none scans more than the objects it may return. A mutation
//! waits until the cache holds what it wrote, so the caller reads its own writes.

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Debug,
    future::Future,
    pin::Pin,
    sync::{Arc, RwLock},
    time::Duration,
};

use futures_util::StreamExt;
use kube::{
    Api, Resource, ResourceExt,
    runtime::{WatchStreamExt, watcher},
};
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};

/// A background task that fills a cache.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Extra keys an object is found by (beyond namespace/name and uid); each finds one object.
pub type Indexer<K> = fn(&K) -> Vec<String>;

/// Tags of an object: keys that each find every object carrying them (a scenario, a label key).
pub type Tagger<K> = fn(&K) -> Vec<String>;

/// How long a mutation waits for the cache to show its write before answering anyway.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

type Key = (String, String);

struct Inner<K> {
    by_key: HashMap<Key, Arc<K>>,
    by_uid: HashMap<String, Key>,
    by_extra: HashMap<String, Key>,
    by_namespace: HashMap<String, BTreeMap<String, Arc<K>>>,
    by_tag: HashMap<String, BTreeMap<String, Arc<K>>>,
}

impl<K> Default for Inner<K> {
    fn default() -> Self {
        Self {
            by_key: HashMap::new(),
            by_uid: HashMap::new(),
            by_extra: HashMap::new(),
            by_namespace: HashMap::new(),
            by_tag: HashMap::new(),
        }
    }
}

/// The cache of one kind. Cheap to clone.
pub struct Cache<K> {
    inner: Arc<RwLock<Inner<K>>>,
    indexes: Indexes<K>,
    ready: watch::Receiver<bool>,
    ready_sender: Arc<watch::Sender<bool>>,
    changed: Arc<Notify>,
}

impl<K> Clone for Cache<K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            indexes: self.indexes,
            ready: self.ready.clone(),
            ready_sender: self.ready_sender.clone(),
            changed: self.changed.clone(),
        }
    }
}

/// How a cache derives its extra keys and tags.
struct Indexes<K> {
    indexer: Indexer<K>,
    tagger: Tagger<K>,
}

impl<K> Clone for Indexes<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for Indexes<K> {}

fn key_of<K: ResourceExt>(object: &K) -> Key {
    (object.namespace().unwrap_or_default(), object.name_any())
}

/// A kind the caches can hold: a resource the watcher decodes and tasks share.
pub trait Cached:
    Resource<DynamicType: Default + Eq + std::hash::Hash + Clone>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Cached for K where
    K: Resource<DynamicType: Default + Eq + std::hash::Hash + Clone>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static
{
}

impl<K> Cache<K>
where
    K: Cached,
{
    /// An empty cache; `indexer` gives each object's extra keys.
    pub fn new(indexer: Indexer<K>) -> Self {
        let (ready_sender, ready) = watch::channel(false);
        Self {
            inner: Arc::default(),
            indexes: Indexes {
                indexer,
                tagger: no_extra,
            },
            ready,
            ready_sender: Arc::new(ready_sender),
            changed: Arc::new(Notify::new()),
        }
    }

    /// The same cache, also indexed by the tags `tagger` gives each object.
    pub fn with_tags(mut self, tagger: Tagger<K>) -> Self {
        self.indexes.tagger = tagger;
        self
    }

    /// The task that keeps the cache filled from a watch of `api`.
    pub fn driver(
        &self,
        api: Api<K>,
        config: watcher::Config,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let cache = self.clone();
        Box::pin(async move {
            let mut fresh: Option<Inner<K>> = None;
            // No query reads managedFields; dropping them keeps the cache small.
            let mut events = watcher(api, config)
                .default_backoff()
                .modify(|object| object.meta_mut().managed_fields = None)
                .boxed();
            while let Some(event) = events.next().await {
                match event {
                    Ok(watcher::Event::Init) => fresh = Some(Inner::default()),
                    Ok(watcher::Event::InitApply(object)) => {
                        if let Some(fresh) = fresh.as_mut() {
                            insert(fresh, cache.indexes, Arc::new(object));
                        }
                    }
                    Ok(watcher::Event::InitDone) => {
                        if let Some(fresh) = fresh.take() {
                            *cache.inner.write().unwrap_or_else(|p| p.into_inner()) = fresh;
                        }
                        cache.ready_sender.send_replace(true);
                        cache.changed.notify_waiters();
                    }
                    Ok(watcher::Event::Apply(object)) => {
                        insert(
                            &mut cache.inner.write().unwrap_or_else(|p| p.into_inner()),
                            cache.indexes,
                            Arc::new(object),
                        );
                        cache.changed.notify_waiters();
                    }
                    Ok(watcher::Event::Delete(object)) => {
                        remove(
                            &mut cache.inner.write().unwrap_or_else(|p| p.into_inner()),
                            cache.indexes,
                            &object,
                        );
                        cache.changed.notify_waiters();
                    }
                    Err(error) => {
                        tracing::warn!(%error, kind = %K::kind(&Default::default()), "Watch failed; retrying")
                    }
                }
            }
        })
    }

    /// Completes once the first full list is in.
    pub async fn ready(&self) {
        let mut ready = self.ready.clone();
        let _ = ready.wait_for(|r| *r).await;
    }

    /// The object with that namespace and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        self.read()
            .by_key
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// The object with that uid.
    pub fn by_uid(&self, uid: &str) -> Option<Arc<K>> {
        let inner = self.read();
        inner
            .by_uid
            .get(uid)
            .and_then(|key| inner.by_key.get(key))
            .cloned()
    }

    /// The object with that extra key.
    pub fn by_extra(&self, key: &str) -> Option<Arc<K>> {
        let inner = self.read();
        inner
            .by_extra
            .get(key)
            .and_then(|key| inner.by_key.get(key))
            .cloned()
    }

    /// The objects of a namespace (empty for cluster-scoped kinds), in uid order.
    pub fn in_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.read()
            .by_namespace
            .get(namespace)
            .map(|objects| objects.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The objects carrying `tag`, in uid order.
    pub fn tagged(&self, tag: &str) -> Vec<Arc<K>> {
        self.read()
            .by_tag
            .get(tag)
            .map(|objects| objects.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every object.
    pub fn all(&self) -> Vec<Arc<K>> {
        self.read().by_key.values().cloned().collect()
    }

    /// Waits until the cache holds the object at `resource_version` or later (read-your-writes).
    pub async fn wait_for(&self, namespace: &str, name: &str, resource_version: &str) {
        let caught_up = |cache: &Self| {
            cache.get(namespace, name).is_some_and(|object| {
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

    /// Waits until the cache no longer holds the object.
    pub async fn wait_gone(&self, namespace: &str, name: &str) {
        self.wait_until(|cache| cache.get(namespace, name).is_none())
            .await;
    }

    /// Waits until `done` holds of the cache, or the read-your-writes bound passes.
    pub async fn wait_until(&self, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + READ_YOUR_WRITES;
        loop {
            let notified = self.changed.notified();
            if done(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner<K>> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
}

fn insert<K: Resource>(inner: &mut Inner<K>, indexes: Indexes<K>, object: Arc<K>) {
    let key = key_of(object.as_ref());
    if let Some(previous) = inner.by_key.get(&key).cloned() {
        remove(inner, indexes, previous.as_ref());
    }
    let uid = object.meta().uid.clone().unwrap_or_default();
    for extra in (indexes.indexer)(&object) {
        inner.by_extra.insert(extra, key.clone());
    }
    for tag in (indexes.tagger)(&object) {
        inner
            .by_tag
            .entry(tag)
            .or_default()
            .insert(uid.clone(), object.clone());
    }
    inner.by_uid.insert(uid.clone(), key.clone());
    inner
        .by_namespace
        .entry(key.0.clone())
        .or_default()
        .insert(uid, object.clone());
    inner.by_key.insert(key, object);
}

fn remove<K: Resource>(inner: &mut Inner<K>, indexes: Indexes<K>, object: &K) {
    let key = key_of(object);
    let Some(stored) = inner.by_key.remove(&key) else {
        return;
    };
    let uid = stored.meta().uid.clone().unwrap_or_default();
    inner.by_uid.remove(&uid);
    for extra in (indexes.indexer)(&stored) {
        inner.by_extra.remove(&extra);
    }
    for tag in (indexes.tagger)(&stored) {
        if let Some(objects) = inner.by_tag.get_mut(&tag) {
            objects.remove(&uid);
            if objects.is_empty() {
                inner.by_tag.remove(&tag);
            }
        }
    }
    if let Some(objects) = inner.by_namespace.get_mut(&key.0) {
        objects.remove(&uid);
        if objects.is_empty() {
            inner.by_namespace.remove(&key.0);
        }
    }
}

/// No extra keys.
pub fn no_extra<K>(_: &K) -> Vec<String> {
    Vec::new()
}
