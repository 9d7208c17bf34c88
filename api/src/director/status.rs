//! The original's status of an application or runtime (`condition` and `timestamp`), derived
//! from the object's `Ready` condition: none yet is `INITIAL` since creation, `True` is `READY`,
//! `False` is `FAILED`, `Unknown` is `UNKNOWN`, each since the condition's last transition.

use async_graphql::{Context, ServerResult, resolver_utils::EnumType};
use compass_crds::conditions::Condition;
use compass_crds::conditions::{READY, status};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::{director::plain::Json, scalars::Timestamp};

/// Where an object stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not reconciled yet.
    Initial,
    /// Ready.
    Ready,
    /// Something needs fixing.
    Failed,
    /// The operator cannot tell.
    Unknown,
}

/// The phase of an object with these conditions (none before its first status), and since when.
pub fn phase<'a>(
    conditions: impl IntoIterator<Item = &'a Condition>,
    created: Option<&Time>,
) -> (Phase, Timestamp) {
    let since_creation = || Timestamp(created.map(|t| t.0).unwrap_or_else(jiff::Timestamp::now));
    match conditions.into_iter().find(|c| c.type_ == READY) {
        None => (Phase::Initial, since_creation()),
        Some(ready) => {
            let phase = match ready.status.as_str() {
                status::TRUE => Phase::Ready,
                status::FALSE => Phase::Failed,
                _ => Phase::Unknown,
            };
            (phase, Timestamp(ready.last_transition_time.0))
        }
    }
}

/// The field `ctx` asks of a status shown as the original shows its statuses (an application's,
/// a runtime's, a fetch request's: a `condition` and since when), written in place.
pub fn write_field<C: EnumType>(
    ctx: &Context<'_>,
    condition: C,
    timestamp: &Timestamp,
    out: &mut Json,
) -> Option<ServerResult<()>> {
    match ctx.item.node.name.node.as_str() {
        "condition" => out.enumerated(condition),
        "timestamp" => out.scalar(timestamp),
        _ => return None,
    }
    Some(Ok(()))
}
