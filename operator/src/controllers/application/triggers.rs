//! What makes an application be reconciled: its own changes (spec, the refetch annotation,
//! deletion), and a Scenario, Runtime, LabelDefinition or IntegrationSystem it depends on
//! appearing, changing or going.
//!
//! A dependency's change is not turned into application references at once: with ten thousand
//! applications in one scenario, a thousand runtimes registering would map to ten million
//! references. Each change names the scopes it touches (namespace + scenario, runtime, label key,
//! integration system; before and after the change, so a runtime leaving a scenario reaches the
//! applications it left), and the shared batching maps a burst of scopes to the applications in
//! them in one pass over the application store, each application once.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use compass_cache::Cached;
use compass_crds::{Application, Runtime, labels::effective_scenarios};
use futures_util::{Stream, StreamExt, stream};
use kube::{
    ResourceExt,
    runtime::reflector::{ObjectRef, Store},
};

use super::REFETCH_ANNOTATION;
use crate::controllers::{
    stores::Watches,
    triggers::{Change, fan_out, own_changes_by, spec_changes},
};

/// The applications' own changes that call for a reconcile: spec (generation), the refetch
/// annotation, deletion. The controller's own status writes are not among them.
pub fn own_changes(watches: &Watches) -> impl Stream<Item = Arc<Application>> + Send + 'static {
    own_changes_by(&watches.applications(), |app| {
        app.annotations().get(REFETCH_ANNOTATION).cloned()
    })
}

/// What a dependency's change may affect.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Scope {
    /// Applications of a namespace in this scenario.
    Scenario { namespace: String, name: String },
    /// Applications of a namespace naming this runtime for eventing.
    DefaultRuntime { namespace: String, name: String },
    /// Applications of a namespace carrying this label key.
    LabelKey { namespace: String, key: String },
    /// Applications naming this integration system.
    IntegrationSystem(String),
}

/// The scopes a runtime touches: its scenarios in effect, and itself as a default runtime.
fn runtime_scopes(runtime: &Runtime) -> Vec<Scope> {
    let namespace = runtime.namespace().unwrap_or_default();
    effective_scenarios(runtime.spec.scenarios.as_deref())
        .into_iter()
        .map(|name| Scope::Scenario {
            namespace: namespace.clone(),
            name,
        })
        .chain([Scope::DefaultRuntime {
            namespace: namespace.clone(),
            name: runtime.name_any(),
        }])
        .collect()
}

/// The changes of one kind as the scopes they touch, before and after each change.
fn scopes_of<K: Cached>(
    changes: impl Stream<Item = Change<K>> + Send + 'static,
    scopes: fn(&K) -> Vec<Scope>,
) -> impl Stream<Item = Scope> + Send + 'static {
    // The scopes each object touched when last seen, so that a change also reaches the
    // applications it takes the object away from.
    let mut before: HashMap<(String, String), Vec<Scope>> = HashMap::new();
    changes.flat_map(move |change| {
        let object = change.object();
        let key = (object.namespace().unwrap_or_default(), object.name_any());
        let now = scopes(object);
        let then = if change.is_deleted() {
            before.remove(&key)
        } else {
            before.insert(key, now.clone())
        };
        stream::iter(then.into_iter().flatten().chain(now))
    })
}

/// Whether `app` is in one of the `scopes`.
fn affected(scopes: &HashSet<Scope>, app: &Application) -> bool {
    let namespace = app.namespace().unwrap_or_default();
    let in_scenario = effective_scenarios(app.spec.scenarios.as_deref())
        .into_iter()
        .any(|name| {
            scopes.contains(&Scope::Scenario {
                namespace: namespace.clone(),
                name,
            })
        });
    let names_runtime = || {
        let runtime = app.spec.eventing.as_ref()?.default_runtime.clone()?;
        Some(scopes.contains(&Scope::DefaultRuntime {
            namespace: namespace.clone(),
            name: runtime,
        }))
    };
    let carries_key = || {
        app.spec.labels.keys().any(|key| {
            scopes.contains(&Scope::LabelKey {
                namespace: namespace.clone(),
                key: key.clone(),
            })
        })
    };
    let names_system = || {
        app.spec
            .integration_system
            .as_ref()
            .is_some_and(|system| scopes.contains(&Scope::IntegrationSystem(system.clone())))
    };
    in_scenario || names_runtime() == Some(true) || carries_key() || names_system()
}

/// The applications that dependencies' changes affect.
pub fn dependencies(
    watches: &Watches,
    applications: Store<Application>,
) -> impl Stream<Item = ObjectRef<Application>> + Send + 'static {
    let runtimes = scopes_of(spec_changes(&watches.runtimes()), runtime_scopes);
    let scenarios = scopes_of(spec_changes(&watches.scenarios()), |scenario| {
        vec![Scope::Scenario {
            namespace: scenario.namespace().unwrap_or_default(),
            name: scenario.scenario_name().to_owned(),
        }]
    });
    let definitions = scopes_of(spec_changes(&watches.label_definitions()), |definition| {
        vec![Scope::LabelKey {
            namespace: definition.namespace().unwrap_or_default(),
            key: definition.key().to_owned(),
        }]
    });
    let systems = scopes_of(spec_changes(&watches.integration_systems()), |system| {
        vec![Scope::IntegrationSystem(system.name_any())]
    });
    let scopes = stream::select_all([
        runtimes.boxed(),
        scenarios.boxed(),
        definitions.boxed(),
        systems.boxed(),
    ]);
    fan_out(scopes, move |scopes| {
        applications
            .state()
            .iter()
            .filter(|app| affected(scopes, app))
            .map(|app| ObjectRef::from_obj(app.as_ref()))
            .collect()
    })
}
