//! What makes an application be reconciled, besides its own changes: a Scenario, Runtime,
//! LabelDefinition or IntegrationSystem it depends on appearing, changing or going.
//!
//! The mappers do not turn each change into application references at once. With ten thousand
//! applications in one scenario, a thousand runtimes registering would map to ten million
//! references. Instead each change marks a scope dirty (namespace + scenario, runtime, label key,
//! or integration system), and a short debounce later one pass over the application cache
//! triggers the applications in the dirty scopes, each once.
//!
//! Only changes that can alter an application's status count: a new generation (spec), deletion
//! starting, appearing and disappearing. Status writes of other controllers are filtered out.
//! Shared watches do not pass deletions on, so a periodic sweep of the caches notices objects
//! that vanished.

use std::{
    collections::{HashMap, HashSet},
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex},
    time::Duration,
};

use compass_crds::{
    Application, IntegrationSystem, LabelDefinition, Runtime, Scenario, labels::effective_scenarios,
};
use futures_util::{Stream, StreamExt, future::BoxFuture};
use kube::{
    Resource, ResourceExt,
    runtime::reflector::{ObjectRef, Store},
};
use tokio::sync::mpsc;

use super::{REFETCH_ANNOTATION, memory::Memory};
use crate::controllers::stores::{Stores, Watches};

/// How long changes are collected before the applications they affect are triggered.
const DEBOUNCE: Duration = Duration::from_millis(100);
/// How often the caches are checked for objects that vanished.
const SWEEP: Duration = Duration::from_secs(2);
/// Every how many sweeps the per-application bookkeeping forgets deleted applications.
const PRUNE_EVERY: u32 = 15;

/// The fingerprint of what about an object matters to applications.
fn fingerprint<K: Resource>(object: &K, extra: Option<&str>) -> u64 {
    fingerprint_of(object, true, extra)
}

/// The fingerprint of an object: its uid, deletion, `extra`, and its generation when
/// `generation` (an integration system matters only by existing).
fn fingerprint_of<K: Resource>(object: &K, generation: bool, extra: Option<&str>) -> u64 {
    let meta = object.meta();
    let mut hasher = DefaultHasher::new();
    meta.uid.hash(&mut hasher);
    if generation {
        meta.generation.hash(&mut hasher);
    }
    meta.deletion_timestamp.is_some().hash(&mut hasher);
    extra.hash(&mut hasher);
    hasher.finish()
}

/// The fingerprint last seen of each application, shared by the own-change filter and the
/// sweep that forgets deleted applications.
pub type Fingerprints = Arc<Mutex<HashMap<ObjectRef<Application>, u64>>>;

/// The applications' own changes that call for a reconcile: spec (generation), the refetch
/// annotation, deletion. The controller's own status writes are not among them.
pub fn own_changes(
    watches: &Watches,
) -> (
    impl Stream<Item = Arc<Application>> + Send + 'static,
    Fingerprints,
) {
    let seen: Fingerprints = Arc::default();
    let filter = seen.clone();
    let stream = watches.applications.subscribe().filter(move |app| {
        let print = fingerprint(
            app.as_ref(),
            app.annotations()
                .get(REFETCH_ANNOTATION)
                .map(String::as_str),
        );
        let mut seen = filter.lock().unwrap_or_else(|p| p.into_inner());
        let changed = seen.insert(ObjectRef::from_obj(app.as_ref()), print) != Some(print);
        std::future::ready(changed)
    });
    (stream, seen)
}

/// What an object's change may affect.
#[derive(Clone, Debug)]
enum Scope {
    /// Applications of a namespace in these scenarios, or naming this runtime for eventing.
    Runtime {
        namespace: String,
        name: String,
        scenarios: Vec<String>,
    },
    /// Applications of a namespace in this scenario.
    Scenario { namespace: String, name: String },
    /// Applications of a namespace carrying this label key.
    LabelKey { namespace: String, key: String },
    /// Applications naming this integration system.
    IntegrationSystem(String),
}

/// Dirty scopes, waiting for the next flush.
#[derive(Default)]
struct Dirty {
    scenarios: HashMap<String, HashSet<String>>,
    runtimes: HashMap<String, HashSet<String>>,
    label_keys: HashMap<String, HashSet<String>>,
    integration_systems: HashSet<String>,
}

