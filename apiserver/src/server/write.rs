//! Create, update, patch and server-side apply: read the current object, compute the new one,
//! prepare it, and store it with a compare-and-swap, retrying when another write got there first.

mod change;
mod permission;

use std::{sync::Arc, time::Instant};

use bytes::Bytes;

use serde_json::Value;

use super::{
    ServerState, Target, convert,
    prepare::{Prepared, WriteOptions, prepare},
    query::{FieldValidation, Query},
    turns::Turn,
};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult},
    rbac::escalation,
    registry::Served,
    store::{CommitError, Event, ObjectKey, Precondition, StoredObject, Write},
};
use change::{compute, manager_name};
use permission::authorize_create;

pub use change::{Change, PatchType};
pub use permission::refuse_workloads;

/// How many times a write is recomputed when the object changed underneath it.
const ATTEMPTS: usize = 16;

/// The result of a write, for the response.
pub struct Written {
    /// The object as the client's version shows it, in JSON: for a stored object in the
    /// version it is stored in, the stored bytes themselves.
    pub body: Bytes,
    /// Whether the write created the object (201).
    pub created: bool,
    /// Warnings for the `Warning` header.
    pub warnings: Vec<String>,
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
    /// The write's turn among those prepared at once, if it runs in one.
    pub turn: Option<&'a Turn>,
}

/// A write request as its query settles it, the same for every attempt.
struct Request<'a> {
    change: &'a Change,
    dry_run: bool,
    field_validation: FieldValidation,
    manager: String,
    force: bool,
    writer: Writer<'a>,
}

/// Performs a write on `target`; past the writer's deadline, nothing is stored.
pub fn write(
    state: &ServerState,
    target: &Target,
    change: Change,
    query: &Query,
    writer: Writer<'_>,
) -> ApiResult<Written> {
    refuse_workloads(state, target)?;
    let request = Request {
        change: &change,
        dry_run: query.dry_run()?,
        field_validation: query.field_validation()?,
        manager: manager_name(query, writer.user_agent, &change)?,
        force: query.flag("force"),
        writer,
    };
    check_patch_options(&target.served, &request)?;
    for attempt_number in 0..ATTEMPTS {
        if let (true, Some(turn), Some(deadline)) =
            (attempt_number > 0, writer.turn, writer.deadline)
        {
            turn.take_again(deadline).map_err(|no| state.no_turn(no))?;
        }
        if let Some(written) = attempt(state, target, &request)? {
            return Ok(written);
        }
    }
    Err(ApiError::conflict(
        target.served.info.qualified_resource(),
        target.name.as_deref().unwrap_or_default(),
        "the object changed too often while the write was retried; try again",
    ))
}

/// Strategic merge patches apply to built-in kinds only, and only server-side apply may force.
fn check_patch_options(served: &Served, request: &Request<'_>) -> ApiResult<()> {
    if let Change::Patch(PatchType::Strategic, _) = request.change
        && !served.behaviour.builtin()
    {
        return Err(ApiError::unsupported_media_type(
            "application/strategic-merge-patch+json",
        ));
    }
    if request.force && !matches!(request.change, Change::Patch(PatchType::Apply, _)) {
        return Err(ApiError::bad_request(
            "force may not be set for non-apply patch",
        ));
    }
    Ok(())
}

/// One try at the write, on the object as it is now: the answer, or `None` when another write
/// changed the object first and the change is to be recomputed on the newer one.
fn attempt(
    state: &ServerState,
    target: &Target,
    request: &Request<'_>,
) -> ApiResult<Option<Written>> {
    let served = &target.served;
    let key = object_key(target, request.change)?;
    // NB: a create never builds on an object of the same name; the store's Absent
    // precondition turns one into AlreadyExists after admission, as kube-apiserver does.
    let stored = match request.change {
        Change::Create(_) => None,
        _ => state.store.get(&key),
    };
    let current = stored
        .as_ref()
        .map(|s| convert::to_served(served, s.value()));
    if current.is_none() && target.subresource.is_none() {
        super::namespaces::check_can_create(state, target, &key.name)?;
        if let Change::Patch(PatchType::Apply, _) = request.change {
            authorize_create(state, request.writer.user, target, &key.name)?;
        }
    }
    let now = super::now();
    let (new, kind) = compute(
        target,
        current.as_ref(),
        request.change,
        &request.manager,
        request.force,
        &now,
    )?;
    if served.behaviour.rbac() {
        check_escalation(state, target, request.writer.user, current.as_ref(), &new)?;
    }
    let options = WriteOptions {
        manager: &request.manager,
        field_validation: request.field_validation,
        now: &now,
        deadline: request.writer.deadline,
    };
    // NB: validation stops at the deadline with an Invalid error naming the rule it did not
    // run, rather than a 504: clients (kube-rs) retry a 504 for minutes, and the same object
    // would take as long again.
    let (prepared, warnings) = prepare(target, current.as_ref(), new, kind, &options)?;
    let step = next_step(
        served,
        key,
        prepared,
        current,
        stored.as_ref(),
        request.dry_run,
    );
    finish(state, served, request, step, stored.is_none(), warnings)
}

