//! Create, update, patch and server-side apply: read the current object, compute the new one,
//! prepare it, and store it with a compare-and-swap, retrying when another write got there first.

use std::time::Instant;

use serde_json::{Value, json};

use super::{
    ServerState, Target, convert,
    prepare::{Prepared, WriteKind, WriteOptions, prepare},
    query::Query,
};
use crate::{
    apply,
    auth::user::UserInfo,
    errors::{ApiError, ApiResult},
    patch,
    rbac::{
        self,
        attributes::{Attributes, ResourceRequest},
        escalation,
    },
    registry::Behaviour,
    store::{CommitError, ObjectKey, Precondition, Write},
};

/// A server-side apply that creates the object was authorized as a `patch`; like kube-apiserver,
/// it also needs `create` on the object, so a grant to patch (or to patch one name) is never a
/// grant to create.
fn authorize_create(
    state: &ServerState,
    user: &UserInfo,
    target: &Target,
    name: &str,
) -> ApiResult<()> {
    let info = &target.served.info;
    // A Namespace is requested in itself, as the request's own attributes have it.
    let namespace = match target.served.behaviour {
        crate::registry::Behaviour::Namespace => name.to_owned(),
        _ => target.namespace.clone().unwrap_or_default(),
    };
    let attributes = Attributes {
        verb: "create".into(),
        target: rbac::attributes::Target::Resource(ResourceRequest {
            namespace,
            group: info.group.clone(),
            version: info.version.clone(),
            resource: info.plural.clone(),
            subresource: String::new(),
            name: name.to_owned(),
        }),
    };
    match state.authorizer.decide(&state.store, user, &attributes) {
        Some(_) => Ok(()),
        None => Err(rbac::forbidden(user, &attributes)),
    }
}

/// How many times a write is recomputed when the object changed underneath it.
const ATTEMPTS: usize = 16;

/// The result of a write, for the response.
pub struct Written {
    /// The object as the client's version shows it.
    pub object: Value,
    /// Whether the write created the object (201).
    pub created: bool,
    /// Warnings for the `Warning` header.
    pub warnings: Vec<String>,
}

/// How a patch body is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`.
    Apply,
}

impl PatchType {
    /// The patch type of a `Content-Type`.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml"
            | "application/apply-patch+json"
            | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// What the client asked for.
pub enum Change {
    /// POST: create this object.
    Create(Value),
    /// PUT: replace with this object.
    Update(Value),
    /// PATCH with a body of the given type.
    Patch(PatchType, Value),
}

/// Refuses writes of the workload kinds, which are listed (always empty) only so that tools
/// such as `kubectl apply --prune` work. Checked before a body is decoded, so that kubectl's
/// protobuf bodies get this answer too.
pub fn refuse_workloads(target: &Target) -> ApiResult<()> {
    let served = &target.served;
    if served.behaviour != Behaviour::Workload {
        return Ok(());
    }
    Err(ApiError::method_not_allowed(format!(
        "{} cannot be created here: this control plane runs no workloads; it lists them (always \
         empty) only so that tools such as kubectl apply --prune work",
        served.info.qualified_resource()
    )))
}

/// Who writes: the user (whose grants bound what RBAC objects it may write), its client, and
/// until when the write may take.
#[derive(Clone, Copy)]
pub struct Writer<'a> {
    /// The authenticated user.
    pub user: &'a UserInfo,
    /// The client's `User-Agent`, which names the field manager of non-apply writes.
    pub user_agent: Option<&'a str>,
    /// Past this, nothing is stored.
    pub deadline: Option<Instant>,
}

