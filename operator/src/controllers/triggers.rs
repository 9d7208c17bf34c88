//! Trigger streams shared by the controllers: the spec changes and deletions of a watched kind
//! (status writes filtered out, so an application's status never fans out to a thousand
//! runtimes), and batched fan-out, which turns a burst of changes into one pass over a cache.

use std::{
    collections::{HashMap, HashSet, hash_map::DefaultHasher},
    hash::{Hash, Hasher},
    sync::Arc,
    time::Duration,
};

use futures_util::{Stream, StreamExt, stream, stream::BoxStream};
use kube::{
    Resource, ResourceExt,
    runtime::{
        controller,
        reflector::{ObjectRef, Store},
    },
};

use compass_cache::{Cached, Shared};

pub use compass_cache::Change;

use super::{Context, stores::Watches};

/// How long a controller waits for an object to stop changing before it reconciles it.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// How long the changes of other objects must pause before the objects they affect are
/// reconciled, so a burst (10,000 applications applied at once) costs one pass, not thousands.
pub const BATCH_QUIET: Duration = Duration::from_millis(500);

/// The longest a change of another object waits during an unbroken burst, after a pass over at
/// most a thousand objects: the affected objects are reconciled at least this often, so their
/// status is never stale for longer. See [`longest_wait`] for larger passes.
pub const BATCH_MAX: Duration = Duration::from_secs(5);

/// How much longer the next cut of an unbroken burst waits per object the last pass reconciled.
/// A reconcile with its status write costs the two cores of a small machine about a millisecond,
/// so at 5 ms per object the passes of a burst take at most about a fifth of its time, however
/// many objects they cover; [`BATCH_MAX`] is 1,000 objects' worth.
pub const WAIT_PER_OBJECT: Duration = Duration::from_millis(5);

/// The longest the changes of an unbroken burst wait after a pass that reconciled `affected`
/// objects: [`BATCH_MAX`], or [`WAIT_PER_OBJECT`] for each of them when that is longer.
// NB: with a fixed bound, 5,000 runtimes sharing the scenarios of 50,000 applications created in
// one burst were each reconciled and their status written about ten times over the burst, as
// many writes as the applications' own.
pub fn longest_wait(affected: usize) -> Duration {
    let affected = u32::try_from(affected).unwrap_or(u32::MAX);
    BATCH_MAX.max(WAIT_PER_OBJECT.saturating_mul(affected))
}

/// The configuration every controller of this module's users runs with.
pub fn config(ctx: &Context) -> controller::Config {
    controller::Config::default()
        .concurrency(ctx.config.concurrency)
        .debounce(DEBOUNCE)
}

/// What was last seen of an object, as digests: where it is (namespace and name), its uid and what
/// an `extra` reader found, beside its generation.
///
/// Digests, not the strings: each trigger stream keeps one record per object of its kind, and
/// three of them watch the Applications, so at 10,000 Applications the strings cost about 12 MB
/// and the digests a tenth of it. Two objects whose places share a digest only cost each other
/// an extra reconcile; a change passes unseen only when a new uid or `extra` value shares its
/// 64-bit digest with the old one, and the periodic resync reconciles it even then.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Version {
    uid: u64,
    generation: Option<i64>,
    extra: u64,
}

