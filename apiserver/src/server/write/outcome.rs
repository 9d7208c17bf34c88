//! What a prepared write comes to: an answer at once (nothing changed, or a dry run), or a
//! write to commit, and then the answer to its commit.

use std::{sync::Arc, time::Instant};

use bytes::Bytes;
use serde_json::Value;

use super::{Change, Request, Written};
use crate::{
    errors::{ApiError, ApiResult},
    registry::Served,
    server::{ServerState, Target, convert, prepare::Prepared},
    store::{CommitError, Event, ObjectKey, Precondition, StoredObject, Write},
};

/// What one try at a write comes to.
pub(super) enum Attempt {
    /// The answer, with nothing to store: the object is unchanged, or the request is a dry run.
    Answered(Written),
    /// A write to commit, and what its answer needs.
    Commit(Write, Pending),
    /// Nothing decided: the write is to be prepared again on a thread of its own.
    HandOff,
}

/// What the answer to a committed write needs.
pub(super) struct Pending {
    created: bool,
    warnings: Vec<String>,
}

/// Ends a prepared write: answers at once when nothing is to be stored (a dry run, no change),
/// else makes it a write to commit, unless the request's deadline passed meanwhile.
pub(super) fn finish(
    state: &ServerState,
    request: &Request<'_>,
    step: Step,
    created: bool,
    warnings: Vec<String>,
) -> ApiResult<Attempt> {
    let write = match step {
        Step::Answer { object, created } => {
            return Ok(Attempt::Answered(Written {
                body: Bytes::from(serde_json::to_vec(&object).map_err(|e| {
                    ApiError::internal(format!("the object could not be encoded: {e}"))
                })?),
                created,
                warnings,
            }));
        }
        Step::Commit(write) => write,
        Step::HandOff => return Ok(Attempt::HandOff),
    };
    if request
        .writer
        .deadline
        .is_some_and(|deadline| Instant::now() >= deadline)
    {
        return Err(crate::server::timed_out(state.options.write_timeout));
    }
    Ok(Attempt::Commit(write, Pending { created, warnings }))
}

/// What a prepared write comes to.
pub(super) enum Step {
    /// Answer at once, storing nothing: the object is unchanged, or the request is a dry run.
    Answer { object: Value, created: bool },
    /// Commit this write.
    Commit(Write),
    /// Prepare it again on a thread of its own (see [`Prepared::HandedOff`]).
    HandOff,
}

/// The step a prepared write comes to, on the stored object it read (if any) and its key; a
/// create named by `generateName` takes the name it was given.
pub(super) fn next_step(
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
        Prepared::HandedOff => Step::HandOff,
    }
}

impl Pending {
    /// The answer to its commit: the stored object; for a lost race, `None` when the change is
    /// retried, or the error kube-apiserver gives.
    pub(super) fn answer(
        self,
        state: &ServerState,
        target: &Target,
        change: &Change,
        committed: Result<Vec<Arc<Event>>, CommitError>,
    ) -> ApiResult<Option<Written>> {
        let served = &target.served;
        match committed {
            Ok(events) => {
                let event = &events[0];
                state.after_commit(served);
                Ok(Some(Written {
                    body: crate::server::read::encode(served, &event.object),
                    created: self.created,
                    warnings: self.warnings,
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