/// Performs a write on `target`; past the writer's deadline, nothing is stored.
pub fn write(
    state: &ServerState,
    target: &Target,
    change: Change,
    query: &Query,
    writer: Writer<'_>,
) -> ApiResult<Written> {
    let user_agent = writer.user_agent;
    let deadline = writer.deadline;
    let served = &target.served;
    refuse_workloads(target)?;
    let dry_run = query.dry_run()?;
    let field_validation = query.field_validation()?;
    let manager = manager_name(query, user_agent, &change)?;
    let force = query.flag("force");
    if let Change::Patch(PatchType::Strategic, _) = &change
        && !served.behaviour.builtin()
    {
        return Err(ApiError::unsupported_media_type(
            "application/strategic-merge-patch+json",
        ));
    }
    if force && !matches!(change, Change::Patch(PatchType::Apply, _)) {
        return Err(ApiError::bad_request(
            "force may not be set for non-apply patch",
        ));
    }
    for _ in 0..ATTEMPTS {
        let key = object_key(target, &change)?;
        // NB: a create never builds on an object of the same name; the store's Absent
        // precondition turns one into AlreadyExists after admission, as kube-apiserver does.
        let stored = match change {
            Change::Create(_) => None,
            _ => state.store.get(&key),
        };
        let current = stored
            .as_ref()
            .map(|s| convert::to_served(served, s.value()));
        if current.is_none() && target.subresource.is_none() {
            super::namespaces::check_can_create(state, target, &key.name)?;
            if let Change::Patch(PatchType::Apply, _) = change {
                authorize_create(state, writer.user, target, &key.name)?;
            }
        }
        let now = super::now();
        let (new, kind) = compute(target, current.as_ref(), &change, &manager, force, &now)?;
        if served.behaviour.rbac() {
            let write = escalation::Write {
                user: writer.user,
                behaviour: served.behaviour,
                namespace: target.namespace.as_deref().unwrap_or_default(),
                old: current.as_ref(),
                new: &new,
                path_name: target.name.as_deref().unwrap_or_default(),
            };
            escalation::check(&state.authorizer, &state.store, &write)?;
        }
        let options = WriteOptions {
            manager: &manager,
            field_validation,
            now: &now,
            deadline,
        };
        // NB: validation stops at the deadline with an Invalid error naming the rule it did not
        // run, rather than a 504: clients (kube-rs) retry a 504 for minutes, and the same object
        // would take as long again.
        let (prepared, warnings) = prepare(target, current.as_ref(), new, kind, &options)?;
        let key = match &prepared {
            Prepared::Store(object) | Prepared::Remove(object) if stored.is_none() => ObjectKey {
                name: object["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                ..key
            },
            _ => key,
        };
        let precondition = stored
            .as_ref()
            .map_or(Precondition::Absent, |s| Precondition::Version(s.rv));
        let write = match prepared {
            Prepared::Unchanged => {
                let object = current.unwrap_or(Value::Null);
                return Ok(Written {
                    object,
                    created: false,
                    warnings,
                });
            }
            Prepared::Store(object) if dry_run => {
                return Ok(Written {
                    object: convert::to_served(served, object),
                    created: stored.is_none(),
                    warnings,
                });
            }
            Prepared::Remove(object) if dry_run => {
                return Ok(Written {
                    object: convert::to_served(served, object),
                    created: false,
                    warnings,
                });
            }
            Prepared::Store(object) => Write::Put {
                key,
                object,
                precondition,
            },
            Prepared::Remove(_) => Write::Delete { key, precondition },
        };
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(super::timed_out(state.options.write_timeout));
        }
        match state.store.commit(vec![write]) {
            Ok(events) => {
                let event = &events[0];
                state.after_commit(served);
                let object = convert::to_served(served, event.object.value());
                return Ok(Written {
                    object,
                    created: stored.is_none(),
                    warnings,
                });
            }
            Err(CommitError::AlreadyExists(key)) if matches!(change, Change::Create(_)) => {
                return Err(ApiError::already_exists(
                    served.info.qualified_resource(),
                    &key.name,
                ));
            }
            Err(
                CommitError::AlreadyExists(_) | CommitError::Conflict(_) | CommitError::NotFound(_),
            ) if retries(&change) => {
                continue;
            }
            Err(CommitError::Conflict(key) | CommitError::NotFound(key)) => {
                return Err(ApiError::stale(served.info.qualified_resource(), &key.name));
            }
            Err(other) => return Err(ApiError::internal(other.to_string())),
        }
    }
    Err(ApiError::conflict(
        served.info.qualified_resource(),
        target.name.as_deref().unwrap_or_default(),
        "the object changed too often while the write was retried; try again",
    ))
}

