//! The collectors kube-apiserver's controllers run: a terminating namespace loses its content and
//! then goes; a deleted CRD loses its objects and then goes; an object whose owners are all gone
//! is deleted; foreground deletion deletes dependents first; orphaning unlinks them.
//!
//! The collector follows the store's changes and also sweeps everything periodically, so work
//! missed while the server was down or while the change channel overflowed is still done. It also
//! expires Events (see [`super::event_ttl`]).

use std::{collections::BTreeSet, sync::Arc};

use serde_json::Value;
use tokio::sync::{broadcast::error::RecvError, watch};

mod owners;

use super::{
    ServerState, Target,
    delete::{self, DeleteOptions, FOREGROUND, ORPHAN, Propagation},
    event_ttl,
};
use crate::{
    registry::{Served, crd::CLEANUP_FINALIZER},
    store::{CommitError, Event, EventType, ObjectKey, Precondition, StoredObject, Write},
};
use owners::{collect_dependents_of, finish_owners_of, owners_gone, unlink_owner};

/// Storage key of Namespaces.
const NAMESPACES: &str = "/namespaces";
/// Storage key of CustomResourceDefinitions.
const CRDS: &str = "apiextensions.k8s.io/customresourcedefinitions";
/// The finalizer in a Namespace's spec that holds it until its content is gone.
const NAMESPACE_FINALIZER: &str = "kubernetes";