/// Ends a prepared write: answers at once when nothing is to be stored (a dry run, no change),
/// else commits it, unless the request's deadline passed meanwhile. While the write waits for the
/// database its turn goes to the next write.
fn finish(
    state: &ServerState,
    served: &Served,
    request: &Request<'_>,
    step: Step,
    creates: bool,
    warnings: Vec<String>,
) -> ApiResult<Option<Written>> {
    let write = match step {
        Step::Answer { object, created } => {
            return Ok(Some(Written {
                body: Bytes::from(serde_json::to_vec(&object).map_err(|e| {
                    ApiError::internal(format!("the object could not be encoded: {e}"))
                })?),
                created,
                warnings,
            }));
        }
        Step::Commit(write) => write,
    };
    if request
        .writer
        .deadline
        .is_some_and(|deadline| Instant::now() >= deadline)
    {
        return Err(super::timed_out(state.options.write_timeout));
    }
    // Prepared: while it waits for the database, the next writes are prepared (and may share
    // its commit).
    if let Some(turn) = request.writer.turn {
        turn.give_back();
    }
    let committed = state.store.commit(vec![write]);
    answer_commit(state, served, request.change, committed, creates, warnings)
}

/// An RBAC object may grant only what its writer holds (or may bind or escalate).
fn check_escalation(
    state: &ServerState,
    target: &Target,
    user: &UserInfo,
    old: Option<&Value>,
    new: &Value,
) -> ApiResult<()> {
    let write = escalation::Write {
        user,
        behaviour: target.served.behaviour,
        namespace: target.namespace.as_deref().unwrap_or_default(),
        old,
        new,
        path_name: target.name.as_deref().unwrap_or_default(),
    };
    escalation::check(&state.authorizer, &state.store, &write)
}

/// What a prepared write comes to.
enum Step {
    /// Answer at once, storing nothing: the object is unchanged, or the request is a dry run.
    Answer { object: Value, created: bool },
    /// Commit this write.
    Commit(Write),
}

/// The step a prepared write comes to, on the stored object it read (if any) and its key; a
/// create named by `generateName` takes the name it was given.
fn next_step(
    served: &Served,
    key: ObjectKey,
    prepared: Prepared,
    current: Option<Value>,
    stored: Option<&StoredObject>,
    dry_run: bool,
) -> Step {
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
    let precondition = stored.map_or(Precondition::Absent, |s| Precondition::Version(s.rv));
    match prepared {
        Prepared::Unchanged => Step::Answer {
            object: current.unwrap_or(Value::Null),
            created: false,
        },
        Prepared::Store(object) if dry_run => Step::Answer {
            object: convert::to_served(served, object),
            created: stored.is_none(),
        },
        Prepared::Remove(object) if dry_run => Step::Answer {
            object: convert::to_served(served, object),
            created: false,
        },
        Prepared::Store(object) => Step::Commit(Write::Put {
            key,
            object,
            precondition,
        }),
        Prepared::Remove(_) => Step::Commit(Write::Delete { key, precondition }),
    }
}

/// The answer to a commit: the stored object; for a lost race, `None` when the change is
/// retried, or the error kube-apiserver gives.
fn answer_commit(
    state: &ServerState,
    served: &Served,
    change: &Change,
    committed: Result<Vec<Arc<Event>>, CommitError>,
    created: bool,
    warnings: Vec<String>,
) -> ApiResult<Option<Written>> {
    match committed {
        Ok(events) => {
            let event = &events[0];
            state.after_commit(served);
            Ok(Some(Written {
                body: super::read::encode(served, &event.object),
                created,
                warnings,
            }))
        }
        Err(CommitError::AlreadyExists(key)) if matches!(change, Change::Create(_)) => Err(
            ApiError::already_exists(served.info.qualified_resource(), &key.name),
        ),
        Err(
            CommitError::AlreadyExists(_) | CommitError::Conflict(_) | CommitError::NotFound(_),
        ) if retries(change) => Ok(None),
        Err(CommitError::Conflict(key) | CommitError::NotFound(key)) => {
            Err(ApiError::stale(served.info.qualified_resource(), &key.name))
        }
        Err(other) => Err(ApiError::internal(other.to_string())),
    }
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

#[cfg(test)]
mod tests;