/// Whether a lost race is retried: patches are recomputed on the newer object; a PUT with an
/// explicit resourceVersion and a create are not.
fn retries(change: &Change) -> bool {
    match change {
        Change::Create(_) => false,
        Change::Update(object) => object["metadata"]["resourceVersion"]
            .as_str()
            .is_none_or(str::is_empty),
        Change::Patch(..) => true,
    }
}

/// The key a write addresses: the path's name, or for creates the body's name.
fn object_key(target: &Target, change: &Change) -> ApiResult<ObjectKey> {
    let name = match (&target.name, change) {
        (Some(name), _) => name.clone(),
        (None, Change::Create(object)) => object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        (None, _) => {
            return Err(ApiError::method_not_allowed(
                "the name of the object is required",
            ));
        }
    };
    Ok(ObjectKey {
        resource: target.served.storage_key.clone(),
        namespace: target.namespace.clone().unwrap_or_default(),
        name,
    })
}

/// The requested new object, and the kind of write it makes.
fn compute(
    target: &Target,
    current: Option<&Value>,
    change: &Change,
    manager: &str,
    force: bool,
    now: &str,
) -> ApiResult<(Value, WriteKind)> {
    let served = &target.served;
    let missing = || {
        ApiError::not_found(
            served.info.qualified_resource(),
            target.name.as_deref().unwrap_or_default(),
        )
    };
    match change {
        Change::Create(object) => Ok((object.clone(), WriteKind::Create)),
        Change::Update(object) => {
            current.ok_or_else(missing)?;
            Ok((object.clone(), WriteKind::Update))
        }
        Change::Patch(PatchType::Merge, body) => {
            let current = current.ok_or_else(missing)?;
            Ok((patch::merge_patch(current, body), WriteKind::Patch))
        }
        Change::Patch(PatchType::Json, body) => {
            let current = current.ok_or_else(missing)?;
            let patched = patch::json_patch(current, body).map_err(ApiError::from)?;
            Ok((patched, WriteKind::Patch))
        }
        Change::Patch(PatchType::Strategic, body) => {
            let current = current.ok_or_else(missing)?;
            let patched = patch::strategic_merge_patch(current, body).map_err(ApiError::from)?;
            Ok((patched, WriteKind::Patch))
        }
        Change::Patch(PatchType::Apply, config) => {
            let mut config = config.clone();
            let subresource = target.subresource.map(super::Subresource::name);
            if subresource.is_some() {
                // Only the subresource's part of an applied configuration counts.
                let keep = config["status"].clone();
                config = json!({ "apiVersion": config["apiVersion"], "kind": config["kind"], "metadata": config["metadata"], "status": keep });
            } else if served.info.status_subresource
                && let Some(map) = config.as_object_mut()
            {
                map.remove("status");
            }
            if let Some(name) = &target.name {
                config["metadata"]["name"] = json!(name);
            }
            if current.is_none() && subresource.is_some() {
                return Err(missing());
            }
            let request = apply::ApplyRequest {
                manager,
                force,
                api_version: &served.info.api_version(),
                time: now,
                subresource,
                rules: &served.merge_rules,
            };
            let applied =
                apply::apply(current, &config, &request).map_err(|c| c.into_api_error())?;
            let kind = if current.is_some() {
                WriteKind::Apply
            } else {
                WriteKind::ApplyCreate
            };
            Ok((applied, kind))
        }
    }
}

/// The field manager of a write: `fieldManager`, or for non-apply writes the client's name from
/// its User-Agent, as kube-apiserver derives it.
fn manager_name(query: &Query, user_agent: Option<&str>, change: &Change) -> ApiResult<String> {
    if let Some(manager) = query.field_manager()? {
        return Ok(manager.to_owned());
    }
    if let Change::Patch(PatchType::Apply, _) = change {
        return Err(ApiError::bad_request(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    let agent = user_agent.unwrap_or_default();
    let name = agent.split('/').next().unwrap_or_default();
    Ok(if name.is_empty() {
        "unknown".to_owned()
    } else {
        name.chars().take(128).collect()
    })
}

#[cfg(test)]
mod tests;
