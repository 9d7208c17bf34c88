//! The owner-reference part of the collector: dependents whose owners are all gone are
//! deleted, an owner in foreground deletion goes once its last dependent has, and orphaning
//! unlinks dependents.

use serde_json::Value;

use super::{Propagation, delete_object, finish_deletion, update};
use crate::{
    server::ServerState,
    store::{ObjectKey, StoredObject},
};

/// After a dependent is gone: an owner in foreground deletion may have been waiting for it.
pub(super) fn finish_owners_of(state: &ServerState, key: &ObjectKey, object: &StoredObject) {
    if object.meta.owners.is_empty() {
        return;
    }
    let value = object.value();
    for owner in value["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(owner_key) = owner_key(state, key, owner) else {
            continue;
        };
        if let Some(stored) = state.store.get(&owner_key)
            && stored.meta.deleting
            && owner["uid"].as_str() == Some(stored.meta.uid.as_str())
        {
            finish_deletion(state, &owner_key, &stored);
        }
    }
}

/// Deletes the dependents of a deleted object whose owners are now all gone.
pub(super) fn collect_dependents_of(state: &ServerState, uid: &str) {
    if uid.is_empty() {
        return;
    }
    for dependent in state.store.dependents_of(uid) {
        if let Some(object) = state.store.get(&dependent)
            && owners_gone(state, &dependent, &object)
        {
            delete_object(state, &dependent, Propagation::Background);
        }
    }
}

/// Whether none of an object's owners exists any more.
pub(super) fn owners_gone(state: &ServerState, key: &ObjectKey, object: &StoredObject) -> bool {
    let value = object.value();
    let Some(owners) = value["metadata"]["ownerReferences"].as_array() else {
        return false;
    };
    owners.iter().all(|owner| {
        let Some(owner_key) = owner_key(state, key, owner) else {
            // An owner of a kind the server does not serve cannot be checked; keep the dependent.
            return false;
        };
        state
            .store
            .get(&owner_key)
            .is_none_or(|found| Some(found.meta.uid.as_str()) != owner["uid"].as_str())
    })
}

/// Where the owner an owner reference of the object at `key` names is stored, if its kind is
/// served.
pub(super) fn owner_key(state: &ServerState, key: &ObjectKey, owner: &Value) -> Option<ObjectKey> {
    let api_version = owner["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = owner["kind"].as_str().unwrap_or_default();
    let snapshot = state.registry.snapshot();
    let served = snapshot
        .served()
        .iter()
        .find(|s| s.info.group == group && s.info.kind == kind)?;
    Some(ObjectKey {
        resource: served.storage_key.clone(),
        namespace: if served.info.namespaced {
            key.namespace.clone()
        } else {
            String::new()
        },
        name: owner["name"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Removes the owner reference with `uid` from an object.
pub(super) fn unlink_owner(state: &ServerState, key: &ObjectKey, uid: &str) {
    update(state, key, |object| {
        if let Some(owners) = object["metadata"]["ownerReferences"].as_array_mut() {
            owners.retain(|o| o["uid"] != uid);
            if owners.is_empty()
                && let Some(metadata) = object["metadata"].as_object_mut()
            {
                metadata.remove("ownerReferences");
            }
        }
    });
}
