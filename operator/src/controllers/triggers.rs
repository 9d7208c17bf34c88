//! Trigger streams shared by the controllers: the spec changes and deletions of a watched kind
//! (status writes filtered out, so an application's status never fans out to a thousand
//! runtimes), and batched fan-out, which turns a burst of changes into one pass over a cache.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    sync::Arc,
    time::Duration,
};

use futures_util::{Stream, StreamExt, stream};
use kube::{
    Resource, ResourceExt,
    runtime::{controller, reflector::ObjectRef},
};
use serde::de::DeserializeOwned;

use super::{Context, stores::Shared};

/// How long a controller waits for an object to stop changing before it reconciles it, so a
/// burst of changes (10,000 applications applied at once) costs one reconcile, not thousands.
pub const DEBOUNCE: Duration = Duration::from_millis(500);

/// How long related changes are gathered before they are mapped to the objects they affect.
pub const BATCH_WINDOW: Duration = Duration::from_millis(200);

/// The configuration every controller of this module's users runs with.
pub fn config(ctx: &Context) -> controller::Config {
    controller::Config::default()
        .concurrency(ctx.config.concurrency)
        .debounce(DEBOUNCE)
}

/// A change of another object that may matter to a controller.
#[derive(Debug)]
pub enum Change<K> {
    /// The object appeared, or its spec (or deletion mark) changed.
    Spec(Arc<K>),
    /// The object is gone; this is how it was last seen.
    Deleted(Arc<K>),
}

impl<K> Change<K> {
    /// The object as last seen.
    pub fn object(&self) -> &Arc<K> {
        match self {
            Self::Spec(object) | Self::Deleted(object) => object,
        }
    }

    /// Whether the object is gone.
    pub fn is_deleted(&self) -> bool {
        matches!(self, Self::Deleted(_))
    }
}

/// Where an object is: its namespace (empty when cluster-scoped) and name.
type Key = (String, String);

fn key_of<K: Resource>(object: &K) -> Key {
    (object.namespace().unwrap_or_default(), object.name_any())
}

/// The changes of a kind that may matter to others: a first sighting, a new generation (a spec
/// change or the deletion mark), a new uid (recreated), and deletions. Status-only writes are
/// dropped.
pub fn spec_changes<K>(shared: &Shared<K>) -> impl Stream<Item = Change<K>> + Send + 'static
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Eq + Hash + Clone + Default,
{
    let applied = shared.subscribe().map(Change::Spec);
    let deleted = shared.subscribe_deleted().map(Change::Deleted);
    let mut seen: HashMap<Key, (Option<String>, Option<i64>)> = HashMap::new();
    stream::select(applied, deleted).filter(move |change| {
        let object = change.object();
        let key = key_of(object.as_ref());
        let pass = match change {
            Change::Spec(_) => {
                let version = (object.meta().uid.clone(), object.meta().generation);
                seen.insert(key, version.clone()) != Some(version)
            }
            Change::Deleted(_) => {
                seen.remove(&key);
                true
            }
        };
        std::future::ready(pass)
    })
}

/// Gathers the items of `input` for [`BATCH_WINDOW`] after the first one arrives and yields them
/// as one set, so a burst is mapped in one pass.
pub fn batched<T>(
    input: impl Stream<Item = T> + Send + 'static,
) -> impl Stream<Item = HashSet<T>> + Send + 'static
where
    T: Eq + Hash + Send + 'static,
{
    stream::unfold(
        (input.boxed(), false),
        |(mut input, ended)| async move {
            if ended {
                return None;
            }
            let mut batch = HashSet::from([input.next().await?]);
            let window = tokio::time::sleep(BATCH_WINDOW);
            tokio::pin!(window);
            let mut ended = false;
            loop {
                tokio::select! {
                    () = &mut window => break,
                    next = input.next() => match next {
                        Some(item) => {
                            batch.insert(item);
                        }
                        None => {
                            ended = true;
                            break;
                        }
                    },
                }
            }
            Some((batch, (input, ended)))
        },
    )
}

/// Maps each batch of `scopes` to the objects it affects with `expand` (one pass over a cache
/// per batch), for `Controller::reconcile_on`.
pub fn fan_out<S, K>(
    scopes: impl Stream<Item = S> + Send + 'static,
    expand: impl Fn(&HashSet<S>) -> Vec<ObjectRef<K>> + Send + 'static,
) -> impl Stream<Item = ObjectRef<K>> + Send + 'static
where
    S: Eq + Hash + Send + 'static,
    K: Resource<DynamicType = ()> + Send + 'static,
{
    batched(scopes).flat_map(move |batch| stream::iter(expand(&batch)))
}

/// Whether an object that lists `listed` scenarios (or omits the list) is in `scenario`.
pub fn in_scenario(listed: Option<&[String]>, scenario: &str) -> bool {
    match listed {
        Some(names) => names.iter().any(|n| n == scenario),
        None => scenario == compass_crds::labels::DEFAULT_SCENARIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_comes_out_as_one_deduplicated_batch() {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let input = stream::unfold(receiver, |mut r| async move { r.recv().await.map(|x| (x, r)) });
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
    fn an_omitted_list_means_default() {
        assert!(in_scenario(None, "DEFAULT"));
        assert!(!in_scenario(None, "marketing"));
        let listed = vec!["marketing".to_owned()];
        assert!(in_scenario(Some(&listed), "marketing"));
        assert!(!in_scenario(Some(&[]), "DEFAULT"));
    }
}