/// A 64-bit digest of `value`; the same in every process (SipHash with fixed keys).
fn digest(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn place_of<K: Resource>(object: &K) -> u64 {
    let meta = object.meta();
    digest((meta.namespace.as_deref(), meta.name.as_deref()))
}

/// The version last seen of each object, by the digest of its place, to tell spec changes from
/// status writes.
#[derive(Default)]
struct Versions(HashMap<u64, Version>);

impl Versions {
    /// Records `object`; whether it is new, recreated, of a new generation, or changed in what
    /// `extra` reads.
    fn changed<K: Resource>(&mut self, object: &K, extra: fn(&K) -> Option<String>) -> bool {
        let meta = object.meta();
        let version = Version {
            uid: digest(meta.uid.as_deref()),
            generation: meta.generation,
            extra: digest(extra(object)),
        };
        // Seen as it is (a status write, say) when the record is unchanged.
        self.0.insert(place_of(object), version) != Some(version)
    }

    fn forget<K: Resource>(&mut self, object: &K) {
        self.0.remove(&place_of(object));
    }
}

/// A kind's own changes that call for a reconcile: a first sighting, a new generation (a spec
/// change or the deletion mark) or a new uid. The controller's own status writes are dropped, so
/// they do not reconcile the object again.
pub fn own_changes<K: Cached>(shared: &Shared<K>) -> impl Stream<Item = Arc<K>> + Send + use<K> {
    own_changes_by(shared, |_| None)
}

/// [`own_changes`], also letting through a change of what `extra` reads of an object (an
/// annotation that asks for work, say).
pub fn own_changes_by<K: Cached>(
    shared: &Shared<K>,
    extra: fn(&K) -> Option<String>,
) -> impl Stream<Item = Arc<K>> + Send + use<K> {
    let mut seen = Versions::default();
    shared.subscribe_changes().filter_map(move |change| {
        let pass = match change {
            Change::Applied(object) => seen.changed(object.as_ref(), extra).then_some(object),
            Change::Deleted(object) => {
                // Forgotten so that the bookkeeping does not outlive the object.
                seen.forget(object.as_ref());
                None
            }
        };
        std::future::ready(pass)
    })
}

/// The changes of a kind that may matter to others: those of [`own_changes`], and deletions.
pub fn spec_changes<K: Cached>(
    shared: &Shared<K>,
) -> impl Stream<Item = Change<K>> + Send + use<K> {
    let mut seen = Versions::default();
    shared.subscribe_changes().filter(move |change| {
        let pass = match change {
            Change::Applied(object) => seen.changed(object.as_ref(), |_| None),
            Change::Deleted(object) => {
                seen.forget(object.as_ref());
                true
            }
        };
        std::future::ready(pass)
    })
}

/// The next batch of `input`: the items until none came for [`BATCH_QUIET`], or for at most
/// `longest` after the first, and whether `input` ended; `None` when it ended before any.
async fn gather<T: Eq + Hash>(
    input: &mut BoxStream<'static, T>,
    longest: Duration,
) -> Option<(HashSet<T>, bool)> {
    let mut batch = HashSet::from([input.next().await?]);
    let longest = tokio::time::sleep(longest);
    let quiet = tokio::time::sleep(BATCH_QUIET);
    tokio::pin!(longest, quiet);
    loop {
        tokio::select! {
            () = &mut longest => return Some((batch, false)),
            () = &mut quiet => return Some((batch, false)),
            next = input.next() => match next {
                Some(item) => {
                    batch.insert(item);
                    quiet.as_mut().reset(tokio::time::Instant::now() + BATCH_QUIET);
                }
                None => return Some((batch, true)),
            },
        }
    }
}

/// Maps each batch of `scopes` to the objects it affects with `expand` (one pass over a cache
/// per batch), for `Controller::reconcile_on`. During an unbroken burst a batch is cut after
/// [`longest_wait`] of the last pass's objects.
pub fn fan_out<S, K>(
    scopes: impl Stream<Item = S> + Send + 'static,
    expand: impl Fn(&HashSet<S>) -> Vec<ObjectRef<K>> + Send + 'static,
) -> impl Stream<Item = ObjectRef<K>> + Send + 'static
where
    S: Eq + Hash + Send + 'static,
    K: Resource<DynamicType = ()> + Send + 'static,
{
    let start = (scopes.boxed(), expand, BATCH_MAX);
    stream::unfold(Some(start), |state| async move {
        let (mut scopes, expand, longest) = state?;
        let (batch, ended) = gather(&mut scopes, longest).await?;
        let affected = expand(&batch);
        let next = longest_wait(affected.len());
        Some((affected, (!ended).then_some((scopes, expand, next))))
    })
    .flat_map(stream::iter)
}

/// Namespaces where an application, a runtime or an object of `own` changed its spec, was
/// created or deleted: what a namespace-wide summary of `own` (use counts, label checks)
/// depends on.
pub fn namespaces_touched<K: Cached>(
    watches: &Watches,
    own: &Shared<K>,
) -> impl Stream<Item = String> + Send + use<K> {
    let applications = spec_changes(&watches.applications()).map(namespace_of);
    let runtimes = spec_changes(&watches.runtimes()).map(namespace_of);
    let own = spec_changes(own).map(namespace_of);
    stream::select(applications, stream::select(runtimes, own))
}

fn namespace_of<K: Resource>(change: Change<K>) -> String {
    change.object().namespace().unwrap_or_default()
}

/// Every object of `store` in a batch of namespaces, for [`fan_out`].
pub fn in_namespaces<K>(store: Store<K>) -> impl Fn(&HashSet<String>) -> Vec<ObjectRef<K>>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    move |namespaces| {
        store
            .state()
            .iter()
            .filter(|o| namespaces.contains(&o.namespace().unwrap_or_default()))
            .map(|o| ObjectRef::from_obj(o.as_ref()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compass_crds::Runtime;

    /// The batches of `input`, each cut as `fan_out` cuts its first: after [`BATCH_QUIET`] with
    /// no item, or [`BATCH_MAX`] after the first item.
    fn batched<T>(
        input: impl Stream<Item = T> + Send + 'static,
    ) -> impl Stream<Item = HashSet<T>> + Send + 'static
    where
        T: Eq + Hash + Send + 'static,
    {
        stream::unfold(Some(input.boxed()), |input| async move {
            let mut input = input?;
            let (batch, ended) = gather(&mut input, BATCH_MAX).await?;
            Some((batch, (!ended).then_some(input)))
        })
    }

    #[tokio::test]
    async fn a_burst_comes_out_as_one_deduplicated_batch() {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let input = stream::unfold(
            receiver,
            |mut r| async move { r.recv().await.map(|x| (x, r)) },
        );
        let mut batches = Box::pin(batched(input));
        for item in [1, 2, 2, 3] {
            sender.send(item).unwrap();
        }
        assert_eq!(batches.next().await, Some(HashSet::from([1, 2, 3])));
        sender.send(4).unwrap();
        drop(sender);
        assert_eq!(batches.next().await, Some(HashSet::from([4])));
        assert_eq!(batches.next().await, None);
    }

    #[test]
    fn versions_pass_new_objects_generations_uids_and_extras_and_drop_status_writes() {
        use k8s_openapi::api::core::v1::ConfigMap;
        let object = |uid: &str, generation: i64, annotation: &str, data: &str| {
            let mut map = ConfigMap::default();
            map.metadata.namespace = Some("tenant".into());
            map.metadata.name = Some("app".into());
            map.metadata.uid = Some(uid.into());
            map.metadata.generation = Some(generation);
            map.metadata.annotations = Some([("ask".to_owned(), annotation.to_owned())].into());
            map.data = Some([("status".to_owned(), data.to_owned())].into());
            map
        };
        let asked = |map: &ConfigMap| map.annotations().get("ask").cloned();
        let mut seen = Versions::default();
        assert!(
            seen.changed(&object("u1", 1, "a", "x"), asked),
            "first sighting"
        );
        assert!(
            !seen.changed(&object("u1", 1, "a", "x"), asked),
            "seen as it is"
        );
        assert!(
            !seen.changed(&object("u1", 1, "a", "y"), asked),
            "a status write"
        );
        assert!(
            seen.changed(&object("u1", 2, "a", "y"), asked),
            "a new generation"
        );
        assert!(
            seen.changed(&object("u1", 2, "b", "y"), asked),
            "a new extra"
        );
        assert!(seen.changed(&object("u2", 2, "b", "y"), asked), "recreated");
        let mut other = object("u3", 2, "b", "y");
        other.metadata.name = Some("other".into());
        assert!(seen.changed(&other, asked), "another object is its own");
        seen.forget(&object("u2", 2, "b", "y"));
        assert!(seen.changed(&object("u2", 2, "b", "y"), asked), "forgotten");
    }

    // On tokio's paused clock the sleeps below take no real time and the figures are exact, so
    // the test says nothing about how busy the machine is.
    #[tokio::test(start_paused = true)]
    async fn an_unbroken_burst_is_cut_at_the_longest_wait() {
        let started = tokio::time::Instant::now();
        // One item every 100 ms, forever: never quiet.
        let every = Duration::from_millis(100);
        let input = stream::unfold(0u64, move |n| async move {
            tokio::time::sleep(every).await;
            Some((n, n + 1))
        });
        let mut batches = Box::pin(batched(input));
        let first = batches.next().await.unwrap();
        let waited = started.elapsed();
        assert_eq!(
            waited,
            every + BATCH_MAX,
            "cut BATCH_MAX after the first item"
        );
        // Every item that came in that time, the first included; the one due at the cut itself
        // may fall on either side of it.
        let came = (BATCH_MAX.as_millis() / every.as_millis()) as usize;
        assert!(
            first.len() == came || first.len() == came + 1,
            "{} items",
            first.len()
        );
        assert!(first.contains(&0), "the batch starts with the first item");
    }

    /// How long the next `count` objects of `objects` took to come.
    async fn pass(
        objects: &mut (impl Stream<Item = ObjectRef<Runtime>> + Unpin),
        count: usize,
    ) -> Duration {
        let started = tokio::time::Instant::now();
        for _ in 0..count {
            objects.next().await.unwrap();
        }
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_large_pass_an_unbroken_burst_is_cut_later() {
        let every = Duration::from_millis(100);
        let input = stream::unfold(0u64, move |n| async move {
            tokio::time::sleep(every).await;
            Some((n, n + 1))
        });
        // Each batch affects 2,000 objects: the cut after the first waits 2,000 times 5 ms.
        let affected = 2_000;
        let expand = move |_: &HashSet<u64>| {
            (0..affected)
                .map(|i| ObjectRef::<Runtime>::new(&format!("r{i}")))
                .collect()
        };
        let mut objects = Box::pin(fan_out(input, expand));
        assert_eq!(pass(&mut objects, affected).await, every + BATCH_MAX);
        assert_eq!(longest_wait(affected), Duration::from_secs(10));
        // From the first item after the cut, which may come with it or up to 100 ms later.
        let second = pass(&mut objects, affected).await;
        assert!(
            second >= longest_wait(affected) && second <= every + longest_wait(affected),
            "{second:?}"
        );
        assert_eq!(longest_wait(10), BATCH_MAX, "never sooner than BATCH_MAX");
    }
}
