//! The renderings kept of the applications the store holds ([`Rendered`]): one for each version,
//! made when the store's watch delivers it, so that no reader pays for it, and let go of once
//! the store has let go of that version. A reader asking for a version not rendered yet (just
//! delivered) renders it itself.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak},
    time::Duration,
};

use compass_cache::Change;
use compass_crds::Application;
use futures_util::{Stream, StreamExt};

use super::rendered::Rendered;

/// How many changes may pass, beyond a quarter of the renderings kept, before the renderings of
/// versions let go of are forgotten during a burst.
const SWEEP_AFTER: usize = 64;

/// How many changes are rendered one after another before the task lets other tasks run.
const YIELD_AFTER: usize = 32;

/// How long the feed stays quiet before the renderings of versions let go of are forgotten.
const QUIET: Duration = Duration::from_secs(1);

/// The renderings kept, by the version of the application they were made from.
#[derive(Default)]
pub struct Renderings {
    /// By where the version lies in memory. A rendering holds its version's allocation
    /// (though not the version itself once let go of), so that no other version can lie there
    /// while the rendering is kept.
    kept: RwLock<Map>,
}

/// Renderings by where their version lies in memory.
type Map = HashMap<usize, Kept, foldhash::fast::RandomState>;

/// A rendering and the version it was made from.
struct Kept {
    version: Weak<Application>,
    rendered: Arc<Rendered>,
}

impl Renderings {
    /// The rendering of `application` (one version of it), kept or made now.
    pub fn of(&self, application: &Arc<Application>) -> Arc<Rendered> {
        let kept = (self.read().get(&address(application))).map(|kept| kept.rendered.clone());
        // Rendered without the lock held.
        kept.unwrap_or_else(|| Arc::new(Rendered::of(application)))
    }

    /// [`of`](Self::of) for each of `applications`, looked up together: a page's readers
    /// would otherwise take turns at the lock once per application.
    pub fn of_each(&self, applications: &[Arc<Application>]) -> Vec<Arc<Rendered>> {
        let found: Vec<Option<Arc<Rendered>>> = {
            let map = self.read();
            let lookup = |version| map.get(&address(version)).map(|k| k.rendered.clone());
            applications.iter().map(lookup).collect()
        };
        // Rendered without the lock held.
        (found.into_iter().zip(applications))
            .map(|(found, version)| found.unwrap_or_else(|| Arc::new(Rendered::of(version))))
            .collect()
    }

    /// Keeps a rendering of each version `changes` deliver (a store's feed: every application it
    /// holds, then each change) until the store lets go of it; runs until the feed ends.
    pub async fn keep(&self, changes: impl Stream<Item = Change<Application>>) {
        let mut changes = std::pin::pin!(changes);
        let mut since_sweep = 0;
        loop {
            match tokio::time::timeout(QUIET, changes.next()).await {
                Ok(Some(change)) => self.apply(change),
                Ok(None) => return,
                // A burst over: what it replaced is let go of now, not at the next burst.
                Err(_) => {
                    if since_sweep > 0 {
                        self.sweep();
                        since_sweep = 0;
                    }
                    continue;
                }
            }
            since_sweep += 1;
            if since_sweep > self.len() / 4 + SWEEP_AFTER {
                self.sweep();
                since_sweep = 0;
            }
            // A burst's changes are ready one after another, and the feed waits for this task:
            // give the worker back to requests now and then.
            if since_sweep % YIELD_AFTER == 0 {
                tokio::task::yield_now().await;
            }
        }
    }

    /// Renders the version `change` delivers, if it has not been rendered.
    fn apply(&self, change: Change<Application>) {
        let Change::Applied(version) = change else {
            return;
        };
        // Delivered twice (changed while the feed was subscribed to): kept already.
        if self.read().contains_key(&address(&version)) {
            return;
        }
        let kept = Kept {
            version: Arc::downgrade(&version),
            rendered: Arc::new(Rendered::of(&version)),
        };
        // Let go of here, so that the store may be the last to hold it.
        drop(version);
        self.write().insert(address_of(&kept.version), kept);
    }