impl Dirty {
    fn mark(&mut self, scope: &Scope) {
        match scope {
            Scope::Runtime {
                namespace,
                name,
                scenarios,
            } => {
                let entry = self.scenarios.entry(namespace.clone()).or_default();
                entry.extend(scenarios.iter().cloned());
                self.runtimes
                    .entry(namespace.clone())
                    .or_default()
                    .insert(name.clone());
            }
            Scope::Scenario { namespace, name } => {
                let entry = self.scenarios.entry(namespace.clone()).or_default();
                entry.insert(name.clone());
            }
            Scope::LabelKey { namespace, key } => {
                let entry = self.label_keys.entry(namespace.clone()).or_default();
                entry.insert(key.clone());
            }
            Scope::IntegrationSystem(name) => {
                self.integration_systems.insert(name.clone());
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
            && self.runtimes.is_empty()
            && self.label_keys.is_empty()
            && self.integration_systems.is_empty()
    }

    fn affects(&self, app: &Application) -> bool {
        let namespace = app.namespace().unwrap_or_default();
        if let Some(scenarios) = self.scenarios.get(&namespace)
            && effective_scenarios(app.spec.scenarios.as_deref())
                .iter()
                .any(|s| scenarios.contains(s))
        {
            return true;
        }
        if let Some(runtimes) = self.runtimes.get(&namespace)
            && let Some(runtime) = app
                .spec
                .eventing
                .as_ref()
                .and_then(|e| e.default_runtime.as_ref())
            && runtimes.contains(runtime)
        {
            return true;
        }
        if let Some(keys) = self.label_keys.get(&namespace)
            && app.spec.labels.keys().any(|k| keys.contains(k))
        {
            return true;
        }
        app.spec
            .integration_system
            .as_ref()
            .is_some_and(|s| self.integration_systems.contains(s))
    }
}

/// The objects of one kind seen so far, with their fingerprint and scope.
struct Tracker<K: Resource<DynamicType = ()>> {
    seen: HashMap<ObjectRef<K>, (u64, Scope)>,
}

impl<K: Resource<DynamicType = ()>> Default for Tracker<K> {
    fn default() -> Self {
        Self {
            seen: HashMap::new(),
        }
    }
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Tracker<K> {
    /// Records a change; marks the old and new scopes dirty when it matters.
    fn observe(&mut self, object: &K, print: u64, scope: Scope, dirty: &mut Dirty) {
        let previous = self
            .seen
            .insert(ObjectRef::from_obj(object), (print, scope.clone()));
        match previous {
            Some((old, _)) if old == print => {}
            Some((_, old_scope)) => {
                dirty.mark(&old_scope);
                dirty.mark(&scope);
            }
            None => dirty.mark(&scope),
        }
    }

    /// Marks the scopes of objects that left the cache dirty, and forgets them.
    fn sweep(&mut self, store: &Store<K>, dirty: &mut Dirty) {
        self.seen.retain(|reference, (_, scope)| {
            let present = store.get(reference).is_some();
            if !present {
                dirty.mark(scope);
            }
            present
        });
    }
}

fn runtime_scope(runtime: &Runtime) -> Scope {
    Scope::Runtime {
        namespace: runtime.namespace().unwrap_or_default(),
        name: runtime.name_any(),
        scenarios: effective_scenarios(runtime.spec.scenarios.as_deref()),
    }
}

/// The stream of applications that dependencies' changes affect, and the task that feeds it
/// (and prunes `memory` and the own-change filter).
pub fn dependencies(
    watches: &Watches,
    stores: Stores,
    memory: Arc<Memory>,
    own: Fingerprints,
) -> (
    impl Stream<Item = ObjectRef<Application>> + Send + 'static,
    BoxFuture<'static, ()>,
) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let mut runtimes = watches.runtimes.subscribe();
    let mut scenarios = watches.scenarios.subscribe();
    let mut definitions = watches.label_definitions.subscribe();
    let mut systems = watches.integration_systems.subscribe();
    let task = async move {
        let (mut rt, mut sc, mut ld, mut is) = (
            Tracker::<Runtime>::default(),
            Tracker::<Scenario>::default(),
            Tracker::<LabelDefinition>::default(),
            Tracker::<IntegrationSystem>::default(),
        );
        let mut dirty = Dirty::default();
        let mut sweep = tokio::time::interval(SWEEP);
        let mut sweeps: u32 = 0;
        let mut flush_at: Option<tokio::time::Instant> = None;
        loop {
            let flush = async {
                match flush_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(r) = runtimes.next() => rt.observe(&r, fingerprint(r.as_ref(), None), runtime_scope(&r), &mut dirty),
                Some(s) = scenarios.next() => {
                    let scope = Scope::Scenario { namespace: s.namespace().unwrap_or_default(), name: s.scenario_name().to_owned() };
                    sc.observe(&s, fingerprint(s.as_ref(), None), scope, &mut dirty);
                }
                Some(d) = definitions.next() => {
                    let scope = Scope::LabelKey { namespace: d.namespace().unwrap_or_default(), key: d.key().to_owned() };
                    ld.observe(&d, fingerprint(d.as_ref(), None), scope, &mut dirty);
                }
                Some(i) = systems.next() => {
                    let print = fingerprint_of(i.as_ref(), false, None);
                    is.observe(&i, print, Scope::IntegrationSystem(i.name_any()), &mut dirty);
                }
                _ = sweep.tick() => {
                    rt.sweep(&stores.runtimes, &mut dirty);
                    sc.sweep(&stores.scenarios, &mut dirty);
                    ld.sweep(&stores.label_definitions, &mut dirty);
                    is.sweep(&stores.integration_systems, &mut dirty);
                    sweeps = sweeps.wrapping_add(1);
                    if sweeps.is_multiple_of(PRUNE_EVERY) {
                        memory.prune(&stores.applications);
                        let mut own = own.lock().unwrap_or_else(|p| p.into_inner());
                        own.retain(|r, _| stores.applications.get(r).is_some());
                    }
                }
                () = flush => {
                    flush_at = None;
                    let affected = std::mem::take(&mut dirty);
                    for app in stores.applications.state().iter().filter(|a| affected.affects(a)) {
                        if sender.send(ObjectRef::from_obj(app.as_ref())).is_err() {
                            return;
                        }
                    }
                }
                else => return,
            }
            if !dirty.is_empty() && flush_at.is_none() {
                flush_at = Some(tokio::time::Instant::now() + DEBOUNCE);
            }
        }
    };
    let stream = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    (stream, Box::pin(task))
}
