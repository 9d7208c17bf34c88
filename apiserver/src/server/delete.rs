//! Deletion as kube-apiserver does it: preconditions, finalizers holding an object with a
//! `deletionTimestamp` until they are removed, propagation policies, namespaces that terminate
//! before they go, and deleting a whole collection.

use serde_json::{Value, json};

use super::{ServerState, Target, convert, prepare::tracks_generation, query::Query, read};
use crate::{
    errors::{ApiError, ApiResult},
    registry::Behaviour,
    store::{CommitError, ObjectKey, Precondition, Write},
};

/// Finalizer that holds an owner until its dependents are deleted (foreground deletion).
pub const FOREGROUND: &str = "foregroundDeletion";
/// Finalizer that holds an owner until its dependents no longer name it (orphaning).
pub const ORPHAN: &str = "orphan";

/// What happens to an object's dependents when it is deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    /// The owner goes at once; the garbage collector deletes the dependents afterwards.
    #[default]
    Background,
    /// The owner stays until its dependents are deleted.
    Foreground,
    /// The dependents stay and stop naming the owner.
    Orphan,
}

/// Options of a delete request, from its body (`DeleteOptions`) and query.
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    /// What happens to dependents.
    pub propagation: Propagation,
    /// The object must have this uid.
    pub uid: Option<String>,
    /// The object must have this resourceVersion.
    pub resource_version: Option<String>,
    /// Only pretend.
    pub dry_run: bool,
}

impl DeleteOptions {
    /// Reads the options from a `DeleteOptions` body (may be empty) and the query.
    pub fn parse(body: &[u8], query: &super::query::Query) -> ApiResult<Self> {
        let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
        };
        let policy = body["propagationPolicy"]
            .as_str()
            .or(query.get("propagationPolicy"));
        let orphan = body["orphanDependents"]
            .as_bool()
            .or(query.get("orphanDependents").map(|v| v == "true"));
        let propagation = match (policy, orphan) {
            (Some("Foreground"), _) => Propagation::Foreground,
            (Some("Orphan"), _) | (None, Some(true)) => Propagation::Orphan,
            (Some("Background") | None, _) => Propagation::Background,
            (Some(other), _) => {
                return Err(ApiError::bad_request(format!(
                    "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
                )));
            }
        };
        let dry_run = match body["dryRun"].as_array() {
            Some(values) => values.iter().any(|v| v == "All"),
            None => query.dry_run()?,
        };
        Ok(Self {
            propagation,
            uid: body["preconditions"]["uid"].as_str().map(str::to_owned),
            resource_version: body["preconditions"]["resourceVersion"]
                .as_str()
                .map(str::to_owned),
            dry_run,
        })
    }
}

/// Deletes (or starts deleting) the object `target` names. Returns it as the client's version
/// shows it: with a `deletionTimestamp` when finalizers hold it, as it was when it is gone.
pub fn delete(state: &ServerState, target: &Target, options: &DeleteOptions) -> ApiResult<Value> {
    let served = &target.served;
    let name = target.name.clone().unwrap_or_default();
    if served.behaviour == Behaviour::Namespace {
        super::system_namespaces::check_can_delete(&name)?;
    }
    let key = ObjectKey {
        resource: served.storage_key.clone(),
        namespace: target.namespace.clone().unwrap_or_default(),
        name: name.clone(),
    };
    loop {
        let stored = state
            .store
            .get(&key)
            .ok_or_else(|| ApiError::not_found(served.info.qualified_resource(), &name))?;
        let mut object = convert::to_served(served, stored.value());
        check_preconditions(target, &object, options)?;
        let write = match deletion(served.behaviour, &mut object, options.propagation) {
            Step::Remove => Write::Delete {
                key: key.clone(),
                precondition: Precondition::Version(stored.rv),
            },
            Step::Unchanged => return Ok(object),
            Step::Mark => Write::Put {
                key: key.clone(),
                object: convert::to_storage(served, object.clone()),
                precondition: Precondition::Version(stored.rv),
            },
        };
        if options.dry_run {
            return Ok(object);
        }
        match state.store.commit(vec![write]) {
            Ok(events) => {
                state.after_commit(served);
                return Ok(convert::to_served(served, events[0].object.value()));
            }
            Err(CommitError::Conflict(_)) => continue,
            Err(CommitError::NotFound(_)) => {
                return Err(ApiError::not_found(served.info.qualified_resource(), &name));
            }
            Err(other) => return Err(ApiError::internal(other.to_string())),
        }
    }
}