/// Runs the collector until `shutdown` turns true.
pub async fn run(state: Arc<ServerState>, mut shutdown: watch::Receiver<bool>) {
    let mut changes = state.store.subscribe();
    let mut seen = state.store.current_rv();
    off_thread(&state, sweep).await;
    // Changes drive the collector; the sweep only catches work a lagging subscription or a
    // concurrent write made it miss, so it can be rare.
    let mut ticks = tokio::time::interval(state.options.gc_sweep_interval);
    ticks.tick().await;
    // Expired Events and aged-out history go on the same beat.
    let event_ttl = state.options.event_ttl;
    // The first round one interval after start, not at it: a restart has enough to do then.
    let every = event_ttl::check_interval(event_ttl);
    let mut housekeeping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => {
                if *shutdown.borrow() {
                    return;
                }
            }
            _ = ticks.tick() => off_thread(&state, sweep).await,
            _ = housekeeping.tick() => {
                // Both read every Event or every page of history: off the async workers.
                let state = state.clone();
                let done = tokio::task::spawn_blocking(move || {
                    event_ttl::expire(&state, event_ttl);
                    state.store.maintain()
                })
                .await;
                if let Ok(Err(error)) = done {
                    tracing::warn!(%error, "Store housekeeping failed");
                }
            }
            received = changes.recv() => match received {
                Ok(_) | Err(RecvError::Lagged(_)) => match state.store.changes_after(seen).await {
                    Ok(changed) => {
                        seen = changed.last().map_or(seen, |event| event.rv);
                        let pending: Vec<Arc<Event>> =
                            changed.into_iter().filter(|event| has_work(event)).collect();
                        if !pending.is_empty() {
                            let react_to_all = move |state: &ServerState| {
                                pending.iter().for_each(|event| react(state, event));
                            };
                            off_thread(&state, react_to_all).await;
                        }
                    }
                    // Changes left the history before they were looked at: sweep instead.
                    Err(_) => {
                        seen = state.store.current_rv();
                        off_thread(&state, sweep).await;
                    }
                },
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// Runs collector work on the blocking pool: it commits its deletions, one after another, and a
/// sweep reads every object; on the async workers either would hold up the requests they serve.
async fn off_thread(state: &Arc<ServerState>, work: impl FnOnce(&ServerState) + Send + 'static) {
    let state = state.clone();
    if let Err(error) = tokio::task::spawn_blocking(move || work(&state)).await {
        tracing::warn!(%error, "Garbage collection failed");
    }
}

/// Whether a change can make work for the collector: a deletion, or an object being deleted.
fn has_work(event: &Event) -> bool {
    event.type_ == EventType::Deleted || event.object.meta.deleting
}

/// The work one change makes possible.
fn react(state: &ServerState, event: &Event) {
    if event.type_ == EventType::Deleted {
        collect_dependents_of(state, &event.object.meta.uid);
        finish_holders_of(state, &event.key);
        finish_owners_of(state, &event.key, &event.object);
    } else if event.object.meta.deleting {
        finish_deletion(state, &event.key, &event.object);
    }
}

/// Finds and does all pending work.
fn sweep(state: &ServerState) {
    let snapshot = state.registry.snapshot();
    let mut storage_keys: BTreeSet<String> = BTreeSet::new();
    for served in snapshot.served() {
        storage_keys.insert(served.storage_key.clone());
    }
    for storage_key in storage_keys {
        let page = state.store.list_all(&storage_key, None);
        for ((namespace, name), object) in page.items {
            let key = ObjectKey {
                resource: storage_key.clone(),
                namespace,
                name,
            };
            if object.meta.deleting {
                finish_deletion(state, &key, &object);
            }
            if !object.meta.owners.is_empty() && owners_gone(state, &key, &object) {
                delete_object(state, &key, Propagation::Background);
            }
        }
    }
}

/// After an object is gone: a terminating namespace, or a deleted CRD, that held it may be
/// empty now and can be finalized. (Their content was deleted when their deletion started.)
fn finish_holders_of(state: &ServerState, key: &ObjectKey) {
    if !key.namespace.is_empty()
        && state
            .store
            .get(&namespace_key(&key.namespace))
            .is_some_and(|ns| ns.meta.deleting)
        && state
            .store
            .resources_in_namespace(&key.namespace)
            .is_empty()
    {
        finalize_namespace(state, &key.namespace);
    }
    // NB: custom resources are stored under `group/plural`, and their CRD is `plural.group`.
    let Some((group, plural)) = key.resource.split_once('/') else {
        return;
    };
    let crd_key = ObjectKey {
        resource: CRDS.to_owned(),
        namespace: String::new(),
        name: format!("{plural}.{group}"),
    };
    if let Some(crd) = state.store.get(&crd_key)
        && crd.meta.deleting
        && state.store.count(&key.resource, None) == 0
    {
        finish_crd(state, &crd_key, &crd);
    }
}

/// Continues the deletion of an object marked for deletion, by what holds it.
fn finish_deletion(state: &ServerState, key: &ObjectKey, object: &StoredObject) {
    match key.resource.as_str() {
        NAMESPACES => finish_namespace(state, &key.name),
        CRDS => finish_crd(state, key, object),
        _ => {}
    }
    let value = object.value();
    let finalizers = value["metadata"]["finalizers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if finalizers.iter().any(|f| f == ORPHAN) {
        for dependent in state.store.dependents_of(&object.meta.uid) {
            unlink_owner(state, &dependent, &object.meta.uid);
        }
        remove_finalizer(state, key, ORPHAN);
    }
    if finalizers.iter().any(|f| f == FOREGROUND) {
        let dependents = state.store.dependents_of(&object.meta.uid);
        if dependents.is_empty() {
            remove_finalizer(state, key, FOREGROUND);
        }
        for dependent in dependents {
            delete_object(state, &dependent, Propagation::Foreground);
        }
    }
}

/// Deletes a terminating namespace's content; once it is gone, finalizes the namespace.
fn finish_namespace(state: &ServerState, namespace: &str) {
    let Some(stored) = state.store.get(&namespace_key(namespace)) else {
        return;
    };
    if !stored.meta.deleting {
        return;
    }
    let snapshot = state.registry.snapshot();
    let mut remaining = false;
    for storage_key in snapshot.namespaced_storage_keys() {
        let page = state.store.list_all(&storage_key, Some(namespace));
        for ((ns, name), object) in page.items {
            remaining = true;
            if !object.meta.deleting {
                let key = ObjectKey {
                    resource: storage_key.clone(),
                    namespace: ns,
                    name,
                };
                delete_object(state, &key, Propagation::Background);
            }
        }
    }
    // Objects of resources no longer served (their CRD is gone) still count as content.
    if remaining || !state.store.resources_in_namespace(namespace).is_empty() {
        return;
    }
    finalize_namespace(state, namespace);
}

/// Removes an emptied namespace's spec finalizer, and the namespace once nothing else holds it.
fn finalize_namespace(state: &ServerState, namespace: &str) {
    let key = namespace_key(namespace);
    update(state, &key, |namespace| {
        let finalizers: Vec<Value> = namespace["spec"]["finalizers"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter(|f| *f != NAMESPACE_FINALIZER)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        namespace["spec"]["finalizers"] = Value::Array(finalizers);
    });
    // With its spec finalizer gone, the namespace is removed once its metadata finalizers are.
    if let Some(stored) = state.store.get(&key) {
        let value = stored.value();
        let spec_done = value["spec"]["finalizers"]
            .as_array()
            .is_none_or(Vec::is_empty);
        if spec_done && !stored.meta.has_finalizers {
            let _ = state.store.commit(vec![Write::Delete {
                key,
                precondition: Precondition::Version(stored.rv),
            }]);
        }
    }
}

/// Deletes a deleted CRD's objects; once they are gone, releases the CRD.
fn finish_crd(state: &ServerState, key: &ObjectKey, object: &StoredObject) {
    let value = object.value();
    let storage_key = format!(
        "{}/{}",
        value["spec"]["group"].as_str().unwrap_or_default(),
        value["spec"]["names"]["plural"]
            .as_str()
            .unwrap_or_default()
    );
    let page = state.store.list_all(&storage_key, None);
    if page.items.is_empty() {
        remove_finalizer(state, key, CLEANUP_FINALIZER);
        state.reload_crds();
        return;
    }
    for ((namespace, name), item) in page.items {
        if !item.meta.deleting {
            let key = ObjectKey {
                resource: storage_key.clone(),
                namespace,
                name,
            };
            delete_object(state, &key, Propagation::Background);
        }
    }
}

/// Deletes an object as a client would, with the given propagation.
fn delete_object(state: &ServerState, key: &ObjectKey, propagation: Propagation) {
    let Some(served) = served_for(state, &key.resource) else {
        // Nothing serves it any more (its CRD went): remove it directly.
        if let Some(stored) = state.store.get(key) {
            let _ = state.store.commit(vec![Write::Delete {
                key: key.clone(),
                precondition: Precondition::Version(stored.rv),
            }]);
        }
        return;
    };
    let target = Target {
        namespace: (!key.namespace.is_empty()).then(|| key.namespace.clone()),
        name: Some(key.name.clone()),
        served,
        subresource: None,
    };
    let options = DeleteOptions {
        propagation,
        ..DeleteOptions::default()
    };
    if let Err(error) = delete::delete(state, &target, &options)
        && error.code != 404
    {
        tracing::warn!(resource = %key.resource, namespace = %key.namespace, name = %key.name, %error, "Garbage collection could not delete an object");
    }
}

/// Removes a finalizer; an object being deleted goes once its last finalizer does.
fn remove_finalizer(state: &ServerState, key: &ObjectKey, finalizer: &str) {
    update(state, key, |object| {
        if let Some(finalizers) = object["metadata"]["finalizers"].as_array_mut() {
            finalizers.retain(|f| f != finalizer);
            if finalizers.is_empty()
                && let Some(metadata) = object["metadata"].as_object_mut()
            {
                metadata.remove("finalizers");
            }
        }
    });
}

/// Changes a stored object as the system, retrying on conflict; removes it when the change
/// leaves a deleting object without finalizers.
fn update(state: &ServerState, key: &ObjectKey, change: impl Fn(&mut Value)) {
    for _ in 0..16 {
        let Some(stored) = state.store.get(key) else {
            return;
        };
        let mut object = stored.value();
        let before = object.clone();
        change(&mut object);
        if object == before {
            return;
        }
        let deleting = !object["metadata"]["deletionTimestamp"].is_null();
        let finalized = object["metadata"]["finalizers"]
            .as_array()
            .is_none_or(Vec::is_empty);
        let precondition = Precondition::Version(stored.rv);
        let write = if deleting && finalized && key.resource != NAMESPACES {
            Write::Delete {
                key: key.clone(),
                precondition,
            }
        } else {
            Write::Put {
                key: key.clone(),
                object,
                precondition,
            }
        };
        match state.store.commit(vec![write]) {
            Err(CommitError::Conflict(_)) => continue,
            Err(error) => {
                tracing::warn!(%error, name = %key.name, "Garbage collection could not update an object");
                return;
            }
            Ok(_) => return,
        }
    }
}

fn served_for(state: &ServerState, storage_key: &str) -> Option<Arc<Served>> {
    state
        .registry
        .snapshot()
        .versions_of(storage_key)
        .into_iter()
        .next()
}

fn namespace_key(name: &str) -> ObjectKey {
    ObjectKey {
        resource: NAMESPACES.to_owned(),
        namespace: String::new(),
        name: name.to_owned(),
    }
}
