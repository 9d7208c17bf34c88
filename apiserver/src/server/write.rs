//! Create, update, patch and server-side apply: read the current object, compute the new one,
//! prepare it, and store it with a compare-and-swap, retrying when another write got there first.

mod change;
mod outcome;
mod permission;

use std::{sync::Arc, time::Instant};

use bytes::Bytes;

use serde_json::Value;

use super::{
    ServerState, Target, convert,
    prepare::{WriteOptions, prepare},
    query::{FieldValidation, Query},
    turns::Turn,
};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult},
    rbac::escalation,
    registry::Served,
    store::ObjectKey,
};
use change::{compute, manager_name};
use outcome::{Attempt, finish, next_step};
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
    /// For a write prepared on a thread serving requests: when to hand its validation off.
    hand_off_at: Option<Instant>,
}

/// Performs a write on `target`; past the writer's deadline, nothing is stored.
pub fn write(
    state: &ServerState,
    target: &Target,
    change: Change,
    query: &Query,
    writer: Writer<'_>,
) -> ApiResult<Written> {
    let request = Request::settle(state, target, &change, query, writer, None)?;
    for attempt_number in 0..ATTEMPTS {
        if let (true, Some(turn), Some(deadline)) =
            (attempt_number > 0, writer.turn, writer.deadline)
        {
            turn.take_again(deadline).map_err(|no| state.no_turn(no))?;
        }
        let (write, pending) = match attempt(state, target, &request)? {
            Attempt::Answered(written) => return Ok(written),
            Attempt::Commit(write, pending) => (write, pending),
            Attempt::HandOff => unreachable!("a write without a time to hand off at never does"),
        };
        // Prepared: while it waits for the database, the next writes are prepared (and may
        // share its commit).
        if let Some(turn) = writer.turn {
            turn.give_back();
        }
        let committed = state.store.commit(vec![write]);
        if let Some(written) = pending.answer(state, target, &change, committed)? {
            return Ok(written);
        }
    }
    Err(changed_too_often(target))
}

/// [`write`] prepared on the calling task's thread, awaiting its commit rather than blocking a
/// thread for it: for writes small enough that handing them to another thread would cost more
/// than preparing them. `None` when its CEL rules were still running after the server's
/// `prepare_here_for`: nothing was stored, and the write is to be made with [`write`] on a
/// thread of its own.
pub async fn write_here(
    state: &Arc<ServerState>,
    target: &Target,
    change: Change,
    query: &Query,
    writer: Writer<'_>,
) -> ApiResult<Option<Written>> {
    let hand_off_at = Instant::now() + state.options.prepare_here_for;
    let request = Request::settle(state, target, &change, query, writer, Some(hand_off_at))?;
    for _ in 0..ATTEMPTS {
        let (write, pending) = match attempt(state, target, &request)? {
            Attempt::Answered(written) => return Ok(Some(written)),
            Attempt::Commit(write, pending) => (write, pending),
            Attempt::HandOff => return Ok(None),
        };
        let committed = state.store.commit_async(vec![write]).await;
        if let Some(written) = pending.answer(state, target, &change, committed)? {
            return Ok(Some(written));
        }
    }
    Err(changed_too_often(target))
}

/// The answer when every attempt lost its race.
fn changed_too_often(target: &Target) -> ApiError {
    ApiError::conflict(
        target.served.info.qualified_resource(),
        target.name.as_deref().unwrap_or_default(),
        "the object changed too often while the write was retried; try again",
    )
}

impl<'a> Request<'a> {
    /// Settles the request's options from its query, refusing what the target does not take.
    fn settle(
        state: &ServerState,
        target: &Target,
        change: &'a Change,
        query: &Query,
        writer: Writer<'a>,
        hand_off_at: Option<Instant>,
    ) -> ApiResult<Self> {
        refuse_workloads(state, target)?;
        let request = Self {
            change,
            dry_run: query.dry_run()?,
            field_validation: query.field_validation()?,
            manager: manager_name(query, writer.user_agent, change)?,
            force: query.flag("force"),
            writer,
            hand_off_at,
        };
        check_patch_options(&target.served, &request)?;
        Ok(request)
    }
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

/// One try at the write, on the object as it is now.
fn attempt(state: &ServerState, target: &Target, request: &Request<'_>) -> ApiResult<Attempt> {
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
        hand_off_at: request.hand_off_at,
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
    finish(state, request, step, stored.is_none(), warnings)
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