/// Deletes every object of the list `target` and `query` select, as [`delete`] deletes one;
/// returns the list of what was deleted. Objects gone meanwhile are left out.
pub fn delete_collection(
    state: &ServerState,
    target: &Target,
    query: &Query,
    options: &DeleteOptions,
) -> ApiResult<Value> {
    let page = read::list(state, target, query)?;
    let mut deleted = Vec::new();
    for item in page.items {
        let value = item.value();
        let single = Target {
            namespace: value["metadata"]["namespace"].as_str().map(str::to_owned),
            name: value["metadata"]["name"].as_str().map(str::to_owned),
            ..target.clone()
        };
        match delete(state, &single, options) {
            Ok(object) => deleted.push(object),
            Err(error) if error.code == 404 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(json!({
        "apiVersion": target.served.info.api_version(),
        "kind": target.served.info.list_kind,
        "metadata": { "resourceVersion": state.store.current_rv().to_string() },
        "items": deleted,
    }))
}

fn check_preconditions(target: &Target, object: &Value, options: &DeleteOptions) -> ApiResult<()> {
    let metadata = &object["metadata"];
    let name = metadata["name"].as_str().unwrap_or_default();
    let resource = target.served.info.qualified_resource();
    if let Some(uid) = &options.uid
        && Some(uid.as_str()) != metadata["uid"].as_str()
    {
        let why = format!(
            "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
            metadata["uid"].as_str().unwrap_or_default()
        );
        return Err(ApiError::conflict(resource, name, &why));
    }
    if let Some(rv) = &options.resource_version
        && Some(rv.as_str()) != metadata["resourceVersion"].as_str()
    {
        let why = format!(
            "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
            metadata["resourceVersion"].as_str().unwrap_or_default()
        );
        return Err(ApiError::conflict(resource, name, &why));
    }
    Ok(())
}

enum Step {
    /// Remove the object now.
    Remove,
    /// Store the object with its deletion marked.
    Mark,
    /// Nothing to change.
    Unchanged,
}

/// Decides what deleting `object` does, marking it in place when it must wait.
fn deletion(behaviour: Behaviour, object: &mut Value, propagation: Propagation) -> Step {
    let metadata = &mut object["metadata"];
    let mut finalizers: Vec<Value> = metadata["finalizers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let policy_finalizer = match propagation {
        Propagation::Foreground => Some(FOREGROUND),
        Propagation::Orphan => Some(ORPHAN),
        Propagation::Background => None,
    };
    let mut changed = false;
    if let Some(finalizer) = policy_finalizer
        && !finalizers.iter().any(|f| f == finalizer)
    {
        finalizers.push(json!(finalizer));
        changed = true;
    }
    let already = !metadata["deletionTimestamp"].is_null();
    let namespace = behaviour == Behaviour::Namespace;
    if finalizers.is_empty() && !namespace {
        return Step::Remove;
    }
    if already && !changed {
        return Step::Unchanged;
    }
    metadata["finalizers"] = Value::Array(finalizers);
    if !already {
        metadata["deletionTimestamp"] = json!(super::now());
        metadata["deletionGracePeriodSeconds"] = json!(0);
        if tracks_generation(behaviour) {
            let generation = metadata["generation"].as_i64().unwrap_or(0) + 1;
            metadata["generation"] = json!(generation);
        }
    }
    if let Some(map) = metadata.as_object_mut()
        && map["finalizers"].as_array().is_some_and(Vec::is_empty)
    {
        map.remove("finalizers");
    }
    if namespace {
        object["status"]["phase"] = json!("Terminating");
    }
    Step::Mark
}
