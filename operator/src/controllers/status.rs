//! Writing status and reporting transitions, the same way in every controller: conditions whose
//! transition time moves only when their status does, one server-side apply on `/status` (only
//! when something changed), and an Event when the `Ready` condition changes.

use compass_crds::conditions::Condition;
use compass_crds::conditions::{self, ConditionUpdate, READY, set_condition, status};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::Serialize;

pub use super::events::EventType;
use super::{Context, error::Result};

/// Now, as Kubernetes timestamps are written.
pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

/// The conditions of a status being computed, for one generation of the object.
pub struct Conditions {
    list: Vec<Condition>,
    generation: Option<i64>,
    now: Time,
}

impl Conditions {
    /// Starts from the object's current conditions.
    pub fn new(current: &[Condition], generation: Option<i64>) -> Self {
        Self {
            list: current.to_vec(),
            generation,
            now: now(),
        }
    }

    /// Sets a condition to True or False.
    pub fn set(&mut self, type_: &str, holds: bool, reason: &str, message: impl Into<String>) {
        let status = if holds { status::TRUE } else { status::FALSE };
        self.set_status(type_, status, reason, message);
    }

    /// Sets a condition to any status, Unknown included.
    pub fn set_status(
        &mut self,
        type_: &str,
        status: &str,
        reason: &str,
        message: impl Into<String>,
    ) {
        let update = ConditionUpdate {
            type_,
            status,
            reason,
            message: message.into(),
        };
        set_condition(&mut self.list, update, self.generation, self.now.clone());
    }

    /// Removes a condition that no longer applies.
    pub fn remove(&mut self, type_: &str) {
        self.list.retain(|c| c.type_ != type_);
    }

    /// The finished list.
    pub fn into_vec(self) -> Vec<Condition> {
        self.list
    }
}

/// Writes `status` (what this controller owns of it) with server-side apply, unless it equals
/// `current`. Returns whether it wrote.
pub async fn apply_status<K, S>(
    api: &Api<K>,
    object: &K,
    manager: &str,
    current: Option<&S>,
    desired: &S,
) -> Result<bool>
where
    K: Resource<DynamicType = ()> + Clone,
    S: Serialize + PartialEq,
{
    if current == Some(desired) {
        return Ok(false);
    }
    let patch = StatusPatch {
        api_version: K::api_version(&()),
        kind: K::kind(&()),
        status: desired,
    };
    let mut request = kube::core::Request::new(api.resource_url())
        .patch_subresource(
            "status",
            &object.name_any(),
            &PatchParams::apply(manager).force(),
            &Patch::Apply(&patch),
        )
        .map_err(kube::Error::BuildRequest)?;
    request.extensions_mut().insert("patch_status");
    // The answer is the whole object, which the watch brings anyway: it is read only for an
    // error. Decoding it cost the operator as much as the rest of the write.
    api.clone().into_client().request_text(request).await?;
    Ok(true)
}

/// The body of a status write: the object's kind and the status this controller owns.
#[derive(Serialize)]
struct StatusPatch<'a, S> {
    #[serde(rename = "apiVersion")]
    api_version: std::borrow::Cow<'static, str>,
    kind: std::borrow::Cow<'static, str>,
    status: &'a S,
}

/// Publishes an Event about `object` in the background (see [`super::event_queue`]); a failure
/// is logged, never fatal.
pub fn publish<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    object: &K,
    type_: EventType,
    reason: &str,
    action: &str,
    note: impl Into<String>,
) {
    let regarding = object.object_ref(&());
    ctx.events
        .publish(regarding, type_, reason, action, note.into());
}

/// Publishes an Event when the `Ready` condition changed between `before` and `after`: a Normal
/// `Ready` event when it became True, a Warning with its reason when it became False.
pub fn report_ready_transition<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    object: &K,
    before: &[Condition],
    after: &[Condition],
) {
    let old = conditions::find(before, READY);
    let Some(new) = conditions::find(after, READY) else {
        return;
    };
    if old.is_some_and(|old| old.status == new.status && old.reason == new.reason) {
        return;
    }
    // Waiting for what the operator itself is about to create is no cause for a Warning.
    if new.reason == super::checks::DEFAULT_SCENARIO_PENDING {
        return;
    }
    if new.status == status::TRUE {
        publish(
            ctx,
            object,
            EventType::Normal,
            "Ready",
            "Reconcile",
            new.message.as_str(),
        );
    } else {
        publish(
            ctx,
            object,
            EventType::Warning,
            &new.reason,
            "Reconcile",
            new.message.as_str(),
        );
    }
}