    /// Forgets the renderings of versions nothing holds any more: replaced or deleted.
    fn sweep(&self) {
        // Found under the read lock, so that pages go on reading while every entry is looked
        // at; an entry found so stays so (nothing takes its address while it is held).
        let map = self.read();
        let dead = map
            .iter()
            .filter(|(_, kept)| kept.version.strong_count() == 0);
        let dead: Vec<usize> = dead.map(|(address, _)| *address).collect();
        drop(map);
        if dead.is_empty() {
            return;
        }
        let forgotten: Vec<Kept> = {
            let mut map = self.write();
            dead.iter()
                .filter_map(|address| map.remove(address))
                .collect()
        };
        // Freed without the lock held.
        drop(forgotten);
    }

    /// How many renderings are kept.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// The map, to read.
    fn read(&self) -> RwLockReadGuard<'_, Map> {
        self.kept.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The map, to change.
    fn write(&self) -> RwLockWriteGuard<'_, Map> {
        self.kept.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where a version lies in memory.
fn address(version: &Arc<Application>) -> usize {
    Arc::as_ptr(version) as usize
}

/// [`address`] of a version held weakly.
fn address_of(version: &Weak<Application>) -> usize {
    Weak::as_ptr(version) as usize
}

#[cfg(test)]
mod tests {
    use futures_util::stream;

    use super::*;

    /// A version of an application named `name`.
    fn version(name: &str) -> Arc<Application> {
        let spec = serde_json::from_value(serde_json::json!({})).unwrap();
        Arc::new(Application::new(name, spec))
    }

    #[tokio::test(start_paused = true)]
    async fn a_version_delivered_is_rendered_once_and_forgotten_once_let_go_of() {
        let renderings = Renderings::default();
        let mut versions: Vec<_> = (0..100).map(|i| version(&format!("app-{i}"))).collect();
        let delivered = versions.iter().cloned().map(Change::Applied);
        renderings
            .keep(stream::iter(delivered.collect::<Vec<_>>()))
            .await;
        assert_eq!(renderings.len(), 100);
        // Kept: every reader gets the one rendering.
        let kept = renderings.of(&versions[0]);
        assert!(Arc::ptr_eq(&kept, &renderings.of(&versions[0])));
        // Not delivered: rendered for the reader, not kept.
        let undelivered = version("late");
        assert!(!Arc::ptr_eq(
            &renderings.of(&undelivered),
            &renderings.of(&undelivered)
        ));
        // Looked up together: the kept one, and the other rendered for the reader.
        let each = renderings.of_each(&[versions[0].clone(), undelivered.clone()]);
        assert!(Arc::ptr_eq(&each[0], &kept));
        assert_eq!(each.len(), 2);
        // Half let go of by the store (replaced or deleted): forgotten as changes go on.
        let gone: Vec<_> = versions.drain(50..).collect();
        let deleted = gone.iter().cloned().map(Change::Deleted);
        let applied = versions.iter().cloned().map(Change::Applied);
        let changes: Vec<_> = deleted.chain(applied).collect();
        drop(gone);
        renderings.keep(stream::iter(changes)).await;
        assert_eq!(renderings.len(), 50);
        // After a burst, once the feed is quiet: one more let go of is forgotten without
        // waiting for more changes.
        let last = versions.pop().unwrap();
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let feed = stream::unfold(receiver, |mut r| async { r.recv().await.map(|c| (c, r)) });
        sender.send(Change::Deleted(last)).unwrap();
        let keeping = renderings.keep(feed);
        let quiet = async {
            tokio::time::sleep(QUIET * 2).await;
            renderings.len()
        };
        tokio::select! {
            () = keeping => panic!("the feed ended"),
            len = quiet => assert_eq!(len, 49),
        }
        assert!(Arc::ptr_eq(&kept, &renderings.of(&versions[0])));
    }
}
